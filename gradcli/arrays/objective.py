"""The counted Objective of an array problem: the interface every solver uses (fun, grad, hess, hessp,
their uncounted twins, counts, prepare), backed by the compiled forward/backward functions.

f and ∇f share the forward pass: ``fun(x)`` keeps the forward values with a copy of x, and ``grad(x)``
at the same point runs only the backward pass (scipy's L-BFGS-B and our gd ask for both at each point).
Counts stay the solver's calls: nfev counts ``fun`` calls, njev ``grad`` calls, whatever was cached.

Second derivatives are exact: ``hessp`` is forward mode over the reverse-mode gradient graph
(jvp.py), compiled on first use into one flat function of (x, p), so first-order runs never pay for
it; ``hess`` assembles n products (dense; refused above DENSE_HESS_MAX_N).
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

from gradcli.compiled.counts import Counts
from gradcli.compiled.observers import Observable
from gradcli.compiled.protocol import Capabilities
from gradcli.errors import GradcliError
from gradcli.arrays.evaluate import build

DENSE_HESS_MAX_N = 2000


HESSIAN_METHOD = "exact (forward-over-reverse)"
CAPABILITIES = Capabilities(exact_hessian=True, hessian_method=HESSIAN_METHOD, prefers_hessp=True,
                            fused_value_and_grad=True, training=True, symbolic=False)


class ArrayObjective(Observable):
    capabilities = CAPABILITIES

    def __init__(self, problem):
        self.problem = problem
        self.variables = problem.variables
        self.n = len(problem.variables)
        self.counts = Counts()
        self.constraints: list = []           # one scalar constraint per entry (arrays/constraints.py)
        self.constraint_blocks: list = []     # the relations they come from, for the verdict
        grads = problem.grad_nodes
        (self._forward, self._backward, self._fused, self._gradient_only,
         self.source) = build(problem.f_node, grads, problem.var_nodes, self.n)
        self._x: bytes | None = None       # the point of the cached forward pass, as bytes
        self._f = math.nan
        self._xcopy: np.ndarray | None = None
        self._saved = None
        self._quiet = False         # inside quiet(): NumPy's floating-point warnings are already off
        self._hvp = None            # compiled on the first Hessian-vector product

    backend = "numpy (array graph, reverse mode)"

    def backend_summary(self) -> str:
        return f"evaluation: {self.backend}; second derivatives: {HESSIAN_METHOD}"

    @contextmanager
    def quiet(self):
        """NumPy's floating-point warnings off for a whole run (overflow gives inf, which the solvers
        test for). Entered once by ``solve_one``: entering np.errstate costs ~2 µs, 2% of a 400×784
        gradient, so the evaluations below enter it themselves only when called from outside a run."""
        if self._quiet:
            yield
            return
        with np.errstate(all="ignore"):
            self._quiet = True
            try:
                yield
            finally:
                self._quiet = False

    # ---- the shared forward pass ---------------------------------------------------------------
    def _eval(self, x) -> float:
        if not self._quiet:
            with self.quiet():
                return self._eval(x)
        key = np.asarray(x, dtype=float).tobytes()   # exact equality, cheaper than np.array_equal (0.5 vs 3.6 µs)
        if self._x is None and self._xcopy is not None:
            self._x = self._xcopy.tobytes()          # value_and_grad leaves the key to be made on demand
        if key == self._x:
            return self._f
        # a private copy: the saved forward values hold views of x, and L-BFGS-B updates its x in place
        x = np.array(x, dtype=float)
        f, saved = self._forward(x)
        self._x, self._xcopy, self._f, self._saved = key, x, float(f), saved
        return self._f

    def fun_uncounted(self, x) -> float:
        return self._eval(x)

    def grad_uncounted(self, x) -> np.ndarray:
        """The backward pass from the saved forward values when f was just evaluated at x; else the
        gradient-only function (a solver that wants ∇f alone does not pay for f)."""
        if not self._quiet:
            with self.quiet():
                return self.grad_uncounted(x)
        x = np.asarray(x, dtype=float)
        last = self._xcopy
        # one element first: during training x moves every step and the full comparison is skipped
        if last is not None and self._saved is not None and x.shape == last.shape and \
                x[0] == last[0] and np.array_equal(x, last):
            return self._backward(last, _saved=self._saved)
        return self._gradient_only(x)     # keeps nothing of x: its result is a fresh array

    def fun(self, x) -> float:
        self.counts.nfev += 1
        return self._eval(x)

    def grad(self, x) -> np.ndarray:
        self.counts.njev += 1
        return self.grad_uncounted(x)

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        """f and ∇f in one generated function (counted as one call of each, as fun then grad would be)."""
        if not self._quiet:
            with self.quiet():
                return self.value_and_grad(x)
        c = self.counts
        c.nfev += 1
        c.njev += 1
        x = np.array(x, dtype=float)      # private copy: the saved forward values are views of it
        f, g, saved = self._fused(x)
        f = float(f)
        self._x, self._xcopy, self._f, self._saved = None, x, f, saved
        return f, g

    # ---- second order: forward-over-reverse ----------------------------------------------------------
    def _hvp_program(self):
        if self._hvp is None:
            from gradcli.arrays.evaluate import build_outputs
            from gradcli.arrays.jvp import hvp_nodes
            p = self.problem
            nodes, _ = hvp_nodes(p.graph, p.grad_nodes, p.var_nodes, self.n)
            self._hvp = build_outputs([(h, v.attr[1], v.attr[2]) for h, v in zip(nodes, p.var_nodes)], self.n,
                                      "Hessian-vector product")
        return self._hvp

    def prepare(self, grad: bool = True, hess: bool = False) -> None:
        """Compile the Hessian-vector product before a timed run of a method that uses it."""
        if hess:
            self._hvp_program()

    def hessp_uncounted(self, x, p) -> np.ndarray:
        if not self._quiet:
            with self.quiet():
                return self.hessp_uncounted(x, p)
        z = np.concatenate([np.asarray(x, dtype=float).ravel(), np.asarray(p, dtype=float).ravel()])
        return self._hvp_program()(z)

    def hessp(self, x, p) -> np.ndarray:
        self.counts.nhev += 1
        return self.hessp_uncounted(x, p)

    def hess_uncounted(self, x) -> np.ndarray:
        if self.n > DENSE_HESS_MAX_N:
            raise GradcliError(f"a dense Hessian of {self.n} variables is not built for array problems "
                               f"(limit {DENSE_HESS_MAX_N}); use a method that takes Hessian-vector products")
        eye = np.eye(self.n)
        H = np.array([self.hessp_uncounted(x, eye[i]) for i in range(self.n)])
        return (H + H.T) / 2       # exact up to rounding; symmetrised so eigvalsh reads one triangle as the other

    def hess(self, x) -> np.ndarray:
        self.counts.nhev += 1
        return self.hess_uncounted(x)
