"""Our gradient-descent family: the rules' formulas, the loop's stopping tests, counts and the CLI."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

import gradcli
from gradcli.cli import cli
from gradcli.errors import GradcliError
from gradcli.problem.core import build_problem
from gradcli.result import Status
from gradcli.run.solve import compile_problem, method_options, run
from gradcli.solvers.gd import Box
from gradcli.solvers.gd_steps import BarzilaiBorwein, Trial, backtrack
from gradcli.solvers.registry import REGISTRY

GD_FAMILY = [s.name for s in REGISTRY if s.family == "gd"]


def one(expr, x0, method, **kw):
    r = gradcli.minimize(expr, x0, method, **kw)
    return r


def test_the_family_is_registered():
    assert GD_FAMILY == ["gd", "momentum", "nesterov", "adam"]


@pytest.mark.parametrize("method", GD_FAMILY)
def test_every_variant_solves_the_seed_problem_with_defaults(method):
    r = one("x**2-4*x+8", [1.3], method)
    assert r.status is Status.GTOL and r.success, r.message
    assert r.grad_norm <= 1e-5
    assert r.x[0] == pytest.approx(2, abs=5e-6)
    assert r.fun == pytest.approx(4, abs=1e-10)


@pytest.mark.parametrize("step", ["fixed", "armijo", "bb"])
def test_every_gd_step_rule_solves_the_seed_problem(step):
    r = one("x**2-4*x+8", [1.3], "gd", options={"step": step})
    assert r.success and r.grad_norm <= 1e-5 and r.extra["settings"]["step"] == step


def counted_objective(problem):
    """The compiled objective with its counted functions wrapped once more, recording every point."""
    obj = compile_problem(problem)
    seen = {"f": [], "g": []}
    f, g = obj.fun, obj.grad
    obj.fun = lambda x: seen["f"].append(tuple(x)) or f(x)
    obj.grad = lambda x: seen["g"].append(tuple(x)) or g(x)
    return obj, seen


@pytest.mark.parametrize("step, maxiter", [("armijo", 50000), ("bb", 2000)])
def test_rosenbrock_to_gtol_with_exact_counts(rosen_text, step, maxiter):
    problem = build_problem(rosen_text, x0=[-1.2, 1])
    obj, seen = counted_objective(problem)
    [r] = run(problem, "gd", objective=obj, maxiter=maxiter, options={"step": step}, check=False).results
    assert r.status is Status.GTOL, r.message
    assert r.grad_norm <= 1e-5 and np.max(np.abs(np.array(r.x) - 1)) < 1e-4
    assert (r.nfev, r.njev) == (len(seen["f"]), len(seen["g"]))
    # one gradient per accepted point (the start included), and no point evaluated twice
    assert r.njev == r.nit + 1
    assert len(set(seen["f"])) == len(seen["f"]) and len(set(seen["g"])) == len(seen["g"])
    assert r.nit < {"armijo": 20000, "bb": 500}[step]   # BB is far faster than steepest descent here


def test_fixed_step_too_large_is_diverged_never_success():
    r = one("x**2", [1], "gd", options={"step": "fixed", "lr": 1.5})
    assert r.status is Status.DIVERGED and not r.success
    # x ← x − 1.5·2x = −2x: the last finite iterate is ±2^k, and f overflows one step later
    assert math.isfinite(r.x[0]) and abs(r.x[0]) == 2.0 ** round(math.log2(abs(r.x[0])))
    assert "blew up" in r.message


@pytest.mark.parametrize("step", ["armijo", "bb"])
def test_unbounded_below_is_diverged_quickly(step):
    r = one("x**3", [0.5], "gd", options={"step": step})
    assert r.status is Status.DIVERGED and not r.success and r.nit < 20


def test_nonfinite_start_is_reported():
    r = one("log(x)", [-1.0], "gd")
    assert r.status is Status.NONFINITE and not r.success and r.nit == 0


def test_precision_exhausted_is_a_line_search_failure():
    # near x* = ln 2 the gradient cannot get below the rounding of exp(x) − 2 (~1e-16): gtol 1e-300 is
    # out of reach, and the line search runs out of steps that decrease f
    r = one("exp(x) - 2*x", [0.0], "gd", options={"gtol": 1e-300})
    assert r.status is Status.LINE_SEARCH and not r.success
    assert r.x[0] == pytest.approx(math.log(2), abs=1e-7)


def test_maxiter_counts_one_f_and_one_gradient_per_fixed_step():
    r = one("x**2", [1], "gd", maxiter=3, options={"step": "fixed"})
    assert r.status is Status.MAXITER and r.nit == 3
    assert (r.nfev, r.njev) == (4, 4)
    assert r.x[0] == pytest.approx(0.8 ** 3)        # x ← (1 − 2·0.1)·x


def test_ftol_and_xtol_stop_with_their_status():
    r = one("x**2", [1], "gd", options={"step": "fixed", "ftol": 0.1})
    # x_k = 0.8^k, so f_k = 0.64^k ≤ 1: the run stops at the first k with f_{k-1} − f_k ≤ 0.1
    f = [0.64 ** k for k in range(10)]
    k = next(k for k in range(1, 10) if f[k - 1] - f[k] <= 0.1)
    assert r.status is Status.FTOL and r.success and r.nit == k
    r = one("x**2", [1], "gd", options={"step": "fixed", "lr": 1e-4, "xtol": 1e-3})
    assert r.status is Status.XTOL and r.nit == 1       # |Δx| = 1e-4·2 = 2e-4 ≤ 1e-3


def test_tol_sets_gtol_as_in_scipy():
    loose, tight = one("x**2", [1], "adam", tol=1e-2), one("x**2", [1], "adam", tol=1e-8)
    assert 1e-8 < loose.grad_norm <= 1e-2 and tight.grad_norm <= 1e-8 and tight.nit > loose.nit


def test_heavy_ball_and_nesterov_first_iterates_by_hand():
    # f = x², x0 = 1, lr 0.1, β 0.9: heavy ball x2 = x1 − lr·∇f(x1) + β(x1 − x0) = 0.8 − 0.16 − 0.18
    r = one("x**2", [1], "momentum", maxiter=2, options={"lr": 0.1, "beta": 0.9})
    assert r.x[0] == pytest.approx(0.46)
    # Nesterov (look-ahead form): x1 = x0 − lr·(∇f + β·m1), m1 = ∇f(x0) = 2
    r = one("x**2", [1], "nesterov", maxiter=1, options={"lr": 0.1, "beta": 0.9})
    assert r.x[0] == pytest.approx(1 - 0.1 * (2 + 0.9 * 2))


def test_adam_first_step_is_lr_times_sign_by_bias_correction():
    # m̂1 = g, v̂1 = g²: the first step is lr·g/(|g| + ε) in every coordinate, whatever the scale of g
    r = one("1000*x**2 + y**2/1000", [1, 1], "adam", maxiter=1, options={"lr": 0.1})
    assert r.x == pytest.approx([0.9, 0.9], abs=1e-6)


def test_backtracking_halves_until_armijo_holds():
    obj = gradcli.objective("x**2")
    x, g = np.array([1.0]), np.array([2.0])
    t = backtrack(obj, Box(None, 1), x, g, -g, 1.0, obj.fun(x))
    # α = 1 lands on x = −1 (f = 1, no decrease); α = 0.5 lands on 0 (f = 0 ≤ 1 − 1e-4·4·0.5)
    assert (t.alpha, float(t.x[0]), t.f) == (0.5, 0.0, 0.0)
    assert obj.counts.nfev == 3


def test_bb_step_is_s_dot_s_over_s_dot_y():
    rule = BarzilaiBorwein()
    x, g = np.array([1.0, 1.0]), np.array([2.0, 20.0])
    new = Trial(np.array([0.8, -1.0]), 0.0, 0.1)
    rule.accepted(x, g, new, np.array([1.6, -20.0]))
    s, y = np.array([-0.2, -2.0]), np.array([-0.4, -40.0])
    assert rule.alpha == pytest.approx(s @ s / (s @ y))


def test_bb_takes_the_longest_step_when_curvature_is_negative():
    rule = BarzilaiBorwein()
    rule.accepted(np.array([0.0]), np.array([1.0]), Trial(np.array([1.0]), 0.0, 1.0), np.array([0.5]))
    assert rule.alpha == 1e10     # sᵀy < 0: SPG's α_max (the line search shortens it when f disagrees)


@pytest.mark.parametrize("method", GD_FAMILY)
def test_bounds_project_and_measure_the_projected_gradient(method):
    p = build_problem("(x-3)**2 + (y+1)**2 + x*y/10", x0=[0, 0], bounds={"x": (-1, 1), "y": (-2, 2)})
    [r] = run(p, method, check=False).results
    # on the face x = 1 the minimum over y solves 2(y+1) + 1/10 = 0
    assert r.x == pytest.approx([1, -1.05], abs=1e-5) and r.success
    assert r.extra["projected_grad_norm"] <= 1e-5
    assert r.grad_norm == pytest.approx(abs(2 * (1 - 3) - 1.05 / 10), abs=1e-4)   # the full gradient is not 0


def test_trace_rows_are_the_loops_own_values():
    r = one("100*(y-x**2)**2+(1-x)**2", [-1.2, 1], "gd", trace=True, options={"step": "bb"})
    rows = r.trace
    assert len(rows) == r.nit + 1 and rows[0].f == pytest.approx(24.2) and rows[0].alpha is None
    assert (rows[-1].nfev, rows[-1].njev) == (r.nfev, r.njev)
    assert rows[-1].grad_norm == pytest.approx(r.grad_norm)
    assert all(row.alpha > 0 and row.step > 0 for row in rows[1:])
    assert [row.njev for row in rows] == list(range(1, len(rows) + 1))


def test_options_reach_only_the_methods_that_list_them():
    p = build_problem("x**2", x0=[1])
    specs = [REGISTRY.get(n) for n in ("bfgs", "nelder-mead", "gd", "adam")]
    shares = method_options(specs, {"step": "bb", "gtol": 1e-3, "beta1": 0.8, "lr": None})
    assert shares == {"bfgs": {"gtol": 1e-3}, "nelder-mead": {}, "gd": {"step": "bb", "gtol": 1e-3},
                      "adam": {"gtol": 1e-3, "beta1": 0.8}}
    with pytest.raises(GradcliError, match="--step is an option of gd; none of the chosen methods"):
        run(p, "bfgs,powell", options={"step": "bb"})


def test_gtol_reaches_scipy_bfgs(rosen_text):
    loose = one(rosen_text, [-1.2, 1], "bfgs", options={"gtol": 1e-2})
    strict = one(rosen_text, [-1.2, 1], "bfgs")
    assert loose.nit < strict.nit and 1e-5 < loose.grad_norm <= 1e-2


def run_cli(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_diverged_exit_1():
    r = run_cli("minimize", "x**2", "--x0", "1", "--method", "gd", "--step", "fixed", "--lr", "1.5", "--json")
    assert r.exit_code == 1
    [rec] = json.loads(r.stdout)
    assert rec["status"] == "diverged" and rec["success"] is False


def test_cli_step_without_a_gd_method_is_exit_2():
    r = run_cli("minimize", "x**2", "--x0", "1", "--method", "bfgs", "--step", "bb")
    assert r.exit_code == 2 and "--step is an option of gd" in r.stderr


def test_cli_trace_prints_alpha_column():
    r = run_cli("minimize", "x**2", "--x0", "1", "--method", "gd", "--step", "fixed", "--maxiter", "2", "--trace")
    assert "α" in r.stdout and "gd: iterations" in r.stdout
    r = run_cli("minimize", "x**2", "--x0", "1", "--method", "gd", "--step", "fixed", "--maxiter", "2", "--trace",
                "--json")
    [rec] = json.loads(r.stdout)
    assert [row["iteration"] for row in rec["trace"]] == [0, 1, 2] and "alpha" in rec["trace"][1]


def test_methods_and_help_show_the_family_options():
    rows = {row["name"]: row for row in json.loads(run_cli("methods", "--json").stdout)}
    assert rows["gd"]["options"] == ["--step", "--lr", "--gtol", "--ftol", "--xtol"]
    assert rows["adam"]["options"][:4] == ["--lr", "--beta1", "--beta2", "--eps"]
    assert "--beta" in rows["momentum"]["options"] and "--gtol" in rows["bfgs"]["options"]
    assert "Barzilai" in rows["gd"]["option_help"]["--step"]
    text = run_cli("minimize", "--help").stdout
    for flag in ("--step [fixed|armijo|bb]", "--lr", "--beta1", "--beta2", "--eps", "--gtol", "--ftol", "--xtol"):
        assert flag in text
