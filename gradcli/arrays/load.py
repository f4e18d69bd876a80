"""Problem file → ArrayProblem, with the file's FILE:LINE: field: errors (like problem_file does)."""

from __future__ import annotations

from gradcli.errors import ExpressionError, ProblemError


def array_problem_from_text(pt, **overrides):
    from gradcli.problem.core import Solution
    from gradcli.problem.fileerror import ProblemFileError, _path
    from gradcli.arrays.problem import build_array_problem

    d = pt.doc
    for key in ("bounds", "constraints", "gradient", "dim"):
        if d.get(key) is not None or overrides.get(key):
            raise ProblemFileError(pt.path, pt.lines.get((key,)), key, "not supported for array problems (data:, "
                                   "define:, sized variables) yet")
    if not isinstance(d.get("variables"), dict):
        raise ProblemFileError(pt.path, pt.lines.get(("variables",)) or 1, "variables",
                               "an array problem names its variables with sizes, e.g. variables: {w: 784, b: 1}")
    params = dict(d.get("parameters") or {})
    params.update(overrides.get("params") or {})
    x0 = overrides.get("x0")
    starts = [] if x0 is not None else [s for s in d.get("starts") or [] if s != d.get("x0")]
    sol = d.get("solution")
    try:
        problem = build_array_problem(
            d["objective"], d["variables"], data=d.get("data"), define=d.get("define"), params=params,
            x0=x0 if x0 is not None else d.get("x0"), starts=starts, base=pt.path.parent,
            data_overrides=overrides.get("data"), name=d["name"], source=d.get("source", ""),
            description=d.get("description", ""), tags=list(d.get("tags") or []),
            solution=Solution(sol["f"], sol.get("x"), sol.get("tol")) if sol else None)
    except ExpressionError as exc:
        field = getattr(exc, "field", None) or "objective"
        raise ProblemFileError(pt.path, pt.lines.get(_path(field)), field, str(exc)) from None
    except ProblemError as exc:
        field = exc.field or ""
        if field == "x0" and x0 is not None:
            raise ProblemError(exc.reason, "--x0") from None
        if field.startswith("--data") or (field == "data" and overrides.get("data")):
            raise
        line = pt.lines.get(_path(field)) or pt.lines.get(_path(field.split(".")[0]))
        raise ProblemFileError(pt.path, line, field or None, exc.reason) from None
    problem.source_file = str(pt.path)
    problem.sha256 = pt.sha256
    return problem
