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
    assert examine(m, p, r, J.copy(order="F"))[0].kind == "minimum"
    for bad, row in ((np.inf, 3), (-np.inf, 5), (np.nan, 7)):
        Jb = J.copy(order="F")      # production's layout (the BLAS path of Jᵀr)
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


def test_minpacks_qr_of_the_answers_j_replaces_ours_only_when_it_checks_out(big_thurber):
    from gradcli.fit.stats import scaled_svd

    m, p0 = big_thurber, p0_of(THURBER)
    counter = methods.Counter(m, (p0, *check_start(m, p0)))
    run = methods.run("lm", "lm", m, p0, methods.Settings(), counter)
    R = counter.factor_seen(run.x)
    assert R is not None and R.shape == (m.p, m.p)
    J = m.jacobian(run.x)
    assert np.allclose(R.T @ R, J.T @ J, rtol=1e-10, atol=1e-12 * np.abs(J.T @ J).max())
    ours, theirs = scaled_svd(J.copy(order="F"), True), scaled_svd(J.copy(order="F"), True, R)
    assert np.allclose(theirs[2], ours[2], rtol=1e-12, atol=0)
    assert np.allclose(_covariance(theirs), _covariance(ours), rtol=1e-10, atol=0)
    swapped = R[:, ::-1].copy()                  # a wrong permutation: the column norms disagree, our QR is used
    fallback = scaled_svd(J.copy(order="F"), True, swapped)
    assert np.array_equal(fallback[2], ours[2]) and np.array_equal(fallback[3], ours[3])
    # the whole fit with MINPACK's R: NIST-certified-like recovery and the same verdict
    [res] = fit(m, p0, [("lm", "lm")], methods.Settings())
    assert res.verdict.kind == "minimum"
    assert np.allclose(res.stats.covariance, _covariance(ours) * res.stats.rss / res.stats.dof, rtol=1e-10, atol=0)


def test_minpack_r_reads_zero_and_one_based_pivots():
    rng = np.random.RandomState(3)
    J = rng.normal(size=(50, 4))
    perm = np.array([2, 0, 3, 1])
    Q, R = np.linalg.qr(J[:, perm])
    fjac = np.zeros((4, 50))
    fjac[:, :4] = R.T                            # MINPACK's layout as leastsq returns it (R stored column-wise)
    for base in (0, 1):
        M = methods.minpack_r({"fjac": fjac, "ipvt": perm + base}, 4)
        assert np.allclose(M.T @ M, J.T @ J, rtol=1e-12, atol=1e-12)
    assert methods.minpack_r({"fjac": fjac, "ipvt": np.array([0, 0, 1, 2])}, 4) is None
    assert methods.minpack_r({"fjac": fjac}, 4) is None
