"""Derivatives and code generation: from a SymPy expression to counted numeric callables.

Everything here is built once per problem. The gradient and Hessian are derived only when first
asked for (Nelder-Mead never pays for a Hessian), then compiled with common-subexpression
elimination. Small problems run on Python floats through the ``math`` module (measured faster than
NumPy scalars for a handful of variables); any point where ``math`` refuses (log of a negative,
division by zero, overflow, a complex power) is re-evaluated with NumPy, which answers nan or inf
instead of raising, so non-finite values reach the solver and the report rather than a traceback.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy as sp

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError, TypeError, AttributeError)


@dataclass(slots=True)
class Counts:
    """Calls the solver made. The tool's own evaluations (report, verdict, trace) are not in here."""

    nfev: int = 0
    njev: int = 0
    nhev: int = 0

    def reset(self) -> None:
        self.nfev = self.njev = self.nhev = 0

    def snapshot(self) -> tuple[int, int, int]:
        return self.nfev, self.njev, self.nhev


def _lambdify(symbols, expr, module):
    return sp.lambdify(symbols, expr, modules=module, cse=True, dummify=True)


class _Evaluator:
    """One compiled expression (scalar, vector or matrix) with the math/NumPy fallback."""

    def __init__(self, symbols: Sequence[sp.Symbol], expr, shape: tuple[int, ...]):
        self.symbols = list(symbols)
        self.expr = expr
        self.shape = shape
        self.fast = _lambdify(self.symbols, expr, "math")
        self._safe = None

    def safe(self, x) -> np.ndarray | float:
        """NumPy evaluation: nan/inf instead of exceptions (slower; only for the hard points)."""
        if self._safe is None:
            self._safe = _lambdify(self.symbols, self.expr, "numpy")
        args = [np.float64(v) for v in np.asarray(x, dtype=float).ravel()]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = self._safe(*args)
            except _MATH_ERRORS:
                out = np.nan
        out = np.asarray(out, dtype=complex if np.iscomplexobj(out) else float)
        if np.iscomplexobj(out):
            out = np.where(np.abs(out.imag) > 0, np.nan, out.real)
        out = np.broadcast_to(out, self.shape).astype(float) if self.shape else float(out)
        return out


class Objective:
    """f, ∇f and ∇²f of one problem as counted callables on NumPy vectors.

    ``fun``/``grad``/``hess``/``hessp`` count into ``counts``; the ``*_uncounted`` versions are for the
    tool's own checks so that reported counts are exactly the solver's calls.
    """

    def __init__(self, expr: sp.Expr, symbols: Sequence[sp.Symbol], names: Sequence[str] | None = None):
        self.expr = expr
        self.symbols = tuple(symbols)
        self.variables = tuple(names or (s.name for s in self.symbols))
        self.n = len(self.symbols)
        self.counts = Counts()
        self._f = _Evaluator(self.symbols, expr, ())
        self._g: _Evaluator | None = None
        self._h: _Evaluator | None = None
        self._gradient_exprs: list[sp.Expr] | None = None
        self.backend = "sympy-math"
        self.prefers_hessp = False   # large problems: Hessian-vector products instead of dense matrices
        self.constraints: list[Constraint] = []

    # ---- derivatives, derived once on demand -------------------------------------------------
    @property
    def gradient_exprs(self) -> list[sp.Expr]:
        if self._gradient_exprs is None:
            self._gradient_exprs = [sp.diff(self.expr, s) for s in self.symbols]
        return self._gradient_exprs

    def hessian_exprs(self) -> list[list[sp.Expr]]:
        g = self.gradient_exprs
        rows = [[sp.S.Zero] * self.n for _ in range(self.n)]
        for i in range(self.n):
            for j in range(i, self.n):
                rows[i][j] = rows[j][i] = sp.diff(g[i], self.symbols[j])
        return rows

    def _grad_eval(self) -> _Evaluator:
        if self._g is None:
            self._g = _Evaluator(self.symbols, self.gradient_exprs, (self.n,))
        return self._g

    def _hess_eval(self) -> _Evaluator:
        if self._h is None:
            self._h = _Evaluator(self.symbols, self.hessian_exprs(), (self.n, self.n))
        return self._h

    def prepare(self, grad: bool = True, hess: bool = False) -> None:
        """Derive and compile ahead of a timed run, so a method's time is its own."""
        if grad:
            self._grad_eval()
        if hess and not self.prefers_hessp:
            self._hess_eval()

    # ---- uncounted evaluations (the tool's own) ------------------------------------------------
    def fun_uncounted(self, x) -> float:
        ev = self._f
        try:
            return float(ev.fast(*x.tolist()))
        except _MATH_ERRORS:
            return ev.safe(x)

    def grad_uncounted(self, x) -> np.ndarray:
        ev = self._g or self._grad_eval()
        try:
            return np.array(ev.fast(*x.tolist()), dtype=float)
        except _MATH_ERRORS:
            return ev.safe(x)

    def hess_uncounted(self, x) -> np.ndarray:
        ev = self._h or self._hess_eval()
        try:
            return np.array(ev.fast(*x.tolist()), dtype=float)
        except _MATH_ERRORS:
            return ev.safe(x)

    # ---- counted evaluations (what solvers call) ---------------------------------------------
    def fun(self, x) -> float:
        self.counts.nfev += 1
        ev = self._f
        try:
            return float(ev.fast(*x.tolist()))
        except _MATH_ERRORS:
            return ev.safe(x)

    def grad(self, x) -> np.ndarray:
        self.counts.njev += 1
        ev = self._g or self._grad_eval()
        try:
            return np.array(ev.fast(*x.tolist()), dtype=float)
        except _MATH_ERRORS:
            return ev.safe(x)

    def hess(self, x) -> np.ndarray:
        self.counts.nhev += 1
        return self.hess_uncounted(x)

    def hessp(self, x, p) -> np.ndarray:
        self.counts.nhev += 1
        return self.hess_uncounted(x) @ np.asarray(p, dtype=float)


@dataclass
class Constraint:
    """One compiled constraint in SciPy's convention: 'ineq' means g(x) >= 0, 'eq' means g(x) == 0."""

    kind: str
    text: str
    fun: Callable[[np.ndarray], float]
    jac: Callable[[np.ndarray], np.ndarray]


def compile_constraint(kind: str, text: str, expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Constraint:
    f = _Evaluator(symbols, expr, ())
    g = _Evaluator(symbols, [sp.diff(expr, s) for s in symbols], (len(symbols),))

    def fun(x):
        try:
            return float(f.fast(*np.asarray(x, dtype=float).tolist()))
        except _MATH_ERRORS:
            return f.safe(x)

    def jac(x):
        try:
            return np.array(g.fast(*np.asarray(x, dtype=float).tolist()), dtype=float)
        except _MATH_ERRORS:
            return g.safe(x)

    return Constraint(kind, text, fun, jac)
