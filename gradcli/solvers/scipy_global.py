"""SciPy's global methods; each but basinhopping needs finite bounds on every variable."""

from __future__ import annotations

import time
import warnings

import numpy as np

from gradcli.solvers.common import Settings, Tracer, finish, status_from_scipy


def run(spec, objective, x0, settings: Settings):
    import scipy.optimize as so

    x0 = np.asarray(x0, dtype=float)
    tracer = Tracer(objective, settings.trace)
    tracer.start(x0)
    bounds = list(settings.bounds) if settings.bounds is not None else None
    rng = np.random.default_rng(settings.seed)
    opts = dict(settings.options)
    if settings.maxiter is not None:
        opts["maxiter"] = settings.maxiter
    cb = (lambda x, *a, **k: tracer.record(x)) if settings.trace else None
    started = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if spec.name == "basinhopping":
            local = {"method": "L-BFGS-B", "jac": objective.grad, "bounds": bounds}
            niter = opts.pop("maxiter", 100)
            r = so.basinhopping(objective.fun, x0, niter=niter, minimizer_kwargs=local, rng=rng,
                                callback=(lambda x, f, accept: tracer.record(x)) if cb else None, **opts)
            lr = r.lowest_optimization_result
            r.success = bool(lr.success) if "success" in lr else True
            r.message = " ".join(np.atleast_1d(r.message).astype(str))
        elif spec.name == "differential-evolution":
            if settings.tol is not None:
                opts.setdefault("tol", settings.tol)
            r = so.differential_evolution(objective.fun, bounds, x0=x0, rng=rng, callback=cb, **opts)
        elif spec.name == "dual-annealing":
            r = so.dual_annealing(objective.fun, bounds, x0=x0, rng=rng, callback=cb, **opts)
        elif spec.name == "shgo":
            local = {"method": "SLSQP", "jac": objective.grad}
            r = so.shgo(objective.fun, bounds, minimizer_kwargs=local, callback=cb, options=opts or None)
        else:  # direct
            r = so.direct(objective.fun, bounds, callback=cb, **opts)
    message = str(r.get("message", ""))
    return finish(spec.label, objective, r.x, status_from_scipy(bool(r.success), message), message,
                  r.get("nit"), started, tracer, {"solver_counts": {"nfev": int(r.get("nfev", 0))}})
