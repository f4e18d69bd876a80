"""The verdict on a fit, from our own evaluation of the exact residuals, Jacobian and second derivatives.

A minimum of the cost C(p) = ½Σρ(rᵢ²) (ρ(z) = z: the RSS) inside the box lower ≤ p ≤ upper needs (KKT)
- stationarity of the free parameters (the projected gradient): each component (Jᵀ ρ'·r)ⱼ small against
  ‖Jⱼ‖·‖r‖ (the cosine between the residual vector and the column: scale-free), up to the rounding noise
  of r;
- the right multiplier sign at an active bound: a parameter on its bound is held there only if the cost
  falls outwards (∂C/∂pⱼ ≥ 0 at a lower bound, ≤ 0 at an upper one); if it falls into the box, the point
  is not a minimum;
- identifiability: the free columns of J of full rank (after scaling), else the parameters in the null
  space are named;
- curvature on the free subspace: the full Hessian Jᵀdiag(ρ' + 2ρ''z)J + Σρ'ᵢrᵢ∇²rᵢ positive definite
  there (a Gauss–Newton JᵀJ is positive semi-definite by construction and cannot see a saddle, so the
  second-order sum is included).

For the plain RSS the one factorisation of the scaled free columns (QR, then the SVD of the small R) gives
the rank, the Gauss–Newton part V·diag(s²)·Vᵀ of the scaled Hessian, and the statistics' covariance
(gradcli.fit.stats takes it as it is): J is factorised once per fit (twice when a parameter is held on a
bound: all columns for the stationarity test's scales, then the free ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from gradcli.fit.stats import all_finite, lapack, rank_of, scaled_svd

STATIONARY_COS = 1e-6          # |Jⱼᵀr| ≤ this·‖Jⱼ‖·‖r‖ (RSS within ~1e-12 relative of its minimum along Jⱼ)
NOISE = 100 * np.finfo(float).eps
CURVATURE_TOL = 1e-10          # λ_min/λ_max of the scaled Hessian below this: flat; below its negative: saddle
ACTIVE_TOL = 1e-8             # a parameter this close (relative) to a bound is on it
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
    multipliers: dict = field(default_factory=dict)          # λ of each active constraint or bound (λ ≥ 0)
    active_constraints: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.kind == "minimum"


class Factor(NamedTuple):
    """The SVD of the column-scaled free columns of J at the solution: J[:, free]/d = U·diag(s)·Vᵀ."""
    free: np.ndarray           # bool mask of the parameters not held on a bound
    d: np.ndarray
    s: np.ndarray
    vt: np.ndarray
    rank: int


def fit_verdict(model, p, lower=None, upper=None, loss: str = "linear", f_scale: float = 1.0,
                at: tuple | None = None) -> Verdict:
    """``at``: (r, J) already evaluated at p by the caller."""
    p = np.asarray(p, dtype=float)
    r, J = at if at is not None else (model.residuals(p), model.jacobian(p))
    return examine(model, p, r, J, lower, upper, loss, f_scale)[0]


def examine(model, p, r, J, lower=None, upper=None, loss: str = "linear", f_scale: float = 1.0,
            scratch: bool = False, rfac: np.ndarray | None = None) -> tuple[Verdict, Factor | None]:
    """The verdict at p (r, J evaluated there), and the factorisation it made of J's free columns (for the
    plain RSS, where it is the one the statistics need; None otherwise). ``scratch``: J is the caller's own
    and not needed after, so the QR of a tall J may overwrite it (plain RSS without bounds only: the other
    cases read J again). ``rfac``: an R with RᵀR = JᵀJ already made by the solver (plain RSS, all columns)."""
    cost = "RSS" if loss == "linear" else f"{loss} cost"
    rr = float(r @ r)
    plain = loss == "linear"           # ρ' = 1, ρ'' = 0: no weighted copies of the n × p Jacobian
    if plain:
        with np.errstate(all="ignore"):          # an inf or nan in J shows in g (below), without a warning
            g = J.T @ r
    else:
        g = None
    # r·r finite proves r finite (inf² and nan propagate); then a finite Jᵀr proves J finite: an inf or nan in
    # column j makes (Jᵀr)ⱼ inf or nan (inf·x is ±inf or nan, inf − inf is nan), so J is not summed again
    # (a pass over n × p numbers: ~15 µs on 10 000 × 7). An overflow of a sum falls to the exact test.
    if not (math.isfinite(rr) and math.isfinite(float((g if plain else J).sum())) and math.isfinite(p.sum())):
        if not (all_finite(r) and all_finite(J) and all_finite(p)):       # else only an overflow of the sums
            return Verdict("not finite", "not a minimum: the residuals or Jacobian are not finite there"), None
    if plain:
        Jw, rnorm = J, math.sqrt(rr)
    else:
        z = (r / f_scale) ** 2
        rho1, rho2 = loss_derivatives(loss, z)
        w = np.sqrt(rho1)
        g, Jw, rnorm = J.T @ (rho1 * r), J * w[:, None], float(np.linalg.norm(w * r))
    names = model.params
    in_place = scratch and plain and lower is None and upper is None
    col, d, s, vt = scaled_svd(Jw, in_place, rfac if plain else None)   # the factorisation the rank test and statistics need, once
    f = r + (model.y if model.weights is None else model.y * model.weights)      # f/σ: its size sets the noise
    allowed = (STATIONARY_COS * rnorm + NOISE * math.sqrt(f @ f)) * col
    size = np.abs(g)
    cos = size / np.maximum(col * rnorm, 1e-300)         # g = 0 where a column is 0
    on, mult = _on_bounds(p, g, allowed, lower, upper, names) if lower is not None or upper is not None else ({}, {})
    held = [j for j in on if on[j] * g[j] > 0]                # on a bound that binds (λ > 0): held there
    free = np.ones(model.p, bool)
    if held:
        free[held] = False
    active_names = [names[j] for j in held]
    worst = float(cos.max()) if not held else (float(cos[free].max()) if free.any() else 0.0)
    base = dict(active_bounds=active_names, multipliers=mult)
    wrong = [j for j in on if on[j] * g[j] < 0]
    if wrong:
        j = wrong[0]
        side = "lower" if on[j] > 0 else "upper"
        return Verdict("not converged", f"not a minimum: {names[j]} sits on its {side} bound but the {cost} falls "
                       f"into the box along it (its multiplier is negative: {cos[j]:.1e} of ‖J‖‖r‖)", worst,
                       **base), None
    moving = size > allowed
    if held:
        moving &= free
    if moving.any():
        j = int(np.argmax(np.where(free, cos, -1)))
        whole = Factor(free, d, s, vt, rank_of(s, J.shape)) if plain and not held else None   # J may be spent
        return Verdict("not converged", f"not a minimum: the {cost} still falls along {names[j]} "
                       f"(|∂C/∂{names[j]}| is {cos[j]:.1e} of ‖J‖‖r‖)", worst, **base), whole
    shape = (len(r), int(free.sum()) if held else model.p)
    if held:                                    # the free columns' own factorisation (none: every one held)
        _, d, s, vt = scaled_svd(Jw[:, free]) if free.any() else (None, np.empty(0), np.empty(0), np.empty((0, 0)))
    rank = rank_of(s, shape)
    factor = Factor(free, d, s, vt, rank) if plain else None
    if rank < shape[1]:
        free_names = [names[j] for j in np.flatnonzero(free)]
        share = np.max(np.abs(vt[rank:]), axis=0)
        bad = [free_names[k] for k in np.flatnonzero(share >= NULL_SHARE)]
        return Verdict("rank-deficient", f"rank-deficient Jacobian (rank {rank} of {len(free_names)}): "
                       f"{', '.join(bad)} not identifiable from these data", worst, unidentifiable=bad,
                       **base), factor
    S = model.hessian_sum(p, r if plain else rho1 * r)
    if held:
        S = S[np.ix_(free, free)]
    dd = d[:, None] * d
    if plain:                                   # (J_f/d)ᵀ(J_f/d) from the SVD already made
        Hs = (vt.T * (s * s)) @ vt + S / dd
    else:
        Jg = J[:, free] / d if held else J / d
        Hs = Jg.T @ ((rho1 + 2 * rho2 * z)[:, None] * Jg) + S / dd
    eig = _eigenvalues(Hs) if Hs.size else np.ones(1)
    curv = float(eig[0] / eig[-1]) if eig[-1] > 0 else float("-inf")
    if curv < -CURVATURE_TOL:
        return Verdict("saddle", f"saddle point of the {cost}: the Hessian has a negative eigenvalue"
                       + (" on the free parameters" if active_names else ""), worst, curv, **base), factor
    if curv <= CURVATURE_TOL:
        return Verdict("degenerate", f"not verified: the {cost} is flat in some direction (Hessian singular)",
                       worst, curv, **base), factor
    if active_names and not free.any():
        return Verdict("minimum", f"minimum of the {cost} at a corner of the box (every parameter on a bound "
                       "that binds): each bound's multiplier > 0 (our own evaluation)", worst, curv, **base), factor
    if active_names:
        which = f"{active_names[0]} on its bound" if len(active_names) == 1 else f"{', '.join(active_names)} on theirs"
        return Verdict("minimum", f"minimum of the {cost} on the bounds ({which}): "
                       "KKT conditions hold (free gradient ≈ 0, each bound's multiplier ≥ 0) and the Hessian is "
                       "positive definite on the free parameters (our own evaluation)", worst, curv, **base), factor
    return Verdict("minimum", f"minimum of the {cost}: Jᵀr ≈ 0 and the Hessian positive definite "
                   "(our own evaluation)", worst, curv, **base), factor


def _eigenvalues(H: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of the symmetric H (one triangle read: H is symmetric up to rounding), by
    LAPACK's dsyevd called directly (NumPy's eigvalsh measured ~2x its time on 2 × 2 and 7 × 7)."""
    w, _, info = lapack().dsyevd(H, compute_v=0)
    return w if info == 0 else np.linalg.eigvalsh(H)


def _on_bounds(p, g, allowed, lower, upper, names) -> tuple[dict[int, int], dict[str, float]]:
    """Parameters on a bound whose gradient is not negligible → +1 (lower) or −1 (upper), and their
    multipliers λ = ±(Jᵀρ'r)ⱼ named as --constraint's are ('b1 >= 0'): λ > 0, the bound binds (the cost falls
    outwards); λ < 0, the cost falls into the box (not a minimum). A parameter on its bound with a negligible
    gradient is stationary there and stays free (checked as any other)."""
    if lower is None and upper is None:
        return {}, {}
    lo = np.full(len(p), -np.inf) if lower is None else np.asarray(lower, dtype=float)
    hi = np.full(len(p), np.inf) if upper is None else np.asarray(upper, dtype=float)
    near = ACTIVE_TOL * np.maximum(1.0, np.abs(p))     # trf stays strictly inside: 'on the bound' within this
    at_lo, at_hi = p - lo <= near, hi - p <= near
    on, mult = {}, {}
    for j in np.flatnonzero((at_lo | at_hi) & (np.abs(g) > allowed)):
        side = 1 if at_lo[j] and (g[j] > 0 or not at_hi[j]) else -1
        on[int(j)] = side
        mult[f"{names[j]} {'>=' if side > 0 else '<='} {(lo[j] if side > 0 else hi[j]):g}"] = float(side * g[j])
    return on, mult
