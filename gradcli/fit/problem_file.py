"""Problem files `gradcli fit` reads: ``model:`` + ``data:`` (+ ``y:``, ``p0:``, ``bounds:``), and
least-squares files (``residuals:``), which are fitted on their residuals with the exact Jacobian.

The data path is relative to the problem file's folder and must stay inside it (as array problems'
data: entries): a file from a stranger cannot read ../secrets.csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gradcli.errors import GradcliError
from gradcli.problem.fileerror import ProblemFileError


@dataclass
class FitProblem:
    """A fit file (or a residual file seen as a fit): the model, its start and bounds, the known RSS."""

    name: str
    model: object                        # FitModel or ResidualModel
    p0: object                           # dict by name, list in parameter order, or None (linear models)
    bounds: dict = field(default_factory=dict)   # name → (lo, hi), None for an open side
    f_star: float | None = None          # solution.f: the certified RSS
    x_star: list[float] | None = None
    tol: float | None = None
    source_file: str | None = None
    sha256: str | None = None


def _data_path(pt) -> str:
    raw = Path(pt.doc["data"])
    line = pt.lines.get(("data",))
    folder = pt.path.parent.resolve()
    if raw.is_absolute():
        raise ProblemFileError(pt.path, line, "data", f"'{raw}' is an absolute path; give it relative to "
                               "the problem file's folder")
    try:
        path = (folder / raw).resolve()
    except (OSError, ValueError, RuntimeError):
        raise ProblemFileError(pt.path, line, "data", f"'{str(raw)[:60]}' is not a usable path") from None
    if folder != path and folder not in path.parents:
        raise ProblemFileError(pt.path, line, "data", f"'{raw}' is outside the problem file's folder {folder}")
    return str(path)


def _in_file(pt, key: str, exc: GradcliError):
    text = str(exc)
    for flag in ("--data ", "--y ", "--p0 ", "--bounds "):
        text = text.replace(flag, "")
    return ProblemFileError(pt.path, pt.lines.get((key,)), key, text)


def load_fit(pt, sigma: str | None = None) -> FitProblem:
    """A fit file → FitProblem; read_table and build_model's errors carry FILE:LINE: data/model/y."""
    from gradcli.fit.data import read_table
    from gradcli.fit.model import build_model

    d = pt.doc
    try:
        table = read_table(_data_path(pt))
    except ProblemFileError:
        raise
    except GradcliError as exc:
        raise _in_file(pt, "data", exc) from None
    try:
        model = build_model(d["model"], table, y_text=d.get("y"), sigma=sigma)
    except GradcliError as exc:
        key = "y" if "--y" in str(exc) else "model"
        raise _in_file(pt, key, exc) from None
    p0 = d.get("p0")
    for key, names in (("p0", list(p0) if isinstance(p0, dict) else []), ("bounds", list(d.get("bounds") or {}))):
        for k in names:
            if k not in model.params:
                raise ProblemFileError(pt.path, pt.lines.get((key, k)), f"{key}.{k}",
                                       f"not a parameter of the model ({', '.join(model.params)})")
    if isinstance(p0, list) and len(p0) != model.p:
        raise ProblemFileError(pt.path, pt.lines.get(("p0",)), "p0", f"{len(p0)} values for {model.p} parameters "
                               f"({', '.join(model.params)}); give one per parameter or a mapping by name")
    sol = d.get("solution") or {}
    return FitProblem(d["name"], model, d.get("p0"), {k: tuple(v) for k, v in (d.get("bounds") or {}).items()},
                      sol.get("f"), sol.get("x"), sol.get("tol"), str(pt.path), pt.sha256)


def load_residual_fit(pt) -> FitProblem:
    """A least-squares file as a fit: the variables are the parameters, x0 the start."""
    from gradcli.fit.residuals import ResidualModel
    from gradcli.problem.file import problem_from_text

    problem = problem_from_text(pt)
    if problem.constraints:
        raise ProblemFileError(pt.path, pt.lines.get(("constraints",)), "constraints", "fit's methods take no "
                               "constraints; use gradcli minimize for this file")
    bounds = {}
    for name, (lo, hi) in zip(problem.variables, problem.bounds or []):
        if lo > float("-inf") or hi < float("inf"):
            bounds[name] = (None if lo == float("-inf") else lo, None if hi == float("inf") else hi)
    sol = problem.solution
    return FitProblem(problem.name, ResidualModel(problem), list(problem.x0), bounds,
                      sol.f if sol else None, sol.x if sol else None, sol.tol if sol else None,
                      str(pt.path), pt.sha256)


def load_for_fit(path, sigma: str | None = None) -> FitProblem:
    """`gradcli fit FILE`: a fit file or a least-squares file; any other kind is refused in one line."""
    from gradcli.problem.file import read_text
    from gradcli.problem.kinds import FIT, MINIMIZE, kind, least_squares, require

    pt = read_text(path)
    require(pt, (FIT, MINIMIZE), "gradcli fit reads model: + data: and residuals: files")
    if kind(pt.doc) == FIT:
        return load_fit(pt, sigma)
    if not least_squares(pt.doc):
        raise GradcliError(f"{pt.path} is a minimize problem (objective:) without residuals: use gradcli minimize "
                           "(gradcli fit reads model: + data: and residuals: files)")
    if sigma is not None:
        raise GradcliError("--sigma weights data rows; a residuals: file has none (write the weights into the "
                           "residuals)")
    return load_residual_fit(pt)
