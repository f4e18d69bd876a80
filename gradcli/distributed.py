"""The Dask engine (``compare --scheduler local:N | tcp://HOST:PORT``), imported only when asked for.

Why Dask: the same study runs on a laptop's cores (a LocalCluster) or on many machines (a scheduler
and workers started by hand) with no change to what a run is. What travels is a ``compare.Task``: the
problem file's text and hash plus a few numbers, never compiled code (which does not pickle and would
be rebuilt anyway). Each worker process keeps its compiled problems by hash (``compare._CACHE``), so a
problem is compiled once per worker, not once per run.

Failures: a worker that dies mid-run has its runs re-scheduled on the others by the Dask scheduler
(up to ``distributed.scheduler.allowed-failures`` times, default 3); only a run that keeps killing its
workers is recorded as a failure (``KilledWorker``). A run that raises is already a failure record
(``compare.run_task_safe``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from .compare import Task, failure_record, run_task_safe
from .errors import GradcliError

INSTALL_HINT = "pip install 'gradcli[distributed]'"


def parse_scheduler(spec: str) -> tuple[str, int | str]:
    """'local:N' -> ('local', N); 'tcp://host:port' (or any Dask address) -> ('address', spec)."""
    if spec.startswith("local"):
        _, _, n = spec.partition(":")
        try:
            workers = int(n) if n else 2
        except ValueError:
            raise GradcliError(f"--scheduler {spec}: expected local:N with N a number of worker processes") from None
        if workers < 1:
            raise GradcliError(f"--scheduler {spec}: N must be at least 1")
        return "local", workers
    if "://" not in spec:
        raise GradcliError(f"--scheduler {spec}: expected local:N or a scheduler address such as tcp://HOST:8786")
    return "address", spec


def _import_dask():
    try:
        import distributed
    except ImportError:
        raise GradcliError(f"--scheduler needs Dask's distributed scheduler, which is not installed: {INSTALL_HINT} "
                           "(or run with --jobs N, which needs nothing extra)") from None
    return distributed


def connect(spec: str):
    """(client, cluster or None) for ``--scheduler spec``; the caller closes both."""
    distributed = _import_dask()
    kind, value = parse_scheduler(spec)
    if kind == "local":
        # one thread per worker: runs are CPU-bound Python, threads would only fight over the GIL
        cluster = distributed.LocalCluster(n_workers=value, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
        return distributed.Client(cluster), cluster
    try:
        return distributed.Client(value, timeout="15s"), None
    except (OSError, TimeoutError) as exc:
        raise GradcliError(f"--scheduler {value}: cannot reach the Dask scheduler ({exc}); is `dask scheduler` "
                           "running there?") from None


def dask_results(tasks: list[Task], spec: str) -> Iterator[tuple[int, dict]]:
    """Submit every task, yield (index, record) as runs finish; cancel the rest on Ctrl-C."""
    if not tasks:
        return
    distributed = _import_dask()
    client, cluster = connect(spec)
    futures = []
    try:
        study = uuid.uuid4().hex[:8]
        # explicit keys: Dask would otherwise hash every task (text included) to name it
        futures = client.map(run_task_safe, tasks, key=[f"gradcli-{study}-{i}" for i in range(len(tasks))],
                             pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in distributed.as_completed(futures):
            i = index[fut.key]
            if fut.status == "finished":
                rec = fut.result()
            else:
                exc = fut.exception()
                if _cannot_import_gradcli(exc):
                    raise GradcliError("the Dask workers cannot import gradcli: install it on every worker machine "
                                       f"({INSTALL_HINT}), the same version as here ({exc})")
                rec = failure_record(tasks[i], f"{type(exc).__name__}: {exc}"[:300])
            fut.release()
            yield i, rec
    finally:
        if futures:
            try:
                client.cancel(futures)
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass
        client.close()
        if cluster is not None:
            cluster.close()


def _cannot_import_gradcli(exc) -> bool:
    return isinstance(exc, ImportError) and "gradcli" in str(exc)


def worker_states(spec_or_client) -> dict:
    """Per worker: its compile count (compare.worker_state), for the benchmark."""
    from .compare import worker_state
    return spec_or_client.run(worker_state)
