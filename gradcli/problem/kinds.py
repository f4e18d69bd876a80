"""What kind of problem a file holds, decided by its keys in this one place.

- minimize: ``objective:`` and/or ``residuals:`` (a least-squares problem, f = Σ rᵢ²);
- fit: ``model:`` + ``data:`` (a data file), with ``y:`` and ``p0:``;
- root: ``equations:`` (a square system from ``x0``, or one equation with ``bracket:`` and/or ``x0``).

Each kind has its own keys; a key of another kind is refused with the line it is on (a file is one
problem, and a key that does nothing must not be silently ignored). Commands ask ``require`` for the
kinds they can use, so a root file given to `minimize` says which command reads it, in one line.
"""

from __future__ import annotations

from gradcli.problem.fileerror import ProblemFileError

MINIMIZE, FIT, ROOT = "minimize", "fit", "root"
MARK = {MINIMIZE: "objective:/residuals:", FIT: "model: + data:", ROOT: "equations:"}
COMMAND = {MINIMIZE: "gradcli minimize", FIT: "gradcli fit", ROOT: "gradcli root"}
COMMON = ("name", "description", "source", "tags", "solution")
KEYS = {
    MINIMIZE: COMMON + ("objective", "residuals", "variables", "data", "define", "parameters", "x0", "starts", "seed",
                        "dim", "bounds", "constraints", "gradient"),
    FIT: COMMON + ("model", "data", "y", "p0", "bounds"),
    ROOT: COMMON + ("equations", "variables", "parameters", "x0", "bracket", "dim"),
}


def kind(doc: dict) -> str:
    """The kind of a (schema-valid) problem file, from its keys."""
    if "equations" in doc:
        return ROOT
    if "model" in doc:
        return FIT
    return MINIMIZE


def least_squares(doc: dict) -> bool:
    """A minimize file written as residuals (lm, trf, dogbox can run it)."""
    return kind(doc) == MINIMIZE and "residuals" in doc


def describe(doc: dict) -> str:
    """'a root problem (equations:)', for messages."""
    k = kind(doc)
    if least_squares(doc):
        return "a least-squares problem (residuals:)"
    return f"a {k} problem ({'objective:' if k == MINIMIZE else MARK[k]})"


def require(pt, kinds: tuple[str, ...], reads: str = "") -> None:
    """One line when a command cannot use this file's kind, naming the command that can (``reads``: what
    the refusing command does read, added to the line)."""
    k = kind(pt.doc)
    if k not in kinds:
        from gradcli.errors import GradcliError
        raise GradcliError(f"{pt.path} is {describe(pt.doc)}: use {COMMAND[k]}" + (f" ({reads})" if reads else ""))


def check_keys(doc: dict, path, lines: dict) -> None:
    """After the schema: the keys a file of its kind needs, and none of another kind's."""
    k = kind(doc)
    for key in doc:
        if key not in KEYS[k]:
            raise ProblemFileError(path, lines.get((key,)), key, f"not a key of {describe(doc)}; a file is one kind: "
                                   "objective/residuals (minimize), model + data (fit) or equations (root)")
    sol = doc.get("solution") or {}
    if k == MINIMIZE:
        if "objective" not in doc and "residuals" not in doc:
            raise ProblemFileError(path, 1, "objective", "missing: give objective (or residuals: [r1, r2, ...] for a "
                                   "least-squares problem, or equations: for a root problem)")
        if isinstance(doc.get("data"), str):
            raise ProblemFileError(path, lines.get(("data",)), "data", "a file name here is for fit problems "
                                   "(model: + data:); an array problem's data: maps names to arrays")
        if "residuals" in doc and ("define" in doc or "data" in doc or isinstance(doc.get("variables"), dict)):
            raise ProblemFileError(path, lines.get(("residuals",)), "residuals", "not supported for array problems "
                                   "(data:, define:, sized variables); write the objective")
        if "x0" not in doc and "starts" not in doc:
            raise ProblemFileError(path, 1, "x0", "missing: give x0 (one number per variable) or starts")
        if "f" not in sol and "solution" in doc:
            raise ProblemFileError(path, lines.get(("solution",)), "solution", "'f' is missing (the known optimal "
                                   "value)")
    elif k == FIT:
        if not isinstance(doc.get("data"), str):
            where = ("data",) if "data" in doc else ("model",)
            raise ProblemFileError(path, lines.get(where), "data", "a fit problem (model:) needs data: FILE (a .csv, "
                                   ".dat/.txt, .npy or .npz path relative to this file)")
        if "f" not in sol and "solution" in doc:
            raise ProblemFileError(path, lines.get(("solution",)), "solution", "'f' is missing (the known RSS)")
    else:
        if "x0" not in doc and "bracket" not in doc:
            raise ProblemFileError(path, 1, "x0", "missing: a root problem needs x0 (one number per unknown), or "
                                   "bracket: [a, b] for one equation")
        if "f" in sol and sol["f"] != 0:
            raise ProblemFileError(path, lines.get(("solution", "f")), "solution.f", "a root problem's solution is "
                                   "F(x) = 0: give solution.x (a known root), and f: 0 or no f")


def is_problem_file(arg: str) -> bool:
    """A command's argument names a problem file (else it is an expression). Here, not in file.py, so that
    an expression on the command line never imports the file reader and its schema."""
    return arg.endswith((".yaml", ".yml"))
