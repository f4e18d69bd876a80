"""Uncertainties of a least-squares fit, from the exact Jacobian at the solution.

Covariance: s²·(JᵀJ)⁻¹ with s² = RSS/(n − p) (or (JᵀJ)⁻¹ alone with --absolute-sigma, as curve_fit),
computed from the SVD of the column-scaled Jacobian (never by forming JᵀJ, which squares the condition
number). This is the linearised covariance NIST's StRD certifies for its nonlinear problems.
Confidence intervals: value ± t(0.975, n − p)·se (Student t). AIC/BIC follow lmfit's convention for
least squares: n·ln(RSS/n) + 2p and n·ln(RSS/n) + p·ln(n).
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
    singular: np.ndarray                        # singular values of the column-scaled Jacobian


def scaled_svd(J: np.ndarray):
    """SVD of J·D⁻¹ with D the column norms: the rank test and covariance do not depend on units."""
    d = np.linalg.norm(J, axis=0)
    d = np.where(d > 0, d, 1.0)
    A = np.asfortranarray(J / d)       # LAPACK's order: a C-ordered QR measured several times slower
    if A.shape[0] >= max(256, 8 * A.shape[1]):   # tall: R of a QR has J's singular values and right vectors;
        A = np.linalg.qr(A, mode="r")             # the SVD of 10 000 x 7 directly cost 50 ms, QR + SVD 2 ms
    _, s, vt = np.linalg.svd(A, full_matrices=False)
    return d, s, vt


def rank_of(s: np.ndarray, shape) -> int:
    if s.size == 0 or not np.all(np.isfinite(s)) or s[0] == 0:
        return 0
    return int(np.sum(s > s[0] * max(shape) * np.finfo(float).eps))


@functools.lru_cache(maxsize=64)
def _t_value(level: float, dof: int) -> float:
    """Student's t quantile (SciPy's ppf costs ~40 µs a call; a study refits the same shapes many times)."""
    from scipy.stats import t as student_t

    return float(student_t.ppf(0.5 + level / 2, dof))


def fit_stats(J: np.ndarray, r: np.ndarray, y: np.ndarray, weights, absolute_sigma: bool, values: np.ndarray,
              level: float = 0.95) -> FitStats:
    """Everything the report prints about the fit at ``values`` (J and r evaluated there, weighted)."""
    n, p = J.shape
    rss = float(r @ r)
    dof = n - p
    finite = bool(np.all(np.isfinite(J)) and np.all(np.isfinite(r)))
    if finite:
        d, s, vt = scaled_svd(J)
        rank = rank_of(s, J.shape)
    else:
        d, s, vt, rank = np.ones(p), np.full(p, np.nan), np.eye(p), 0
    cov = np.full((p, p), np.nan)
    if finite and rank == p:
        cov_unit = (vt.T / s**2) @ vt / np.outer(d, d)
        if absolute_sigma:
            cov = cov_unit
        elif dof > 0:
            cov = cov_unit * (rss / dof)
    se = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se, se)
    tval = _t_value(level, dof) if dof > 0 else None
    half = se * tval if tval is not None else np.full(p, np.nan)
    flagged = [(i, j, float(corr[i, j])) for i in range(p) for j in range(i + 1, p)
               if np.isfinite(corr[i, j]) and abs(corr[i, j]) > CORRELATION_FLAG]
    w2 = weights**2 if weights is not None else np.ones(n)
    ybar = float(np.sum(w2 * y) / np.sum(w2))
    tss = float(np.sum(w2 * (y - ybar) ** 2))
    r2 = 1.0 - rss / tss if tss > 0 else None
    aic = bic = None
    if rss > 0 and math.isfinite(rss):
        base = n * math.log(rss / n)
        aic, bic = base + 2 * p, base + p * math.log(n)
    return FitStats(rss=rss, dof=dof, residual_sd=math.sqrt(rss / dof) if dof > 0 else None, stderr=se,
                    ci_low=values - half, ci_high=values + half, t_value=tval, covariance=cov, correlation=corr,
                    flagged=flagged, r2=r2, chi2_reduced=(rss / dof if weights is not None and dof > 0 else None),
                    aic=aic, bic=bic, rank=rank, singular=s)



def band(J: np.ndarray, cov: np.ndarray, t_value: float | None) -> np.ndarray:
    """Half-width of the confidence band of the fitted curve: t·sqrt(gᵀ·cov·g) per point (delta method)."""
    if t_value is None or not np.all(np.isfinite(cov)):
        return np.full(len(J), np.nan)
    return t_value * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, cov, J), 0.0))
