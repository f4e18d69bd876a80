"""Watching a run's evaluations: best point seen, deadline, history, progress — attached in one place.

``Observable.observed(*observers)`` swaps the objective's counted members for wrappers that tell every
observer about every evaluation (``fun``, ``grad``, ``value_and_grad``, ``hess``, ``hessp``; training
mode included, since it calls these too), and restores them on exit. With no observer attached nothing
is wrapped, so the hot path costs exactly what it did.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager

import numpy as np

_COUNTED = ("fun", "grad", "value_and_grad", "hess", "hessp")
_MISSING = object()


class Observer:
    """Override what you need. ``before`` may raise (a deadline); ``evaluated`` sees every f computed."""

    def before(self, objective) -> None:
        pass

    def evaluated(self, objective, x, f: float) -> None:
        pass


class Observable:
    """Mixin for objectives: the one place observers attach."""

    @contextmanager
    def observed(self, *observers):
        watching = [o for o in observers if o is not None]
        if not watching:
            yield self
            return
        saved = {name: self.__dict__.get(name, _MISSING) for name in _COUNTED}
        for name in _COUNTED:
            setattr(self, name, _wrap(self, name, getattr(self, name), watching))
        try:
            yield self
        finally:
            for name, value in saved.items():
                if value is _MISSING:
                    self.__dict__.pop(name, None)
                else:
                    setattr(self, name, value)


def _wrap(objective, name, fn, observers):
    if name == "fun":
        def fun(x):
            for o in observers:
                o.before(objective)
            f = fn(x)
            for o in observers:
                o.evaluated(objective, x, f)
            return f
        return fun
    if name == "value_and_grad":
        def value_and_grad(x):
            for o in observers:
                o.before(objective)
            f, g = fn(x)
            for o in observers:
                o.evaluated(objective, x, f)
            return f, g
        return value_and_grad

    def other(*args):
        for o in observers:
            o.before(objective)
        return fn(*args)
    return other


class BestSeen(Observer):
    """The lowest f evaluated at a feasible point: a solver may return a worse point than one it saw."""

    def __init__(self, feasible=None):
        self.feasible = feasible
        self.best_f = math.inf
        self.best_x: np.ndarray | None = None

    def evaluated(self, objective, x, f):
        if f < self.best_f and (self.feasible is None or self.feasible(x)):
            self.best_f, self.best_x = f, np.array(x, dtype=float)


class Deadline(Observer):
    """Stops a run at its next evaluation once ``seconds`` have passed (``TimeLimit``)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.perf_counter() + seconds

    def before(self, objective):
        if time.perf_counter() > self.end:
            from gradcli.solvers.common import TimeLimit
            raise TimeLimit(f"stopped after --timeout {self.seconds:g} s")


class Budget(Observer):
    """Stops a run once it has made ``maxfev`` f evaluations (``EvaluationLimit``)."""

    def __init__(self, maxfev: int):
        self.maxfev = maxfev

    def before(self, objective):
        if objective.counts.nfev >= self.maxfev:
            from gradcli.solvers.common import EvaluationLimit
            raise EvaluationLimit(f"stopped after {self.maxfev} f evaluations (--maxfev)")


class History(Observer):
    """(evaluations so far, best f so far) each time f improves: what data profiles and ECDFs read."""

    def __init__(self):
        self.points: list[list[float]] = []
        self.best = math.inf

    def evaluated(self, objective, x, f):
        if f < self.best and math.isfinite(f):
            self.best = f
            c = objective.counts
            self.points.append([c.nfev + c.njev, f])
