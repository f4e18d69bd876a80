"""Run methods on a problem: compile once, hand each method the same counted objective."""

from __future__ import annotations

import math
from contextlib import nullcontext

import numpy as np

from typing import TYPE_CHECKING

from gradcli.errors import GradcliError, ProblemError
from gradcli.result import Result, Status
from gradcli.solvers.common import Settings
from gradcli.solvers.registry import REGISTRY, SolverSpec, resolve
from gradcli.checks.verdict import FEASIBLE_TOL

if TYPE_CHECKING:      # compile (SymPy, SymEngine) is imported when a scalar problem is compiled
    from gradcli.symbolic.compile import Objective
    from gradcli.problem.core import Problem


def compile_problem(problem: Problem) -> Objective:
    """The objective and the problem's constraints, compiled once for every method and run."""
    if getattr(problem, "blocks", None) is not None:      # an array problem (gradcli/arrays)
        from gradcli.arrays.objective import ArrayObjective
        return ArrayObjective(problem)
    from gradcli.symbolic.compile import Objective, compile_constraint
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
        from gradcli.errors import GradcliError
        takers = sorted({s.name for s in REGISTRY if unused[0] in s.option_keys})
        raise GradcliError(f"--{unused[0]} is an option of {', '.join(takers) or 'no method'}; none of the chosen "
                           f"methods ({', '.join(s.name for s in specs)}) takes it")
    return {s.name: {k: v for k, v in given.items() if k in s.option_keys} for s in specs}


class BestSeen:
    """The objective as a solver sees it, remembering the lowest f it evaluated at a feasible point.

    Our counters see every evaluation, so when a solver returns a point worse than one it already
    evaluated we can say so (and ``keep_best`` can return that one). The cost on the hot path is one
    comparison per call and a copy when f improves; feasibility (bounds, constraints) is checked only
    then. Every other attribute is the objective's own.
    """

    def __init__(self, objective: Objective, feasible=None):
        self._objective = objective
        self._feasible = feasible
        self.best_f = math.inf
        self.best_x: np.ndarray | None = None

    def __getattr__(self, name):
        return getattr(self._objective, name)

    def fun(self, x) -> float:
        f = self._objective.fun(x)
        if f < self.best_f and (self._feasible is None or self._feasible(x)):
            self.best_f, self.best_x = f, np.array(x, dtype=float)
        return f

    def value_and_grad(self, x):
        """f and ∇f together (array objectives: one generated function), tracked like ``fun``."""
        f, g = self._objective.value_and_grad(x)
        if f < self.best_f and (self._feasible is None or self._feasible(x)):
            self.best_f, self.best_x = f, np.array(x, dtype=float)
        return f, g


def solve_one(problem: Problem, method: str, *, start: int = 0, objective=None, options: dict | None = None,
              verify: bool = True, keep_best: bool = False, **settings) -> Result:
    """One method (a registered name) from one start; ``options`` are that method's own (step, lr, ...).

    With ``verify`` the result carries our verdict (``verdict.verify``) and the stopping measures; the
    best point the solver evaluated is reported when it beats the returned one (``best_seen``), and
    returned instead with ``keep_best``.
    """
    spec = REGISTRY.get(method)
    objective = objective or compile_problem(problem)
    if not problem.starts:
        raise ProblemError("no starting point; give one with --x0 (one number per variable: "
                           + ", ".join(problem.variables) + ")", "x0")
    cons = objective.constraints
    objective.prepare(grad=True, hess=spec.needs_hess)
    objective.counts.reset()
    constrained = problem.bounds is not None or bool(problem.constraints)
    watched = BestSeen(objective, (lambda x: max_violation(problem, cons, x) <= FEASIBLE_TOL) if constrained else None)
    quiet = getattr(objective, "quiet", nullcontext)     # array objectives: warnings off once per run
    with quiet():
        result = spec.runner()(spec, watched, problem.starts[start],
                               Settings(bounds=problem.bounds, constraints=cons, options=dict(options or {}),
                                        **settings))
    result.extra["x0"] = list(problem.starts[start])
    if getattr(problem, "blocks", None) is not None:     # array problem: x by variable, Hessian's origin
        from gradcli.arrays.problem import annotate_result
        annotate_result(result, problem, spec)
    _best_seen(result, watched, objective, keep_best)
    if constrained:
        result.extra["maxcv"] = max_violation(problem, cons, result.x)
    if verify:
        from gradcli.checks.stopping import count_mismatch, measures
        from gradcli.checks.verdict import verify as verify_point
        if result.status is Status.ERROR:
            result.extra["verdict"] = "no result"
        else:
            result.extra.update(verify_point(objective, problem, result.x).as_extra())
        result.extra["stopping"] = [m.as_dict() for m in measures(
            result, spec.name, problem.n, settings.get("tol"), dict(options or {}), settings.get("maxiter"))]
        mismatch = count_mismatch(result)
        if mismatch:
            result.extra["count_mismatch"] = mismatch
    return result


def _best_seen(result: Result, watched: BestSeen, objective: Objective, keep_best: bool) -> None:
    """Note (or, with keep_best, return) a better point the solver evaluated but did not return."""
    if watched.best_x is None or not math.isfinite(watched.best_f):
        return
    fun = result.fun if math.isfinite(result.fun) else math.inf
    if not watched.best_f < fun - 1e-14 * max(1.0, abs(watched.best_f)):
        return
    result.extra["best_seen"] = {"fun": watched.best_f, "x": watched.best_x.tolist(), "returned_fun": result.fun}
    if keep_best:
        x = watched.best_x
        result.x, result.fun = x.tolist(), objective.fun_uncounted(x)
        g = objective.grad_uncounted(x)
        result.grad_norm = float(np.max(np.abs(g))) if g.size else 0.0
        result.extra["kept_best"] = True


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
