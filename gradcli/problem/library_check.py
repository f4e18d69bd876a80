"""Checking a problem file against itself: it loads, evaluates finitely, and its solution is what it says."""

from __future__ import annotations

import math

import numpy as np

DEFAULT_TOL = 1e-6


def check_problem(path) -> tuple[bool, str]:
    """(ok, detail). f and ∇f finite at every start; f(x*) = f* within tol; a hand gradient equals ours."""
    from gradcli.expr.parse import parse
    from gradcli.problem.file import load_problem
    from gradcli.run.solve import compile_problem

    p = load_problem(path)
    obj = compile_problem(p)
    notes = []
    for i, x0 in enumerate(p.starts):
        x = np.array(x0, dtype=float)
        f, g = obj.fun_uncounted(x), obj.grad_uncounted(x)
        if not math.isfinite(f) or not np.all(np.isfinite(g)):
            return False, f"start {i}: f = {f}, ∇f finite: {bool(np.all(np.isfinite(g)))}"
    notes.append(f"f(x0) = {obj.fun_uncounted(np.array(p.starts[0])):.6g}")
    if p.solution and p.solution.x is not None:
        tol = p.solution.tol or DEFAULT_TOL
        fx = obj.fun_uncounted(np.array(p.solution.x, dtype=float))
        if not abs(fx - p.solution.f) <= tol * max(1.0, abs(p.solution.f)):
            return False, f"f(solution.x) = {fx:.10g} but solution.f = {p.solution.f:.10g} (tol {tol:g})"
        notes.append(f"f(x*) = f* = {p.solution.f:.6g} within {tol:g}")
    if p.gradient:
        from gradcli.symbolic.compile import compile_exprs
        hand = compile_exprs(p.symbols, [parse(g, p.params).expr for g in p.gradient])
        for x0 in p.starts:
            x = np.array(x0, dtype=float)
            ours, theirs = obj.grad_uncounted(x), hand(x)
            err = np.abs(ours - theirs) / np.maximum(1.0, np.abs(ours))
            if np.max(err) > 1e-8:
                k = int(np.argmax(err))
                return False, f"hand gradient component {p.variables[k]} = {theirs[k]:.10g}, derived {ours[k]:.10g}"
        notes.append("hand gradient = derived")
    return True, "; ".join(notes)
