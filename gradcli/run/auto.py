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
"""

from __future__ import annotations

from dataclasses import dataclass

SLSQP_MAX_N = 300
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
    if not problem.symbolic:      # array problem: exact gradient, no symbolic Hessian
        return Choice("l-bfgs-b", f"{problem.n} variables, an array (data) problem: exact reverse-mode gradient, "
                                  "limited memory, no n×n matrix")
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
