"""SciPy's one-variable methods (Brent, golden section, bounded Brent) through ``minimize_scalar``."""

from __future__ import annotations

import time
import warnings

import numpy as np

from gradcli.solvers.common import Settings, Tracer, finish, status_from_scipy


def run(spec, objective, x0, settings: Settings):
    from scipy.optimize import minimize_scalar

    x0 = np.asarray(x0, dtype=float)
    tracer = Tracer(objective, settings.trace)
    tracer.start(x0)
    start = float(x0[0])

    def f(t):
        return objective.fun(np.array([t]))

    kwargs = {}
    if spec.name == "bounded":
        kwargs["bounds"] = settings.bounds[0]
    else:
        # a downhill bracket search starting from x0 and a unit step (SciPy's default starts at 0, 1)
        kwargs["bracket"] = (start, start + 1.0)
    options = dict(settings.options)
    if settings.maxiter is not None:
        options["maxiter"] = settings.maxiter
    started = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        r = minimize_scalar(f, method=spec.name, tol=settings.tol, options=options or None, **kwargs)
    message = str(r.get("message", "")) or ("converged" if r.success else "failed")
    return finish(spec.label, objective, np.atleast_1d(r.x), status_from_scipy(bool(r.success), message), message,
                  r.get("nit"), started, tracer, {"solver_counts": {"nfev": int(r.get("nfev", 0))}})
