"""The checked Python AST of an expression, built into SymPy by hand: the function table, the constants
and the builder (iterative, flattening + and *, every number and exponent bounded)."""

from __future__ import annotations

import ast
import math
import re

import sympy as sp

from gradcli.errors import ExpressionError
from gradcli.expr.syntax import (HELP, MAX_DEPTH, MAX_DIM, MAX_EXPONENT, MAX_LITERAL_DIGITS,  # noqa: F401
                     MAX_MINMAX_ARGS, MAX_NUMBER_DIGITS, MAX_SUM_TERMS, _OPS, _describe)

FUNCTIONS: dict[str, tuple[object, tuple[int, int]]] = {
    # name: (SymPy builder, (min args, max args))
    "exp": (sp.exp, (1, 1)),
    "log": (sp.log, (1, 2)),
    "ln": (sp.log, (1, 1)),
    "sqrt": (sp.sqrt, (1, 1)),
    "sin": (sp.sin, (1, 1)),
    "cos": (sp.cos, (1, 1)),
    "tan": (sp.tan, (1, 1)),
    "asin": (sp.asin, (1, 1)),
    "acos": (sp.acos, (1, 1)),
    "atan": (sp.atan, (1, 1)),
    "atan2": (sp.atan2, (2, 2)),
    "sinh": (sp.sinh, (1, 1)),
    "cosh": (sp.cosh, (1, 1)),
    "tanh": (sp.tanh, (1, 1)),
    "abs": (sp.Abs, (1, 1)),
    "sign": (sp.sign, (1, 1)),
    "min": (sp.Min, (2, 64)),
    "max": (sp.Max, (2, 64)),
    "erf": (sp.erf, (1, 1)),
}
CONSTANTS = {"pi": sp.pi, "E": sp.E}
_CONSTANT_NAMES = {"pi": "pi", "e": "E", "E": "E"}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class _Builder:
    """Turns a checked AST into SymPy, iteratively (no recursion limit) and flattening + and *."""

    def __init__(self, text: str, where: list[int], params: dict[str, sp.Expr], functions=None,
                 dim: int | None = None):
        self.text = text
        self.where = where
        self.params = params
        self.functions = functions or FUNCTIONS
        self.symbols: dict[str, sp.Symbol] = {}
        self.dim = dim
        self.bound: dict[str, int] = {}     # sum() indices in scope, with their current value
        self.terms = 0                      # terms expanded by sum() so far

    def col(self, node: ast.AST) -> int | None:
        off = getattr(node, "col_offset", None)
        if off is None:
            return None
        # ast offsets count UTF-8 bytes; input is ASCII by now, so bytes are characters
        return self.where[min(off, len(self.where) - 1)]

    def fail(self, node: ast.AST, message: str):
        raise ExpressionError(self.text, self.col(node), message)

    # --- leaves -------------------------------------------------------------------------------
    def constant(self, node: ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(node, f"{type(v).__name__} constants are not allowed; {HELP}")
        if isinstance(v, int):
            if len(str(abs(v))) > MAX_LITERAL_DIGITS:
                self.fail(node, f"number literal has more than {MAX_LITERAL_DIGITS} digits (MAX_LITERAL_DIGITS)")
            return sp.Integer(v)
        if not math.isfinite(v):
            self.fail(node, "number literal is not finite")
        return sp.Float(repr(v))

    def name(self, node: ast.Name):
        n = node.id
        if n in self.bound:
            return sp.Integer(self.bound[n])
        if n == "n" and self.dim is not None:
            return sp.Integer(self.dim)
        if n in CONSTANTS:
            return CONSTANTS[n]
        if n in self.params:
            return self.params[n]
        if n in self.functions:
            self.fail(node, f"'{n}' is a function: call it as {n}(...)")
        if not _NAME.match(n):
            self.fail(node, f"name '{n}' is not allowed: variable names are letters, digits and _ "
                            "(starting with a letter)")
        if n not in self.symbols:
            self.symbols[n] = sp.Symbol(n, real=True)
        return self.symbols[n]

    # --- the walk -----------------------------------------------------------------------------
    def build(self, root: ast.AST) -> sp.Expr:
        # post-order with an explicit stack; + - chains and * chains are collected in one go so a sum
        # of thousands of terms costs one Add, not thousands of nested ones.
        done: dict[int, object] = {}
        stack: list[tuple[ast.AST, int, bool]] = [(root, 0, False)]
        while stack:
            node, depth, expanded = stack.pop()
            if depth > MAX_DEPTH:
                self.fail(node, f"expression nested more than {MAX_DEPTH} levels deep (MAX_DEPTH); simplify it")
            kids = self.children(node)
            if not expanded:
                stack.append((node, depth, True))
                for child, flat in kids:
                    stack.append((child, depth if flat else depth + 1, False))
                continue
            done[id(node)] = self.check_value(node, self.combine(node, done))
            for child, _ in kids:
                done.pop(id(child), None)
        return done[id(root)]

    def chain(self, node: ast.AST, ops: tuple[type, ...]) -> list[tuple[ast.AST, type | None]]:
        """Operands of a left-nested chain of ``ops``, each with the operator in front of it."""
        out, cur = [], node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, ops):
            out.append((cur.right, type(cur.op)))
            cur = cur.left
        out.append((cur, None))
        out.reverse()
        return out

    def children(self, node: ast.AST) -> list[tuple[ast.AST, bool]]:
        if isinstance(node, ast.Expression):
            return [(node.body, True)]
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.Add, ast.Sub)):
                return [(n, True) for n, _ in self.chain(node, (ast.Add, ast.Sub))]
            if isinstance(node.op, (ast.Mult, ast.Div)):
                return [(n, True) for n, _ in self.chain(node, (ast.Mult, ast.Div))]
            if isinstance(node.op, ast.Pow):
                return [(node.left, False), (node.right, False)]
            self.fail(node, _operator(node.op))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                return [(node.operand, False)]
            self.fail(node, _operator(node.op))
        if isinstance(node, ast.Subscript) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                                               and node.func.id == "sum"):
            return []    # expanded in combine(): an index is a number, a sum a list of terms
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                self.fail(node, _module_call(node.func, self.functions))
            fname = node.func.id
            if fname not in self.functions:
                import difflib
                near = difflib.get_close_matches(fname, list(self.functions), n=1)
                hint = f" (did you mean {near[0]}?)" if near else f" (a product is written {fname}*(...))"
                self.fail(node, f"unknown function '{fname}'{hint}; the functions are " + " ".join(self.functions))
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                self.fail(node, f"{fname}() takes plain arguments only, no keywords or *args")
            lo, hi = self.functions[fname][1]
            if not lo <= len(node.args) <= hi:
                want = str(lo) if lo == hi else f"{lo} to {hi}"
                self.fail(node, f"{fname}() takes {want} argument{'s' if hi > 1 else ''}, got {len(node.args)}")
            return [(a, False) for a in node.args]
        if isinstance(node, (ast.Constant, ast.Name)):
            return []
        if isinstance(node, ast.Attribute) and node.attr in _CONSTANT_NAMES:
            self.fail(node, f"'{_dotted(node)}': write {_CONSTANT_NAMES[node.attr]} (no module prefix)")
        self.fail(node, f"{_describe(node)} is not allowed; {HELP}")

    def combine(self, node: ast.AST, done: dict[int, object]):
        if isinstance(node, ast.Expression):
            return done[id(node.body)]
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            v = done[id(node.operand)]
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Call) and node.func.id == "sum":
            return self.sum_call(node)
        if isinstance(node, ast.Call):
            fn = self.functions[node.func.id][0]
            return self.call(node, fn, [done[id(a)] for a in node.args])
        if isinstance(node.op, (ast.Add, ast.Sub)):
            terms = [done[id(n)] if op is not ast.Sub else -done[id(n)]
                     for n, op in self.chain(node, (ast.Add, ast.Sub))]
            return sp.Add(*terms, evaluate=not self.bound)
        if isinstance(node.op, (ast.Mult, ast.Div)):
            num, den = [], []
            for n, op in self.chain(node, (ast.Mult, ast.Div)):
                (den if op is ast.Div else num).append(done[id(n)])
            self.check_product(node, num + den)
            lazy = bool(self.bound)
            out = sp.Mul(*num, evaluate=not lazy)
            if den:
                out = sp.Mul(out, sp.Pow(sp.Mul(*den, evaluate=not lazy), -1, evaluate=not lazy),
                             evaluate=not lazy) if lazy else out / sp.Mul(*den)
            return out
        return self.power(node, done[id(node.left)], done[id(node.right)])

    # --- indexed variables and sums (large problems written briefly) -----------------------------
    def index_value(self, node: ast.AST, depth: int = 0) -> int:
        """An integer index: literals, sum() indices, n, and + - * between them."""
        if depth > 20:
            self.fail(node, "index expression too deep")
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.bound:
                return self.bound[node.id]
            if node.id == "n" and self.dim is not None:
                return self.dim
            self.fail(node, f"'{node.id}' in an index must be a sum() index or n (the --dim)")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self.index_value(node.operand, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = self.index_value(node.left, depth + 1), self.index_value(node.right, depth + 1)
            return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
        self.fail(node, "an index is a whole number built from sum() indices, n and + - *, e.g. x[i+1]")

    def subscript(self, node: ast.Subscript):
        base = node.value
        if not isinstance(base, ast.Name) or not _NAME.match(base.id) or base.id in self.functions \
                or base.id in CONSTANTS or base.id in self.params or base.id in self.bound or base.id == "n":
            self.fail(node, "only a variable can be indexed, e.g. x[i]")
        if self.dim is None:
            self.fail(node, f"{base.id}[...] is an indexed variable: give its length with --dim N (files: dim: N)")
        k = self.index_value(node.slice)
        if not 0 <= k < self.dim:
            self.fail(node.slice, f"index {k} is outside {base.id}[0] .. {base.id}[{self.dim - 1}] (--dim {self.dim})")
        name = f"{base.id}[{k}]"
        if name not in self.symbols:
            self.symbols[name] = sp.Symbol(name, real=True)
        return self.symbols[name]

    def sum_header(self, node: ast.Call) -> tuple[str, int, int, int]:
        """sum(expr, i, lo, hi): the index name, lo, hi and the number of terms, every limit checked."""
        args = node.args
        if node.keywords or len(args) != 4 or not isinstance(args[1], ast.Name):
            self.fail(node, "sum takes (expr, i, lo, hi): the terms for i = lo, lo+1, ..., hi (inclusive)")
        index = args[1].id
        if index in self.bound or index == "n" or index in CONSTANTS or index in self.functions \
                or not _NAME.match(index):
            self.fail(args[1], f"'{index}' cannot be a sum() index here; use a fresh name such as i or k")
        lo, hi = self.index_value(args[2]), self.index_value(args[3])
        count = max(0, hi - lo + 1)
        self.terms += count
        if self.terms > MAX_SUM_TERMS:
            self.fail(node, f"sum() would expand to more than {MAX_SUM_TERMS} terms (MAX_SUM_TERMS)")
        return index, lo, hi, count

    def sum_call(self, node: ast.Call):
        args = node.args
        index, lo, hi, count = self.sum_header(node)
        terms = []
        for v in range(lo, hi + 1):
            self.bound[index] = v
            try:
                terms.append(self.build(args[0]))
            finally:
                del self.bound[index]
        # terms built inside a sum stay unevaluated: SymPy's canonicalization with real symbols costs
        # milliseconds per term (measured: 12 s for 2000 Rosenbrock terms); SymEngine canonicalizes
        # them in microseconds when the objective is compiled
        return sp.Add(*terms, evaluate=False) if terms else sp.S.Zero

    def call(self, node, fn, args):
        try:
            out = fn(*args)
        except (TypeError, ValueError) as exc:
            self.fail(node, f"{node.func.id}(): {exc}")
        if isinstance(out, (sp.Min, sp.Max)) and len(out.args) > MAX_MINMAX_ARGS:
            self.fail(node, f"{node.func.id}() of {len(out.args)} arguments (nested ones count together); the limit "
                            f"is {MAX_MINMAX_ARGS} (MAX_MINMAX_ARGS): their derivatives grow too fast. "
                            "Split it into a sum of smaller terms")
        return out

    def power(self, node, base, exponent):
        if not exponent.free_symbols:
            e = _approx(exponent)
            if not abs(e) <= MAX_EXPONENT:
                self.fail(node.right, f"exponent {_short(exponent) if exponent.is_Number else f'{e:.3g}'} is larger "
                                      f"than {MAX_EXPONENT} (MAX_EXPONENT)")
            # SymPy multiplies exponents out ((x**1000)**1000 is x**1000000) and raises exact numbers to the power
            # at once ((2**300*x)**1000 holds 2**300000): bound what it would build, before it builds it
            for factor in sp.Mul.make_args(base):
                b, k = factor.as_base_exp()
                if not k.is_Number:
                    continue
                if b.free_symbols:
                    if abs(_approx(k * exponent)) > MAX_EXPONENT:
                        self.fail(node, f"exponents multiply to {_short(k * exponent)}, larger than {MAX_EXPONENT} "
                                        "(MAX_EXPONENT)")
                elif b != 0 and exponent.is_Rational:
                    digits = _log10_abs(b) * abs(_approx(k * exponent))
                    if digits > MAX_NUMBER_DIGITS:
                        self.fail(node, f"({_short(b)})**{_short(k * exponent)} has about {digits:.0f} digits; "
                                        f"the limit is {MAX_NUMBER_DIGITS} (MAX_NUMBER_DIGITS)")
        if not base.is_Number and exponent.is_Number or self.bound:
            # skip SymPy's automatic power expansion checks (assumption queries on every base):
            # measured 4 ms per (a - b**2)**2 term, most of a 1000-term sum's parse time
            if exponent == 1:
                return base
            if exponent == 0:
                return sp.S.One
            return sp.Pow(base, exponent, evaluate=False)
        return base ** exponent

    def check_product(self, node, factors) -> None:
        """The exact numbers in a product, multiplied together, stay within MAX_NUMBER_DIGITS."""
        digits = 0.0
        for f in factors:
            c = f if f.is_Number else (f.args[0] if f.is_Mul and f.args[0].is_Number else None)
            if c is not None and c.is_Rational:
                digits += _digits(c)
        if digits > MAX_NUMBER_DIGITS:
            self.fail(node, f"the numbers in this product multiply to about {digits:.0f} digits; the limit is "
                            f"{MAX_NUMBER_DIGITS} (MAX_NUMBER_DIGITS)")

    def check_value(self, node, value):
        """What SymPy built for ``node``: no undefined constant (1/0, log(0)), no number beyond
        MAX_NUMBER_DIGITS, and every constant a real number of bounded size. Checked bottom-up, so each
        node only needs its own top level, and a constant's size is known before anything uses it."""
        if not isinstance(value, sp.Basic):
            return value
        for a in (value, *value.args):
            if a is sp.nan or a is sp.zoo or a is sp.oo or a is sp.S.NegativeInfinity:
                self.fail(node, f"this is undefined ({'nan' if a is sp.nan else 'infinite'}): a division by zero, "
                                "log(0), 0**-1 or similar in constants")
            c = a if a.is_Number else (a.args[0] if a.is_Mul and a.args[0].is_Number else None)
            if c is not None and _digits(c) > MAX_NUMBER_DIGITS:
                self.fail(node, f"this makes a number of about {_digits(c):.0f} digits; the limit is "
                                f"{MAX_NUMBER_DIGITS} (MAX_NUMBER_DIGITS)")
        if value.is_Number or value.is_Symbol or value.free_symbols:
            return value
        try:   # a constant such as exp(1000) or sin(10**300): its size and reality, at 15 digits
            v = value.evalf(15)
            re_, im = v.as_real_imag()
        except (OverflowError, ValueError, ArithmeticError, RecursionError, MemoryError, TypeError):
            self.fail(node, f"constant too large to evaluate; numbers are limited to {MAX_NUMBER_DIGITS} digits "
                            "(MAX_NUMBER_DIGITS)")
        if im.is_Number and im != 0:
            self.fail(node, f"this constant is not a real number ({_short(v)}): a square root or log of a negative "
                            "number, asin(2), (-8)**(1/3) or similar")
        if re_.is_Number and _digits(re_) > MAX_NUMBER_DIGITS:
            self.fail(node, f"this constant is about 1e{_log10_signed(re_):.0f}; numbers are limited to "
                            f"{MAX_NUMBER_DIGITS} digits (MAX_NUMBER_DIGITS)")
        return value


def _dotted(node: ast.AST) -> str:
    """'np.exp' from the attribute chain (names only; anything else shown as '...')."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "...")
    return ".".join(reversed(parts))[:40]


def _module_call(func: ast.AST, functions) -> str:
    """np.exp(x), math.sin(x): name the gradcli spelling instead of a generic refusal."""
    if isinstance(func, ast.Attribute) and func.attr in functions:
        return f"'{_dotted(func)}(...)': write {func.attr}(...) (functions take no module prefix)"
    if isinstance(func, ast.Attribute):
        return f"'{_dotted(func)}(...)' is not a function here (no module prefixes); {HELP}"
    if isinstance(func, ast.Constant):
        return f"'{func.value!r}(' is not a product: write {func.value!r}*(...) (multiplication needs *)"
    if isinstance(func, (ast.BinOp, ast.UnaryOp, ast.Call)):
        return "'(...)(...)' is not a product: write (...)*(...) (multiplication needs *)"
    return f"only calls of the named functions are allowed, such as exp(x); {HELP}"


def _operator(op) -> str:
    sym = _OPS.get(type(op), type(op).__name__)
    if sym == "^":          # only reached from Python's own ^ (ours is replaced by ** before parsing)
        return f"operator '^' is not allowed; {HELP}"
    return f"operator '{sym}' is not allowed (use + - * / ** ^); {HELP}"


def _digits(num) -> float:
    """Decimal digits of an exact number (numerator or denominator, whichever is longer), or the
    decimal exponent's size of a float: 1e-500 and 1e500 both count 500. Never builds a decimal string."""
    if num.is_Rational:
        return max(abs(int(num.p)).bit_length(), int(num.q).bit_length()) * math.log10(2)
    mpf = getattr(num, "_mpf_", None)
    if mpf is None or not mpf[1]:
        return 0.0
    return abs(mpf[2] + mpf[3]) * math.log10(2)


def _log10_signed(num) -> float:
    """log10|num| of a finite SymPy Float (any exponent: mpmath holds it), 0 for zero."""
    import mpmath

    mpf = getattr(sp.Float(num), "_mpf_", None)
    return 0.0 if mpf is None or not mpf[1] else float(mpmath.log10(abs(mpmath.mpf(mpf))))


def _log10_abs(num) -> float:
    """|log10|num|| of a constant, without overflowing a float (2**1000000 is fine)."""
    if num.is_Rational:
        return abs(abs(int(num.p)).bit_length() - int(num.q).bit_length()) * math.log10(2)
    try:
        return abs(_log10_signed(abs(num.evalf(15))))
    except (OverflowError, ValueError, ArithmeticError, TypeError):
        return math.inf


def _approx(num) -> float:
    """A constant as a float: ±inf when beyond float range, nan when undefined."""
    try:
        v = complex(num.evalf(15))
        return v.real if v.imag == 0 else abs(v)
    except OverflowError:
        return math.inf
    except (ValueError, ArithmeticError, TypeError):
        return math.nan


def _short(v) -> str:
    s = str(v)
    return s if len(s) <= 20 else s[:17] + "..."

