"""Why a run stopped, against what: each stopping measure next to the tolerance it was held to.

After Optim.jl's summary of a MultivariateOptimizationResults (``|g(x)| = 2.3e-09 ≤ 1.0e-08``): the
measures are ours (‖∇f(x*)‖∞ from the exact gradient; |Δf| and ‖Δx‖∞ from the last two iterates when a
trace was recorded), the tolerances are the ones the method actually used — SciPy's documented defaults
(scipy.optimize.minimize, 1.13+), overridden the way ``minimize(tol=...)`` and our options override them.
Pure data: the report prints the rows, nothing here prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# method → {measure: default tolerance}; 'maxiter' as a function of n. Measures: g (‖∇f‖∞, projected
# with bounds), df (|Δf|, relative for l-bfgs-b/powell), dx (‖Δx‖∞).
_DEFAULTS = {
    "bfgs": {"g": 1e-5, "maxiter": lambda n: 200 * n},
    "cg": {"g": 1e-5, "maxiter": lambda n: 200 * n},
    "l-bfgs-b": {"g": 1e-5, "df_rel": 2.220446049250313e-09, "maxiter": lambda n: 15000},
    "newton-cg": {"dx": 1e-5, "maxiter": lambda n: 200 * n},
    "nelder-mead": {"dx": 1e-4, "df": 1e-4, "maxiter": lambda n: 200 * n},
    "powell": {"dx": 1e-4, "df_rel": 1e-4, "maxiter": lambda n: 1000 * n},
    "tnc": {"dx": 1e-8, "df": 1e-8, "maxfev": lambda n: max(100, 10 * n)},
    "slsqp": {"df": 1e-6, "maxiter": lambda n: 100},
    "trust-constr": {"g": 1e-8, "dx": 1e-8, "maxiter": lambda n: 1000},
    "dogleg": {"g": 1e-8, "maxiter": lambda n: 200 * n},
    "trust-ncg": {"g": 1e-8, "maxiter": lambda n: 200 * n},
    "trust-krylov": {"g": 1e-8, "maxiter": lambda n: 200 * n},
    "trust-exact": {"g": 1e-8, "maxiter": lambda n: 200 * n},
    "cobyla": {"dx": 1e-4, "maxiter": lambda n: 1000},
    "cobyqa": {"dx": 1e-6, "maxfev": lambda n: 500 * n},
}
# which measures scipy.optimize.minimize(tol=...) sets, per method
_TOL_SETS = {"bfgs": ("g",), "cg": ("g",), "l-bfgs-b": ("g", "df_rel"), "newton-cg": ("dx",),
             "nelder-mead": ("dx", "df"), "powell": ("dx", "df_rel"), "tnc": ("dx", "df"), "slsqp": ("df",),
             "trust-constr": ("g", "dx"), "dogleg": ("g",), "trust-ncg": ("g",), "trust-krylov": ("g",),
             "trust-exact": ("g",), "cobyla": ("dx",), "cobyqa": ("dx",)}
_LABEL = {"g": "|g(x)|", "df": "|f(x) - f(x')|", "df_rel": "|f(x) - f(x')|/max(1,|f|)", "dx": "|x - x'|"}


@dataclass
class Measure:
    """One line: ``label = value ≤ tol`` (``held`` says whether the test is met)."""

    label: str
    value: float | int | None
    tol: float | int
    held: bool | None
    kind: str = "tol"        # 'tol' (value ≤ tol) or 'limit' (value < limit)

    def as_dict(self) -> dict:
        return {"measure": self.label, "value": self.value, "tol": self.tol, "held": self.held, "kind": self.kind}


def tolerances(method: str, n: int, tol: float | None, options: dict, maxiter: int | None) -> dict:
    """The tolerances ``method`` ran with: defaults ← tol ← the method's own options."""
    base = _DEFAULTS.get(method)
    if base is None:
        return {}
    out = {k: (v(n) if callable(v) else v) for k, v in base.items()}
    if tol is not None:
        for k in _TOL_SETS.get(method, ()):
            out[k] = tol
    if options.get("gtol") is not None and "g" in out:
        out["g"] = options["gtol"]
    if maxiter is not None:
        out["maxfev" if method == "tnc" else "maxiter"] = maxiter
    return out


def measures(result, method: str, n: int, tol: float | None = None, options: dict | None = None,
             maxiter: int | None = None) -> list[Measure]:
    """The stopping measures of ``result`` against the tolerances it ran with."""
    options = options or {}
    settings = result.extra.get("settings")
    if settings is not None:     # our gd family records what it used
        tols = {"g": settings.get("gtol", 0.0), "df_rel": settings.get("ftol", 0.0),
                "dx": settings.get("xtol", 0.0), "maxiter": maxiter or 10_000}
    else:
        tols = tolerances(method, n, tol, options, maxiter)
    if not tols:
        return []
    g = result.extra.get("stationarity", result.grad_norm)
    dx = df = None
    rows = result.trace or []
    if len(rows) >= 2:
        dx, df = rows[-1].step, abs(rows[-1].f - rows[-2].f)
    out = []
    for key in ("dx", "df", "df_rel", "g"):
        if key not in tols:
            continue
        value = {"g": g, "dx": dx, "df": df,
                 "df_rel": None if df is None else df / max(1.0, abs(result.fun) if math.isfinite(result.fun) else 1.0)}[key]
        held = None if value is None or not math.isfinite(value) else value <= tols[key]
        out.append(Measure(_LABEL[key], value, tols[key], held))
    if "maxiter" in tols and result.nit is not None:
        out.append(Measure("iterations", result.nit, tols["maxiter"], result.nit < tols["maxiter"], "limit"))
    if "maxfev" in tols:
        out.append(Measure("f evaluations", result.nfev, tols["maxfev"], result.nfev < tols["maxfev"], "limit"))
    return out


def count_mismatch(result) -> dict:
    """Counts the solver reported that differ from what our counters saw: {name: [ours, theirs]}."""
    theirs = result.extra.get("solver_counts") or {}
    ours = {"nfev": result.nfev, "njev": result.njev, "nhev": result.nhev}
    return {k: [ours[k], int(v)] for k, v in theirs.items() if k in ours and int(v) != ours[k]}
