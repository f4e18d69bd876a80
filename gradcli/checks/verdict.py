"""Is the returned point really a minimum? Checked from our own exact derivatives, never the solver's word.

SciPy's Newton-CG reports success at a local maximum (scipy#20213), SLSQP converges to maxima of sin
(scipy#8065), BFGS/CG have reported NaN results as success (scipy#4793), trust-constr and SLSQP have
reported success at infeasible points (scipy#18882, #7323). gradcli has the symbolic gradient and
Hessian, so every result gets a verdict computed here with *uncounted* evaluations:

* feasibility: the largest bound/constraint violation, from our own constraint functions;
* first order (KKT): ∇f = Σ λ_i ∇c_i over the active constraints and bounds, λ by least squares,
  inequality multipliers λ ≥ 0 for g(x) ≥ 0 (and bounds); no constraints → just ∇f;
* second order: the Hessian of the Lagrangian on the tangent space of the active constraints
  (null space of their Jacobian); with bounds only, the Hessian reduced to the free variables.
  Large n (sparse Hessian): the smallest eigenvalue by Lanczos (``eigsh``), never a dense
  eigendecomposition.

Tolerances (why these numbers):

* ``STATIONARY_TOL = 1e-4`` on Dennis & Schnabel's relative gradient (Numerical Methods for
  Unconstrained Optimization, 1983, §7.2): max_i |r_i|·max(1, |x_i|) / max(1, |f|) ≤ 1e-4, with r = ∇f − Jᵀλ —
  the relative change of f per relative change of x, so it means the same at any scale of f and x
  (a plain ‖∇f‖ ≤ 1e-4·max(1, |f|) calls a diverged run at f = 1e121, ‖∇f‖ = 1e92 stationary). A BFGS Rosenbrock result (‖∇f‖∞ ≈ 1.7e-6)
  passes by far. A point also counts as stationary when the Hessian is positive definite and the Newton
  step ‖H⁻¹∇f‖∞ — the estimated distance to the minimiser — is ≤ 1e-4·max(1, ‖x‖∞). That is the
  honest reading of a Nelder-Mead result with ‖∇f‖ ≈ 8e-4 at f ≈ 8e-10 on Rosenbrock: its gradient
  is not small (the Hessian's largest eigenvalue is ~1000, so 1e-6 of distance costs 1e-3 of
  gradient), but the point is within ~1e-6 of the minimiser, which is what "x* is a minimum to the
  printed precision" means; the verdict's ``newton_step`` says how close.
* ``EIG_ZERO = sqrt(eps)``: an eigenvalue with |λ| ≤ sqrt(eps)·max|λ| is treated as zero (rounding
  in a Hessian evaluated at a point known to ~sqrt(eps) is of that size). Zero eigenvalues make the
  second-order test inconclusive: f is probed along those directions and a decrease at two distances
  makes it a saddle (x³ at 0); otherwise ``minimum (degenerate)``.
* ``FEASIBLE_TOL = 1e-6`` on the largest violation (SLSQP's and COBYLA's default accuracy);
  ``ACTIVE_TOL = 1e-6``·max(1, |c|-scale) to call an inequality active.
* Non-smooth objectives (abs, min, max, sign): no Hessian exists at the kinks. f is sampled along the
  coordinate axes and 16 seeded random directions at distances 1e-3 and 1e-2·max(1, ‖x‖∞); no decrease
  → ``minimum (non-smooth, sampled)``. That is evidence, not proof, and the label says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradcli.result import Verdict, VerdictKind

STATIONARY_TOL = 1e-4
EIG_ZERO = math.sqrt(np.finfo(float).eps)
FEASIBLE_TOL = 1e-6
ACTIVE_TOL = 1e-6
EIGENVALUES_SHOWN = 10          # eigenvalues listed in full up to this n
DENSE_MAX_N = 500               # above this, sparse eigensolver only

MINIMUM = VerdictKind.MINIMUM
DEGENERATE = VerdictKind.DEGENERATE
NONSMOOTH_MIN = VerdictKind.NONSMOOTH_MIN
SADDLE = VerdictKind.SADDLE
MAXIMUM = VerdictKind.MAXIMUM
NOT_STATIONARY = VerdictKind.NOT_STATIONARY
INFEASIBLE = VerdictKind.INFEASIBLE
NOT_FINITE = VerdictKind.NOT_FINITE


def max_violation(problem, constraints, x) -> float:
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


def finite_value(objective, x) -> tuple[float, Verdict | None]:
    """f(x) (uncounted), or the 'not finite' verdict when x or f(x) is nan or infinite."""
    if not np.all(np.isfinite(x)):
        return math.nan, Verdict(NOT_FINITE, "x is not finite", math.nan)
    f = objective.fun_uncounted(x)
    if not math.isfinite(f):
        return f, Verdict(NOT_FINITE, f"f(x) = {f}", f)
    return f, None


def verify(objective, problem, x) -> Verdict:
    """The verdict at ``x`` for a symbolic ``problem`` (array problems: gradcli/arrays/verdict.py); uses
    only uncounted evaluations of ``objective``."""
    x = np.asarray(x, dtype=float).ravel()
    from gradcli.symbolic.codegen import smooth
    f, bad = finite_value(objective, x)
    if bad is not None:
        return bad
    scale = max(1.0, abs(f))
    maxcv = None
    if problem.bounds is not None or problem.constraints:
        maxcv = max_violation(problem, objective.constraints, x)
        if not maxcv <= FEASIBLE_TOL:
            return Verdict(INFEASIBLE, f"largest violation {maxcv:.2g} > {FEASIBLE_TOL:g}", f, maxcv=maxcv)
    if not smooth(problem.expr):
        return _nonsmooth(objective, problem, x, f, maxcv)
    g = objective.grad_uncounted(x)
    if not np.all(np.isfinite(g)):
        return Verdict(NOT_FINITE, "∇f(x) is not finite", f, maxcv=maxcv)
    rows, names, kinds = _active(objective, problem, x, g)
    v = Verdict("", "", f, maxcv=maxcv, active=names)
    if rows:
        J = np.array(rows)
        lam, *_ = np.linalg.lstsq(J.T, g, rcond=None)
        resid = g - J.T @ lam
        v.multipliers = {nm: float(lm) for nm, lm in zip(names, lam)}
        v.stationarity = float(np.max(np.abs(resid)))
        v.relative_gradient = _relative(resid, x, f)
        v.kkt_residual = v.stationarity / scale
        wrong = [nm for nm, lm, k in zip(names, lam, kinds)
                 if k == "ineq" and lm < -STATIONARY_TOL * max(1.0, float(np.max(np.abs(lam))))]
        if wrong:
            v.kind = NOT_STATIONARY
            v.reason = f"multiplier of {wrong[0]} is negative ({v.multipliers[wrong[0]]:.3g}): f decreases into the feasible side"
            return v
    else:
        J = np.zeros((0, x.size))
        lam = np.zeros(0)
        v.stationarity = float(np.max(np.abs(g))) if g.size else 0.0
        v.relative_gradient = _relative(g, x, f)
        if problem.bounds is not None or problem.constraints:
            v.kkt_residual = v.stationarity / scale
    _second_order(objective, problem, x, g, J, lam, names, kinds, v)
    return v


def _active(objective, problem, x, g):
    """Rows ∇c_i of the active constraints and bounds, their names and kinds ('eq' or 'ineq')."""
    rows, names, kinds = [], [], []
    for c, (kind, text, _) in zip(objective.constraints, problem.constraints):
        val = c.fun(x)
        if kind == "eq" or abs(val) <= ACTIVE_TOL * max(1.0, float(np.max(np.abs(x)))):
            rows.append(np.asarray(c.jac(x), dtype=float).ravel())
            names.append(text)
            kinds.append(kind)
    if problem.bounds is not None:
        for i, (lo, hi) in enumerate(problem.bounds):
            for side, b, sign in (("lower", lo, 1.0), ("upper", hi, -1.0)):
                if math.isfinite(b) and abs(x[i] - b) <= ACTIVE_TOL * max(1.0, abs(b)):
                    e = np.zeros(x.size)
                    e[i] = sign                      # the bound as c(x) = ±(x_i − b) ≥ 0
                    rows.append(e)
                    names.append(f"{problem.variables[i]} {'>=' if sign > 0 else '<='} {b:g}")
                    kinds.append("ineq")
    return rows, names, kinds


def _second_order(objective, problem, x, g, J, lam, names, kinds, v: Verdict) -> None:
    """Eigenvalues of the Lagrangian's Hessian on the tangent space of the strongly active constraints."""
    scale, n = max(1.0, abs(v.f)), x.size
    H = objective.hess_uncounted(x)
    sparse = not isinstance(H, np.ndarray)
    if any(kind_text == text for _, text, _g in problem.constraints for kind_text in names):
        H = _lagrangian_hessian(H, problem, objective, x, lam, names)
        sparse = False
    # constraints with a (clearly) nonzero multiplier pin the tangent space; weakly active ones do not
    keep = [i for i in range(J.shape[0]) if kinds[i] == "eq" or abs(lam[i]) > STATIONARY_TOL * scale] if J.shape[0] else []
    Jk = J[keep] if keep else np.zeros((0, n))
    d = np.maximum(1.0, np.abs(x))      # the scale of each variable (as in the relative gradient)
    if Jk.shape[0] == 0:
        Z = None
    elif np.all(np.count_nonzero(Jk, axis=1) == 1) and sparse:
        free = np.ones(n, dtype=bool)
        free[np.nonzero(Jk)[1]] = False             # bounds only: drop the fixed variables
        H = H[free][:, free]
        d = d[free]
        Z = None
    else:
        from scipy.linalg import null_space
        if sparse:
            H = H.toarray() if n <= DENSE_MAX_N else None
        Z = null_space(Jk)
        if H is not None:
            H = Z.T @ H @ Z
    if H is None:
        v.kind, v.reason = (MINIMUM if v.relative_gradient <= STATIONARY_TOL else NOT_STATIONARY), \
            "first order only: the constrained second-order test is skipped above n = 500"
        return
    sp_ = _spectrum(H, d if Z is None else None)
    if sp_ is None:
        v.kind, v.reason = NOT_STATIONARY, "the Hessian's eigenvalues could not be computed"
        return
    v.min_eig, v.max_eig = sp_.lo, sp_.hi
    if n <= EIGENVALUES_SHOWN and sp_.values is not None and sp_.values.size:
        v.eigenvalues = [float(e) for e in sp_.values]
    dim = sp_.n_neg + sp_.n_zero + sp_.n_pos
    stationary = v.relative_gradient <= STATIONARY_TOL
    if not stationary and dim and sp_.n_pos == dim and Z is None and not J.shape[0]:
        step = _newton_step(H, g)
        if step is not None:
            v.newton_step = step
            stationary = step <= STATIONARY_TOL * max(1.0, float(np.max(np.abs(x))))
    if not stationary:
        v.kind = NOT_STATIONARY
        v.reason = (f"relative gradient {v.relative_gradient:.2g} > {STATIONARY_TOL:g} "
                    f"(‖∇f{' − Jᵀλ' if J.shape[0] else ''}‖∞ = {v.stationarity:.2g})")
        return
    if not dim:
        v.kind, v.reason = MINIMUM, "a vertex: the active constraints fix x, every multiplier has the right sign"
    elif sp_.n_pos == dim:
        v.kind, v.reason = MINIMUM, "stationary, Hessian positive definite" + (" on the tangent space" if Z is not None else "")
    elif sp_.n_neg == dim:
        v.kind, v.reason = MAXIMUM, "stationary, Hessian negative definite"
    elif sp_.n_neg and sp_.n_pos:
        v.kind, v.reason = SADDLE, f"Hessian eigenvalues of both signs ({sp_.n_neg} negative, {sp_.n_pos} positive)"
    elif sp_.n_neg:
        v.kind, v.reason = SADDLE, "negative and zero curvature: not a minimum"
    elif Z is None and not J.shape[0] and isinstance(H, np.ndarray) and _descends(objective, x, v.f, H):
        v.kind, v.reason = SADDLE, "degenerate: f decreases along a zero-curvature direction"
    else:
        v.kind, v.reason = DEGENERATE, "stationary, Hessian positive semi-definite with a zero eigenvalue"


def _relative(r, x, f) -> float:
    """Dennis & Schnabel's relative gradient: max_i |r_i|·max(1, |x_i|) / max(1, |f|)."""
    if not r.size:
        return 0.0
    return float(np.max(np.abs(r) * np.maximum(1.0, np.abs(x)))) / max(1.0, abs(f))


def _lagrangian_hessian(H, problem, objective, x, lam, names):
    """∇²f − Σ λ_i ∇²c_i (bounds are linear: no term). Constraint Hessians from SymPy, evaluated here."""
    import sympy as sp

    texts = {text: g for _, text, g in problem.constraints}
    H = H.toarray() if not isinstance(H, np.ndarray) else H.copy()
    for nm, lm in zip(names, lam):
        if nm in texts and lm != 0.0:
            hc = sp.lambdify(problem.symbols, sp.hessian(texts[nm], problem.symbols), modules="numpy")
            H = H - lm * np.asarray(hc(*x), dtype=float)
    return H


@dataclass
class Spectrum:
    """What the second-order test needs: the extremes and the inertia (negative/zero/positive counts)."""

    lo: float | None
    hi: float | None
    n_neg: int
    n_zero: int
    n_pos: int
    values: np.ndarray | None = None       # all of them, ascending (dense only)


def _spectrum(H, d=None) -> Spectrum | None:
    """Dense: all eigenvalues. Large sparse: never dense — the inertia from two LDLᵀ factorizations
    (Sylvester's law: the signs of the pivots of a symmetric factorization count the eigenvalues below
    a shift) and the extremes by Lanczos (``eigsh``, shift-invert near the smallest).

    The signs are counted on D·H·D with D = diag(max(1, |x_i|)) when ``d`` is given: a congruence, so the
    inertia is the same, but "zero relative to the largest eigenvalue" then means the same for x1 ≈ 1e6 and
    x2 ≈ 1e-6 (Brown's badly scaled function has eigenvalues 2 and 2e12 — well conditioned once scaled, not
    degenerate). The values reported are H's own."""
    if isinstance(H, np.ndarray) or H.shape[0] <= 100:
        H = H if isinstance(H, np.ndarray) else H.toarray()
        if H.size == 0:
            return Spectrum(None, None, 0, 0, 0, np.zeros(0))
        if not np.all(np.isfinite(H)):
            return None
        w = np.linalg.eigvalsh((H + H.T) / 2)
        ws = w if d is None else np.linalg.eigvalsh((H + H.T) / 2 * np.outer(d, d))
        zero = EIG_ZERO * float(np.max(np.abs(ws)))
        return Spectrum(float(w[0]), float(w[-1]), int(np.sum(ws < -zero)), int(np.sum(np.abs(ws) <= zero)),
                        int(np.sum(ws > zero)), w)
    from scipy.sparse import diags, identity
    from scipy.sparse.linalg import eigsh
    H = H.tocsc()
    if not np.all(np.isfinite(H.data)):
        return None
    n = H.shape[0]
    try:
        big = float(eigsh(H, v0=lanczos_start(H.shape[0]), k=1, which="LM", return_eigenvectors=False, tol=1e-6, maxiter=5000)[0])
        Hs = H if d is None else (diags(d) @ H @ diags(d)).tocsc()
        big_s = big if d is None else float(eigsh(Hs, v0=lanczos_start(Hs.shape[0]), k=1, which="LM", return_eigenvectors=False, tol=1e-6,
                                                  maxiter=5000)[0])
        zero_s = EIG_ZERO * abs(big_s)
        zero = EIG_ZERO * abs(big)
        eye = identity(n, format="csc")
        below_minus = _negative_pivots(Hs + zero_s * eye)     # eigenvalues < −zero
        below_plus = _negative_pivots(Hs - zero_s * eye)      # eigenvalues < +zero
    except Exception:
        return None
    if below_minus is None or below_plus is None:
        return None
    lo = None
    try:   # nearest to a shift below every eigenvalue (PD: just below 0; else below −|λ|max) is the smallest
        shift = -zero if below_minus == 0 else -1.01 * abs(big)
        lo = float(eigsh(H, v0=lanczos_start(H.shape[0]), k=1, sigma=shift, which="LM", return_eigenvectors=False, tol=1e-8, maxiter=2000)[0])
    except Exception:
        pass
    hi = big
    if big < 0:
        try:
            hi = float(eigsh(H, v0=lanczos_start(H.shape[0]), k=1, which="LA", return_eigenvectors=False, tol=1e-6, maxiter=5000)[0])
        except Exception:
            hi = None
    return Spectrum(lo, hi, below_minus, below_plus - below_minus,
                    n - below_plus)


def _negative_pivots(A) -> int | None:
    """Number of negative pivots of a symmetric LU (diagonal pivoting, fill-reducing symmetric ordering)."""
    from scipy.sparse.linalg import splu
    try:
        lu = splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                  options={"SymmetricMode": True})
    except RuntimeError:      # exactly singular at this shift: the caller's tolerance straddles an eigenvalue
        return None
    if not (np.all(lu.perm_r == lu.perm_c)):
        return None           # SuperLU pivoted off the diagonal: inertia not readable
    return int(np.sum(lu.U.diagonal() < 0))


def _newton_step(H, g) -> float | None:
    try:
        if isinstance(H, np.ndarray):
            return float(np.max(np.abs(np.linalg.solve(H, g))))
        from scipy.sparse.linalg import spsolve
        return float(np.max(np.abs(spsolve(H.tocsc(), g))))
    except Exception:
        return None


def _descends(objective, x, f, H) -> bool:
    """Zero curvature: does f drop along a null eigenvector at both 1e-3 and 1e-2·max(1, ‖x‖∞)?"""
    w, V = np.linalg.eigh((H + H.T) / 2)
    zero = EIG_ZERO * max(1e-300, float(np.max(np.abs(w))))
    r = max(1.0, float(np.max(np.abs(x))))
    for j in np.nonzero(np.abs(w) <= zero)[0]:
        for s in (1.0, -1.0):
            if all(objective.fun_uncounted(x + s * t * r * V[:, j]) < f - 1e-14 * max(1.0, abs(f))
                   for t in (1e-3, 1e-2)):
                return True
    return False


def _nonsmooth(objective, problem, x, f, maxcv) -> Verdict:
    """No Hessian at a kink: sample f around x (axes + seeded random directions), inside the bounds."""
    rng = np.random.default_rng(0)
    n = x.size
    dirs = np.vstack([np.eye(n), -np.eye(n), rng.standard_normal((16, n))])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    r = max(1.0, float(np.max(np.abs(x))))
    margin = 1e-12 * max(1.0, abs(f))
    for t in (1e-3, 1e-2):
        for d in dirs:
            y = x + t * r * d
            if (problem.bounds is not None or problem.constraints) and max_violation(problem, objective.constraints, y) > FEASIBLE_TOL:
                continue
            fy = objective.fun_uncounted(y)
            if fy < f - margin:
                return Verdict(NOT_STATIONARY, f"non-smooth: f decreases by {f - fy:.2g} at distance {t * r:.0e}",
                               f, maxcv=maxcv)
    return Verdict(NONSMOOTH_MIN, f"non-smooth: no decrease among {2 * len(dirs)} sampled points within "
                                  f"{1e-2 * r:.0e}", f, maxcv=maxcv)


def lanczos_start(n: int) -> np.ndarray:
    """A fixed start vector for eigsh: ARPACK's default is random, which made the reported extreme
    eigenvalues differ (in their last digits) between runs and between workers of one study."""
    return np.random.default_rng(0).standard_normal(n)
