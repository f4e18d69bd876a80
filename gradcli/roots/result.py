"""One root-finder run as a plain, JSON-able record: SciPy's answer, our counts beside SciPy's, our verdict."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from gradcli.roots.verdict import NO_RESULT, judge, verified


@dataclass
class RootRun:
    method: str
    x: list[float]
    fun: list[float]                 # F(x), evaluated by us
    residual: float                  # ‖F(x)‖∞, ours
    tol: float
    nit: int | None                  # iterations, as SciPy reports them (None: not reported)
    nfev: int                        # f / F evaluations, counted by us
    njev: int                        # f′ / Jacobian evaluations, counted by us
    nhev: int                        # f″ evaluations, counted by us
    time: float
    success: bool                    # SciPy's own flag
    message: str                     # SciPy's own message
    verdict: str
    verdict_reason: str
    cond: float | None = None
    scipy_counts: dict = field(default_factory=dict)
    count_mismatch: dict = field(default_factory=dict)
    jacobian: str = ""               # what the method was given: exact, exact f′ and f″, none
    iterates: list[float] = field(default_factory=list)   # one equation: every x f was evaluated at
    history: list | None = None      # compare --history: [evaluations, best ‖F‖∞ so far] (gradcli.roots.watch)
    timed_out: bool = False          # stopped by compare's --timeout

    @property
    def verified(self) -> bool:
        return verified(self.verdict)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("method", "x", "fun", "residual", "tol", "nit", "nfev", "njev", "nhev",
                                            "time", "success", "message", "verdict", "verdict_reason", "cond",
                                            "scipy_counts", "count_mismatch", "jacobian")}
        d["verified"] = self.verified
        for k in ("residual", "cond"):
            if isinstance(d[k], float) and not math.isfinite(d[k]):
                d[k] = str(d[k])
        d["fun"] = [v if math.isfinite(v) else str(v) for v in d["fun"]]
        d["x"] = [v if math.isfinite(v) else str(v) for v in d["x"]]
        return d


class Clock:
    """Counts reset and a timer started at construction; ``done`` judges the point and builds the record."""

    def __init__(self, eqs, method: str, tol: float, reset: bool = True, started: float | None = None):
        """``reset=False``: a clock for a run already under way (its counts kept, its start time given)."""
        self.eqs, self.method, self.tol = eqs, method, tol
        if reset:
            eqs.counts.reset()
        self.start = time.perf_counter() if started is None else started

    def done(self, x, *, nit, success, message, scipy_counts, ours_vs_theirs, jacobian="",
             iterates=None) -> RootRun:
        """``ours_vs_theirs`` maps a SciPy count name to our number for the same thing (None: not comparable)."""
        elapsed = time.perf_counter() - self.start
        c = self.eqs.counts
        nfev, njev, nhev = c.nfev, c.njev, c.nhev
        v = judge(self.eqs, x, self.tol)
        xs = [float(a) for a in np.atleast_1d(np.asarray(x, dtype=float))]
        mismatch = {k: [ours_vs_theirs[k], int(theirs)] for k, theirs in scipy_counts.items()
                    if ours_vs_theirs.get(k) is not None and ours_vs_theirs[k] != int(theirs)}
        return RootRun(self.method, xs, v.fun, v.residual, self.tol, None if nit is None else int(nit), nfev, njev,
                       nhev, elapsed, bool(success), " ".join(str(message).split()), v.kind, v.reason, v.cond,
                       {k: int(t) for k, t in scipy_counts.items()}, mismatch, jacobian, list(iterates or []))

    def error(self, message: str, x=None) -> RootRun:
        """The method raised: no point to judge (or the last one it evaluated, judged)."""
        if x is not None:
            return self.done(x, nit=None, success=False, message=message, scipy_counts={}, ours_vs_theirs={})
        c = self.eqs.counts
        return RootRun(self.method, [], [], math.nan, self.tol, None, c.nfev, c.njev, c.nhev,
                       time.perf_counter() - self.start, False, message, NO_RESULT, message)
