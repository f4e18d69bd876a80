"""What the fit's speed work (benchmarks/fit_speed.py, docs/fit.md "Speed") must not change: r at lm's
answer taken from MINPACK (and lm's last J, when it is at the answer) are r and J there to the last bit, a non-finite Jacobian is still caught without summing
J, and the second-derivative sums written as c·dot(w·P, D) are still Σ wᵢ∇²rᵢ. Data: NIST StRD Misra1a and
Thurber (https://www.itl.nist.gov/div898/strd/nls/), and 3000 rows generated from Thurber's certified values."""

import numpy as np
import pytest

from gradcli.fit import methods
from gradcli.fit.data import read_table
from gradcli.fit.model import build_model, check_start
from gradcli.fit.run import fit
from gradcli.fit.verdict import examine
from tests.test_fit import MISRA1A, MISRA1A_X, MISRA1A_Y, THURBER, THURBER_X, THURBER_Y, write_csv


def thurber_values(x, b):
    return (b[0] + b[1] * x + b[2] * x**2 + b[3] * x**3) / (1 + b[4] * x + b[5] * x**2 + b[6] * x**3)


@pytest.fixture
def big_thurber(tmp_path):
    rows = 3000                                  # above the counter's KEEP_ROWS: lm's fvec path
    assert rows > methods.Counter.KEEP_ROWS
    x = np.linspace(-3, 2.2, rows)
    y = thurber_values(x, THURBER["cert"]) + np.random.RandomState(17).normal(0, 13.7, rows)
    return build_model(THURBER["model"], read_table(str(write_csv(tmp_path / "t.csv", x, y))))


def p0_of(case):
    return np.array([float(kv.split("=")[1]) for kv in case["p0"].split(",")])


def test_lm_on_large_data_reports_r_and_j_at_its_answer_bit_for_bit(big_thurber):
    m, p0 = big_thurber, p0_of(THURBER)
    r0, J0 = check_start(m, p0)
    counter = methods.Counter(m, (p0, r0, J0))
    run = methods.run("lm", "lm", m, p0, methods.Settings(), counter)
    assert run.success and counter.answer is not None
    seen = counter.residuals_seen(run.x)
    assert seen is not None and np.array_equal(seen, m.residuals(run.x))
    J = counter.jacobian_seen(run.x)           # at 1e-15 lm stops after rejected steps: its last J is there
    assert J is not None and np.array_equal(J, m.jacobian(run.x))
    [res] = fit(m, p0, [("lm", "lm")], methods.Settings())
    fresh = m.residuals(res.run.x)
    assert res.stats.rss == float(fresh @ fresh)
    assert res.verdict.kind == "minimum"
    # the generating values are recovered to within a few standard errors
    assert np.all(np.abs(res.run.x - THURBER["cert"]) < 5 * res.stats.stderr)


def test_a_non_finite_jacobian_entry_is_caught_without_summing_it(tmp_path):
    m = build_model(MISRA1A["model"], read_table(str(write_csv(tmp_path / "m.csv", MISRA1A_X, MISRA1A_Y))))
    p = np.array(MISRA1A["cert"])
    r, J = m.residuals(p), m.jacobian(p)
    assert examine(m, p, r, J.copy())[0].kind == "minimum"
    for bad, row in ((np.inf, 3), (-np.inf, 5), (np.nan, 7)):
        Jb = J.copy()
        Jb[row, 1] = bad
        assert examine(m, p, r, Jb)[0].kind == "not finite"
        rz = r.copy()
        rz[row] = 0.0                            # inf·0 is nan: still caught
        assert examine(m, p, rz, Jb)[0].kind == "not finite"
    huge = J * 1e300                             # finite entries whose sums overflow: the exact test says finite
    assert examine(m, p, r, huge)[0].kind != "not finite"


@pytest.mark.parametrize("case, xs, ys", [(MISRA1A, MISRA1A_X, MISRA1A_Y), (THURBER, THURBER_X, THURBER_Y)])
def test_second_derivative_sums_equal_differences_of_the_exact_jacobian(tmp_path, case, xs, ys):
    m = build_model(case["model"], read_table(str(write_csv(tmp_path / "d.csv", xs, ys))))
    p = np.array(case["cert"])
    w = m.residuals(p)
    S = m.hessian_sum(p, w)
    assert np.allclose(S, S.T, rtol=0, atol=0)
    ref = np.empty_like(S)
    for k in range(m.p):
        h = 1e-5 * abs(p[k])
        up, down = p.copy(), p.copy()
        up[k] += h
        down[k] -= h
        ref[:, k] = (m.jacobian(up).T @ w - m.jacobian(down).T @ w) / (2 * h)
    assert np.allclose(S, ref, rtol=1e-6, atol=1e-9 * np.abs(ref).max())


def test_small_data_reuses_lms_own_r_and_j_at_the_answer(tmp_path):
    m = build_model(MISRA1A["model"], read_table(str(write_csv(tmp_path / "m.csv", MISRA1A_X, MISRA1A_Y))))
    p0 = p0_of(MISRA1A)
    counter = methods.Counter(m, (p0, *check_start(m, p0)))
    run = methods.run("lm", "lm", m, p0, methods.Settings(), counter)
    r, J = counter.residuals_seen(run.x), counter.jacobian_seen(run.x)
    assert np.array_equal(r, m.residuals(run.x)) and np.array_equal(J, m.jacobian(run.x))
    [res] = fit(m, p0, [("lm", "lm")], methods.Settings())
    assert res.verdict.kind == "minimum"
    assert np.allclose(res.run.x, MISRA1A["cert"], rtol=1e-9, atol=0)
    assert np.allclose(res.stats.stderr, MISRA1A["se"], rtol=1e-6, atol=0)
    assert abs(res.stats.rss - MISRA1A["rss"]) <= 1e-8 * MISRA1A["rss"]


def _covariance(out):
    _, d, s, vt = out
    vs = vt.T / (s * d[:, None])
    return vs @ vs.T


def _svd_route(J):
    """The reference: LAPACK's SVD of the column-scaled J itself (no QR, no Gram matrix)."""
    norms = np.linalg.norm(J, axis=0)
    _, s, vt = np.linalg.svd(J / norms, full_matrices=False)
    return norms, norms, s, vt


@pytest.mark.parametrize("case, xs, ys", [(MISRA1A, MISRA1A_X, MISRA1A_Y), (THURBER, THURBER_X, THURBER_Y)])
def test_gram_route_agrees_with_the_svd_within_its_bound_or_declines_on_nist_data(tmp_path, case, xs, ys):
    from gradcli.fit.stats import GRAM_ERROR, gram_svd

    m = build_model(case["model"], read_table(str(write_csv(tmp_path / "g.csv", xs, ys))))
    J = m.jacobian(np.array(case["cert"]))
    ref = _svd_route(J)
    kappa = ref[2][0] / ref[2][-1]
    out = gram_svd(J)
    bound = kappa**2 * m.p * np.sqrt(m.n) * np.finfo(float).eps
    if bound < 0.5 * GRAM_ERROR:                 # (between, the computed κ decides)
        assert out is not None
    if bound > 2 * GRAM_ERROR:
        assert out is None
    if out is not None:
        assert np.allclose(_covariance(out), _covariance(ref), rtol=GRAM_ERROR, atol=0)
        assert np.allclose(out[2], ref[2], rtol=GRAM_ERROR, atol=0)


def test_tall_jacobians_take_the_gram_route_only_when_it_is_accurate(tmp_path, big_thurber):
    from gradcli.fit.stats import GRAM_ERROR, gram_svd, scaled_svd

    rows = 3000
    x = np.linspace(50, 800, rows)
    y = MISRA1A["cert"][0] * (1 - np.exp(-MISRA1A["cert"][1] * x)) + np.random.RandomState(1).normal(0, 0.1, rows)
    misra = build_model(MISRA1A["model"], read_table(str(write_csv(tmp_path / "m.csv", x, y))))
    J = misra.jacobian(np.array(MISRA1A["cert"]))                  # κ ≈ 43: accurate enough
    assert gram_svd(J) is not None
    assert np.allclose(_covariance(scaled_svd(J.copy(order="F"), True)), _covariance(_svd_route(J)),
                       rtol=GRAM_ERROR, atol=0)
    J = big_thurber.jacobian(np.array(THURBER["cert"]))            # κ ≈ 590: κ²·p·√n·ε ≈ 3e-8, declined
    assert gram_svd(J) is None
    assert np.allclose(_covariance(scaled_svd(J.copy(order="F"), True)), _covariance(_svd_route(J)),
                       rtol=1e-11, atol=0)
    # ill-conditioned: two nearly collinear columns (κ ~ 1e7); the QR's rank and covariance stand
    t = np.linspace(0, 1, rows)
    bad = np.asfortranarray(np.column_stack([t, t + 1e-7 * np.sin(40 * t), np.ones(rows)]))
    assert gram_svd(bad) is None
    got, ref = scaled_svd(bad.copy(order="F"), True), _svd_route(bad)
    assert np.allclose(got[2], ref[2], rtol=1e-6, atol=0)
    assert np.allclose(_covariance(got), _covariance(ref), rtol=1e-6, atol=0)
