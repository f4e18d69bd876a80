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

from gradcli.expr.build import _Builder

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

    def call(self, node, fn, args):
        if fn in (sp.sqrt, sp.log) or not isinstance(fn, type):
            return super().call(node, fn, args)       # helpers (sqrt is a Pow, log(x, b) a quotient)
        try:
            return fn(*args, evaluate=False)
        except (TypeError, ValueError):
            return super().call(node, fn, args)

    def power(self, node, base, exponent):
        if base.is_Integer and exponent.is_Integer and 0 <= int(exponent) <= 64 \
                and abs(int(base)).bit_length() * int(exponent) <= 200:
            return sp.Integer(int(base) ** int(exponent))   # 3**2 in a series: exact, small, no evalf needed
        out = super().power(node, base, exponent)       # the builder's bounds on exponents and digits first
        if base.is_Rational and exponent.is_Integer and isinstance(out, sp.Pow):
            return sp.Pow(base, exponent)               # an exact number (3**2 is 9): no evalf check needed
        return out


def long_sum(tree: ast.AST) -> bool:
    """Is the expression a chain of + and - with at least LONG_SUM terms?"""
    node, count = getattr(tree, "body", tree), 1
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        count += 1
        node = node.left
        if count >= LONG_SUM:
            return True
    return False
