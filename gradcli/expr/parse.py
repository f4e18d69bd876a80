"""Safe parsing of the expression language into SymPy.

User text is parsed by Python's ``ast`` (which only builds a tree, never runs anything); every node is
checked against a whitelist and the SymPy expression is built from the checked tree by hand
(``expr.build``). Nothing the user typed ever reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

import sympy as sp

from gradcli.errors import ExpressionError
from gradcli.expr import syntax as _syntax
from gradcli.expr.build import CONSTANTS, FUNCTIONS, _NAME, _Builder
from gradcli.expr.syntax import (MAX_DEPTH, MAX_DIM, MAX_EXPONENT, MAX_LENGTH, MAX_LITERAL_DIGITS,  # noqa: F401
                     MAX_MINMAX_ARGS, MAX_NUMBER_DIGITS, MAX_SUM_TERMS, _LOOKALIKES, _check_characters,
                     _to_python_source)

from gradcli.expr.syntax import lazy  # noqa: E402 (the switch lives where SymPy is not imported)
"""True while only names and checks are wanted (``problems list``): terms are built unevaluated."""


@dataclass(frozen=True)
class Parsed:
    """An objective as SymPy sees it, with the names the user wrote."""

    expr: sp.Expr
    names: tuple[str, ...]          # free variable names, natural-sorted


def natural_key(name: str):
    """x2 before x10: digits compare as numbers."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", name)]


def parse_tree(text: str, what: str = "expression") -> tuple[ast.AST, list[int]]:
    """Parse to a Python AST, with the limits checked first. Returns the tree and the column map."""
    return _syntax.parse_tree(text, what)


def parse_params(items: dict[str, object] | None) -> dict[str, sp.Expr]:
    """Named constants: numbers only (strings are read with float(), never evaluated)."""
    out: dict[str, sp.Expr] = {}
    for name, value in (items or {}).items():
        if not isinstance(name, str) or not _NAME.match(name) or name in FUNCTIONS or name in CONSTANTS:
            raise ExpressionError(str(name), None, f"parameter name '{name}' is not a valid name")
        if isinstance(value, bool):
            raise ExpressionError(str(value), None, f"parameter {name} must be a number, got {value}")
        try:
            num = float(value)
        except (TypeError, ValueError):
            raise ExpressionError(str(value), None, f"parameter {name} must be a number, got '{value}'") from None
        if not math.isfinite(num):
            raise ExpressionError(str(value), None, f"parameter {name} must be finite, got {value}")
        out[name] = sp.Integer(int(num)) if num.is_integer() and abs(num) < 1e15 else sp.Float(repr(num))
    return out


def parse(text: str, params: dict[str, object] | None = None, what: str = "expression",
          dim: int | None = None) -> Parsed:
    """Parse an objective: the SymPy expression and its variable names in natural order.

    ``dim`` is the length of indexed variables (x[i]); ``n`` then means ``dim`` inside the expression.
    """
    if dim is not None and not 1 <= dim <= MAX_DIM:
        raise ExpressionError(text, None, f"--dim must be between 1 and {MAX_DIM} (MAX_DIM), got {dim}")
    tree, where = parse_tree(text, what)
    from gradcli.expr.lazy import LazyBuilder, long_sum
    builder = (LazyBuilder if long_sum(tree) or lazy.get() else _Builder)(text, where, parse_params(params), dim=dim)
    try:
        expr = builder.build(tree)
    except RecursionError:
        raise ExpressionError(text, None, f"the {what} is too deeply nested (MAX_DEPTH {MAX_DEPTH})") from None
    expr = sp.sympify(expr) if not isinstance(expr, sp.Basic) else expr
    names = tuple(sorted((s.name for s in expr.free_symbols), key=natural_key))
    return Parsed(expr, names)


_RELATIONS = {ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "=="}


def parse_relation(text: str, params: dict[str, object] | None = None,
                   dim: int | None = None) -> tuple[str, sp.Expr]:
    """A constraint 'lhs OP rhs' with OP one of <= >= ==, as SciPy wants it: ('ineq', g) meaning g >= 0,
    or ('eq', h) meaning h == 0."""
    tree, where = parse_tree(text, "constraint")
    body = tree.body
    if not isinstance(body, ast.Compare) or len(body.ops) != 1 or type(body.ops[0]) not in _RELATIONS:
        col = where[min(getattr(body, "col_offset", 0), len(where) - 1)]
        raise ExpressionError(text, col, "a constraint needs exactly one of <=, >=, == between two expressions, "
                                         "e.g. x + y <= 1")
    builder = _Builder(text, where, parse_params(params), dim=dim)
    lhs = builder.build(ast.Expression(body.left))
    rhs = builder.build(ast.Expression(body.comparators[0]))
    op = _RELATIONS[type(body.ops[0])]
    if op == "<=":
        return "ineq", sp.sympify(rhs - lhs)
    if op == ">=":
        return "ineq", sp.sympify(lhs - rhs)
    return "eq", sp.sympify(lhs - rhs)
