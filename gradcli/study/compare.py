"""Running a study: many problems x many methods x starts -> one flat list of records.

A work unit carries the problem file's text (validated, hashed), never compiled functions: a worker
compiles each problem once and keeps it by hash for all its runs. Each run's seed comes from the
study seed and the run's own key, so the numbers do not depend on the order or place of execution.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from dataclasses import asdict, dataclass, replace

from gradcli.problem.file import data_digest, find_files, parse_text, problem_from_text, read_text
from gradcli.solvers.registry import REGISTRY

DEFAULT_TOL = 1e-6
FEASIBILITY_TOL = 1e-6      # a point violating a constraint or bound by more is not a solution


@dataclass(frozen=True)
class Task:
    """One run, as plain data that pickles cheaply."""

    problem: str
    path: str
    text: str
    sha256: str
    method: str
    start: int
    seed: int
    tol: float | None = None           # passed to the method (minimize's --tol)
    maxiter: int | None = None
    timeout: float | None = None
    solve_tol: float = DEFAULT_TOL     # solved means f - f* <= solve_tol * max(1, |f*|) (file's tol wins)
    history: bool = False
    x0: tuple[float, ...] | None = None  # a generated start (--starts); None: the file's start number `start`
    engine: str = "minimize"           # minimize | least-squares | root (gradcli/study/kinds.py)

    @property
    def key(self) -> str:
        """What makes a run this run: problem hash, method, options, start (index and point), seed.

        The results file (--results) is keyed by it, so a re-run with the same options skips the run
        and one with different options does not. ``history`` is left out: it changes what is recorded,
        not what runs (and a study with --results always records it). The contents of data files the
        problem names are in it too: an edited t.csv is a new run."""
        what = [self.sha256, self.method, self.start, self.seed, self.x0, self.tol, self.maxiter, self.timeout,
                self.solve_tol]
        data = data_digest(self.text, self.path)
        what += [data] if data else []        # keys of problems without data files are as before
        return hashlib.sha256(json.dumps(what).encode()).hexdigest()[:32]


def run_seed(seed: int, sha256: str, method: str, start: int) -> int:
    """A run's seed from the study seed and the run's key, never from execution order."""
    h = hashlib.sha256(f"{seed}|{sha256}|{method}|{start}".encode()).digest()
    return int.from_bytes(h[:4], "little")


def plan(paths, methods: str = "all", *, seed: int | None = None, starts: int = 0,
         **task_options) -> tuple[list[Task], list[tuple]]:
    """Every (problem, start, method) to run, and the (problem, method, reason) pairs skipped.

    ``starts`` adds that many generated starting points per problem (gradcli.starts) after the file's own.
    ``seed``: the study seed; None (not given) takes each file's ``seed:``, else 0. Run seeds and
    generated starts derive from it per problem (a Task's ``seed`` is the one its method gets).
    """
    from gradcli.problem.kinds import FIT, ROOT, kind
    from gradcli.problem.starts import extra_starts
    from gradcli.study import kinds

    words = kinds.split_words(methods)      # an unknown name stops the study before anything runs
    tasks: list[Task] = []
    skipped: list[tuple] = []
    names: dict[str, str] = {}
    for path in find_files(paths):
        pt = read_text(path)
        k = kind(pt.doc)
        if k == ROOT:
            from gradcli.roots.problem_file import load_root
            problem = load_root(pt)
            runs, skips = kinds.plan_other(problem, words, root=True)
        elif k == FIT:
            from gradcli.fit.problem_file import load_fit
            from gradcli.fit.run import start_point
            problem = load_fit(pt)
            runs, skips = kinds.plan_other(problem, words, root=False)
            x0 = start_point(problem.model, problem.p0)[0].tolist()
        else:
            problem = problem_from_text(pt)
            runs, skips = kinds.plan_minimize(problem, words)
        if problem.name in names:
            from gradcli.problem.file import ProblemFileError
            raise ProblemFileError(path, pt.lines.get(("name",)), "name",
                                   f"'{problem.name}' is also the name of {names[problem.name]}; names must be unique")
        names[problem.name] = str(path)
        skipped += skips
        base = seed if seed is not None else pt.doc.get("seed", 0)   # --seed wins over the file's seed:
        if k == FIT:
            points = [None] + [tuple(p) for p in extra_starts(x0, None, starts, base, pt.sha256)]
        elif k == ROOT:
            points = [None] + ([tuple(p) for p in extra_starts(problem.x0, None, starts, base, pt.sha256)]
                               if problem.x0 is not None else [])
        else:
            points = [None] * len(problem.starts) + [
                tuple(p) for p in extra_starts(problem.x0, problem.bounds, starts, base, pt.sha256)]
        for start, x0 in enumerate(points):
            for method, engine in runs:
                tasks.append(Task(problem.name, str(path), pt.text, pt.sha256, method, start,
                                  run_seed(base, pt.sha256, method, start), x0=x0, engine=engine, **task_options))
    return tasks, skipped


_LOCAL = threading.local()   # one cache per thread: a compiled objective's counts and cached point cannot
_CACHES: list[dict] = []     # serve two runs at once (a tcp:// Dask worker may run several threads)
_LOCK = threading.Lock()
_COMPILES = [0]              # compilations in this process, all threads


def _cache() -> dict[str, tuple]:
    if not hasattr(_LOCAL, "cache"):
        _LOCAL.cache = {}
        with _LOCK:
            _CACHES.append(_LOCAL.cache)
    return _LOCAL.cache


def _compiled(task: Task):
    """The problem and its compiled objective, built once per worker thread and problem text (and data files'
    contents: a long-lived worker must not reuse an edited t.csv's old values)."""
    cache = _cache()
    key = task.sha256 + data_digest(task.text, task.path)
    if key not in cache:
        from gradcli.run.solve import compile_problem
        problem = problem_from_text(parse_text(task.text, task.path))
        cache[key] = (problem, compile_problem(problem))
        with _LOCK:
            _COMPILES[0] += 1
    return cache[key]


def worker_state() -> dict:
    """This process's compile caches (every thread's), for benchmarks and diagnostics; never part of a
    record. With one thread per worker, ``compiles`` is the number of problems the worker saw."""
    with _LOCK:
        return {"pid": os.getpid(), "compiles": _COMPILES[0], "cached": sum(len(c) for c in _CACHES)}


_BLAS: list = []


def _one_blas_thread():
    """Every run of a study on one BLAS thread, wherever it runs. A matrix-vector product summed by two
    threads rounds differently from one summed by one (Dask workers default to one thread, a plain
    process to all cores): the logistic regression's BFGS iterates differed in the last bits between
    `--jobs 1` and `--scheduler local:2` until this. Parallelism in a study comes from its workers."""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def run_task(task: Task) -> dict:
    """One run → one JSON-able record: the minimize keys plus problem, start, f_star, solved."""
    with _one_blas_thread():
        return _run_task(task)


def _loaded(task: Task):
    """A root or fit file (or a residual model beside the compiled objective), once per worker thread."""
    cache = _cache()
    key = (task.sha256 + data_digest(task.text, task.path), "other")
    if key not in cache:
        from gradcli.problem.kinds import FIT, ROOT, kind
        pt = parse_text(task.text, task.path)
        k = kind(pt.doc)
        if k == ROOT:
            from gradcli.roots.problem_file import load_root
            cache[key] = (k, load_root(pt))
        elif k == FIT:
            from gradcli.fit.problem_file import load_fit
            cache[key] = (k, load_fit(pt))
        else:
            from gradcli.fit.residuals import ResidualModel
            problem, objective = _compiled(task)
            cache[key] = (k, (problem, objective, ResidualModel(problem)))
    return cache[key]


def _run_other(task: Task) -> dict:
    """A least-squares or root run (gradcli/study/other_runs.py) → the same record keys as a minimize run."""
    from gradcli.study import other_runs

    from gradcli.problem.kinds import FIT, ROOT

    k, loaded = _loaded(task)
    f0 = None
    if k == ROOT:
        rec, f0 = other_runs.run_root(task, loaded)
        f_star, ok = 0.0, rec.pop("solved")
        rec.pop("f_star")
        n = loaded.n
    elif k != FIT:
        problem, objective, model = loaded
        x0 = task.x0 if task.x0 is not None else problem.starts[task.start]
        rec, f0 = other_runs.run_residuals(task, problem, objective, model, x0)
        f_star = problem.solution.f if problem.solution else None
        tol = problem.solution.tol if problem.solution and problem.solution.tol else task.solve_tol
        ok, n = solved(rec["fun"], f_star, tol, rec.get("maxcv")), problem.n
    else:
        rec, f0 = other_runs.run_fit(task, loaded)
        f_star, n = loaded.f_star, loaded.model.p
        ok = solved(rec["fun"], f_star, loaded.tol or task.solve_tol)
    rec.update(problem=task.problem, start=task.start, n=n, seed=task.seed, f_star=f_star, solved=ok)
    if task.history:
        rec["f0"] = None if f0 is None else _finite(f0)
    return rec


def _run_task(task: Task) -> dict:
    from gradcli.run.solve import solve_one

    if task.engine != "minimize":
        return _run_other(task)
    problem, objective = _compiled(task)
    start = task.start
    if task.x0 is not None:      # a generated start: the same problem from that point
        problem, start = replace(problem, starts=[list(task.x0)]), 0
    # every method runs without the file's published answer (auto would take its f* as a target): a study
    # compares them on equal information; the answer only judges the record below
    result = solve_one(replace(problem, solution=None), task.method, start=start, objective=objective, tol=task.tol,
                       maxiter=task.maxiter, seed=task.seed, timeout=task.timeout, history=task.history)
    rec = result.as_dict()
    f_star = problem.solution.f if problem.solution else None
    tol = (problem.solution.tol if problem.solution and problem.solution.tol else task.solve_tol)
    rec.update(problem=task.problem, start=task.start, n=problem.n, seed=task.seed, f_star=f_star,
               solved=solved(result.fun, f_star, tol, result.extra.get("maxcv")))
    if task.history:
        rec["f0"] = _finite(objective.fun_uncounted(problem.starts[start]))   # data profiles measure from f(x0)
    return rec


def _finite(v):
    v = float(v)
    return v if math.isfinite(v) else None


def run_task_safe(task: Task) -> dict:
    """run_task, but a run that raises (outside the solver's own guard: compiling, a bad start) becomes a
    failure record with the message, so one bad run never takes a study down."""
    try:
        return run_task(task)
    except Exception as exc:  # noqa: BLE001 - recorded, not hidden
        return failure_record(task, f"{type(exc).__name__}: {exc}"[:300])


def run_batch(tasks: list[Task]) -> list[dict]:
    """Several runs as one unit of remote work: a Dask task costs milliseconds of scheduling, a short run
    less, so short runs travel in small batches (gradcli.distributed picks the size)."""
    return [run_task_safe(t) for t in tasks]


def failure_record(task: Task, message: str) -> dict:
    """The record of a run that produced no result (same keys the reports read); unsolved when the file
    publishes f*, so a crash counts against the method in the profiles rather than vanishing."""
    try:
        f_star = float(parse_text(task.text, task.path).doc["solution"]["f"])
    except Exception:  # noqa: BLE001 - no (readable) solution: not judged
        f_star = None
    return {"method": REGISTRY.get(task.method).label if task.engine == "minimize" else task.method, "x": None, "fun": None, "grad_norm": None, "nit": None, "nfev": 0, "njev": 0,
            "nhev": 0, "time": 0.0, "success": False, "status": "error", "message": message,
            "problem": task.problem, "start": task.start, "seed": task.seed, "f_star": f_star,
            "solved": None if f_star is None else False}


def solved(fun: float, f_star: float | None, tol: float, maxcv: float | None = None) -> bool | None:
    """f - f* <= tol * max(1, |f*|) at a feasible point; None when no f* is known."""
    if f_star is None:
        return None
    if fun is None or not math.isfinite(fun):
        return False
    if maxcv is not None and maxcv > FEASIBILITY_TOL:
        return False
    return fun - f_star <= tol * max(1.0, abs(f_star))


def task_dict(task: Task) -> dict:
    d = asdict(task)
    d.pop("text")
    return d
