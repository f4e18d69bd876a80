"""Which methods a `root` request means, the checks on its input, and the runs, in the order asked."""

from __future__ import annotations

import time
from dataclasses import dataclass

from gradcli.errors import GradcliError
from gradcli.roots import fixed_point as fp
from gradcli.roots import scalar, systems
from gradcli.roots.verdict import tolerance
from gradcli.roots.watch import TimeUp, Watch


@dataclass(frozen=True)
class Spec:
    label: str          # as the user wrote it (fsolve), or the method's own name
    method: str         # SciPy's name (hybr)
    family: str         # bracketing | from-x0 | system | fixed-point


def _family(name: str) -> str:
    if name in scalar.BRACKETING:
        return "bracketing"
    if name in scalar.FROM_X0:
        return "from-x0"
    return "system"


def resolve(text: str | None, eqs, bracket, x0) -> list[Spec]:
    """'brentq,halley' / 'all' / None (the default) → specs, each checked against what was given."""
    if eqs.fixed_point:
        names = list(fp.METHODS) if text == "all" else _names(text or "del2")
        bad = [n for n in names if n not in fp.METHODS]
        if bad:
            raise GradcliError(f"--method {bad[0]}: with --fixed-point the methods are {', '.join(fp.METHODS)} "
                               "(SciPy's fixed_point)")
        if x0 is None:
            raise GradcliError("--fixed-point needs a start: --x0 " + ",".join(["1"] * eqs.n))
        return [Spec(n, n, "fixed-point") for n in dict.fromkeys(names)]
    if text is None:
        names = (["brentq"] if bracket is not None else ["newton"]) if eqs.scalar else ["hybr"]
    elif text == "all":
        if eqs.scalar:
            names = (list(scalar.BRACKETING) if bracket is not None else []) + \
                    (list(scalar.FROM_X0) if x0 is not None else [])
        else:
            names = list(systems.METHODS) if eqs.m == eqs.n else ["lm"]
    else:
        names = _names(text)
    specs = []
    known = scalar.BRACKETING + scalar.FROM_X0 + systems.METHODS + tuple(systems.ALIASES)
    for name in dict.fromkeys(names):
        if name not in known:
            raise GradcliError(f"--method {name}: unknown; one equation: {', '.join(scalar.BRACKETING + scalar.FROM_X0)}; "
                               f"systems: {', '.join(systems.METHODS)} (aliases fsolve, newton_krylov); or all")
        method = systems.ALIASES.get(name, name)
        label = f"{name} ({method})" if name != method else name
        specs.append(Spec(label, method, _family(method)))
    _need(specs, eqs, bracket, x0)
    return specs


def _names(text: str) -> list[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if not names:
        raise GradcliError("--method: give a method name, a comma-separated list, or all")
    return names


def _need(specs: list[Spec], eqs, bracket, x0) -> None:
    for s in specs:
        if s.family in ("bracketing", "from-x0") and not eqs.scalar:
            raise GradcliError(f"--method {s.label}: for one equation in one unknown; this has {eqs.m} equations in "
                               f"{eqs.n} unknowns: use hybr (the default for systems) or another system method")
        if s.family == "bracketing" and bracket is None:
            raise GradcliError(f"--method {s.label} needs --bracket A:B with f(A) and f(B) of opposite signs")
        if s.family != "bracketing" and x0 is None:
            raise GradcliError(f"--method {s.label} needs a start: --x0 " + ("2" if eqs.n == 1 else ",".join(["1"] * eqs.n)))


def check(specs: list[Spec], eqs, bracket, x0) -> None:
    """All bad input is found before the first run: one clear line instead of a half-printed table."""
    if any(s.family == "bracketing" for s in specs):
        scalar.check_bracket(eqs, *bracket)
    for s in specs:
        if s.family == "from-x0":
            scalar.check_start(eqs, s.method, x0[0])
        elif s.family == "system":
            systems.check_system(eqs, s.method, x0)
        elif s.family == "fixed-point":     # square by construction; g(x0) must be defined
            systems.check_system(eqs, "lm", x0)


def run(specs: list[Spec], eqs, bracket, x0, rtol: float, maxiter: int | None = None, x1: float | None = None,
        timeout: float | None = None, history: bool = False):
    """Every requested method, with one tolerance for all (``verdict.tolerance``). ``timeout`` (seconds, per
    method) and ``history`` are compare's: see gradcli/roots/watch.py; each run's ``history`` is set then."""
    tol = tolerance(eqs, x0, rtol, bracket)
    out = []
    for s in specs:
        watch = Watch(eqs, timeout, history)
        started = time.perf_counter()
        try:
            with watch.attached():
                rr = _one(s, eqs, bracket, x0, tol, maxiter, x1)
        except TimeUp:
            rr = _timed_out(s, eqs, tol, watch, started)
        rr.history = watch.points
        out.append(rr)
    return tol, out


def _one(s: Spec, eqs, bracket, x0, tol: float, maxiter, x1):
    if s.family == "bracketing":
        return scalar.run_bracketing(eqs, s.method, bracket[0], bracket[1], tol, maxiter)
    if s.family == "from-x0":
        return scalar.run_from_x0(eqs, s.method, x0[0], tol, x1, maxiter)
    if s.family == "fixed-point":
        return fp.run_fixed_point(eqs, s.method, x0, tol, maxiter)
    return systems.run_system(eqs, s.method, x0, tol, maxiter, label=s.label)


def _timed_out(s: Spec, eqs, tol: float, watch: Watch, started: float):
    """A run stopped by the deadline: judged at the best point it evaluated, with the counts so far."""
    from gradcli.roots.result import Clock

    clock = Clock(eqs, s.label, tol, reset=False, started=started)
    message = f"time limit reached: stopped after --timeout {watch.seconds:g} s"
    if watch.best_x is None:
        rr = clock.error(message)
    else:
        rr = clock.done(watch.best_x if not eqs.scalar else float(watch.best_x[0]), nit=None, success=False,
                        message=message, scipy_counts={}, ours_vs_theirs={})
    rr.timed_out = True
    return rr
