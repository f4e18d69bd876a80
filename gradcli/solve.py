"""Run methods on a problem: compile once, hand each method the same counted objective."""

from __future__ import annotations

from .compile import Objective, compile_constraint
from .problem import Problem
from .result import Result
from .solvers.common import Settings
from .solvers.registry import SolverSpec, resolve


def compile_problem(problem: Problem) -> Objective:
    return Objective(problem.expr, problem.symbols, problem.variables)


def solve(problem: Problem, method: str = "all", *, start: int = 0, objective: Objective | None = None,
          **settings) -> tuple[list[Result], list[tuple[SolverSpec, str]]]:
    """Every chosen method from one start; the skipped methods come back with the reason."""
    specs, skipped = resolve(method, problem)
    objective = objective or compile_problem(problem)
    if not problem.starts:
        from .errors import ProblemError
        raise ProblemError("x0: no starting point; give one with --x0 (one number per variable: "
                           + ", ".join(problem.variables) + ")")
    x0 = problem.starts[start]
    cons = [compile_constraint(kind, text, g, problem.symbols) for kind, text, g in problem.constraints]
    base = Settings(bounds=problem.bounds, constraints=cons, **settings)
    results = []
    for spec in specs:
        objective.counts.reset()
        results.append(spec.runner()(spec, objective, x0, base))
    return results, skipped
