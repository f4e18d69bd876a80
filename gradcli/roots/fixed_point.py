"""x = g(x) by SciPy's fixed_point: 'del2' (Steffensen's Δ² acceleration, SciPy's default) or 'iteration'.

The verdict judges F(x) = g(x) − x like any other root. SciPy's xtol (relative change of x, default 1e-8)
is 1e-14 here: del2 converges quadratically near a fixed point where g′ ≠ 1, so the last iterate is then
good to a few ulps. SciPy reports no counts and, on failure, only raises; our counter sees every g(x),
and the last x it was called at is what gets judged then.
"""

from __future__ import annotations

import warnings

import numpy as np

from gradcli.roots.result import Clock, RootRun

METHODS = ("del2", "iteration")
XTOL = 1e-14


def run_fixed_point(eqs, method: str, x0, tol: float, maxiter: int | None = None) -> RootRun:
    from scipy.optimize import fixed_point

    from gradcli.symbolic.compile import compile_exprs

    g_compiled = compile_exprs(eqs.symbols, [e + s for e, s in zip(eqs.exprs, eqs.symbols)])
    clock, last = Clock(eqs, method, tol), []

    def g(x):
        eqs.counts.nfev += 1
        x = np.atleast_1d(np.asarray(x, dtype=float))
        last[:] = [x.copy()]
        return g_compiled(x)

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            x = fixed_point(g, np.asarray(x0, dtype=float), xtol=XTOL, maxiter=maxiter or 500, method=method)
    except RuntimeError as exc:      # SciPy's way of saying "did not converge"
        return clock.done(last[0], nit=None, success=False, message=str(exc).split(",")[0], scipy_counts={},
                          ours_vs_theirs={}, jacobian="none")
    except (ValueError, FloatingPointError, ZeroDivisionError, OverflowError) as exc:
        return clock.error(f"{method}: {type(exc).__name__}: {exc}"[:300], last[0] if last else None)
    return clock.done(x, nit=None, success=True, message=f"relative change of x below {XTOL:g}",
                      scipy_counts={}, ours_vs_theirs={}, jacobian="none")
