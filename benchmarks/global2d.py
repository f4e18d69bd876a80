"""Does `--method auto` reach the global minimum as often as the best single SciPy global method? (issue 22)

    python benchmarks/global2d.py                 # benchmarks/global2d/*.yaml, seeds 0-4, a few minutes
    python benchmarks/global2d.py --seeds 1 --starts-seeds 0     # one seed, without auto --starts 16

Every file of benchmarks/global2d/ (bounded two-variable test functions from Jamil & Yang 2013 and SciPy's
go_benchmark_functions, f* verified) from its x0: `auto` with its defaults, `auto --starts 16`, and each of
SciPy's global methods gradcli offers with its defaults. Solved is compare's rule, f − f* ≤ tol·max(1, |f*|)
(tol: the file's solution.tol, else 1e-6). Runs through compare's plan/run_study (and run() for --starts),
so the counts and the rule are gradcli's own. Random methods get a different seed per study seed; the
totals are the mean over seeds, the table shows seed 0.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FOLDER = ROOT / "benchmarks" / "global2d"
GLOBAL = ["differential-evolution", "dual-annealing", "shgo", "direct", "basinhopping"]
STARTS = 16
MULTI = f"auto --starts {STARTS}"
SHORT = {MULTI: "auto16", "differential-evolution": "DE", "dual-annealing": "DA", "basinhopping": "BH"}


def study(seed: int, jobs: int, multistart: bool) -> list[dict]:
    """One record per (problem, method) from each file's x0: compare's records, plus auto --starts 16."""
    from gradcli.solvers.registry import REGISTRY
    from gradcli.study.compare import plan
    from gradcli.study.engines import run_study

    tasks, _ = plan([str(FOLDER)], ",".join(["auto", *GLOBAL]), seed=seed)
    records, _ = run_study(tasks, jobs=jobs)
    name = {REGISTRY.get(m).label: m for m in ["auto", *GLOBAL]}     # records carry the label (DIRECT)
    records = [dict(r, method=name.get(r["method"], r["method"])) for r in records if r["start"] == 0]
    if multistart:
        from concurrent.futures import ProcessPoolExecutor
        paths = sorted(FOLDER.glob("*.yaml"))
        with ProcessPoolExecutor(jobs) as pool:
            records += list(pool.map(multi_record, paths, [seed] * len(paths)))
    return records


def multi_record(path, seed: int) -> dict:
    """`minimize FILE --method auto --starts 16 --seed S`, judged by compare's rule."""
    from gradcli.problem.file import load_problem
    from gradcli.run.solve import run
    from gradcli.study.compare import DEFAULT_TOL, solved

    problem = load_problem(path)
    r = run(problem, "auto", starts=STARTS, seed=seed).results[0]
    tol = problem.solution.tol or DEFAULT_TOL
    every = r.extra["multistart"]          # the best start's Result carries its own counts: sum them all
    return {"problem": problem.name, "method": MULTI, "fun": r.fun, "nfev": sum(s["nfev"] for s in every),
            "njev": sum(s["njev"] for s in every),
            "solved": solved(r.fun, problem.solution.f, tol, r.extra.get("maxcv"))}


def evals(r) -> int:
    return (r.get("nfev") or 0) + (r.get("njev") or 0)


def report(by_seed: dict[int, list[dict]]) -> dict:
    """The table (seed 0, or the first seed), the totals (mean over seeds) and median evaluations."""
    from rich.console import Console
    from rich.table import Table

    present = {r["method"] for recs in by_seed.values() for r in recs}
    methods = [m for m in ["auto", MULTI, *GLOBAL] if m in present]
    first = by_seed[min(by_seed)]
    cell = {(r["problem"], r["method"]): r for r in first}
    problems = sorted({r["problem"] for r in first})
    table = Table(title=f"global minimum reached from x0 (seed {min(by_seed)}; ✗ shows f)")
    table.add_column("problem")
    for m in methods:
        table.add_column(m.replace("differential-evolution", "diff-evol").replace("dual-annealing", "dual-ann")
                         .replace("basinhopping", "basinhop"), justify="center")
    for p in problems:
        row = []
        for m in methods:
            r = cell.get((p, m))
            row.append("–" if r is None else "✓" if r.get("solved") else f"✗ {r['fun']:.4g}"
                       if r.get("fun") is not None else "✗ error")
        table.add_row(p, *row)
    Console(width=132).print(table)

    if len(by_seed) > 1:
        print(f"\nsolved in how many seeds (solved/run), where not every method solves every seed:")
        for p in problems:
            mine = [r for recs in by_seed.values() for r in recs if r["problem"] == p]
            k = {m: (sum(1 for r in mine if r["method"] == m and r.get("solved")),
                     sum(1 for r in mine if r["method"] == m)) for m in methods}
            if any(a < b for a, b in k.values()):
                print(f"  {p:<17}" + " ".join(f"{SHORT.get(m, m)}:{a}/{b}" for m, (a, b) in k.items()))
    summary = {}
    print(f"\n{len(problems)} problems; seeds {sorted(by_seed)}; mean solved over seeds, "
          "median evaluations (f + ∇f):")
    for m in methods:
        counts = [sum(1 for r in recs if r["method"] == m and r.get("solved")) for recs in by_seed.values()
                  if any(r["method"] == m for r in recs)]
        cost = [evals(r) for recs in by_seed.values() for r in recs if r["method"] == m]
        summary[m] = (statistics.mean(counts), min(counts), max(counts), statistics.median(cost))
        print(f"  {m:<24} {summary[m][0]:5.1f} / {len(problems)}  ({len(counts)} seeds: "
              f"{min(counts)}–{max(counts)})   median evaluations {summary[m][3]:.0f}")
    best = max(GLOBAL, key=lambda m: summary[m][0])
    print(f"\nbest single global method: {best} ({summary[best][0]:.1f}); auto {summary['auto'][0]:.1f}; "
          f"auto's median evaluations / differential-evolution's: "
          f"{summary['auto'][3] / summary['differential-evolution'][3]:.2f}")
    for s, recs in sorted(by_seed.items()):
        some = {r["problem"] for r in recs if r["method"] in GLOBAL and r.get("solved")}
        mine = {r["problem"] for r in recs if r["method"] == "auto" and r.get("solved")}
        print(f"seed {s}: some SciPy global method {len(some)}, auto {len(mine)}; only auto: "
              f"{sorted(mine - some) or '-'}; not auto: {sorted(some - mine) or '-'}")
    return summary


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5, help="study seeds 0..N-1 (default 5)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--starts-seeds", type=int, default=2,
                    help=f"{MULTI} (the slowest column, ~5 minutes a seed) for seeds 0..N-1 only (default 2)")
    args = ap.parse_args(argv)
    report({s: study(s, args.jobs, s < args.starts_seeds) for s in range(args.seeds)})


if __name__ == "__main__":
    main()
