"""The Objective of an expression whose sums are kept whole (gradcli/symbolic/indexed.py builds the model).

f and ∇f: each sum's kernel runs once on whole slices of x and its partials are added back into ∇f slice
by slice. ∇²f: exact, from each summand's second partials, banded by the offsets of its references; as
a ``scipy.sparse`` matrix above ``SPARSE_HESSIAN_MIN_N`` variables (never a dense n×n there) and as
Hessian-vector products computed slice by slice without forming any matrix (Newton-CG on 200 000
variables: one kernel call per new x, then a few slice products per CG step).
"""

from __future__ import annotations

import numpy as np

from gradcli.compiled.counts import Counts
from gradcli.compiled.observers import Observable
from gradcli.compiled.protocol import Capabilities
from gradcli.symbolic.compile import SPARSE_HESSIAN_MIN_N, Objective
from gradcli.symbolic.indexed import Model


class SlicedObjective(Observable):
    """f, ∇f, ∇²f and H·p of a sum-structured expression, counted, with uncounted twins."""

    backend = "numpy-vectorized"

    def __init__(self, model: Model, expr=None):
        self.model = model
        self.expr = expr
        self.variables = model.names
        self.n = len(model.names)
        self.counts = Counts()
        self.constraints: list = []
        self.prefers_hessp = self.n > SPARSE_HESSIAN_MIN_N
        self.capabilities = Capabilities(exact_hessian=True, hessian_method="exact (symbolic, per summand)",
                                         prefers_hessp=self.prefers_hessp, fused_value_and_grad=True,
                                         training=False, symbolic=True)
        self.parts = model.parts
        # the rest R (scalars, single elements) is small: the ordinary objective in its own variables
        self._rest = (Objective(model.rest, model.rest_symbols) if model.rest_symbols else None)
        self._rest_const = float(model.rest) if not model.rest_symbols else 0.0
        self._rest_pos = model.rest_positions
        self._h_at = None           # (x, second partials per part, rest Hessian) of the last hessp

    # ---- the protocol's plumbing ----------------------------------------------------------------
    def prepare(self, grad: bool = True, hess: bool = False) -> None:
        """Nothing to do: every kernel was generated with the model."""

    def quiet(self):
        """NumPy warns on overflow and log of negatives (the values are inf/nan, as they should be)."""
        return np.errstate(all="ignore")

    def backend_summary(self) -> str:
        k = len(self.parts)
        return (f"evaluation: f and ∇f as NumPy on slices ({k} sum{'s' if k != 1 else ''} kept whole, "
                f"summands differentiated once); ∇²f exact, sparse by offset; derivatives by SymPy")

    # ---- uncounted evaluations ------------------------------------------------------------------
    def fun_uncounted(self, x) -> float:
        x = np.asarray(x, dtype=float)
        total = self._rest_const
        for part in self.parts:
            total += part.coeff * part.total(part.f(*part.args(x))[0])
        if self._rest is not None:
            total += self._rest.fun_uncounted(x[self._rest_pos])
        return float(total)

    def grad_uncounted(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = None
        for part in self.parts:
            partials = part.g(*part.args(x))
            if out is None:
                out = self._first(part, partials)
            else:
                self._scatter(out, part, partials)
        if out is None:
            out = np.zeros(self.n)
        if self._rest is not None:
            out[self._rest_pos] += self._rest.grad_uncounted(x[self._rest_pos])
        return out

    def _scatter(self, out, part, partials) -> None:
        c = part.coeff
        for slot, d in zip(part.slots, partials):
            slot.add(out, d if c == 1.0 else c * d)

    def _first(self, part, partials) -> np.ndarray:
        """The gradient started from the first partial, written rather than added to zeros (at n = 1e6
        a pass over memory is a tenth of the call)."""
        slot = part.slots[0] if part.slots else None
        if slot is None or slot.step != 1 or not np.ndim(partials[0]):
            out = np.zeros(self.n)
            self._scatter(out, part, partials)
            return out
        out = np.empty(self.n)
        lo, hi = slot.start, slot.start + slot.count
        out[:lo] = 0.0
        out[hi:] = 0.0
        c = part.coeff
        out[lo:hi] = partials[0] if c == 1.0 else c * partials[0]
        for s, d in zip(part.slots[1:], partials[1:]):
            s.add(out, d if c == 1.0 else c * d)
        return out

    def value_and_grad_uncounted(self, x) -> tuple[float, np.ndarray]:
        x = np.asarray(x, dtype=float)
        total, out = self._rest_const, np.zeros(self.n)
        for part in self.parts:
            v = part.fg(*part.args(x))
            total += part.coeff * part.total(v[0])
            self._scatter(out, part, v[1:])
        if self._rest is not None:
            xr = x[self._rest_pos]
            total += self._rest.fun_uncounted(xr)
            out[self._rest_pos] += self._rest.grad_uncounted(xr)
        return float(total), out

    def hessian_triplet(self, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, values) of ∇²f, both triangles, duplicates to be summed."""
        x = np.asarray(x, dtype=float)
        rows, cols, vals = [], [], []
        for part in self.parts:
            if part.h is None:
                continue
            for (j, k), hv in zip(part.h_pairs, part.h(*part.args(x))):
                r, c = part.slots[j].positions(), part.slots[k].positions()
                v = part.coeff * np.broadcast_to(np.asarray(hv, dtype=float), (part.count,))
                rows.append(r), cols.append(c), vals.append(v)
                if j != k:
                    rows.append(c), cols.append(r), vals.append(v)
        if self._rest is not None:
            H = self._rest.hess_uncounted(x[self._rest_pos])
            H = H.toarray() if not isinstance(H, np.ndarray) else H
            r, c = np.nonzero(H)
            rows.append(self._rest_pos[r]), cols.append(self._rest_pos[c]), vals.append(H[r, c])
        if not rows:
            return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)

    def hess_uncounted(self, x):
        """Dense ndarray up to SPARSE_HESSIAN_MIN_N variables, scipy.sparse CSR above."""
        rows, cols, v = self.hessian_triplet(x)
        if not self.prefers_hessp:
            out = np.zeros((self.n, self.n))
            np.add.at(out, (rows, cols), v)
            return out
        from scipy.sparse import coo_matrix
        return coo_matrix((v, (rows, cols)), shape=(self.n, self.n)).tocsr()

    def hessp_uncounted(self, x, p) -> np.ndarray:
        """H(x)·p slice by slice: the second partials of the last x are kept (CG asks many products at one x)."""
        x = np.asarray(x, dtype=float)
        p = np.asarray(p, dtype=float)
        at = self._h_at
        if at is None or not np.array_equal(at[0], x):
            # copies: a long slice's kernel writes into buffers it reuses at its next call
            hs = [[np.array(h) for h in part.h(*part.args(x))] if part.h is not None else [] for part in self.parts]
            Hr = None
            if self._rest is not None:
                Hr = self._rest.hess_uncounted(x[self._rest_pos])
            at = self._h_at = (x.copy(), hs, Hr)
        out = np.zeros(self.n)
        for part, hs in zip(self.parts, at[1]):
            c = part.coeff
            for (j, k), hv in zip(part.h_pairs, hs):
                sj, sk = part.slots[j], part.slots[k]
                hv = hv if c == 1.0 else c * hv
                sj.add(out, hv * p[sk.key])
                if j != k:
                    sk.add(out, hv * p[sj.key])
        if at[2] is not None:
            out[self._rest_pos] += at[2] @ p[self._rest_pos]
        return out

    # ---- counted evaluations (what solvers call) ----------------------------------------------
    def fun(self, x) -> float:
        self.counts.nfev += 1
        return self.fun_uncounted(x)

    def grad(self, x) -> np.ndarray:
        self.counts.njev += 1
        return self.grad_uncounted(x)

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        """f and ∇f from one kernel call (common subexpressions shared); counted as one of each."""
        self.counts.nfev += 1
        self.counts.njev += 1
        return self.value_and_grad_uncounted(x)

    def hess(self, x):
        self.counts.nhev += 1
        return self.hess_uncounted(x)

    def hessp(self, x, p) -> np.ndarray:
        self.counts.nhev += 1
        return self.hessp_uncounted(x, p)
