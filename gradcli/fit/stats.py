"""Uncertainties of a least-squares fit, from the exact Jacobian at the solution.

Covariance: s²·(JᵀJ)⁻¹ with s² = RSS/(n − p) (or (JᵀJ)⁻¹ alone with --absolute-sigma, as curve_fit),
computed from the SVD of the column-scaled Jacobian (never by forming JᵀJ, which squares the condition
number). This is the linearised covariance NIST's StRD certifies for its nonlinear problems.
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


def scaled_svd(J: np.ndarray, overwrite: bool = False, rfac: np.ndarray | None = None):
    """SVD of J·D⁻¹ with D the column norms (1 for a zero column): the rank test and covariance do not
    depend on units. Returns (norms, d, s, vt); norms are the raw column norms ‖Jⱼ‖ (the verdict's scale).

    A tall J is reduced first by a QR: R has J's column norms, singular values and right singular vectors,
    and the QR of J·D⁻¹ is Q·(R·D⁻¹) (a Householder QR treats each column's scale exactly so), so J is
    neither scaled nor copied in C order. LAPACK's dgeqrf and dgesdd are called directly: NumPy's qr and
    svd wrappers measured 2.4× and 3× their time on 10 000 × 2 and 2 × 2 (benchmarks/README.md, fit).
    ``overwrite``: J is the caller's scratch (the QR may be done in place: no copy of n × p numbers).
    ``rfac``: a p × p R with RᵀR = JᵀJ that the solver already made of this very J (lm: MINPACK's pivoted
    Householder QR, gradcli.fit.methods.minpack_r), used instead of a QR of our own on tall J once its
    column norms are checked against J's own (one pass over J instead of a QR's p: a wrong permutation or a
    stale R fails it)."""
    n, p = J.shape
    tall = n >= max(256, 8 * p)
    if tall and rfac is not None and rfac.shape == (p, p):
        own = np.sqrt([c @ c for c in J.T])     # J's columns are contiguous: BLAS dots, 2x einsum's speed
        norms = np.sqrt(np.einsum("ij,ij->j", rfac, rfac))
        if np.all(np.abs(norms - own) <= 1e-12 * own):
            return _svd_of(rfac, norms, p)
    if tall:          # the SVD of 10 000 x 7 directly cost 50 ms, QR + SVD 2 ms
        qr, _, _, info = lapack().dgeqrf(J, overwrite_a=overwrite)
        A = qr[:p] if info == 0 else np.full((p, p), np.nan)
        for i in range(1, p):           # below the diagonal: Householder vectors (np.triu costs ~6 µs)
            A[i, :i] = 0.0
        norms = np.sqrt(np.einsum("ij,ij->j", A, A))
    else:
        A = J
        norms = np.sqrt(np.einsum("ij,ij->j", J, J))
    return _svd_of(A, norms, p)


def _svd_of(A: np.ndarray, norms: np.ndarray, p: int):
    """(norms, d, s, vt) from the SVD of A·D⁻¹ (A is J itself or a p × p R of it)."""
    d = np.where(norms > 0, norms, 1.0)
    A = A / d                         # J is finite (the callers' test), so A is, unless the QR failed
    if not math.isfinite(float(A.sum())):
        return norms, d, np.full(p, np.nan), np.eye(p)
    _, s, vt, info = lapack().dgesdd(A, compute_uv=1, full_matrices=0)
    if info != 0:                     # dgesdd did not converge: NumPy's SVD (which raises) as the last word
        _, s, vt = np.linalg.svd(A, full_matrices=False)
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
              level: float = 0.95, factor=None, tss: float | None = None,
              free: np.ndarray | None = None) -> FitStats:
    """Everything the report prints about the fit at ``values`` (J and r evaluated there, weighted).
    ``factor``: the verdict's SVD of J's scaled free columns (gradcli.fit.verdict.Factor), reused as it is;
    without it J's ``free`` columns (default: all; the others are held on a bound) are factorised here.
    ``tss``: R²'s denominator if the caller has it."""
    n, p = J.shape
    rss = float(r @ r)
    if factor is not None:        # the verdict got past its finiteness test to factorise J
        finite, free, (d, s, vt, rank) = True, factor.free, factor[1:]
    else:
        free = np.ones(p, bool) if free is None else free
        finite = math.isfinite(rss) and all_finite(J)
        if finite and free.any():
            Jf = J if free.all() else J[:, free]
            _, d, s, vt = scaled_svd(Jf)
            rank = rank_of(s, Jf.shape)
        else:
            k = int(free.sum()) if finite else p
            d, s, vt, rank = np.ones(k), np.full(k, np.nan), np.eye(k), 0
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
    tval = _t_value(level, dof) if dof > 0 and k > 0 else None
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
