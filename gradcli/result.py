"""What a solver returns: one plain record for every method, JSON-able as is."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field


class Status(str, enum.Enum):
    """Why a run stopped. ``success`` follows from the member, never from a solver's flag alone."""

    CONVERGED = "converged"
    """The method's own convergence test held (SciPy's success, or all our tests)."""
    GTOL = "gradient norm below gtol"
    """‖∇f‖∞ fell below --gtol."""
    FTOL = "relative change in f below ftol"
    """|Δf| ≤ ftol·max(1, |f|) between iterations."""
    XTOL = "step below xtol"
    """‖Δx‖∞ ≤ xtol: the iterates stopped moving."""
    STEPS = "requested steps done"
    """A fixed schedule was asked for and run to the end: the gd family on an array problem without --gtol
    (training semantics, as Theano's tutorial loop: lr 0.1 for 10 000 steps). The verdict judges the point."""
    MAXITER = "iteration limit reached"
    """--maxiter iterations were done without meeting a convergence test."""
    MAXFEV = "evaluation limit reached"
    """The method ran out of function evaluations."""
    LINE_SEARCH = "line search failed"
    """No step along the search direction decreased f enough (often: precision exhausted)."""
    PRECISION = "precision loss"
    """The method could not make progress in floating point (SciPy's 'precision loss')."""
    DIVERGED = "diverged"
    """f or x became non-finite or f fell below -1e20: the steps blew up, or f is unbounded below."""
    NONFINITE = "non-finite value"
    """f or its gradient was nan/inf at a point the method needed."""
    INFEASIBLE = "infeasible"
    """The constraints are violated at the returned point."""
    TIMEOUT = "time limit reached"
    """The run overran its --timeout; it was stopped at its next evaluation."""
    FAILED = "failed"
    """The method stopped for another reason; the message says which."""
    ERROR = "error"
    """The method raised an exception; the message carries it."""

    @property
    def success(self) -> bool:
        return self in _SUCCESS


_SUCCESS = {Status.CONVERGED, Status.GTOL, Status.FTOL, Status.XTOL, Status.STEPS}


@dataclass
class TraceRow:
    """One iteration as a solver saw it."""

    iteration: int
    f: float
    grad_norm: float | None
    step: float | None
    nfev: int
    njev: int
    alpha: float | None = None     # the step rule's α (our gd family); step above is ‖Δx‖∞

    def as_dict(self) -> dict:
        return {k: _jsonable(v) for k, v in self.__dict__.items() if k != "alpha" or v is not None}


@dataclass
class Result:
    """One run of one method. Field names follow SciPy's OptimizeResult."""

    method: str
    x: list[float]
    fun: float
    grad_norm: float | None
    nit: int | None
    nfev: int
    njev: int
    nhev: int
    time: float
    status: Status
    message: str
    trace: list[TraceRow] | None = None
    extra: dict = field(default_factory=dict)   # method-specific facts (e.g. maxcv), JSON-able
    x_named: dict | None = field(default=None, repr=False)   # array problems: {variable: ndarray or float}

    @property
    def success(self) -> bool:
        return self.status.success

    def as_dict(self, with_trace: bool = False) -> dict:
        out = {
            "method": self.method,
            "x": [_jsonable(v) for v in self.x],
            "fun": _jsonable(self.fun),
            "grad_norm": _jsonable(self.grad_norm),
            "nit": self.nit,
            "nfev": self.nfev,
            "njev": self.njev,
            "nhev": self.nhev,
            "time": self.time,
            "success": self.success,
            "status": self.status.value,
            "message": self.message,
        }
        out.update({k: _jsonable(v) for k, v in self.extra.items()})
        if with_trace and self.trace is not None:
            out["trace"] = [row.as_dict() for row in self.trace]
        return out


def _jsonable(v):
    """JSON has no nan/inf: they become null, and the status says why."""
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return [_jsonable(a) for a in v]
    if isinstance(v, dict):
        return {k: _jsonable(a) for k, a in v.items()}
    if isinstance(v, (bool, int, str)):
        return v
    v = float(v)
    return v if math.isfinite(v) else None
