"""The report of `gradcli fit`: Rich tables for people, one JSON record per method for programs.

Nothing here computes a number: every value printed comes from the fit's own statistics and verdict.
"""

from __future__ import annotations

import json
import math

from rich.table import Table
from rich.text import Text

from gradcli.report.narrow import fitted
from gradcli.report.tables import num

MAX_MATRIX = 6          # above this many parameters the correlation matrix is summarised by its flagged pairs


def _f(v):
    """A JSON-safe float: nan and inf become null (JSON has no NaN)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _time(t: float) -> str:
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def record(model, result, settings, absolute_sigma: bool, sigma: str | None, notes=()) -> dict:
    r, st, v = result.run, result.stats, result.verdict
    names = list(model.params)
    params = []
    held = _held(st)
    for k, name in enumerate(names):
        val, se = float(r.x[k]), st.stderr[k]
        params.append({"name": name, "value": _f(val), "stderr": _f(se),
                       "rel_err": _f(abs(se / val)) if val != 0 and math.isfinite(se) else None,
                       "ci_low": _f(st.ci_low[k]), "ci_high": _f(st.ci_high[k]), "at_bound": k in held})
    return {
        "model": model.text, "response": model.y_text, "data": model.table.path, "rows": model.n,
        "predictors": list(model.predictors), "linear": model.linear,
        "method": r.method, "label": r.label, "exact": r.exact,
        "parameters": params, "ci_level": 0.95, "t_value": _f(st.t_value),
        "rss": _f(st.rss), "residual_sd": _f(st.residual_sd), "dof": st.dof, "r2": _f(st.r2),
        "chi2_reduced": _f(st.chi2_reduced), "aic": _f(st.aic), "bic": _f(st.bic),
        "correlation": {"names": names, "matrix": [[_f(c) for c in row] for row in st.correlation],
                        "flagged": [{"a": names[i], "b": names[j], "r": _f(c)} for i, j, c in st.flagged]},
        "covariance": [[_f(c) for c in row] for row in st.covariance],
        "nfev": r.nfev, "njev": r.njev, "time": r.time, "status": r.status, "message": r.message,
        "success": r.success, "verdict": v.kind, "verdict_text": v.text, "gradient_cos": _f(v.gradient_cos),
        "curvature": _f(v.curvature), "unidentifiable": v.unidentifiable, "active_bounds": v.active_bounds,
        "held_at_bound": [names[k] for k in sorted(held)],
        "loss": settings.loss, "f_scale": settings.f_scale, "sigma": sigma, "absolute_sigma": absolute_sigma,
        "tolerances": {"xtol": settings.xtol, "ftol": settings.ftol, "gtol": settings.gtol},
        "constraints": [c.text for c in settings.constraints], "maxcv": _f(v.maxcv),
        "multipliers": {k: _f(m) for k, m in v.multipliers.items()}, "active_constraints": v.active_constraints,
        "notes": list(notes),
    }


def _held(stats) -> set[int]:
    """Parameters held on an active bound for the covariance (no standard error of their own)."""
    return set() if stats.held is None else {int(k) for k in stats.held.nonzero()[0]}


def fit_json(model, results, skipped, settings, absolute_sigma, sigma, notes=(), best=None) -> str:
    recs = [record(model, r, settings, absolute_sigma, sigma, notes) for r in results]
    if len(recs) == 1 and not skipped:
        return json.dumps(recs[0], indent=2)
    return json.dumps({"runs": recs, "best": best, "skipped": [{"method": m, "reason": why} for m, why in skipped]},
                      indent=2)


def comparison_table(results, best) -> Table:
    t = Table(title=Text("methods compared"), header_style="bold")
    for name, just in (("method", "left"), ("RSS", "right"), ("r", "right"), ("J", "right"),
                       ("time", "right"), ("stopped by", "left"), ("verdict", "left")):
        t.add_column(name, justify=just, overflow="fold", no_wrap=name in ("RSS", "time"))
    for i, res in enumerate(results):
        r = res.run
        style = "bold green" if i == best else (None if res.verdict.verified else "red")
        stop = r.status.replace("converged (", "").rstrip(")").replace(", ", "+")
        t.add_row(Text(r.label), Text(num(res.stats.rss, 11)), Text(str(r.nfev)), Text(str(r.njev)),
                  Text(_time(r.time)), Text(stop), Text(res.verdict.kind + (" (best)" if i == best else "")),
                  style=style)
    return t


def parameter_table(model, result) -> Table:
    st, x = result.stats, result.run.x
    t = Table(header_style="bold")
    for name, just in (("parameter", "left"), ("value", "right"), ("std error", "right"), ("rel.", "right"),
                       ("95% CI low", "right"), ("95% CI high", "right")):
        t.add_column(name, justify=just, overflow="fold")
    held = _held(st)
    for k, name in enumerate(model.params):
        se = st.stderr[k]
        if k in held:
            t.add_row(Text(name), Text(num(float(x[k]), 11)), Text("at bound"), Text("-"), Text("-"), Text("-"))
            continue
        rel = f"{abs(se / x[k]):.1e}" if x[k] != 0 and math.isfinite(se) else "-"
        t.add_row(Text(name), Text(num(float(x[k]), 11)), Text(num(float(se), 5)), Text(rel),
                  Text(num(float(st.ci_low[k]), 8)), Text(num(float(st.ci_high[k]), 8)))
    return t


def correlation_table(model, result) -> Table:
    names = model.params
    t = Table(title=Text("correlation"), header_style="bold")
    t.add_column("")
    for n in names:
        t.add_column(n, justify="right")
    corr = result.stats.correlation
    for i, a in enumerate(names):
        cells = []
        for j in range(len(names)):
            c = corr[i, j]
            mark = "*" if i != j and math.isfinite(c) and abs(c) > 0.95 else ""
            cells.append(Text(("-" if not math.isfinite(c) else f"{c:+.3f}") + mark))
        t.add_row(Text(a), *cells)
    return t


def summary_lines(model, result, settings, sigma, absolute_sigma=False) -> list[str]:
    st, r, v = result.stats, result.run, result.verdict
    lines = []
    fit = f"RSS {num(st.rss, 11)}   residual SD {num(st.residual_sd, 8)}   dof {st.dof}   R² {num(st.r2, 10)}"
    lines.append(fit)
    extra = f"AIC {num(st.aic, 8)}   BIC {num(st.bic, 8)}"
    if st.chi2_reduced is not None:
        extra = f"reduced χ² {num(st.chi2_reduced, 8)}   " + extra
    lines.append(extra)
    if settings.loss != "linear":
        lines.append(f"loss {settings.loss} (f_scale {num(settings.f_scale)}): the parameters minimise the robust "
                     "cost; RSS and standard errors are those of the plain residuals at that point")
    if sigma is not None:
        lines.append(f"weights: residuals divided by σ = {sigma}; " + ("σ taken as absolute (covariance not "
                     "rescaled)" if absolute_sigma else "covariance scaled by RSS/dof (σ relative)"))
    how = "solved exactly" if r.exact else r.status
    lines.append(f"{r.label}: {how}; evaluations (counted by us) residuals {r.nfev}, Jacobian {r.njev}; "
                 f"{_time(r.time)}")
    if r.exact:
        lines.append(f"the model is linear in its parameters: {r.message}")
    elif not r.success:
        lines.append(f"solver message: {r.message}")
    held = _held(st)
    if held:
        which = ", ".join(f"{model.params[k]} = {num(float(r.x[k]), 8)}" for k in sorted(held))
        if len(held) == model.p:
            lines.append(f"on an active bound: {which}; every parameter is held there: no standard errors")
        else:
            lines.append(f"on an active bound: {which}; held fixed for the standard errors (none of its own): "
                         f"the others' covariance is that of the fit with it fixed there, on {st.dof} dof")
    if st.flagged:
        pairs = ", ".join(f"{model.params[i]}–{model.params[j]} {c:+.4f}" for i, j, c in st.flagged)
        lines.append(f"strongly correlated (|r| > 0.95): {pairs}")
    return lines


def print_fit(out, model, results, skipped, settings, sigma, absolute_sigma=False, notes=(), best=None) -> None:
    head = model.heading()
    out.print(Text(head))
    for n in notes:
        out.print(Text(n))
    if len(results) > 1 or skipped:
        out.print(fitted(out, comparison_table(results, best)))
        out.print(Text("r, J: residual and Jacobian evaluations, counted by us"))
        for m, why in skipped:
            out.print(Text(f"skipped {m}: {why}"))
    shown = best if best is not None else 0
    if not results:
        return
    res = results[shown]
    if len(results) > 1:
        out.print(Text(f"details of {res.run.label}" + (" (best verified minimum)" if best is not None else
                                                        " (no method reached a verified minimum)")))
    out.print(fitted(out, parameter_table(model, res)))
    if res.stats.t_value is not None:
        out.print(Text(f"95% CI: value ± t·se with t = {res.stats.t_value:.6g} (Student, {res.stats.dof} dof)"))
    for line in summary_lines(model, res, settings, sigma, absolute_sigma):
        out.print(Text(line))
    if 1 < model.p <= MAX_MATRIX:
        out.print(correlation_table(model, res))
    out.print(Text("verdict: " + res.verdict.text), style="bold green" if res.verdict.verified else "bold red")
