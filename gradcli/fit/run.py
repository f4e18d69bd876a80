"""One fit from start to verdict: starts and bounds checked, each method run, statistics and verdict added."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gradcli.errors import GradcliError
from gradcli.fit import methods
from gradcli.fit.model import FitModel, check_start
from gradcli.fit.stats import FitStats, fit_stats
from gradcli.fit.verdict import Verdict, examine


@dataclass
class FitResult:
    run: methods.FitRun
    stats: FitStats
    verdict: Verdict


def start_point(model: FitModel, p0) -> tuple[np.ndarray, str | None]:
    """--p0 by name (dict) or in parameter order (list); a linear model may go without (start 0, said)."""
    names = model.params
    if p0 is None:
        if model.linear:
            return np.zeros(model.p), ("no --p0: iterative methods start from 0 (the model is linear), or from "
                                       "the nearest bound where 0 is outside --bounds")
        raise GradcliError(f"--p0 is required for a nonlinear model: give a start for {', '.join(names)}, "
                           f"e.g. --p0 {','.join(f'{n}=1' for n in names)} (columns of {model.table.path}: "
                           f"{', '.join(model.table.names)})")
    if isinstance(p0, list):
        if len(p0) != len(names):
            raise GradcliError(f"--p0: {len(p0)} values for {len(names)} parameters ({', '.join(names)}); "
                               "give one per parameter or name them (--p0 a=1,b=2)")
        return np.array(p0, dtype=float), None
    unknown = [k for k in p0 if k not in names]
    if unknown:
        what = "a column of the data, not a parameter" if unknown[0] in model.table.columns else "not in the model"
        raise GradcliError(f"--p0 {unknown[0]}: {what}; the parameters are {', '.join(names)}")
    missing = [n for n in names if n not in p0]
    if missing:
        raise GradcliError(f"--p0 has no start for {', '.join(missing)}; the model's parameters are "
                           f"{', '.join(names)} (columns of {model.table.path}: {', '.join(model.table.names)})")
    return np.array([p0[n] for n in names], dtype=float), None


def box(model: FitModel, bounds: dict[str, tuple], p0: np.ndarray, implied: bool = False):
    """--bounds by parameter name → (lower, upper) arrays, or (None, None) without bounds. ``implied``: p0 is
    the 0 of a linear model without --p0, moved onto the nearest bound where 0 is outside (in place)."""
    if not bounds:
        return None, None
    lower, upper = np.full(model.p, -np.inf), np.full(model.p, np.inf)
    for name, (lo, hi) in bounds.items():
        if name not in model.params:
            raise GradcliError(f"--bounds {name}: not a parameter of the model ({', '.join(model.params)})")
        k = model.params.index(name)
        lower[k] = -np.inf if lo is None else lo
        upper[k] = np.inf if hi is None else hi
        if not lower[k] < upper[k]:
            raise GradcliError(f"--bounds {name}={lo}:{hi}: the lower bound must be below the upper one")
        if implied:
            p0[k] = min(max(p0[k], lower[k]), upper[k])
        if not lower[k] <= p0[k] <= upper[k]:
            raise GradcliError(f"--bounds {name}: the start {name}={p0[k]:g} is outside [{lo}, {hi}]; move --p0 "
                               "inside the bounds")
    return lower, upper


def fit(model: FitModel, p0: np.ndarray, runs: list[tuple[str, str]], settings: methods.Settings,
        absolute_sigma: bool = False) -> list[FitResult]:
    if model.n * model.p < BLAS_THREADS_FROM:       # too small for BLAS to start threads: no limit to set
        return _fit(model, p0, runs, settings, absolute_sigma)
    with one_blas_thread():
        return _fit(model, p0, runs, settings, absolute_sigma)


BLAS_THREADS_FROM = 4096      # entries of J; below this a limit costs ~0.1 ms and changes nothing


_BLAS: list = []


def one_blas_thread():
    """A fit's matrices are tall and thin (10 000 × 7): BLAS's threads cost more than they save there. Measured
    on the shared 2-core development machine: a QR of Thurber's 10 000 × 7 Jacobian took 15 ms on two OpenBLAS
    threads and 0.37 ms on one. One thread also gives the same bits wherever the fit runs."""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def _fit(model, p0, runs, settings, absolute_sigma) -> list[FitResult]:
    started = time.perf_counter()
    r0, J0 = check_start(model, p0)
    first = time.perf_counter() - started    # r and J at p0: every method's first evaluations, and its time
    out = []
    spare = (r0.copy(), J0.copy(order="K")) if len(runs) > 1 else None     # solvers write into what they get
    for i, (method, label) in enumerate(runs):
        start = (p0, r0, J0) if i == 0 else (p0, spare[0].copy(), spare[1].copy(order="K"))
        counter = methods.Counter(model, start)
        r = methods.run(method, label, model, p0, settings, counter)
        r.time += first
        seen = ((counter.residuals_seen(r.x), counter.jacobian_seen(r.x), counter.factor_seen(r.x))
                if method == "lm" else (None, None, None))               # (trf may scale r and J in place)
        out.append(verify(model, r, settings, absolute_sigma, *seen))
    return out


def verify(model: FitModel, r: methods.FitRun, settings: methods.Settings, absolute_sigma: bool,
           res: np.ndarray | None = None, jac: np.ndarray | None = None,
           rfac: np.ndarray | None = None) -> FitResult:
    """Statistics and verdict at the returned point, from one r and J evaluated there and one factorisation
    of J shared by the verdict and the statistics. Our own, uncounted evaluations, unless the solver made them
    there: ``res``, ``jac`` are r and J at that point (the verdict's QR may overwrite that J); ``rfac`` is the
    solver's R·Pᵀ of that J (see gradcli.fit.stats.scaled_svd)."""
    lower, upper = (settings.lower, settings.upper) if r.method != "nnls" else (np.zeros(model.p), None)
    res = model.residuals(r.x) if res is None else res
    jac = model.jacobian(r.x) if jac is None else jac
    factor = None
    if settings.constraints:
        from gradcli.fit.constraints import constrained_verdict
        verdict = constrained_verdict(model, r.x, settings.constraints, lower, upper)
    else:
        verdict, factor = examine(model, r.x, res, jac, lower, upper, settings.loss, settings.f_scale, scratch=True,
                                  rfac=rfac)
    held = verdict.active_bounds             # held on a bound that binds: fixed for the covariance, any loss
    free = np.array([name not in held for name in model.params]) if held and factor is None else None
    stats = fit_stats(jac, res, model.y, model.weights, absolute_sigma, r.x, factor=factor, tss=model.tss, free=free)
    return FitResult(r, stats, verdict)       # (with a factor, fit_stats reads only jac's shape: it may be spent)


def best(results: list[FitResult]) -> int | None:
    """Lowest RSS among verified minima, else None."""
    ok = [(r.stats.rss, i) for i, r in enumerate(results) if r.verdict.verified and np.isfinite(r.stats.rss)]
    return min(ok)[1] if ok else None
