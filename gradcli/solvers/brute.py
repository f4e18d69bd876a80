"""Grid search over a finite box (SciPy's ``brute``), polished inside the box.

SciPy's ``brute`` polishes its best grid point with an unbounded ``fmin`` by default, so it can return
a point outside the grid it was given (scipy #5773, #9413, #11445, #22665). Here the polish is
L-BFGS-B with the box as its bounds and our exact gradient, the polished point is kept only when it is
inside the box and no worse than the grid's best, and the returned point is inside the box by
construction. The grid is SciPy's: ``grid`` (its ``Ns``, default 20) equally spaced points per variable,
both ends included (``np.mgrid[lo:hi:Ns*1j]``).

Every evaluation goes through the counted objective, so the counts are the grid's Ns**n evaluations of f
plus the polish's f and ∇f evaluations.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from gradcli.errors import GradcliError
from gradcli.solvers.common import Settings, Tracer, error_result, finish, status_from_scipy

DEFAULT_GRID = 20              # SciPy's default Ns
MAX_GRID_POINTS = 1_000_000    # Ns**n evaluations of f: about a second or two at ~1 µs per evaluation


def grid_axes(bounds, ns: int) -> list[np.ndarray]:
    """``ns`` equally spaced values per variable, both bounds included (SciPy's ``mgrid[lo:hi:ns*1j]``)."""
    return [np.linspace(lo, hi, ns) for lo, hi in bounds]


def check_grid(bounds, ns) -> int:
    """The number of grid points; bad --grid or a box that is not finite is the user's error, said before running."""
    if bounds is None or not all(math.isfinite(lo) and math.isfinite(hi) for lo, hi in bounds):
        raise GradcliError("brute needs finite bounds on every variable (--bounds X=LO:HI)")
    if isinstance(ns, bool) or not isinstance(ns, int) or ns < 2:
        raise GradcliError(f"--grid must be a whole number ≥ 2 (points per variable), got {ns!r}")
    total = ns ** len(bounds)
    if total > MAX_GRID_POINTS:
        raise GradcliError(f"brute: --grid {ns} over {len(bounds)} variables is {ns}^{len(bounds)} = {total:.3g} "
                           f"points; the limit is {MAX_GRID_POINTS:.0e} (MAX_GRID_POINTS): lower --grid")
    return total


def run(spec, objective, x0, settings: Settings):
    from scipy.optimize import Bounds, minimize

    bounds = settings.bounds
    ns = settings.options.get("grid", DEFAULT_GRID)
    total = check_grid(bounds, ns)
    x0 = np.asarray(x0, dtype=float)
    tracer = Tracer(objective, settings.trace)
    tracer.start(x0)
    lo, hi = (np.array(v, dtype=float) for v in zip(*bounds))
    started = time.perf_counter()
    try:
        best_f, best_x = math.inf, None
        mesh = np.stack(np.meshgrid(*grid_axes(bounds, ns), indexing="ij"), axis=-1).reshape(-1, len(bounds))
        with np.errstate(all="ignore"):
            for point in mesh:
                f = objective.fun(point)
                if f < best_f:                # nan never compares less: a point where f is undefined is skipped
                    best_f, best_x = f, point
        if best_x is None:
            return finish(spec.label, objective, mesh[0], status_from_scipy(False, "f is not finite"),
                          f"f is nan or inf at every one of the {total} grid points", None, started, tracer,
                          {"solver_counts": {"nfev": total}})
        tracer.record(best_x)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            options = {"maxiter": settings.maxiter} if settings.maxiter is not None else None
            r = minimize(objective.fun, best_x, jac=objective.grad, method="L-BFGS-B", bounds=Bounds(lo, hi),
                         tol=settings.tol, options=options, callback=tracer.callback if settings.trace else None)
    except Exception as exc:  # a method that raises is a failed run, never a crashed tool
        return error_result(spec.label, objective, x0, exc, started)
    polished = np.clip(np.asarray(r.x, dtype=float), lo, hi)     # L-BFGS-B stays inside; never trust, clip
    f_polished = objective.fun_uncounted(polished)
    grid_text = f"best of {ns}^{len(bounds)} = {total} grid points f = {best_f:.6g}"
    if math.isfinite(f_polished) and f_polished <= best_f:
        x, message = polished, f"{grid_text}; polished inside the bounds by L-BFGS-B: {r.message}"
        status = status_from_scipy(bool(r.success), str(r.message))
    else:
        x, message = best_x, f"{grid_text}; the L-BFGS-B polish did not improve on it ({r.message})"
        status = status_from_scipy(False, str(r.message))
    counts = {"nfev": total + int(r.get("nfev", 0)), "njev": int(r.get("njev", 0))}
    return finish(spec.label, objective, x, status, message, r.get("nit"), started, tracer,
                  {"solver_counts": counts, "grid": ns})
