"""Is f bounded below? Decided from the expression's structure, or left undecided with the reason.

* Interval arithmetic over the expression tree: sin, cos, tanh, erf, sign lie in [-1, 1], atan in
  [-π/2, π/2], exp and cosh above 0 and 1, even powers and abs above 0; sums and products of intervals
  (Moore, "Interval Analysis", 1966). A finite lower end proves f ≥ that value, so sin(x)*cos(y) ≥ -1.
* A polynomial of odd total degree → unbounded (its top-degree part is odd: negative along some ray).
* Even degree with the top-degree part negative along a sampled direction (axes, diagonals, seeded
  random) → unbounded; a positive definite top-degree part, proved for n ≤ 2 by its real roots → bounded
  and coercive (so the infimum is attained at a stationary point).
* Otherwise None, and the reason names a term with no lower bound from its structure.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import sympy as sp

INF = math.inf
_UNIT = {sp.sin: (-1.0, 1.0), sp.cos: (-1.0, 1.0), sp.tanh: (-1.0, 1.0), sp.erf: (-1.0, 1.0),
         sp.sign: (-1.0, 1.0), sp.atan: (-math.pi / 2, math.pi / 2)}


def _mul(a: float, b: float) -> float:
    """Extended product with 0·∞ = 0 (an endpoint 0 times a finite value of unbounded size)."""
    return 0.0 if a == 0.0 or b == 0.0 else a * b


def _pow(lo: float, hi: float, k: int) -> tuple[float, float]:
    def p(v):
        try:
            return v ** k
        except OverflowError:
            return INF if v > 0 or k % 2 == 0 else -INF
    if k % 2 == 1:
        return p(lo), p(hi)
    if lo <= 0.0 <= hi:
        return 0.0, max(p(lo), p(hi))
    return min(p(lo), p(hi)), max(p(lo), p(hi))


def interval(e) -> tuple[float, float]:
    """An interval [lo, hi] (ends may be ±inf) that contains e for every real value of its symbols."""
    if e.is_number:
        try:
            v = complex(e)
        except (TypeError, ValueError, OverflowError):
            return -INF, INF
        return (v.real, v.real) if v.imag == 0 else (-INF, INF)
    if e.is_Symbol:
        return -INF, INF
    if e.func in _UNIT:
        return _UNIT[e.func]
    if isinstance(e, sp.exp):
        lo, hi = interval(e.args[0])
        return (0.0 if lo == -INF else math.exp(min(lo, 700.0))), (INF if hi > 700 else math.exp(hi))
    if isinstance(e, sp.cosh):
        return 1.0, INF
    if isinstance(e, sp.Abs):
        lo, hi = interval(e.args[0])
        return (0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))), max(abs(lo), abs(hi))
    if isinstance(e, (sp.Min, sp.Max)):
        parts = [interval(a) for a in e.args]
        pick = min if isinstance(e, sp.Min) else max
        return pick(p[0] for p in parts), pick(p[1] for p in parts)
    if e.is_Pow and e.exp.is_Integer and e.exp > 0:
        lo, hi = interval(e.base)
        return _pow(lo, hi, int(e.exp))
    if e.is_Pow and e.exp.is_Rational and e.exp > 0 and e.exp.q % 2 == 0:   # sqrt and friends: ≥ 0
        return 0.0, INF
    if e.is_Add:
        lo = hi = 0.0
        for a in e.args:
            a_lo, a_hi = interval(a)
            lo, hi = lo + a_lo, hi + a_hi
        return (-INF if math.isnan(lo) else lo), (INF if math.isnan(hi) else hi)
    if e.is_Mul:
        lo, hi = 1.0, 1.0
        for a in e.args:
            a_lo, a_hi = interval(a)
            ends = [_mul(x, y) for x in (lo, hi) for y in (a_lo, a_hi)]
            lo, hi = min(ends), max(ends)
        return lo, hi
    return -INF, INF


def _unbounded_term(expr) -> str:
    """The first term of the sum (or f itself) with no lower bound from its structure, for the reason."""
    for term in sp.Add.make_args(expr):
        if interval(term)[0] == -INF:
            text = str(term)
            return text if len(text) <= 40 else text[:37] + "..."
    return str(expr)[:40]


def bounded_below(expr, symbols) -> tuple[bool | None, bool, str]:
    """(bounded below?, coercive?, why). None when it cannot be decided here, with the reason."""
    low = interval(expr)[0]
    polynomial = expr.is_polynomial(*symbols)
    if low > -INF:
        coercive = polynomial and _polynomial(expr, symbols)[1]
        return True, coercive, (f"every term is bounded below: f ≥ {low:.6g}"
                                + (", and coercive" if coercive else ""))
    if not polynomial:
        return None, False, (f"not decided: the term {_unbounded_term(expr)} has no lower bound from its "
                             "structure, and f is not a polynomial")
    return _polynomial(expr, symbols)


def _polynomial(expr, symbols) -> tuple[bool | None, bool, str]:
    """The leading-degree test for a polynomial: odd degree or a negative direction → unbounded below."""
    poly = sp.Poly(expr, *symbols)
    d = poly.total_degree()
    if d == 0:
        return True, False, "constant"
    top = sp.Add(*[c * sp.Mul(*[s ** k for s, k in zip(symbols, m)]) for m, c in poly.terms() if sum(m) == d])
    if d % 2 == 1:
        return False, False, f"odd total degree {d}: f → −∞ along a ray where its degree-{d} part is negative"
    f_top = sp.lambdify(symbols, top, modules="math")
    n = len(symbols)
    rng = np.random.default_rng(0)
    dirs = [tuple(v) for v in itertools.product((-1.0, 0.0, 1.0), repeat=n)] if n <= 6 else []
    dirs += [tuple(v) for v in np.vstack([np.eye(n), rng.standard_normal((200, n))])]
    for u in dirs:
        if any(u) and f_top(*u) < 0:
            shown = ", ".join(f"{a:.3g}" for a in u)
            return False, False, f"f → −∞ along t·({shown}), t → ∞ (its degree-{d} part is negative there)"
    if n == 1:
        return True, True, f"even degree {d} with a positive leading coefficient"
    if n == 2:
        x, y = symbols
        t = sp.Dummy("t", real=True)
        along = sp.Poly(top.subs({x: t, y: 1}), t)
        lead_x = sp.Poly(top, x, y).coeff_monomial(x ** d)
        if lead_x > 0 and not sp.real_roots(along) and along.eval(0) > 0:
            return True, True, f"the degree-{d} part is positive definite: f is coercive"
    return None, False, f"not decided (degree-{d} part is ≥ 0 along every direction sampled, not proved positive)"
