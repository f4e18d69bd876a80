"""Our gradient-descent family: gd (fixed, Armijo or Barzilai–Borwein steps), momentum, nesterov, adam.

A method is a direction rule (``gd_directions``) composed with a step rule (``gd_steps``); one loop,
``descend``, owns everything else: the iteration limit, the convergence tests, divergence detection,
bounds (projected gradient) and the trace. The shape follows Optim.jl's first-order solvers (a small
rule + one generic ``optimize`` loop) and optax's composable transforms.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from gradcli.errors import GradcliError
from gradcli.result import Status, TraceRow
from gradcli.solvers.common import DIVERGENCE_LIMIT, Settings, Tracer, finish
from gradcli.solvers.gd_directions import Adam, HeavyBall, Nesterov, Steepest
from gradcli.solvers.gd_steps import Armijo, BarzilaiBorwein, FixedStep

MAXITER = 10_000   # default budget: first-order methods need many cheap iterations (Rosenbrock: thousands)

# Defaults per method. gtol 1e-5 in the infinity norm is SciPy's BFGS/CG default. ftol and xtol are 0
# (off) by default: a slow but progressing run must not stop early, and a tiny step can mean a short
# line-search step rather than convergence. lr is the fixed step; for gd's line searches it is the
# first trial step when given. Momentum lr 0.01 with β = 0.9 gives an effective step lr/(1−β) = 0.1;
# Adam's lr 0.1 (the paper uses 0.001 for neural nets; 0.1 reaches ‖∇f‖∞ ≤ 1e-5 on small smooth
# problems within the budget — see tests/test_gd.py).
STOP = {"gtol": 1e-5, "ftol": 0.0, "xtol": 0.0}
DEFAULTS = {
    "gd": {"step": "armijo", "lr": None, **STOP},
    "momentum": {"lr": 0.01, "beta": 0.9, **STOP},
    "nesterov": {"lr": 0.01, "beta": 0.9, **STOP},
    "adam": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, **STOP},
}
FIXED_LR = 0.1     # gd --step fixed without --lr
TRAIN_F_EVERY = 100       # training mode: f every 100 steps (f is ~10% of a logistic-regression step)
_max = np.maximum.reduce   # max|v| without ndarray.max's Python wrapper (~1.5 µs a call); propagates nan


class Box:
    """Bounds as two vectors; projection is clipping, and ∇f is measured as x − P(x − ∇f)."""

    def __init__(self, bounds, n: int):
        if bounds is None:
            self.lo = self.hi = None
        else:
            self.lo = np.array([b[0] for b in bounds], dtype=float)
            self.hi = np.array([b[1] for b in bounds], dtype=float)
        self.active = bounds is not None and bool(np.any(np.isfinite(self.lo)) or np.any(np.isfinite(self.hi)))

    def project(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.lo, self.hi) if self.active else x

    def gradient_norm(self, x: np.ndarray, g: np.ndarray) -> float:
        """‖x − P(x − ∇f)‖∞: zero exactly at a stationary point of f on the box (Bertsekas 1999 §2.3)."""
        pg = x - self.project(x - g) if self.active else g
        return float(_max(np.abs(pg))) if pg.size else 0.0


@dataclass
class Outcome:
    """Where the loop stopped and why; the adapter turns it into a Result."""

    x: np.ndarray
    status: Status
    message: str
    nit: int
    grad_norm: float
    trace: list[TraceRow] | None


def _finite(x: np.ndarray, f: float) -> bool:
    return math.isfinite(f) and bool(np.all(np.isfinite(x)))


def descend(objective, x0, direction, step, box: Box, *, maxiter: int, gtol: float, ftol: float = 0.0,
            xtol: float = 0.0, trace: bool = False) -> Outcome:
    """The one loop: evaluate f and ∇f once per accepted point (counted), test, step, repeat."""
    x = box.project(np.array(x0, dtype=float))
    f, g = objective.fun(x), objective.grad(x)
    rows: list[TraceRow] | None = [] if trace else None

    def row(k, x, f, gnorm, dx, alpha):
        if rows is not None:
            c = objective.counts
            rows.append(TraceRow(k, f, gnorm, dx, c.nfev, c.njev, alpha, x=np.array(x, dtype=float)))

    if not (_finite(x, f) and np.all(np.isfinite(g))):
        return Outcome(x, Status.NONFINITE, f"f or ∇f is not finite at the start point (f = {f})", 0, math.nan, rows)
    gnorm = box.gradient_norm(x, g)
    row(0, x, f, gnorm, None, None)
    need_dx = trace or xtol > 0
    for k in range(1, maxiter + 1):
        if gnorm <= gtol:
            return Outcome(x, Status.GTOL, f"‖∇f‖∞ = {gnorm:.3g} ≤ gtol = {gtol:g}", k - 1, gnorm, rows)
        trial = step.take(objective, box, x, f, g, direction.next(g))
        if trial is None:
            return Outcome(x, Status.LINE_SEARCH, f"the {step.name} line search found no step that decreases f "
                           f"enough (‖∇f‖∞ = {gnorm:.3g}; floating-point precision exhausted?)", k - 1, gnorm, rows)
        # finiteness of x and ∇f is read off ‖Δx‖∞ and ‖∇f‖∞ (nan/inf propagate through max|·|): the loop
        # needs both numbers anyway, and separate np.isfinite scans cost ~9 µs a step (6% of a 785-variable
        # logistic regression step)
        # ‖Δx‖∞ only when something reads it (xtol, the trace): otherwise a non-finite x shows in f or ∇f at x
        dx = float(_max(np.abs(trial.x - x))) if need_dx and x.size else 0.0
        if trial.f is None:       # training mode: f not evaluated this step; the last value stands in
            trial.f = f
        if not (math.isfinite(trial.f) and math.isfinite(dx)) or trial.f < DIVERGENCE_LIMIT:
            return Outcome(x, Status.DIVERGED, f"f = {trial.f:.3g} at iteration {k}: the steps blew up or f is "
                           f"unbounded below (try a smaller --lr, or --step armijo); x is the last finite iterate", k - 1, gnorm, rows)
        g_new = trial.g if trial.g is not None else objective.grad(trial.x)
        gnorm_new = box.gradient_norm(trial.x, g_new)
        if not math.isfinite(gnorm_new):
            return Outcome(x, Status.NONFINITE, f"∇f is not finite at iteration {k}; x is the last point where it "
                           "was", k - 1, gnorm, rows)
        step.accepted(x, g, trial, g_new)
        df = f - trial.f
        x, f, g, gnorm = trial.x, trial.f, g_new, gnorm_new
        row(k, x, f, gnorm, dx if need_dx else None, trial.alpha)
        if gnorm <= gtol:
            return Outcome(x, Status.GTOL, f"‖∇f‖∞ = {gnorm:.3g} ≤ gtol = {gtol:g}", k, gnorm, rows)
        if ftol > 0 and abs(df) <= ftol * max(1.0, abs(f)):
            return Outcome(x, Status.FTOL, f"|Δf| = {abs(df):.3g} ≤ ftol·max(1, |f|) (ftol = {ftol:g})", k, gnorm,
                           rows)
        if xtol > 0 and dx <= xtol:
            return Outcome(x, Status.XTOL, f"‖Δx‖∞ = {dx:.3g} ≤ xtol = {xtol:g}", k, gnorm, rows)
    if gtol == 0:
        return Outcome(x, Status.STEPS, f"{maxiter} steps done, as asked (‖∇f‖∞ = {gnorm:.3g}; no gradient test: "
                       "pass --gtol to stop early)", maxiter, gnorm, rows)
    return Outcome(x, Status.MAXITER, f"{maxiter} iterations without ‖∇f‖∞ ≤ gtol (‖∇f‖∞ = {gnorm:.3g}); "
                   "raise --maxiter", maxiter, gnorm, rows)


def train(objective, x0, lr: float, maxiter: int, f_every: int, tracer: Tracer | None = None) -> Outcome:
    """Training mode of plain gradient descent, x ← x − lr·∇f for exactly ``maxiter`` steps: what
    ``descend`` does with a fixed step and no gradient test, without its per-step bookkeeping (trial
    records, norms, projections: ~20 µs a step, 17% of a 400×784 logistic-regression step). The same
    evaluations are made and counted: ∇f every step, f at the start and every ``f_every`` steps, where
    divergence is tested; the last finite checked iterate is returned if it blew up. A ``tracer`` records
    every iterate with uncounted evaluations, so --trace and --plot change no count."""
    x = np.array(x0, dtype=float)
    record = tracer.record if tracer is not None and tracer.enabled else None
    if record is not None:
        tracer.start(x)
    f, g = objective.fun(x), objective.grad(x)
    if not (math.isfinite(f) and np.all(np.isfinite(g))):
        return Outcome(x, Status.NONFINITE, f"f or ∇f is not finite at the start point (f = {f})", 0, math.nan, None)
    good, good_k = x, 0
    for k in range(1, maxiter + 1):
        x = x - lr * g
        if record is not None:
            record(x)
        if k % f_every == 0:
            f = objective.fun(x)
            if not math.isfinite(f) or f < DIVERGENCE_LIMIT:
                return Outcome(good, Status.DIVERGED, f"f = {f:.3g} at iteration {k}: the steps blew up or f is "
                               f"unbounded below (try a smaller --lr); x is the last finite iterate checked "
                               f"(iteration {good_k})", good_k, math.nan, None)
            good, good_k = x, k
        g = objective.grad(x)
    gnorm = float(_max(np.abs(g))) if g.size else 0.0
    if not (math.isfinite(gnorm) and np.all(np.isfinite(x))):
        return Outcome(good, Status.NONFINITE, f"x or ∇f is not finite after {maxiter} steps; x is the last finite "
                       f"iterate checked (iteration {good_k})", good_k, math.nan, None)
    return Outcome(x, Status.STEPS, f"{maxiter} steps done, as asked (‖∇f‖∞ = {gnorm:.3g}; no gradient test: "
                   "pass --gtol to stop early)", maxiter, gnorm, None)


def configure(name: str, options: dict, tol: float | None = None) -> dict:
    """The method's defaults overridden by the options given; --tol stands for --gtol as in SciPy's BFGS."""
    cfg = dict(DEFAULTS[name])
    if tol is not None:
        cfg["gtol"] = tol
    unknown = set(options) - set(cfg)
    if unknown:
        raise GradcliError(f"method {name} takes no option {', '.join('--' + k for k in sorted(unknown))}")
    cfg.update({k: v for k, v in options.items() if v is not None})
    if cfg.get("step", "armijo") not in ("fixed", "armijo", "bb"):
        raise GradcliError(f"--step must be fixed, armijo or bb, not {cfg['step']!r}")
    for key in ("lr", "eps", "gtol"):
        if cfg.get(key) is not None and not cfg[key] > 0:
            flag = "tol" if key == "gtol" and options.get("gtol") is None else key   # the flag the user typed
            raise GradcliError(f"--{flag} must be positive, got {cfg[key]}")
    for key in ("beta", "beta1", "beta2"):
        if key in cfg and not 0 <= cfg[key] < 1:
            raise GradcliError(f"--{key} must be in [0, 1), got {cfg[key]}")
    return cfg


def rules(name: str, cfg: dict):
    """The (direction, step) pair that makes up each method."""
    if name == "gd":
        step = {"fixed": lambda: FixedStep(cfg["lr"] or FIXED_LR), "armijo": lambda: Armijo(cfg["lr"]),
                "bb": lambda: BarzilaiBorwein(cfg["lr"])}[cfg["step"]]()
        return Steepest(), step
    if name == "momentum":
        return HeavyBall(cfg["beta"]), FixedStep(cfg["lr"])
    if name == "nesterov":
        return Nesterov(cfg["beta"]), FixedStep(cfg["lr"])
    return Adam(cfg["beta1"], cfg["beta2"], cfg["eps"]), FixedStep(cfg["lr"])


def run(spec, objective, x0, settings: Settings):
    """Registry entry point: options in, Result out (counts from the counted objective)."""
    cfg = configure(spec.name, settings.options, settings.tol)
    if objective.capabilities.training and settings.options.get("gtol") is None and settings.tol is None:
        # array (data) problems train the way Theano's loop does: lr for maxiter steps; --gtol stops early
        cfg["gtol"] = 0.0
    direction, step = rules(spec.name, cfg)
    box = Box(settings.bounds, objective.n)
    if cfg["gtol"] == 0 and not cfg["ftol"] and isinstance(step, FixedStep):
        # training mode (array problems without --gtol): a fixed step needs ∇f only; f, for the divergence
        # test and the progress bar, is evaluated every TRAIN_F_EVERY steps (and at the end, for the result)
        step.f_every = TRAIN_F_EVERY
    started = time.perf_counter()
    if isinstance(step, FixedStep) and step.f_every > 1 and isinstance(direction, Steepest) and not box.active:
        tracer = Tracer(objective, settings.trace)
        out = train(objective, x0, step.lr, settings.maxiter or MAXITER, step.f_every, tracer)
        out.trace = tracer.rows
    else:
        out = descend(objective, x0, direction, step, box, maxiter=settings.maxiter or MAXITER, gtol=cfg["gtol"],
                      ftol=cfg["ftol"], xtol=cfg["xtol"], trace=settings.trace)
    used = {k: v for k, v in cfg.items() if v is not None}
    if spec.name == "gd" and cfg["step"] == "fixed":
        used["lr"] = step.lr
    extra = {"settings": used}
    if box.active:
        extra["projected_grad_norm"] = out.grad_norm
    result = finish(spec.label, objective, out.x, out.status, out.message, out.nit, started, None, extra)
    result.trace = out.trace
    return result
