"""--method auto: the choice and its one-line reason follow the problem's structure."""

import json

import pytest
from click.testing import CliRunner

from gradcli.run.auto import choose
from gradcli.cli import cli
from gradcli.problem.core import build_problem
from gradcli.problem.file import load_problem


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("expr, kw, methods", [
    ("100*(y-x**2)**2+(1-x)**2", {}, {"trust-exact", "bfgs", "newton-cg"}),
    ("+".join(f"(x{i}-{i % 3})**2" for i in range(300)), {}, {"l-bfgs-b", "trust-krylov"}),
    ("x**2 + y**2", {"bounds": {"x": (1, 5)}}, {"l-bfgs-b", "tnc"}),
    ("x**2 + y**2", {"constraints": ["x + y >= 1"]}, {"slsqp", "trust-constr"}),
    ("abs(x-1) + abs(y+2)", {}, {"nelder-mead", "powell"}),
    ("max(x, y) + x**2", {"constraints": ["x + y >= 1"]}, {"cobyla"}),
])
def test_choice(expr, kw, methods):
    assert choose(build_problem(expr, **kw)).method in methods


def test_problem_file_choice():
    assert choose(load_problem("problems/hs071.yaml")).method == "slsqp"


def test_cli_prints_the_reason():
    r = run("minimize", "100*(y-x**2)**2+(1-x)**2", "--x0", "-1.2,1", "--method", "auto")
    assert r.exit_code == 0 and "auto → trust-exact: 2 variables, smooth" in r.stdout
    r = run("minimize", "abs(x-1) + abs(y+2)", "--x0", "0,0", "--method", "auto", "--json")
    [rec] = json.loads(r.stdout)
    assert rec["method"] == "Nelder-Mead" and "auto" in rec["auto_reason"] and "non-smooth" in rec["auto_reason"]
    assert rec["verdict"] == "minimum (non-smooth, sampled)"


def test_large_problem_runs_with_auto():
    expr = "+".join(f"(x{i}-1)**2" for i in range(300))
    r = run("minimize", expr, "--x0", ",".join(["0"] * 300), "--method", "auto", "--json")
    [rec] = json.loads(r.stdout)
    assert rec["method"] == "L-BFGS-B" and rec["verdict"] == "minimum" and "300 variables" in rec["auto_reason"]
