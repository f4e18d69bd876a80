"""Running a study: many problems x many methods x starts -> one flat list of records.

A work unit carries the problem file's text (validated, hashed), never compiled functions: a worker
compiles each problem once and keeps it by hash for all its runs. Each run's seed comes from the
study seed and the run's own key, so the numbers do not depend on the order or place of execution.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import asdict, dataclass

from .problem_file import find_files, parse_text, problem_from_text, read_text
from .solvers.registry import REGISTRY, resolve

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

    @property
    def key(self) -> tuple:
        return (self.sha256, self.method, self.start, self.seed, self.tol, self.maxiter)


def run_seed(seed: int, sha256: str, method: str, start: int) -> int:
    """A run's seed from the study seed and the run's key, never from execution order."""
    h = hashlib.sha256(f"{seed}|{sha256}|{method}|{start}".encode()).digest()
    return int.from_bytes(h[:4], "little")


def plan(paths, methods: str = "all", *, seed: int = 0, **task_options) -> tuple[list[Task], list[tuple]]:
    """Every (problem, start, method) to run, and the (problem, method, reason) pairs skipped."""
    tasks: list[Task] = []
    skipped: list[tuple] = []
    names: dict[str, str] = {}
    for path in find_files(paths):
        pt = read_text(path)
        problem = problem_from_text(pt)
        if problem.name in names:
            from .problem_file import ProblemFileError
            raise ProblemFileError(path, pt.lines.get(("name",)), "name",
                                   f"'{problem.name}' is also the name of {names[problem.name]}; names must be unique")
        names[problem.name] = str(path)
        specs = []
        for word in (w.strip() for w in methods.split(",") if w.strip()):
            if word.lower() == "all":
                chosen, _ = resolve("all", problem)
                specs += [s for s in chosen if s not in specs]
                continue
            spec = REGISTRY.get(word)        # an unknown name stops the study before anything runs
            why = spec.applicable(problem)
            if why:
                skipped.append((problem.name, spec.name, why))
            elif spec not in specs:
                specs.append(spec)
        for start in range(len(problem.starts)):
            for spec in specs:
                tasks.append(Task(problem.name, str(path), pt.text, pt.sha256, spec.name, start,
                                  run_seed(seed, pt.sha256, spec.name, start), **task_options))
    return tasks, skipped


_CACHE: dict[str, tuple] = {}


def _compiled(task: Task):
    """The problem and its compiled objective, built once per worker process and problem text."""
    if task.sha256 not in _CACHE:
        from .solve import compile_problem
        problem = problem_from_text(parse_text(task.text, task.path))
        _CACHE[task.sha256] = (problem, compile_problem(problem))
    return _CACHE[task.sha256]


class _Monitored:
    """The objective as one run sees it: same counters, plus a deadline and a best-f history."""

    def __init__(self, objective, timeout: float | None, history: bool):
        self._o = objective
        self._deadline = None if timeout is None else time.perf_counter() + timeout
        self._timeout = timeout
        self.history: list[list[float]] | None = [] if history else None
        self._best = math.inf

    def __getattr__(self, name):
        return getattr(self._o, name)

    def _tick(self):
        if self._deadline is not None and time.perf_counter() > self._deadline:
            from .solvers.common import TimeLimit
            raise TimeLimit(f"stopped after --timeout {self._timeout:g} s")

    def fun(self, x):
        self._tick()
        f = self._o.fun(x)
        if self.history is not None and f < self._best:
            self._best = f
            c = self._o.counts
            self.history.append([c.nfev + c.njev, f])
        return f

    def grad(self, x):
        self._tick()
        return self._o.grad(x)

    def hess(self, x):
        self._tick()
        return self._o.hess(x)

    def hessp(self, x, p):
        self._tick()
        return self._o.hessp(x, p)


def run_task(task: Task) -> dict:
    """One run → one JSON-able record: the minimize keys plus problem, start, f_star, solved."""
    from .solve import solve_one

    problem, objective = _compiled(task)
    monitored = _Monitored(objective, task.timeout, task.history)
    result = solve_one(problem, task.method, start=task.start, objective=monitored, tol=task.tol,
                       maxiter=task.maxiter, seed=task.seed)
    rec = result.as_dict()
    f_star = problem.solution.f if problem.solution else None
    tol = (problem.solution.tol if problem.solution and problem.solution.tol else task.solve_tol)
    rec.update(problem=task.problem, start=task.start, n=problem.n, seed=task.seed, f_star=f_star,
               solved=solved(result.fun, f_star, tol, result.extra.get("maxcv")))
    if monitored.history is not None:
        rec["history"] = monitored.history
    return rec


def solved(fun: float, f_star: float | None, tol: float, maxcv: float | None = None) -> bool | None:
    """f - f* <= tol * max(1, |f*|) at a feasible point; None when no f* is known."""
    if f_star is None:
        return None
    if fun is None or not math.isfinite(fun):
        return False
    if maxcv is not None and maxcv > FEASIBILITY_TOL:
        return False
    return fun - f_star <= tol * max(1.0, abs(f_star))


def run_study(tasks: list[Task], jobs: int = 1, on_result=None) -> tuple[list[dict], bool]:
    """Run every task (in ``jobs`` processes); records come back in task order whatever ``jobs`` is.

    Returns (records, interrupted). Ctrl-C stops cleanly with what has finished.
    """
    done: dict[int, dict] = {}
    interrupted = False
    try:
        if jobs <= 1:
            for i, task in enumerate(tasks):
                done[i] = run_task(task)
                if on_result:
                    on_result(done[i])
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed
            pool = ProcessPoolExecutor(max_workers=jobs)
            try:
                futures = {pool.submit(run_task, t): i for i, t in enumerate(tasks)}
                for fut in as_completed(futures):
                    done[futures[fut]] = fut.result()
                    if on_result:
                        on_result(done[futures[fut]])
            finally:
                pool.shutdown(wait=not interrupted, cancel_futures=True)
    except KeyboardInterrupt:
        interrupted = True
    return [done[i] for i in sorted(done)], interrupted


def task_dict(task: Task) -> dict:
    d = asdict(task)
    d.pop("text")
    return d
