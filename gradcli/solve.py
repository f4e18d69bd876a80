"""Run methods on a problem: compile once, hand each method the same counted objective."""

from __future__ import annotations

import math

import numpy as np

from .compile import Objective, compile_constraint
from .errors import GradcliError, ProblemError
from .problem import Problem
from .result import Result
from .solvers.common import Settings
from .solvers.registry import REGISTRY, SolverSpec, resolve


def compile_problem(problem: Problem) -> Objective:
    """The objective and the problem's constraints, compiled once for every method and run."""
    objective = Objective(problem.expr, problem.symbols, problem.variables)
    objective.constraints = [compile_constraint(kind, text, g, problem.symbols)
                             for kind, text, g in problem.constraints]
    return objective


def max_violation(problem: Problem, constraints, x) -> float:
    """Largest violation of a bound or constraint at x, computed from our own functions."""
    x = np.asarray(x, dtype=float)
    worst = 0.0
    if problem.bounds is not None:
        lo, hi = np.array(problem.bounds).T
        worst = max(worst, float(np.max(np.maximum(lo - x, 0.0))), float(np.max(np.maximum(x - hi, 0.0))))
    for c in constraints:
        v = c.fun(x)
        worst = max(worst, abs(v) if c.kind == "eq" else max(-v, 0.0))
    return worst if math.isfinite(worst) else math.inf


def method_options(specs: list[SolverSpec], options: dict | None) -> dict[str, dict]:
    """Each method's share of ``options`` (only the keys its spec lists); an option no chosen method
    takes is an error rather than silently ignored (e.g. --step with only SciPy methods)."""
    given = {k: v for k, v in (options or {}).items() if v is not None}
    unused = [k for k in given if not any(k in s.option_keys for s in specs)]
    if unused:
        from .errors import GradcliError
        takers = sorted({s.name for s in REGISTRY if unused[0] in s.option_keys})
        raise GradcliError(f"--{unused[0]} is an option of {', '.join(takers) or 'no method'}; none of the chosen "
                           f"methods ({', '.join(s.name for s in specs)}) takes it")
    return {s.name: {k: v for k, v in given.items() if k in s.option_keys} for s in specs}


def solve_one(problem: Problem, method: str, *, start: int = 0, objective=None, options: dict | None = None,
              **settings) -> Result:
    """One method (a registered name) from one start; ``options`` are that method's own (step, lr, ...)."""
    spec = REGISTRY.get(method)
    objective = objective or compile_problem(problem)
    if not problem.starts:
        raise ProblemError("no starting point; give one with --x0 (one number per variable: "
                           + ", ".join(problem.variables) + ")", "x0")
    cons = objective.constraints
    objective.prepare(grad=True, hess=spec.needs_hess)
    objective.counts.reset()
    result = spec.runner()(spec, objective, problem.starts[start],
                           Settings(bounds=problem.bounds, constraints=cons, options=dict(options or {}), **settings))
    if problem.bounds is not None or problem.constraints:
        result.extra["maxcv"] = max_violation(problem, cons, result.x)
    return result


def check_start(problem: Problem, objective: Objective, start: int = 0) -> None:
    """A start where f is nan or ±inf gives every method nothing to work with: say so, once, up front."""
    if not problem.starts:
        return
    x0 = problem.starts[start]
    f0 = objective.fun_uncounted(x0)
    if not math.isfinite(f0):
        where = ", ".join(f"{n}={v:g}" for n, v in zip(problem.variables, x0))
        field = "x0" if start == 0 else f"starts[{start}]"
        message = (f"f(x0) is {f0} at {where}: the objective is not defined there (log or sqrt of a negative "
                   "number, a division by zero, an overflow); choose another start")
        if problem.source_file:
            raise GradcliError(f"{problem.source_file}: {field}: {message}")
        raise ProblemError(message, field)


def solve(problem: Problem, method: str = "all", *, start: int = 0, objective: Objective | None = None,
          options: dict | None = None, **settings) -> tuple[list[Result], list[tuple[SolverSpec, str]]]:
    """Every chosen method from one start; the skipped methods come back with the reason.

    ``options`` holds method-specific options by key (step, lr, beta, gtol, ...); each method gets only
    the ones its registry entry lists.
    """
    specs, skipped = resolve(method, problem)
    shares = method_options(specs, options)
    objective = objective or compile_problem(problem)
    results = [solve_one(problem, spec.name, start=start, objective=objective, options=shares[spec.name],
                         **settings) for spec in specs]
    return results, skipped
