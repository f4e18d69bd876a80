"""`--method auto`: one method chosen from the problem's structure, with the reason as data.

The rules, in order (the first that applies wins), and why:

1. non-smooth (abs, min, max, sign, ...): derivatives do not exist at the kinks, and gradient methods
   stall there or report nonsense → derivative-free: COBYLA with constraints, Nelder-Mead otherwise
   (it honours bounds).
2. constraints: SLSQP (fast, exact gradients, dense) up to a few hundred variables; trust-constr above
   (it takes sparse Hessians).
3. bounds only: L-BFGS-B (projected quasi-Newton, any size).
4. unconstrained, n ≤ 100: trust-exact — the exact Hessian is cheap to evaluate and factorize at this size,
   and a trust region copes with indefinite Hessians (no saddle-seeking like plain Newton).
   100 < n ≤ 200: BFGS (a dense n×n factorization per iteration starts to cost; BFGS's update is O(n²)).
   n > 200: L-BFGS-B — limited memory, no n×n matrix at all (our Hessians are sparse from here on, but a
   quasi-Newton step needs none).
A sum of squares is named in the reason (a least-squares structure: Gauss–Newton would also fit).

Every variable in a finite box (n ≤ 10, no constraints): a global phase first, a Sobol multistart of the
first method, then differential evolution when those runs found more than one minimum (or not every run was
verified, or the minima are degenerate), polished (docs/auto.md). A problem file's published f* not reached
without a box: starts around x0 (docs/auto.md).
"""

from __future__ import annotations

from dataclasses import dataclass

SLSQP_MAX_N = 300
ARRAY_SLSQP_MAX_N = 1000     # SLSQP's dense QP subproblem is O(n³): fine up to about here
EXACT_HESSIAN_MAX_N = 100
DENSE_QUASI_NEWTON_MAX_N = 200


@dataclass(frozen=True)
class Choice:
    method: str          # a registered name
    reason: str          # "1000 variables, bounds, smooth"

    def line(self, label: str | None = None) -> str:
        return f"auto → {label or self.method}: {self.reason}"


def structure(problem) -> dict:
    """The facts the choice rests on (also useful in JSON)."""
    import sympy as sp

    from gradcli.symbolic.codegen import smooth

    expr = problem.expr
    terms = sp.Add.make_args(expr)
    squares = len(terms) > 1 and all(
        (t.is_Pow and t.exp == 2) or (t.is_Mul and len(t.args) == 2 and t.args[0].is_number
                                      and t.args[0] > 0 and t.args[1].is_Pow and t.args[1].exp == 2)
        or t.is_number for t in terms)
    return {"n": problem.n, "bounds": problem.has_bounds, "constraints": len(problem.constraints),
            "smooth": smooth(expr) and all(smooth(g) for _, _, g in problem.constraints),
            "sum_of_squares": bool(squares)}


def choose(problem) -> Choice:
    if not problem.symbolic:      # array problem: exact reverse-mode gradient and Hessian-vector products
        what = f"{problem.n} variables, an array (data) problem"
        if problem.constraints:
            if problem.n <= ARRAY_SLSQP_MAX_N:
                return Choice("slsqp", f"{what}, {len(problem.constraints)} constraint rows: exact Jacobians")
            return Choice("trust-constr", f"{what}, constraints, large: Hessian-vector products")
        return Choice("l-bfgs-b", f"{what}: exact reverse-mode gradient, limited memory, no n×n matrix")
    s = structure(problem)
    n = s["n"]
    parts = [f"{n} variable{'s' if n != 1 else ''}"]
    if s["constraints"]:
        parts.append(f"{s['constraints']} constraint{'s' if s['constraints'] != 1 else ''}")
    if s["bounds"]:
        parts.append("bounds")
    if not s["smooth"]:
        parts.append("non-smooth (abs/min/max/sign): derivative-free")
        return Choice("cobyla" if s["constraints"] else "nelder-mead", ", ".join(parts))
    parts.append("smooth")
    if s["sum_of_squares"]:
        parts.append("a sum of squares")
    if s["constraints"]:
        if n <= SLSQP_MAX_N:
            return Choice("slsqp", ", ".join(parts))
        return Choice("trust-constr", ", ".join(parts + ["large: sparse Hessian"]))
    if s["bounds"]:
        return Choice("l-bfgs-b", ", ".join(parts))
    if n <= EXACT_HESSIAN_MAX_N:
        return Choice("trust-exact", ", ".join(parts + ["exact Hessian cheap at this size"]))
    if n <= DENSE_QUASI_NEWTON_MAX_N:
        return Choice("bfgs", ", ".join(parts))
    return Choice("l-bfgs-b", ", ".join(parts + ["large: limited memory, no n×n matrix"]))


# ---- the portfolio ------------------------------------------------------------------------------------
# After the first method, complementary ones: a different model of f (quasi-Newton after a trust region,
# a simplex after both), tried from where the previous step stopped and from the start.
FOLLOW = {
    "trust-exact": ("slsqp", "bfgs", "nelder-mead"),
    "bfgs": ("slsqp", "trust-exact", "nelder-mead"),
    "l-bfgs-b": ("tnc", "nelder-mead"),
    "slsqp": ("trust-constr", "cobyla"),
    "trust-constr": ("slsqp", "cobyla"),
    "nelder-mead": ("powell",),
    "cobyla": ("cobyqa",),
}
# (array problems: l-bfgs-b → tnc; nelder-mead and the others above their size limit are skipped)
GLOBAL_MAX_N = 10          # a global phase over the box up to this many variables
GLOBAL_STARTS_PER_N = 8    # Sobol starts per variable in the global phase (at most GLOBAL_STARTS_MAX)
GLOBAL_STARTS_MAX = 64
GLOBAL_METHOD = "differential-evolution"   # after the multistart, when it found several basins (SciPy's defaults)
SECOND_OPINION_MAX_N = 100  # below this, a verified minimum still gets one complementary run from x0
TARGET_STARTS_PER_N = 4     # a file's published f* not reached (no box to search): starts around x0 per variable
TARGET_STARTS_MAX = 32


def portfolio(problem, objective, start: int, run_one, timeout: float | None = None, history: bool = False,
              maxfev: int | None = None, local: bool = False, seed: int | None = None):
    """``--method auto``: a first method from the problem's structure, verified; complementary methods
    when the verdict is not a minimum, a limit stopped the run, or (small problems) as a second opinion;
    a global phase first when every variable has finite bounds. The best verified result wins; counts,
    time and history are summed over every step, and each step is one line of reasons.

    ``run_one(method, x0, timeout, history, fev_left, options)`` runs one registered method from x0 (the
    orchestrator's solve_one with the problem's settings; ``options``: that method's own, or None) and
    returns its Result. ``maxfev`` caps the f evaluations of all steps together; ``local`` skips the global
    phase; ``seed`` scrambles its Sobol points (the orchestrator gives the same seed to the global method
    through run_one: 0 when none was asked for, so auto is reproducible).
    """
    import time

    from gradcli.result import VerdictKind
    from gradcli.solvers.common import Interrupted

    started = time.perf_counter()
    first = choose(problem)
    x0 = list(problem.starts[start])
    steps, lines = [], []

    def left():
        """Seconds left (None: no limit); 0.0 also when the evaluation budget is spent."""
        if maxfev is not None and fev_left() <= 0:
            return 0.0
        return None if timeout is None else max(0.0, timeout - (time.perf_counter() - started))

    def fev_left():
        return None if maxfev is None else maxfev - sum(r.nfev for r in steps)

    def step(method, x, why, detail="", say=True, options=None):
        try:
            r = run_one(method, x, left(), history, fev_left(), options)
        except Interrupted as stop:          # Ctrl-C: the portfolio so far, as one interrupted result
            steps.append(stop.result)
            lines.append(f"{why} → {method}: interrupted (Ctrl-C)")
            raise Interrupted(_combine(steps, lines, stop.result)) from None
        steps.append(r)
        if say:
            kind = r.verdict.kind.value if r.verdict is not None else r.status.value
            lines.append(f"{why} → {method}{detail}: f = {r.fun:.10g}, {kind}")
        return r

    polished = []              # derivative-free points already polished with the first method
    if problem.finite_bounds and not problem.constraints and problem.n <= GLOBAL_MAX_N and not local:
        from gradcli.run.multistart import sobol_starts
        count = min(GLOBAL_STARTS_MAX, GLOBAL_STARTS_PER_N * problem.n)
        runs = [step(first.method, x0, "global phase", say=False)]
        for p in sobol_starts(problem, count - 1, 0 if seed is None else seed):
            if left() == 0.0:
                break
            runs.append(step(first.method, p, "global phase", say=False))
        best = _best(runs)
        minima = _distinct_minima(runs)
        lines.append(f"auto → {first.method} ({first.reason}; every variable in a finite box: a global phase "
                     f"from x0 and {len(runs) - 1} Sobol points): best f = {best.fun:.10g}, "
                     f"{sum(r.verified for r in runs)} verified minima, {minima} distinct")
        low = min(runs, key=lambda r: _rank(r)[1:])
        strict = all(r.verdict is not None and r.verdict.kind is VerdictKind.MINIMUM for r in runs)
        if (minima != 1 or not strict) and left() != 0.0:     # one value at strict minima only: one basin
            why = (f"{minima} different minima" if minima > 1 else "not every run verified"
                   if not all(r.verified for r in runs) else "degenerate minima (flat: a plateau looks like one "
                   "basin)") + ": many basins, the best of a few local runs may not be the global one"
            rugged = minima >= 3 and minima == sum(r.verified for r in runs)   # each run a basin of its own
            how = "; every verified run found another minimum: the exploring rand1bin strategy" if rugged else ""
            de = step(GLOBAL_METHOD, list(low.x), why, f" (its population seeded with the lowest point{how})",
                      options={"strategy": "rand1bin"} if rugged else None)
            if left() != 0.0 and de.x.size and all(map(_finite, de.x)):
                step(first.method, list(de.x), f"polish {GLOBAL_METHOD}'s point")
                polished.append(de)
    else:
        step(first.method, x0, "auto", f" ({first.reason})")
    from gradcli.solvers.registry import REGISTRY

    chain = [m for m in FOLLOW.get(first.method, ()) if REGISTRY.get(m).applicable(problem) is None]
    # no second opinion after a global phase (it is many opinions), above SECOND_OPINION_MAX_N variables, or
    # with constraints (SLSQP's verified KKT point; the alternatives cost 5-20 times more)
    opinion = len(steps) > 1 or problem.n > SECOND_OPINION_MAX_N or bool(problem.constraints)
    for method in chain:
        if left() == 0.0:
            break
        best = _best(steps)
        if _settled(best) and best.status.success:
            low = min(steps, key=lambda r: _rank(r)[1:])          # feasible, lowest f, verified or not
            if low is not best and low.fun < best.fun - 1e-12 * max(1.0, abs(best.fun)):
                step(method, list(low.x), f"a lower f ({low.fun:.6g}) at a point not verified: polish from there")
                continue
            if opinion:
                break
            step(method, x0, "a second opinion from the start")
            opinion = True
            continue
        why = "not a minimum" if best.verdict is not None and best.status.success else best.status.value
        restart = list(best.x) if best.x.size and all(map(_finite, best.x)) else x0
        step(method, restart, f"{why}: continue from the best point")
    best = _best(steps)
    if (REGISTRY.get(first.method).needs_grad and not REGISTRY.get(best.method).needs_grad and left() != 0.0
            and not any(best is p for p in polished) and best.x.size and all(map(_finite, best.x))):
        step(first.method, list(best.x), "derivative-free found the basin: polish with the gradient")
    target = _target(problem)
    boxed = problem.finite_bounds and problem.n <= GLOBAL_MAX_N      # the global phase searched the box
    if (target is not None and _short(_best(steps), target) and not local and not boxed and not problem.constraints
            and problem.n <= SECOND_OPINION_MAX_N and left() != 0.0):
        from gradcli.problem.starts import extra_starts
        before = _best(steps).fun
        points = extra_starts(x0, problem.bounds, min(TARGET_STARTS_MAX, TARGET_STARTS_PER_N * problem.n),
                              0 if seed is None else seed, problem.sha256 or "")
        tried = 0
        for p in points:
            if left() == 0.0:
                break
            tried += 1
            if not _short(step(first.method, p, "target", say=False), target):
                break
        now = _best(steps)
        lines.append(f"the published f* = {target[0]:.10g} not reached (f = {before:.10g}) → {first.method} from "
                     f"{tried} starts around x0: best f = {now.fun:.10g}, "
                     f"{'reached' if not _short(now, target) else 'still short of it'}")
    return _combine(steps, lines)


def _target(problem):
    """A problem file's published f* and compare's tolerance for it (None: no known minimum)."""
    s = problem.solution
    if s is None or s.f is None or not _finite(float(s.f)):
        return None
    return float(s.f), s.allowance()


def _short(r, target) -> bool:
    """Not yet a settled result within the tolerance of the published f*."""
    return not (_settled(r) and _finite(r.fun) and r.fun - target[0] <= target[1])


def _distinct_minima(runs, rel: float = 1e-6) -> int:
    """How many different values of f the verified runs ended at (equal within rel·max(1, |f|))."""
    values = sorted(r.fun for r in runs if r.verified and _finite(r.fun))
    count, last = 0, None
    for f in values:
        if last is None or f - last > rel * max(1.0, abs(last)):
            count, last = count + 1, f
    return count


def _finite(v) -> bool:
    import math
    return math.isfinite(v)


def _settled(r) -> bool:
    from gradcli.run.multistart import settled
    return settled(r)


def _rank(r):
    import math
    f = r.fun if math.isfinite(r.fun) else math.inf
    feasible = r.maxcv is None or r.maxcv <= 1e-6
    return (not _settled(r), not feasible, f)


def _best(steps):
    return min(steps, key=_rank)


def _combine(steps, lines, stopped=None):
    """The best step's point and verdict; counts, time and history summed over all steps. ``stopped``: the
    step Ctrl-C interrupted (the whole portfolio then says interrupted)."""
    import copy

    winner = _best(steps)
    best = copy.copy(winner)
    if stopped is not None:
        best.status, best.message = stopped.status, stopped.message
    best.method = "auto"
    best.nfev = sum(r.nfev for r in steps)
    best.njev = sum(r.njev for r in steps)
    best.nhev = sum(r.nhev for r in steps)
    best.nit = sum(r.nit or 0 for r in steps)
    best.time = sum(r.time for r in steps)      # the methods' own time; compiling is setup, as for any method
    best.setup_time = sum(r.setup_time or 0.0 for r in steps)
    best.extra = dict(best.extra)
    best.extra["auto_steps"] = [{"method": r.method, "fun": r.fun, "verdict": r.verdict.kind.value if r.verdict else None,
                                 "status": r.status.value, "nfev": r.nfev, "njev": r.njev, "nhev": r.nhev,
                                 "best": r is winner} for r in steps]
    best.extra["auto_reason"] = "; ".join(lines)
    if any("history" in r.extra for r in steps):
        merged, offset, low = [], 0, float("inf")
        for r in steps:
            for evals, f in r.extra.get("history", []):
                if f < low:
                    low = f
                    merged.append([evals + offset, f])
            offset += r.nfev + r.njev
        best.extra["history"] = merged
    best.extra.pop("solver_counts", None)      # one method's own report: not the portfolio's
    best.extra.pop("count_mismatch", None)
    return best
