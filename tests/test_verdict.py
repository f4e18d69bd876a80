"""Verdicts from our exact derivatives, never the solver's word; every bundled problem's known solution."""

import glob
import json

import numpy as np
import pytest
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.problem.core import build_problem
from gradcli.problem.file import load_problem
from gradcli.run.solve import compile_problem, solve_one
from gradcli.checks.verdict import verify

ROSEN = "100*(y-x**2)**2+(1-x)**2"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def verdict(expr, x, **kw):
    p = build_problem(expr, x0=x, **kw)
    return verify(compile_problem(p), p, x)


@pytest.mark.parametrize("expr, x, kind", [
    ("x**2 - y**2", [0, 0], "saddle point"),
    ("sin(x)", [np.pi / 2], "maximum"),
    (ROSEN, [1, 1], "minimum"),
    (ROSEN, [1 + 1e-6, 1 + 2e-6], "minimum"),        # within 1e-6: the Newton step says so
    (ROSEN, [0.5, 0.5], "not stationary"),
    ("x**3", [0.0], "saddle point"),                   # zero curvature, f decreases one way
    ("x**4 + y**2", [0.0, 0.0], "minimum (degenerate)"),
    ("abs(x-1) + abs(y+2)", [1 + 1e-5, -2], "minimum (non-smooth, sampled)"),
    ("abs(x-1) + abs(y+2)", [1.1, -2], "not stationary"),
])
def test_unconstrained_kinds(expr, x, kind):
    assert verdict(expr, x).kind == kind


def test_rosenbrock_eigenvalues():
    v = verdict(ROSEN, [1, 1])
    assert v.eigenvalues == pytest.approx([0.3993608, 1001.6006], rel=1e-6)


def test_diverged_run_is_not_stationary():
    # huge f must not make a huge gradient look small (relative gradient, Dennis & Schnabel)
    assert verdict(ROSEN, [-6.8e29, 6.1e19]).kind == "not stationary"


def test_bounds_and_constraints():
    assert verdict("x**2 + y**2", [1, 0], bounds={"x": (1, 5)}).kind == "minimum"
    assert verdict("x**2 + y**2", [1, 0.5], bounds={"x": (1, 5)}).kind == "not stationary"
    v = verdict("x**2 + y**2", [0.5, 0.5], constraints=["x + y >= 1"])
    assert v.kind == "minimum" and v.multipliers["x + y >= 1"] == pytest.approx(1.0)
    # the multiplier of an inequality has the wrong sign: f decreases into the feasible side
    assert verdict("x**2 + y**2", [0.5, 0.5], constraints=["x + y <= 1"]).kind == "not stationary"
    assert verdict("x**2 + y**2", [0.2, 0.2], constraints=["x + y >= 1"]).kind == "infeasible"


def test_hs071_slsqp_kkt():
    p = load_problem("problems/hs071.yaml")
    r = solve_one(p, "slsqp", objective=compile_problem(p), tol=1e-10)
    assert r.verdict.kind == "minimum"
    assert r.fun == pytest.approx(17.0140173, abs=1e-6)
    assert r.verdict.kkt_residual <= 1e-6 and r.maxcv <= 1e-8
    lam = r.verdict.multipliers
    assert lam["x1*x2*x3*x4 >= 25"] == pytest.approx(0.55229, abs=1e-4)
    assert lam["x1**2 + x2**2 + x3**2 + x4**2 == 40"] == pytest.approx(-0.16147, abs=1e-4)


def test_large_n_sparse_no_dense_eigendecomposition(monkeypatch):
    n = 300
    expr = "+".join(f"(x{i}-1)**2" for i in range(n)) + " - 3*x5**2"
    p = build_problem(expr, x0=[1.0] * n)
    o = compile_problem(p)
    monkeypatch.setattr(np.linalg, "eigvalsh", lambda *a: pytest.fail("dense eigvalsh at n = 300"))
    x = np.ones(n)
    x[5] = -0.5
    v = verify(o, p, x)
    assert v.kind == "saddle point" and v.min_eig == pytest.approx(-4.0)
    assert verify(o, p, np.r_[np.ones(5), -0.5 + 1e-9, np.ones(n - 6)]).eigenvalues is None


# Known solutions that are degenerate minima, and why (the Hessian is singular there by construction).
DEGENERATE = {
    "powell_singular": "Hessian singular at 0: the quartic terms carry the minimum",
    "extended_powell_singular": "the same singular block repeated",
}
NONSMOOTH = {"gulf": "the objective uses a non-smooth function; sampled, not a Hessian test"}


@pytest.mark.parametrize("path", [f for f in sorted(glob.glob("problems/*.yaml"))
                                  if (lambda p: p.solution and p.solution.x)(load_problem(f))])
def test_every_problem_solution_is_a_minimum(path):
    p = load_problem(path)
    v = verify(compile_problem(p), p, p.solution.x)
    expected = ("minimum (degenerate)" if p.name in DEGENERATE else
                "minimum (non-smooth, sampled)" if p.name in NONSMOOTH else "minimum")
    assert v.kind == expected, (v.kind, v.reason)


def test_cli_saddle_and_maximum_exit_1():
    r = run("minimize", "x**2 - y**2", "--x0", "1,0", "--method", "bfgs", "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)[0]["verdict"] == "saddle point"
    r = run("minimize", "sin(x)", "--x0", "1.5707963267948966", "--method", "bfgs")
    assert r.exit_code == 1 and "maximum" in r.stdout and "reports success" in r.stdout
    r = run("minimize", "x**2 - y**2", "--x0", "1,0", "--method", "bfgs", "--no-verify", "--json")
    assert r.exit_code == 0 and "verdict" not in json.loads(r.stdout)[0]


def test_cli_rosenbrock_all_verbose():
    r = run("minimize", ROSEN, "--x0", "-1.2,1", "--method", "bfgs,trust-exact,nelder-mead,newton-cg", "--json")
    for rec in json.loads(r.stdout):
        if max(abs(rec["x"][0] - 1), abs(rec["x"][1] - 1)) <= 1e-5:
            assert rec["verdict"] == "minimum", rec["method"]
    r = run("minimize", ROSEN, "--x0", "-1.2,1", "--method", "bfgs", "--verbose")
    assert r.exit_code == 0
    assert "0.39936" in r.stdout and "1001.6" in r.stdout
    assert "|g(x)|" in r.stdout and "≤ 1.0e-05" in r.stdout and "iterations" in r.stdout
    assert "solver reported" in r.stdout


def test_best_point_seen_and_keep_best():
    args = ["minimize", ROSEN, "--x0", "-1.2,1", "--method", "momentum", "--json"]
    [rec] = json.loads(run(*args).stdout)
    assert rec["best_seen"]["fun"] == pytest.approx(24.2)
    [kept] = json.loads(run(*args, "--keep-best").stdout)
    assert kept["kept_best"] and kept["fun"] == pytest.approx(24.2) and kept["x"] == [-1.2, 1.0]


def test_multistart_sobol():
    r = run("minimize", "x**4 - 3*x**2 + y**2", "--bounds", "x=-3:3", "--bounds", "y=-3:3", "--starts", "8",
            "--seed", "1", "--method", "l-bfgs-b", "--json")
    [rec] = json.loads(r.stdout)
    assert r.exit_code == 0 and len(rec["multistart"]) == 8 and rec["verdict"] == "minimum"
    assert run("minimize", "x**2", "--starts", "4", "--method", "bfgs").exit_code == 2   # bounds required


def test_exact_distance():
    r = run("minimize", "(x-1)**2 + (y-2)**2 + x*y", "--x0", "0,0", "--method", "bfgs", "--exact", "--json")
    [rec] = json.loads(r.stdout)
    assert rec["exact_error"] < 1e-5 and rec["exact_minimizer"] == pytest.approx([0, 2])
