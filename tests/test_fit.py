"""`gradcli fit` against published values.

Certified values: NIST Statistical Reference Datasets (StRD),
  nonlinear regression  https://www.itl.nist.gov/div898/strd/nls/data/misra1a.shtml  (Misra1a, lower difficulty)
                        https://www.itl.nist.gov/div898/strd/nls/data/thurber.shtml  (Thurber, higher difficulty)
  linear regression     https://www.itl.nist.gov/div898/strd/lls/data/Norris.shtml   (Norris)
Data and certified values are copied from those pages (the same data as ../shared/acceptance/data/).
Other expected figures are SciPy's own (curve_fit, least_squares on the same data).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from gradcli.cli import cli
from gradcli.fit import methods
from gradcli.fit.data import read_table
from gradcli.fit.model import build_model
from gradcli.fit.run import fit
from gradcli.fit.verdict import fit_verdict

ROOT = Path(__file__).resolve().parents[1]

MISRA1A_X = [77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8, 378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0]
MISRA1A_Y = [10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02, 44.82, 50.76, 55.05, 61.01, 66.40, 75.47, 81.78]
MISRA1A = dict(model="b1*(1 - exp(-b2*x))", p0="b1=500,b2=1e-4",
               cert=[2.3894212918E+02, 5.5015643181E-04], se=[2.7070075241E+00, 7.2668688436E-06],
               rss=1.2455138894E-01, rsd=1.0187876330E-01, dof=12)
THURBER_X = [-3.067, -2.981, -2.921, -2.912, -2.840, -2.797, -2.702, -2.699, -2.633, -2.481, -2.363, -2.322,
             -1.501, -1.460, -1.274, -1.212, -1.100, -1.046, -0.915, -0.714, -0.566, -0.545, -0.400, -0.309,
             -0.109, -0.103, 0.010, 0.119, 0.377, 0.790, 0.963, 1.006, 1.115, 1.572, 1.841, 2.047, 2.200]
THURBER_Y = [80.574, 84.248, 87.264, 87.195, 89.076, 89.608, 89.868, 90.101, 92.405, 95.854, 100.696, 101.060,
             401.672, 390.724, 567.534, 635.316, 733.054, 759.087, 894.206, 990.785, 1090.109, 1080.914,
             1122.643, 1178.351, 1260.531, 1273.514, 1288.339, 1327.543, 1353.863, 1414.509, 1425.208, 1421.384,
             1442.962, 1464.350, 1468.705, 1447.894, 1457.628]
THURBER = dict(model="(b1 + b2*x + b3*x**2 + b4*x**3)/(1 + b5*x + b6*x**2 + b7*x**3)",
               p0="b1=1000,b2=1000,b3=400,b4=40,b5=0.7,b6=0.3,b7=0.03",
               cert=[1.2881396800E+03, 1.4910792535E+03, 5.8323836877E+02, 7.5416644291E+01, 9.6629502864E-01,
                     3.9797285797E-01, 4.9727297349E-02],
               se=[4.6647963344E+00, 3.9571156086E+01, 2.8698696102E+01, 5.5675370270E+00, 3.1333340687E-02,
                   1.4984928198E-02, 6.5842344623E-03],
               rss=5.6427082397E+03, rsd=1.3714600784E+01, dof=30)
NORRIS_X = [0.2, 337.4, 118.2, 884.6, 10.1, 226.5, 666.3, 996.3, 448.6, 777.0, 558.2, 0.4, 0.6, 775.5, 666.9, 338.0,
            447.5, 11.6, 556.0, 228.1, 995.8, 887.6, 120.2, 0.3, 0.3, 556.8, 339.1, 887.2, 999.0, 779.0, 11.1, 118.3,
            229.2, 669.1, 448.9, 0.5]
NORRIS_Y = [0.1, 338.8, 118.1, 888.0, 9.2, 228.1, 668.5, 998.5, 449.1, 778.9, 559.2, 0.3, 0.1, 778.1, 668.8, 339.3,
            448.9, 10.8, 557.7, 228.3, 998.0, 888.8, 119.6, 0.3, 0.6, 557.6, 339.3, 888.0, 998.5, 778.9, 10.2, 117.6,
            228.9, 668.4, 449.2, 0.2]
NORRIS = dict(cert=[-0.262323073774029, 1.00211681802045], se=[0.232818234301152, 0.429796848199937E-03],
              rsd=0.884796396144373, r2=0.999993745883712, rss=26.6173985294224)


def lre(est, cert) -> float:
    """Log relative error: the number of correct significant digits (NIST's measure)."""
    return 15.0 if est == cert else -math.log10(abs(est - cert) / abs(cert))


def write_csv(path: Path, x, y, names=("x", "y")) -> Path:
    path.write_text(",".join(names) + "\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y)))
    return path


def run(*args):
    return CliRunner().invoke(cli, ["fit", *map(str, args)], catch_exceptions=False)


def run_json(*args):
    res = run(*args, "--json")
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


@pytest.fixture
def misra(tmp_path):
    return write_csv(tmp_path / "misra1a.csv", MISRA1A_X, MISRA1A_Y)


@pytest.fixture
def thurber(tmp_path):
    return write_csv(tmp_path / "thurber.csv", THURBER_X, THURBER_Y)


def check_certified(rec, case, digits=6, se_digits=4):
    vals = [p["value"] for p in rec["parameters"]]
    ses = [p["stderr"] for p in rec["parameters"]]
    assert min(lre(v, c) for v, c in zip(vals, case["cert"])) >= digits, vals
    assert min(lre(v, c) for v, c in zip(ses, case["se"])) >= se_digits, ses
    assert lre(rec["rss"], case["rss"]) >= digits
    assert lre(rec["residual_sd"], case["rsd"]) >= se_digits
    assert rec["dof"] == case["dof"]


# ---- NIST StRD with default settings ---------------------------------------------------------------------------
def test_misra1a_default_settings_reach_certified_values(misra):
    code, rec = run_json(MISRA1A["model"], "--data", misra, "--p0", MISRA1A["p0"])
    assert code == 0 and rec["verdict"] == "minimum" and rec["method"] == "lm"
    check_certified(rec, MISRA1A, digits=8, se_digits=6)


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm", "curve_fit", "leastsq", "least_squares"])
def test_thurber_every_least_squares_method_reaches_certified_values(thurber, method):
    code, rec = run_json(THURBER["model"], "--data", thurber, "--p0", THURBER["p0"], "-m", method)
    assert code == 0 and rec["verdict"] == "minimum", rec["verdict_text"]
    check_certified(rec, THURBER)
    assert rec["label"] == (method if method in ("trf", "dogbox", "lm") else f"{method} → {rec['method']}")


def test_norris_linear_model_is_solved_exactly(tmp_path):
    data = write_csv(tmp_path / "norris.csv", NORRIS_X, NORRIS_Y)
    code, rec = run_json("b0 + b1*x", "--data", data)
    assert code == 0 and rec["exact"] and rec["linear"] and rec["method"] == "lstsq"
    vals = [p["value"] for p in rec["parameters"]]
    ses = [p["stderr"] for p in rec["parameters"]]
    assert min(lre(v, c) for v, c in zip(vals, NORRIS["cert"])) >= 11
    assert min(lre(v, c) for v, c in zip(ses, NORRIS["se"])) >= 11
    assert lre(rec["residual_sd"], NORRIS["rsd"]) >= 11 and lre(rec["r2"], NORRIS["r2"]) >= 11
    assert lre(rec["rss"], NORRIS["rss"]) >= 10
    text = run("b0 + b1*x", "--data", data).stdout
    assert "linear in its parameters" in text and "solved exactly" in text


def test_counts_are_the_solvers_calls(thurber):
    """Our counters against SciPy's own nfev/njev for the same run."""
    from scipy.optimize import least_squares

    _, rec = run_json(THURBER["model"], "--data", thurber, "--p0", THURBER["p0"], "-m", "trf")
    m = build_model(THURBER["model"], read_table(str(thurber)))
    res = least_squares(m.residuals, [1000, 1000, 400, 40, 0.7, 0.3, 0.03], jac=m.jacobian, xtol=1e-15,
                        ftol=1e-15, gtol=1e-15)
    assert (rec["nfev"], rec["njev"]) == (res.nfev, res.njev)


# ---- the model: exact Jacobian, linearity -----------------------------------------------------------------------
def test_jacobian_matches_central_differences(tmp_path):
    x = np.linspace(0.1, 3, 50)
    data = write_csv(tmp_path / "d.csv", x, np.sin(x))
    m = build_model("a*exp(-b*x)*sin(c*x + d) + log(1 + e*x**2)", read_table(str(data)))
    p = np.array([1.3, 0.4, 2.1, 0.2, 0.7])
    J = m.jacobian(p)
    for k in range(m.p):
        h = 1e-6 * max(1.0, abs(p[k]))
        e = np.zeros(m.p)
        e[k] = h
        fd = (m.residuals(p + e) - m.residuals(p - e)) / (2 * h)
        assert np.allclose(J[:, k], fd, rtol=1e-6, atol=1e-8)
    assert not m.linear
    assert build_model("a + b*exp(x) + c*sin(x)", read_table(str(data))).linear
    kinked = build_model("a*abs(x - b) + c*max(x, d)", read_table(str(data)))      # the SymPy path
    p = np.array([1.5, 1.234, 0.7, 2.345])                                         # no row on a kink
    fd = np.column_stack([(kinked.residuals(p + e) - kinked.residuals(p - e)) / 2e-7 for e in np.eye(4) * 1e-7])
    assert np.allclose(kinked.jacobian(p), fd, rtol=1e-6, atol=1e-6)
    assert kinked.hessian_sum(p, np.ones(50)).shape == (4, 4)


def test_several_predictors_and_response_expression(tmp_path):
    rng = np.random.RandomState(0)
    x1, x2 = rng.uniform(1, 2, 40), rng.uniform(1, 2, 40)
    y = 2.0 * np.exp(0.5 * x1 + 0.25 * x2)
    path = tmp_path / "d.csv"
    path.write_text("x1,x2,y\n" + "".join(f"{a},{b},{c}\n" for a, b, c in zip(x1.tolist(), x2.tolist(), y.tolist())))
    code, rec = run_json("a + b*x1 + c*x2", "--data", path, "--y", "log(y)")
    vals = {p["name"]: p["value"] for p in rec["parameters"]}
    assert code == 1 or code == 0
    assert vals["a"] == pytest.approx(math.log(2), abs=1e-12) and vals["b"] == pytest.approx(0.5, abs=1e-12)
    assert vals["c"] == pytest.approx(0.25, abs=1e-12) and rec["response"] == "log(y)"


# ---- data formats ---------------------------------------------------------------------------------------------
def test_formats_give_the_same_fit(tmp_path, misra):
    x, y = np.array(MISRA1A_X), np.array(MISRA1A_Y)
    (tmp_path / "m.dat").write_bytes(b"\xef\xbb\xbf# Misra1a\n  x    y\n" +
                                     "".join(f"{a}\t {b}\n" for a, b in zip(x.tolist(), y.tolist())).encode())
    np.savez(tmp_path / "m.npz", x=x, y=y)
    rec_arr = np.zeros(len(x), dtype=[("x", float), ("y", float)])
    rec_arr["x"], rec_arr["y"] = x, y
    np.save(tmp_path / "m.npy", rec_arr)
    base = run_json(MISRA1A["model"], "--data", misra, "--p0", MISRA1A["p0"])[1]
    for name in ("m.dat", "m.npz", "m.npy"):
        code, rec = run_json(MISRA1A["model"], "--data", tmp_path / name, "--p0", MISRA1A["p0"])
        assert code == 0 and rec["parameters"] == base["parameters"], name


# ---- weights, robust loss, bounds ------------------------------------------------------------------------------
def test_sigma_and_absolute_sigma_match_curve_fit(tmp_path):
    from scipy.optimize import curve_fit

    x, y = np.array(MISRA1A_X), np.array(MISRA1A_Y)
    s = 0.05 + 0.002 * x
    path = tmp_path / "w.csv"
    path.write_text("x,y,s\n" + "".join(f"{a},{b},{c}\n" for a, b, c in zip(x.tolist(), y.tolist(), s.tolist())))
    f = lambda x, b1, b2: b1 * (1 - np.exp(-b2 * x))  # noqa: E731
    for absolute in (False, True):
        popt, pcov = curve_fit(f, x, y, p0=[500, 1e-4], sigma=s, absolute_sigma=absolute, xtol=1e-15, ftol=1e-15,
                               gtol=1e-15)
        extra = ["--absolute-sigma"] if absolute else []
        code, rec = run_json(MISRA1A["model"], "--data", path, "--p0", MISRA1A["p0"], "--sigma", "s", *extra)
        assert code == 0
        for k, p in enumerate(rec["parameters"]):
            assert p["value"] == pytest.approx(popt[k], rel=1e-8)
            assert p["stderr"] == pytest.approx(math.sqrt(pcov[k, k]), rel=1e-6)
        assert rec["chi2_reduced"] == pytest.approx(rec["rss"] / rec["dof"])


def test_robust_loss_matches_least_squares(tmp_path):
    from scipy.optimize import least_squares

    x, y = np.array(MISRA1A_X), np.array(MISRA1A_Y)
    y[5] += 10.0                                                      # one outlier
    data = write_csv(tmp_path / "o.csv", x, y)
    m = build_model(MISRA1A["model"], read_table(str(data)))
    ref = least_squares(m.residuals, [500, 1e-4], jac=m.jacobian, loss="soft_l1", f_scale=0.1, xtol=1e-15,
                        ftol=1e-15, gtol=1e-15)
    code, rec = run_json(MISRA1A["model"], "--data", data, "--p0", MISRA1A["p0"], "--loss", "soft_l1",
                         "--f-scale", "0.1")
    assert code == 0 and "soft_l1" in rec["verdict_text"]
    assert [p["value"] for p in rec["parameters"]] == pytest.approx(list(ref.x), rel=1e-9)


def test_bounds_active_bound_is_a_verified_minimum(misra):
    code, rec = run_json(MISRA1A["model"], "--data", misra, "--p0", "b1=90,b2=1e-3", "--bounds", "b1=0:100")
    assert code == 0 and rec["parameters"][0]["value"] == pytest.approx(100.0)
    assert rec["active_bounds"] == ["b1"]


def test_nnls_keeps_parameters_non_negative(tmp_path):
    from scipy.optimize import nnls

    x = np.linspace(0, 1, 20)
    y = 1.0 - 0.5 * x
    data = write_csv(tmp_path / "n.csv", x, y)
    code, rec = run_json("a + b*x", "--data", data, "-m", "nnls")
    A = np.column_stack([np.ones_like(x), x])
    ref, _ = nnls(A, y)
    assert code == 0 and [p["value"] for p in rec["parameters"]] == pytest.approx(list(ref), abs=1e-12)
    assert rec["parameters"][1]["value"] == 0.0


# ---- verdicts -------------------------------------------------------------------------------------------------
def test_rank_deficient_names_the_parameters(tmp_path):
    data = write_csv(tmp_path / "l.csv", [1, 2, 3, 4, 5], [2.1, 3.9, 6.2, 7.8, 10.1])
    res = run("a + b*x + c*x", "--data", data)
    assert res.exit_code == 1 and "rank-deficient" in res.stdout and "b, c not identifiable" in res.stdout


def test_saddle_is_not_a_minimum(tmp_path):
    """f = sin(b·x) on y = 0 at x = 1, 1.1: ∂RSS/∂b = Σ x·sin(2bx) has a root where the RSS is maximal."""
    from scipy.optimize import brentq

    data = write_csv(tmp_path / "s.csv", [1.0, 1.1], [0.0, 0.0])
    m = build_model("sin(b*x)", read_table(str(data)))
    b = brentq(lambda b: sum(x * math.sin(2 * b * x) for x in (1.0, 1.1)), 1.2, 1.9)
    assert fit_verdict(m, [b]).kind == "saddle"
    assert fit_verdict(m, [0.0]).kind == "minimum"


def test_method_all_table_and_exit_code(thurber):
    res = run(THURBER["model"], "--data", thurber, "--p0", THURBER["p0"], "-m", "all")
    assert res.exit_code == 0 and "methods compared" in res.stdout and "not converged" in res.stdout
    for m in ("trf", "dogbox", "lm", "bfgs", "l-bfgs-b"):
        assert m in res.stdout
    code, rec = run_json(THURBER["model"], "--data", thurber, "--p0", THURBER["p0"], "-m", "all")
    assert len(rec["runs"]) == 5 and rec["runs"][rec["best"]]["verdict"] == "minimum"


@pytest.mark.parametrize("width", [80, 132])
def test_report_fits_the_width(thurber, width):
    from gradcli.report.fit import print_fit

    m = build_model(THURBER["model"], read_table(str(thurber)))
    s = methods.Settings()
    results = fit(m, np.array([1000, 1000, 400, 40, 0.7, 0.3, 0.03]), [("trf", "trf"), ("lm", "curve_fit → lm")],
                  s)
    con = Console(record=True, width=width, markup=False, highlight=False)
    print_fit(con, m, results, [], s, None, best=0)
    text = con.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    assert "1288.1396" in text and "verdict: minimum of the RSS" in text and "|r| > 0.95" in text


# ---- bad input: one clear line, exit 2 -------------------------------------------------------------------------
BAD = [
    ("ragged", "x,y\n1,2\n2\n3,4\n", ["a*x", "--p0", "a=1"], "d.csv:3: this row has 1 value"),
    ("word", "x,y\n1,2\n2,abc\n", ["a*x", "--p0", "a=1"], "d.csv:3: column y: 'abc' is not a number"),
    ("nan", "x,y\n1,2\n2,nan\n3,4\n", ["a*x", "--p0", "a=1"], "d.csv:3: column y is nan"),
    ("inf", "x,y\n1,2\n2,3\ninf,4\n", ["a*x", "--p0", "a=1"], "d.csv:4: column x is inf"),
    ("missing column", "t,y\n1,2\n2,3\n", ["a*x", "--p0", "a=1"], "names no column"),
    ("missing y", "x,z\n1,2\n2,3\n", ["a*x", "--p0", "a=1"], "no column 'y'"),
    ("bad --y", "x,y\n1,2\n2,3\n", ["a*x", "--p0", "a=1", "--y", "log(y"], "expression error"),
    ("--y unknown column", "x,y\n1,2\n2,3\n", ["a*x", "--p0", "a=1", "--y", "log(w)"], "w is not a column"),
    ("too few rows", "x,y\n1,2\n2,3\n", ["a + b*x + c*x**2", "--p0", "a=1,b=1,c=1"], "3 parameters"),
    ("nan at p0", "x,y\n1,2\n2,3\n3,4\n", ["a*log(x - b)", "--p0", "a=1,b=2"], "not finite at the start"),
    ("no p0", "x,y\n1,2\n2,3\n3,4\n", ["a*exp(b*x)"], "--p0 is required for a nonlinear model: give a start"),
    ("p0 names column", "x,y\n1,2\n2,3\n", ["a*exp(b*x)", "--p0", "a=1,b=1,x=2"], "a column of the data"),
    ("sigma zero", "x,y,s\n1,2,1\n2,3,0\n", ["a*x", "--p0", "a=1", "--sigma", "s"], "every σ must be positive"),
    ("start outside bounds", "x,y\n1,2\n2,3\n", ["a*exp(b*x)", "--p0", "a=1,b=1", "--bounds", "a=2:"], "outside"),
    ("lm with bounds", "x,y\n1,2\n2,3\n3,4\n", ["a*exp(b*x)", "--p0", "a=1,b=0", "--bounds", "a=0:", "-m", "lm"],
     "takes no bounds"),
    ("unknown method", "x,y\n1,2\n2,3\n", ["a*x", "--p0", "a=1", "-m", "magic"], "unknown"),
    ("duplicate header", "x,x\n1,2\n", ["a*x", "--p0", "a=1"], "appears twice"),
    ("empty", "", ["a*x", "--p0", "a=1"], "no header line"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_one_clear_line(tmp_path, monkeypatch, case):
    _, content, args, expected = case
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text(content)
    res = run(args[0], "--data", "d.csv", *args[1:])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and expected in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert lines[0].startswith("gradcli: ") and len(lines) <= 3       # expression errors add a caret line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]    # nothing written


def test_binary_files_refuse_pickles_and_shapes(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "plain.npy", np.ones((3, 2)))
    np.savez(tmp_path / "r.npz", x=np.ones(3), y=np.ones(4))
    for name, words in (("o.npy", "Python objects"), ("plain.npy", "structured array"), ("r.npz", "same length")):
        res = run("a*x", "--data", tmp_path / name, "--p0", "a=1")
        assert res.exit_code == 2 and words in res.stderr, res.stderr


@pytest.mark.parametrize("content", ["x,y\n1,2\n2\n3,abc\n", "x,y\n1,2\n2,nan\n"], ids=["ragged", "nan"])
def test_real_process_bad_data(tmp_path, content):
    (tmp_path / "bad.csv").write_text(content)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "gradcli", "fit", "a*x", "--data", "bad.csv", "--p0", "a=1"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("gradcli: bad.csv:3: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


# ---- the picture -----------------------------------------------------------------------------------------------
def test_confidence_band_of_a_line_is_the_textbook_formula(tmp_path):
    """Half-width t·s·sqrt(1/n + (x0 − x̄)²/Sxx) of a straight line's mean response (any regression text)."""
    from gradcli.fit.stats import band

    data = write_csv(tmp_path / "norris.csv", NORRIS_X, NORRIS_Y)
    m = build_model("b0 + b1*x", read_table(str(data)))
    (res,) = fit(m, np.zeros(2), [("lstsq", "lstsq")], methods.Settings())
    grid = np.array([0.0, 500.0, 1000.0])
    _, J = m.curve(res.run.x, grid)
    x = np.array(NORRIS_X)
    sxx = np.sum((x - x.mean()) ** 2)
    expected = res.stats.t_value * NORRIS["rsd"] * np.sqrt(1 / len(x) + (grid - x.mean()) ** 2 / sxx)
    assert band(J, res.stats.covariance, res.stats.t_value) == pytest.approx(expected, rel=1e-9)


def test_plot_is_written_once_and_never_over_a_file(misra, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "fit.png"
    res = run(MISRA1A["model"], "--data", misra, "--p0", MISRA1A["p0"], "--plot", out)
    assert res.exit_code == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = run(MISRA1A["model"], "--data", misra, "--p0", MISRA1A["p0"], "--plot", out)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert run(MISRA1A["model"], "--data", misra, "--p0", MISRA1A["p0"], "--plot", out, "--force").exit_code == 0
    bad = run(MISRA1A["model"], "--data", misra, "--p0", MISRA1A["p0"], "--plot", tmp_path / "fit.gif")
    assert bad.exit_code == 2 and ".png, .pdf or .svg" in bad.stderr and not (tmp_path / "fit.gif").exists()
