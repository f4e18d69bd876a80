"""Issue 16, "never silently wrong": stationary points cross-checked, typing mistakes named with their fix,
brute inside its box, profiles that count every problem, and the words around them.

Each test failed on the code before the fix. Values are the issue's (x**4 + y**4 - 3*x*y + x), closed forms
(the roots of x**3 - 3*x + 1 are 2cos(2π/9), 2cos(4π/9), 2cos(8π/9)), counts of a periodic function's
stationary points, and the six-hump camel's published minimum (Dixon & Szegö 1978; Molga & Smutnicki 2005:
f* = -1.0316284535 at ±(0.0898420131, -0.7126564032)).
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
from gradcli.errors import GradcliError
from gradcli.problem.core import build_problem

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
QUARTIC = "x**4 + y**4 - 3*x*y + x"
QUARTIC_POINTS = {(-0.974555, -0.900788): "minimum", (0.709994, 0.810535): "minimum",
                  (0.049454, 0.333495): "saddle point"}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def process(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "gradcli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=ENV, timeout=120)


def _quartic_checks(out: dict) -> None:
    got = {(round(p["x"][0], 6), round(p["x"][1], 6)): p["kind"] for p in out["points"]}
    assert got == QUARTIC_POINTS
    assert out["exact"] is True and out["global_minimum"]["f"] == pytest.approx(-2.047717, abs=1e-6)
    assert all("I" not in s.replace("CRootOf", "") for p in out["points"] for s in p["exact"])


# ---- item 1: stationary --------------------------------------------------------------------------------------
def test_quartic_all_three_stationary_points_cli():
    r = run("stationary", QUARTIC, "--json")
    assert r.exit_code == 0
    _quartic_checks(json.loads(r.stdout))


def test_quartic_all_three_stationary_points_real_process():
    r = process("stationary", QUARTIC, "--json")
    assert r.returncode == 0, r.stderr
    _quartic_checks(json.loads(r.stdout))


def test_sympy_miss_falls_back_and_says_so(monkeypatch):
    """SymPy's solve answering [] (as it does here) with no Groebner rescue: both lists, 'may be incomplete'."""
    from gradcli.checks import stationary as st

    monkeypatch.setattr(st, "solve_exactly", lambda g, s, t, how="solve": ([], "solved exactly") if how == "solve"
                        else (None, "the Groebner basis is not in shape position"))
    found = st.find_stationary(build_problem(QUARTIC))
    assert not found.exact and "may be incomplete" in found.message and "misses" in found.message
    assert found.global_minimum is None and {p.source for p in found.points} == {"numerical"}
    assert {(round(p.x[0], 6), round(p.x[1], 6)) for p in found.points} == set(QUARTIC_POINTS)
    assert st.find_stationary(build_problem(QUARTIC), numeric_fallback=False).points == []


def test_real_roots_printed_without_i():
    """f' = x**3 - 3x + 1 has three real roots that Cardano's formula writes with I: 2cos(2πk/9)."""
    out = json.loads(run("stationary", "x**4/4 - 3*x**2/2 + x", "--json", "--timeout", "60").stdout)
    assert out["exact"] is True
    assert sorted(p["x"][0] for p in out["points"]) == pytest.approx(
        sorted(2 * math.cos(a * math.pi / 9) for a in (2, 4, 8)), abs=1e-12)
    assert all("I" not in p["exact"][0].replace("CRootOf", "") for p in out["points"])


def test_numerical_only_says_may_be_incomplete_and_finds_all_84():
    """sin(x)cos(y) on [-10, 10]²: cos x = 0 = sin y (6 x 7) or sin x = 0 = cos y (7 x 6): 84 points."""
    r = run("stationary", "sin(x)*cos(y)", "--json")
    out = json.loads(r.stdout)
    assert out["exact"] is False and "may be incomplete" in out["message"] and out["global_minimum"] is None
    assert len(out["points"]) == 84
    assert out["bounded_below"] is True and "-1" in out["bounded_reason"]
    text = run("stationary", "sin(x)*cos(y)").stdout
    assert "may be incomplete" in text and "global minimum:" not in text


@pytest.mark.parametrize("expr, expected, low", [
    ("sin(x)*cos(y)", True, -1.0), ("sin(x) + cos(y)", True, -2.0), ("3*tanh(x) - exp(y)**2", None, None),
    ("x**2*sin(y)", None, None), ("abs(x) + atan(y)", True, -math.pi / 2), ("exp(x) - x", None, None),
    ("x**4 + y**4 - 4*x*y", True, None), ("x**3 + y**2", False, None),
])
def test_bounded_below_decided_or_reason_given(expr, expected, low):
    from gradcli.checks.lower_bound import bounded_below, interval

    p = build_problem(expr)
    got, _, why = bounded_below(p.expr, list(p.symbols))
    assert got is expected, why
    if low is not None:
        assert interval(p.expr)[0] == pytest.approx(low)
    if got is None:
        assert "term" in why or "degree" in why


def test_exact_in_minimize_no_longer_denies_the_minimum():
    r = run("minimize", QUARTIC, "--x0", "-1,-1", "-m", "bfgs", "--exact")
    assert "no real minimiser" not in r.stdout and "2 exact minimisers" in r.stdout
    assert "from the exact minimiser (-0.9745550183, -0.9007878959)" in r.stdout


# ---- item 10: typing mistakes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("expr, fix, column", [
    ("2x + 1", "write 2*x", 1), ("x y", "write x*y", 1), ("2 x", "write 2*x", 1), ("3(x+1)", "write 3*(...)", 1),
    ("x**2 + 1.5y", "write 1.5*y", 8), ("x**2+", "ends with '+'", 6), ("np.exp(x)", "write exp(...)", 1),
    ("math.sin(x)", "write sin(...)", 1), ("np.pi*x", "write pi", 1), ("x(y+1)", "x*(...)", 1),
])
def test_typing_mistakes_name_the_fix(expr, fix, column):
    r = run("minimize", expr, "--x0", "1,1")
    assert r.exit_code == 2 and fix in r.stderr, r.stderr
    assert f"column {column}:" in r.stderr
    assert "sum(expr, i, lo, hi)" not in r.stderr and all(len(line) < 300 for line in r.stderr.splitlines())


def test_caret_points_at_the_end_of_a_trailing_operator():
    lines = run("minimize", "x**2+", "--x0", "1").stderr.splitlines()
    assert lines[-1].index("^") == lines[-2].index("x") + len("x**2+")


def test_equals_in_a_constraint_suggests_double_equals():
    r = run("minimize", "x**2 + y**2", "--x0", "1,1", "-m", "slsqp", "--constraint", "x+y=1")
    assert r.exit_code == 2 and "x+y == 1" in r.stderr


def test_no_allowed_syntax_list_in_any_expression_error():
    for expr in ("x +* 2", "x & y", "'a'", "[x]", "lambda: 1"):
        err = run("minimize", expr, "--x0", "1").stderr
        assert "gradcli minimize --help" in err and "atan2" not in err and len(err.splitlines()[0]) < 300, err


def test_bounds_colon_in_a_problem_file(tmp_path):
    f = tmp_path / "b.yaml"
    f.write_text('name: t\nobjective: "(x-1)**2"\nx0: [0.5]\nbounds: {x: 0:1}\n')
    r = run("minimize", f)
    assert r.exit_code == 2 and "b.yaml:4: bounds.x:" in r.stderr and "write [0, 1]" in r.stderr


def test_2x_real_process():
    r = process("minimize", "2x + 1", "--x0", "1")
    assert r.returncode == 2 and "write 2*x" in r.stderr and "Traceback" not in r.stderr and len(r.stderr) < 400


# ---- item 12: brute -------------------------------------------------------------------------------------------
def _brute(expr, bounds, x0, **options):
    from gradcli.run.solve import solve_one

    p = build_problem(expr, x0=x0, bounds=bounds)
    return solve_one(p, "brute", options=options)


def test_brute_finds_the_minimum_with_counts_from_our_counters():
    r = _brute("(x-1)**2 + (y-2)**2", {"x": (-3, 3), "y": (-3, 3)}, [0, 0])
    assert r.x == pytest.approx([1, 2], abs=1e-6) and r.verdict.kind == "minimum"
    assert r.nfev >= 400 and "count_mismatch" not in r.extra
    small = _brute("(x-1)**2 + (y-2)**2", {"x": (-3, 3), "y": (-3, 3)}, [0, 0], grid=5)
    assert small.nfev >= 25 and small.nfev < 400 and small.x == pytest.approx([1, 2], abs=1e-6)


def test_brute_never_leaves_its_box():
    """SciPy's own brute returns x = 5 here (unbounded fmin polish: scipy #5773, #9413, #11445, #22665)."""
    r = _brute("(x-5)**2 + (y-2)**2", {"x": (-3, 3), "y": (-3, 3)}, [0, 0])
    assert r.x[0] == 3.0 and r.x[1] == pytest.approx(2, abs=1e-6) and r.fun == pytest.approx(4, abs=1e-10)
    r = _brute("x**2", {"x": (1, 2)}, [1.5])
    assert r.x == [1.0]


def test_brute_six_hump_camel_published_minimum():
    camel = "(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2"
    r = _brute(camel, {"x": (-3, 3), "y": (-2, 2)}, [0, 0])
    assert r.fun == pytest.approx(-1.0316284535, abs=1e-9)
    assert abs(r.x[0]) == pytest.approx(0.0898420131, abs=1e-6) and abs(r.x[1]) == pytest.approx(0.7126564032, abs=1e-6)


def test_brute_refuses_a_grid_too_large_and_needs_bounds():
    with pytest.raises(GradcliError, match="MAX_GRID_POINTS"):
        _brute("x + y + z + w + v", {k: (0, 1) for k in "xyzwv"}, [0] * 5, grid=100)
    r = run("minimize", "(x-5)**2", "--x0", "0", "-m", "brute")
    assert r.exit_code == 2 and "finite bounds" in r.stderr


def test_brute_cli_and_real_process_inside_bounds():
    args = ["minimize", "(x-5)**2 + (y-2)**2", "--x0", "0,0", "-m", "brute", "--bounds", "x=-3:3",
            "--bounds", "y=-3:3", "--json"]
    for out in (run(*args).stdout, process(*args).stdout):
        rec = json.loads(out)[0]
        assert rec["x"][0] == 3.0 and rec["method"] == "brute"


def test_methods_lists_brute_and_basinhopping_without_finite_bounds():
    rows = {r["name"]: r for r in json.loads(run("methods", "--json").stdout)}
    assert rows["brute"]["options"] == ["--grid"] and "finite bounds" in rows["brute"]["needs"]
    assert "finite bounds" not in rows["basinhopping"]["needs"]
    r = run("minimize", "(x-5)**2 + (y-2)**2", "--x0", "0,0", "-m", "basinhopping", "--seed", "0", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["x"] == pytest.approx([5, 2], abs=1e-6)


# ---- item 4: profiles count every problem ----------------------------------------------------------------------
def _rec(problem, method, solved, nfev, start=0):
    return {"problem": problem, "start": start, "method": method, "nfev": nfev, "njev": 0, "solved": solved,
            "time": 0.1}


def test_profile_counts_a_skipped_problem_as_a_failure():
    from gradcli.study.profiles import performance_profile, summarize

    recs = [_rec("bowl", "BFGS", True, 4), _rec("bowl", "L-BFGS-B", True, 6), _rec("boxed", "L-BFGS-B", True, 6)]
    skipped = [("boxed", "bfgs", "cannot honour bounds")]
    p = performance_profile(recs, "nfev", taus=[1.0, 2.0], skipped=skipped)
    assert p.problems == 2 and p.instances == 2
    assert p.rho["BFGS"] == [0.5, 0.5] and p.rho["L-BFGS-B"] == [0.5, 1.0]
    assert [(s.problem, s.method) for s in p.skipped] == [("boxed", "BFGS")]
    s = {m.method: m for m in summarize(recs, skipped)}
    assert (s["BFGS"].solved, s["BFGS"].judged, s["BFGS"].skipped) == (1, 2, 1)
    assert summarize(recs, skipped)[0].method == "L-BFGS-B"


def test_data_profile_and_ecdf_count_a_skipped_problem():
    from gradcli.study.profiles import data_profile, runtime_ecdf

    base = {"n": 1, "f_star": 0.0, "f0": 10.0, "fun": 0.0, "history": [[1, 10.0], [4, 0.0]]}
    recs = [dict(base, problem="p", start=0, method="A"), dict(base, problem="q", start=0, method="A"),
            dict(base, problem="p", start=0, method="B")]
    dp = data_profile(recs, budgets=[2], skipped=[("q", "B", "cannot honour bounds")])
    assert dp.problems == 2 and dp.d == {"A": [1.0], "B": [0.5]}
    ec = runtime_ecdf(recs, targets=[0.1], budgets=[4])
    assert ec.problems == 2 and ec.share == {"A": [1.0], "B": [0.5]}


def _two_problems(folder: Path) -> Path:
    d = folder / "pr"
    d.mkdir()
    (d / "bowl.yaml").write_text('name: bowl\nobjective: "(x1-1)**2 + (x2+1)**2"\nx0: [3.0, 3.0]\nsolution: {f: 0.0}\n')
    (d / "boxed.yaml").write_text('name: boxed\nobjective: "(x1-1)**2 + (x2+1)**2"\nx0: [0.5, 0.5]\n'
                                  'bounds: {x1: [0.0, 2.0], x2: [0.0, 2.0]}\nsolution: {f: 1.0}\n')
    return d


def _compare_checks(out: str, recs: list[dict]) -> None:
    flat = " ".join(out.split())
    assert "2 problems" in flat and "skipped BFGS on boxed: cannot honour bounds" in flat
    assert "skipped differential_evolution on bowl" in flat and "differential-evolution" not in flat
    assert "verdict" in out and all("verdict" in r for r in recs)
    assert {r["problem"] for r in recs} == {"bowl", "boxed"}


def test_compare_counts_both_problems_and_shows_verdicts(tmp_path):
    d = _two_problems(tmp_path)
    r = run("compare", d, "-m", "bfgs,l-bfgs-b,de", "--json", tmp_path / "c.json")
    assert r.exit_code == 0, r.stderr
    _compare_checks(r.stdout, json.loads((tmp_path / "c.json").read_text()))


def test_compare_real_process(tmp_path):
    d = _two_problems(tmp_path)
    r = process("compare", d, "-m", "bfgs,l-bfgs-b,de", "--json", tmp_path / "c.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    _compare_checks(r.stdout, json.loads((tmp_path / "c.json").read_text()))


@pytest.mark.parametrize("width", [80, 132])
def test_runs_table_renders_with_verdict_column(width):
    from gradcli.report.study import runs_table

    rec = dict(_rec("rosenbrock", "differential_evolution", True, 1234), fun=1e-12, f_star=0.0,
               status="converged", verdict="minimum")
    con = Console(width=width, record=True, color_system=None)
    con.print(runs_table([rec], width))
    text = con.export_text()
    assert "verdict" in text and "minimum" in text and max(len(line) for line in text.splitlines()) <= width


# ---- item 15: words ----------------------------------------------------------------------------------------------
def test_did_you_mean_names_each_method_once():
    r = run("minimize", "x**2", "--x0", "1", "-m", "lbfgs")
    assert r.exit_code == 2 and r.stderr.count("l-bfgs-b") == 1


def test_negative_tol_names_tol():
    r = run("minimize", "x**2", "--x0", "1", "-m", "gd", "--tol", "-1")
    assert r.exit_code == 2 and "'--tol'" in r.stderr and "--gtol" not in r.stderr


def test_best_tag_is_explained():
    out = run("minimize", "x**2", "--x0", "1", "-m", "bfgs,cg").stdout
    assert "(best)" in out and "(best): the lowest f(x*) among the runs our verdict calls a minimum" in out


def test_numerical_points_are_real_roots_of_the_gradient():
    """Whatever the search reports is a stationary point to working accuracy (our gradient, uncounted)."""
    from gradcli.checks.stationary import find_stationary
    from gradcli.run.solve import compile_problem

    p = build_problem("sin(x) + cos(2*y) + x**2/20")
    obj = compile_problem(p)
    found = find_stationary(p, objective=obj, box=[(-6, 6), (-4, 4)])
    assert found.points and all(np.max(np.abs(obj.grad_uncounted(np.array(q.x)))) < 1e-8 for q in found.points)


def test_grid_option_reaches_brute_only():
    args = ["minimize", "(x-1)**2 + (y-2)**2", "--x0", "0,0", "-m", "brute", "--bounds", "x=-3:3",
            "--bounds", "y=-3:3", "--grid", "5", "--json"]
    r = run(*args)
    [rec] = json.loads(r.stdout)
    assert r.exit_code == 0 and 25 <= rec["nfev"] < 100 and rec["x"] == pytest.approx([1, 2], abs=1e-6)
    r = run("minimize", "x**2", "--x0", "1", "-m", "bfgs", "--grid", "5")
    assert r.exit_code == 2 and "--grid is an option of brute" in r.stderr
