"""Every root of one equation in [a, b], in order, and whether the list is known to be complete.

* A polynomial (or the numerator of a rational function, after cancelling): SymPy's exact roots, in a
  child process killed at the time limit (``gradcli.checks.stationary.solve_exactly``); real ones inside
  [a, b] are all of them. Roots where the denominator also vanishes are not roots of f.
* Anything else: sign changes of f between the points of a refined grid, each refined by brentq; and
  sign changes of f′ in cells where f does not change sign (an extremum, refined by brentq on f′), which
  catch a double root touching zero and two roots closer together than the grid spacing. A sign change
  at a pole or jump is not a root (our verdict says so) and is reported as rejected. The list may then
  be incomplete (more than two roots in one cell, or zeros where f′ changes sign twice in one cell), and
  says so.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from gradcli.roots.verdict import judge, verified

GRID = 20001


@dataclass
class Found:
    x: float
    f: float
    verdict: str
    reason: str
    exact: str | None = None

    def as_dict(self) -> dict:
        return {"x": [self.x], "f": self.f, "exact": self.exact, "verdict": self.verdict,
                "verdict_reason": self.reason}


@dataclass
class AllRoots:
    roots: list[Found]
    complete: bool
    message: str
    rejected: list[Found] = field(default_factory=list)
    grid: int = 0
    nfev: int = 0           # f evaluations by brentq (counted); the grid is reported separately
    time: float = 0.0

    def as_dict(self) -> dict:
        return {"roots": [r.as_dict() for r in self.roots], "complete": self.complete, "message": self.message,
                "rejected": [r.as_dict() for r in self.rejected], "grid_points": self.grid, "nfev": self.nfev,
                "time": self.time}


def find_all(eqs, a: float, b: float, tol: float, timeout: float = 5.0) -> AllRoots:
    start = time.perf_counter()
    eqs.counts.reset()
    expr, x = eqs.exprs[0], eqs.symbols[0]
    why = "not a polynomial or rational function"
    if expr.is_rational_function(x):
        found, why = _exact(eqs, expr, x, a, b, tol, timeout)
        if found is not None:
            return AllRoots(found, True, "exact roots by SymPy (the list is complete)",
                            time=time.perf_counter() - start)
    out = _numeric(eqs, a, b, tol)
    out.message = f"{why}: {out.message}"
    out.nfev, out.time = eqs.counts.nfev, time.perf_counter() - start
    return out


def _exact(eqs, expr, x, a, b, tol, timeout):
    from gradcli.checks.stationary import solve_exactly

    num, den = sp.fraction(sp.cancel(sp.together(expr)))
    if not num.free_symbols:
        return [], "f has no roots (a nonzero constant numerator)"
    sols, message = solve_exactly([num], [x], timeout)
    if sols is None:
        return None, f"could not solve exactly ({message})"
    found = []
    for sol in sols:
        if x not in sol or sol[x].free_symbols:
            return None, "SymPy returned a non-isolated solution"
        v = complex(sp.N(sol[x], 30))
        if abs(v.imag) > 1e-20 * max(1.0, abs(v.real)) or not a <= v.real <= b:
            continue
        if den.free_symbols and sp.N(den.subs(x, sol[x]), 30) == 0:
            continue
        verdict = judge(eqs, [v.real], tol)
        found.append(Found(v.real, verdict.fun[0] if verdict.fun else math.nan, verdict.kind, verdict.reason,
                           str(sol[x])))
    found.sort(key=lambda r: r.x)
    return found, "solved exactly"


def _brentq(fn, lo: float, hi: float) -> float | None:
    from scipy.optimize import brentq

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return float(brentq(fn, lo, hi, xtol=4e-16 * max(abs(lo), abs(hi), 1e-300), rtol=4 * np.finfo(float).eps))
    except (ValueError, RuntimeError):
        return None


def _numeric(eqs, a: float, b: float, tol: float) -> AllRoots:
    t = np.linspace(a, b, GRID)
    v = eqs.numpy_function()(t)
    d = eqs.numpy_function(eqs.jacobian_exprs[0][0])(t)
    ok = np.isfinite(v)
    h = (b - a) / (GRID - 1)
    candidates: list[float] = [float(p) for p in t[v == 0.0]]
    for i in np.flatnonzero(ok[:-1] & ok[1:] & (v[:-1] * v[1:] < 0)):
        r = _brentq(eqs.f, t[i], t[i + 1])
        if r is not None:
            candidates.append(r)
    d_ok = np.isfinite(d)
    same = ok[:-1] & ok[1:] & (v[:-1] * v[1:] >= 0) & ((v[:-1] != 0) | (v[1:] != 0))
    for i in np.flatnonzero(same & d_ok[:-1] & d_ok[1:] & (d[:-1] * d[1:] < 0)):
        c = _brentq(eqs.d1, t[i], t[i + 1])
        if c is None:
            continue
        fc, ref = eqs.f(c), (v[i] if v[i] != 0 else v[i + 1])
        if fc * ref < 0:             # two roots in one cell, on both sides of the extremum
            candidates += [r for r in (_brentq(eqs.f, t[i], c), _brentq(eqs.f, c, t[i + 1])) if r is not None]
        elif verified(judge(eqs, [c], tol).kind):
            candidates.append(c)     # f touches zero: an even-multiplicity root
    roots, rejected = [], []
    for r in sorted(candidates):
        if roots and abs(r - roots[-1].x) <= 1e-12 * max(1.0, abs(r)):
            continue
        verdict = judge(eqs, [r], tol)
        item = Found(r, verdict.fun[0] if verdict.fun else math.nan, verdict.kind, verdict.reason)
        (roots if verified(verdict.kind) else rejected).append(item)
    message = (f"sign changes of f and f′ on a grid of {GRID} points (spacing {h:.2g}), each refined by brentq; "
               "the list may be incomplete: more than two roots within one spacing, or a zero where f′ changes "
               "sign twice within one spacing, would be missed")
    if not ok.all():
        bad = t[~ok]
        message += (f"; f is undefined at {int((~ok).sum())} grid points (from {bad[0]:.6g} to {bad[-1]:.6g}), "
                    "not searched there")
    if rejected:
        message += "; " + ", ".join(f"x ≈ {r.x:.6g}" for r in rejected) + ": sign change without a root (a pole or jump)"
    return AllRoots(roots, False, message, rejected, GRID)
