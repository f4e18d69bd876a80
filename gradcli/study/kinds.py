"""Which methods a study runs on each kind of problem file, and why a method named is skipped.

- minimize files: the registry's methods (``run.solve.select``); a least-squares file (residuals:) also
  lm, trf and dogbox on its residuals with the exact Jacobian;
- root files (equations:): root finders (hybr, lm, broyden1, ..., brentq, newton, ...);
- fit files (model: + data:): lm, trf and dogbox.

A method named with ``--methods`` that cannot run a problem is skipped with the reason (and counted as
not solved in the summary and profiles), never dropped silently. 'all' means every method that applies
to each problem; skips are reported for methods named, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gradcli.errors import GradcliError
from gradcli.run.solve import select
from gradcli.solvers.registry import REGISTRY

LEAST_SQUARES = ("trf", "dogbox", "lm")
ENGINE_MINIMIZE, ENGINE_LSQ, ENGINE_ROOT = "minimize", "least-squares", "root"


@dataclass
class Words:
    """--methods split by family; least-squares and root names canonical (lm is in both)."""

    registry: list[str] = field(default_factory=list)
    lsq: list[str] = field(default_factory=list)
    root: list[str] = field(default_factory=list)
    all: bool = False
    auto: bool = False


def _lsq_name(word: str) -> str | None:
    from gradcli.fit.methods import ALIASES
    key = ALIASES.get(word, word)
    return key if key in LEAST_SQUARES else None


def _root_name(word: str) -> str | None:
    from gradcli.roots import scalar, systems
    key = systems.ALIASES.get(word, word)
    return key if key in scalar.BRACKETING + scalar.FROM_X0 + systems.METHODS else None


def split_words(methods: str) -> Words:
    """An unknown name stops the study before anything runs (REGISTRY.get says which names exist)."""
    out = Words()
    words = [w.strip() for w in (methods or "").split(",") if w.strip()]
    if not words:
        raise GradcliError("--methods: give a method name, a comma-separated list, 'all' or 'auto'")
    for w in words:
        low = w.lower()
        lsq, root = _lsq_name(low), _root_name(low)
        if low == "all":
            out.all = True
        elif low == "auto":
            out.auto = True
        elif lsq or root:
            if lsq and lsq not in out.lsq:
                out.lsq.append(lsq)
            if root and root not in out.root:
                out.root.append(root)
        else:
            REGISTRY.get(w)
            out.registry.append(w)
    return out


def _lsq_why_not(method: str, problem) -> str | None:
    if not problem.least_squares:
        return f"least squares on residuals: {problem.name} has an objective only (no residuals:)"
    if problem.constraints:
        return "takes no constraints"
    if method == "lm" and problem.has_bounds:
        return "lm (MINPACK) takes no bounds; trf and dogbox do"
    if method == "lm" and len(problem.residual_exprs) < problem.n:
        return f"lm needs at least as many residuals as variables ({len(problem.residual_exprs)} < {problem.n})"
    return None


def plan_minimize(problem, w: Words) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """(method, engine) pairs to run on a minimize problem, and (problem, method, why) skipped."""
    runs: list[tuple[str, str]] = []
    skipped: list[tuple[str, str, str]] = []
    text = ",".join(w.registry + ["all"] * w.all + ["auto"] * w.auto)
    if text:
        sel = select(text, problem, strict=False)
        runs += [(s.name, ENGINE_MINIMIZE) for s in sel.specs]
        named = {REGISTRY.get(x).name for x in w.registry}
        skipped += [(problem.name, s.name, why) for s, why in sel.skipped if s.name in named]
    extra = [m for m in LEAST_SQUARES if m not in w.lsq] if w.all and problem.least_squares else []
    for m in w.lsq + extra:
        why = _lsq_why_not(m, problem)
        if why is None:
            runs.append((m, ENGINE_LSQ))
        elif m in w.lsq:
            skipped.append((problem.name, m, why))
    for m in w.root:
        if m not in w.lsq:
            skipped.append((problem.name, m, f"a root finder: {problem.name} is a minimize problem, not equations:"))
    return runs, skipped


def plan_other(problem, w: Words, root: bool) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Root finders on an equations: file (``root``), or lm, trf and dogbox on a model: + data: file.

    Both have one shape: the family's own names from --methods, plus with 'all' every member that applies;
    'auto' as its own method (the command's default, recorded as "auto"); a member that cannot run the
    problem skipped with the reason when it was named; every other family's name skipped with why.
    What differs is which names are the family's, what 'all' adds and how a member is checked.
    """
    own, engine = (w.root, ENGINE_ROOT) if root else (w.lsq, ENGINE_LSQ)
    check = _root_check if root else _fit_check
    runs: list[tuple[str, str]] = [("auto", engine)] if w.auto else []
    skipped: list[tuple[str, str, str]] = []
    names = list(own)
    if w.all:
        names += [m for m in (_every_root(problem) if root else LEAST_SQUARES) if m not in names]
    for m in names:
        name, why = check(m, problem)
        if why is None:
            runs.append((name, engine))
        elif m in own:
            skipped.append((problem.name, m, why))
    if root:
        what = f"{problem.name} is a root problem (equations:)"
        skipped += [(problem.name, REGISTRY.get(x).name, f"a minimize method: {what}") for x in w.registry]
        skipped += [(problem.name, m, f"least squares on residuals: {what}") for m in w.lsq if m not in w.root]
    else:
        why = f"{problem.name} is a fit problem (model: + data:): lm, trf and dogbox run it"
        skipped += [(problem.name, REGISTRY.get(x).name, why) for x in w.registry]
        skipped += [(problem.name, m, why) for m in w.root if m not in w.lsq]
    return runs, skipped


def _every_root(rp) -> list[str]:
    """The root finders 'all' means for this file (none when the file gives them nothing to start from)."""
    from gradcli.roots import run as runner
    try:
        return [s.method for s in runner.resolve("all", rp.eqs, rp.bracket, rp.x0)]
    except GradcliError:
        return []


def _root_check(m: str, rp) -> tuple[str | None, str | None]:
    """(the finder's name, None), or (None, why not) as `gradcli root` checks it (bracket, start)."""
    from gradcli.roots import run as runner
    try:
        specs = runner.resolve(m, rp.eqs, rp.bracket, rp.x0)
        runner.check(specs, rp.eqs, rp.bracket, rp.x0)
    except GradcliError as exc:
        return None, str(exc).replace("--method ", "")
    return specs[0].method, None


def _fit_check(m: str, fp) -> tuple[str | None, str | None]:
    if m == "lm" and fp.bounds:
        return None, "lm (MINPACK) takes no bounds; trf and dogbox do"
    return m, None
