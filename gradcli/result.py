"""What a solver returns: one plain record for every method, JSON-able as is."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np


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
    INTERRUPTED = "interrupted"
    """Ctrl-C during the run: the best feasible point it had evaluated, with its counts."""

    @property
    def success(self) -> bool:
        return self in _SUCCESS


_SUCCESS = {Status.CONVERGED, Status.GTOL, Status.FTOL, Status.XTOL, Status.STEPS}


class VerdictKind(str, enum.Enum):
    """What the returned point is, by our own evaluation (gradcli/checks/verdict.py decides)."""

    MINIMUM = "minimum"
    """Stationary (KKT with constraints) and the (reduced) Hessian positive definite."""
    DEGENERATE = "minimum (degenerate)"
    """Stationary, Hessian positive semi-definite, and f does not decrease along its zero directions."""
    NONSMOOTH_MIN = "minimum (non-smooth, sampled)"
    """Non-smooth f: no decrease among sampled nearby points (evidence, not proof)."""
    SADDLE = "saddle point"
    MAXIMUM = "maximum"
    NOT_STATIONARY = "not stationary"
    INFEASIBLE = "infeasible"
    NOT_FINITE = "not finite"
    MAXIMUM_DEGENERATE = "maximum (degenerate)"
    NONSMOOTH_MAX = "maximum (non-smooth, sampled)"
    NOT_VERIFIED = "not verified (curvature unknown)"
    """Stationary, but the curvature could not be established (Lanczos did not converge, array problems)."""
    NO_RESULT = "no result"
    """The run produced no point to judge (an error before any result)."""

    @property
    def is_minimum(self) -> bool:
        return self in (VerdictKind.MINIMUM, VerdictKind.DEGENERATE, VerdictKind.NONSMOOTH_MIN)

    @property
    def is_maximum(self) -> bool:
        return self in (VerdictKind.MAXIMUM, VerdictKind.MAXIMUM_DEGENERATE, VerdictKind.NONSMOOTH_MAX)

    def mirrored(self) -> VerdictKind:
        """The kind of the same point for −f (maximize solves min −f and reports f)."""
        return _MIRROR.get(self, self)

    def __str__(self) -> str:
        return self.value


_MIRROR = {VerdictKind.MINIMUM: VerdictKind.MAXIMUM, VerdictKind.MAXIMUM: VerdictKind.MINIMUM,
           VerdictKind.DEGENERATE: VerdictKind.MAXIMUM_DEGENERATE,
           VerdictKind.MAXIMUM_DEGENERATE: VerdictKind.DEGENERATE,
           VerdictKind.NONSMOOTH_MIN: VerdictKind.NONSMOOTH_MAX, VerdictKind.NONSMOOTH_MAX: VerdictKind.NONSMOOTH_MIN}


@dataclass
class Verdict:
    """What the point is, and the numbers that say so (all JSON-able)."""

    kind: VerdictKind
    reason: str
    f: float
    stationarity: float | None = None          # ‖∇f − Jᵀλ‖∞ (plain ‖∇f‖∞, projected with bounds)
    relative_gradient: float | None = None     # max_i |r_i|·max(1, |x_i|) / max(1, |f|): what is tested
    kkt_residual: float | None = None          # the same, relative: / max(1, |f|); None without constraints
    newton_step: float | None = None           # ‖H⁻¹∇f‖∞ when H is positive definite
    min_eig: float | None = None               # of the (reduced / projected Lagrangian) Hessian
    max_eig: float | None = None
    eigenvalues: list[float] | None = None     # all of them when n ≤ 10
    maxcv: float | None = None
    multipliers: dict[str, float] = field(default_factory=dict)
    active: list[str] = field(default_factory=list)

    @property
    def is_minimum(self) -> bool:
        return VerdictKind(self.kind).is_minimum

    def as_extra(self) -> dict:
        """Keys merged into a Result's JSON record (``verdict`` is the kind, a string).

        Eigenvalues are reported to their accuracy: a backward-stable eigensolver is exact only up to
        ~eps·max|λ| (Golub & Van Loan, Thm 8.1.4), and the last bits below that were seen to differ
        between worker processes for the same matrix; they are rounded to a power of two near
        64·eps·max|λ| so a study's records are the same wherever they ran.
        """
        q = _eig_quantum(self.min_eig, self.max_eig)
        out = {"verdict": VerdictKind(self.kind).value, "verdict_reason": self.reason,
               "stationarity": self.stationarity, "relative_gradient": self.relative_gradient,
               "min_eig": _quantize(self.min_eig, q), "max_eig": _quantize(self.max_eig, q),
               "kkt_residual": self.kkt_residual}
        if self.newton_step is not None:
            out["newton_step"] = self.newton_step
        if self.eigenvalues is not None:
            out["eigenvalues"] = [_quantize(e, q) for e in self.eigenvalues]
        if self.maxcv is not None:
            out["maxcv"] = self.maxcv
        if self.multipliers:
            out["multipliers"] = self.multipliers
        return out


def _eig_quantum(lo, hi) -> float | None:
    finite = [abs(v) for v in (lo, hi) if v is not None and np.isfinite(v)]
    scale = max(finite) if finite else 0.0
    if scale == 0.0:
        return None
    return 2.0 ** np.ceil(np.log2(64 * np.finfo(float).eps * scale))


def _quantize(v, q):
    if v is None or q is None or not np.isfinite(v):
        return v
    return float(np.round(v / q) * q)


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
    x: np.ndarray | None = field(default=None, repr=False)   # the iterate (a copy): paths in plots, x in --json

    def as_dict(self) -> dict:
        return {k: _jsonable(v) for k, v in self.__dict__.items() if k not in ("alpha", "x") or v is not None}


@dataclass
class Result:
    """One run of one method. Field names follow SciPy's OptimizeResult."""

    method: str
    x: np.ndarray
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
    extra: dict = field(default_factory=dict)   # method-specific facts only (settings, auto's reason), JSON-able
    x_named: dict | None = field(default=None, repr=False)   # {variable: float, or ndarray for array variables}
    verdict: Verdict | None = None              # our own judgement of x (None with --no-verify)
    stopping: list | None = field(default=None, repr=False)   # checks.stopping.Measure records
    x0: list[float] | None = field(default=None, repr=False)
    best_seen: dict | None = field(default=None, repr=False)  # a better point the method evaluated but did not return
    maxcv: float | None = None                  # largest bound/constraint violation at x (constrained problems)
    sense: str = "min"                          # "max": maximize's result, f and the verdict are of f itself
    setup_time: float | None = field(default=None, repr=False)  # compiling derivatives before the run, not in time

    def __post_init__(self):
        self.x = np.array(self.x, dtype=float).ravel()

    @property
    def success(self) -> bool:
        return self.status.success

    @property
    def verified(self) -> bool:
        """A verdict was computed and says what was asked for: a minimum (a maximum for maximize)."""
        if self.verdict is None:
            return False
        kind = VerdictKind(self.verdict.kind)
        return kind.is_maximum if self.sense == "max" else kind.is_minimum

    def __repr__(self) -> str:
        verdict = f", verdict={self.verdict.kind.value!r}" if self.verdict is not None else ""
        x = np.array2string(self.x, precision=8, separator=", ", threshold=8)
        return (f"Result(method={self.method!r}, x={x}, fun={self.fun:.10g}, nit={self.nit}, nfev={self.nfev}, "
                f"njev={self.njev}, nhev={self.nhev}, status={self.status.value!r}{verdict})")

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
        if self.x0 is not None:
            out["x0"] = _jsonable(self.x0)
        if self.x_named is not None and "x_named" not in self.extra:
            out["x_named"] = {k: _jsonable(v) for k, v in self.x_named.items()}
        if self.maxcv is not None:
            out["maxcv"] = _jsonable(self.maxcv)
        if self.best_seen is not None:
            out["best_seen"] = _jsonable(self.best_seen)
        if self.verdict is not None:
            out.update({k: _jsonable(v) for k, v in self.verdict.as_extra().items()})
        if self.stopping is not None:
            out["stopping"] = [m.as_dict() for m in self.stopping]
        out.update({k: _jsonable(v) for k, v in self.extra.items()})
        if with_trace and self.trace is not None:
            out["trace"] = [row.as_dict() for row in self.trace]
        return out


def _jsonable(v):
    """JSON has no nan/inf: they become null, and the status says why."""
    if v is None:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_jsonable(a) for a in v]
    if isinstance(v, dict):
        return {k: _jsonable(a) for k, a in v.items()}
    if isinstance(v, (bool, int, str, enum.Enum)):
        return v.value if isinstance(v, enum.Enum) else v
    if isinstance(v, np.integer):
        return int(v)
    v = float(v)
    return v if math.isfinite(v) else None
