"""`maximize`: max f is min −f, solved by every method as usual, then reported for f itself.

Nothing is left negated in what the user sees: f(x*), the best point seen, the trace, the Hessian's
eigenvalues and the verdict (a minimum of −f is a maximum of f) are all of f.
"""

from __future__ import annotations

from dataclasses import replace

from gradcli.errors import GradcliError
from gradcli.result import Result, VerdictKind


def negated(problem):
    """The same problem with −f as its objective."""
    if not problem.symbolic:
        raise GradcliError("maximize takes scalar expressions and problem files; for an array (data) problem "
                           "minimize the negated objective")
    # a file's solution is its minimum (format 1 has no sense): nothing to judge a maximum against
    return replace(problem, objective=f"-({problem.objective})", expr=-problem.expr, solution=None)


def mirror(result: Result) -> Result:
    """A result of min −f, restated for f."""
    result.sense = "max"
    result.fun = -result.fun
    if result.best_seen:
        result.best_seen = {**result.best_seen, "fun": -result.best_seen["fun"],
                            "returned_fun": -result.best_seen["returned_fun"]}
    for row in result.trace or []:
        row.f = -row.f
    for step in result.extra.get("auto_steps", []) + result.extra.get("multistart", []):
        step["fun"] = -step["fun"]
        if step.get("verdict"):
            step["verdict"] = VerdictKind(step["verdict"]).mirrored().value
    if "auto_reason" in result.extra:
        result.extra["auto_reason"] = "for −f (each method minimized −f): " + result.extra["auto_reason"]
    v = result.verdict
    if v is not None:
        lo, hi = v.min_eig, v.max_eig
        result.verdict = replace(v, kind=v.kind.mirrored(), f=-v.f,
                                 min_eig=None if hi is None else -hi, max_eig=None if lo is None else -lo,
                                 eigenvalues=None if v.eigenvalues is None else sorted(-e for e in v.eigenvalues),
                                 reason=f"{v.reason} (of −f, which was minimized)")
    return result
