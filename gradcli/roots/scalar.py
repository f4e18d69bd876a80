"""One equation f(x) = 0: SciPy's bracketing methods on [a, b], and newton/halley/secant from x0 with
the exact f′ and f″ (SymPy derivatives), through scipy.optimize.root_scalar.

Tolerances: SciPy's bracketing default xtol = 2e-12 is absolute, so a root at 2.09 would be good to only
~1e-12 relative; ours is xtol = 4e-16·max(|a|, |b|) with SciPy's smallest rtol = 4·eps, i.e. a bracket
shrunk to a few ulps (bisect needs ~52 halvings). Newton-type steps stop when |Δx| ≤ 1e-14 + 4·eps·|x|.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gradcli.errors import GradcliError
from gradcli.roots.result import Clock, RootRun

BRACKETING = ("brentq", "brenth", "ridder", "bisect", "toms748")
FROM_X0 = ("newton", "halley", "secant")
RTOL = 4 * np.finfo(float).eps
SCAN_POINTS = 1001


def _show(v: float) -> str:
    return f"{v:.6g}"


def check_bracket_range(a: float, b: float) -> None:
    if not (math.isfinite(a) and math.isfinite(b)) or a >= b:
        raise GradcliError(f"--bracket {_show(a)}:{_show(b)}: write A:B with finite A < B, e.g. --bracket 2:3")


def check_bracket(eqs, a: float, b: float) -> None:
    """Bad input, said in one line: a ≥ b, f undefined in [a, b], or no sign change."""
    check_bracket_range(a, b)
    t = np.linspace(a, b, SCAN_POINTS)
    v = eqs.numpy_function()(t)
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        where = "an end of" if bad[0] in (0, t.size - 1) else "inside"
        raise GradcliError(f"f = {eqs.texts[0]} is undefined at x = {_show(t[bad[0]])} ({where} the bracket "
                           f"[{_show(a)}, {_show(b)}]: f = {v[bad[0]]}); choose a bracket where f is defined")
    fa, fb = v[0], v[-1]
    if fa * fb > 0:
        raise GradcliError(f"no sign change in the bracket: f({_show(a)}) = {fa:.6g} and f({_show(b)}) = {fb:.6g} "
                           f"have the same sign, so a bracketing method cannot start; try --all to look for every "
                           "root inside it, or a bracket where f changes sign")


def check_start(eqs, method: str, x0: float) -> None:
    """f (and f′ for newton/halley) defined at x0, and f′(x0) ≠ 0 for the methods that divide by it."""
    f0 = float(eqs.F_uncounted([x0])[0])
    if not math.isfinite(f0):
        raise GradcliError(f"f = {eqs.texts[0]} is undefined at --x0 {_show(x0)} (f = {f0}); start where f is defined")
    if method in ("newton", "halley"):
        d = float(eqs.J_uncounted([x0])[0, 0])
        if not math.isfinite(d) or d == 0.0:
            raise GradcliError(f"f′({_show(x0)}) = {d}: {method} divides by f′, so it cannot take a first step from "
                               "--x0; start elsewhere, or give a bracket (--bracket A:B)")


def _recording(fn, iterates: list):
    def wrapped(x):
        iterates.append(float(x))
        return fn(x)
    return wrapped


def run_bracketing(eqs, method: str, a: float, b: float, tol: float, maxiter: int | None = None) -> RootRun:
    from scipy.optimize import root_scalar

    clock, iterates = Clock(eqs, method, tol), []
    xtol = 4e-16 * max(abs(a), abs(b))
    kw = {"maxiter": maxiter} if maxiter else {}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = root_scalar(_recording(eqs.f, iterates), bracket=(a, b), method=method, xtol=xtol, rtol=RTOL, **kw)
    except (RuntimeError, ValueError) as exc:
        return clock.error(f"{method}: {exc}", iterates[-1] if iterates else None)
    return clock.done(r.root, nit=r.iterations, success=r.converged, message=r.flag,
                      scipy_counts={"function_calls": r.function_calls},
                      ours_vs_theirs={"function_calls": eqs.counts.nfev}, jacobian="none (bracketing)",
                      iterates=iterates)


def run_from_x0(eqs, method: str, x0: float, tol: float, x1: float | None = None,
                maxiter: int | None = None) -> RootRun:
    from scipy.optimize import root_scalar

    clock, iterates = Clock(eqs, method, tol), []
    kw: dict = {"maxiter": maxiter} if maxiter else {}
    given = "none (secant)"
    if method in ("newton", "halley"):
        kw["fprime"] = eqs.d1
        given = "exact f′"
    if method == "halley":
        kw["fprime2"] = eqs.d2
        given = "exact f′ and f″"
    if method == "secant" and x1 is not None:
        kw["x1"] = x1
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = root_scalar(_recording(eqs.f, iterates), x0=x0, method=method, xtol=1e-14, rtol=RTOL, **kw)
    except (RuntimeError, ValueError, ZeroDivisionError, OverflowError) as exc:
        return clock.error(f"{method}: {exc}", iterates[-1] if iterates else None)
    c = eqs.counts
    # SciPy's function_calls adds up f, f′ and f″ calls for newton and halley
    return clock.done(r.root, nit=r.iterations, success=r.converged, message=r.flag,
                      scipy_counts={"function_calls": r.function_calls},
                      ours_vs_theirs={"function_calls": c.nfev + c.njev + c.nhev}, jacobian=given, iterates=iterates)
