"""compare's runs that are not `minimize` runs: least squares on residuals (lm, trf, dogbox through
gradcli.fit) and root finders on equations: files (through gradcli.roots). Each gives a record with the
keys of a minimize record (method, x, fun, grad_norm, nit, nfev, njev, nhev, time, success, status,
message, verdict, ...), so the same tables and profiles read them.

- least squares: fun = Σ rᵢ² at the returned x, evaluated by us; the verdict on a residuals: file is the
  minimize verdict on its objective (the same test every other method of the study gets); on a fit
  file it is the fit's verdict (gradcli.fit.verdict). Solved: f − f* ≤ tol·max(1, |f*|).
- roots: fun = ‖F(x)‖∞ (ours), f* = 0; solved means a verified root (simple or singular), by
  gradcli.roots.verdict; history is (evaluations, best ‖F‖∞ so far), f(x0) is ‖F(x0)‖∞.
"""

from __future__ import annotations

import math
import time

import numpy as np

from gradcli.fit import methods
from gradcli.result import Result, Status, Verdict, VerdictKind

_STATUS = {"converged (gtol)": Status.GTOL, "converged (ftol)": Status.FTOL, "converged (xtol)": Status.XTOL,
           "converged (ftol, xtol)": Status.FTOL, "max evaluations": Status.MAXFEV, "solved exactly": Status.CONVERGED}


class TimeUp(Exception):
    """A least-squares run passed compare's --timeout (raised from inside the residual call)."""


class StudyCounter(methods.Counter):
    """fit's Counter, also watching a deadline and keeping (evaluations, best Σrᵢ²) for data profiles."""

    def __init__(self, model, deadline: float | None, history: bool):
        super().__init__(model)
        self.deadline, self.history = deadline, ([] if history else None)
        self.best, self.best_x = math.inf, None

    def fun(self, p):
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise TimeUp
        r = super().fun(p)
        f = float(r @ r)
        if math.isfinite(f) and f < self.best:
            self.best, self.best_x = f, np.array(p, dtype=float)
            if self.history is not None:
                self.history.append([self.nfev + self.njev, f])
        return r

    def jac(self, p):
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise TimeUp
        return super().jac(p)


def _settings(task, model, p0, bounds: dict | None):
    from gradcli.fit.run import box

    lower, upper = box(model, bounds or {}, p0)
    tol = {} if task.tol is None else {"xtol": task.tol, "ftol": task.tol, "gtol": task.tol}
    return methods.Settings(lower=lower, upper=upper, max_nfev=task.maxiter, **tol)


def _least_squares(task, model, p0, settings):
    """(FitRun, status, counter): one method under the deadline; a time-out keeps the best point seen."""
    deadline = time.perf_counter() + task.timeout if task.timeout is not None else None
    counter = StudyCounter(model, deadline, task.history)
    started = time.perf_counter()
    name = task.method
    if name == "auto":            # fit's own default: lm (MINPACK), trf when there are bounds
        name = "trf" if settings.bounded else "lm"
    try:
        fr = methods.run(name, task.method, model, p0, settings, counter)
    except TimeUp:
        x = counter.best_x if counter.best_x is not None else np.asarray(p0, dtype=float)
        fr = methods.FitRun(task.method, task.method, x, False, "time limit reached",
                            f"stopped at --timeout {task.timeout:g} s", counter.nfev, counter.njev,
                            time.perf_counter() - started)
        return fr, Status.TIMEOUT, counter
    return fr, (_STATUS.get(fr.status, Status.FAILED) if fr.success else
                (Status.MAXFEV if fr.status == "max evaluations" else Status.FAILED)), counter


def run_residuals(task, problem, objective, model, x0) -> tuple[dict, float | None]:
    """lm/trf/dogbox on a residuals: file → (record, f(x0) for data profiles)."""
    from gradcli.checks.verdict import max_violation

    bounds = {}
    for name, (lo, hi) in zip(problem.variables, problem.bounds or []):
        bounds[name] = (None if lo == -math.inf else lo, None if hi == math.inf else hi)
    p0 = np.asarray(x0, dtype=float)
    fr, status, counter = _least_squares(task, model, p0, _settings(task, model, p0, bounds))
    x = np.asarray(fr.x, dtype=float)
    finite = bool(np.all(np.isfinite(x)))
    fun = objective.fun_uncounted(x) if finite else math.nan
    g = objective.grad_uncounted(x) if finite else None
    result = Result(task.method, x, fun, float(np.max(np.abs(g))) if g is not None and g.size else None, None,
                    fr.nfev, fr.njev, 0, fr.time, status, fr.message)
    result.x0 = [float(v) for v in p0]
    problem.annotate(result, None)
    if problem.bounds is not None:
        result.maxcv = max_violation(problem, [], x)
    result.verdict = (problem.verify(objective, x) if finite and math.isfinite(fun)
                      else Verdict(VerdictKind.NO_RESULT, fr.message, fun))
    rec = result.as_dict()
    rec["jacobian"] = "exact residual Jacobian"
    if counter.history is not None:
        rec["history"] = counter.history
    return rec, objective.fun_uncounted(p0)


def run_fit(task, fp) -> tuple[dict, float | None]:
    """lm/trf/dogbox on a model: + data: file → (record, RSS at p0)."""
    from gradcli.fit.run import start_point
    from gradcli.fit.verdict import fit_verdict

    model = fp.model
    p0, _ = start_point(model, fp.p0)
    if task.x0 is not None:
        p0 = np.asarray(task.x0, dtype=float)
    settings = _settings(task, model, p0, fp.bounds)
    fr, status, counter = _least_squares(task, model, p0, settings)
    x = np.asarray(fr.x, dtype=float)
    r = model.residuals(x)
    fun = float(r @ r) if np.all(np.isfinite(r)) else math.nan
    g = 2.0 * model.jacobian(x).T @ r if math.isfinite(fun) else None
    result = Result(task.method, x, fun, float(np.max(np.abs(g))) if g is not None else None, None,
                    fr.nfev, fr.njev, 0, fr.time, status, fr.message)
    result.x0 = [float(v) for v in p0]
    result.x_named = dict(zip(model.params, (float(v) for v in x)))
    rec = result.as_dict()
    v = fit_verdict(model, x, settings.lower, settings.upper)
    rec.update(verdict=v.kind, verdict_reason=v.text, jacobian="exact (derived from the model)")
    if counter.history is not None:
        rec["history"] = counter.history
    r0 = model.residuals(p0)
    return rec, float(r0 @ r0)


def run_root(task, rp) -> tuple[dict, float | None]:
    """One root finder on an equations: file → (record, ‖F‖ at the start for data profiles); solved = a root
    our verdict verified. --timeout stops it at its next evaluation (gradcli.roots.watch), recorded as a
    time limit with the counts so far and judged at the best point seen; --history records (evaluations,
    best ‖F‖∞ so far)."""
    from gradcli.roots import run as runner
    from gradcli.roots.verdict import NO_RESULT, verified

    x0 = list(task.x0) if task.x0 is not None else rp.x0
    specs = runner.resolve(None if task.method == "auto" else task.method, rp.eqs, rp.bracket, x0)
    _, runs = runner.run(specs, rp.eqs, rp.bracket, x0, task.tol or 1e-10, task.maxiter, timeout=task.timeout,
                         history=task.history)
    rr = runs[0]
    status = (Status.TIMEOUT if rr.timed_out else Status.CONVERGED if rr.success else
              Status.ERROR if rr.verdict == NO_RESULT else Status.FAILED)
    rec = {"method": task.method, "x": rr.as_dict()["x"], "fun": rr.residual if math.isfinite(rr.residual) else None,
           "grad_norm": None, "nit": rr.nit, "nfev": rr.nfev, "njev": rr.njev, "nhev": rr.nhev, "time": rr.time,
           "success": rr.success, "status": status.value, "message": rr.message, "verdict": rr.verdict,
           "verdict_reason": rr.verdict_reason, "residual": rr.as_dict()["residual"], "tol": rr.tol,
           "cond": rr.as_dict()["cond"], "jacobian": rr.jacobian, "x0": x0, "bracket": rp.bracket,
           "count_mismatch": rr.count_mismatch, "solved": verified(rr.verdict), "f_star": 0.0}
    if task.history:
        rec["history"] = rr.history
    if task.method == "auto":
        rec["auto_reason"] = f"auto → {specs[0].method}: the root command's default for this problem"
    return rec, start_residual(rp.eqs, specs[0].family, x0, rp.bracket)


def start_residual(eqs, family: str, x0, bracket) -> float | None:
    """Where a root finder starts, as data profiles measure it: ‖F(x0)‖∞, or for a bracketing method the
    smaller |f| at the bracket's ends (its first two evaluations; the better one is its start)."""
    with np.errstate(all="ignore"):
        if family == "bracketing":
            ends = [abs(float(eqs.F_uncounted([b])[0])) for b in bracket]
            return min(ends)
        return float(np.max(np.abs(eqs.F_uncounted(x0)))) if x0 is not None else None
