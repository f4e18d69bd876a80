"""Problem files of three kinds (minimize with objective/residuals, fit, root): each loads, bad files say
FILE:LINE: field: what (exit 2), a residual file that contradicts its objective is refused, commands refuse
a kind they cannot use in one line, and compare over a mixed folder runs each method only where it can.

Reference values: Moré, Garbow & Hillstrom 1981 (ACM TOMS 7(1):17-41) problems 1 and 2 (f(x0) = 24.2 and
400.5, f* = 0 at (1, 1) and (5, 4), local minimum 48.9842... of Freudenstein-Roth); NIST StRD Misra1a
certified values; the circle/hyperbola root (2cos 15°, 2sin 15°); Newton's cubic root 2.0945514815423265.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.problem.file import load_problem, read_text
from gradcli.problem.kinds import FIT, MINIMIZE, ROOT, kind

KINDS = Path(__file__).resolve().parent / "data" / "kinds"
MISRA_B = [238.94212918, 0.00055015643181]
MISRA_RSS = 0.12455138894
CIRCLE_ROOT = [1.9318516525781366, 0.5176380902050415]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def write(tmp_path, text, name="p.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return f


def lre(est, cert):
    return 15.0 if est == cert else -np.log10(abs(est - cert) / abs(cert))


# ---- each kind loads ---------------------------------------------------------------------------

def test_kind_is_decided_by_the_keys():
    assert kind(read_text(KINDS / "booth.yaml").doc) == MINIMIZE
    assert kind(read_text(KINDS / "rosenbrock_lsq.yaml").doc) == MINIMIZE
    assert kind(read_text(KINDS / "misra1a.yaml").doc) == FIT
    assert kind(read_text(KINDS / "circle_system.yaml").doc) == ROOT


def test_residual_files_load_as_minimize_problems_with_the_sum_of_squares():
    p = load_problem(KINDS / "freudenstein_roth_lsq.yaml")       # residuals only: f = Σ rᵢ²
    assert p.least_squares and len(p.residual_exprs) == 2
    obj = p.compile()
    assert obj.fun_uncounted(np.array(p.x0)) == pytest.approx(400.5, rel=1e-14)     # MGH's f(x0)
    assert obj.fun_uncounted(np.array([5.0, 4.0])) == 0.0
    both = load_problem(KINDS / "rosenbrock_lsq.yaml")           # residuals and objective, checked equal
    assert both.compile().fun_uncounted(np.array(both.x0)) == pytest.approx(24.2, rel=1e-14)


def test_root_files_load():
    from gradcli.roots.problem_file import load_root
    rp = load_root(read_text(KINDS / "cubic.yaml"))
    assert rp.eqs.scalar and rp.bracket == (2.0, 3.0) and rp.x0 == [2.0]
    sys_ = load_root(read_text(KINDS / "circle_system.yaml"))
    assert (sys_.eqs.m, sys_.eqs.n) == (2, 2) and sys_.bracket is None and sys_.root == CIRCLE_ROOT


def test_minimize_on_a_residual_file_reaches_the_published_minimum():
    r = run("minimize", KINDS / "rosenbrock_lsq.yaml", "-m", "bfgs", "--json")
    rec = json.loads(r.output)[0]
    assert r.exit_code == 0 and rec["verdict"] == "minimum"
    assert np.allclose(rec["x"], [1.0, 1.0], atol=1e-6)


def test_fit_file_reaches_nist_certified_values():
    r = run("fit", KINDS / "misra1a.yaml", "--json")
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output)
    assert min(lre(p["value"], c) for p, c in zip(rec["parameters"], MISRA_B)) >= 6
    assert lre(rec["rss"], MISRA_RSS) >= 6 and rec["verdict"] == "minimum"


def test_fit_on_a_residual_file_uses_the_residuals():
    r = run("fit", KINDS / "rosenbrock_lsq.yaml", "-m", "lm,trf,dogbox", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    recs = out["runs"] if isinstance(out, dict) else out
    assert [x["method"] for x in recs] == ["lm", "trf", "dogbox"]
    for rec in recs:
        assert [p["value"] for p in rec["parameters"]] == pytest.approx([1.0, 1.0], abs=1e-10)
        assert rec["rss"] <= 1e-20 and rec["verdict"] == "minimum" and rec["r2"] is None
    # Freudenstein-Roth from MGH's start: lm stops at the local minimum 48.9842... and the verdict says minimum
    r = run("fit", KINDS / "freudenstein_roth_lsq.yaml", "-m", "lm", "--json")
    rec = json.loads(r.output)
    assert rec["rss"] == pytest.approx(48.98425367924, rel=1e-10)


def test_root_file_solves_with_the_file_start_and_bracket():
    r = run("root", KINDS / "circle_system.yaml", "--json")
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output)
    rec = rec[0] if isinstance(rec, list) else rec["runs"][0]
    assert rec["x"] == pytest.approx(CIRCLE_ROOT, abs=1e-12) and rec["verdict"] == "root"
    r = run("root", KINDS / "cubic.yaml", "-m", "brentq,newton", "--json")
    recs = json.loads(r.output)
    recs = recs if isinstance(recs, list) else recs["runs"]
    for rec in recs:
        assert rec["x"][0] == pytest.approx(2.0945514815423265, abs=1e-12)


# ---- a command given a kind it cannot use: one line, exit 2 ---------------------------------------

@pytest.mark.parametrize("command, name, says", [
    ("minimize", "circle_system", "is a root problem (equations:): use gradcli root"),
    ("stationary", "cubic", "is a root problem (equations:): use gradcli root"),
    ("minimize", "misra1a", "is a fit problem (model: + data:): use gradcli fit"),
    ("root", "rosenbrock_lsq", "is a least-squares problem (residuals:): use gradcli minimize"),
    ("root", "misra1a", "is a fit problem (model: + data:): use gradcli fit"),
    ("fit", "booth", "is a minimize problem (objective:) without residuals: use gradcli minimize"),
    ("fit", "cubic", "is a root problem (equations:): use gradcli root"),
])
def test_wrong_command_for_the_kind_says_which(command, name, says):
    r = CliRunner().invoke(cli, [command, str(KINDS / f"{name}.yaml")])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in r.output


# ---- bad files: FILE:LINE: field: message, exit 2 -------------------------------------------------

ROSEN_R = 'residuals: ["10*(x2 - x1**2)", "1 - x1"]\n'


@pytest.mark.parametrize("text, where", [
    ("name: t\nresiduals: ['x - 1', 'y +* 2']\nx0: [0, 0]\n", ":2: residuals[1]: expression error"),
    ("name: t\nobjective: x**2\nresiduals: ['x', 'z']\nx0: [0]\n", ":3: residuals[1]: z is not a variable"),
    ("name: t\nresiduals: 'x - 1'\nx0: [0]\n", ":2: residuals:"),
    ("name: t\nresiduals: []\nx0: [0]\n", ":2: residuals:"),
    ("name: t\nx0: [0]\n", "objective: missing"),
    ("name: t\nequations: [x**2 - 2]\nobjective: x**2\nx0: [1]\n", ":3: objective: not a key of a root problem"),
    ("name: t\nequations: [x**2 - 2]\nbracket: [0, 1, 2]\n", ":3: bracket:"),
    ("name: t\nequations: [x**2 - 2]\nbracket: [2, 0]\n", ":3: bracket: [2, 0]: write [a, b] with finite a < b"),
    ("name: t\nequations: [x + y - 1, x - y]\nbracket: [0, 1]\nx0: [0, 0]\n", ":3: bracket: a bracket is for one"),
    ("name: t\nequations: [x + y - 1, x - y]\n", "x0: missing"),
    ("name: t\nequations: [x + y - 1, 'x - y; y']\nx0: [0, 0]\n", ":2: equations[1]: one equation per list item"),
    ("name: t\nequations: [x**2 - 2]\nx0: [1]\nsolution: {f: 1}\n", ":4: solution.f: a root problem's solution"),
    ("name: t\nequations: [x**2 - 2]\nx0: [1, 2]\n", ":3: x0: 2 values for 1 variable"),
    ("name: t\nmodel: a*x\nx0: [1]\n", "x0: not a key of a fit problem"),
    ("name: t\nmodel: a*x\np0: [1]\n", ":2: data: a fit problem (model:) needs data"),
    ("name: t\nobjective: x**2\ndata: d.csv\nx0: [1]\n", ":3: data: a file name here is for fit problems"),
    ("name: t\nobjective: x**2\nx0: [1]\np0: [1]\n", ":4: p0: not a key of a minimize problem"),
])
def test_bad_files_say_file_line_field(tmp_path, text, where):
    f = write(tmp_path, text)
    r = CliRunner().invoke(cli, ["problems", "list", str(f)])
    assert r.exit_code == 2, r.output
    assert str(f) + where in r.output or (f"{f}:" in r.output and where in r.output), r.output
    assert "Traceback" not in r.output


def test_bad_fit_files_say_file_line_field(tmp_path):
    shutil.copy(KINDS / "misra1a.csv", tmp_path / "m.csv")
    base = "name: t\nmodel: b1*(1 - exp(-b2*x))\ndata: m.csv\n"
    cases = [(base + "p0: {b1: 500, b3: 1}\n", ":4: p0.b3: not a parameter of the model"),
             (base + "p0: [500]\n", ":4: p0: 1 values for 2 parameters"),
             (base.replace("m.csv", "../m.csv") + "p0: [500, 1.0e-4]\n", ":3: data: '../m.csv' is outside"),
             (base.replace("m.csv", "missing.csv") + "p0: [500, 1.0e-4]\n", ":3: data:"),
             (base + "y: z\np0: [500, 1.0e-4]\n", ":4: y:"),
             (base.replace("exp(-b2*x)", "exp(-b2*x") + "p0: [500, 1.0e-4]\n", ":2: model:")]
    for text, where in cases:
        f = write(tmp_path, text)
        r = CliRunner().invoke(cli, ["fit", str(f)])
        assert r.exit_code == 2 and f"{f}{where}" in r.output, (text, r.output)


def test_residuals_that_do_not_sum_to_the_objective_are_refused(tmp_path):
    f = write(tmp_path, "name: t\n" + ROSEN_R + "objective: 100*(x2 - x1**2)**2 + (1 - x1)**3\nx0: [-1.2, 1]\n")
    for command in (["minimize", str(f)], ["fit", str(f)], ["compare", str(f)], ["problems", "list", str(f)]):
        r = CliRunner().invoke(cli, command)
        assert r.exit_code == 2, (command, r.output)
        assert f"{f}:2: residuals: Σ rᵢ² = 24.2 but objective = 30.008" in r.output, r.output
    assert CliRunner().invoke(cli, ["problems", "check", str(f)]).exit_code == 1
    # a mistake that vanishes at x0 (a missing factor 10 times a term that is 0 there) is found at random points
    g = write(tmp_path, "name: t\nresiduals: ['x2 - x1**2', '1 - x1']\nobjective: 100*(x2 - x1**2)**2 + (1 - x1)**2\n"
                        "x0: [1, 1]\n", "g.yaml")
    r = CliRunner().invoke(cli, ["minimize", str(g)])
    assert r.exit_code == 2 and f"{g}:2: residuals: Σ rᵢ² =" in r.output


# ---- problems list / check over a mixed folder ----------------------------------------------------

def test_problems_list_shows_the_kind_and_check_validates_each():
    r = run("problems", "list", KINDS, "--json")
    rows = {x["name"]: x for x in json.loads(r.output)}
    assert (rows["circle_system"]["kind"], rows["circle_system"]["shown"]) == ("root", "root (2 eq.)")
    assert rows["misra1a"]["shown"] == "fit (14 rows)" and rows["misra1a"]["f_star"] == MISRA_RSS
    assert rows["rosenbrock_lsq"]["kind"] == "least-squares" and rows["rosenbrock_lsq"]["shown"] == "least sq. (2)"
    assert rows["booth"]["kind"] == "minimize" and rows["misra1a"]["kind"] == "fit"
    r = run("problems", "check", KINDS)
    assert r.exit_code == 0 and "6 of 6 problem files check" in r.output


def test_problems_check_catches_a_wrong_known_root_and_a_wrong_certified_rss(tmp_path):
    bad_root = write(tmp_path, "name: t\nequations: [x**2 - 2]\nx0: [1]\nsolution: {x: [1.4142]}\n", "r.yaml")
    shutil.copy(KINDS / "misra1a.csv", tmp_path / "misra1a.csv")
    text = (KINDS / "misra1a.yaml").read_text().replace("f: 0.12455138894", "f: 0.1245")
    bad_fit = write(tmp_path, text, "f.yaml")
    wrong_f = write(tmp_path, "name: w\n" + ROSEN_R + "x0: [-1.2, 1]\nsolution: {f: 1, x: [1, 1]}\n", "w.yaml")
    from gradcli.problem.library_check import check_problem

    r = CliRunner().invoke(cli, ["problems", "check", str(tmp_path)])
    assert r.exit_code == 1 and "0 of 3 problem files check" in r.output
    assert check_problem(bad_root) == (False, "‖F(solution.x)‖∞ = 3.84e-05 > 1e-10: solution.x is not a root")
    ok, detail = check_problem(bad_fit)
    assert not ok and detail.startswith("RSS(solution.x) = 0.124551388") and "solution.f = 0.1245 " in detail
    ok, detail = check_problem(wrong_f)
    assert not ok and detail.startswith("f(solution.x) = 0 but solution.f = 1")


# ---- compare over a mixed folder ----------------------------------------------------------------

def test_compare_mixed_folder_runs_each_method_only_where_it_can(tmp_path):
    out = tmp_path / "runs.json"
    r = CliRunner().invoke(cli, ["compare", str(KINDS), "-m", "bfgs,lm,hybr", "--json", str(out)],
                           terminal_width=132)
    assert r.exit_code == 0, r.output
    recs = json.loads(out.read_text())
    ran = {(x["problem"], x["method"]) for x in recs}
    assert ran == {("booth", "BFGS"), ("circle_system", "lm"), ("circle_system", "hybr"), ("cubic", "lm"),
                   ("cubic", "hybr"), ("freudenstein_roth_lsq", "BFGS"), ("freudenstein_roth_lsq", "lm"),
                   ("misra1a", "lm"), ("rosenbrock_lsq", "BFGS"), ("rosenbrock_lsq", "lm")}
    text = " ".join(r.output.split())
    for method, problem in [("lm", "booth"), ("hybr", "booth"), ("BFGS", "circle_system"), ("BFGS", "cubic"),
                            ("hybr", "freudenstein_roth_lsq"), ("BFGS", "misra1a"), ("hybr", "misra1a"),
                            ("hybr", "rosenbrock_lsq")]:
        assert f"skipped {method} on {problem}:" in text
    by = {(x["problem"], x["method"]): x for x in recs}
    keys = set(by[("booth", "BFGS")])
    for k in [("rosenbrock_lsq", "lm"), ("misra1a", "lm"), ("circle_system", "hybr")]:
        assert {"method", "x", "fun", "nfev", "njev", "status", "verdict", "solved", "f_star"} <= set(by[k])
    assert {"method", "x", "fun", "nfev", "njev", "status", "verdict"} <= keys
    lm = by[("rosenbrock_lsq", "lm")]
    assert lm["solved"] and lm["verdict"] == "minimum" and lm["x"] == pytest.approx([1, 1], abs=1e-10)
    assert lm["nfev"] > 0 and lm["njev"] > 0
    assert lre(by[("misra1a", "lm")]["fun"], MISRA_RSS) >= 6 and by[("misra1a", "lm")]["solved"]
    fr = by[("freudenstein_roth_lsq", "lm")]                     # MGH: the local minimum, f* = 0 not reached
    assert fr["solved"] is False and fr["fun"] == pytest.approx(48.98425367924, rel=1e-10)
    hy = by[("circle_system", "hybr")]
    assert hy["solved"] and hy["verdict"] == "root" and hy["x"] == pytest.approx(CIRCLE_ROOT, abs=1e-10)
    assert by[("cubic", "hybr")]["x"][0] == pytest.approx(2.0945514815423265, abs=1e-12)
    # the summary counts every problem for every method (a skip is a failure there)
    assert "could not run" in r.output


def test_compare_all_on_a_residual_file_adds_least_squares(tmp_path):
    out = tmp_path / "runs.json"
    r = CliRunner().invoke(cli, ["compare", str(KINDS / "rosenbrock_lsq.yaml"), "-m", "bfgs,trf,dogbox,lm",
                                 "--json", str(out), "--history"])
    assert r.exit_code == 0, r.output
    recs = {x["method"]: x for x in json.loads(out.read_text())}
    assert set(recs) == {"BFGS", "trf", "dogbox", "lm"}
    for m in ("trf", "dogbox", "lm"):
        assert recs[m]["solved"] and recs[m]["history"] and recs[m]["f0"] == pytest.approx(24.2)


@pytest.mark.parametrize("width", [80, 132])
def test_problems_table_with_kinds_fits_the_terminal(width):
    from rich.console import Console

    from gradcli.problem.listing import summary
    from gradcli.report.study import problems_table

    rows = [{**summary(read_text(p)), "file": str(p)} for p in sorted(KINDS.glob("*.yaml"))]
    console = Console(width=width, record=True, color_system=None)
    console.print(problems_table(rows))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    flat = " ".join(text.split())
    for word in ("minimize", "root (2 eq.)", "fit (14 rows)", "least sq. (2)"):
        assert word in flat


def test_auto_in_a_mixed_study_is_one_method_on_every_kind(tmp_path):
    """compare --methods auto: each kind's own choice, recorded as "auto" (so studies compare auto as one
    method over minimize, fit and root problems)."""
    out = tmp_path / "c.json"
    r = run("compare", str(Path(__file__).parent / "data" / "kinds"), "--methods", "auto", "--json", str(out), "-q")
    assert r.exit_code in (0, 1), r.output
    recs = json.loads(out.read_text())
    assert {rec["method"] for rec in recs} == {"auto"}
    by = {rec["problem"]: rec for rec in recs}
    assert by["circle_system"]["solved"] and "auto → hybr" in by["circle_system"]["auto_reason"]
    assert by["cubic"]["solved"] and "auto → brentq" in by["cubic"]["auto_reason"]
    assert by["misra1a"]["solved"] and by["rosenbrock_lsq"]["solved"]
