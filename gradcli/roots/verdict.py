"""Our verdict on a point a root finder returned, from our own evaluation of F, J (and f″) there.

* root: ‖F‖∞ ≤ tol = rtol·max(1, ‖F(x0)‖∞); for one equation also f changing sign within a few ulps of x
  (a steep f cannot reach |f| ≤ tol in floating point, but a sign change proves a root is there);
* singular root: a root where the Jacobian is singular or ill-conditioned, cond(J) > 1e8 (≈ 1/√eps),
  or near one: σ_min(J)² ≤ 10·‖F‖·‖F″[v, v]‖ with v J's most nearly null direction (the scalar test
  below, along v; x is then known only to about ‖F‖/σ_min); for one equation a multiple root, f′ = 0 or
  f′² ≤ 10·|f·f″| (at an m-fold root f′²/(f·f″) → m/(m−1) ≤ 2; at a simple root it grows without bound);
* local minimum of ‖F‖ (not a root): ∇(½‖F‖²) = JᵀF ≈ 0 with ‖F‖ not small and the Hessian of ½‖F‖²
  positive semidefinite there: another start, or least squares (`lm`, `fit`), is the way on;
* not converged: none of these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ROOT = "root"
SINGULAR = "singular root"
LOCAL_MIN = "local minimum of ‖F‖, not a root"
NOT_CONVERGED = "not converged"
NO_RESULT = "no result"
ILL_CONDITIONED = 1e8
SIGN_ULPS = 16


def verified(kind: str) -> bool:
    """A root we checked ourselves (simple or singular)."""
    return kind in (ROOT, SINGULAR)


def tolerance(eqs, x0, rtol: float, bracket=None) -> float:
    """‖F‖∞ a root must reach: rtol·max(1, ‖F(x0)‖∞); with no start, the smaller |f| at the ends of the
    bracket (the larger may be huge: exp(100x) − 10 on [0, 1] has f(1) ≈ 3e43)."""
    if x0 is not None:
        scale = float(np.max(np.abs(eqs.F_uncounted(x0))))
    elif bracket is not None:
        scale = min(abs(float(eqs.F_uncounted([t])[0])) for t in bracket)
    else:
        scale = 1.0
    return rtol * max(1.0, scale if math.isfinite(scale) else 1.0)


@dataclass
class Verdict:
    kind: str
    reason: str
    residual: float                  # ‖F(x)‖∞, ours
    fun: list[float]                 # F(x), ours
    cond: float | None = None        # cond(J) at x (2-norm), or |f′| for one equation
    sign_change: bool | None = None  # one equation: f changes sign within SIGN_ULPS ulps of x


def judge(eqs, x, tol: float) -> Verdict:
    x = np.atleast_1d(np.asarray(x, dtype=float))
    if x.size != eqs.n or not np.all(np.isfinite(x)):
        return Verdict(NOT_CONVERGED, "the method returned a non-finite point", math.nan, [])
    F = eqs.F_uncounted(x)
    res = float(np.max(np.abs(F))) if F.size else 0.0
    fun = [float(v) for v in F]
    if not math.isfinite(res):
        return Verdict(NOT_CONVERGED, "F is not finite at the returned point", res, fun)
    if eqs.scalar:
        return _scalar(eqs, float(x[0]), float(F[0]), res, fun, tol)
    J = eqs.J_uncounted(x)
    if not np.all(np.isfinite(J)):
        kind = ROOT if res <= tol else NOT_CONVERGED
        return Verdict(kind, f"‖F‖∞ = {res:.2g} {'≤' if res <= tol else '>'} {tol:.2g}; the Jacobian is not "
                             "finite there, so its conditioning is unknown", res, fun)
    _, sv, vt = np.linalg.svd(J)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf
    if res <= tol:
        if cond > ILL_CONDITIONED:
            return Verdict(SINGULAR, f"‖F‖∞ = {res:.2g} ≤ {tol:.2g}, but the Jacobian there is "
                                     f"{'singular' if math.isinf(cond) else f'ill-conditioned (cond {cond:.2g})'}: "
                                     "x is accurate only to about √‖F‖", res, fun, cond)
        curve = _curvature(eqs, x, vt[-1])
        if eqs.m == eqs.n and sv[-1] ** 2 <= 10.0 * float(np.linalg.norm(F)) * curve:
            return Verdict(SINGULAR, f"‖F‖∞ = {res:.2g} ≤ {tol:.2g}, but the smallest singular value of the "
                                     f"Jacobian, {sv[-1]:.2g}, is of the order of √(‖F‖·‖F″‖) = "
                                     f"{math.sqrt(float(np.linalg.norm(F)) * curve):.2g}: near a singular root, "
                                     "x is accurate only to about ‖F‖/σ_min", res, fun, cond)
        return Verdict(ROOT, f"‖F‖∞ = {res:.2g} ≤ {tol:.2g}, Jacobian cond {cond:.2g}", res, fun, cond)
    return _not_root(eqs, x, res, fun, tol, J.T @ F, cond)


def _curvature(eqs, x, v) -> float:
    """‖d²F(x + t·v)/dt²‖ at t = 0: the central difference of the exact J along v (error O(h²))."""
    h = 1e-5 * max(1.0, float(np.max(np.abs(x))))
    d = (eqs.J_uncounted(x + h * v) - eqs.J_uncounted(x - h * v)) @ v / (2 * h)
    value = float(np.linalg.norm(d))
    return value if math.isfinite(value) else 0.0


def _scalar(eqs, x: float, f: float, res: float, fun, tol: float) -> Verdict:
    d1 = float(eqs.J_uncounted([x])[0, 0])
    d2 = eqs.d2_uncounted([x])
    sign, jump = _sign_change(eqs, x, f)
    if res <= tol or sign:
        how = (f"|f| = {res:.2g} ≤ {tol:.2g}" if res <= tol
               else f"f changes sign within {SIGN_ULPS} ulps of x (|f| = {res:.2g}: f is steep)")
        if math.isfinite(d1) and math.isfinite(d2) and (d1 == 0.0 or d1 * d1 <= 10.0 * abs(f * d2)):
            return Verdict(SINGULAR, f"{how}; f′ = {d1:.2g} ≈ 0 there: a multiple root, accurate only to about "
                                     "√|f| or worse", res, fun, abs(d1), sign)
        return Verdict(ROOT, f"{how}; f′ = {d1:.3g}: a simple root", res, fun, abs(d1), sign)
    if jump:
        return Verdict(NOT_CONVERGED, f"f changes sign within {SIGN_ULPS} ulps of x, but |f| = {res:.2g} grows "
                                      "towards x: a pole or a jump, not a root", res, fun, abs(d1), False)
    v = _not_root(eqs, np.array([x]), res, fun, tol, np.array([d1 * f]), abs(d1), d2)
    v.sign_change = False
    return v


def _steps(x: float, ulps: int) -> tuple[float, float]:
    d = ulps * float(np.spacing(abs(x)))
    return x - d, x + d


def _sign_change(eqs, x: float, f: float) -> tuple[bool, bool]:
    """(a root by sign change, a sign change that is a pole or jump). f changes sign within SIGN_ULPS ulps;
    it is a root only if |f| grows away from x (at 256·SIGN_ULPS ulps it is larger than at SIGN_ULPS):
    near a pole |f| shrinks away from x, across a jump it stays the same."""
    if f == 0.0:
        return True, False
    near = [float(eqs.F_uncounted([t])[0]) for t in _steps(x, SIGN_ULPS)]
    if not (all(map(math.isfinite, near)) and near[0] * near[1] < 0):
        return False, False
    far = [abs(float(eqs.F_uncounted([t])[0])) for t in _steps(x, 256 * SIGN_ULPS)]
    grows = all(map(math.isfinite, far)) and min(far) > max(abs(near[0]), abs(near[1]))
    return grows, not grows


def _not_root(eqs, x, res, fun, tol, g, cond, d2=None) -> Verdict:
    """‖F‖ above tol: a local minimum of ‖F‖ (JᵀF ≈ 0 and ½‖F‖² curving up), or not converged.
    JᵀF ≈ 0 means a move of size max(1, ‖x‖∞) would change ½‖F‖² by at most 1e-6 of itself (to first order)."""
    gnorm = float(np.max(np.abs(g))) if np.all(np.isfinite(g)) else math.nan
    half = 0.5 * float(np.dot(fun, fun))
    if math.isfinite(gnorm) and gnorm * max(1.0, float(np.max(np.abs(x)))) <= 1e-6 * half:
        low = _lowest_curvature(eqs, x, d2)
        if low is not None and low >= -1e-8 * max(1.0, res):
            return Verdict(LOCAL_MIN, f"‖F‖∞ = {res:.2g} > {tol:.2g} and ∇(½‖F‖²) = JᵀF ≈ 0 "
                                      f"(‖JᵀF‖∞ = {gnorm:.2g}): a local minimum of ‖F‖; try another start, or "
                                      "least squares (--method lm, gradcli fit)", res, fun, cond)
    return Verdict(NOT_CONVERGED, f"‖F‖∞ = {res:.2g} > {tol:.2g}", res, fun, cond)


def _lowest_curvature(eqs, x, d2) -> float | None:
    """Smallest eigenvalue of the Hessian of ½‖F‖² = JᵀJ + Σ Fᵢ∇²Fᵢ at x (exact, via SymPy)."""
    if eqs.scalar:
        d1 = float(eqs.J_uncounted(x)[0, 0])
        f = float(eqs.F_uncounted(x)[0])
        return d1 * d1 + f * (d2 if d2 is not None else eqs.d2_uncounted(x))
    import sympy as sp

    from gradcli.symbolic.compile import Objective

    half = sp.Rational(1, 2) * sp.Add(*[e ** 2 for e in eqs.exprs])
    try:
        H = Objective(half, eqs.symbols, eqs.variables).hess_uncounted(x)
        from scipy.sparse import issparse
        H = H.toarray() if issparse(H) else np.asarray(H)
        eig = np.linalg.eigvalsh(H)
    except (np.linalg.LinAlgError, ValueError):
        return None
    return float(eig[0]) if np.all(np.isfinite(eig)) else None
