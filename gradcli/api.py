"""The Python API, for people who know ``scipy.optimize.minimize``: the same orchestrator the CLI uses.

    >>> import gradcli
    >>> r = gradcli.minimize("x**2-4*x+8", [1.3], method="fmin")
    >>> r.nit, r.nfev, r.x, r.verdict.kind            # 16, 32, array([2.00001953]), minimum
"""

from __future__ import annotations

import math

from gradcli.errors import GradcliError
from gradcli.problem.core import Problem, build_problem
from gradcli.result import Result


def objective(expr: str, variables: list[str] | None = None, params: dict | None = None,
              dim: int | None = None):
    """The compiled, counted objective of ``expr``: ``.fun``, ``.grad``, ``.hess``, ``.counts``.

    ``dim`` is the length of indexed variables: ``objective("sum((x[i]-1)**2, i, 0, n-1)", dim=1000)``.
    """
    return build_problem(expr, variables=variables, params=params, dim=dim).compile()


def minimize(fun: str | Problem, x0=None, method: str = "auto", *, variables=None, params=None, bounds=None,
             constraints=None, dim=None, tol: float | None = None, options: dict | None = None,
             maxiter: int | None = None, verify: bool = True, keep_best: bool = False, trace: bool = False,
             starts: int | None = None, seed: int | None = None, **method_options) -> Result | list[Result]:
    """Minimize ``fun`` (an expression, or a Problem) from ``x0``.

    ``method``: a name or SciPy alias ('fmin', 'bfgs', ...), 'auto', a comma list or 'all'. One method
    gives one Result; several give a list. ``bounds``: ``{name: (lo, hi)}``, a sequence of ``(lo, hi)``
    pairs in variable order (None for an open side), or ``scipy.optimize.Bounds``. ``constraints``: strings
    such as ``"x + y <= 1"``. ``options`` (or keywords): ``maxiter`` and each method's own options (``gtol``,
    ``lr``, ``step``, ...; an option no chosen method takes is an error). A start where f is not finite
    gives Results that say so (status 'non-finite value'), as SciPy would, not an exception.
    """
    options = {**dict(options or {}), **method_options}
    maxiter = options.pop("maxiter", maxiter)
    if isinstance(fun, Problem):
        problem = fun
        if x0 is not None:
            from gradcli.problem.core import _vector
            problem.starts = [_vector(list(x0) if not isinstance(x0, (str, dict)) else x0, problem.variables, "x0")]
    elif isinstance(fun, str):
        if isinstance(constraints, str):
            constraints = [constraints]
        problem = build_problem(fun, variables=variables, params=params, dim=dim,
                                x0=_list(x0), constraints=constraints)
        if bounds is not None:
            from gradcli.problem.core import _bounds as in_order
            problem.bounds = in_order(_bounds(bounds, problem.variables), problem.variables)
    else:
        raise GradcliError(f"minimize: fun must be an expression string or a Problem, not {type(fun).__name__}")
    from gradcli.run.solve import run
    done = run(problem, method, options=options, starts=starts, seed=seed, check=False, tol=tol, maxiter=maxiter,
               verify=verify, keep_best=keep_best, trace=trace)
    several = len(done.results) != 1 or "," in method or method.strip().lower() == "all"
    return done.results if several else done.results[0]


def _list(x0):
    if x0 is None or isinstance(x0, (str, dict)):
        return x0
    try:
        return [float(v) for v in (x0 if hasattr(x0, "__iter__") else [x0])]
    except (TypeError, ValueError):
        raise GradcliError(f"minimize: x0 must be numbers, got {x0!r}") from None


def _bounds(bounds, names) -> dict:
    """SciPy's forms (a sequence of (lo, hi) pairs, or Bounds) or {name: (lo, hi)} → {name: (lo, hi)}."""
    if isinstance(bounds, dict):
        return {k: _pair(v, k) for k, v in bounds.items()}
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):      # scipy.optimize.Bounds
        import numpy as np
        lb = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (len(names),))
        ub = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (len(names),))
        return {n: _pair((a, b), n) for n, a, b in zip(names, lb, ub)}
    try:
        pairs = [tuple(b) for b in bounds]
    except TypeError:
        raise GradcliError("bounds: give (lo, hi) pairs, one per variable, or scipy.optimize.Bounds") from None
    if len(pairs) != len(names):
        raise GradcliError(f"bounds: {len(pairs)} (lo, hi) pair{'s' if len(pairs) != 1 else ''} for "
                           f"{len(names)} variables ({', '.join(names)}); give one per variable")
    return {n: _pair(p, n) for n, p in zip(names, pairs)}


def _pair(p, name) -> tuple:
    """(lo, hi) with None for an open side (±inf from SciPy's Bounds means the same)."""
    try:
        lo, hi = p
        lo = None if lo is None or float(lo) == -math.inf else float(lo)
        hi = None if hi is None or float(hi) == math.inf else float(hi)
    except (TypeError, ValueError):
        raise GradcliError(f"bounds for {name}: give (lo, hi) with numbers or None, got {p!r}") from None
    return lo, hi
