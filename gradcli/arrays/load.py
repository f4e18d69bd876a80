"""Problem file → ArrayProblem, with the file's FILE:LINE: field: errors (like problem_file does)."""

from __future__ import annotations

from gradcli.errors import ExpressionError, GradcliError, ProblemError


def _from_command_line(field: str, in_file: list) -> bool:
    """constraints[i] past the file's own list is a --constraint (it has no line in the file)."""
    if not field.startswith("constraints["):
        return False
    return int(field[len("constraints["):].split("]")[0]) >= len(in_file)


def array_problem_from_text(pt, **overrides):
    from gradcli.problem.core import Solution
    from gradcli.problem.fileerror import ProblemFileError, _path
    from gradcli.arrays.problem import build_array_problem

    d = pt.doc
    for key in ("gradient", "dim"):
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
    bounds = dict(d.get("bounds") or {})
    bounds.update(overrides.get("bounds") or {})
    in_file = list(d.get("constraints") or [])
    given = list(overrides.get("constraints") or [])
    try:
        problem = build_array_problem(
            d["objective"], d["variables"], data=d.get("data"), define=d.get("define"), params=params,
            x0=x0 if x0 is not None else d.get("x0"), starts=starts, base=pt.path.parent,
            data_overrides=overrides.get("data"), bounds=bounds or None, constraints=in_file + given, name=d["name"], source=d.get("source", ""),
            description=d.get("description", ""), tags=list(d.get("tags") or []),
            solution=Solution(sol["f"], sol.get("x"), sol.get("tol")) if sol else None)
    except ExpressionError as exc:
        field = getattr(exc, "field", None) or "objective"
        if _from_command_line(field, in_file):
            raise GradcliError(f"--constraint: {exc}") from None
        raise ProblemFileError(pt.path, pt.lines.get(_path(field)), field, str(exc)) from None
    except ProblemError as exc:
        field = exc.field or ""
        if field == "x0" and x0 is not None:
            raise ProblemError(exc.reason, "--x0") from None
        if field.startswith("--data") or (field == "data" and overrides.get("data")):
            raise
        if _from_command_line(field, in_file) or (field.startswith("bounds.") and
                                                  field.split(".", 1)[1] in (overrides.get("bounds") or {})):
            raise GradcliError(f"--{'constraint' if field.startswith('constraints') else 'bounds'}: {exc.reason}") \
                from None
        line = pt.lines.get(_path(field)) or pt.lines.get(_path(field.split(".")[0]))
        raise ProblemFileError(pt.path, line, field or None, exc.reason) from None
    problem.source_file = str(pt.path)
    problem.sha256 = pt.sha256
    return problem
