"""Extra starting points for a study (``compare --starts K``), reproducible from the study seed.

A benchmark from one x0 per problem says little about a method's robustness; K more starts per problem
say more. The points must be the same on every machine and in every re-run, so they are drawn from a
generator seeded by the study seed and the problem file's hash (never from time or execution order):

- every bound finite: a scrambled Sobol sequence inside the box (low discrepancy: K points cover the box
  better than K uniform draws);
- otherwise: ``x0 + 0.1 * max(1, |x0|) * z`` per coordinate with ``z`` standard normal, so the
  perturbation is 10 % of the coordinate's magnitude (absolute 0.1 near zero), then clipped into any
  finite bounds.
"""

from __future__ import annotations

import hashlib
import math
import warnings

PERTURBATION = 0.1      # relative size of the x0 perturbation for unbounded problems


def starts_seed(seed: int, sha256: str) -> int:
    h = hashlib.sha256(f"{seed}|{sha256}|starts".encode()).digest()
    return int.from_bytes(h[:8], "little")


def extra_starts(x0: list[float], bounds: list[tuple[float, float]] | None, k: int, seed: int,
                 sha256: str) -> list[list[float]]:
    """``k`` starting points for one problem (see the module docstring for the rule)."""
    if k <= 0:
        return []
    import numpy as np

    rng = np.random.default_rng(starts_seed(seed, sha256))
    n = len(x0)
    if bounds is not None and all(math.isfinite(v) for b in bounds for v in b):
        from scipy.stats import qmc

        lo, hi = np.array(bounds, dtype=float).T
        with warnings.catch_warnings():      # Sobol's balance warning for k not a power of 2: harmless here
            warnings.simplefilter("ignore")
            u = qmc.Sobol(d=n, scramble=True, seed=rng).random(k)
        pts = lo + u * (hi - lo)
    else:
        x = np.asarray(x0, dtype=float)
        pts = x + PERTURBATION * np.maximum(1.0, np.abs(x)) * rng.standard_normal((k, n))
        if bounds is not None:
            lo, hi = np.array(bounds, dtype=float).T
            pts = np.clip(pts, lo, hi)
    return [[float(v) for v in p] for p in pts]
