"""`fit --constraint`: constrained fits by the methods that can honour constraints, refused by those that
cannot, and verified by our own feasibility and KKT check.

Reference values:
- NIST StRD Misra1a (https://www.itl.nist.gov/div898/strd/nls/data/misra1a.shtml): certified b1, b2, RSS;
  a constraint that is not active must leave them as certified.
- With b1 ≤ 200 active, the fit is b1 = 200 and b2 the one-parameter least-squares fit of 200(1 − e^(−b2 x)):
  computed here by SciPy's curve_fit on that reduced model (SciPy's own figure).
- NIST StRD Norris (https://www.itl.nist.gov/div898/strd/lls/data/Norris.shtml) data under b0 + b1 = 1: the
  equality-constrained least-squares solution from its KKT linear system, solved here by NumPy.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from gradcli.cli import cli
from tests.test_fit import MISRA1A, MISRA1A_X, MISRA1A_Y, NORRIS_X, NORRIS_Y, lre, write_csv

MODEL = MISRA1A["model"]


def run(*args):
    return CliRunner().invoke(cli, ["fit", *map(str, args)], catch_exceptions=False)


@pytest.fixture
def misra(tmp_path):
    return write_csv(tmp_path / "misra1a.csv", MISRA1A_X, MISRA1A_Y)


@pytest.fixture(scope="module")
def b2_at_200():
    from scipy.optimize import curve_fit

    x, y = np.array(MISRA1A_X), np.array(MISRA1A_Y)
    (b2,), _ = curve_fit(lambda x, b2: 200 * (1 - np.exp(-b2 * x)), x, y, p0=[1e-3], xtol=1e-15, ftol=1e-15,
                         gtol=1e-15)
    return b2, float(np.sum((200 * (1 - np.exp(-b2 * x)) - y) ** 2))


@pytest.mark.parametrize("method", ["slsqp", "trust-constr", "cobyla", "cobyqa"])
def test_active_constraint_matches_the_reduced_fit(misra, b2_at_200, method):
    b2, rss = b2_at_200
    res = run(MODEL, "--data", misra, "--p0", "b1=200,b2=1e-3", "--constraint", "b1 <= 200", "-m", method, "--json")
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    (p1, p2) = rec["parameters"]
    assert p1["value"] == pytest.approx(200, rel=1e-8)
    assert lre(p2["value"], b2) >= 7 and lre(rec["rss"], rss) >= 7
    assert rec["verdict"] == "minimum" and rec["active_constraints"] == ["b1 <= 200"]
    assert rec["multipliers"]["b1 <= 200"] > 0 and rec["maxcv"] <= 1e-6
    assert rec["constraints"] == ["b1 <= 200"]
    assert any("do not account for it" in n for n in rec["notes"])      # standard errors: said, not hidden
    if method in ("slsqp", "trust-constr"):
        assert rec["njev"] > 0                                          # the exact gradient 2Jᵀr was used
    else:
        assert rec["njev"] == 0


@pytest.mark.parametrize("method", ["slsqp", "cobyqa"])
def test_inactive_constraint_leaves_the_certified_fit(misra, method):
    res = run(MODEL, "--data", misra, "--p0", MISRA1A["p0"], "--constraint", "b1 <= 300", "-m", method, "--json")
    rec = json.loads(res.stdout)
    assert res.exit_code == 0 and rec["verdict"] == "minimum" and rec["active_constraints"] == []
    assert min(lre(p["value"], c) for p, c in zip(rec["parameters"], MISRA1A["cert"])) >= 7
    assert lre(rec["rss"], MISRA1A["rss"]) >= 8
    assert not any("do not account" in n for n in rec["notes"])


def test_equality_constraint_on_norris_solves_the_kkt_system(tmp_path):
    data = write_csv(tmp_path / "norris.csv", NORRIS_X, NORRIS_Y)
    x, y = np.array(NORRIS_X), np.array(NORRIS_Y)
    A = np.column_stack([np.ones_like(x), x])
    kkt = np.block([[2 * A.T @ A, np.array([[1.0], [1.0]])], [np.array([[1.0, 1.0, 0.0]])]])
    expect = np.linalg.solve(kkt, np.concatenate([2 * A.T @ y, [1.0]]))[:2]
    res = run("b0 + b1*x", "--data", data, "--constraint", "b0 + b1 == 1", "-m", "slsqp,trust-constr", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for rec in out["runs"]:
        assert [p["value"] for p in rec["parameters"]] == pytest.approx(expect, rel=1e-7, abs=1e-9), rec["method"]
        assert rec["verdict"] == "minimum" and rec["active_constraints"] == ["b0 + b1 == 1"]


def test_least_squares_methods_refuse_constraints_naming_those_that_can(misra):
    for m in ("lm", "trf", "dogbox", "curve_fit", "lstsq"):
        res = run(MODEL, "--data", misra, "--p0", MISRA1A["p0"], "--constraint", "b1 <= 300", "-m", m)
        assert res.exit_code == 2 and res.stdout == ""
        assert "takes no constraints; use slsqp, trust-constr, cobyla or cobyqa" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1


def test_all_runs_only_the_methods_that_can_and_lists_the_others(misra):
    res = run(MODEL, "--data", misra, "--p0", "b1=200,b2=1e-3", "--constraint", "b1 <= 200", "-m", "all", "--json")
    out = json.loads(res.stdout)
    assert [r["method"] for r in out["runs"]] == ["slsqp", "trust-constr", "cobyla", "cobyqa"]
    assert [s["method"] for s in out["skipped"]] == ["trf", "dogbox", "lm", "bfgs", "l-bfgs-b"]
    assert all("takes no constraints" in s["reason"] for s in out["skipped"])
    auto = json.loads(run(MODEL, "--data", misra, "--p0", "b1=200,b2=1e-3", "--constraint", "b1 <= 200",
                          "--json").stdout)
    assert auto["method"] == "slsqp" and any(n.startswith("auto: slsqp") for n in auto["notes"])


def test_bad_constraints_are_one_line(misra):
    for text, said in (("b1 + x <= 200", "x is a data column"), ("b3 <= 1", "b3 is not a parameter"),
                       ("b1 + 200", "exactly one of <=, >=, =="), ("2 <= 3", "names no parameter")):
        res = run(MODEL, "--data", misra, "--p0", MISRA1A["p0"], "--constraint", text, "-m", "slsqp")
        assert res.exit_code == 2 and said in res.stderr, res.stderr
    res = run(MODEL, "--data", misra, "--p0", MISRA1A["p0"], "--constraint", "b1 <= 300", "--loss", "soft_l1")
    assert res.exit_code == 2 and "--loss" in res.stderr


def test_verdict_sees_infeasible_points_and_wrong_multipliers(misra):
    from gradcli.fit.constraints import constrained_verdict, parse_constraints
    from gradcli.fit.data import read_table
    from gradcli.fit.model import build_model

    model = build_model(MODEL, read_table(str(misra)))
    upper = parse_constraints(["b1 <= 200"], model)
    assert constrained_verdict(model, [210.0, 5e-4], upper).kind == "infeasible"
    assert constrained_verdict(model, [200.0, 1e-3], upper).kind == "not converged"     # feasible, not KKT
    # b1 >= 200 holds with equality at the b1 = 200 fit, but the RSS falls into the feasible side (b1 → 239)
    from scipy.optimize import curve_fit
    (b2,), _ = curve_fit(lambda x, b2: 200 * (1 - np.exp(-b2 * x)), np.array(MISRA1A_X), np.array(MISRA1A_Y),
                         p0=[1e-3], xtol=1e-15, ftol=1e-15, gtol=1e-15)
    lower = parse_constraints(["b1 >= 200"], model)
    v = constrained_verdict(model, [200.0, b2], lower)
    assert v.kind == "not converged" and "multiplier of b1 >= 200 is negative" in v.text
    assert constrained_verdict(model, [200.0, b2], upper).kind == "minimum"


def test_constrained_table_at_80_and_132_columns(misra):
    from gradcli.fit import methods
    from gradcli.fit.constraints import parse_constraints
    from gradcli.fit.data import read_table
    from gradcli.fit.model import build_model
    from gradcli.fit.run import best, fit
    from gradcli.report.fit import print_fit

    model = build_model(MODEL, read_table(str(misra)))
    s = methods.Settings(constraints=parse_constraints(["b1 <= 200"], model))
    results = fit(model, np.array([200.0, 1e-3]), [(m, m) for m in methods.TAKES_CONSTRAINTS], s)
    for width in (80, 132):
        console = Console(record=True, width=width, color_system=None)
        print_fit(console, model, results, [("lm", "lm takes no constraints")], s, None, best=best(results))
        text = console.export_text()
        assert all(len(line) <= width for line in text.splitlines())
        assert "trust-constr" in text and "b1 <= 200" in text and "skipped lm" in text
