"""Step rules of the gradient-descent family: how far to go along a direction d.

``take(objective, box, x, f, g, d)`` returns the accepted Trial (point, its f, the step α) or None
when no step was acceptable; ``accepted(x, g, trial, g_new)`` lets a rule learn from the step taken.
Every f a rule evaluates goes through the counted ``objective.fun``; the accepted trial's f is handed
back to the loop so it is never evaluated twice. With bounds, trial points are projected onto the box
(the projection arc of Bertsekas 1976 / Bertsekas 1999 §2.3) and decrease is measured along it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

# Sufficient-decrease constant c1 of the Armijo condition f(x + αd) ≤ f_ref + c1·∇fᵀ(αd): 1e-4 is the
# value Nocedal & Wright (2006, §3.1) call typical, and Raydan's γ (1997, Algorithm 2.1).
C1 = 1e-4
SHRINK = 0.5          # backtracking factor: α ← α/2 (Armijo 1966's halving)
MAX_BACKTRACKS = 60   # 0.5**60 ≈ 1e-18: beyond that the step is below floating-point resolution


@dataclass
class Trial:
    """A point a step rule accepted."""

    x: np.ndarray
    f: float | None                  # None: not evaluated (training mode of a fixed step, see gd.run)
    alpha: float
    g: np.ndarray | None = None      # ∇f at x when the rule evaluated it together with f


def first_step(d: np.ndarray) -> float:
    """A first trial α that moves no coordinate by more than 1 (and never more than α = 1)."""
    big = float(np.max(np.abs(d))) if d.size else 0.0
    return 1.0 if big <= 1.0 else 1.0 / big


def backtrack(objective, box, x, g, d, alpha: float, reference: float) -> Trial | None:
    """Halve α until f(P(x + αd)) ≤ reference + c1·∇fᵀ(P(x + αd) − x); None if it never holds.

    ``reference`` is f(x) for the monotone Armijo rule and the largest recent f for the nonmonotone
    one. A non-finite trial f fails the test (nan compares false), so a step into a region where f
    overflows is shortened rather than accepted.
    """
    for _ in range(MAX_BACKTRACKS):
        xt = box.project(x + alpha * d)
        s = xt - x
        if not np.any(s):          # the step vanished in floating point: nothing left to try
            return None
        ft = objective.fun(xt)
        if ft <= reference + C1 * float(g @ s):
            return Trial(xt, ft, alpha)
        alpha *= SHRINK
    return None


class FixedStep:
    """x⁺ = P(x + lr·d): no line search; a too-large lr is caught by the loop as divergence."""

    name = "fixed"

    def __init__(self, lr: float, f_every: int = 1):
        self.lr = lr
        self.f_every = f_every      # >1: training mode, f evaluated every f_every steps only (see gd.run)
        self.k = 0

    def take(self, objective, box, x, f, g, d) -> Trial:
        xt = box.project(x + self.lr * d)
        if self.f_every > 1:
            self.k += 1
            if self.k % self.f_every:
                return Trial(xt, None, self.lr, objective.grad(xt))
        if objective.capabilities.fused_value_and_grad:
            # the loop needs ∇f at every accepted point and a fixed step accepts every point: an array
            # objective computes both in one pass (counted as one f and one ∇f evaluation, as before)
            ft, gt = objective.value_and_grad(xt)
            return Trial(xt, ft, self.lr, gt)
        return Trial(xt, objective.fun(xt), self.lr)

    def accepted(self, x, g, trial, g_new) -> None:
        pass


class Armijo:
    """Backtracking with the Armijo sufficient-decrease test (c1 = 1e-4, halving).

    The first trial α of each iteration follows Nocedal & Wright (2006) eq. 3.60: assume the
    first-order change αₖ·∇fₖᵀdₖ equals the last one, α₀ = αₖ₋₁·∇fₖ₋₁ᵀdₖ₋₁ / ∇fₖᵀdₖ, which lets the step
    grow again after a short one. When the previous first trial was accepted outright, α₀ is at least
    that α: otherwise on a function unbounded below (x³) the growing gradient shrinks α and the run
    crawls instead of being caught as diverged (measured: Rosenbrock 7914 iterations instead of 8515).
    """

    name = "armijo"

    def __init__(self, first: float | None = None):
        self.first = first
        self.last: tuple[float, float, bool] | None = None   # previous (α, ∇fᵀd, first trial accepted)

    def take(self, objective, box, x, f, g, d) -> Trial | None:
        slope = float(g @ d)
        if self.last is None or slope >= 0:
            alpha = self.first or first_step(d)
        else:
            last_alpha, last_slope, outright = self.last
            alpha = last_alpha * last_slope / slope
            if outright:
                alpha = max(alpha, last_alpha)
        trial = backtrack(objective, box, x, g, d, alpha, f)
        if trial is not None:
            self.last = (trial.alpha, slope, trial.alpha == alpha)
        return trial

    def accepted(self, x, g, trial, g_new) -> None:
        pass


class BarzilaiBorwein:
    """Barzilai–Borwein steps with Raydan's nonmonotone safeguard (global BB, Raydan 1997).

    The step is BB's first formula α = sᵀs / sᵀy (Barzilai & Borwein 1988, eq. 5; s = xₖ − xₖ₋₁,
    y = ∇fₖ − ∇fₖ₋₁), the one Raydan proved globally convergent with a nonmonotone line search; the
    other formula sᵀy / yᵀy is shorter and more cautious, which wastes BB's long steps. A trial is
    accepted when f falls c1·|∇fᵀs| below the largest of the last M = 10 values of f (Grippo,
    Lampariello & Lucidi 1986), else α is halved (Raydan interpolates in [0.1α, 0.5α]; halving is
    the simplest member of that interval). α is clamped to [1e-10, 1e10], and sᵀy ≤ 0 (f not convex
    along s) gives the largest step, 1e10, as in SPG (Birgin, Martínez & Raydan 2000, eq. 2.2) rather
    than Raydan's δ: the line search shortens it if needed, and on a function unbounded below the run
    is caught as diverged at once instead of creeping along one unit per iteration.
    """

    name = "bb"
    MEMORY = 10            # M, Raydan 1997 §4
    EPS = 1e-10            # α kept in [ε, 1/ε], Raydan 1997 Algorithm 2.1

    def __init__(self, first: float | None = None):
        self.first = first
        self.alpha: float | None = None
        self.recent: deque[float] = deque(maxlen=self.MEMORY)

    def take(self, objective, box, x, f, g, d) -> Trial | None:
        if not self.recent:
            self.recent.append(f)
        alpha = self.alpha if self.alpha is not None else (self.first or first_step(d))
        return backtrack(objective, box, x, g, d, alpha, max(self.recent))

    def accepted(self, x, g, trial, g_new) -> None:
        s, y = trial.x - x, g_new - g
        sy = float(s @ y)
        alpha = float(s @ s) / sy if sy > 0 else 1 / self.EPS
        self.alpha = min(max(alpha, self.EPS), 1 / self.EPS)
        self.recent.append(trial.f)
