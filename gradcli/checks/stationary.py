"""Stationary points: ∇f = 0 solved exactly by SymPy where it can, always cross-checked numerically.

SymPy's ``solve`` is not a proof of completeness: on x**4 + y**4 - 3*x*y + x it returns [] although
three real stationary points exist. So every exact answer is checked against a numerical search (Newton-
type roots of ∇f, scipy.optimize.root with our Hessian as Jacobian, from a grid of starts in a box):

1. SymPy's ``solve`` (in a killable child: it cannot be interrupted otherwise). Real roots that SymPy
   writes with I (Cardano's formula for three real roots) are rewritten as CRootOf of their minimal
   polynomial, so a real root is never printed with I.
2. If a numerically found point is not among the exact ones, SymPy's answer is incomplete: a lex Groebner
   basis in shape position (x_i = p_i(x_n), q(x_n) = 0) gives every complex solution, and the real ones
   are the real roots of q, exactly (Cox, Little & O'Shea, "Ideals, Varieties, and Algorithms", §3.1).
3. If that is not possible or also misses a numerical point, the answer is the union of both, marked
   "may be incomplete". An answer from the numerical search alone always says "may be incomplete".

Only polynomial and rational objectives are solved exactly: for anything else ``solve`` returns a subset
(cos(x) = 0 gives π/2 and 3π/2, not the infinitely many others).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from gradcli.checks.lower_bound import bounded_below
from gradcli.checks.verdict import verify

NUMERIC_STARTS = 1600          # starts of the numerical search (a grid; 40 x 40 in two variables)
MATCH_TOL = 1e-5               # a numerical point matches an exact one within this, relative to max(1, |x|)
DEGENERATE_MATCH_TOL = 1e-2    # ... or within this where the Hessian is singular (see _matched)
INCOMPLETE = "may be incomplete"


@dataclass
class StationaryPoint:
    x: list[float]
    exact: list[str]
    f: float
    kind: str
    min_eig: float | None = None
    source: str = "exact"              # "exact" or "numerical"

    def as_dict(self) -> dict:
        return {"x": self.x, "exact": self.exact if self.source == "exact" else None, "f": self.f,
                "kind": self.kind, "min_eig": self.min_eig, "source": self.source}


@dataclass
class Stationary:
    points: list[StationaryPoint]
    exact: bool                        # the list is complete and exact (and agrees with the numerical search)
    message: str
    bounded_below: bool | None
    bounded_reason: str
    coercive: bool = False
    families: list[str] = field(default_factory=list)   # non-isolated solutions, as text

    @property
    def complete(self) -> bool:
        return self.exact

    @property
    def global_minimum(self) -> StationaryPoint | None:
        """The lowest stationary point, when the list is complete and f is bounded below (attained for sure
        only when f is coercive)."""
        if not self.exact or self.bounded_below is not True or not self.points or self.families:
            return None
        return min(self.points, key=lambda p: p.f)

    def as_dict(self) -> dict:
        g = self.global_minimum
        return {"points": [p.as_dict() for p in self.points], "bounded_below": self.bounded_below,
                "bounded_reason": self.bounded_reason, "coercive": self.coercive, "exact": self.exact,
                "complete": self.exact, "message": self.message, "families": self.families,
                "global_minimum": None if g is None else g.as_dict()}


# ---- exact solving, in a child process -----------------------------------------------------------------

def _real_form(value):
    """A real algebraic number SymPy wrote with I, as CRootOf of its minimal polynomial (no I)."""
    t = sp.Symbol("t")
    try:
        poly = sp.Poly(sp.minimal_polynomial(value, t), t)
        target = complex(sp.N(value, 30)).real
        roots = poly.real_roots()
        return min(roots, key=lambda r: abs(float(r) - target)) if roots else value
    except Exception:  # noqa: BLE001 - keep SymPy's form; the caller shows it as a decimal then
        return value


def _shape_solve(grads, symbols):
    """Every solution from a lex Groebner basis in shape position, real roots exact; None if not in shape."""
    for order in (list(symbols), list(reversed(symbols))):
        basis = sp.groebner(grads, *order, order="lex")
        if list(basis.exprs) == [1]:
            return []                           # no solution at all, not even complex
        last, exprs = order[-1], list(basis.exprs)
        if len(exprs) != len(order) or exprs[-1].free_symbols - {last}:
            continue
        solved = {}
        for s, g in zip(order[:-1], exprs[:-1]):
            p = sp.Poly(g, s)
            if p.degree() != 1 or g.free_symbols - {s, last} or p.LC().free_symbols:
                break
            solved[s] = sp.expand(-p.TC() / p.LC())
        else:
            t = sp.Symbol("t")         # CRootOf(q(t), k): a bound variable, not one of the user's
            roots = sp.Poly(exprs[-1].subs(last, t), t).real_roots()
            return [{last: r, **{s: e.subs(last, r) for s, e in solved.items()}} for r in dict.fromkeys(roots)]
    return None


def _solve_child(conn, grads, symbols, how):
    """In the child: SymPy's exact solve ('solve' or 'groebner'); sends back the solutions or the error."""
    try:
        if how == "groebner":
            sols = _shape_solve(grads, symbols)
            if sols is None:
                conn.send(("error", "the Groebner basis is not in shape position"))
                return
        else:
            sols = sp.solve(grads, symbols, dict=True)
        for sol in sols:
            for s, v in sol.items():
                if v.has(sp.I) and not v.free_symbols and abs(complex(sp.N(v, 30)).imag) < 1e-20:
                    sol[s] = _real_form(v)
        conn.send(("ok", sols))          # SymPy objects pickle
    except Exception as exc:  # noqa: BLE001 - any failure means "could not solve exactly"
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        conn.close()


def solve_exactly(grads, symbols, timeout: float, how: str = "solve"):
    """sympy.solve (or the Groebner shape solve) in a killable child: (solution dicts, message) or (None, why)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_solve_child, args=(child, grads, symbols, how), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            return None, f"SymPy did not finish within {timeout:g} s"
        status, payload = parent.recv()
    except EOFError:
        return None, "the SymPy process ended without an answer"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(1)
    if status != "ok":
        return None, payload
    return payload, "solved exactly"


# ---- the answer ------------------------------------------------------------------------------------------

def find_stationary(problem, objective=None, timeout: float = 5.0, numeric_fallback: bool = True,
                    box: list[tuple[float, float]] | None = None, grid: int = NUMERIC_STARTS) -> Stationary:
    """Every stationary point of ``problem.expr``: exact and complete, or marked "may be incomplete".

    ``numeric_fallback=False`` (minimize --exact): an incomplete exact answer returns no points at all.
    """
    import time

    from gradcli.run.solve import compile_problem

    objective = objective or compile_problem(problem)
    symbols, expr = list(problem.symbols), problem.expr
    if expr.has(sp.Sum):        # a sum kept whole (gradcli/symbolic/indexed.py) is solved written out
        from gradcli.expr.indexed import expand
        expr = expand(expr)
    bounded, coercive, why = bounded_below(expr, symbols)
    box = _box(problem, box)
    numeric = _numeric(objective, problem, box, grid)
    where = f"{len(numeric)} found numerically from a grid of starts in {_box_text(box)}"
    if not expr.is_rational_function(*symbols):
        if not numeric_fallback:
            return Stationary([], False, "not a polynomial or rational function: not solved exactly",
                              bounded, why, coercive)
        return Stationary(_sorted(numeric), False, f"could not solve exactly (not a polynomial or rational function: "
                          f"SymPy's solve would miss solutions); {where}: {INCOMPLETE}", bounded, why, coercive)
    grads = [sp.diff(expr, s) for s in symbols]
    deadline = time.perf_counter() + timeout
    message, points, families, missed, consistent, answered = "", [], [], numeric, None, False
    for how in ("solve", "groebner"):
        left = deadline - time.perf_counter()
        sols, message = solve_exactly(grads, symbols, left, how) if left > 0.05 else \
            (None, f"SymPy did not finish within {timeout:g} s")
        if sols is None:
            if "did not finish" in message:
                break
            continue
        answered = True
        points, families = _exact_points(objective, problem, sols)
        missed = [p for p in numeric if not _matched(p, points, families, symbols, objective)]
        note = "solved exactly" + (" (Groebner basis)" if how == "groebner" else "")
        if not missed:
            consistent = consistent or (points, families, note)
            if not any(_has_decimal(p) for p in points):
                consistent = (points, families, note)
                break
    if consistent:
        points, families, note = consistent
        if any(_has_decimal(p) for p in points):
            note += "; real roots SymPy writes only with I are shown as decimals (≈)"
        return Stationary(_sorted(points), True, f"{note}; confirmed by the numerical search ({where})",
                          bounded, why, coercive, _family_texts(families, symbols))
    if answered:
        shown = ", ".join("(" + ", ".join(f"{v:.6g}" for v in p.x) + ")" for p in missed[:2])
        message = (f"SymPy's exact solution misses stationary points the numerical search found, e.g. {shown}; "
                   "showing both")
    else:
        message = f"could not solve exactly ({message})"
    if not numeric_fallback:
        return Stationary([], False, message, bounded, why, coercive)
    return Stationary(_sorted(points + missed), False, f"{message}; {where}: {INCOMPLETE}", bounded, why,
                      coercive, _family_texts(families, symbols))


def _family_texts(families, symbols) -> list[str]:
    return [", ".join(f"{s} = {sol.get(s, s)}" for s in symbols) for sol in families]


def _sorted(points: list[StationaryPoint]) -> list[StationaryPoint]:
    return sorted(points, key=lambda p: (p.f, p.x))


def _has_decimal(p: StationaryPoint) -> bool:
    return any(s.startswith("≈") for s in p.exact)


def _exact_points(objective, problem, sols) -> tuple[list[StationaryPoint], list]:
    """Real isolated solutions classified, and the non-isolated ones as (dict, text) families."""
    symbols = list(problem.symbols)
    points, families = [], []
    for sol in sols:
        if any(s not in sol for s in symbols) or any(v.free_symbols for v in sol.values()):
            families.append(sol)
            continue
        values = [complex(sp.N(sol[s], 30)) for s in symbols]
        if any(abs(v.imag) > 1e-20 * max(1.0, abs(v.real)) for v in values):
            continue
        texts = []
        for s, v in zip(symbols, values):
            e = sol[s]
            text = str(sp.nsimplify(e) if e.is_Float else e)
            texts.append(f"≈{v.real:.15g}" if "I" in text.replace("CRootOf", "") else text)
        points.append(_classify(objective, problem, [v.real for v in values], texts))
    return points, families


def _matched(p: StationaryPoint, points, families, symbols, objective) -> bool:
    """Is the numerical point ``p`` one of the exact points, or on one of the exact families?

    A root where the Hessian is singular ((x-1)**4 at x = 1) is found only to about the cube root of the
    root finder's tolerance (1.00002), so it matches within DEGENERATE_MATCH_TOL; a regular root, found to
    ~1e-10 by Newton's quadratic convergence, within MATCH_TOL.
    """
    x = np.asarray(p.x)
    tol = (DEGENERATE_MATCH_TOL if _singular(objective, x) else MATCH_TOL) * max(1.0, float(np.max(np.abs(x))))
    if any(float(np.max(np.abs(x - np.asarray(q.x)))) <= tol for q in points):
        return True
    for fam in families:
        f = sp.lambdify(symbols, [fam.get(s, s) for s in symbols], modules="math")
        try:
            if all(abs(complex(v) - a) <= tol for v, a in zip(f(*p.x), p.x)):
                return True
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            continue
    return False


def _singular(objective, x) -> bool:
    """Is the Hessian at x singular to working accuracy (smallest |eigenvalue| ≤ 1e-6 · largest)?"""
    if objective.prefers_hessp:
        return False
    with np.errstate(all="ignore"):
        H = np.asarray(objective.hess_uncounted(x), dtype=float)
        if not np.all(np.isfinite(H)):
            return True
        ev = np.abs(np.linalg.eigvalsh((H + H.T) / 2))
    return bool(ev.min() <= 1e-6 * max(1.0, float(ev.max())))


def _classify(objective, problem, x, exact: list[str], source: str = "exact") -> StationaryPoint:
    from gradcli.problem.core import Problem

    bare = Problem(problem.name, problem.objective, problem.expr, problem.variables, problem.symbols)
    v = verify(objective, bare, x)
    return StationaryPoint([float(a) for a in x], exact, float(v.f), v.kind, v.min_eig, source)


def _box(problem, box) -> list[tuple[float, float]]:
    box = box or problem.bounds or [(-10.0, 10.0)] * problem.n
    return [(lo if math.isfinite(lo) else -10.0, hi if math.isfinite(hi) else 10.0) for lo, hi in box]


def _box_text(box) -> str:
    if len(set(box)) == 1:
        lo, hi = box[0]
        return f"[{lo:g}, {hi:g}]" + (f"^{len(box)}" if len(box) > 1 else "")
    return " x ".join(f"[{lo:g}, {hi:g}]" for lo, hi in box)


def _starts(box, count: int, seed: int | None) -> np.ndarray:
    """A full grid of about ``count`` starts in the box; seeded uniform points when a grid would be too coarse
    (the problem file's seed:, else 0)."""
    n = len(box)
    k = int(round(count ** (1.0 / n)))
    if k >= 3:
        axes = [np.linspace(lo, hi, k) for lo, hi in box]
        return np.array(list(itertools.product(*axes)), dtype=float)
    lo, hi = np.array(box, dtype=float).T
    return lo + (hi - lo) * np.random.default_rng(0 if seed is None else seed).random((count, n))


def _numeric(objective, problem, box, grid: int) -> list[StationaryPoint]:
    """Roots of ∇f in ``box`` from a grid of starts, merged; each classified."""
    import warnings

    from scipy.optimize import root

    found: list[np.ndarray] = []
    jac = (lambda x: objective.hess_uncounted(x)) if not objective.prefers_hessp else None
    for start in _starts(box, grid, problem.seed):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                r = root(objective.grad_uncounted, start, jac=jac, method="hybr")
            except Exception:  # noqa: BLE001 - a failed start is just skipped
                continue
        x = r.x
        if not (r.success and np.all(np.isfinite(x))):
            continue
        if any(x[i] < lo - 1e-9 or x[i] > hi + 1e-9 for i, (lo, hi) in enumerate(box)):
            continue
        near = (DEGENERATE_MATCH_TOL if _singular(objective, x) else 1e-6) * max(1.0, float(np.max(np.abs(x))))
        if any(np.max(np.abs(x - y)) <= near for y in found):
            continue
        found.append(x)
    return [_classify(objective, problem, x.tolist(), [repr(float(a)) for a in x], "numerical") for x in found]
