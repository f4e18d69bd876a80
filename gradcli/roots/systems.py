"""Systems F(x) = 0 through scipy.optimize.root, with our tolerances and the exact Jacobian where taken.

hybr (MINPACK's hybrj) and lm (lmder) are given the exact Jacobian. The quasi-Newton and mixing methods
(broyden1/2, anderson, linearmixing, diagbroyden, excitingmixing) take none by design; SciPy's krylov
(Newton–GMRES) takes none either through ``root`` (its J·v are finite differences of F, counted as F
evaluations). df-sane is derivative-free.

Stopping: SciPy's nonlinear solvers stop at ‖F‖∞ ≤ eps^(1/3) ≈ 6e-6 by default, which is not a root to
most users; here they stop at ‖F‖∞ ≤ tol = 1e-10·max(1, ‖F(x0)‖∞) (``fatol``; df-sane gets the same test
in the ∞-norm through ``fnorm``). hybr and lm test steps, not F: they get xtol = 1e-10 (hybr; measured on the circle/hyperbola system: ‖F‖∞ 3e-11
with SciPy's 1.49e-8, 1e-15 with 1e-10 for one more F) and
xtol = ftol = 1e-15 (lm), and our verdict then checks ‖F‖∞ against the same tol.
"""

from __future__ import annotations

import warnings

import numpy as np

from gradcli.errors import GradcliError
from gradcli.roots.result import Clock, RootRun
from gradcli.roots.watch import TimeUp

METHODS = ("hybr", "lm", "broyden1", "broyden2", "anderson", "linearmixing", "diagbroyden", "excitingmixing",
           "krylov", "df-sane")
ALIASES = {"fsolve": "hybr", "newton_krylov": "krylov", "dfsane": "df-sane"}
NONLIN = ("broyden1", "broyden2", "anderson", "linearmixing", "diagbroyden", "excitingmixing", "krylov")
NEEDS_REGULAR_START = ("hybr", "krylov")     # their first step solves J·s = −F
JACOBIAN = {"hybr": "exact J", "lm": "exact J", "krylov": "finite-difference J·v (SciPy's; root takes no J)",
            "df-sane": "none (derivative-free)"}


def _point(x) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in x) + ")"


def check_system(eqs, method: str, x0) -> None:
    """Square (or m ≥ n for lm), F defined at x0, J regular at x0 where the first step needs J⁻¹."""
    m, n = eqs.m, eqs.n
    shape = f"{m} equation{'s' if m != 1 else ''} in {n} unknown{'s' if n != 1 else ''} ({', '.join(eqs.variables)})"
    if method == "lm" and m < n:
        raise GradcliError(f"{shape}: lm needs at least as many equations as unknowns; add equations, or fix "
                           "some unknowns with --param NAME=VALUE")
    if method != "lm" and m != n:
        raise GradcliError(f"{shape}: {method} needs a square system (as many equations as unknowns); use "
                           "--method lm (least squares) or gradcli fit")
    F0 = eqs.F_uncounted(x0)
    bad = np.flatnonzero(~np.isfinite(F0))
    if bad.size:
        raise GradcliError(f"equation {bad[0] + 1} ({eqs.texts[bad[0]]}) is undefined at --x0 {_point(x0)} "
                           f"(value {F0[bad[0]]}); start where every equation is defined")
    if method in NEEDS_REGULAR_START:
        J0 = eqs.J_uncounted(x0)
        if not np.all(np.isfinite(J0)):
            raise GradcliError(f"the Jacobian is not finite at --x0 {_point(x0)}; start elsewhere")
        rank = int(np.linalg.matrix_rank(J0))
        if rank < n:
            raise GradcliError(f"the Jacobian is singular at --x0 {_point(x0)} (rank {rank} of {n}): {method} "
                               "cannot take its first (Newton) step there; start elsewhere, or use --method lm")


def _inf_norm(F) -> float:
    return float(np.max(np.abs(F)))


def run_system(eqs, method: str, x0, tol: float, maxiter: int | None = None, label: str | None = None) -> RootRun:
    from scipy.optimize import root

    clock = Clock(eqs, label or method, tol)
    last: list = []

    def F(x):
        last[:] = [np.array(x, dtype=float)]
        return eqs.F(x)

    jac = eqs.J if method in ("hybr", "lm") else None
    if method == "hybr":
        options = {"xtol": 1e-10} | ({"maxfev": maxiter} if maxiter else {})
    elif method == "lm":
        options = {"xtol": 1e-15, "ftol": 1e-15} | ({"maxiter": maxiter} if maxiter else {})
    elif method == "df-sane":
        options = {"fatol": tol, "ftol": 0.0, "fnorm": _inf_norm} | ({"maxfev": maxiter} if maxiter else {})
    else:
        options = {"fatol": tol} | ({"maxiter": maxiter} if maxiter else {})
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = root(F, np.asarray(x0, dtype=float), jac=jac, method=method, options=options)
    except TimeUp:
        raise
    except Exception as exc:  # noqa: BLE001 - any SciPy failure is this method's result, said as such
        return clock.error(f"{method}: {type(exc).__name__}: {exc}"[:300], last[0] if last else None)
    c = eqs.counts
    theirs = {k: r[k] for k in ("nfev", "njev") if k in r}
    return clock.done(r.x, nit=r.get("nit"), success=r.success, message=r.message, scipy_counts=theirs,
                      ours_vs_theirs={"nfev": c.nfev, "njev": c.njev},
                      jacobian=JACOBIAN.get(method, "none (quasi-Newton: its own approximation)"))

