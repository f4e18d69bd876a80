"""`--format scipy`: each result in SciPy's own words, as the legacy ``fmin_*`` functions print it with
``disp=True``, then the result vector as ``print(xopt)`` shows it.

The text follows SciPy 1.17 (scipy/optimize/_optimize.py: ``_minimize_neldermead``, ``_minimize_powell``,
``_minimize_cg``, ``_minimize_bfgs``, ``_minimize_newtoncg``; scipy/optimize/_slsqp_py.py for
``fmin_slsqp``). A failed run's first line is SciPy's warning text (SciPy issues it as a warning on
stderr; older SciPy printed it as "Warning: ..."). Every count is the one our counters measured; when the
solver reported another, a line after the report says so.
"""

from __future__ import annotations

import numpy as np

SUCCESS = "Optimization terminated successfully."
# method → the legacy function whose disp text it gets, and which count lines that text has
LEGACY = {"nelder-mead": ("fmin", ()), "powell": ("fmin_powell", ()), "cg": ("fmin_cg", ("grad",)),
          "bfgs": ("fmin_bfgs", ("grad",)), "newton-cg": ("fmin_ncg", ("grad", "hess")),
          "slsqp": ("fmin_slsqp", ("grad",))}


def _gradients(r) -> int:
    """SciPy's gradient count: its finite-difference gradients under --gradient fd, else our ∇f calls."""
    fd = r.extra.get("fd_gradients")
    return int(fd) if fd is not None else r.njev


def legacy_lines(r, name: str) -> list[str]:
    """The lines ``scipy.optimize.<legacy>(..., disp=True)`` prints for this result (``name``: our method)."""
    if name == "slsqp":
        return _slsqp_lines(r)
    _, counts = LEGACY[name]
    first = SUCCESS if r.success else f"Warning: {r.message}"
    lines = [first, f"         Current function value: {r.fun:f}", f"         Iterations: {r.nit or 0:d}",
             f"         Function evaluations: {r.nfev:d}"]
    if "grad" in counts:
        lines.append(f"         Gradient evaluations: {_gradients(r):d}")
    if "hess" in counts:
        lines.append(f"         Hessian evaluations: {_solver(r, 'nhev', r.nhev):d}")
    return lines


def _solver(r, key: str, default: int) -> int:
    return int((r.extra.get("solver_counts") or {}).get(key, default))


def _slsqp_lines(r) -> list[str]:
    """fmin_slsqp's iprint=1 text: the exit mode's message, then counts printed with print(label, value)."""
    mode = r.extra.get("solver_status")
    tail = f"    (Exit mode {mode})" if mode is not None else ""
    return [f"{r.message}{tail}", f"            Current function value: {float(r.fun)}",
            f"            Iterations: {r.nit or 0}", f"            Function evaluations: {r.nfev}",
            f"            Gradient evaluations: {_gradients(r)}"]


def _plain_lines(r) -> list[str]:
    """Methods with no legacy disp text of this shape (L-BFGS-B, TNC, trust-region, global, our gd)."""
    return [f"{r.message}" if r.message else r.status.value, f"         Current function value: {r.fun:f}",
            f"         Iterations: {'-' if r.nit is None else r.nit}",
            f"         Function evaluations: {r.nfev:d}", f"         Gradient evaluations: {_gradients(r):d}"]


def vector_text(x) -> str:
    """The result vector as ``print(xopt)`` shows a NumPy array."""
    return str(np.asarray(x, dtype=float))


def _name(label: str) -> str | None:
    from gradcli.errors import GradcliError
    from gradcli.solvers.registry import REGISTRY
    try:
        return REGISTRY.get(label).name
    except GradcliError:
        return None


def scipy_report(results) -> list[str]:
    """Every result's report; with several methods, each under a header naming it (one method: SciPy's
    text alone, so it can be compared line for line)."""
    from gradcli.checks.stopping import count_mismatch

    out = []
    for r in results:
        name = _name(r.method)
        legacy = LEGACY.get(name)
        if len(results) > 1:
            out.append(f"{r.method} (scipy.optimize.{legacy[0]})" if legacy else r.method)
        if legacy is None:
            out.append(f"(SciPy has no legacy fmin_* report for {r.method}; the same facts in that shape:)")
        out += legacy_lines(r, name) if legacy else _plain_lines(r)
        out.append(vector_text(r.x))
        for k, (ours, theirs) in count_mismatch(r).items():
            out.append(f"(gradcli counted {k} = {ours}; the solver reported {theirs})")
        if len(results) > 1:
            out.append("")
    return out


def side_lines(results, skipped, notes, verbose: bool) -> list[str]:
    """What the table report would add (notes, skipped methods, our verdict, --verbose): for stderr,
    so that stdout stays SciPy's text and nothing the user asked for is dropped."""
    from gradcli.report.tables import trust_lines, verbose_lines

    out = list(notes)
    for r in results:
        out += trust_lines(r)
        if verbose:
            out += verbose_lines(r)
    out += [f"skipped {spec.name}: {why}" for spec, why in skipped]
    return out
