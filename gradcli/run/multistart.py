"""`--starts N --seed S`: the same method from N scrambled-Sobol starting points inside the bounds.

Sobol points cover a box far more evenly than N uniform draws (no clumps, no holes), and scrambling with
a seed makes them reproducible without being the same lattice for every problem. The best *verified*
minimum is kept (a lower f at a saddle or an infeasible point does not win); every start is recorded.
"""

from __future__ import annotations

import math
import warnings

from gradcli.errors import GradcliError


def sobol_starts(problem, count: int, seed: int | None) -> list[list[float]]:
    """``count`` points of a scrambled Sobol sequence scaled to the problem's (finite) bounds."""
    if count < 1:
        raise GradcliError("--starts: give a positive number of starting points")
    if not problem.finite_bounds:
        raise GradcliError("--starts needs finite bounds on every variable (--bounds x=LO:HI ...): the starting "
                           "points are drawn inside them")
    from scipy.stats import qmc

    lo, hi = zip(*problem.bounds)
    with warnings.catch_warnings():   # Sobol's balance warning for counts that are not powers of 2
        warnings.simplefilter("ignore")
        unit = qmc.Sobol(d=problem.n, scramble=True, seed=seed).random(count)
    return qmc.scale(unit, lo, hi).tolist()


def _rank(result) -> tuple:
    """Verified minima first, then by f (non-finite last)."""
    verified = str(result.extra.get("verdict", "")).startswith("minimum")
    f = result.fun if math.isfinite(result.fun) else math.inf
    return (not verified, f)


def best_of_starts(problem, method: str, objective, starts: list[list[float]], **kwargs):
    """Run ``method`` from every start; the best run, with every start summarised in extra['multistart']."""
    from gradcli.run.solve import solve_one

    saved = problem.starts
    problem.starts = starts
    try:
        runs = [solve_one(problem, method, start=i, objective=objective, **kwargs) for i in range(len(starts))]
    finally:
        problem.starts = saved
    best = min(runs, key=_rank)
    best.extra["multistart"] = [
        {"start": i, "x0": r.extra.get("x0"), "x": r.x, "fun": r.fun, "status": r.status.value,
         "verdict": r.extra.get("verdict"), "nfev": r.nfev, "best": r is best}
        for i, r in enumerate(runs)]
    best.extra["starts_run"] = len(runs)
    best.extra["verified_starts"] = sum(str(r.extra.get("verdict", "")).startswith("minimum") for r in runs)
    return best
