"""Least-squares problem files: ``residuals: [r1, r2, ...]`` with f = Σ rᵢ² (Moré, Garbow & Hillstrom's form).

Without ``objective:`` the objective is the sum of squares itself. With both, the file states the same
function twice, and a file that contradicts itself is refused: Σ rᵢ² is compared with the objective at
every start and at RANDOM_POINTS points drawn around the first (seeded by the file's text, so the check
is the same on every run). Two different expressions agreeing to 1e-9 at eight random points by chance
is not a practical risk; a symbolic proof (expanding Σ rᵢ² − f) can take minutes on MGH's larger
problems, and a numeric check costs one compile.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from gradcli.errors import ExpressionError
from gradcli.problem.fileerror import ProblemFileError

RANDOM_POINTS = 8
SPREAD = 0.5            # random points: x0 + SPREAD·max(1, |x0|)·z, z standard normal
AGREE = 1e-9            # |f − Σrᵢ²| ≤ AGREE·max(1, |f|, Σ|rᵢ|²) at every point


def sum_of_squares(texts: list[str]) -> str:
    """The objective a residual file stands for, as text."""
    return " + ".join(f"({t})**2" for t in texts)


def parse_residuals(pt, params: dict, dim: int | None, names: tuple[str, ...]) -> list:
    """Each residual parsed (errors carry FILE:LINE: residuals[i]), using only the problem's variables."""
    from gradcli.expr.parse import parse

    out = []
    for i, text in enumerate(pt.doc["residuals"]):
        where = ("residuals", i)
        try:
            parsed = parse(text, params, what="residual", dim=dim)
        except ExpressionError as exc:
            raise ProblemFileError(pt.path, pt.lines.get(where), f"residuals[{i}]", str(exc)) from None
        extra = [s for s in parsed.names if s not in names]
        if extra:
            raise ProblemFileError(pt.path, pt.lines.get(where), f"residuals[{i}]",
                                   f"{extra[0]} is not a variable of the objective ({', '.join(names)})")
        out.append(parsed.expr)
    return out


def check_sum(pt, problem, exprs: list) -> None:
    """Refuse the file when Σ rᵢ² differs from its objective somewhere it should not."""
    if pt.sha256 in _CHECKED:          # a study loads each file in the planner and again in its worker
        return
    r = _evaluator(problem.symbols, exprs)
    f = _evaluator(problem.symbols, [problem.expr])
    seed = int.from_bytes(hashlib.sha256(pt.text.encode()).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    x0 = np.asarray(problem.starts[0], dtype=float)
    points = [np.asarray(s, dtype=float) for s in problem.starts]
    points += list(x0 + SPREAD * np.maximum(1.0, np.abs(x0)) * rng.standard_normal((RANDOM_POINTS, problem.n)))
    for x in points:
        with np.errstate(all="ignore"):
            rv = np.asarray(r(x), dtype=float).ravel()
            fv = float(np.asarray(f(x), dtype=float).ravel()[0])
            ss = float(rv @ rv)
        if not (math.isfinite(fv) or math.isfinite(ss)):
            continue                   # undefined for both (a log of a negative number): nothing to compare
        if not abs(fv - ss) <= AGREE * max(1.0, abs(fv), abs(ss)):
            at = ", ".join(f"{v}={a:.6g}" for v, a in zip(problem.variables, x))
            raise ProblemFileError(pt.path, pt.lines.get(("residuals",)), "residuals",
                                   f"Σ rᵢ² = {ss:.10g} but objective = {fv:.10g} at ({at}); the residuals must "
                                   "square and sum to the objective (or leave the objective out)")
    _CHECKED.add(pt.sha256)


_CHECKED: set[str] = set()


def _evaluator(symbols, exprs):
    """Values of ``exprs`` at a handful of points: SymEngine's interpreter is built in milliseconds, where
    generating and compiling code for 99 residuals took a quarter of a second (this check runs at every
    load); the compiled path stays for expressions SymEngine cannot take."""
    from gradcli.symbolic import codegen

    converted = [codegen.to_symengine(e) for e in exprs] if all(codegen.smooth(e) for e in exprs) else [None]
    if all(c is not None for c in converted):
        import symengine as se
        fn = se.Lambdify([se.Symbol(s.name) for s in symbols], converted, backend="lambda", real=True)
        return lambda x: fn(np.asarray(x, dtype=float))
    from gradcli.symbolic.compile import compile_exprs
    return compile_exprs(symbols, exprs)
