"""Performance profiles and study summaries as pure functions over run records (no printing)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

COSTS = {
    "nfev": lambda r: r["nfev"],
    "njev": lambda r: r["njev"],
    "evals": lambda r: r["nfev"] + r["njev"],     # f-evaluations + gradient evaluations
    "time": lambda r: r["time"],
}


@dataclass(frozen=True)
class Skip:
    """A method that could not run a problem: it fails every start of it in the profiles (ratio ∞)."""

    problem: str
    method: str            # spelled as the tables spell it (the registry's label)
    why: str


def skips(skipped) -> list[Skip]:
    """compare's (problem, method name, why) triples with each method spelled as the tables spell it."""
    from gradcli.errors import GradcliError
    from gradcli.solvers.registry import REGISTRY

    out = []
    for problem, method, why in skipped or ():
        try:
            label = REGISTRY.get(method).label
        except GradcliError:
            label = method
        out.append(Skip(problem, label, why))
    return out


@dataclass
class Profile:
    """Dolan & Moré (2002): rho[s][k] = share of problems solver s solves within taus[k] x the best cost."""

    cost: str
    methods: list[str]
    taus: list[float]
    rho: dict[str, list[float]]
    problems: int          # problems with a known f* (every one counts, whoever could run it)
    instances: int = 0     # (problem, start) pairs over those problems: the denominator of rho
    skipped: list[Skip] = field(default_factory=list)

    def at(self, method: str, tau: float) -> float:
        """rho_s(tau) for any tau: the step function's value at the last breakpoint <= tau."""
        import bisect
        k = bisect.bisect_right(self.taus, tau) - 1
        return self.rho[method][k] if k >= 0 else 0.0

    def table_taus(self) -> list[float]:
        """A readable grid for a terminal table: 1, 1.5, 2, 4, ... up to the largest ratio."""
        top = max(self.taus, default=1.0)
        return [t for t in (1.0, 1.5, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0) if t < top] + [top]


def _methods(records, skipped: list[Skip]) -> list[str]:
    return sorted({r["method"] for r in records} | {s.method for s in skipped})


def _instances(records, keep) -> dict[tuple, dict[str, dict]]:
    """(problem, start) → {method: record} over every instance any method ran with ``keep(record)`` true.

    Dolan & Moré count every problem of the set: a method with no record for an instance (it could not
    run the problem, or its run was lost) fails it, rather than the instance vanishing from the profile.
    """
    runs: dict[tuple, dict[str, dict]] = {}
    for r in records:
        if keep(r):
            runs.setdefault((r["problem"], r["start"]), {})[r["method"]] = r
    return runs


def performance_profile(records: list[dict], cost: str = "evals", taus: list[float] | None = None,
                        skipped=()) -> Profile:
    """Ratios r_ps = t_ps / min_s t_ps, with t_ps = inf when s did not solve p (Dolan & Moré 2002, eq. 1-2).

    ``skipped``: compare's (problem, method, why) for methods that could not run a problem; they count as
    failures there (r_ps = ∞), as does a run without a record.
    """
    skip = skips(skipped)
    methods = _methods(records, skip)
    measure = COSTS[cost]
    instances = _instances(records, lambda r: r.get("solved") is not None)
    ratios: dict[str, list[float]] = {m: [] for m in methods}
    for runs in instances.values():
        t = {m: (max(float(measure(runs[m])), 1e-12) if m in runs and runs[m]["solved"] else math.inf)
             for m in methods}
        best = min(t.values())
        for m in methods:
            ratios[m].append(t[m] / best if math.isfinite(best) else math.inf)
    if taus is None:   # every ratio that occurs: the profile is a step function that changes only there
        taus = sorted({1.0} | {v for vs in ratios.values() for v in vs if math.isfinite(v)})
    n = len(instances)
    rho = {m: [sum(v <= tau for v in ratios[m]) / n if n else 0.0 for tau in taus] for m in methods}
    return Profile(cost, methods, taus, rho, len({p for p, _ in instances}), n, skip)


@dataclass
class MethodSummary:
    method: str
    runs: int
    solved: int
    judged: int            # runs with a known f*, plus the starts of problems it could not run (failed)
    median_evals: float | None
    total_time: float
    skipped: int = 0       # problems it could not run (counted as failures in judged)


def summarize(records: list[dict], skipped=()) -> list[MethodSummary]:
    """Per method: problems solved, median f+∇f evaluations on solved runs, total time; best first.

    Every method is judged on the same instances: a problem it could not run counts as unsolved once per
    start the other methods ran, so the shares (and the ranking) are over one problem set.
    """
    skip = skips(skipped)
    judged_starts: dict[str, set] = {}
    for r in records:
        if r.get("solved") is not None:
            judged_starts.setdefault(r["problem"], set()).add(r["start"])
    out = []
    for m in _methods(records, skip):
        rs = [r for r in records if r["method"] == m]
        ok = [r for r in rs if r.get("solved")]
        missed = {s.problem for s in skip if s.method == m}
        out.append(MethodSummary(m, len(rs), len(ok), sum(r.get("solved") is not None for r in rs)
                                 + sum(len(judged_starts.get(p, ())) for p in missed),
                                 statistics.median([r["nfev"] + r["njev"] for r in ok]) if ok else None,
                                 sum(r["time"] for r in rs), len(missed)))
    out.sort(key=lambda s: (-s.solved / max(s.judged, 1), s.median_evals if s.median_evals is not None else math.inf))
    return out


# ---- budget-based views: data profiles and runtime ECDFs (need each run's `history`) ----------------

def budget_grid(decades: int) -> list[float]:
    """1 to 10**decades: ten log-spaced points per decade plus the 1-2-5 values the tables show."""
    fine = {round(10 ** (k / 10), 6) for k in range(10 * decades + 1)}
    return sorted(fine | {float(m * 10 ** d) for d in range(decades) for m in (1, 2, 5)} | {float(10 ** decades)})


DATA_BUDGETS = budget_grid(3)                                              # in simplex gradients, n + 1 evals
ECDF_TARGETS = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]           # f - f* to reach (COCO)
ECDF_BUDGETS = budget_grid(4)                                              # in evals / n


@dataclass
class DataProfile:
    """Moré & Wild (2009): d_s(α) = share of problems method s solves within α (n_p + 1) evaluations."""

    tau: float
    methods: list[str]
    budgets: list[float]
    d: dict[str, list[float]]
    problems: int          # problems with history and a finite f(x0): every one counts, whoever could run it
    instances: int = 0     # (problem, start) pairs over those problems: the denominator of d


@dataclass
class RuntimeECDF:
    """COCO-style: share of (instance, target) pairs a method reached within each budget (evals / n)."""

    targets: list[float]
    methods: list[str]
    budgets: list[float]
    share: dict[str, list[float]]
    instances: int         # (problem, start) instances with a known f*; pairs = instances x targets
    problems: int = 0      # distinct problems among them


def _feasible(r) -> bool:
    from gradcli.study.compare import FEASIBILITY_TOL
    return r.get("maxcv") is None or r["maxcv"] <= FEASIBILITY_TOL


def _first_reaching(history, level: float) -> float:
    """The evaluation count at which the best f first got to ``level`` or below (inf: never)."""
    for evals, f in history or []:
        if f <= level:
            return float(evals)
    return math.inf


def data_profile(records: list[dict], tau: float = 1e-3, budgets: list[float] | None = None,
                 skipped=()) -> DataProfile:
    """Data profiles of Moré & Wild, "Benchmarking derivative-free optimization algorithms", SIAM J. Optim.
    20(1):172-191, 2009, §2.

    A run solves instance p once its best value passes their convergence test
        f(x0) - f(x) >= (1 - τ) (f(x0) - f_L),
    with f_L the smallest value any method found on p (final f of feasible runs) or the published f*,
    whichever is lower. t_{p,s} is the evaluations (f + ∇f, as in --cost evals) it took, and the data
    profile is d_s(α) = |{p : t_{p,s} / (n_p + 1) <= α}| / |P|, α in simplex gradients.
    A run ending infeasible never counts as solved (its history may pass through infeasible points), and
    a method that could not run an instance (``skipped``, or no record with history) fails it.
    """
    methods = _methods(records, skips(skipped))
    budgets = list(budgets or DATA_BUDGETS)
    instances = {k: v for k, v in _instances(records, lambda r: r.get("history") is not None).items()
                 if all(r.get("f0") is not None for r in v.values())}
    cost: dict[str, list[float]] = {m: [] for m in methods}
    for runs in instances.values():
        any_run = next(iter(runs.values()))
        found = [r["fun"] for r in runs.values() if r.get("fun") is not None and _feasible(r)]
        f_l = min(found + ([any_run["f_star"]] if any_run.get("f_star") is not None else []), default=None)
        for m in methods:
            r = runs.get(m)
            if r is None:
                cost[m].append(math.inf)
                continue
            f0 = r["f0"]
            if f_l is None or not _feasible(r):
                t = math.inf
            elif f0 <= f_l:            # x0 already as good as anything found: the test holds at once
                t = 0.0
            else:
                t = _first_reaching(r["history"], f0 - (1 - tau) * (f0 - f_l))
            cost[m].append(t / (r.get("n", 1) + 1))
    n = len(instances)
    d = {m: [sum(c <= a for c in cost[m]) / n if n else 0.0 for a in budgets] for m in methods}
    return DataProfile(tau, methods, budgets, d, len({p for p, _ in instances}), n)


def runtime_ecdf(records: list[dict], targets: list[float] | None = None,
                 budgets: list[float] | None = None, skipped=()) -> RuntimeECDF:
    """Empirical runtime distributions in the style of COCO (Hansen et al., "COCO: a platform for comparing
    continuous optimizers in a black-box setting", 2021): for each run and each target Δ in ``targets``,
    the runtime is the evaluations (f + ∇f) until best f - f* <= Δ; the ECDF at budget b is the share
    of all (instance, target) pairs reached within b · n evaluations. Instances without a known f* are
    left out; a run ending infeasible reaches no target, nor does a method that could not run the instance.
    """
    methods = _methods(records, skips(skipped))
    targets = list(targets or ECDF_TARGETS)
    budgets = list(budgets or ECDF_BUDGETS)
    instances = {k: v for k, v in _instances(records, lambda r: r.get("history") is not None).items()
                 if next(iter(v.values())).get("f_star") is not None}
    times: dict[str, list[float]] = {m: [] for m in methods}
    for runs in instances.values():
        for m in methods:
            r = runs.get(m)
            for t in targets:
                hit = _first_reaching(r["history"], r["f_star"] + t) if r is not None and _feasible(r) else math.inf
                times[m].append(hit / max(r.get("n", 1), 1) if r is not None else math.inf)
    pairs = len(instances) * len(targets)
    share = {m: [sum(v <= b for v in times[m]) / pairs if pairs else 0.0 for b in budgets] for m in methods}
    return RuntimeECDF(targets, methods, budgets, share, len(instances), len({p for p, _ in instances}))
