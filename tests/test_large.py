"""Large problems: indexed variables, sum(), vectorized evaluation of look-alike terms, sparse Hessians."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.optimize import rosen, rosen_der, rosen_hess

import gradcli
from gradcli.cli import cli
from gradcli.errors import ExpressionError
from gradcli.expr.parse import parse
from gradcli.problem.core import build_problem

CHAINED = "sum(100*(x[i+1]-x[i]**2)**2 + (1-x[i])**2, i, 0, n-2)"


def test_sum_and_index_expand_to_scalar_variables():
    p = parse("sum((x[i] - i)**2, i, 0, n-1) + sum(x[k]*x[k+1], k, 0, 1)", dim=3)
    assert p.names == ("x[0]", "x[1]", "x[2]")
    x = {s: v for s, v in zip(sorted(p.expr.free_symbols, key=lambda s: s.name), (1.0, 2.0, 4.0))}
    assert float(p.expr.subs(x)) == pytest.approx(1 + 1 + 4 + 1 * 2 + 2 * 4)


@pytest.mark.parametrize("text, dim, words", [
    ("x[0]", None, "--dim"),
    ("x[3]", 3, "outside x[0] .. x[2]"),
    ("sum(x[i], i, 0)", 3, "sum takes (expr, i, lo, hi)"),
    ("x[i]", 3, "sum() index or n"),
    ("sum(x[i], n, 0, 1)", 3, "cannot be a sum() index"),
    ("sum(x[i], i, 0, 10000000)", 10, "MAX_SUM_TERMS"),
])
def test_index_errors(text, dim, words):
    with pytest.raises(ExpressionError) as e:
        parse(text, dim=dim)
    assert words in str(e.value)


def test_short_x0_repeats_to_fill():
    p = build_problem(CHAINED, dim=6, x0=[-1.2, 1])
    assert p.starts == [[-1.2, 1.0] * 3]


@pytest.mark.parametrize("n", [60, 1000])
def test_chained_rosenbrock_matches_scipy(n):
    o = gradcli.objective(CHAINED, dim=n)
    assert o.backend == "numpy-vectorized"
    w = np.linspace(-1, 1, n)
    assert o.fun(w) == pytest.approx(rosen(w), rel=1e-13)
    np.testing.assert_allclose(o.grad(w), rosen_der(w), rtol=1e-12, atol=1e-10)
    H = o.hess(w)
    H = H.toarray() if hasattr(H, "toarray") else H
    np.testing.assert_allclose(H, rosen_hess(w), rtol=1e-12, atol=1e-10)
    p = np.sin(np.arange(n))
    np.testing.assert_allclose(o.hessp(w, p), rosen_hess(w) @ p, rtol=1e-10, atol=1e-8)
    assert o.counts.snapshot() == (1, 1, 2)


def test_grouped_terms_with_a_rest():
    # 20 look-alike terms (vectorized) plus odd terms compiled the ordinary way
    text = "sum((x[i] - 1)**2 * exp(x[i+1]/10), i, 0, n-2) + x[0]*x[5] + sin(x[3])"
    o = gradcli.objective(text, dim=60)
    assert o.backend == "numpy-vectorized"
    w = np.linspace(-0.5, 0.7, 60)
    plain = gradcli.objective(" + ".join(f"(x{i} - 1)**2*exp(x{i + 1}/10)" for i in range(59))
                              + " + x0*x5 + sin(x3)", variables=[f"x{i}" for i in range(60)])
    assert o.fun(w) == pytest.approx(plain.fun(w), rel=1e-13)
    np.testing.assert_allclose(o.grad(w), plain.grad(w), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(o.hess(w), plain.hess(w), rtol=1e-11, atol=1e-11)


def test_minimize_dim_cli_solves_chained_rosenbrock():
    r = CliRunner().invoke(cli, ["minimize", CHAINED, "--dim", "200", "--x0", "-1.2,1", "--method", "l-bfgs-b",
                                 "--json"], catch_exceptions=False)
    [rec] = json.loads(r.stdout)
    assert r.exit_code == 0 and rec["fun"] < 1e-8 and len(rec["x"]) == 200
    assert max(abs(v - 1) for v in rec["x"]) < 1e-3 and rec["verdict"] == "minimum"
