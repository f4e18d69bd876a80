"""`fit --constraint "b1 + b2 <= 10"`: constraints on the parameters, and the verdict at a constrained fit.

Parsed by gradcli's own parser (``parse_relation``: g ≥ 0 or h = 0), differentiated once and compiled.
The methods that honour them are SciPy's minimize methods over the RSS that take constraints (slsqp,
trust-constr with the exact gradient 2Jᵀr; cobyla, cobyqa derivative-free); the least-squares methods
cannot, and asking one is an error, never a silently unconstrained fit.

The verdict follows gradcli/checks/verdict.py (same tolerances): feasibility from our own evaluation of
every constraint and bound; first order (KKT): Jᵀr = Σ λₖ∇cₖ over the active constraints and bounds, λ by
least squares, λ ≥ 0 for inequalities, the remainder small by fit's scale-free test; second order: the
Hessian of the Lagrangian JᵀJ + Σrᵢ∇²rᵢ − Σλₖ∇²cₖ on the tangent space of the strongly active constraints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from gradcli.checks.verdict import ACTIVE_TOL, FEASIBLE_TOL, STATIONARY_TOL
from gradcli.errors import GradcliError


@dataclass
class Constraint:
    text: str
    kind: str                 # 'ineq' (g ≥ 0) or 'eq' (h = 0)
    fun: object               # p → float
    jac: object               # p → (p,) gradient
    hess: object              # p → (p, p) Hessian


def parse_constraints(texts, model) -> list[Constraint]:
    """Each --constraint, on parameters only (a data column in a constraint is an error naming it)."""
    from gradcli.expr.parse import parse_relation
    from gradcli.symbolic.codegen import gradient, hessian
    from gradcli.symbolic.compile import compile_exprs

    out = []
    for text in texts:
        kind, expr = parse_relation(text)
        names = {s.name: s for s in expr.free_symbols}
        cols = [n for n in names if n in model.table.columns]
        if cols:
            raise GradcliError(f"--constraint '{text}': {cols[0]} is a data column; constraints are on the "
                               f"parameters ({', '.join(model.params)})")
        unknown = [n for n in names if n not in model.params]
        if unknown:
            raise GradcliError(f"--constraint '{text}': {unknown[0]} is not a parameter of the model "
                               f"({', '.join(model.params)})")
        if not names:
            raise GradcliError(f"--constraint '{text}': it names no parameter; a constraint limits parameters, "
                               "e.g. --constraint 'b1 + b2 <= 10'")
        syms = [names.get(n, sp.Symbol(n, real=True)) for n in model.params]
        grad = [sp.sympify(g) for g in gradient(expr, syms)]
        entries = hessian(gradient(expr, syms), syms)
        f, g = compile_exprs(syms, [expr]), compile_exprs(syms, grad)
        h = compile_exprs(syms, list(entries.values())) if entries else None
        out.append(Constraint(" ".join(text.split()), kind, _scalar(f), _vector(g, model.p),
                              _matrix(h, list(entries), model.p)))
    return out


def _scalar(fn):
    def value(p):
        return float(np.asarray(fn(np.asarray(p, dtype=float))).reshape(-1)[0])
    return value


def _vector(fn, n):
    def grad(p):
        return np.asarray(fn(np.asarray(p, dtype=float)), dtype=float).reshape(n)
    return grad


def _matrix(fn, keys, n):
    def hess(p):
        out = np.zeros((n, n))
        if fn is None:
            return out
        vals = np.asarray(fn(np.asarray(p, dtype=float)), dtype=float).reshape(len(keys))
        for (i, j), v in zip(keys, vals):
            out[i, j] = out[j, i] = v
        return out
    return hess


TIGHT = 1e-12          # trust-constr's gtol, cobyla's final rho, cobyqa's final trust radius (in scaled units)


def minimize_constrained(method: str, counter, p0, s):
    """One constrained minimize method over the RSS, in scaled variables u = p/d (d = |p0|, 1 where p0 = 0)
    with the RSS divided by RSS(p0): Misra1a's b1 ≈ 240 and b2 ≈ 5e-4 otherwise defeat slsqp (measured: it
    stops at b1 = −2812). The tolerances are tight (slsqp ftol = --ftol, default 1e-15; trust-constr gtol
    1e-12, xtol = --xtol; cobyla and cobyqa a final radius of 1e-12), so the result carries the digits the
    KKT check asks for. Returns (p, success, status, message) as gradcli.fit.methods' runners do."""
    import warnings

    from scipy.optimize import minimize

    p0 = np.asarray(p0, dtype=float)
    d = np.where(p0 != 0, np.abs(p0), 1.0)
    r0 = counter.model.residuals(p0)
    f0 = float(r0 @ r0)
    f0 = f0 if np.isfinite(f0) and f0 > 0 else 1.0
    exact = method in ("slsqp", "trust-constr")
    cons = [{"type": c.kind, "fun": (lambda u, c=c: c.fun(u * d)),
             **({"jac": (lambda u, c=c: c.jac(u * d) * d)} if exact else {})} for c in s.constraints]
    kw: dict = {"constraints": cons}
    if exact:
        kw["jac"] = lambda u: counter.rss_grad(u * d) * d / f0
    if s.bounded:
        kw["bounds"] = list(zip(s.lower / d, s.upper / d))
    options = {"slsqp": {"ftol": s.ftol, "maxiter": 1000}, "trust-constr": {"gtol": TIGHT, "xtol": s.xtol, "barrier_tol": TIGHT},
               "cobyla": {"tol": TIGHT}, "cobyqa": {"final_tr_radius": TIGHT}}[method]
    if s.max_nfev:
        options["maxfev" if method == "cobyqa" else "maxiter"] = s.max_nfev
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = minimize(lambda u: counter.rss(u * d) / f0, p0 / d, method=method, options=options, **kw)
    return res.x * d, bool(res.success), "converged" if res.success else "stopped", str(res.message)


def max_violation(constraints: list[Constraint], p, lower=None, upper=None) -> float:
    p = np.asarray(p, dtype=float)
    worst = 0.0
    if lower is not None:
        worst = max(worst, float(np.max(np.maximum(lower - p, 0.0))), float(np.max(np.maximum(p - upper, 0.0))))
    for c in constraints:
        v = c.fun(p)
        worst = max(worst, abs(v) if c.kind == "eq" else max(-v, 0.0))
    return worst if np.isfinite(worst) else np.inf


def constrained_verdict(model, p, constraints: list[Constraint], lower=None, upper=None):
    """The verdict at ``p`` of a fit under ``constraints`` (and bounds): see the module doc."""
    from gradcli.fit.verdict import NOISE, STATIONARY_COS, Verdict

    p = np.asarray(p, dtype=float)
    r, J = model.residuals(p), model.jacobian(p)
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(J)) and np.all(np.isfinite(p))):
        return Verdict("not finite", "not a minimum: the residuals or Jacobian are not finite there")
    maxcv = max_violation(constraints, p, lower, upper)
    if not maxcv <= FEASIBLE_TOL:
        return Verdict("infeasible", f"infeasible: largest constraint violation {maxcv:.2g} > {FEASIBLE_TOL:g}",
                       maxcv=maxcv)
    g = J.T @ r                                    # half the gradient of the RSS
    rows, names, kinds, cons = _active(constraints, p, lower, upper, model.params)
    A = np.array(rows).reshape(len(rows), model.p)
    lam = np.linalg.lstsq(A.T, g, rcond=None)[0] if rows else np.zeros(0)
    rest = g - A.T @ lam
    col = np.linalg.norm(J, axis=0)
    rnorm = float(np.linalg.norm(r))
    fnorm = float(np.linalg.norm(model.values(p) * (model.weights if model.weights is not None else 1.0)))
    scale = np.maximum(col * rnorm, 1e-300)
    worst = float(np.max(np.abs(rest) / scale))
    mult = {nm: float(v) for nm, v in zip(names, lam)}
    base = dict(gradient_cos=worst, maxcv=maxcv, multipliers=mult, active_constraints=names)
    big = max(1.0, float(np.max(np.abs(lam)))) if lam.size else 1.0
    wrong = [k for k in range(len(names)) if kinds[k] == "ineq" and lam[k] < -STATIONARY_TOL * big]
    if np.any(np.abs(rest) > STATIONARY_COS * col * rnorm + NOISE * col * fnorm):
        j = int(np.argmax(np.abs(rest) / scale))
        return Verdict("not converged", f"not a KKT point: the RSS still falls along {model.params[j]} within the "
                       f"active constraints (|∂C/∂{model.params[j]} − Σλ∇c| is {worst:.1e} of ‖J‖‖r‖)", **base)
    if wrong:
        return Verdict("not converged", f"not a minimum: the multiplier of {names[wrong[0]]} is negative "
                       f"({lam[wrong[0]]:.3g}): the RSS decreases into the feasible side", **base)
    H = J.T @ J + model.hessian_sum(p, r)
    for lk, c in zip(lam, cons):
        if c is not None:
            H = H - lk * c.hess(p)
    keep = [k for k in range(len(names)) if kinds[k] == "eq" or abs(lam[k]) > STATIONARY_TOL * big]
    if keep:
        from scipy.linalg import null_space
        Z = null_space(A[keep])
    else:
        Z = np.eye(model.p)
    on = f" (active: {', '.join(names)})" if names else ""
    if Z.shape[1] == 0:
        return Verdict("minimum", f"minimum of the RSS at a vertex{on}: the active constraints fix p, every "
                       "multiplier has the right sign (our own evaluation)", curvature=1.0, **base)
    d = np.maximum(np.linalg.norm(J @ Z, axis=0), 1e-300)
    Hz = (Z.T @ H @ Z) / np.outer(d, d)
    eig = np.linalg.eigvalsh((Hz + Hz.T) / 2)
    curv = float(eig[0] / eig[-1]) if eig[-1] > 0 else float("-inf")
    from gradcli.fit.verdict import CURVATURE_TOL
    if curv < -CURVATURE_TOL:
        return Verdict("saddle", f"saddle point of the RSS on the constraints{on}: negative curvature along them",
                       curvature=curv, **base)
    if curv <= CURVATURE_TOL:
        return Verdict("degenerate", f"not verified: the RSS is flat along the constraints{on}", curvature=curv,
                       **base)
    return Verdict("minimum", f"minimum of the RSS under the constraints{on}: feasible (violation {maxcv:.1e}), "
                   "KKT conditions hold, the Lagrangian's Hessian positive definite on the tangent space (our own "
                   "evaluation)", curvature=curv, **base)


def _active(constraints, p, lower, upper, params):
    """Gradients of the active constraints and bounds (as c ≥ 0), their names, kinds and Constraint objects."""
    rows, names, kinds, cons = [], [], [], []
    size = max(1.0, float(np.max(np.abs(p))))
    for c in constraints:
        if c.kind == "eq" or abs(c.fun(p)) <= ACTIVE_TOL * size:
            rows.append(c.jac(p))
            names.append(c.text)
            kinds.append(c.kind)
            cons.append(c)
    if lower is not None:
        for i, (lo, hi) in enumerate(zip(lower, upper)):
            for b, sign, op in ((lo, 1.0, ">="), (hi, -1.0, "<=")):
                if np.isfinite(b) and abs(p[i] - b) <= ACTIVE_TOL * max(1.0, abs(b)):
                    e = np.zeros(len(p))
                    e[i] = sign
                    rows.append(e)
                    names.append(f"{params[i]} {op} {b:g}")
                    kinds.append("ineq")
                    cons.append(None)
    return rows, names, kinds, cons
