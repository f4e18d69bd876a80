"""`gradcli checkgrad` and gradcli.checks.gradcheck: right and wrong gradients, schemes, random points, exit codes."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import scipy.optimize
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.symbolic.compile import Objective
from gradcli.checks.gradcheck import EPS, check_gradient, fd_steps, finite_difference, random_points, scipy_check_grad
from gradcli.problem.core import build_problem

ROSEN = "100*(y-x**2)**2+(1-x)**2"
RIGHT = "-400*x*(y-x**2)-2*(1-x); 200*(y-x**2)"
WRONG_Y = "-400*x*(y-x**2)-2*(1-x); -200*(y-x**2)"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def check_json(*args):
    r = run("checkgrad", *args, "--json")
    assert r.exit_code in (0, 1), r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] == (r.exit_code == 0)
    return out


def test_right_hand_gradient_passes_exit_0():
    r = run("checkgrad", ROSEN, "--at", "-1.2,1", "--grad", RIGHT)
    assert r.exit_code == 0
    assert "OK: the hand-written gradient" in r.stdout and "WRONG" not in r.stdout


def test_wrong_component_is_named_exit_1():
    r = run("checkgrad", ROSEN, "--at", "-1.2,1", "--grad", WRONG_Y)
    assert r.exit_code == 1
    assert "disagrees with central differences in y" in r.stdout
    out = check_json(ROSEN, "--at", "-1.2,1", "--grad", WRONG_Y)
    assert out["wrong"] == ["y"] and out["symbolic_mismatch"] == ["y"]
    x_comp, y_comp = out["points"][0]["components"]
    assert x_comp["ok"] and not y_comp["ok"]
    assert y_comp["analytic"] == pytest.approx(88) and y_comp["fd"] == pytest.approx(-88, rel=1e-9)
    assert y_comp["symbolic"] == pytest.approx(-88) and y_comp["symbolic_ok"] is False


def test_json_schema():
    out = check_json(ROSEN, "--at", "x=-1.2,y=1", "--grad", RIGHT)
    assert set(out) == {"variables", "subject", "gradient", "scheme", "rtol", "atol", "ok", "wrong",
                        "symbolic_mismatch", "points"}
    assert out["subject"] == "hand-written" and out["gradient"] == RIGHT.split("; ")
    [p] = out["points"]
    assert p["label"] == "named point" and p["x"] == [-1.2, 1.0] and p["f"] == pytest.approx(24.2)
    assert set(p["components"][0]) == {"variable", "analytic", "fd", "step", "abs_error", "rel_error", "tolerance",
                                       "ok", "symbolic", "symbolic_abs_error", "symbolic_ok"}


def test_symbolic_gradient_checked_without_grad():
    out = check_json(ROSEN, "--at", "-1.2,1")
    assert out["ok"] and out["subject"] == "symbolic" and out["points"][0]["components"][0]["symbolic"] is None
    assert out["points"][0]["components"][0]["analytic"] == pytest.approx(-215.6)


def test_fd_agreement_is_the_verdict_not_symbolic_equality():
    """A hand gradient off by 1e-8 relative is within FD accuracy: it passes, but the symbolic mismatch is reported."""
    out = check_json("x**2", "--at", "1", "--grad", "2*x*(1+1e-8)")
    assert out["ok"] and out["symbolic_mismatch"] == ["x"]


def test_central_is_more_accurate_than_forward():
    central = check_json(ROSEN, "--at", "-1.2,1")
    forward = check_json(ROSEN, "--at", "-1.2,1", "--fd", "forward")
    assert forward["scheme"] == "forward" and forward["ok"]
    c, f = central["points"][0]["components"][0], forward["points"][0]["components"][0]
    assert c["rel_error"] < 1e-9 < f["rel_error"] < 1e-6
    assert c["step"] == pytest.approx(EPS ** (1 / 3) * 1.2) and f["step"] == pytest.approx(math.sqrt(EPS) * 1.2)


def test_steps_follow_nocedal_wright():
    x = np.array([0.5, -3.0])
    assert fd_steps(x, "central") == pytest.approx(EPS ** (1 / 3) * np.array([1.0, 3.0]))
    assert fd_steps(x, "forward") == pytest.approx(math.sqrt(EPS) * np.array([1.0, 3.0]))
    g, _, _ = finite_difference(lambda v: math.exp(v[0]) * v[1] ** 3, x, "central")
    assert g == pytest.approx([math.exp(0.5) * -27, math.exp(0.5) * 27], rel=1e-9)


@pytest.mark.parametrize("grad", [lambda v: [-400 * v[0] * (v[1] - v[0] ** 2) - 2 * (1 - v[0]), 200 * (v[1] - v[0] ** 2)],
                                  lambda v: [0.0, 0.0]])
@pytest.mark.parametrize("x", [[-1.2, 1.0], [0.0, 0.0], [1e-9, 3e8]])
def test_check_grad_number_matches_scipy(grad, x):
    f = lambda v: 100 * (v[1] - v[0] ** 2) ** 2 + (1 - v[0]) ** 2  # noqa: E731
    x = np.array(x)
    assert scipy_check_grad(f, np.array(grad(x)), x) == scipy.optimize.check_grad(f, grad, x)


def test_random_points_reproducible_and_within_bounds():
    a = check_json(ROSEN, "--at", "-1.2,1", "--points", "5", "--seed", "7", "--bounds", "x=-2:2")
    b = check_json(ROSEN, "--at", "-1.2,1", "--points", "5", "--seed", "7", "--bounds", "x=-2:2")
    c = check_json(ROSEN, "--at", "-1.2,1", "--points", "5", "--seed", "8", "--bounds", "x=-2:2")
    xs = [p["x"] for p in a["points"]]
    assert len(xs) == 6 and xs == [p["x"] for p in b["points"]] and xs != [p["x"] for p in c["points"]]
    assert all(-2 <= x[0] <= 2 for x in xs[1:]) and a["ok"]


def test_random_point_rule():
    """Both bounds finite: uniform in them; otherwise the named point plus N(0,1), clipped to a one-sided bound."""
    center = np.array([100.0, 0.0, 0.0])
    pts = np.array(random_points(center, [(-1, 1), (0, math.inf), (-math.inf, math.inf)], 400, 3))
    assert (np.abs(pts[:, 0]) <= 1).all() and pts[:, 0].std() == pytest.approx(2 / math.sqrt(12), rel=0.15)
    assert (pts[:, 1] >= 0).all()
    assert pts[:, 2].mean() == pytest.approx(0, abs=0.2) and pts[:, 2].std() == pytest.approx(1, rel=0.15)


def test_error_caught_only_away_from_named_point():
    """d/dx of x**3 written as 3*x: equal at x=1 (and x=0), wrong elsewhere, so random points find it."""
    assert check_json("x**3", "--at", "1", "--grad", "3*x")["ok"]
    out = check_json("x**3", "--at", "1", "--grad", "3*x", "--points", "5", "--seed", "1")
    assert not out["ok"] and out["wrong"] == ["x"] and out["points"][0]["ok"]


def test_rtol_atol_set_the_verdict():
    assert not check_json("x**2", "--at", "1", "--grad", "2*x+1e-3")["ok"]
    assert check_json("x**2", "--at", "1", "--grad", "2*x+1e-3", "--atol", "1e-2")["ok"]
    assert check_json("x**2", "--at", "1", "--grad", "2*x*1.001", "--rtol", "1e-2")["ok"]


def test_rounding_noise_of_large_values_is_not_a_failure():
    """f = 1e6 + x**2: the difference quotient loses ~eps*1e6/h ≈ 4e-5 absolute; the right gradient passes."""
    assert check_json("1e6 + x**2", "--at", "3", "--fd", "forward")["ok"]


def test_non_finite_gradient_fails():
    out = check_json("sqrt(x)", "--at", "-1")
    assert not out["ok"] and out["points"][0]["components"][0]["analytic"] is None


def test_problem_file_gradient_field_is_checked(tmp_path):
    """A .yaml argument's gradient: field is checked; the bundled Rosenbrock's is right, a flipped one is caught."""
    r = run("checkgrad", "problems/rosenbrock.yaml")
    assert r.exit_code == 0, r.stdout
    text = open("problems/rosenbrock.yaml").read().replace("200*(x2 - x1**2)]", "-200*(x2 - x1**2)]")
    assert "-200*(x2" in text
    bad = tmp_path / "rosenbrock.yaml"
    bad.write_text(text)
    r = run("checkgrad", str(bad))
    assert r.exit_code == 1
    assert "disagrees with central differences in x2" in r.stdout
    right = "-400*x1*(x2-x1**2)-2*(1-x1); 200*(x2-x1**2)"
    assert run("checkgrad", str(bad), "--grad", right).exit_code == 0   # --grad wins over the file


def test_missing_problem_file_is_bad_input():
    r = run("checkgrad", "problems/no_such_problem.yaml")
    assert r.exit_code == 2 and "no such file" in r.stderr


@pytest.mark.parametrize("args, words", [
    ([ROSEN, "--at", "-1.2,1", "--grad", "-400*x*(y-x**2)-2*(1-x)"], "1 component for 2 variables"),
    ([ROSEN, "--at", "-1.2,1", "--grad", "1; 2; 3"], "3 components for 2 variables"),
    ([ROSEN, "--at", "-1.2,1", "--grad", "1; w"], "uses w, which is not a variable"),
    ([ROSEN, "--at", "-1.2,1", "--grad", "1; __import__('os')"], "strings are not allowed"),
    ([ROSEN, "--at", "-1.2"], "--at: 1 value for 2 variables"),
    ([ROSEN, "--at", "a,b"], "'a'"),
    ([ROSEN], "--at: give the point"),
    ([ROSEN, "--at", "1,1", "--rtol", "-1"], "x>=0"),
])
def test_bad_input_exit_2_one_line(args, words):
    r = run("checkgrad", *args)
    assert r.exit_code == 2
    assert words in r.stderr and "Traceback" not in r.stderr + r.stdout
    said = [x for x in r.stderr.strip().splitlines() if x and not x.startswith(("Usage:", "Try "))]  # click's frame
    assert len(said) <= 3   # one message (expression errors add a caret line)


def test_library_call_without_cli():
    problem = build_problem("exp(x)*y**2")
    check = check_gradient(problem, [0.3, -2.0], gradient=["exp(x)*y**2", "2*exp(x)*y"], points=3, seed=0)
    assert check.ok and len(check.points) == 4
    obj = Objective(problem.expr, problem.symbols)
    assert check.points[0].components[1].symbolic == pytest.approx(obj.grad_uncounted(np.array([0.3, -2.0]))[1])


def test_help_has_examples():
    r = run("checkgrad", "--help")
    assert r.exit_code == 0 and "Examples" in r.stdout and "Nocedal" in r.stdout


def test_real_subprocess_exit_codes():
    base = [sys.executable, "-m", "gradcli", "checkgrad", ROSEN, "--at", "-1.2,1", "--grad"]
    right = subprocess.run(base + [RIGHT], capture_output=True, text=True, timeout=120)
    wrong = subprocess.run(base + [WRONG_Y], capture_output=True, text=True, timeout=120)
    assert right.returncode == 0, right.stderr
    assert wrong.returncode == 1 and "in y" in wrong.stdout
