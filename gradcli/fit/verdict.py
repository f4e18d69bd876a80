"""The verdict on a fit, from our own evaluation of the exact residuals, Jacobian and second derivatives.

A minimum of the cost C(p) = ½Σρ(rᵢ²) (ρ(z) = z: the RSS) needs
- stationarity: each gradient component (Jᵀ ρ'·r)ⱼ small against ‖Jⱼ‖·‖r‖ (the cosine between the
  residual vector and the column: scale-free), up to the rounding noise of r; a parameter on an active
  bound may have a gradient pointing out of the box;
- identifiability: J of full column rank (after scaling its columns), else the parameters in the null
  space are named;
- curvature: the full Hessian Jᵀdiag(ρ' + 2ρ''z)J + Σρ'ᵢrᵢ∇²rᵢ positive definite (a Gauss–Newton JᵀJ is
  positive semi-definite by construction and cannot see a saddle, so the second-order sum is included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradcli.fit.stats import rank_of, scaled_svd

STATIONARY_COS = 1e-6          # |Jⱼᵀr| ≤ this·‖Jⱼ‖·‖r‖ (RSS within ~1e-12 relative of its minimum along Jⱼ)
NOISE = 100 * np.finfo(float).eps
CURVATURE_TOL = 1e-10          # λ_min/λ_max of the scaled Hessian below this: flat; below its negative: saddle
ACTIVE_TOL = 1e-8             # a parameter this close (relative) to a bound, pushed outwards, is on it
NULL_SHARE = 0.1               # a parameter is named non-identifiable when its null-vector share is ≥ this


def loss_derivatives(loss: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ρ'(z) and ρ''(z) of SciPy's least_squares losses (z = (r/f_scale)²; formulas in its docs)."""
    with np.errstate(all="ignore"):
        if loss == "linear":
            return np.ones_like(z), np.zeros_like(z)
        if loss == "soft_l1":
            t = 1 + z
            return t ** -0.5, -0.5 * t ** -1.5
        if loss == "huber":
            big = z > 1
            return np.where(big, z ** -0.5, 1.0), np.where(big, -0.5 * z ** -1.5, 0.0)
        if loss == "cauchy":
            return 1 / (1 + z), -1 / (1 + z) ** 2
        if loss == "arctan":
            return 1 / (1 + z**2), -2 * z / (1 + z**2) ** 2
    raise ValueError(f"unknown loss {loss}")


@dataclass
class Verdict:
    kind: str                  # minimum | rank-deficient | saddle | degenerate | not converged | not finite | infeasible
    text: str
    gradient_cos: float = float("nan")
    curvature: float = float("nan")          # λ_min/λ_max of the column-scaled Hessian (free parameters)
    unidentifiable: list[str] = field(default_factory=list)
    active_bounds: list[str] = field(default_factory=list)
    maxcv: float | None = None                # with --constraint: largest violation of a constraint or bound
    multipliers: dict = field(default_factory=dict)          # with --constraint: λ of each active one
    active_constraints: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.kind == "minimum"


def fit_verdict(model, p, lower=None, upper=None, loss: str = "linear", f_scale: float = 1.0,
                at: tuple | None = None) -> Verdict:
    """``at``: (r, J) already evaluated at p by the caller (the statistics use the same ones)."""
    p = np.asarray(p, dtype=float)
    cost = "RSS" if loss == "linear" else f"{loss} cost"
    r, J = at if at is not None else (model.residuals(p), model.jacobian(p))
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(J)) and np.all(np.isfinite(p))):
        return Verdict("not finite", "not a minimum: the residuals or Jacobian are not finite there")
    plain = loss == "linear"           # ρ' = 1, ρ'' = 0: no weighted copies of the n × p Jacobian
    z = (r / f_scale) ** 2
    rho1, rho2 = loss_derivatives(loss, z)
    g = J.T @ r if plain else J.T @ (rho1 * r)
    lo = np.full(model.p, -np.inf) if lower is None else np.asarray(lower, dtype=float)
    hi = np.full(model.p, np.inf) if upper is None else np.asarray(upper, dtype=float)
    near = ACTIVE_TOL * np.maximum(1.0, np.abs(p))     # trf stays strictly inside: 'on the bound' within this
    active = ((p - lo <= near) & (g > 0)) | ((hi - p <= near) & (g < 0))
    names = model.params
    active_names = [names[j] for j in np.flatnonzero(active)]
    w = np.sqrt(rho1)
    Jw = J if plain else J * w[:, None]
    col = np.linalg.norm(Jw, axis=0)
    rnorm = float(np.linalg.norm(r if plain else w * r))
    fnorm = float(np.linalg.norm(r + (model.y if model.weights is None else model.y * model.weights)))   # ‖f/σ‖
    with np.errstate(all="ignore"):
        cos = np.where(col > 0, np.abs(g) / (col * max(rnorm, 1e-300)), 0.0)
    allowed = STATIONARY_COS * col * rnorm + NOISE * col * fnorm
    free = ~active
    worst = float(np.max(cos[free])) if free.any() else 0.0
    if np.any((np.abs(g) > allowed) & free):
        j = int(np.argmax(np.where(free, cos, -1)))
        return Verdict("not converged", f"not a minimum: the {cost} still falls along {names[j]} "
                       f"(|∂C/∂{names[j]}| is {cos[j]:.1e} of ‖J‖‖r‖)", worst, active_bounds=active_names)
    Jf = Jw if free.all() else Jw[:, free]
    d, s, vt = scaled_svd(Jf)
    rank = rank_of(s, Jf.shape)
    free_names = [names[j] for j in np.flatnonzero(free)]
    if rank < len(free_names):
        null = vt[rank:]
        share = np.max(np.abs(null), axis=0)
        bad = [free_names[k] for k in np.flatnonzero(share >= NULL_SHARE)]
        return Verdict("rank-deficient", f"rank-deficient Jacobian (rank {rank} of {len(free_names)}): "
                       f"{', '.join(bad)} not identifiable from these data", worst, unidentifiable=bad,
                       active_bounds=active_names)
    H = (J.T @ J if plain else J.T @ ((rho1 + 2 * rho2 * z)[:, None] * J)) + model.hessian_sum(p, r if plain else rho1 * r)
    Hs = H[np.ix_(free, free)] / np.outer(d, d)
    eig = np.linalg.eigvalsh((Hs + Hs.T) / 2) if Hs.size else np.ones(1)
    curv = float(eig[0] / eig[-1]) if eig[-1] > 0 else float("-inf")
    bound_note = f" (on its bound: {', '.join(active_names)})" if active_names else ""
    if curv < -CURVATURE_TOL:
        return Verdict("saddle", f"saddle point of the {cost}: the Hessian has a negative eigenvalue", worst, curv,
                       active_bounds=active_names)
    if curv <= CURVATURE_TOL:
        return Verdict("degenerate", f"not verified: the {cost} is flat in some direction (Hessian singular)",
                       worst, curv, active_bounds=active_names)
    return Verdict("minimum", f"minimum of the {cost}{bound_note}: Jᵀr ≈ 0 and the Hessian positive definite "
                   "(our own evaluation)", worst, curv, active_bounds=active_names)
