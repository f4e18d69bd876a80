"""The verdict for an array problem, honest about where its second-order evidence comes from.

There is no symbolic Hessian: curvature comes from Hessian-vector products by central differences of
the exact gradient (``ArrayObjective.hessp_uncounted``). Small problems (n ≤ DENSE_N) get every
eigenvalue of the assembled matrix; larger ones the two extreme eigenvalues by Lanczos (``eigsh`` on a
LinearOperator: about a hundred gradient pairs for n = 785), which is enough to call a point a
minimum (smallest eigenvalue clearly positive) or a saddle (clearly negative). When Lanczos does not
converge, the verdict says "not verified (no Hessian)" rather than guess.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.checks.verdict import (EIG_ZERO, EIGENVALUES_SHOWN, MAXIMUM, MINIMUM, NOT_FINITE, NOT_STATIONARY,
                                   SADDLE, STATIONARY_TOL, _relative)
from gradcli.result import Verdict, VerdictKind

DENSE_N = 60
NOT_VERIFIED = VerdictKind.NOT_VERIFIED
SOURCE = "Hessian from central differences of the exact gradient"


def verify_array(objective, problem, x) -> Verdict:
    x = np.asarray(x, dtype=float).ravel()
    if not np.all(np.isfinite(x)):
        return Verdict(NOT_FINITE, "x is not finite", math.nan)
    f = objective.fun_uncounted(x)
    if not math.isfinite(f):
        return Verdict(NOT_FINITE, f"f(x) = {f}", f)
    g = objective.grad_uncounted(x)
    if not np.all(np.isfinite(g)):
        return Verdict(NOT_FINITE, "∇f(x) is not finite", f)
    v = Verdict("", "", f)
    v.stationarity = float(np.max(np.abs(g))) if g.size else 0.0
    v.relative_gradient = _relative(g, x, f)
    if v.relative_gradient > STATIONARY_TOL:
        v.kind = NOT_STATIONARY
        v.reason = f"relative gradient {v.relative_gradient:.2g} > {STATIONARY_TOL:g} (‖∇f‖∞ = {v.stationarity:.2g})"
        return v
    lo, hi, values = _extremes(objective, x)
    if lo is None:
        v.kind, v.reason = NOT_VERIFIED, "stationary; the curvature could not be estimated"
        return v
    v.min_eig, v.max_eig = lo, hi
    if values is not None and values.size <= EIGENVALUES_SHOWN:
        v.eigenvalues = [float(e) for e in values]
    zero = EIG_ZERO * max(abs(lo), abs(hi)) * 100   # differences of a gradient: ~1e-6 relative, not 1e-8
    if lo > zero:
        v.kind, v.reason = MINIMUM, f"stationary, Hessian positive definite ({SOURCE})"
    elif hi < -zero:
        v.kind, v.reason = MAXIMUM, f"stationary, Hessian negative definite ({SOURCE})"
    elif lo < -zero:
        v.kind, v.reason = SADDLE, f"a negative Hessian eigenvalue {lo:.3g} ({SOURCE})"
    else:
        v.kind, v.reason = NOT_VERIFIED, f"stationary, smallest Hessian eigenvalue {lo:.3g} is about zero ({SOURCE})"
    return v


def _extremes(objective, x):
    n = x.size
    if n <= DENSE_N:
        H = objective.hess_uncounted(x)
        if not np.all(np.isfinite(H)):
            return None, None, None
        w = np.linalg.eigvalsh(H)
        return float(w[0]), float(w[-1]), w
    from scipy.sparse.linalg import LinearOperator, eigsh

    from gradcli.checks.verdict import lanczos_start

    op = LinearOperator((n, n), matvec=lambda p: objective.hessp_uncounted(x, np.ravel(p)), dtype=float)
    try:   # both ends of the spectrum from one Lanczos run
        w = eigsh(op, v0=lanczos_start(op.shape[0]), k=2, which="BE", return_eigenvectors=False, tol=1e-4, maxiter=500)
    except Exception:
        return None, None, None
    return float(np.min(w)), float(np.max(w)), None
