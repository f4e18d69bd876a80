"""`--starts N --seed S`: the same method from N starting points: scrambled Sobol inside finite bounds,
otherwise --x0 and points drawn around it.

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
    from scipy.stats import qmc

    lo, hi = zip(*problem.bounds)
    with warnings.catch_warnings():   # Sobol's balance warning for counts that are not powers of 2
        warnings.simplefilter("ignore")
        unit = qmc.Sobol(d=problem.n, scramble=True, seed=seed).random(count)
    return qmc.scale(unit, lo, hi).tolist()


def start_points(problem, count: int, seed: int | None) -> list[list[float]]:
    """``count`` starts: Sobol points inside finite bounds; otherwise x0 itself first, then points drawn
    around it the way ``compare --starts`` draws them (gradcli/problem/starts.py)."""
    if problem.finite_bounds:
        return sobol_starts(problem, count, seed)
    if problem.x0 is None:
        raise GradcliError("--starts without finite --bounds draws the starts around --x0: give --x0, or "
                           "--bounds x=LO:HI on every variable")
    from gradcli.problem.starts import extra_starts
    return [list(problem.x0)] + extra_starts(problem.x0, problem.bounds, count - 1, seed or 0, "minimize")


def settled(r) -> bool:
    """Verified a minimum, or a finite f where the derivatives do not exist (the tip of a cone, as Ackley's at
    0): no verdict can say more there, and nothing says it is not a minimum (a saddle or maximum can)."""
    from gradcli.result import VerdictKind
    return r.verified or (r.verdict is not None and r.verdict.kind is VerdictKind.NOT_FINITE
                          and r.status.success and math.isfinite(r.fun))


def _rank(result) -> tuple:
    """Verified minima (and points where no verdict exists, see settled) first, then by f (non-finite last)."""
    f = result.fun if math.isfinite(result.fun) else math.inf
    return (not settled(result), f)


def best_of(runs):
    """The best of one method's runs from several starts, with every start summarised in extra['multistart']."""
    best = min(runs, key=_rank)
    best.extra["multistart"] = [
        {"start": i, "x0": r.x0, "x": r.x.tolist(), "fun": r.fun, "status": r.status.value,
         "verdict": r.verdict.kind.value if r.verdict else None, "nfev": r.nfev, "njev": r.njev, "best": r is best}
        for i, r in enumerate(runs)]
    best.extra["starts_run"] = len(runs)
    best.extra["verified_starts"] = sum(r.verified for r in runs)
    return best
