"""Exact stationary points (SymPy in a killable child), classification, bounded below, numerical fallback."""

import json
import time

import pytest
import sympy as sp
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.problem.core import build_problem
from gradcli.checks.stationary import bounded_below, find_stationary, solve_exactly


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cubic_minimum_saddle_unbounded():
    r = run("stationary", "x**3 - 3*x + y**2", "--json")
    out = json.loads(r.stdout)
    kinds = {tuple(p["x"]): p["kind"] for p in out["points"]}
    assert kinds == {(1.0, 0.0): "minimum", (-1.0, 0.0): "saddle point"}
    assert out["bounded_below"] is False and out["global_minimum"] is None
    assert {tuple(p["exact"]) for p in out["points"]} == {("1", "0"), ("-1", "0")}


def test_global_minimum_exact():
    out = json.loads(run("stationary", "(x-1)**2 + (y-2)**2", "--json").stdout)
    assert out["bounded_below"] is True and out["global_minimum"]["exact"] == ["1", "2"]
    r = run("stationary", "(x-1)**2 + (y-2)**2")
    assert "global minimum" in r.stdout and r.exit_code == 0


def test_irrational_roots_exact_strings():
    found = find_stationary(build_problem("x**4 - 4*x**2 + y**4"))
    assert sorted(p.exact[0] for p in found.points) == sorted(["0", "sqrt(2)", "-sqrt(2)"])
    assert found.bounded_below is True and found.coercive


@pytest.mark.parametrize("expr, expected", [
    ("x**3 + y**2", False), ("x**4 - y**4", False), ("x**4 + y**4 - 4*x*y", True),
    ("100*(y-x**2)**2+(1-x)**2", True), ("x**4 + x**2*y**2 - 2*x*y", None), ("exp(x) - x", None),
])
def test_bounded_below(expr, expected):
    p = build_problem(expr)
    assert bounded_below(p.expr, list(p.symbols))[0] is expected


def test_timeout_is_enforced():
    x, y, z = sp.symbols("x y z")
    g = [sp.diff(x**9 * y**7 - 3 * x**4 * y**3 * z**5 + z**9 * x - y**8 + x * y * z**6 - 11 * z**2 * y, s)
         for s in (x, y, z)]
    started = time.perf_counter()
    sols, why = solve_exactly(g, [x, y, z], timeout=0.5)
    assert sols is None and "0.5" in why and time.perf_counter() - started < 3


def test_numerical_fallback_for_non_polynomial():
    found = find_stationary(build_problem("sin(x) + y**2"), box=[(-4, 4), (-1, 1)], grid=60)
    assert not found.exact and "could not solve exactly" in found.message
    kinds = sorted((round(p.x[0], 6), p.kind) for p in found.points)
    assert kinds == [(-1.570796, "minimum"), (1.570796, "maximum (degenerate)")] or \
        [k for _, k in kinds] == ["minimum", "saddle point"]
