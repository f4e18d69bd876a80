"""sum(...) kept whole (gradcli/symbolic/indexed.py, sliced.py): the same f, ∇f and ∇²f as the written-out
path, SciPy's Rosenbrock figures, finite differences; and which expressions fall back to the written-out path."""

import json

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner
from scipy.optimize import approx_fprime, rosen, rosen_der, rosen_hess

import gradcli
from gradcli.cli import cli
from gradcli.compiled.protocol import Objective as ObjectiveProtocol
from gradcli.expr.indexed import IndexedNames, expand
from gradcli.expr.parse import parse
from gradcli.problem.core import build_problem
from gradcli.symbolic.compile import Objective
from gradcli.symbolic.indexed import why_not
from gradcli.symbolic.sliced import SlicedObjective

CHAINED = "sum(100*(x[i+1]-x[i]**2)**2 + (1-x[i])**2, i, 0, n-2)"
EXTENDED = "sum(100*(y[i]-x[i]**2)**2 + (1-x[i])**2, i, 0, n-1)"

CASES = [
    CHAINED,
    EXTENDED,
    # several sums, a scalar inside and outside a summand, n and the index in the summand
    "sum((x[i] - i/n)**2 * exp(z/10), i, 0, n-1) + sum(x[k]*x[k+1], k, 0, n-2) + (z - 1)**2",
    # strides: extended Powell singular in one vector
    "sum((x[4*j]+10*x[4*j+1])**2 + 5*(x[4*j+2]-x[4*j+3])**2 + (x[4*j+1]-2*x[4*j+2])**4"
    " + 10*(x[4*j]-x[4*j+3])**4, j, 0, n/4-1)".replace("n/4-1", "NQ"),
    # a reversed index, a fixed element inside and outside, a coefficient, a sum with a constant term
    "3*sum(sin(x[i]) * x[n-1-i] + x[0]*x[i]**2, i, 0, n-1) - sum(cos(y[i+2]) + 1, i, 0, n-3) + x[2]**3 - 2*y[1]",
    # maximize's negation and a division by n
    "-(sum(log(1 + x[i]**2) + tanh(x[i+1] - x[i]) + erf(x[i]/2), i, 0, n-2))/n",
]


def _case(text: str, n: int) -> str:
    return text.replace("NQ", str(n // 4 - 1))


def _expanded(text: str, n: int) -> Objective:
    """The written-out path, as before this change: one term per index value."""
    p = parse(text, dim=n)
    return Objective(p.expr, [sp.Symbol(v, real=True) for v in p.names], p.names)


@pytest.mark.parametrize("n", [60, 252])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_sliced_equals_written_out_and_differences(case, n):
    text = _case(CASES[case], n)
    o = gradcli.objective(text, dim=n)
    assert isinstance(o, SlicedObjective) and isinstance(o, ObjectiveProtocol)
    old = _expanded(text, n)
    assert tuple(o.variables) == tuple(old.variables)
    rng = np.random.default_rng(case)
    for x in (rng.uniform(-1, 1, o.n), rng.uniform(0.1, 2, o.n)):
        f = o.fun(x)
        assert f == pytest.approx(old.fun_uncounted(x), rel=1e-12, abs=1e-12)
        g = o.grad(x)
        np.testing.assert_allclose(g, old.grad_uncounted(x), rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(g, approx_fprime(x, o.fun_uncounted, 1e-7), rtol=1e-4, atol=1e-4)
        vf, vg = o.value_and_grad(x)
        assert vf == pytest.approx(f, rel=1e-14, abs=1e-14) and np.allclose(vg, g, rtol=1e-14, atol=1e-14)
        H, Hold = o.hess(x), old.hess_uncounted(x)
        H = H.toarray() if hasattr(H, "toarray") else H
        Hold = Hold.toarray() if hasattr(Hold, "toarray") else Hold
        np.testing.assert_allclose(H, Hold, rtol=1e-11, atol=1e-10)
        np.testing.assert_allclose(H, H.T, rtol=0, atol=0)
        p = np.cos(np.arange(o.n))
        np.testing.assert_allclose(o.hessp(x, p), H @ p, rtol=1e-11, atol=1e-10)


@pytest.mark.parametrize("n", [60, 1000, 20_000])
def test_chained_rosenbrock_is_scipys(n):
    o = gradcli.objective(CHAINED, dim=n)
    assert isinstance(o, SlicedObjective)
    w = np.linspace(-1, 1, n)
    assert o.fun(w) == pytest.approx(rosen(w), rel=1e-13)
    np.testing.assert_allclose(o.grad(w), rosen_der(w), rtol=1e-12, atol=1e-9)
    H = o.hess_uncounted(w)
    if n <= 1000:
        np.testing.assert_allclose(H.toarray() if hasattr(H, "toarray") else H, rosen_hess(w), rtol=1e-12, atol=1e-9)
    else:
        assert H.nnz == 3 * n - 2          # tridiagonal: no dense n×n
    p = np.sin(np.arange(n))
    ref = rosen_hess(w) @ p if n <= 1000 else H @ p
    np.testing.assert_allclose(o.hessp(w, p), ref, rtol=1e-11, atol=1e-8)


def test_names_are_made_on_demand_in_natural_order():
    p = build_problem("sum((x[i] - y[i])**2 + z*x[i], i, 0, n-1) + a**2", dim=100)
    assert isinstance(p.variables, IndexedNames)
    assert p.n == 202 and p.variables[0] == "a" and p.variables[1] == "x[0]" and p.variables[-1] == "z"
    assert p.variables.index("y[5]") == 106 and "x[99]" in p.variables and "x[100]" not in p.variables
    assert p.symbols[3] == sp.Symbol("x[2]", real=True)
    old = parse(p.objective, dim=100).names
    assert tuple(p.variables) == old


@pytest.mark.parametrize("text, why", [
    ("sum(abs(x[i]), i, 0, n-1)", "abs"),
    ("log(1 + sum(x[i]**2, i, 0, n-1))", "nonlinear"),
    ("sum(sum(x[i]*x[j], j, 0, 2), i, 0, n-1)", "inside a sum"),
    ("sum(x[i*i]**2, i, 0, 7)", "by itself"),
    ("sum(x[2*i]**2, i, 0, n/2-1)".replace("n/2-1", "59"), "skips"),
    ("sum(min(x[i], 1)**2, i, 0, n-1)", "min"),
    ("sum(x[i]**2, i, 0, n-1) * sum(x[i], i, 0, n-1)", "nonlinear"),
    ("sum(x[i]**2, i, 0, 9)", "10 variables"),
])
def test_what_falls_back_to_the_written_out_path(text, why):
    reason = why_not(text, None, 120)
    assert reason is not None and why in reason
    o = gradcli.objective(text, dim=120)
    assert not isinstance(o, SlicedObjective)
    x = np.linspace(0.1, 0.9, o.n)
    np.testing.assert_allclose(o.grad(x), approx_fprime(x, o.fun_uncounted, 1e-7), rtol=1e-4, atol=1e-4)


def test_index_outside_and_term_limit_give_the_same_errors():
    from gradcli.errors import ExpressionError
    with pytest.raises(ExpressionError, match=r"index 120 is outside x\[0\] .. x\[119\]"):
        build_problem("sum(x[i+1]**2, i, 0, n-1)", dim=120)
    with pytest.raises(ExpressionError, match="MAX_SUM_TERMS"):
        build_problem("sum(x[0]*i, i, 0, 10000000)", dim=120)


def test_expand_gives_the_written_out_expression():
    p = build_problem(CHAINED, dim=60)
    old = parse(CHAINED, dim=60).expr
    x = {sp.Symbol(f"x[{k}]", real=True): 0.01 * k for k in range(60)}
    assert float(expand(p.expr).xreplace(x)) == pytest.approx(float(old.xreplace(x)), rel=1e-13)
    # the written-out Objective accepts the kept-whole form too (printed gradients go this way)
    o = Objective(p.expr, p.symbols, p.variables)
    w = np.linspace(-1, 1, 60)
    np.testing.assert_allclose(o.grad_uncounted(w), rosen_der(w), rtol=1e-12, atol=1e-10)


def test_every_consumer_runs_newton_cg_trust_and_checkgrad():
    for method in ("newton-cg", "trust-ncg", "trust-krylov", "l-bfgs-b"):
        # tol: with SciPy's default, Newton-CG stops at f = 0.003 on this problem (SciPy's own rosen too),
        # which the verdict rightly calls not stationary
        r = gradcli.minimize(CHAINED, [-1.2, 1], method=method, dim=300, maxiter=5000, tol=1e-10)
        assert r.fun < 1e-10 and r.verdict.kind.name == "MINIMUM", (method, r.fun, r.verdict)
        assert r.x_named["x[299]"] == pytest.approx(1.0, abs=1e-4)
    m = CliRunner().invoke(cli, ["maximize", f"-({CHAINED})", "--dim", "300", "--x0", "-1.2,1", "-m", "newton-cg",
                                 "--tol", "1e-10", "--json"])
    assert m.exit_code == 0, m.output
    d = json.loads(m.output)
    d = d[0] if isinstance(d, list) else d
    assert d["fun"] > -1e-10 and d["verdict"] == "maximum"
    at = ",".join(str(v) for v in np.linspace(-1, 1, 300))
    out = CliRunner().invoke(cli, ["checkgrad", CHAINED, "--dim", "300", "--at", at, "--json"])
    assert out.exit_code == 0, out.output[:2000]


def test_cli_newton_cg_extended_rosenbrock_json():
    r = CliRunner().invoke(cli, ["minimize", EXTENDED, "--dim", "5000", "--x0", "-1.2,1", "-m", "newton-cg",
                                 "--tol", "1e-10", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    d = d[0] if isinstance(d, list) else d
    assert d["fun"] < 1e-8 and d["verdict"] == "minimum" and len(d["x"]) == 10_000


# ---- long written-out sums, grouped by shape (gradcli/symbolic/grouped.py) -----------------------------
SERIES = " + ".join(f"sin({k}*x)/{k}**2" for k in range(1, 1501))
POWELL = " + ".join(f"(x{4*k+1}+10*x{4*k+2})**2 + 5*(x{4*k+3}-x{4*k+4})**2 + (x{4*k+2}-2*x{4*k+3})**4"
                    f" + 10*(x{4*k+1}-x{4*k+4})**4" for k in range(60))


def test_written_out_series_is_grouped_and_exact():
    o = gradcli.objective(SERIES)
    assert isinstance(o, SlicedObjective) and o.n == 1
    k = np.arange(1, 1501)
    for x in (0.3, -1.7, 2.9):
        assert o.fun([x]) == pytest.approx(np.sum(np.sin(k * x) / k**2), rel=1e-13, abs=1e-13)
        assert o.grad([x])[0] == pytest.approx(np.sum(np.cos(k * x) / k), rel=1e-12, abs=1e-12)
        assert o.hess([x])[0, 0] == pytest.approx(-np.sum(np.sin(k * x)), rel=1e-10, abs=1e-10)


def test_written_out_powell_equals_the_term_by_term_path():
    o = gradcli.objective(POWELL)
    assert isinstance(o, SlicedObjective) and o.n == 240
    p = parse(POWELL)
    old = Objective(p.expr, [sp.Symbol(v, real=True) for v in p.names], p.names)
    assert tuple(o.variables) == p.names
    x = np.random.default_rng(3).uniform(-1, 1, 240)
    assert o.fun(x) == pytest.approx(old.fun_uncounted(x), rel=1e-13)
    np.testing.assert_allclose(o.grad(x), old.grad_uncounted(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(o.hess(x).toarray(), old.hess_uncounted(x).toarray(), rtol=1e-12, atol=1e-11)


def test_long_sum_of_unlike_terms_stays_term_by_term():
    o = gradcli.objective(" + ".join(f"(x{k}-1)**2*x{k + 1}**{k % 9 + 2}" for k in range(1, 250)))
    assert isinstance(o, SlicedObjective)           # 9 shapes of about 28 terms: grouped
    unlike = " + ".join(f"x{k}**{k + 1}" for k in range(1, 220))   # every exponent its own shape
    u = gradcli.objective(unlike)
    assert not isinstance(u, SlicedObjective)
    x = np.full(219, 0.9)
    np.testing.assert_allclose(u.grad(x), [(k + 1) * 0.9**k for k in range(1, 220)], rtol=1e-12)


@pytest.mark.parametrize("bad, words", [
    ("log(0)*x", "undefined"), ("asin(2)*x", "not a real number"), ("(x**1000)**1000", "MAX_EXPONENT"),
    ("max(a,b,c,d,e,f,g)", "MAX_MINMAX_ARGS"), ("(2**300*x)**1000", "MAX_NUMBER_DIGITS"),
])
def test_long_sums_built_unevaluated_keep_every_limit(bad, words):
    from gradcli.errors import GradcliError
    text = " + ".join(f"(x{k} - {k})**2" for k in range(1, 301)) + " + " + bad
    with pytest.raises(GradcliError, match=words):
        build_problem(text)


def test_stationary_command_writes_kept_whole_sums_out():
    r = CliRunner().invoke(cli, ["stationary", "sum((x[i]-1)**2, i, 0, n-1)", "--dim", "60"])
    assert r.exit_code == 0 and "global minimum: f = 0" in r.output, r.output
    # the printed gradient (grad command) goes through Objective(problem.expr, ...): test_expand_gives_...


@pytest.mark.parametrize("case", range(len(CASES)))
def test_long_slices_reuse_buffers_and_give_the_same_numbers(case, monkeypatch):
    from gradcli.symbolic import indexed
    n = 80_000
    text = _case(CASES[case], n)
    indexed.analyse.cache_clear()
    monkeypatch.setattr(indexed, "INPLACE_MIN", 10**9)        # temporaries as usual
    plain = gradcli.objective(text, dim=n)
    indexed.analyse.cache_clear()
    monkeypatch.undo()
    buffered = gradcli.objective(text, dim=n)
    assert "_b0" in buffered.parts[0].source and "_b0" not in plain.parts[0].source
    rng = np.random.default_rng(case)
    xs = [rng.uniform(0.1, 1, buffered.n) for _ in range(2)]
    p = np.cos(np.arange(buffered.n))
    for x in xs + xs:                                   # every kernel called again at another point
        assert buffered.fun(x) == pytest.approx(plain.fun(x), rel=1e-13)
        np.testing.assert_allclose(buffered.grad(x), plain.grad(x), rtol=1e-13, atol=1e-13)
        f, g = buffered.value_and_grad(x)
        np.testing.assert_allclose(g, plain.grad(x), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(buffered.hessp(x, p), plain.hessp(x, p), rtol=1e-12, atol=1e-12)
    assert (buffered.hess(xs[0]) != plain.hess(xs[0])).nnz == 0 or \
        np.allclose((buffered.hess(xs[0]) - plain.hess(xs[0])).data, 0, atol=1e-10)


def test_buffered_kernels_are_per_thread():
    from concurrent.futures import ThreadPoolExecutor
    n = 40_000
    objectives = [gradcli.objective(CHAINED, dim=n) for _ in range(2)]   # one shared model, two objectives
    assert objectives[0].parts[0].g is objectives[1].parts[0].g
    xs = [np.linspace(-1, 1, n) * s for s in (0.5, 1.5)]

    def work(k):
        return [objectives[k].grad(xs[k]) for _ in range(30)]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(work, (0, 1)))
    for k in (0, 1):
        for g in results[k]:
            np.testing.assert_allclose(g, rosen_der(xs[k]), rtol=1e-12, atol=1e-9)
