"""Root problem files (``equations: [F1, ...]``): a square system from ``x0``, or one equation with
``bracket: [a, b]`` and/or ``x0``. Read by `gradcli root FILE`, `problems check` and `compare`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gradcli.errors import ExpressionError, GradcliError, ProblemError
from gradcli.problem.fileerror import ProblemFileError

CHECK_TOL = 1e-10      # problems check: the known root has ‖F‖∞ ≤ this·max(1, ‖F(x0)‖∞) (root's default)


@dataclass
class RootProblem:
    name: str
    eqs: object                          # gradcli.roots.equations.Equations, compiled
    x0: list[float] | None
    bracket: tuple[float, float] | None
    root: list[float] | None = None      # solution.x: a known root
    tol: float | None = None             # solution.tol
    source: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    source_file: str | None = None
    sha256: str | None = None

    @property
    def n(self) -> int:
        return self.eqs.n

    @property
    def starts(self) -> list:
        """The runs a study makes of it: from x0, or (one equation, bracket only) one bracketed run."""
        return [self.x0] if self.x0 is not None else [None]


def load_root(pt, compile: bool = True) -> RootProblem:
    """A validated root file → RootProblem (every error FILE:LINE: field: message); ``compile=False``:
    checked and parsed, F and J not compiled (``problems list``)."""
    from gradcli.expr.parse import natural_key, parse
    from gradcli.problem.core import _variables, _vector
    from gradcli.roots.equations import build

    d = pt.doc
    params = dict(d.get("parameters") or {})
    names: set[str] = set()
    for i, text in enumerate(d["equations"]):
        where = ("equations", i)
        if ";" in text:
            raise ProblemFileError(pt.path, pt.lines.get(where), f"equations[{i}]",
                                   "one equation per list item (no ';')")
        try:
            names.update(parse(text, params, what="equation", dim=d.get("dim")).names)
        except ExpressionError as exc:
            raise ProblemFileError(pt.path, pt.lines.get(where), f"equations[{i}]", str(exc)) from None
    try:
        variables = _variables(tuple(sorted(names, key=natural_key)), d.get("variables"), "; ".join(d["equations"]))
        eqs = build("; ".join(d["equations"]), variables=list(variables), params=params, dim=d.get("dim"),
                    compile=compile)
    except ProblemError as exc:
        field_ = "variables" if exc.field == "variables" else "equations"
        raise ProblemFileError(pt.path, pt.lines.get((field_,)), field_, exc.reason) from None
    except GradcliError as exc:
        raise ProblemFileError(pt.path, pt.lines.get(("equations",)), "equations", str(exc)) from None
    x0 = bracket = None
    try:
        if "x0" in d:
            x0 = _vector(d["x0"], eqs.variables, "x0")
        sol = d.get("solution") or {}
        root = _vector(sol["x"], eqs.variables, "solution.x") if "x" in sol else None
    except ProblemError as exc:
        raise ProblemFileError(pt.path, pt.lines.get(("x0",) if exc.field == "x0" else ("solution", "x")),
                               exc.field, exc.reason) from None
    if "bracket" in d:
        a, b = (float(v) for v in d["bracket"])
        line = pt.lines.get(("bracket",))
        if not eqs.scalar:
            raise ProblemFileError(pt.path, line, "bracket", f"a bracket is for one equation in one unknown; this has "
                                   f"{eqs.m} equations in {eqs.n} unknowns: give x0")
        if not (math.isfinite(a) and math.isfinite(b)) or a >= b:
            raise ProblemFileError(pt.path, line, "bracket", f"[{a:g}, {b:g}]: write [a, b] with finite a < b")
        bracket = (a, b)
    if x0 is None and eqs.m != eqs.n:
        raise ProblemFileError(pt.path, 1, "x0", "missing: a system needs a start, one number per unknown")
    return RootProblem(d["name"], eqs, x0, bracket, root, (d.get("solution") or {}).get("tol"),
                       d.get("source", ""), d.get("description", ""), list(d.get("tags") or []), str(pt.path),
                       pt.sha256)


def load_file(path) -> RootProblem:
    """`gradcli root FILE`: an equations: file; any other kind is refused in one line."""
    from gradcli.problem.file import read_text
    from gradcli.problem.kinds import ROOT, require

    pt = read_text(path)
    require(pt, (ROOT,), "gradcli root reads equations: files")
    return load_root(pt)


def check_root(rp: RootProblem) -> tuple[bool, str]:
    """problems check: F finite at the start (or the bracket's ends), and the known root is a root."""
    eqs = rp.eqs
    notes = []
    if rp.x0 is not None:
        F0 = eqs.F_uncounted(rp.x0)
        if not np.all(np.isfinite(F0)):
            return False, f"F(x0) is not finite: {F0.tolist()}"
        notes.append(f"‖F(x0)‖∞ = {float(np.max(np.abs(F0))):.6g}")
    if rp.bracket is not None:
        fa, fb = (float(eqs.F_uncounted([t])[0]) for t in rp.bracket)
        if not (math.isfinite(fa) and math.isfinite(fb)) or fa * fb > 0:
            return False, f"f(a) = {fa:.6g}, f(b) = {fb:.6g}: no sign change over the bracket"
        notes.append("sign change over the bracket")
    if rp.root is not None:
        from gradcli.roots.verdict import tolerance
        tol = rp.tol or tolerance(eqs, rp.x0, CHECK_TOL, rp.bracket)
        res = float(np.max(np.abs(eqs.F_uncounted(rp.root))))
        if not res <= tol:
            return False, f"‖F(solution.x)‖∞ = {res:.3g} > {tol:.3g}: solution.x is not a root"
        notes.append(f"‖F(x*)‖∞ = {res:.2g} ≤ {tol:.2g}")
    return True, "; ".join(notes)
