"""What every solver adapter shares: settings in, the Result out, status from the method's own words."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from gradcli.result import Result, Status, TraceRow

DIVERGENCE_LIMIT = -1e20    # f below this is treated as unbounded below (COBYQA 'converges' to -4.8e30 on x**3)


class TimeLimit(Exception):
    """Raised from inside an evaluation when a run's time budget is spent."""

    status = Status.TIMEOUT


class Interrupted(KeyboardInterrupt):
    """Ctrl-C inside a run, carrying that run's Result: the caller keeps it and stops (a KeyboardInterrupt
    still, so whatever stops on Ctrl-C stops on this too)."""

    def __init__(self, result):
        super().__init__("interrupted")
        self.result = result


class EvaluationLimit(TimeLimit):
    """Raised from inside an evaluation when a run's evaluation budget (auto's --maxfev) is spent."""

    status = Status.MAXFEV


@dataclass
class Settings:
    """Options common to all methods plus the method-specific ones in ``options``."""

    tol: float | None = None
    maxiter: int | None = None
    seed: int | None = None
    bounds: list[tuple[float, float]] | None = None
    constraints: list = field(default_factory=list)     # compiled Constraint objects
    trace: bool = False
    gradient: str = "exact"     # "fd": SciPy's own finite differences (jac=None) instead of our derivative
    options: dict = field(default_factory=dict)


class Tracer:
    """Records one row per iteration from the point the method reports, using uncounted evaluations."""

    def __init__(self, objective, enabled: bool):
        self.objective = objective
        self.enabled = enabled
        self.rows: list[TraceRow] | None = [] if enabled else None
        self._last: np.ndarray | None = None

    def start(self, x0: np.ndarray) -> None:
        self._last = np.array(x0, dtype=float)
        if self.enabled:
            self.record(x0, count=False)

    def record(self, x, count: bool = True) -> None:
        if not self.enabled:
            return
        x = np.array(x, dtype=float).ravel()
        step = float(np.max(np.abs(x - self._last))) if self._last is not None and count else None
        self._last = x
        g = self.objective.grad_uncounted(x)
        c = self.objective.counts
        self.rows.append(TraceRow(len(self.rows), self.objective.fun_uncounted(x),
                                  float(np.max(np.abs(g))) if g.size else 0.0, step, c.nfev, c.njev, x=x))

    def callback(self, xk, *args):
        """SciPy's legacy callback signature (xk[, state]); works for every minimize method."""
        x = getattr(xk, "x", xk)
        self.record(x)


def status_from_scipy(success: bool, message: str) -> Status:
    if success:
        return Status.CONVERGED
    m = (message or "").lower()
    if "nan" in m or "inf" in m and "infeasib" not in m:
        return Status.NONFINITE
    if "precision" in m:
        return Status.PRECISION
    if "line search" in m or "linesearch" in m or "abnormal" in m:
        return Status.LINE_SEARCH
    if "function evaluation" in m or "maxfun" in m or "maxfev" in m:
        return Status.MAXFEV
    if "iteration" in m:
        return Status.MAXITER
    if "infeasib" in m or "constraint" in m and "violat" in m:
        return Status.INFEASIBLE
    return Status.FAILED


def finish(method: str, objective, x, status: Status, message: str, nit, started: float,
           tracer: Tracer | None = None, extra: dict | None = None) -> Result:
    """Build the Result: counts from our counters, ‖∇f(x*)‖∞ from an uncounted evaluation."""
    elapsed = time.perf_counter() - started
    x = np.array(x, dtype=float).ravel()
    nfev, njev, nhev = objective.counts.snapshot()
    fun = objective.fun_uncounted(x) if np.all(np.isfinite(x)) else math.nan
    if np.all(np.isfinite(x)):
        g = objective.grad_uncounted(x)
        grad_norm = float(np.max(np.abs(g))) if g.size else 0.0
    else:
        grad_norm = math.nan
    if fun == -math.inf or fun < DIVERGENCE_LIMIT:
        status, message = Status.DIVERGED, f"f = {fun:.3g} at the returned point: unbounded below? {message}".strip()
    elif not (math.isfinite(fun) and np.all(np.isfinite(x))):
        status, message = Status.NONFINITE, f"f or x is not finite at the returned point. {message}".strip()
    return Result(method=method, x=x, fun=fun, grad_norm=grad_norm, nit=None if nit is None else int(nit),
                  nfev=nfev, njev=njev, nhev=nhev, time=elapsed, status=status, message=message,
                  trace=tracer.rows if tracer else None, extra=extra or {})


def error_result(method: str, objective, x0, exc: BaseException, started: float, best=None) -> Result:
    """A method that raised: recorded as an error with its message and the counts so far, never a crash.
    A run stopped by its time limit reports the best feasible point it evaluated (``best``: a BestSeen)."""
    nfev, njev, nhev = objective.counts.snapshot()
    elapsed = time.perf_counter() - started
    if isinstance(exc, KeyboardInterrupt):
        if best is not None and best.best_x is not None:
            r = finish(method, objective, best.best_x, Status.INTERRUPTED, "Ctrl-C; the best feasible point it "
                       "evaluated is returned", None, started)
            r.time = elapsed
            return r
        status, message = Status.INTERRUPTED, "Ctrl-C before any feasible point was evaluated"
    elif isinstance(exc, TimeLimit):
        if best is not None and best.best_x is not None:
            r = finish(method, objective, best.best_x, exc.status, f"{exc}; the best feasible point it "
                       "evaluated is returned", None, started)
            r.time = elapsed
            return r
        status, message = exc.status, str(exc)
    else:
        status, message = Status.ERROR, f"{type(exc).__name__}: {exc}"[:300]
    x = np.array(x0, dtype=float).ravel()
    return Result(method=method, x=x, fun=math.nan, grad_norm=None, nit=None, nfev=nfev, njev=njev,
                  nhev=nhev, time=elapsed, status=status, message=message)
