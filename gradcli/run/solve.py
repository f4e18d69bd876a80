"""The one orchestrator: the CLI commands, the Python API and compare's workers all run methods here.

select the methods (names, aliases, 'all', 'auto': one set of rules) → check the start → compile once →
run each method inside one guard that turns every failure (exception, time limit) into a Result with the
counts seen so far → verify → return. Observers (best point seen, deadline, history, progress) attach to
the objective here and nowhere else.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gradcli.checks.verdict import FEASIBLE_TOL, max_violation
from gradcli.compiled.observers import BestSeen, Deadline, History
from gradcli.errors import GradcliError, ProblemError
from gradcli.result import Result, Status, Verdict, VerdictKind
from gradcli.solvers.common import Interrupted, Settings, error_result
from gradcli.solvers.registry import REGISTRY, SolverSpec, normalize, resolve

if TYPE_CHECKING:
    from gradcli.compiled.protocol import Objective
    from gradcli.problem.core import Problem


def compile_problem(problem: Problem) -> Objective:
    """The objective and the problem's constraints, compiled once for every method and run."""
    return problem.compile()


@dataclass
class Selection:
    """The methods to run on one problem and the ones skipped (with why)."""

    specs: list[SolverSpec]
    skipped: list[tuple[SolverSpec, str]]


def select(method: str, problem: Problem, *, strict: bool = True) -> Selection:
    """``method`` is a name, an alias, a comma list, 'all' or 'auto'. ``strict``: a method named
    explicitly that cannot honour the problem is an error (minimize); otherwise it is skipped with the
    reason (a study over many problems)."""
    words = [w.strip() for w in (method or "").split(",") if w.strip()]
    if not words:
        raise GradcliError("--method: give a method name, a comma-separated list, 'all' or 'auto'")
    sel = Selection([], [])
    for w in words:
        if strict or normalize(w) == "all":
            specs, skipped = resolve(w, problem)
        else:
            spec = REGISTRY.get(w)           # an unknown name is an error in any mode
            why = spec.applicable(problem)
            specs, skipped = ([], [(spec, why)]) if why else ([spec], [])
        sel.specs += [s for s in specs if s not in sel.specs]
        sel.skipped += [(s, why) for s, why in skipped if s not in sel.specs]
    return sel


def method_options(specs: list[SolverSpec], options: dict | None) -> dict[str, dict]:
    """Each method's share of ``options`` (only the keys its spec lists); an option no chosen method
    takes is an error rather than silently ignored (e.g. --step with only SciPy methods)."""
    given = {k: v for k, v in (options or {}).items() if v is not None}
    unused = [k for k in given if not any(k in s.option_keys for s in specs)]
    if unused:
        takers = sorted({s.name for s in REGISTRY if unused[0] in s.option_keys})
        raise GradcliError(f"--{unused[0]} is an option of {', '.join(takers) or 'no method'}; none of the chosen "
                           f"methods ({', '.join(s.name for s in specs)}) takes it")
    return {s.name: {k: v for k, v in given.items() if k in s.option_keys} for s in specs}


def solve_one(problem: Problem, method: str, *, start: int = 0, objective=None, options: dict | None = None,
              verify: bool = True, keep_best: bool = False, timeout: float | None = None,
              history: bool = False, observers=(), **settings) -> Result:
    """One method (a registered name) from one start; ``options`` are that method's own (step, lr, ...).

    Every failure inside the method becomes a Result (status error, or time limit with the best feasible
    point evaluated), with the method's label and the counts seen so far. ``history`` records (evaluations,
    best f) pairs in ``extra['history']``.
    """
    spec = REGISTRY.get(method)
    objective = objective or problem.compile()
    if not problem.starts:
        raise ProblemError("no starting point; give one with --x0 (one number per variable: "
                           + ", ".join(problem.variables) + ")", "x0")
    if spec.family == "auto":          # a portfolio of registered methods, each run through here
        return _auto(problem, start, objective, options, verify, keep_best, timeout, history, observers, settings)
    cons = objective.constraints
    setup = time.perf_counter()
    objective.prepare(grad=True, hess=spec.needs_hess)        # compiling is setup, not the run's time
    setup = time.perf_counter() - setup
    objective.counts.reset()
    constrained = problem.bounds is not None or bool(problem.constraints)
    best = BestSeen((lambda x: max_violation(problem, cons, x) <= FEASIBLE_TOL) if constrained else None)
    hist = History() if history else None
    x0 = problem.starts[start]
    run = Settings(bounds=problem.bounds, constraints=cons, options=dict(options or {}), **settings)
    started = time.perf_counter()
    deadline = Deadline(timeout) if timeout is not None else None
    with objective.quiet(), objective.observed(best, deadline, hist, *observers):
        try:
            result = spec.runner()(spec, objective, x0, run)
        except GradcliError:
            raise                 # the user's input (an option out of range): exit 2, not a failed run
        except Interrupted:
            raise                 # a nested run (auto's steps) already made its Result
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the one guard: a failed run, never a crash
            result = error_result(spec.label, objective, x0, exc, started, best)
    result.x0 = list(x0)
    result.setup_time = setup
    problem.annotate(result, spec)
    _best_seen(result, best, objective, keep_best)
    if hist is not None:
        result.extra["history"] = hist.points
    if constrained:
        result.maxcv = max_violation(problem, cons, result.x)
    if verify:
        _verify(result, problem, objective, spec, settings, options)
    if result.status is Status.INTERRUPTED:
        raise Interrupted(result)      # the caller keeps this Result and stops
    return result


def _auto(problem, start, objective, options, verify, keep_best, timeout, history, observers, settings) -> Result:
    from dataclasses import replace

    from gradcli.compiled.observers import Budget
    from gradcli.run.auto import portfolio

    # without a seed auto is still reproducible (0); each start of --starts scrambles its own Sobol points
    seed = (0 if settings.get("seed") is None else settings["seed"]) + start
    settings = {**settings, "seed": seed}

    def run_one(method, x0, left, hist, fev_left=None, step_options=None):
        one = replace(problem, starts=[list(x0)])
        cap = (Budget(fev_left),) if fev_left is not None else ()
        return solve_one(one, method, objective=objective, options=step_options, verify=True, keep_best=keep_best,
                         timeout=left, history=hist, observers=(*observers, *cap), **settings)
    result = portfolio(problem, objective, start, run_one, timeout=timeout, history=history,
                       maxfev=(options or {}).get("maxfev"), local=bool((options or {}).get("local")), seed=seed)
    result.x0 = list(problem.starts[start])
    if not verify:
        result.verdict = None
    return result


def _verify(result: Result, problem, objective, spec, settings, options) -> None:
    from gradcli.checks.stopping import count_mismatch, measures
    if result.status is Status.ERROR or not np.all(np.isfinite(result.x)):
        result.verdict = Verdict(VerdictKind.NO_RESULT, result.message, result.fun)
    else:
        result.verdict = problem.verify(objective, result.x)
    result.stopping = measures(result, spec.name, problem.n, settings.get("tol"), dict(options or {}),
                               settings.get("maxiter"))
    mismatch = count_mismatch(result)
    if mismatch:
        result.extra["count_mismatch"] = mismatch


def _best_seen(result: Result, best: BestSeen, objective, keep_best: bool) -> None:
    """Note (or, with keep_best, return) a better point the solver evaluated but did not return."""
    if best.best_x is None or not math.isfinite(best.best_f):
        return
    fun = result.fun if math.isfinite(result.fun) else math.inf
    if not best.best_f < fun - 1e-14 * max(1.0, abs(best.best_f)):
        return
    result.best_seen = {"fun": best.best_f, "x": best.best_x.tolist(), "returned_fun": result.fun}
    if keep_best:
        x = best.best_x
        result.x, result.fun = x.copy(), objective.fun_uncounted(x)
        g = objective.grad_uncounted(x)
        result.grad_norm = float(np.max(np.abs(g))) if g.size else 0.0
        result.extra["kept_best"] = True


def check_start(problem: Problem, objective, start: int = 0) -> None:
    """A start where f is nan or ±inf gives every method nothing to work with: say so, once, up front."""
    if not problem.starts:
        return
    x0 = problem.starts[start]
    f0 = objective.fun_uncounted(x0)
    if not math.isfinite(f0):
        where = ", ".join(f"{n}={v:g}" for n, v in zip(problem.variables, x0))
        field_ = "x0" if start == 0 else f"starts[{start}]"
        message = (f"f(x0) is {f0} at {where}: the objective is not defined there (log or sqrt of a negative "
                   "number, a division by zero, an overflow); choose another start")
        if problem.source_file:
            raise GradcliError(f"{problem.source_file}: {field_}: {message}")
        raise ProblemError(message, field_)


@dataclass
class Run:
    """What ``run`` returns: one Result per method, the methods skipped (with why), notes for the report."""

    results: list[Result]
    skipped: list[tuple[SolverSpec, str]]
    notes: list[str]
    interrupted: bool = False          # Ctrl-C: the methods after the last result did not run


def run(problem: Problem, method: str = "all", *, objective=None, options: dict | None = None,
        starts: int | None = None, seed: int | None = None, progress=None, check: bool = True,
        **settings) -> Run:
    """Every chosen method on ``problem``, one after the other: the one path of `minimize`, `maximize`,
    the Python API and the tests (compare runs one method per task through ``solve_one``).

    ``starts``: the best verified result of that many starts per method (gradcli.run.multistart).
    ``seed``: None takes the problem file's ``seed:`` (the command line wins). ``progress(spec)``: an
    optional factory of an observer shown while each method runs. ``check``: a start where f is not finite
    is an error up front (the CLI) rather than a failed run per method (the API).
    """
    sel = select(method, problem)
    shares = method_options(sel.specs, options)
    objective = objective or problem.compile()
    seed = problem.seed if seed is None else seed
    if starts is None and check:
        check_start(problem, objective)       # f(x0) nan or inf: one clear error, not N failed runs
    results: list[Result] = []
    interrupted = False
    try:
        for spec in sel.specs:
            results.append(_run_method(problem, spec, objective, shares[spec.name], starts, seed, progress,
                                       settings))
    except Interrupted as stop:
        results.append(stop.result)
        interrupted = True
    except KeyboardInterrupt:     # while a method was being set up or checked: what finished is kept
        interrupted = True
    if problem.solution is not None and problem.solution.f is not None:
        judge_against_solution(results, problem.solution)
    notes = [r.extra["auto_reason"] for r in results if "auto_reason" in r.extra]
    if interrupted:
        left = [s.name for s in sel.specs[len(results):]]
        notes.append("interrupted (Ctrl-C)" + (f": {', '.join(left)} did not run" if left else ""))
    return Run(results, sel.skipped, notes, interrupted)


def _run_method(problem, spec, objective, options, starts, seed, progress, settings) -> Result:
    """One selected method: from the problem's start, or the best of ``starts`` starts when asked."""
    if starts is not None:
        from gradcli.run.multistart import best_of, start_points
        points = start_points(problem, starts, seed)
        saved = problem.starts
        problem.starts = points
        try:
            return best_of([solve_one(problem, spec.name, start=i, objective=objective, options=options,
                                      seed=seed, **settings) for i in range(len(points))])
        finally:
            problem.starts = saved
    watch = progress(spec) if progress is not None else None
    try:
        return solve_one(problem, spec.name, objective=objective, options=options, seed=seed,
                         observers=(watch,) if watch is not None else (), **settings)
    finally:
        if watch is not None:
            watch.close()


def judge_against_solution(results, solution, tol: float = 1e-6) -> None:
    """A problem file's published f*: each run's gap to it (``f_star``), and whether it ends short of it
    by more than the file's ``solution.tol`` (default 1e-6, relative to max(1, |f*|), compare's rule)."""
    f_star = float(solution.f)
    tol = solution.allowance(tol)
    for r in results:
        r.extra["f_star"] = f_star
        gap = (r.fun - f_star) if r.sense == "min" else (f_star - r.fun)
        r.extra["short_of_f_star"] = not (gap <= tol)

