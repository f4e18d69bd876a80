"""`gradcli root`: known roots, our counts against independent counters, verdicts, --all, bad input,
rendering at 80 and 132 columns, and a real subprocess."""

import io
import json
import math
import subprocess
import sys

import pytest
from click.testing import CliRunner
from rich.console import Console

from gradcli.cli import cli

WALLIS = 2.0945514815423265          # x³ − 2x − 5 = 0 (Wallis's cubic; Newton's own example)
CIRCLE = ((math.sqrt(6) + math.sqrt(2)) / 2, (math.sqrt(6) - math.sqrt(2)) / 2)   # x² + y² = 4, xy = 1
DOTTIE = 0.7390851332151607          # cos(x) = x
POWELL = "x1 + 10*x2; sqrt(5)*(x3 - x4); (x2 - 2*x3)**2; sqrt(10)*(x1 - x4)**2"   # MGH problem 13
FREUDENSTEIN_ROTH = "x - 13 + ((5 - y)*y - 2)*y; x - 29 + ((y + 1)*y - 14)*y"     # MGH problem 2


def run(*args):
    return CliRunner().invoke(cli, ["root", *args], catch_exceptions=False)


def runs(*args):
    r = run(*args, "--json")
    return r.exit_code, json.loads(r.stdout)["runs"] if r.stdout.strip() else []


def test_wallis_cubic_every_scalar_method_to_full_precision():
    code, recs = runs("x**3 - 2*x - 5", "--bracket", "2:3", "--x0", "2", "--method", "all")
    assert code == 0
    assert [r["method"] for r in recs] == ["brentq", "brenth", "ridder", "bisect", "toms748", "newton", "halley",
                                          "secant"]
    for r in recs:
        assert r["x"][0] == pytest.approx(WALLIS, rel=1e-15), r["method"]
        assert r["verdict"] == "root" and r["verified"]
        assert r["nfev"] > 0
    by = {r["method"]: r for r in recs}
    assert by["newton"]["njev"] == by["newton"]["nfev"] and by["newton"]["nhev"] == 0
    assert by["halley"]["nhev"] == by["halley"]["nfev"] > 0
    assert by["brentq"]["njev"] == by["brentq"]["nhev"] == 0


def test_our_counts_are_the_calls_an_independent_counter_sees():
    from scipy.optimize import root, root_scalar

    calls = {"f": 0, "d": 0}

    def f(x):
        calls["f"] += 1
        return x ** 3 - 2 * x - 5

    def d(x):
        calls["d"] += 1
        return 3 * x ** 2 - 2

    root_scalar(f, x0=2.0, fprime=d, method="newton", xtol=1e-14, rtol=4 * 2.220446049250313e-16)
    _, [rec] = runs("x**3 - 2*x - 5", "--x0", "2", "--method", "newton")
    assert (rec["nfev"], rec["njev"]) == (calls["f"], calls["d"])

    calls.update(f=0, d=0)

    def F(v):
        calls["f"] += 1
        return [v[0] ** 2 + v[1] ** 2 - 4, v[0] * v[1] - 1]

    def J(v):
        calls["d"] += 1
        return [[2 * v[0], 2 * v[1]], [v[1], v[0]]]

    sol = root(F, [2, 0.5], jac=J, method="hybr", options={"xtol": 1e-10})
    _, [rec] = runs("x**2 + y**2 - 4; x*y - 1", "--x0", "2,0.5")
    assert (rec["nfev"], rec["njev"]) == (calls["f"], calls["d"])
    # SciPy's own njev for hybr leaves out a call: the mismatch is shown, not hidden
    if sol.njev != calls["d"]:
        assert rec["count_mismatch"] == {"njev": [calls["d"], sol.njev]}


def test_system_by_default_and_with_each_method_that_converges_reaches_our_tolerance():
    code, [rec] = runs("x**2 + y**2 - 4; x*y - 1", "--x0", "2,0.5")
    assert code == 0 and rec["method"] == "hybr" and rec["jacobian"] == "exact J"
    assert rec["x"] == pytest.approx(CIRCLE, abs=1e-14)
    code, recs = runs("x**2 + y**2 - 4; x*y - 1", "--x0", "2,0.5", "--method", "all")
    assert len(recs) == 10
    for r in recs:
        if r["success"]:       # SciPy's default would stop near 6e-6; ours must reach 1e-10
            assert r["residual"] <= 1e-10 and r["verdict"] == "root", r["method"]
            assert r["x"] == pytest.approx(CIRCLE, abs=1e-9)
        else:
            assert r["verdict"] == "not converged"
    code, recs = runs("x**2 + y**2 - 4; x*y - 1", "--x0", "2,0.5", "--method", "fsolve,newton_krylov")
    assert [r["method"] for r in recs] == ["fsolve (hybr)", "newton_krylov (krylov)"]


def test_fixed_point_of_cos():
    code, [rec] = runs("--fixed-point", "cos(x)", "--x0", "1")
    assert code == 0 and rec["x"][0] == pytest.approx(DOTTIE, abs=1e-15) and rec["verdict"] == "root"


def test_powell_singular_reaches_zero_and_is_flagged_singular():
    code, [rec] = runs(POWELL, "--x0", "3,-1,0,1", "--method", "hybr")
    assert max(abs(v) for v in rec["x"]) < 1e-6
    assert rec["residual"] < 1e-20 and rec["verdict"] == "singular root"
    assert code == 0          # a verified (singular) root, though SciPy's hybr calls it a failure
    assert rec["success"] is False


def test_freudenstein_roth_local_minimum_is_not_a_root():
    # MGH (1981) problem 2 from (0.5, -2): f = ‖F‖² = 48.9842... at (11.41..., -0.8968...), a local minimum
    code, [rec] = runs(FREUDENSTEIN_ROTH, "--x0", "0.5,-2", "--method", "lm")
    assert code == 1
    assert rec["verdict"] == "local minimum of ‖F‖, not a root"
    assert sum(v * v for v in rec["fun"]) == pytest.approx(48.9842, abs=1e-4)
    assert rec["x"] == pytest.approx([11.41, -0.8968], abs=1e-2)


def test_multiple_root_is_singular_and_no_root_is_not_converged():
    _, recs = runs("(x - 1)**3", "--x0", "3", "--method", "newton,halley")
    assert all(r["verdict"] == "singular root" and abs(r["x"][0] - 1) < 1e-6 for r in recs)
    code, [rec] = runs("x**2 + 1", "--x0", "0.5", "--method", "newton")
    assert code == 1 and rec["verdict"] == "not converged"


def test_all_roots_of_sin_and_of_a_polynomial():
    r = run("sin(x)", "--bracket", "1:20", "--all", "--json")
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and d["complete"] is False and "incomplete" in d["message"]
    assert [x["x"][0] for x in d["roots"]] == pytest.approx([k * math.pi for k in range(1, 7)], abs=1e-14)
    d = json.loads(run("(x - 1)**2*(x + 2)", "--bracket", "-3:3", "--all", "--json").stdout)
    assert d["complete"] is True
    assert [(x["x"][0], x["verdict"]) for x in d["roots"]] == [(-2.0, "root"), (1.0, "singular root")]


def test_all_roots_closer_than_the_grid_a_touching_root_and_poles():
    d = json.loads(run("(x - 1)*(x - 1.00001)*exp(x)", "--bracket", "0:2", "--all", "--json").stdout)
    assert [x["x"][0] for x in d["roots"]] == pytest.approx([1.0, 1.00001], abs=1e-12)
    d = json.loads(run("(x - 1)**2*exp(x)", "--bracket", "0:2", "--all", "--json").stdout)
    assert [(round(x["x"][0], 6), x["verdict"]) for x in d["roots"]] == [(1.0, "singular root")]
    d = json.loads(run("tan(x)", "--bracket", "1:5", "--all", "--json").stdout)
    assert [x["x"][0] for x in d["roots"]] == pytest.approx([math.pi], abs=1e-14)
    assert [x["x"][0] for x in d["rejected"]] == pytest.approx([math.pi / 2, 3 * math.pi / 2], abs=1e-9)


def test_a_steep_root_is_verified_by_tolerance_from_the_smaller_bracket_end():
    code, [rec] = runs("exp(100*x) - 10", "--bracket", "0:1")
    assert code == 0 and rec["x"][0] == pytest.approx(math.log(10) / 100, rel=1e-15)
    assert rec["tol"] == pytest.approx(9e-10)    # 1e-10·|f(0)|, not 1e-10·|f(1)| = 2.7e33


@pytest.mark.parametrize("args, words", [
    (("x**2 + 1", "--bracket", "0:2"), ["no sign change", "--all"]),
    (("log(x)", "--bracket", "0:2"), ["undefined", "x = 0"]),
    (("sqrt(x**2 - 0.25) - 1", "--bracket", "-2:2"), ["undefined", "inside"]),
    (("x + y + z; x - y", "--x0", "1,1,1"), ["square", "--method lm", "fit"]),
    (("x*y - 1", "--x0", "1,1", "--method", "lm"), ["at least as many equations"]),
    (("x**2; y**2", "--x0", "0,1"), ["singular at --x0", "rank 1 of 2"]),
    (("x**2 - 2", "--x0", "0", "--method", "newton"), ["f′(0) = 0"]),
    (("x**2 - 2", "--x0", "1", "--method", "brentq"), ["needs --bracket"]),
    (("x**2 - 2", "--bracket", "0:2", "--method", "simplex"), ["unknown"]),
    (("x**2 - 2; y", "--x0", "1,1", "--method", "brentq"), ["one equation"]),
    (("x**2 - 2", "--bracket", "3:1"), ["A < B"]),
    (("x**2 - 2",), ["--bracket", "--x0"]),
    (("__import__('os')", "--x0", "1"), ["expression error"]),
])
def test_bad_input_is_one_line_and_exit_2(args, words):
    r = CliRunner().invoke(cli, ["root", *args])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    for w in words:
        assert w in r.stderr, (w, r.stderr)


def test_tables_render_at_80_and_132_columns():
    from gradcli.report.root import print_all, print_runs
    from gradcli.roots import equations, run as runner
    from gradcli.roots.allroots import find_all

    eqs = equations.build("x**2 + y**2 - 4; x*y - 1")
    specs = runner.resolve("all", eqs, None, [2.0, 0.5])
    tol, recs = runner.run(specs, eqs, None, [2.0, 0.5], 1e-10)
    for width in (80, 132):
        console = Console(file=io.StringIO(), width=width, record=True, markup=False, highlight=False)
        print_runs(console, eqs, recs, tol)
        text = console.export_text()
        assert max(len(line) for line in text.splitlines()) <= width
        assert "broyden1" in text and "1.931851653" in text and "not converged" in text
    one = equations.build("sin(x)")
    found = find_all(one, 1.0, 20.0, 1e-10)
    console = Console(file=io.StringIO(), width=80, record=True, markup=False, highlight=False)
    print_all(console, one, found, (1.0, 20.0))
    text = console.export_text()
    assert "18.84955592153876" in text and "MAY BE INCOMPLETE" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_real_subprocess():
    out = subprocess.run([sys.executable, "-m", "gradcli", "root", "x**3 - 2*x - 5", "--bracket", "2:3", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["runs"][0]["x"][0] == pytest.approx(WALLIS, rel=1e-15)
    out = subprocess.run([sys.executable, "-m", "gradcli", "root", "x**2 + 1", "--bracket", "0:2"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "sign" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_plot_writes_a_png_and_never_overwrites(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "roots.png"
    r = run("x**3 - 2*x - 5", "--bracket", "2:3", "--x0", "2", "--method", "brentq,newton", "--plot", str(path))
    assert r.exit_code == 0 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    before = path.read_bytes()
    r = CliRunner().invoke(cli, ["root", "sin(x)", "--bracket", "1:20", "--all", "--plot", str(path)])
    assert r.exit_code == 2 and "--force" in r.stderr and path.read_bytes() == before
    r = run("sin(x)", "--bracket", "1:20", "--all", "--plot", str(path), "--force")
    assert r.exit_code == 0 and path.read_bytes() != before
    r = CliRunner().invoke(cli, ["root", "x*y - 1; x - y", "--x0", "1,2", "--plot", str(tmp_path / "b.png")])
    assert r.exit_code == 2 and "one equation" in r.stderr and not (tmp_path / "b.png").exists()
