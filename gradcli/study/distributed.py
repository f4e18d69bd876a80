"""The Dask engine (``compare --scheduler local:N | tcp://HOST:PORT``), imported only when asked for.

Why Dask: the same study runs on a laptop's cores (a LocalCluster) or on many machines (a scheduler
and workers started by hand) with no change to what a run is. What travels is a ``compare.Task``: the
problem file's text and hash plus a few numbers, never compiled code (which does not pickle and would
be rebuilt anyway). Each worker thread keeps its compiled problems by hash (``compare._compiled``), so a
problem is compiled once per worker thread, not once per run.

Failures: a worker that dies mid-run has its runs re-scheduled on the others by the Dask scheduler
(up to ``distributed.scheduler.allowed-failures`` times, default 3); only a run that keeps killing its
workers is recorded as a failure (``KilledWorker``). A run that raises is already a failure record
(``compare.run_task_safe``).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator

from gradcli.study.compare import Task, failure_record, run_batch
from gradcli.errors import GradcliError

INSTALL_HINT = "pip install 'gradcli[distributed]'"
# Worker housekeeping that wakes often and takes the GIL from the run: Dask's statistical profiler (every
# 10 ms) made short runs ~2x slower in benchmarks/scale_out.py; the event-loop tick (20 ms) and memory
# monitor (100 ms) cost a little more. Set for LocalCluster; a cluster started by hand can use
# DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False etc.
QUIET_WORKERS = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "500ms",
                 "distributed.worker.memory.monitor-interval": "1s"}
MAX_BATCH = 16          # runs per Dask task at most: records stream back at least this often
BATCHES_PER_WORKER = 8  # ... and at least this many tasks per worker thread, so the load stays balanced


SCHEMES = ("tcp",)       # tls:// needs certificates (Dask's security config), ucx/inproc/ws are not for a study
CONNECT_SECONDS = 5      # a refused or unresolvable scheduler answers within this, not Dask's 15 s wait


def parse_scheduler(spec: str) -> tuple[str, int | str]:
    """'local' or 'local:N' -> ('local', N); 'tcp://HOST[:PORT]' -> ('address', 'tcp://HOST:PORT').

    Checked here, before Dask sees it: 'localhost:8786' (no scheme) once read as 8 786 local workers."""
    from gradcli.limits import MAX_WORKERS

    shown = spec if len(spec) <= 80 else spec[:60] + "…"
    if spec == "local" or spec.startswith("local:"):
        n = spec[len("local:"):] if spec != "local" else "2"
        if not n.isdigit():
            raise GradcliError(f"--scheduler {shown}: expected local:N with N a number of worker processes")
        if not 1 <= int(n) <= MAX_WORKERS:
            raise GradcliError(f"--scheduler {shown}: N must be from 1 to {MAX_WORKERS} (4 per core, MAX_WORKERS)")
        return "local", int(n)
    scheme, sep, rest = spec.partition("://")
    if not sep:
        raise GradcliError(f"--scheduler {shown}: expected local:N or a scheduler address tcp://HOST:PORT "
                           f"(did you mean tcp://{shown}?)")
    if scheme not in SCHEMES:
        raise GradcliError(f"--scheduler {shown}: the scheme {scheme}:// is not supported here; use tcp://HOST:PORT "
                           "(tls:// needs Dask's security configuration: connect from Python instead)")
    host, port = _host_port(rest, shown)
    return "address", f"tcp://{'[' + host + ']' if ':' in host else host}:{port}"


def _host_port(rest: str, shown: str) -> tuple[str, int]:
    if rest.startswith("["):                      # [IPv6]:port
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ("" if not tail else None)
    else:
        host, colon, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not host or not re.fullmatch(r"[A-Za-z0-9.:_-]+", host) or port_text is None or "/" in rest:
        raise GradcliError(f"--scheduler {shown}: expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    if port_text == "":
        return host, 8786                         # Dask's default scheduler port
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise GradcliError(f"--scheduler {shown}: the port must be a number from 1 to 65535")
    return host, int(port_text)


def check_reachable(address: str) -> None:
    """Fail in seconds, with one line, when nothing listens at the address (Dask would wait 15 s, then
    print a traceback)."""
    import socket

    host, port = _host_port(address[len("tcp://"):], address)
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise GradcliError(f"--scheduler {address}: cannot reach the Dask scheduler ({why}); is `dask scheduler` "
                           "running there?") from None


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
        import dask
        dask.config.set(QUIET_WORKERS)
        # one thread per worker: runs are CPU-bound Python, threads would only fight over the GIL
        cluster = distributed.LocalCluster(n_workers=value, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
        return distributed.Client(cluster), cluster
    check_reachable(value)
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
        threads = max(1, sum(client.nthreads().values()))
        batches = batch_ranges(len(tasks), threads)
        # explicit keys: Dask would otherwise hash every task (text included) to name it
        futures = client.map(run_batch, [tasks[b.start:b.stop] for b in batches],
                             key=[f"gradcli-{study}-{b.start}" for b in batches], pure=False)
        where = {f.key: b for f, b in zip(futures, batches)}
        for fut, value in distributed.as_completed(futures, with_results=True, raise_errors=False):
            batch = where[fut.key]
            if fut.status == "finished":
                records = value
            else:                                  # the batch kept killing workers, or could not start
                exc = value[1] if isinstance(value, tuple) else fut.exception()
                if _cannot_import_gradcli(exc):
                    raise GradcliError("the Dask workers cannot import gradcli: install it on every worker machine "
                                       f"({INSTALL_HINT}), the same version as here ({exc})")
                records = [failure_record(tasks[i], f"{type(exc).__name__}: {exc}"[:300]) for i in batch]
            fut.release()
            yield from zip(batch, records)
    finally:
        if futures:
            try:
                client.cancel(futures)
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass
        client.close()
        if cluster is not None:
            cluster.close()


def batch_ranges(n: int, threads: int) -> list[range]:
    """Consecutive runs (plan order: one problem's runs together, so a batch rarely compiles twice)."""
    size = max(1, min(MAX_BATCH, n // (threads * BATCHES_PER_WORKER)))
    return [range(i, min(n, i + size)) for i in range(0, n, size)]


def _cannot_import_gradcli(exc) -> bool:
    return isinstance(exc, ImportError) and "gradcli" in str(exc)

