"""Where runs execute: each engine takes tasks and yields (index, record) as runs finish.

Engines only move tasks and records; what a run computes is ``compare.run_task_safe`` everywhere, so
a record does not depend on the engine. Dask lives in gradcli.distributed and is imported only when
``--scheduler`` asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator

from .compare import Task, run_task_safe


def serial(tasks: list[Task]) -> Iterator[tuple[int, dict]]:
    for i, task in enumerate(tasks):
        yield i, run_task_safe(task)


def process_pool(tasks: list[Task], jobs: int) -> Iterator[tuple[int, dict]]:
    """``jobs`` local processes (no Dask needed). A dead process breaks the pool: the runs it had not
    finished are not recorded, and a re-run with --results finishes them."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(run_task_safe, t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def engine_for(jobs: int = 1, scheduler: str | None = None):
    """A function tasks -> iterator of (index, record) for the options given."""
    if scheduler:
        from .distributed import dask_results
        return lambda tasks: dask_results(tasks, scheduler)
    if jobs <= 1:
        return serial
    return lambda tasks: process_pool(tasks, jobs)
