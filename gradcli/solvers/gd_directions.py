"""Direction rules of the gradient-descent family: where to go from x, given ∇f(x).

Each rule is a small object with ``next(g) -> d`` (and its own memory), in the spirit of optax's
``init``/``update`` pairs (optax ``_src/transform.py``): the loop in ``gd.py`` composes one of these
with a step rule from ``gd_steps.py``. A rule sees only gradients the loop already evaluated, so it
never costs an evaluation of its own.
"""

from __future__ import annotations

import numpy as np


class Steepest:
    """d = −∇f: plain gradient descent (Cauchy 1847)."""

    name = "steepest"

    def next(self, g: np.ndarray) -> np.ndarray:
        return -g


class HeavyBall:
    """Polyak's heavy ball (1964): m ← β·m + ∇f, d = −m.

    With a fixed step lr this is x⁺ = x − lr·∇f(x) + β·(x − x⁻), the textbook form, written the
    way optax's ``trace`` transform keeps it (velocity in gradient units, so lr keeps its meaning).
    """

    name = "momentum"

    def __init__(self, beta: float):
        self.beta = beta
        self.m: np.ndarray | None = None

    def next(self, g: np.ndarray) -> np.ndarray:
        self.m = g.copy() if self.m is None else self.beta * self.m + g
        return -self.m


class Nesterov:
    """Nesterov's accelerated gradient with constant momentum β, in the reparametrized form.

    Sutskever et al. 2013 ("On the importance of initialization and momentum", eq. 3-4) write NAG as
    v⁺ = β·v − lr·∇f(x + β·v), x⁺ = x + v⁺: it needs the gradient at a look-ahead point. Tracking the
    look-ahead point itself (Bengio, Boulanger-Lewandowski & Pascanu 2013, eq. 7; optax ``trace`` with
    ``nesterov=True``) gives m ← β·m + ∇f, d = −(∇f + β·m): one gradient per iterate, taken at the
    point whose gradient norm we test, so convergence is measured where we evaluate.
    """

    name = "nesterov"

    def __init__(self, beta: float):
        self.beta = beta
        self.m: np.ndarray | None = None

    def next(self, g: np.ndarray) -> np.ndarray:
        self.m = g.copy() if self.m is None else self.beta * self.m + g
        return -(g + self.beta * self.m)


class Adam:
    """Adam (Kingma & Ba 2015, Algorithm 1), with its bias correction.

    m ← β1·m + (1−β1)·∇f,  v ← β2·v + (1−β2)·∇f²,  m̂ = m/(1−β1ᵗ),  v̂ = v/(1−β2ᵗ),
    d = −m̂ / (√v̂ + ε); the step rule multiplies by lr (the paper's α).
    """

    name = "adam"

    def __init__(self, beta1: float, beta2: float, eps: float):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None
        self.t = 0

    def next(self, g: np.ndarray) -> np.ndarray:
        if self.m is None:
            self.m, self.v = np.zeros_like(g), np.zeros_like(g)
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        m_hat = self.m / (1 - self.beta1 ** self.t)
        v_hat = self.v / (1 - self.beta2 ** self.t)
        return -m_hat / (np.sqrt(v_hat) + self.eps)
