"""Run methods on a problem: compile once, hand each method the same counted objective."""

from __future__ import annotations

from dataclasses import replace

from .compile import Objective, compile_constraint
from .problem import Problem
from .result import Result
from .solvers.common import Settings
from .solvers.registry import SolverSpec, resolve


def compile_problem(problem: Problem) -> Objective:
    return Objective(problem.expr, problem.symbols, problem.variables)


def method_options(specs: list[SolverSpec], options: dict | None) -> dict[str, dict]:
    """Each method's share of ``options`` (only the keys its spec lists); an option no chosen method
    takes is an error rather than silently ignored (e.g. --step with only SciPy methods)."""
    given = {k: v for k, v in (options or {}).items() if v is not None}
    unused = [k for k in given if not any(k in s.option_keys for s in specs)]
    if unused:
        from .errors import GradcliError
        from .solvers.registry import REGISTRY
        takers = sorted({s.name for s in REGISTRY if unused[0] in s.option_keys})
        raise GradcliError(f"--{unused[0]} is an option of {', '.join(takers) or 'no method'}; none of the chosen "
                           f"methods ({', '.join(s.name for s in specs)}) takes it")
    return {s.name: {k: v for k, v in given.items() if k in s.option_keys} for s in specs}


def solve(problem: Problem, method: str = "all", *, start: int = 0, objective: Objective | None = None,
          options: dict | None = None, **settings) -> tuple[list[Result], list[tuple[SolverSpec, str]]]:
    """Every chosen method from one start; the skipped methods come back with the reason.

    ``options`` holds method-specific options by key (step, lr, beta, gtol, ...); each method gets only
    the ones its registry entry lists.
    """
    specs, skipped = resolve(method, problem)
    shares = method_options(specs, options)
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
        results.append(spec.runner()(spec, objective, x0, replace(base, options=shares[spec.name])))
    return results, skipped
