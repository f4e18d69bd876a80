"""Stationary points exactly: ∇f = 0 solved by SymPy, each real root classified, f's lower bound judged.

SymPy's ``solve`` cannot be interrupted (it holds the interpreter in pure-Python loops), so it runs in a
child process that is killed when the time limit is up; the answer crosses back pickled.
Only polynomial and rational objectives are solved exactly: for anything else ``solve`` returns a subset
(cos(x) = 0 gives π/2 and 3π/2, not the infinitely many others), which would be a wrong "all of them".
When the exact solve is not possible, the fallback is numerical: ∇f = 0 by a Newton-type root finder
(scipy.optimize.root, exact Jacobian = our Hessian) from a grid of starts inside the bounds, roots merged,
and said to be numerical.

Whether f is bounded below (so the lowest stationary point can be the global minimum):
* a sum of terms each bounded below (even powers, abs, exp, positive multiples, constants) → True;
* a polynomial of odd total degree → False (its top-degree part is odd: negative along some ray);
* even degree with the top-degree part negative along a sampled direction (axes, diagonals, seeded
  random) → False; positive definite top-degree part, proved for n ≤ 2 by its real roots → True (f is
  then coercive, so the infimum is attained at a stationary point);
* otherwise None: not decided, and said so.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from gradcli.checks.verdict import verify


@dataclass
class StationaryPoint:
    x: list[float]
    exact: list[str]
    f: float
    kind: str
    min_eig: float | None = None

    def as_dict(self) -> dict:
        return {"x": self.x, "exact": self.exact, "f": self.f, "kind": self.kind, "min_eig": self.min_eig}


@dataclass
class Stationary:
    points: list[StationaryPoint]
    exact: bool                        # the list is SymPy's complete exact solution
    message: str
    bounded_below: bool | None
    bounded_reason: str
    coercive: bool = False
    families: list[str] = field(default_factory=list)   # non-isolated solutions, as text

    @property
    def global_minimum(self) -> StationaryPoint | None:
        """The lowest stationary point, when f is bounded below (attained for sure only when f is coercive)."""
        if self.bounded_below is not True or not self.points or self.families:
            return None
        return min(self.points, key=lambda p: p.f)

    def as_dict(self) -> dict:
        g = self.global_minimum
        return {"points": [p.as_dict() for p in self.points], "bounded_below": self.bounded_below,
                "bounded_reason": self.bounded_reason, "coercive": self.coercive, "exact": self.exact,
                "message": self.message, "families": self.families,
                "global_minimum": None if g is None else g.as_dict()}


def _solve_child(conn, grads, symbols):
    """In the child: SymPy's exact solve; sends back the solutions (or the error text)."""
    try:
        sols = sp.solve(grads, symbols, dict=True)
        conn.send(("ok", sols))          # SymPy objects pickle
    except Exception as exc:  # noqa: BLE001 - any failure means "could not solve exactly"
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        conn.close()


def solve_exactly(grads, symbols, timeout: float):
    """sympy.solve in a killable child process: (list of solution dicts, message) or (None, why)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_solve_child, args=(child, grads, symbols), daemon=True)
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


def find_stationary(problem, objective=None, timeout: float = 5.0, numeric_fallback: bool = True,
                    box: list[tuple[float, float]] | None = None, grid: int = 200) -> Stationary:
    """Every stationary point of ``problem.expr`` (exactly when SymPy can within ``timeout``)."""
    from gradcli.run.solve import compile_problem

    objective = objective or compile_problem(problem)
    symbols, expr = list(problem.symbols), problem.expr
    bounded, coercive, why = bounded_below(expr, symbols)
    points: list[StationaryPoint] = []
    families: list[str] = []
    exact, message = False, ""
    if not expr.is_rational_function(*symbols):
        message = "not a polynomial or rational function: SymPy's solve would miss solutions"
    else:
        grads = [sp.diff(expr, s) for s in symbols]
        sols, message = solve_exactly(grads, symbols, timeout)
        if sols is not None:
            exact = True
            for sol in sols:
                if any(s not in sol for s in symbols) or any(v.free_symbols for v in sol.values()):
                    families.append(", ".join(f"{s} = {sol.get(s, s)}" for s in symbols))
                    continue
                values = [complex(sp.N(sol[s], 30)) for s in symbols]
                if any(abs(v.imag) > 1e-20 * max(1.0, abs(v.real)) for v in values):
                    continue
                x = [v.real for v in values]
                points.append(_classify(objective, problem, x, [str(sp.nsimplify(sol[s]) if sol[s].is_Float
                                                                 else sol[s]) for s in symbols]))
    if not exact and numeric_fallback:
        points = _numeric(objective, problem, box, grid)
        message = f"could not solve exactly ({message}); numerical roots of ∇f = 0 from a grid of starts"
    points.sort(key=lambda p: (p.f, p.x))
    return Stationary(points, exact, message, bounded, why, coercive, families)


def _classify(objective, problem, x, exact: list[str]) -> StationaryPoint:
    from gradcli.problem.core import Problem

    bare = Problem(problem.name, problem.objective, problem.expr, problem.variables, problem.symbols)
    v = verify(objective, bare, x)
    return StationaryPoint([float(a) for a in x], exact, float(v.f), v.kind, v.min_eig)


def _numeric(objective, problem, box, grid: int) -> list[StationaryPoint]:
    """Roots of ∇f from a grid of starts in ``box`` (default: the problem's bounds, else [-10, 10]ⁿ)."""
    import warnings

    from scipy.optimize import root

    n = problem.n
    box = box or problem.bounds or [(-10.0, 10.0)] * n
    box = [(lo if math.isfinite(lo) else -10.0, hi if math.isfinite(hi) else 10.0) for lo, hi in box]
    k = max(2, int(grid ** (1.0 / n)))
    axes = [np.linspace(lo, hi, k) for lo, hi in box]
    found: list[np.ndarray] = []
    jac = (lambda x: objective.hess_uncounted(x)) if not objective.prefers_hessp else None
    for start in itertools.islice(itertools.product(*axes), 4096):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                r = root(objective.grad_uncounted, np.array(start), jac=jac, method="hybr")
            except Exception:  # noqa: BLE001 - a failed start is just skipped
                continue
        x = r.x
        if not (r.success and np.all(np.isfinite(x))):
            continue
        if any(x[i] < lo - 1e-9 or x[i] > hi + 1e-9 for i, (lo, hi) in enumerate(box)):
            continue
        if any(np.max(np.abs(x - y)) <= 1e-6 * max(1.0, float(np.max(np.abs(y)))) for y in found):
            continue
        found.append(x)
    return [_classify(objective, problem, x.tolist(), [repr(float(a)) for a in x]) for x in found]


def _lower(e) -> float | None:
    """A lower bound of e over the reals, from its structure alone, or None."""
    if e.is_number:
        return float(e) if e.is_real else None
    if isinstance(e, (sp.Abs, sp.exp)):
        return 0.0
    if isinstance(e, sp.cosh):
        return 1.0
    if isinstance(e, (sp.sin, sp.cos, sp.tanh)):
        return -1.0
    if e.is_Pow and e.exp.is_Integer and e.exp > 0 and e.exp % 2 == 0:
        return 0.0
    if e.is_Add:
        parts = [_lower(a) for a in e.args]
        return None if any(p is None for p in parts) else sum(parts)
    if e.is_Mul:
        coeff, rest = e.as_coeff_Mul()
        if coeff.is_number and coeff > 0 and coeff != 1:
            low = _lower(rest)
            return None if low is None else float(coeff) * low
        if coeff == 1 and all(_lower(a) is not None and _lower(a) >= 0 for a in e.args):
            return 0.0
    return None


def bounded_below(expr, symbols) -> tuple[bool | None, bool, str]:
    """(bounded below?, coercive?, why). None when it cannot be decided here."""
    low = _lower(expr)
    if low is not None:
        coercive = expr.is_polynomial(*symbols) and _polynomial(expr, symbols)[1]
        return True, coercive, f"a sum of terms bounded below: f ≥ {low:g}" + (", and coercive" if coercive else "")
    if not expr.is_polynomial(*symbols):
        return None, False, "not decided (not a polynomial, and no structural lower bound)"
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
