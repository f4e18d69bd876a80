"""Performance profiles and study summaries as pure functions over run records (no printing)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

COSTS = {
    "nfev": lambda r: r["nfev"],
    "njev": lambda r: r["njev"],
    "evals": lambda r: r["nfev"] + r["njev"],     # f-evaluations + gradient evaluations
    "time": lambda r: r["time"],
}


@dataclass
class Profile:
    """Dolan & Moré (2002): rho[s][k] = share of problems solver s solves within taus[k] x the best cost."""

    cost: str
    methods: list[str]
    taus: list[float]
    rho: dict[str, list[float]]
    problems: int          # (problem, start) pairs every method ran on, with a known f*


def _by_instance(records, methods):
    runs: dict[tuple, dict[str, dict]] = {}
    for r in records:
        if r.get("solved") is None or r["method"] not in methods:
            continue
        runs.setdefault((r["problem"], r["start"]), {})[r["method"]] = r
    return {k: v for k, v in runs.items() if len(v) == len(methods)}


def performance_profile(records: list[dict], cost: str = "evals", taus: list[float] | None = None) -> Profile:
    """Ratios r_ps = t_ps / min_s t_ps, with t_ps = inf when s did not solve p (Dolan & Moré 2002, eq. 1-2)."""
    methods = sorted({r["method"] for r in records})
    measure = COSTS[cost]
    instances = _by_instance(records, methods)
    ratios: dict[str, list[float]] = {m: [] for m in methods}
    for runs in instances.values():
        t = {m: (max(float(measure(r)), 1e-12) if r["solved"] else math.inf) for m, r in runs.items()}
        best = min(t.values())
        for m in methods:
            ratios[m].append(t[m] / best if math.isfinite(best) else math.inf)
    finite = [v for vs in ratios.values() for v in vs if math.isfinite(v)]
    top = max(finite, default=1.0)
    if taus is None:
        taus = sorted({1.0, 1.5, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0} | {top})
        taus = [t for t in taus if t <= max(top, 2.0)]
    n = len(instances)
    rho = {m: [sum(v <= tau for v in ratios[m]) / n if n else 0.0 for tau in taus] for m in methods}
    return Profile(cost, methods, taus, rho, n)


@dataclass
class MethodSummary:
    method: str
    runs: int
    solved: int
    judged: int            # runs with a known f*
    median_evals: float | None
    total_time: float


def summarize(records: list[dict]) -> list[MethodSummary]:
    """Per method: problems solved, median f+∇f evaluations on solved runs, total time; best first."""
    out = []
    for m in sorted({r["method"] for r in records}):
        rs = [r for r in records if r["method"] == m]
        ok = [r for r in rs if r.get("solved")]
        out.append(MethodSummary(m, len(rs), len(ok), sum(r.get("solved") is not None for r in rs),
                                 statistics.median([r["nfev"] + r["njev"] for r in ok]) if ok else None,
                                 sum(r["time"] for r in rs)))
    out.sort(key=lambda s: (-s.solved / max(s.judged, 1), s.median_evals if s.median_evals is not None else math.inf))
    return out
