"""Is `--method auto` never worse than picking one method by hand? (issue: auto as a portfolio)

    python benchmarks/auto_quality.py                   # the bundled library (~2 minutes on 2 cores), then 3.
    python benchmarks/auto_quality.py --library-only    # 1. and 2. only

1. Every (problem, start) of problems/: which runs each single method solves (f − f* ≤ 1e-6·max(1,|f*|) at
   a feasible point, compare's rule), whether auto solves every run any of them solves, and auto's
   evaluations (f + ∇f) over the cheapest single method that solves the run (median over runs).
2. The bundled problems whose variables all have finite bounds (and no constraints), from their file's x0:
   how often auto and each of SciPy's global methods reaches the published f*.
3. The published bounded two-variable set benchmarks/global2d/ (benchmarks/global2d.py, seeds 0-4; its own
   script adds the `auto --starts 16` column).
"""

from __future__ import annotations

import collections
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

SINGLE = ["bfgs", "l-bfgs-b", "slsqp", "nelder-mead", "trust-exact", "tnc", "powell", "trust-constr", "cobyla"]
GLOBAL = ["differential-evolution", "dual-annealing", "shgo", "direct", "basinhopping"]


def main() -> None:
    from gradcli.study.compare import plan
    from gradcli.study.engines import run_study

    tasks, _ = plan(["problems"], ",".join(["auto", *SINGLE]), seed=0)
    records, _ = run_study(tasks, jobs=2)
    solved = collections.defaultdict(set)
    cost = collections.defaultdict(dict)
    for r in records:
        key = (r["problem"], r["start"])
        cost[key][r["method"]] = (r["nfev"] or 0) + (r["njev"] or 0)
        if r.get("solved"):
            solved[r["method"]].add(key)
    others = set().union(*(v for m, v in solved.items() if m != "auto"))
    missed = sorted(others - solved["auto"])
    ratios = [cost[k]["auto"] / min(c for m, c in cost[k].items() if m != "auto" and k in solved[m])
              for k in solved["auto"] & others]
    print(f"runs: {len(cost)}; solved by some single method: {len(others)}; by auto: {len(solved['auto'])}")
    print(f"missed by auto: {missed or 'none'}")
    print(f"auto's evaluations / the cheapest single solver's: median {statistics.median(ratios):.2f}, "
          f"quartiles {statistics.quantiles(ratios, n=4)[0]:.2f}–{statistics.quantiles(ratios, n=4)[2]:.2f}")
    for m in sorted(solved):
        print(f"  {m:<24} solves {len(solved[m])}")

    boxed = []
    import yaml
    for p in sorted(pathlib.Path("problems").glob("*.yaml")):
        d = yaml.safe_load(p.read_text())
        b = d.get("bounds") or {}
        if b and not d.get("constraints") and len(b) == len(d.get("variables") or b) and \
                all(v is not None for lohi in b.values() for v in lohi):
            boxed.append(str(p))
    tasks, _ = plan(boxed, ",".join(["auto", *GLOBAL]), seed=0)
    records, _ = run_study(tasks, jobs=2)
    reached = collections.Counter(r["method"] for r in records if r.get("solved") and r["start"] == 0)
    print(f"\nbounded problems ({len(boxed)}), global minimum reached from x0:")
    for m, k in reached.most_common():
        print(f"  {m:<24} {k}/{len(boxed)}")


if __name__ == "__main__":
    main()
    if "--library-only" not in sys.argv[1:]:
        import global2d
        print()
        global2d.main(["--seeds", "5", "--starts-seeds", "0"])
