"""trust-exact and dogleg factorize the Hessian: above SPARSE_HESSIAN_MIN_N variables it is stored sparse
and they are given it dense; above DENSE_HESSIAN_MAX_N they are refused with the reason, never crashed."""

import numpy as np
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.problem.core import build_problem
from gradcli.run.solve import run
from gradcli.solvers.registry import DENSE_HESSIAN_MAX_N, REGISTRY
from gradcli.symbolic.compile import SPARSE_HESSIAN_MIN_N

# a strictly convex tridiagonal quadratic: ∇f = A x − b with A = tridiag(1, 4, 1), so x* solves A x = b
QUAD = "sum(2*x[i]**2 - (i+1)*x[i], i, 0, n-1) + sum(x[i]*x[i+1], i, 0, n-2)"


def test_trust_exact_and_dogleg_above_the_sparse_threshold():
    n = SPARSE_HESSIAN_MIN_N + 50
    problem = build_problem(QUAD, dim=n, x0=[0.0])
    a = 4 * np.eye(n) + np.eye(n, k=1) + np.eye(n, k=-1)
    want = np.linalg.solve(a, np.arange(1, n + 1, dtype=float))
    done = run(problem, "trust-exact,dogleg", check=False)
    assert [r.method for r in done.results] == ["trust-exact", "dogleg"]
    for r in done.results:
        assert r.status.value == "converged", (r.method, r.message)
        np.testing.assert_allclose(r.x, want, rtol=1e-7, atol=1e-9)
        assert r.verdict.kind.value == "minimum"


def test_refused_above_the_dense_limit_with_the_reason():
    problem = build_problem(QUAD, dim=DENSE_HESSIAN_MAX_N + 1, x0=[0.0])
    why = REGISTRY.get("trust-exact").applicable(problem, named=True)
    assert why.startswith("factorizes a dense n×n Hessian: 0.2 GB") and "trust-krylov" in why
    r = CliRunner().invoke(cli, ["minimize", QUAD, "--dim", str(DENSE_HESSIAN_MAX_N + 1), "--x0", "0", "-m", "dogleg"])
    assert r.exit_code == 2 and "factorizes a dense n×n Hessian" in r.stderr and "Traceback" not in r.output
