"""Long written-out expressions (thousands of terms typed out) built without SymPy's evaluation.

SymPy canonicalizes every node it builds: sin(3*x) asks whether 3*x has an imaginary factor, a product
sorts its factors, and so on — about 2 ms a term, 3.7 s for a 1500-term series. The terms of a long
top-level sum are therefore built unevaluated (as the expanding builder already does inside sum()):
SymEngine canonicalizes them in microseconds when they are compiled, and gradcli/symbolic/grouped.py
groups them by shape without ever canonicalizing them one by one. Every limit and check of the builder
still applies (constants are still checked, exponents still bounded).
"""

from __future__ import annotations

import ast

import sympy as sp

from gradcli.expr.build import MAX_EXPONENT, MAX_NUMBER_DIGITS, _Builder, _digits

LONG_SUM = 200      # top-level terms from which a sum is built unevaluated


class _Always(dict):
    """The builder's table of sum() indices, truthy even when empty: the builder then builds unevaluated."""

    def __bool__(self) -> bool:
        return True


class LazyBuilder(_Builder):
    """The builder with every Add, Mul, Pow and function call left unevaluated."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bound = _Always()
        self._symbolic: dict[int, tuple] = {}    # id -> (node, has a variable): unevaluated trees cache nothing

    def _has_symbols(self, value) -> bool:
        if value.is_Symbol:
            return True
        if value.is_Atom:
            return False
        known = self._symbolic.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        out = any(self._has_symbols(a) for a in value.args)
        self._symbolic[id(value)] = (value, out)
        return out

    def check_value(self, node, value):
        """The builder's checks; a node holding a variable skips the constant evaluation without asking
        SymPy for its free symbols (a walk of the whole subtree at every level: quadratic here)."""
        if isinstance(value, sp.Basic) and not value.is_Atom and self._has_symbols(value):
            for a in (value, *value.args):
                if a is sp.nan or a is sp.zoo or a is sp.oo or a is sp.S.NegativeInfinity:
                    self.fail(node, f"this is undefined ({'nan' if a is sp.nan else 'infinite'}): a division by "
                                    "zero, log(0), 0**-1 or similar in constants")
                c = a if a.is_Number else (a.args[0] if a.is_Mul and a.args and a.args[0].is_Number else None)
                if c is not None and _digits(c) > MAX_NUMBER_DIGITS:
                    self.fail(node, f"this makes a number of about {_digits(c):.0f} digits; the limit is "
                                    f"{MAX_NUMBER_DIGITS} (MAX_NUMBER_DIGITS)")
            return value
        return super().check_value(node, value)

    def combine(self, node, done):
        # -v and a - b as products by -1: SymPy's Add.__neg__ distributes over the terms (and, the first
        # time, imports sympy.tensor): a tenth of the time of listing the problem library
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return _neg(done[id(node.operand)])
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return sp.Add(*[_neg(done[id(n)]) if op is ast.Sub else done[id(n)]
                            for n, op in self.chain(node, (ast.Add, ast.Sub))], evaluate=False)
        return super().combine(node, done)

    def call(self, node, fn, args):
        if fn in (sp.sqrt, sp.log, sp.Min, sp.Max) or not isinstance(fn, type):
            # helpers (sqrt is a Pow, log(x, b) a quotient), and min/max, whose nested arguments count together
            return super().call(node, fn, args)
        try:
            return fn(*args, evaluate=False)
        except (TypeError, ValueError):
            return super().call(node, fn, args)

    def power(self, node, base, exponent):
        if base.is_Integer and exponent.is_Integer and 0 <= int(exponent) <= 64 \
                and abs(int(base)).bit_length() * int(exponent) <= 200:
            return sp.Integer(int(base) ** int(exponent))   # 3**2 in a series: exact, small, no evalf needed
        if exponent.is_Integer and abs(int(exponent)) <= MAX_EXPONENT and (base.is_Symbol or base.is_Add) \
                and self._has_symbols(base):
            # (x - 1)**2: nothing to multiply out, the exponent is in range (the builder's checks would say so
            # after evaluating it to 15 digits, which is most of the time of a long sum of squares)
            return sp.S.One if exponent == 0 else base if exponent == 1 else sp.Pow(base, exponent, evaluate=False)
        out = super().power(node, base, exponent)       # the builder's bounds on exponents and digits first
        if base.is_Rational and exponent.is_Integer and isinstance(out, sp.Pow):
            return sp.Pow(base, exponent)               # an exact number (3**2 is 9): no evalf check needed
        return out


def _neg(v):
    return -v if v.is_Number else sp.Mul(sp.S.NegativeOne, v, evaluate=False)


def long_sum(tree: ast.AST) -> bool:
    """Is the expression a chain of + and - with at least LONG_SUM terms?"""
    node, count = getattr(tree, "body", tree), 1
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        count += 1
        node = node.left
        if count >= LONG_SUM:
            return True
    return False
