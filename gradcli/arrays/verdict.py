"""The verdict for an array problem, from exact derivatives: the gradient by reverse mode, curvature
from Hessian-vector products by forward-over-reverse (no differences anywhere).

Feasibility, KKT and the tolerances are the scalar verdict's (gradcli/checks/verdict.py: STATIONARY_TOL,
FEASIBLE_TOL, ACTIVE_TOL, ``max_violation``, the relative gradient); what differs is scale. Active
bounds are unit rows, so they are eliminated instead of stacked: the multipliers of the active
constraints come from least squares on the free variables, each active bound's from the residual
there (for n = 785 with 400 weights at 0 nothing n×n is formed). The second-order test is on the
Lagrangian ∇²f − Σλ∇²c restricted to the free variables and, when constraints are active, to the null
space of their Jacobian: every eigenvalue for small spaces (n ≤ DENSE_N), else the two extreme ones by
Lanczos (``eigsh`` on a LinearOperator of products). When Lanczos does not converge, the verdict says
"not verified" rather than guess.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.checks.verdict import (ACTIVE_TOL, EIG_ZERO, EIGENVALUES_SHOWN, FEASIBLE_TOL, INFEASIBLE, MAXIMUM,
                                   MINIMUM, NOT_FINITE, NOT_STATIONARY, SADDLE, STATIONARY_TOL, _relative,
                                   finite_value, lanczos_start, max_violation)
from gradcli.result import Verdict, VerdictKind

DENSE_N = 60
NULL_SPACE_MAX_N = 2000
LANCZOS_TRIES = ((1e-4, 200), (1e-2, 500))   # (ARPACK tol, maxiter)        # free variables for a dense null-space basis of active constraints
NOT_VERIFIED = VerdictKind.NOT_VERIFIED
SOURCE = "exact Hessian, forward-over-reverse"


def verify_array(objective, problem, x) -> Verdict:
    x = np.asarray(x, dtype=float).ravel()
    f, bad = finite_value(objective, x)
    if bad is not None:
        return bad
    constrained = problem.bounds is not None or bool(problem.constraints)
    maxcv = None
    if constrained:
        maxcv = max_violation(problem, objective.constraints, x)
        if not maxcv <= FEASIBLE_TOL:
            return Verdict(INFEASIBLE, f"largest violation {maxcv:.2g} > {FEASIBLE_TOL:g}", f, maxcv=maxcv)
    g = objective.grad_uncounted(x)
    if not np.all(np.isfinite(g)):
        return Verdict(NOT_FINITE, "∇f(x) is not finite", f, maxcv=maxcv)
    kkt = _kkt(objective, problem, x, g, f) if constrained else None
    v = Verdict("", "", f, maxcv=maxcv, active=kkt.names if kkt else None)
    resid = kkt.resid if kkt else g
    v.stationarity = float(np.max(np.abs(resid))) if resid.size else 0.0
    v.relative_gradient = _relative(resid, x, f)
    if kkt:
        v.multipliers = dict(zip(kkt.names, kkt.lam))
        v.kkt_residual = v.stationarity / max(1.0, abs(f))
        if kkt.wrong:
            v.kind = NOT_STATIONARY
            v.reason = f"multiplier of {kkt.wrong} is negative ({v.multipliers[kkt.wrong]:.3g}): f decreases into " \
                       "the feasible side"
            return v
    if v.relative_gradient > STATIONARY_TOL:
        v.kind = NOT_STATIONARY
        v.reason = f"relative gradient {v.relative_gradient:.2g} > {STATIONARY_TOL:g} (‖∇f{' − Jᵀλ' if kkt else ''}‖∞ " \
                   f"= {v.stationarity:.2g})"
        return v
    op = _operator(objective, x, kkt)
    if op is None:
        v.kind, v.reason = MINIMUM if kkt else NOT_VERIFIED, (
            "first order only: the constrained second-order test is skipped for this many free variables"
            if kkt else "stationary; the curvature could not be estimated")
        return v
    dim, matvec = op
    if dim == 0:
        v.kind, v.reason = MINIMUM, "a vertex: the active constraints fix x, every multiplier has the right sign"
        return v
    lo, hi, values, tol = _extremes(dim, matvec)
    if lo is None:
        v.kind, v.reason = NOT_VERIFIED, "stationary; the curvature could not be estimated"
        return v
    v.min_eig, v.max_eig = lo, hi
    if values is not None and values.size <= EIGENVALUES_SHOWN:
        v.eigenvalues = [float(e) for e in values]
    # exact products: rounding only (dense); Lanczos: a margin over sqrt(eps), and each Ritz value θ lies
    # within tol·|θ| of an eigenvalue, so lo and hi are moved by that much towards zero before testing
    zero = EIG_ZERO * max(abs(lo), abs(hi)) * (1 if tol is None else 100)
    if tol is not None:
        lo, hi = lo - math.copysign(tol * abs(lo), lo), hi - math.copysign(tol * abs(hi), hi)
    where = " on the tangent space" if kkt and kkt.names else ""
    if lo > zero:
        v.kind, v.reason = MINIMUM, f"stationary, Hessian positive definite{where} ({SOURCE})"
    elif hi < -zero:
        v.kind, v.reason = MAXIMUM, f"stationary, Hessian negative definite{where} ({SOURCE})"
    elif lo < -zero:
        v.kind, v.reason = SADDLE, f"a negative Hessian eigenvalue {lo:.3g}{where} ({SOURCE})"
    else:
        v.kind, v.reason = NOT_VERIFIED, f"stationary, smallest Hessian eigenvalue {lo:.3g} is about zero ({SOURCE})"
    return v


class _KKT:
    """Active set and multipliers: names/lam in the order bounds-then-constraints the report lists."""

    def __init__(self):
        self.names: list[str] = []
        self.lam: list[float] = []
        self.wrong: str | None = None
        self.resid = None
        self.fixed = None            # bool per variable: held by a strongly active bound
        self.rows = None             # Jacobian rows of the strongly active constraint entries
        self.weights: list = []      # per constraint block: its multipliers, by entry


def _kkt(objective, problem, x, g, f) -> _KKT:
    out = _KKT()
    n = x.size
    scale = max(1.0, abs(f))
    at_lo = at_hi = np.zeros(n, dtype=bool)
    if problem.bounds is not None:
        lo, hi = (np.array(b, dtype=float) for b in zip(*problem.bounds))
        with np.errstate(invalid="ignore"):
            at_lo = np.isfinite(lo) & (np.abs(x - lo) <= ACTIVE_TOL * np.maximum(1.0, np.abs(lo)))
            at_hi = np.isfinite(hi) & (np.abs(x - hi) <= ACTIVE_TOL * np.maximum(1.0, np.abs(hi))) & ~at_lo
    bound = at_lo | at_hi
    free = ~bound
    rows, kinds, names, where = [], [], [], []
    xscale = max(1.0, float(np.max(np.abs(x)))) if n else 1.0
    for b, block in enumerate(objective.constraint_blocks):
        vals = block.values(x)
        active = np.ones(block.m, dtype=bool) if block.kind == "eq" else np.abs(vals) <= ACTIVE_TOL * xscale
        if active.any():
            J = block.jacobian(x)
            for k in np.nonzero(active)[0]:
                rows.append(J[k])
                kinds.append(block.kind)
                names.append(block.elements[k].text)
                where.append((b, k))
    J = np.array(rows) if rows else np.zeros((0, n))
    lam_c = np.linalg.lstsq(J[:, free].T, g[free], rcond=None)[0] if rows else np.zeros(0)
    resid = g - J.T @ lam_c
    sign = np.where(at_lo, 1.0, -1.0)
    lam_b = sign * resid                    # each active bound absorbs its own component exactly
    resid = np.where(bound, 0.0, resid)
    idx = np.nonzero(bound)[0]
    bnames = [f"{problem.variables[i]} {'>=' if at_lo[i] else '<='} {problem.bounds[i][0 if at_lo[i] else 1]:g}"
              for i in idx]
    all_lam = np.concatenate([lam_b[idx], lam_c])
    big = max(1.0, float(np.max(np.abs(all_lam)))) if all_lam.size else 1.0
    out.names = bnames + names
    out.lam = [float(v) for v in all_lam]
    kinds_all = ["ineq"] * idx.size + kinds
    for nm, lm, kind in zip(out.names, all_lam, kinds_all):
        if kind == "ineq" and lm < -STATIONARY_TOL * big:
            out.wrong = nm
            break
    out.resid = resid
    strong = np.abs(lam_b) > STATIONARY_TOL * scale
    out.fixed = bound & strong
    keep = [i for i, (kind, lm) in enumerate(zip(kinds, lam_c)) if kind == "eq" or abs(lm) > STATIONARY_TOL * scale]
    out.rows = J[keep] if keep else np.zeros((0, n))
    out.weights = [np.zeros(b.m) for b in objective.constraint_blocks]
    for (b, k), lm in zip(where, lam_c):
        out.weights[b][k] = lm
    return out


def _operator(objective, x, kkt):
    """(dimension, matvec) of the Lagrangian's Hessian on the space the second-order test is about."""
    n = x.size
    weights = [(b, w) for b, w in zip(objective.constraint_blocks, kkt.weights) if np.any(w)] if kkt else []

    def lagrangian(p):
        out = objective.hessp_uncounted(x, p)
        for block, w in weights:
            out = out - block.hessp(x, w, p)
        return out

    free = np.ones(n, dtype=bool) if kkt is None else ~kkt.fixed
    nf = int(free.sum())
    rows = None if kkt is None else kkt.rows[:, free]
    Z = None
    if rows is not None and rows.shape[0]:
        if nf > NULL_SPACE_MAX_N:
            return None
        from scipy.linalg import null_space
        Z = null_space(rows)

    def matvec(u):
        u = np.ravel(u)
        full = np.zeros(n)
        full[free] = u if Z is None else Z @ u
        r = lagrangian(full)[free]
        return r if Z is None else Z.T @ r

    return (nf if Z is None else Z.shape[1]), matvec


def _extremes(dim: int, matvec):
    """(lo, hi, every eigenvalue or None, the Lanczos tolerance or None when dense)."""
    if dim <= DENSE_N:
        eye = np.eye(dim)
        H = np.array([matvec(eye[i]) for i in range(dim)])
        if not np.all(np.isfinite(H)):
            return None, None, None, None
        w = np.linalg.eigvalsh((H + H.T) / 2)
        return float(w[0]), float(w[-1]), w, None
    from scipy.sparse.linalg import LinearOperator, eigsh

    op = LinearOperator((dim, dim), matvec=matvec, dtype=float)
    # both ends of the spectrum from one Lanczos run; eigenvalues clustered at the bottom (TV denoising: ~1000
    # of them near 1) keep ARPACK from reaching 1e-4, so a looser second try, whose error bound
    # |λ − θ| ≤ tol·|θ| the caller keeps as a margin
    for tol, maxiter in LANCZOS_TRIES:
        try:
            w = eigsh(op, v0=lanczos_start(dim), k=2, which="BE", return_eigenvectors=False, tol=tol, maxiter=maxiter)
        except Exception:
            continue
        return float(np.min(w)), float(np.max(w)), None, tol
    return None, None, None, None
