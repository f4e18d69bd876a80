"""Uncertainties of a least-squares fit, from the exact Jacobian at the solution.

Covariance: s²·(JᵀJ)⁻¹ with s² = RSS/(n − p) (or (JᵀJ)⁻¹ alone with --absolute-sigma, as curve_fit),
computed from the SVD of the column-scaled Jacobian (JᵀJ, which squares the condition number, is formed
only on tall data where gram_svd's error bound shows the result good to 1e-8; else a Householder QR). This is the linearised covariance NIST's StRD certifies for its nonlinear problems.
Confidence intervals: value ± t(0.975, n − p)·se (Student t). AIC/BIC follow lmfit's convention for
least squares: n·ln(RSS/n) + 2p and n·ln(RSS/n) + p·ln(n).

A parameter held on an active bound (the verdict decides which: its bound binds, λ > 0) is fixed for the
covariance: it has no standard error or interval (nan here, null in JSON, "at bound" in the table), and the
free parameters get the covariance of the fit with it fixed at its bound, from J's free columns, with
n − (free parameters) degrees of freedom.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

CORRELATION_FLAG = 0.95


@dataclass
class FitStats:
    rss: float
    dof: int
    residual_sd: float | None
    stderr: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    t_value: float | None
    covariance: np.ndarray
    correlation: np.ndarray
    flagged: list[tuple[int, int, float]]       # (i, j, r) with |r| > CORRELATION_FLAG
    r2: float | None
    chi2_reduced: float | None
    aic: float | None
    bic: float | None
    rank: int
    singular: np.ndarray                        # singular values of the column-scaled (free) Jacobian
    held: np.ndarray | None = None              # bool mask: parameters fixed on an active bound (None: none)


def scaled_svd(J: np.ndarray, overwrite: bool = False):
    """SVD of J·D⁻¹ with D the column norms (1 for a zero column): the rank test and covariance do not
    depend on units. Returns (norms, d, s, vt); norms are the raw column norms ‖Jⱼ‖ (the verdict's scale).

    A tall J is reduced first by a QR: R has J's column norms, singular values and right singular vectors,
    and the QR of J·D⁻¹ is Q·(R·D⁻¹) (a Householder QR treats each column's scale exactly so), so J is
    neither scaled nor copied in C order. LAPACK's dgeqrf and dgesdd are called directly: NumPy's qr and
    svd wrappers measured 2.4× and 3× their time on 10 000 × 2 and 2 × 2 (benchmarks/README.md, fit).
    ``overwrite``: J is the caller's scratch (the QR may be done in place: no copy of n × p numbers).
    A well-conditioned tall J takes the Gram route first (gram_svd), which proves its own accuracy or declines."""
    n, p = J.shape
    if n >= max(256, 8 * p):          # the SVD of 10 000 x 7 directly cost 50 ms, QR + SVD 2 ms
        done = gram_svd(J)
        if done is not None:
            return done
        qr, _, _, info = lapack().dgeqrf(J, overwrite_a=overwrite)
        A = qr[:p] if info == 0 else np.full((p, p), np.nan)
        for i in range(1, p):           # below the diagonal: Householder vectors (np.triu costs ~6 µs)
            A[i, :i] = 0.0
        norms = np.sqrt(np.einsum("ij,ij->j", A, A))
    else:
        A = J
        norms = np.sqrt(np.einsum("ij,ij->j", J, J))
    d = np.where(norms > 0, norms, 1.0)
    A = A / d                         # J is finite (the callers' test), so A is, unless the QR failed
    if not math.isfinite(float(A.sum())):
        return norms, d, np.full(p, np.nan), np.eye(p)
    _, s, vt, info = lapack().dgesdd(A, compute_uv=1, full_matrices=0)
    if info != 0:                     # dgesdd did not converge: NumPy's SVD (which raises) as the last word
        _, s, vt = np.linalg.svd(A, full_matrices=False)
    return norms, d, s, vt


GRAM_ERROR = 1e-8      # the largest relative error in the covariance the Gram route may carry


def gram_svd(J: np.ndarray):
    """(norms, d, s, vt) as scaled_svd, by Cholesky-QR: G = JᵀJ (one pass over J), Gs = D⁻¹GD⁻¹ = RᵀR
    (Cholesky), then the SVD of the p × p R. None when its accuracy test fails (the caller uses the QR).

    Why it may be trusted, and when: the computed Gram matrix is Gs + E with |E| ≤ γₙ|Js|ᵀ|Js| (inner
    products: Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.1), so ‖E‖₂ ≤ p·n·ε for
    unit columns, and p·√n·ε when rounding errors behave as independent random variables (Higham & Mary,
    SIAM J. Sci. Comput. 41 (2019) A2815); Cholesky's own backward error is (p+1)ε-sized. Since ‖Gs‖ ≥ 1
    (unit diagonal) and κ(Gs) = κ², the covariance Gs⁻¹ is perturbed by at most ≈ κ²·p·√n·ε relatively.
    The route is taken only when that is ≤ GRAM_ERROR = 1e-8 (κ ≤ ~255 on 10 000 × 7, ~475 on 10 000 × 2;
    the worst case with n for √n is 1e-6 on 10 000 rows): far below the six digits printed and NIST's
    certified four of the standard errors. κ is that of the computed R, whose s_min² carries the same
    ≤ 1e-8 relative error. A Householder QR errs by ≈ κ·ε instead, which is why it stays the fallback.
    Measured right after a solver run: 49 against 72 µs (QR + SVD) on 10 000 × 2 (κ = 43); on 10 000 × 7
    234 against 270 µs, but Thurber-like data have κ = 592 and take the QR."""
    n, p = J.shape
    G = J.T @ J
    norms = np.sqrt(G.diagonal())
    d = np.where(norms > 0, norms, 1.0)
    Gs = G / (d[:, None] * d)
    if not math.isfinite(float(Gs.sum())):
        return None
    R, info = lapack().dpotrf(Gs, lower=0, clean=1)
    if info != 0:
        return None
    _, s, vt, info = lapack().dgesdd(R, compute_uv=1, full_matrices=0)
    if info != 0 or not s[-1] > 0:
        return None
    kappa = float(s[0] / s[-1])
    if not kappa * kappa * p * math.sqrt(n) * EPS <= GRAM_ERROR:
        return None
    return norms, d, s, vt


_LAPACK: list = []


def lapack():
    """scipy.linalg.lapack, imported on first use (an import statement per call costs ~1 µs)."""
    if not _LAPACK:
        from scipy.linalg import lapack as module
        _LAPACK.append(module)
    return _LAPACK[0]


def all_finite(a: np.ndarray) -> bool:
    """All finite: a finite sum proves it in one pass (nan and inf propagate); else the exact test."""
    return bool(np.isfinite(a.sum())) or bool(np.all(np.isfinite(a)))


EPS = float(np.finfo(float).eps)


def rank_of(s: np.ndarray, shape) -> int:
    """Singular values above s_max·max(n, p)·eps (NumPy's matrix_rank rule); 0 if any is not finite."""
    values = s.tolist()           # a few numbers: Python floats cost less than NumPy calls (~1 µs each)
    top = max(values) if values else 0.0
    if not top > 0 or not math.isfinite(sum(values)):
        return 0
    cut = top * max(shape) * EPS
    return sum(1 for v in values if v > cut)


@functools.lru_cache(maxsize=64)
def _t_value(level: float, dof: int) -> float:
    """Student's t quantile (SciPy's ppf costs ~40 µs a call; a study refits the same shapes many times)."""
    from scipy.stats import t as student_t

    return float(student_t.ppf(0.5 + level / 2, dof))


def fit_stats(J: np.ndarray, r: np.ndarray, y: np.ndarray, weights, absolute_sigma: bool, values: np.ndarray,
              level: float = 0.95, factor=None, tss: float | None = None) -> FitStats:
    """Everything the report prints about the fit at ``values`` (J and r evaluated there, weighted).
    ``factor``: the verdict's SVD of J's scaled free columns (gradcli.fit.verdict.Factor), reused as it is;
    without it J is factorised here, all columns free. ``tss``: R²'s denominator if the caller has it."""
    n, p = J.shape
    rss = float(r @ r)
    if factor is not None:        # the verdict got past its finiteness test to factorise J
        finite, free, (d, s, vt, rank) = True, factor.free, factor[1:]
    else:
        finite, free = math.isfinite(rss) and all_finite(J), np.ones(p, bool)
        _, d, s, vt = scaled_svd(J) if finite else (None, np.ones(p), np.full(p, np.nan), np.eye(p))
        rank = rank_of(s, J.shape) if finite else 0
    k = s.size
    dof = n - k
    cov = np.full((p, p), np.nan)
    if finite and rank == k and k > 0 and (absolute_sigma or dof > 0):
        vs = vt.T / (s * d[:, None])            # cov = (D⁻¹V diag(s⁻¹)) (D⁻¹V diag(s⁻¹))ᵀ
        c = vs @ vs.T if absolute_sigma else (vs * (rss / dof)) @ vs.T
        if k == p:
            cov = c
        else:
            cov[np.ix_(free, free)] = c
    se = np.sqrt(cov.diagonal())     # Σₖ vsᵢₖ² ≥ 0 (or nan where there is no covariance): no warning
    sese = se[:, None] * se
    if (sese > 0).all():
        corr = cov / sese
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov / sese
    tval = _t_value(level, dof) if dof > 0 else None
    half = se * tval if tval is not None else np.full(p, np.nan)
    c = corr.tolist()           # a few parameters: Python floats are cheaper than array calls
    flagged = [(i, j, c[i][j]) for i in range(p) for j in range(i + 1, p) if abs(c[i][j]) > CORRELATION_FLAG]
    if tss is None:
        w2 = weights**2 if weights is not None else np.ones(n)
        dy = y - float(w2 @ y) / float(w2.sum())
        tss = float(w2 @ (dy * dy))
    r2 = 1.0 - rss / tss if tss > 0 else None
    aic = bic = None
    if rss > 0 and math.isfinite(rss):
        base = n * math.log(rss / n)
        aic, bic = base + 2 * p, base + p * math.log(n)
    return FitStats(rss=rss, dof=dof, residual_sd=math.sqrt(rss / dof) if dof > 0 else None, stderr=se,
                    ci_low=values - half, ci_high=values + half, t_value=tval, covariance=cov, correlation=corr,
                    flagged=flagged, r2=r2, chi2_reduced=(rss / dof if weights is not None and dof > 0 else None),
                    aic=aic, bic=bic, rank=rank, singular=s, held=None if k == p else ~free)



def band(J: np.ndarray, cov: np.ndarray, t_value: float | None, held: np.ndarray | None = None) -> np.ndarray:
    """Half-width of the confidence band of the fitted curve: t·sqrt(gᵀ·cov·g) per point (delta method).
    A parameter ``held`` on its bound is fixed: it adds no variance."""
    if held is not None and held.any():
        cov = np.where(held[:, None] | held[None, :], 0.0, cov)
    if t_value is None or not np.all(np.isfinite(cov)):
        return np.full(len(J), np.nan)
    return t_value * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, cov, J), 0.0))
