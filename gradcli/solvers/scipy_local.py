"""SciPy's local methods through ``scipy.optimize.minimize``, fed our symbolic derivatives."""

from __future__ import annotations

import time
import warnings

import numpy as np

from gradcli.solvers.common import Settings, Tracer, finish, status_from_scipy

# the option that caps iterations, per method (TNC counts function evaluations instead)
_MAXITER_KEY = {"tnc": "maxfun"}
# gradient methods that run on SciPy's own finite differences when given jac=None (--gradient fd)
FD_METHODS = ("cg", "bfgs", "l-bfgs-b", "tnc", "slsqp")


def check_fd(specs) -> None:
    """--gradient fd for a method that cannot take it is the user's mistake, said before any work."""
    from gradcli.errors import GradcliError
    bad = [s.name for s in specs if (s.needs_grad or s.family == "auto") and s.name not in FD_METHODS]
    if bad:
        raise GradcliError(f"--gradient fd: {', '.join(bad)} cannot run on SciPy's finite differences; choose among "
                           f"{', '.join(FD_METHODS)} (or the derivative-free nelder-mead, powell, cobyla, cobyqa)")


def scipy_constraints(spec, settings: Settings):
    """Our compiled constraints in the form each method takes."""
    if not settings.constraints:
        return ()
    if spec.name == "trust-constr" or spec.name == "cobyqa":
        from scipy.optimize import NonlinearConstraint
        out = []
        for c in settings.constraints:
            lo, hi = (0.0, np.inf) if c.kind == "ineq" else (0.0, 0.0)
            out.append(NonlinearConstraint(c.fun, lo, hi, jac=c.jac))
        return out
    if spec.name == "cobyla" and any(c.kind == "eq" for c in settings.constraints):
        # COBYLA takes inequalities only: h == 0 becomes h >= 0 and -h >= 0
        out = []
        for c in settings.constraints:
            out.append({"type": "ineq", "fun": c.fun})
            if c.kind == "eq":
                out.append({"type": "ineq", "fun": (lambda f: lambda x: -f(x))(c.fun)})
        return out
    return [{"type": c.kind, "fun": c.fun, "jac": c.jac} for c in settings.constraints]


def _dense(hess):
    """trust-exact and dogleg factorize the Hessian as an ndarray; a large problem's is scipy.sparse."""
    from scipy.sparse import issparse

    return lambda x: (lambda h: h.toarray() if issparse(h) else h)(hess(x))


def run(spec, objective, x0, settings: Settings):
    from scipy.optimize import Bounds, minimize

    x0 = np.asarray(x0, dtype=float)
    tracer = Tracer(objective, settings.trace)
    tracer.start(x0)
    kwargs = {}
    fd = settings.gradient == "fd" and spec.name in FD_METHODS    # jac=None: SciPy's default 2-point differences
    if spec.needs_grad and not fd:
        kwargs["jac"] = objective.grad
    if spec.needs_hess:
        if spec.name in ("newton-cg", "trust-ncg", "trust-krylov") and objective.capabilities.prefers_hessp:
            kwargs["hessp"] = objective.hessp
        elif spec.dense_hessian:
            kwargs["hess"] = _dense(objective.hess)
        else:
            kwargs["hess"] = objective.hess
    if settings.bounds is not None:
        lo, hi = zip(*settings.bounds)
        kwargs["bounds"] = Bounds(np.array(lo), np.array(hi))
    cons = scipy_constraints(spec, settings)
    if cons:
        kwargs["constraints"] = cons
    options = dict(settings.options)
    if settings.maxiter is not None:
        options[_MAXITER_KEY.get(spec.name, "maxiter")] = settings.maxiter
    started = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        r = minimize(objective.fun, x0, method=spec.label, tol=settings.tol, options=options or None,
                     callback=tracer.callback if settings.trace else None, **kwargs)
    extra = {}
    if "maxcv" in r:
        extra["solver_maxcv"] = float(r["maxcv"])
    elif "constr_violation" in r:
        extra["solver_maxcv"] = float(r["constr_violation"])
    extra["solver_counts"] = {k: int(r[k]) for k in ("nfev", "njev", "nhev") if k in r}
    if spec.name == "slsqp":    # fmin_slsqp prints its exit mode (--format scipy)
        extra["solver_status"] = int(r.get("status", -1))
    if fd:   # SciPy's njev counts its difference gradients, whose f calls are in nfev; ours saw no ∇f call
        extra["fd_gradients"] = extra["solver_counts"].pop("njev", None)
        extra["gradient"] = "SciPy finite differences (jac=None)"
    message = str(r.get("message", ""))
    return finish(spec.label, objective, r.x, status_from_scipy(bool(r.success), message), message,
                  r.get("nit"), started, tracer, extra)
