"""Throughput of `compare` on a Dask LocalCluster against the process pool (--jobs), and compile counts.

    python benchmarks/scale_out.py            # 2 000 short runs, 2 workers each way (~1-2 min on 2 cores)
    python benchmarks/scale_out.py --runs 500 --workers 2

The study is small 2-variable problems x (BFGS, Nelder-Mead) x generated starts (--starts), so runs are
short and per-run overhead (shipping tasks, streaming records back) is what is measured. The Dask
cluster is started before the clock starts and its start-up time is reported separately, since a real
cluster is started once for many studies. Each worker's compile count comes from
gradcli.study.compare.worker_state (process state, never part of a record): it should equal the number of
problems that worker saw, not its number of runs. Run from a checkout; it puts the checkout first on
sys.path and in PYTHONPATH (for the workers), so nothing needs installing but dask[distributed].
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ["rosenbrock", "beale", "booth", "himmelblau", "matyas", "three_hump_camel", "six_hump_camel",
            "freudenstein_roth", "branin", "mccormick"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    from gradcli.study.compare import plan, worker_state
    from gradcli.study.engines import run_study

    files = [ROOT / "problems" / f"{p}.yaml" for p in PROBLEMS]
    methods = "bfgs,nelder-mead"
    starts = 0
    while len(tasks := plan(files, methods, seed=0, starts=starts)[0]) < args.runs:
        starts += 10

    tasks = tasks[:args.runs]
    print(f"{len(tasks)} runs: {len(files)} problems x {methods} x the files' starts + {starts} generated; {args.workers} workers")

    t = time.perf_counter()
    pool_records, _ = run_study(tasks, jobs=args.workers)
    pool = time.perf_counter() - t
    print(f"--jobs {args.workers}:            {pool:6.2f} s  {len(tasks) / pool:7.1f} runs/s")

    import logging

    import dask
    from distributed import Client, LocalCluster
    from gradcli.study.distributed import QUIET_WORKERS
    dask.config.set(QUIET_WORKERS)    # as gradcli.study.distributed.connect does
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None,
                           silence_logs=logging.ERROR)
    startup = time.perf_counter() - t
    try:
        t = time.perf_counter()
        dask_records, _ = run_study(tasks, scheduler=cluster.scheduler_address)
        dask = time.perf_counter() - t
        with Client(cluster) as client:
            states = client.run(worker_state)
    finally:
        cluster.close()
    print(f"--scheduler local:{args.workers}: {dask:6.2f} s  {len(tasks) / dask:7.1f} runs/s  "
          f"(+ {startup:.1f} s cluster start-up, not timed above)")
    print(f"ratio dask / pool: {dask / pool:.2f}  (with start-up: {(dask + startup) / pool:.2f})")
    busy = lambda rs: sum(r["time"] for r in rs)  # noqa: E731
    print(f"time inside runs: pool {busy(pool_records):.2f} s, dask {busy(dask_records):.2f} s "
          f"(the machine's other load shows here too: `uptime` load {os.getloadavg()[0]:.1f})")
    for addr, s in sorted(states.items()):
        print(f"worker {addr}: {s['compiles']} compilations, {s['cached']} problems cached "
              f"(study has {len(files)} problems, {len(tasks)} runs)")
    strip = lambda rs: [{k: v for k, v in r.items() if k != "time"} for r in rs]  # noqa: E731
    print("records identical (apart from time):", strip(pool_records) == strip(dask_records))


if __name__ == "__main__":
    main()
