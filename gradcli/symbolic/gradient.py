"""The symbolic gradient (and Hessian) of a problem for people to read, with bounded simplification.

SymPy's ``simplify`` has no time limit and can take minutes on a few hundred operations, so it is
only tried on small expressions (``SIMPLIFY_MAX_OPS``), only while a total time budget lasts
(``SIMPLIFY_BUDGET`` seconds, enforced with a SIGALRM timer where the platform allows), and its result
is kept only when it is shorter. Anything else is shown as differentiated: correct, just less tidy.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from dataclasses import dataclass

import numpy as np
import sympy as sp

from gradcli.symbolic.compile import Objective
from gradcli.problem.core import Problem, _vector

SIMPLIFY_MAX_OPS = 150      # count_ops above which simplify is not even tried
SIMPLIFY_MAX_EXPANSION = 5000   # terms x exponent of the largest power of a sum simplify would expand
SIMPLIFY_BUDGET = 2.0       # seconds of simplification for the whole gradient (and Hessian)


@dataclass
class SymbolicGradient:
    """∇f (and optionally ∇²f) as SymPy expressions, with values at a point when one was given."""

    variables: tuple[str, ...]
    gradient: list[sp.Expr]
    values: list[float] | None = None
    hessian: list[list[sp.Expr]] | None = None
    hessian_values: list[list[float]] | None = None
    point: list[float] | None = None
    simplified: bool = True         # False when the size limit or the time budget stopped simplification


class _Timeout(BaseException):
    """BaseException, so that SymPy's internal ``except Exception`` blocks cannot swallow the alarm."""


def _expansion_size(expr: sp.Expr) -> int:
    """What simplify's polynomial steps (cancel, expand) would write out for the largest power of a sum:
    (a1+…+ak)**n has C(n+k-1, k-1) terms with coefficients of ~n digits. count_ops sees (x+1)**1000 as
    two operations, and simplify spent its whole 2 s budget expanding it; (x+y+z)**40 takes 3 s."""
    worst = 0
    for p in expr.atoms(sp.Pow):
        if p.base.is_Add and p.exp.is_Integer:
            k, n = len(p.base.args), abs(int(p.exp))
            worst = max(worst, math.comb(n + k - 1, k - 1) * n)
    return worst


class _Simplifier:
    """Simplifies expressions one by one until the shared time budget is spent."""

    def __init__(self, budget: float = SIMPLIFY_BUDGET, max_ops: int = SIMPLIFY_MAX_OPS):
        self.deadline = time.monotonic() + budget
        self.max_ops = max_ops
        self.complete = True
        self.cache: dict[sp.Expr, sp.Expr] = {}

    def __call__(self, expr: sp.Expr) -> sp.Expr:
        if expr in self.cache:
            return self.cache[expr]
        left = self.deadline - time.monotonic()
        ops = sp.count_ops(expr)
        if left <= 0 or ops > self.max_ops or _expansion_size(expr) > SIMPLIFY_MAX_EXPANSION:
            self.complete = False
            return expr
        try:
            out = _with_alarm(left, lambda: sp.simplify(expr))
        except _Timeout:
            self.complete = False
            return expr
        out = out if sp.count_ops(out) <= ops else expr
        self.cache[expr] = out
        return out


REPEAT = 0.05    # seconds between alarms after the first, until the work is interrupted


def _with_alarm(seconds: float, work):
    """Run ``work`` and interrupt it after ``seconds`` (SIGALRM; main thread on Unix only, else unbounded
    except by the size limit).

    The alarm repeats every REPEAT seconds until the work stops: Python swallows an exception raised
    while it runs a weakref callback or ``__del__`` (SymPy's caches have both), so a single alarm can be
    lost and the work would run on unbounded (seen: 9.6 s for a 2 s budget)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return work()
    armed = [True]

    def ring(signum, frame):
        # not from inside a weakref callback or __del__: Python would swallow it there and print
        # "Exception ignored in ..." on stderr; the next alarm, REPEAT seconds later, lands in the work
        if armed[0] and not _in_finalizer(frame):
            raise _Timeout()

    old = signal.signal(signal.SIGALRM, ring)
    try:                      # armed inside the try: an alarm that beats work() still reaches the finally
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3), REPEAT)
        return work()
    finally:
        try:                  # an alarm landing here may abort this first line, never the inner finally
            armed[0] = False
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def _in_finalizer(frame) -> bool:
    code = frame.f_code if frame is not None else None
    return code is not None and (code.co_name == "__del__" or code.co_filename.endswith(("weakref.py",
                                                                                         "_weakrefset.py")))


def _floats(a) -> list[float | None]:
    """A vector as floats; non-finite numbers become None so that the JSON stays JSON."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(a, dtype=float).ravel()]


def symbolic_gradient(problem: Problem, at=None, hessian: bool = False,
                      budget: float = SIMPLIFY_BUDGET) -> SymbolicGradient:
    """The gradient (and Hessian) of ``problem``; ``at`` (list in variable order or dict by name) adds
    values from the compiled objective, uncounted."""
    objective = Objective(problem.expr, problem.symbols, problem.variables)
    simplify = _Simplifier(budget)
    out = SymbolicGradient(problem.variables, [simplify(g) for g in objective.gradient_exprs])
    if hessian:
        out.hessian = [[simplify(h) for h in row] for row in objective.hessian_exprs()]
    out.simplified = simplify.complete
    if at is not None:
        x = np.array(_vector(at, problem.variables, "--at"), dtype=float)
        out.point = x.tolist()
        out.values = _floats(objective.grad_uncounted(x))
        if hessian:
            out.hessian_values = [_floats(row) for row in np.atleast_2d(objective.hess_uncounted(x))]
    return out
