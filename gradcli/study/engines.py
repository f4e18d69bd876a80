"""Where runs execute: each engine takes tasks and yields (index, record) as runs finish.

Engines only move tasks and records; what a run computes is ``compare.run_task_safe`` everywhere, so
a record does not depend on the engine. Dask lives in gradcli.distributed and is imported only when
``--scheduler`` asks for it.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
from collections.abc import Iterator

from gradcli.study.compare import Task, failure_record, run_task_safe

WORKER_DIED = "worker process died"   # how a failure record made here starts; the CLI names these runs


def serial(tasks: list[Task]) -> Iterator[tuple[int, dict]]:
    for i, task in enumerate(tasks):
        yield i, run_task_safe(task)


def process_pool(tasks: list[Task], jobs: int) -> Iterator[tuple[int, dict]]:
    """``jobs`` local processes (no Dask needed), in rounds, so that a dead process costs one record.

    A process that dies (segfault, OOM kill, os._exit) breaks the pool: Python fails every unfinished
    run with BrokenProcessPool and stops the other workers. The finished records stand; the runs that
    had started (the killer, and the innocent runs beside it) are run again ``isolated``, where a death
    names its run; the runs that had not started go to a fresh pool. A broken round isolates at least
    one run, so the rounds end.
    """
    todo = list(range(len(tasks)))
    while todo:
        started = multiprocessing.RawArray("b", len(tasks))
        unfinished = yield from _pool_round(tasks, todo, jobs, started)
        suspects = {i for i in unfinished if started[i]} or set(unfinished)   # none started: nothing to go on
        yield from isolated(tasks, sorted(suspects))
        todo = sorted(set(unfinished) - suspects)


def _pool_round(tasks: list[Task], todo: list[int], jobs: int, started):
    """Yield records from one ProcessPoolExecutor; return the runs left unfinished if it broke."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_share, initargs=(started,))
    futures: dict = {}
    unfinished: list[int] = []
    try:
        try:
            for i in todo:
                futures[pool.submit(_run_marked, i, tasks[i])] = i
        except BrokenProcessPool:              # broke while the runs were being handed out
            unfinished = todo[len(futures):]
        for fut in as_completed(futures):
            try:
                record = fut.result()
            except BrokenProcessPool:          # every unfinished run fails this way, finished ones keep
                unfinished.append(futures[fut])
                continue
            yield futures[fut], record
        if unfinished:                         # its workers are dead: join its threads before isolated() forks
            pool.shutdown(wait=True)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return unfinished


_STARTED = None


def _share(started) -> None:
    global _STARTED
    _STARTED = started


def _run_marked(i: int, task: Task) -> dict:
    """run_task_safe in a pool worker, marking run ``i`` as started first (in shared memory, which outlives
    the worker)."""
    _STARTED[i] = 1
    return run_task_safe(task)


def isolated(tasks: list[Task], indices: list[int]) -> Iterator[tuple[int, dict]]:
    """Each run alone in a process of its own, one after another (the suspects of a broken round are at
    most ``jobs``): a death is then that run's own, never a neighbour picked by the OOM killer, and the
    exit code says how it died. A run that dies alone is recorded as a failure, not retried: runs are
    seeded, so it would die the same way again."""
    ctx = multiprocessing.get_context()
    for i in indices:
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_alone, args=(tasks[i], send), name=f"gradcli-run-{i}")
        try:
            proc.start()
            send.close()                       # the child holds the only writer: its death reads as EOF
            try:
                record = receive.recv()        # before join: a big record would fill the pipe
            except (EOFError, OSError, pickle.UnpicklingError):
                record = None
            proc.join()
        finally:                               # Ctrl-C or an error here: no child outlives the study
            if proc.pid is not None and proc.exitcode is None:
                proc.kill()
                proc.join()
            send.close()
            receive.close()
        if isinstance(record, KeyboardInterrupt):
            raise KeyboardInterrupt
        if record is None:
            record = failure_record(tasks[i], f"{WORKER_DIED} ({_how(proc.exitcode)})")
        yield i, record


def _alone(task: Task, conn) -> None:
    try:
        conn.send(run_task_safe(task))
    except KeyboardInterrupt:                  # Ctrl-C reaches the whole process group: let the parent stop
        conn.send(KeyboardInterrupt())


def _how(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"signal {-exitcode} {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def worker_death(record: dict) -> str | None:
    """'signal 9 SIGKILL' when ``record`` is that of a run that killed its process, else None."""
    message = record.get("message") or ""
    return message[len(WORKER_DIED):].strip(" ()") if message.startswith(WORKER_DIED) else None


def engine_for(jobs: int = 1, scheduler: str | None = None):
    """A function tasks -> iterator of (index, record) for the options given."""
    if scheduler:
        from gradcli.study.distributed import dask_results
        return lambda tasks: dask_results(tasks, scheduler)
    if jobs <= 1:
        return serial
    return lambda tasks: process_pool(tasks, max(1, min(jobs, len(tasks))))   # no idle workers forked


def run_study(tasks: list[Task], jobs: int = 1, on_result=None, *, scheduler: str | None = None,
              done: dict[str, dict] | None = None) -> tuple[list[dict], bool]:
    """Run every task not already ``done`` (records by task key, from a results file) on an engine:
    in-process, ``jobs`` processes, or a Dask cluster (``scheduler``). ``on_result(task, record)`` is
    called as each run finishes, in completion order. Records come back in task order whatever ran them.

    Returns (records, interrupted). Ctrl-C stops cleanly with what has finished.
    """
    done = dict(done or {})
    records: dict[int, dict] = {i: done[t.key] for i, t in enumerate(tasks) if t.key in done}
    todo = [(i, t) for i, t in enumerate(tasks) if i not in records]
    interrupted = False
    results = engine_for(jobs, scheduler)([t for _, t in todo])
    try:
        for j, rec in results:
            i = todo[j][0]
            records[i] = rec
            if on_result:
                on_result(tasks[i], rec)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        results.close()
    return [records[i] for i in sorted(records)], interrupted
