"""Standard errors and the verdict when a bound is active at the solution.

A parameter held on its bound is fixed for the covariance: it has no standard error, and the free
parameters' covariance must be the covariance of the fit with that parameter fixed at the bound value.
The references are computed independently here: by hand (a straight line with its slope on its bound:
a = mean(y − b·x), se(a)² = s²/n with s² = RSS/(n − 1)) and by SciPy's curve_fit on the one-parameter
model (NIST StRD Misra1a with b1 fixed at 100). The KKT test: a point on its bound where the RSS falls into
the box is not a minimum (the multiplier has the wrong sign).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from rich.console import Console
from scipy.optimize import curve_fit

from gradcli.fit import methods
from gradcli.fit.data import read_table
from gradcli.fit.model import build_model
from gradcli.fit.run import fit
from gradcli.fit.stats import band
from gradcli.fit.verdict import fit_verdict
from tests.test_fit import MISRA1A, MISRA1A_X, MISRA1A_Y, misra, run, run_json, write_csv  # noqa: F401 (misra: a fixture)

X = np.arange(10.0)
Y = np.array([1.3, 2.8, 5.2, 7.1, 8.7, 11.2, 13.1, 14.8, 17.2, 19.1])      # ≈ 1 + 2x: OLS slope ≈ 1.99


@pytest.fixture
def line(tmp_path):
    return write_csv(tmp_path / "line.csv", X, Y)


def test_line_with_its_slope_on_the_bound_matches_the_hand_derivation(line):
    bmax = 1.5
    code, rec = run_json("a + b*x", "--data", line, "--bounds", f"b=:{bmax}")
    assert code == 0 and rec["method"] == "bvls" and rec["verdict"] == "minimum"
    a_hat = float(np.mean(Y - bmax * X))                   # the fit with b fixed at 1.5
    rss = float(np.sum((Y - a_hat - bmax * X) ** 2))
    se_a = math.sqrt(rss / (len(X) - 1) / len(X))
    a, b = rec["parameters"]
    assert b["value"] == pytest.approx(bmax, rel=1e-14) and b["at_bound"] is True
    assert b["stderr"] is None and b["ci_low"] is None and b["ci_high"] is None
    assert a["value"] == pytest.approx(a_hat, rel=1e-12) and a["at_bound"] is False
    assert a["stderr"] == pytest.approx(se_a, rel=1e-12)
    assert rec["dof"] == len(X) - 1 and rec["rss"] == pytest.approx(rss, rel=1e-12)
    assert rec["held_at_bound"] == ["b"] and rec["active_bounds"] == ["b"]
    lam = rec["multipliers"]["b <= 1.5"]                   # λ = −(Jᵀr)_b: the RSS falls outwards
    assert lam == pytest.approx(-float(X @ (a_hat + bmax * X - Y)), rel=1e-9) and lam > 0
    t = 2.262157162798205                                  # Student t(0.975, 9): tables, SciPy t.ppf
    assert a["ci_high"] - a["value"] == pytest.approx(t * se_a, rel=1e-9)


def test_misra1a_with_b1_on_its_bound_matches_curve_fit_with_b1_fixed(misra):
    code, rec = run_json(MISRA1A["model"], "--data", misra, "--p0", "b1=90,b2=1e-3", "--bounds", "b1=0:100")
    assert code == 0 and rec["verdict"] == "minimum" and rec["held_at_bound"] == ["b1"]
    x, y = np.array(MISRA1A_X), np.array(MISRA1A_Y)
    popt, pcov = curve_fit(lambda x, b2: 100.0 * (1 - np.exp(-b2 * x)), x, y, p0=[1e-3], xtol=1e-15, ftol=1e-15,
                           gtol=1e-15)
    b1, b2 = rec["parameters"]
    assert b1["value"] == pytest.approx(100.0, rel=1e-8) and b1["stderr"] is None
    assert b2["value"] == pytest.approx(popt[0], rel=1e-7)
    assert b2["stderr"] == pytest.approx(math.sqrt(pcov[0, 0]), rel=1e-6)
    assert rec["dof"] == 13 and "KKT" in rec["verdict_text"]


def test_point_on_a_bound_where_the_rss_falls_into_the_box_is_not_a_minimum(line):
    m = build_model("a + b*x", read_table(str(line)))
    a0 = float(np.mean(Y))                                 # best a for b = 0; the RSS falls as b grows
    v = fit_verdict(m, [a0, 0.0], lower=np.array([-np.inf, 0.0]), upper=np.array([np.inf, np.inf]))
    assert v.kind == "not converged" and "b sits on its lower bound" in v.text and "negative" in v.text
    assert v.multipliers["b >= 0"] < 0
    best = np.polyfit(X, Y, 1)[::-1]                       # inside the box: the bound is not active
    v = fit_verdict(m, best, lower=np.array([-np.inf, 0.0]), upper=np.array([np.inf, np.inf]))
    assert v.kind == "minimum" and v.active_bounds == [] and v.multipliers == {}


def test_band_and_report_with_a_held_parameter(line):
    m = build_model("a + b*x", read_table(str(line)))
    s = methods.Settings(lower=np.array([-np.inf, -np.inf]), upper=np.array([np.inf, 1.5]))
    [res] = fit(m, np.zeros(2), [("trf", "trf")], s)
    assert res.verdict.verified and list(res.stats.held) == [False, True]
    grid = np.linspace(0, 9, 5)
    _, J = m.curve(res.run.x, grid)
    half = band(J, res.stats.covariance, res.stats.t_value, res.stats.held)
    assert half == pytest.approx(np.full(5, res.stats.t_value * res.stats.stderr[0]), rel=1e-12)   # ∂f/∂a = 1
    from gradcli.report.fit import print_fit
    for width in (80, 132):
        con = Console(record=True, width=width, markup=False, highlight=False)
        print_fit(con, m, [res], [], s, None)
        text = con.export_text()
        assert max(len(line) for line in text.splitlines()) <= width
        assert "at bound" in text and "held fixed for the standard errors" in text


def test_a_robust_loss_holds_a_bound_parameter_too(line):
    """The held-parameter covariance does not depend on the loss: with soft_l1 the slope on its bound has no
    standard error, and the intercept's is the one of the linearised fit with the slope fixed (J's free
    column, all ones: se(a)² = s²/n with s² = RSS/(n − 1), the RSS of the robust answer)."""
    bmax = 1.5
    code, rec = run_json("a + b*x", "--data", line, "--bounds", f"b=:{bmax}", "--loss", "soft_l1", "--p0", "a=0,b=1")
    a, b = rec["parameters"]
    assert b["at_bound"] is True and b["stderr"] is None and rec["held_at_bound"] == ["b"]
    rss = float(np.sum((Y - a["value"] - b["value"] * X) ** 2))
    assert rec["dof"] == len(X) - 1
    assert a["stderr"] == pytest.approx(math.sqrt(rss / (len(X) - 1) / len(X)), rel=1e-9)


def test_every_parameter_held_at_a_corner_of_the_box(line):
    """Both parameters on bounds that bind (slope ≤ 1.5 and intercept ≤ 3 hold the line under the data): a KKT point
    at a corner of the box. No standard errors, no interval, a clean JSON record (LAPACK was once handed an
    n × 0 matrix here and wrote its complaint to stdout)."""
    r = run("a + b*x", "--data", line, "--bounds", "b=:1.5", "--bounds", "a=:3", "--json")
    rec = json.loads(r.stdout)
    assert rec["held_at_bound"] == ["a", "b"] and rec["verdict"] == "minimum"
    assert all(p["stderr"] is None and p["ci_low"] is None for p in rec["parameters"])
    assert rec["dof"] == len(X)
    text = run("a + b*x", "--data", line, "--bounds", "b=:1.5", "--bounds", "a=:3").output
    assert "every parameter is held there: no standard errors" in text and "corner of the box" in text


def test_a_linear_model_without_p0_starts_inside_its_bounds(line):
    """No --p0 for a linear model means "start from 0"; where 0 is outside --bounds that start is the nearest
    bound (it used to be an error telling the user to move a --p0 they never gave)."""
    code, rec = run_json("a + b*x", "--data", line, "--bounds", "a=3:")
    assert code == 0 and rec["parameters"][0]["value"] == pytest.approx(3.0) and rec["held_at_bound"] == ["a"]
