"""The SymPy-free front end every expression goes through: limits, characters, Python's ``ast``.

Split out of ``expr`` so that array expressions (gradcli/arrays), which never touch SymPy, share exactly
the same checks without importing it (~0.3 s of start-up). ``expr`` re-exports everything here.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from contextvars import ContextVar

from gradcli.errors import ExpressionError

# Limits, named in every error that hits them (see README "Limits").
MAX_LENGTH = 200_000          # characters: a sum of ~10 000 terms fits, a megabyte does not
MAX_DEPTH = 100               # nesting of operations that cannot be flattened (f(g(h(...))), a**(b**c))
MAX_EXPONENT = 1000           # |n| in a**n: beyond it symbolic work and float evaluation explode
MAX_LITERAL_DIGITS = 30       # digits in one number literal
MAX_NUMBER_DIGITS = 400       # digits of a constant computed from literals (2**1000 has 302)
MAX_DIM = 1_000_000           # entries of an indexed variable x[i] (--dim)
MAX_SUM_TERMS = 2_000_000     # terms all sum(...) together may expand to: bounds memory and setup time
MAX_MINMAX_ARGS = 6           # arguments of one min/max after SymPy merges nested ones (derivatives grow ~k**3)

HELP = "see `gradcli minimize --help` for what an expression may contain"

_LOOKALIKES = {"−": "-", "×": "*", "·": "*", "÷": "/", "–": "-", "—": "-", "′": "'", "²": "**2", "³": "**3",
               "（": "(", "）": ")", "，": ","}


def _to_python_source(text: str) -> tuple[str, list[int]]:
    """Replace ``^`` by ``**`` and keep a map from new column to original column."""
    out, where = [], []
    for i, ch in enumerate(text):
        if ch == "^":
            out.append("**")
            where += [i, i]
        else:
            out.append(ch)
            where.append(i)
    where.append(len(text))
    return "".join(out), where


def _check_characters(text: str) -> None:
    for i, ch in enumerate(text):
        if ch in _LOOKALIKES:
            raise ExpressionError(text, i, f"'{ch}' (U+{ord(ch):04X}) is not ASCII: write '{_LOOKALIKES[ch]}' instead")
        if ord(ch) > 127:
            raise ExpressionError(text, i, f"character '{ch}' (U+{ord(ch):04X}) is not allowed; use ASCII only")
        if ch in "\"'":
            raise ExpressionError(text, i, f"strings are not allowed; {HELP}")


# What people type from habit (Mathematica, paper): '2x' and 'x y' for products, '=' for equality, a
# trailing operator. Each is named with its fix instead of Python's "invalid decimal literal".
_NUMBER_NAME = re.compile(r"(?<![\w.])((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?=[A-Za-z_(])")
_SPACED = re.compile(r"([\w.]+|\))[ \t]+(?=([A-Za-z_(]|\d|\.\d))")
_KEYWORDS = {"and", "or", "not", "if", "else", "for", "in", "is", "lambda"}
_SINGLE_EQ = re.compile(r"(?<![=<>!])=(?!=)")
_TRAILING = re.compile(r"(\*\*|[-+*/^,(])\s*\Z")


def _hint(text: str, what: str) -> tuple[int, str] | None:
    """(column, message) for a common typing mistake in text that Python could not parse, or None."""
    m = _TRAILING.search(text)
    if m and not text.rstrip().endswith("()"):
        end = len(text.rstrip())
        return end, f"the {what} ends with '{m.group(1)}': something is missing after it"
    m = _NUMBER_NAME.search(text)
    if m:
        num, nxt = m.group(1), text[m.end():m.end() + 1]
        rest = re.match(r"[A-Za-z_]\w*|\(", text[m.end():]).group(0)
        fix = f"{num}*{rest}"
        return m.start(), f"'{num}{rest}' is not a product: write {fix} (multiplication needs *)" \
            if nxt != "(" else f"'{num}(' is not a product: write {num}*(...) (multiplication needs *)"
    for m in _SPACED.finditer(text):
        left, right = m.group(1), re.match(r"[\w.]+|\(", text[m.end():]).group(0)
        if left in _KEYWORDS or right in _KEYWORDS or left in {",", "("}:
            continue
        return m.start(), (f"'{text[m.start():m.end() + len(right)]}' is not a product: write {left}*{right} "
                           "(multiplication needs *)")
    m = _SINGLE_EQ.search(text)
    if m:
        lhs, rhs = text[:m.start()].strip(), text[m.end():].strip()
        fix = f"{lhs} == {rhs}" if len(lhs) + len(rhs) < 60 else "lhs == rhs"
        return m.start(), ("'=' is not a comparison: an equality constraint is written with ==, e.g. "
                           f"{fix} (or <=, >= for inequalities)")
    return None


def parse_tree(text: str, what: str = "expression") -> tuple[ast.AST, list[int]]:
    """Parse to a Python AST, with the limits checked first. Returns the tree and the column map."""
    if not isinstance(text, str):
        raise ExpressionError(str(text), None, f"the {what} must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text[:60], None, f"the {what} is {len(text)} characters long; the limit is "
                              f"{MAX_LENGTH} (MAX_LENGTH). Write it with fewer terms")
    if not text.strip():
        raise ExpressionError(text, None, f"the {what} is empty; write a formula such as x**2 - 4*x + 8")
    _check_characters(text)
    source, where = _to_python_source(text)
    old_limit = sys.getrecursionlimit()
    try:
        # CPython builds the tree recursively: a sum of n terms is n levels deep. MAX_LENGTH bounds n,
        # and a chain of 100 000 terms was measured to fit the default 8 MiB C stack.
        sys.setrecursionlimit(max(old_limit, MAX_LENGTH + 1000))
        with warnings.catch_warnings():   # "invalid decimal literal" and the like: the error says it, once
            warnings.simplefilter("ignore")
            tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1 + (len(source) - len(source.lstrip()))
        col = where[min(max(offset, 0), len(where) - 1)]
        msg = (exc.msg or "invalid syntax").split(" (", 1)[0]
        if "nested" in msg or "too many" in msg:
            raise ExpressionError(text, col, f"{msg} (limit of Python's parser; the nesting limit here is "
                                             f"{MAX_DEPTH})") from None
        hint = _hint(text, what)
        if hint:
            raise ExpressionError(text, hint[0], hint[1]) from None
        raise ExpressionError(text, col, f"{msg}; {HELP}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        # CPython's parser reports a too-deep tree as a bare MemoryError (no message) or RecursionError
        detail = (str(exc).splitlines() or [""])[0][:120]
        if not detail or isinstance(exc, (RecursionError, MemoryError)):
            detail = f"it is nested too deeply for Python's parser (the nesting limit here is {MAX_DEPTH})"
        raise ExpressionError(text[:60], None, f"cannot read the {what}: {detail}") from None
    finally:
        sys.setrecursionlimit(old_limit)
    lead = len(source) - len(source.lstrip())
    return tree, [where[min(i + lead, len(where) - 1)] for i in range(len(source) + 1)]


_OPS = {ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|", ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@",
        ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not"}


def _describe(node: ast.AST) -> str:
    kinds = {ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
             ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension", ast.SetComp: "a comprehension",
             ast.DictComp: "a comprehension", ast.Compare: "a comparison", ast.BoolOp: "and/or",
             ast.IfExp: "if/else", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
             ast.JoinedStr: "a string", ast.NamedExpr: "':='", ast.Starred: "'*'", ast.Await: "await",
             ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice"}
    return kinds.get(type(node), type(node).__name__)


lazy = ContextVar("lazy", default=False)
"""True: expressions are built with every check but none of SymPy's simplification (``problems list``)."""
