"""Checking a gradient against finite differences: the job of ``scipy.optimize.check_grad``, per component.

Step sizes follow Nocedal & Wright, *Numerical Optimization* (2nd ed.), §8.1: a forward difference has
truncation error O(h) and rounding error O(eps/h), balanced at h ≈ sqrt(eps) (eq. 8.6); a central
difference has truncation error O(h²), balanced at h ≈ eps^(1/3) (eq. 8.9), for an accuracy of about
eps^(2/3) ≈ 4e-11 relative. Steps are scaled by max(1, |x_i|) so that they stay above the spacing of
floats near x_i.

The verdict for a component is |g_i − fd_i| ≤ atol + rtol·max(|g_i|, |fd_i|) + noise_i, where noise_i
= 4·eps·max|f|/h_i bounds the rounding error of the difference quotient itself (a function whose value
is 1e6 has gradients that no difference quotient can resolve to 1e-6 absolute; without this term a
correct gradient would be called wrong). The default rtol 1e-5 sits five orders of magnitude above
central-difference accuracy (room for large third derivatives and forward differences, accurate to
~1e-8 relative) and far below the O(1) relative error of a real mistake (a sign, a missing factor 2).

Nothing here prints; results are plain dataclasses for the report and for ``--json``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import sympy as sp

from gradcli.symbolic.compile import Objective
from gradcli.errors import GradcliError
from gradcli.expr.parse import parse
from gradcli.problem.core import Problem, _vector

EPS = float(np.finfo(float).eps)
RTOL = 1e-5
ATOL = 1e-6
# Hand gradient vs symbolic gradient: the same function evaluated by two formulas, so they may differ by
# rounding only; this tolerance is "exact up to rounding", not a truncation-error allowance.
SYMBOLIC_RTOL = 1e-9
SYMBOLIC_ATOL = 1e-12
SCHEMES = ("central", "forward")


@dataclass
class ComponentCheck:
    """One partial derivative at one point."""

    variable: str
    analytic: float                 # the gradient under test: the hand-written one, else the symbolic one
    fd: float                       # finite-difference estimate
    step: float                     # h_i used for fd
    abs_error: float                # |analytic - fd|
    rel_error: float                # abs_error / max(|analytic|, |fd|) (0 when both are 0)
    tolerance: float                # atol + rtol·max(|analytic|, |fd|) + rounding noise of fd
    ok: bool
    symbolic: float | None = None           # with a hand gradient: the symbolic value, for comparison
    symbolic_abs_error: float | None = None
    symbolic_ok: bool | None = None         # hand == symbolic up to rounding


@dataclass
class PointCheck:
    """Every component at one point, plus the single number ``scipy.optimize.check_grad`` would give."""

    label: str                      # "named point" or "random 1", "random 2", ...
    x: list[float]
    f: float
    components: list[ComponentCheck]
    check_grad: float               # ‖g - forward fd with h = sqrt(eps)‖₂, exactly as scipy computes it

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)

    @property
    def wrong(self) -> list[str]:
        return [c.variable for c in self.components if not c.ok]


@dataclass
class GradCheck:
    """The whole check: which gradient, how it was checked, and every point."""

    variables: tuple[str, ...]
    subject: str                    # "hand-written" or "symbolic"
    scheme: str
    rtol: float
    atol: float
    points: list[PointCheck] = field(default_factory=list)
    gradient_text: list[str] | None = None

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.points)

    @property
    def wrong(self) -> list[str]:
        """Variables whose component disagrees with finite differences at some point, in variable order."""
        bad = {v for p in self.points for v in p.wrong}
        return [v for v in self.variables if v in bad]

    @property
    def symbolic_mismatch(self) -> list[str]:
        """With a hand gradient: variables where it differs from the symbolic gradient beyond rounding."""
        bad = {c.variable for p in self.points for c in p.components if c.symbolic_ok is False}
        return [v for v in self.variables if v in bad]

    def as_dict(self) -> dict:
        def clean(v):
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, list):
                return [clean(x) for x in v]
            return v

        return clean({
            "variables": list(self.variables), "subject": self.subject, "gradient": self.gradient_text,
            "scheme": self.scheme, "rtol": self.rtol, "atol": self.atol, "ok": self.ok, "wrong": self.wrong,
            "symbolic_mismatch": self.symbolic_mismatch,
            "points": [{"label": p.label, "x": p.x, "f": p.f, "ok": p.ok, "wrong": p.wrong,
                        "check_grad": p.check_grad, "components": [asdict(c) for c in p.components]}
                       for p in self.points],
        })


# ---- finite differences ------------------------------------------------------------------------

def fd_steps(x: np.ndarray, scheme: str) -> np.ndarray:
    """Nocedal & Wright §8.1: sqrt(eps) for forward, eps^(1/3) for central, times max(1, |x_i|)."""
    base = math.sqrt(EPS) if scheme == "forward" else EPS ** (1 / 3)
    return base * np.maximum(1.0, np.abs(x))


def finite_difference(f, x: np.ndarray, scheme: str = "central") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The FD gradient, the steps actually taken (x_i + h_i - x_i, exact in floating point) and, per
    component, the largest |f| seen (for the rounding-noise term)."""
    if scheme not in SCHEMES:
        raise GradcliError(f"--fd: '{scheme}' is not a scheme; use one of {', '.join(SCHEMES)}")
    h = fd_steps(x, scheme)
    f0 = f(x)
    g, steps, fmax = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    for i in range(len(x)):
        up, down = x.copy(), x.copy()
        up[i] = x[i] + h[i]
        if scheme == "forward":
            fu = f(up)
            steps[i] = up[i] - x[i]
            g[i] = (fu - f0) / steps[i]
            fmax[i] = max(abs(f0), abs(fu))
        else:
            down[i] = x[i] - h[i]
            fu, fd = f(up), f(down)
            steps[i] = (up[i] - down[i]) / 2
            g[i] = (fu - fd) / (up[i] - down[i])
            fmax[i] = max(abs(fu), abs(fd))
    return g, steps, fmax


def scipy_check_grad(f, g: np.ndarray, x: np.ndarray) -> float:
    """What ``scipy.optimize.check_grad(f, grad, x)`` returns, computed the same way: ``approx_fprime``
    with the absolute step epsilon = sqrt(eps) for every component (not scaled by |x_i|; if x_i + h == x_i
    SciPy falls back to sqrt(eps)·max(1, |x_i|) with the sign of x_i), the step divided by being
    (x_i + h) - x_i, then the 2-norm of the difference."""
    h = np.full_like(x, math.sqrt(EPS))
    sign = np.where(x >= 0, 1.0, -1.0)
    h = np.where((x + h) - x == 0, math.sqrt(EPS) * sign * np.maximum(1.0, np.abs(x)), h)
    f0 = f(x)
    fd = np.empty_like(x)
    for i in range(len(x)):
        up = x.copy()
        up[i] = x[i] + h[i]
        fd[i] = (f(up) - f0) / ((x[i] + h[i]) - x[i])
    return float(np.sqrt(np.sum(np.abs(g - fd) ** 2)))


# ---- the gradient under test -------------------------------------------------------------------

def split_gradient(text: str) -> list[str]:
    """'g1; g2; ...' → components (a trailing ';' is allowed)."""
    parts = [p.strip() for p in text.split(";")]
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    return parts


def compile_gradient(components: list[str], problem: Problem) -> list[Objective]:
    """Parse a hand gradient with the safe parser; one compiled callable per component."""
    n = problem.n
    if len(components) != n:
        raise GradcliError(f"--grad: {len(components)} component{'s' if len(components) != 1 else ''} for "
                           f"{n} variable{'s' if n != 1 else ''} ({', '.join(problem.variables)}); write one "
                           "expression per variable, separated by ';'")
    out = []
    for name, text in zip(problem.variables, components):
        parsed = parse(text, problem.params, what=f"gradient component for {name}")
        extra = [v for v in parsed.names if v not in problem.variables]
        if extra:
            raise GradcliError(f"--grad: the component for {name} ('{text}') uses {', '.join(extra)}, which is "
                               f"not a variable ({', '.join(problem.variables)})")
        out.append(Objective(sp.sympify(parsed.expr), problem.symbols, problem.variables))
    return out


# ---- points ------------------------------------------------------------------------------------

def random_points(center: np.ndarray, bounds, count: int, seed: int | None) -> list[np.ndarray]:
    """Per variable: uniform in [lo, hi] when both bounds are finite; otherwise center_i + N(0, 1),
    clipped into a one-sided bound. Reproducible for a given seed."""
    rng = np.random.default_rng(seed)
    lo = np.array([b[0] for b in bounds], dtype=float) if bounds else np.full_like(center, -np.inf)
    hi = np.array([b[1] for b in bounds], dtype=float) if bounds else np.full_like(center, np.inf)
    box = np.isfinite(lo) & np.isfinite(hi)
    out = []
    for _ in range(count):
        u = rng.uniform(np.where(box, lo, 0.0), np.where(box, hi, 1.0))
        z = center + rng.standard_normal(center.shape)
        out.append(np.where(box, u, np.clip(z, lo, hi)))
    return out


# ---- the check ---------------------------------------------------------------------------------

def _rel(a: float, b: float, err: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if err == 0 else (err / scale if scale > 0 else math.inf)


def check_point(objective: Objective, label: str, x: np.ndarray, hand: list[Objective] | None,
                scheme: str, rtol: float, atol: float) -> PointCheck:
    symbolic = np.asarray(objective.grad_uncounted(x), dtype=float)
    g = np.array([c.fun_uncounted(x) for c in hand], dtype=float) if hand else symbolic
    fd, steps, fmax = finite_difference(objective.fun_uncounted, x, scheme)
    comps = []
    for i, name in enumerate(objective.variables):
        err = abs(g[i] - fd[i])
        noise = 4 * EPS * fmax[i] / abs(steps[i])
        tol = atol + rtol * max(abs(g[i]), abs(fd[i])) + noise
        ok = bool(np.isfinite(g[i]) and np.isfinite(fd[i]) and err <= tol)
        comp = ComponentCheck(name, float(g[i]), float(fd[i]), float(steps[i]), float(err),
                              float(_rel(g[i], fd[i], err)), float(tol), ok)
        if hand:
            serr = abs(g[i] - symbolic[i])
            comp.symbolic = float(symbolic[i])
            comp.symbolic_abs_error = float(serr)
            comp.symbolic_ok = bool(g[i] == symbolic[i] or
                                    serr <= SYMBOLIC_ATOL + SYMBOLIC_RTOL * max(abs(g[i]), abs(symbolic[i])))
        comps.append(comp)
    return PointCheck(label, x.tolist(), float(objective.fun_uncounted(x)), comps,
                      scipy_check_grad(objective.fun_uncounted, g, x))


def check_gradient(problem: Problem, at, *, gradient: list[str] | None = None, scheme: str = "central",
                   rtol: float = RTOL, atol: float = ATOL, points: int = 0, seed: int | None = None) -> GradCheck:
    """Check the hand-written ``gradient`` (else the symbolic one) at ``at`` and at ``points`` random points."""
    if scheme not in SCHEMES:
        raise GradcliError(f"--fd: '{scheme}' is not a scheme; use one of {', '.join(SCHEMES)}")
    if not (rtol >= 0 and atol >= 0):
        raise GradcliError("--rtol and --atol must be non-negative")
    if not problem.symbolic and gradient is not None:
        raise GradcliError("a hand-written gradient (--grad, gradient:) is for scalar problems only")
    objective = problem.compile()
    hand = compile_gradient(gradient, problem) if gradient is not None else None
    x0 = np.array(_vector(at, problem.variables, "--at"), dtype=float)
    result = GradCheck(problem.variables, "hand-written" if hand else "symbolic", scheme, rtol, atol,
                       gradient_text=list(gradient) if gradient is not None else None)
    result.points.append(check_point(objective, "named point", x0, hand, scheme, rtol, atol))
    for k, x in enumerate(random_points(x0, problem.bounds, points, seed), 1):
        result.points.append(check_point(objective, f"random {k}", x, hand, scheme, rtol, atol))
    return result
