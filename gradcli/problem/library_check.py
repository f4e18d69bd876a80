"""Checking a problem file against itself: it loads, evaluates finitely, and its solution is what it says."""

from __future__ import annotations

import math

import numpy as np

DEFAULT_TOL = 1e-6


def check_problem(path) -> tuple[bool, str]:
    """(ok, detail) for a file of any kind (gradcli/problem/kinds.py): a root file's known root has
    ‖F‖∞ ≤ tol; a fit file's model is finite at p0 and its certified RSS is the RSS at solution.x; a
    minimize file as below (a residuals: file's Σ rᵢ² = objective is checked when it loads)."""
    from gradcli.problem.file import read_text
    from gradcli.problem.kinds import FIT, ROOT, kind

    pt = read_text(path)
    if kind(pt.doc) == ROOT:
        from gradcli.roots.problem_file import check_root, load_root
        return check_root(load_root(pt))
    if kind(pt.doc) == FIT:
        return _check_fit(pt)
    return _check_minimize(pt)


def _check_fit(pt) -> tuple[bool, str]:
    from gradcli.fit.model import check_start
    from gradcli.fit.problem_file import load_fit
    from gradcli.fit.run import start_point

    fp = load_fit(pt)
    p0, _ = start_point(fp.model, fp.p0)
    check_start(fp.model, p0)
    r0 = fp.model.residuals(p0)
    notes = [f"{fp.model.n} rows; RSS(p0) = {float(r0 @ r0):.6g}"]
    if fp.x_star is not None and fp.f_star is not None:
        if len(fp.x_star) != fp.model.p:
            return False, f"solution.x has {len(fp.x_star)} values for {fp.model.p} parameters"
        r = fp.model.residuals(np.asarray(fp.x_star, dtype=float))
        rss, tol = float(r @ r), fp.tol or DEFAULT_TOL
        if not abs(rss - fp.f_star) <= tol * max(1.0, abs(fp.f_star)):
            return False, f"RSS(solution.x) = {rss:.10g} but solution.f = {fp.f_star:.10g} (tol {tol:g})"
        notes.append(f"RSS(x*) = f* = {fp.f_star:.6g} within {tol:g}")
    return True, "; ".join(notes)


def _check_minimize(pt) -> tuple[bool, str]:
    """f and ∇f finite at every start; f(x*) = f* within tol; a hand gradient equals ours."""
    from gradcli.expr.parse import parse
    from gradcli.problem.file import problem_from_text
    from gradcli.run.solve import compile_problem

    p = problem_from_text(pt)
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
    if p.least_squares:
        notes.append(f"{len(p.residual_exprs)} residuals" + (", Σ rᵢ² = objective" if "objective" in pt.doc else ""))
        if p.solution and p.solution.x is not None:      # f* again, from the residuals themselves
            from gradcli.symbolic.compile import compile_exprs
            r = np.asarray(compile_exprs(p.symbols, p.residual_exprs)(np.array(p.solution.x, dtype=float)))
            ss, tol = float(r @ r), p.solution.tol or DEFAULT_TOL
            if not abs(ss - p.solution.f) <= tol * max(1.0, abs(p.solution.f)):
                return False, f"Σ rᵢ²(solution.x) = {ss:.10g} but solution.f = {p.solution.f:.10g} (tol {tol:g})"
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
