"""Watching a root finder's evaluations: compare's --timeout and the convergence history of data profiles.

The same idea as gradcli/compiled/observers.py (Deadline, History) for minimize runs, on the counted calls
of ``Equations`` (F, J for systems; f, f′, f″ for one equation): each is swapped for a wrapper for one run
and restored after. With neither a deadline nor a history nothing is wrapped, so the hot path is unchanged.

- deadline: the call after ``seconds`` raises ``TimeUp`` (not a RuntimeError/ValueError, which the runners
  turn into a failed run); the run becomes a "time limit reached" record judged at the best point seen.
- history: (evaluations so far, best ‖F‖∞ so far) each time ‖F‖∞ improves; evaluations are f + f′ + f″
  (one equation) or F + J (systems), as the record's counts.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager

import numpy as np

_MISSING = object()


class TimeUp(Exception):
    """A root finder passed compare's --timeout (raised from inside an evaluation)."""


class Watch:
    def __init__(self, eqs, seconds: float | None = None, history: bool = False):
        self.eqs, self.seconds = eqs, seconds
        self.end = None if seconds is None else time.perf_counter() + seconds
        self.points: list[list[float]] | None = [] if history else None
        self.best, self.best_x = math.inf, None

    def _check(self) -> None:
        if self.end is not None and time.perf_counter() > self.end:
            raise TimeUp

    def _seen(self, x, value: float) -> None:
        if value < self.best:          # nan compares false: never the best
            self.best, self.best_x = value, np.array(x, dtype=float, ndmin=1)
            if self.points is not None:
                c = self.eqs.counts
                self.points.append([c.nfev + c.njev + c.nhev, value])

    @contextmanager
    def attached(self):
        if self.end is None and self.points is None:
            yield self
            return
        eqs = self.eqs
        saved = {name: eqs.__dict__.get(name, _MISSING) for name in ("F", "J", "f", "d1", "d2")}
        F, f = eqs.F, eqs.f

        def watched_F(x):
            self._check()
            out = F(x)
            self._seen(x, float(np.max(np.abs(out))) if np.size(out) else 0.0)
            return out

        def watched_f(x):
            self._check()
            out = f(x)
            self._seen(x, abs(out))
            return out

        def deadline(fn):
            def call(x):
                self._check()
                return fn(x)
            return call

        eqs.F, eqs.f = watched_F, watched_f
        eqs.J, eqs.d1, eqs.d2 = deadline(eqs.J), deadline(eqs.d1), deadline(eqs.d2)
        try:
            yield self
        finally:
            for name, value in saved.items():
                if value is _MISSING:
                    eqs.__dict__.pop(name, None)
                else:
                    setattr(eqs, name, value)
