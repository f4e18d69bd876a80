"""The Python API: the same machinery the CLI uses, for notebooks and scripts."""

from __future__ import annotations

from gradcli.symbolic.compile import Objective
from gradcli.problem.core import Problem, build_problem
from gradcli.result import Result
from gradcli.run.solve import compile_problem, solve


def objective(expr: str, variables: list[str] | None = None, params: dict | None = None,
              dim: int | None = None) -> Objective:
    """The compiled, counted objective of ``expr``: ``.fun``, ``.grad``, ``.hess``, ``.counts``.

    ``dim`` is the length of indexed variables: ``objective("sum((x[i]-1)**2, i, 0, n-1)", dim=1000)``.
    """
    return compile_problem(build_problem(expr, variables=variables, params=params, dim=dim))


def minimize(expr_or_problem: str | Problem, x0=None, method: str = "all", *, variables=None, params=None,
             bounds=None, constraints=None, dim=None, **options) -> list[Result]:
    """Run ``method`` ('all', a name, or a comma list) from ``x0``; one Result per method run."""
    if isinstance(expr_or_problem, Problem):
        problem = expr_or_problem
        if x0 is not None:
            from gradcli.problem.core import _vector
            problem.starts = [_vector(x0, problem.variables, "x0")]
    else:
        problem = build_problem(expr_or_problem, variables=variables, params=params, x0=x0, bounds=bounds,
                                constraints=constraints, dim=dim)
    results, _ = solve(problem, method, **options)
    return results
