"""Bounds and constraints of array problems.

Bounds: ``--bounds w=0:`` or ``bounds: {w: [0, null]}`` holds for every entry of w; a side may also be a
list of w's shape (one bound per entry). They become the flat ``(lo, hi)`` per entry that scalar
problems have, so every solver and the feasibility test read them the same way.

Constraints: ``sum(w) == 1``, ``w @ w <= 4``, ``A@w >= b`` (one constraint per entry). Each relation is an
IR node c (ineq: c ≥ 0, eq: c = 0) compiled three ways, all exact:

* c(x) (flat values);
* Jᵀy by reverse mode of Σ y·c with y an input (the Jacobian's rows are Jᵀe_k, one pass per entry);
* ∇²(yᵀc)·p by forward-over-reverse (the Lagrangian's curvature in the verdict).

A vector constraint is handed to the solvers as one scalar constraint per entry, in the scalar
problems' form (kind, text, fun, jac): SciPy, the feasibility test and the verdict then treat both
kinds alike. The entries share one evaluation per point (a cache of the last x).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gradcli.errors import ProblemError
from gradcli.arrays.shapes import fmt, size

MAX_JACOBIAN_ENTRIES = 20_000_000     # entries × variables of one vector constraint's dense Jacobian
MAX_CONSTRAINT_ENTRIES = 100_000      # scalar constraints in all (each is a Python object SciPy calls per point)


def flat_bounds(spec: dict | None, blocks) -> list[tuple[float, float]] | None:
    """{name: (lo, hi)} with each side None, a number or a nested list of the variable's shape → one
    (lo, hi) per entry of x (±inf for open sides)."""
    if not spec:
        return None
    sizes = {name: shape for name, shape in blocks}
    lo_all, hi_all = [], []
    for name, shape in blocks:
        pair = spec.get(name, (None, None))
        where = f"bounds.{name}"
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ProblemError(f"expected [lo, hi], got {str(pair)[:60]}", where)
        lo, hi = (_side(v, shape, where, what, default) for v, what, default in
                  ((pair[0], "lower", -math.inf), (pair[1], "upper", math.inf)))
        bad = np.nonzero(lo > hi)[0]
        if bad.size:
            per_entry = any(isinstance(v, (list, tuple)) for v in pair)
            raise ProblemError(f"lower bound {lo[bad[0]]:g} is above upper bound {hi[bad[0]]:g}"
                               f"{f' (entry {bad[0]})' if per_entry else ''}; swap them", where)
        lo_all.append(lo)
        hi_all.append(hi)
    unknown = [k for k in spec if k not in sizes]
    if unknown:
        raise ProblemError(f"{unknown[0]} is not a variable ({', '.join(sizes)})", "bounds")
    lo, hi = np.concatenate(lo_all), np.concatenate(hi_all)
    return list(zip(lo.tolist(), hi.tolist()))


def _side(v, shape, where: str, what: str, default: float) -> np.ndarray:
    m = size(shape)
    if v is None:
        return np.full(m, default)
    if isinstance(v, bool):
        raise ProblemError(f"{what} bound: expected a number, got {v}", where)
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ProblemError(f"{what} bound: expected a number or an array of numbers", where) from None
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
    elif arr.shape != tuple(shape):
        raise ProblemError(f"{what} bound has shape {fmt(arr.shape)}, but the variable has shape {fmt(tuple(shape))}; "
                           "give one number for every entry, or an array of the variable's shape", where)
    arr = arr.ravel()
    if np.any(np.isnan(arr)) or np.any(arr == -default):
        raise ProblemError(f"{what} bound: {'nan' if np.any(np.isnan(arr)) else -default} is not a bound "
                           "(leave the side empty for none)", where)
    return arr


@dataclass
class Element:
    """One entry of a constraint, in the scalar problems' form: 'ineq' means fun(x) ≥ 0, 'eq' fun(x) = 0."""

    kind: str
    text: str
    block: ConstraintBlock
    k: int

    def fun(self, x) -> float:
        return float(self.block.values(x)[self.k])

    def jac(self, x) -> np.ndarray:
        return self.block.jacobian(x)[self.k]


class ConstraintBlock:
    """One relation of the problem, compiled: values, Jacobian and Lagrangian curvature at x."""

    def __init__(self, problem, index: int, kind: str, text: str, node):
        from gradcli.arrays.evaluate import build_outputs
        from gradcli.arrays.grad import gradient

        g, n = problem.graph, problem.n
        self.kind, self.text, self.node, self.problem = kind, text, node, problem
        self.shape, self.m = node.shape, size(node.shape)
        self.n = n
        self._values = build_outputs([(node, 0, self.m)], self.m, "constraint")
        self.index = index          # names its input nodes: the same relation of the problem gets the same ones
        self.y = g.var(f"\0y:{index}", node.shape, n)                  # the weights of Jᵀy, after x
        weighted = g.make("mul", (self.y, node))
        scalar = g.make("sum", (weighted,)) if self.shape else weighted
        self._grads = gradient(g, scalar, problem.var_nodes)
        self._jt = build_outputs([(gr, v.attr[1], v.attr[2]) for gr, v in zip(self._grads, problem.var_nodes)], n,
                                 "constraint Jacobian")
        self._hvp = None
        self._at: bytes | None = None
        self._vals = self._jac = None
        self.elements = [Element(kind, text if not self.shape else f"{text} [{_entry(k, self.shape)}]", self, k)
                         for k in range(self.m)]

    def _point(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float).ravel()
        key = x.tobytes()
        if key != self._at:
            self._at, self._vals, self._jac = key, None, None
        return x

    def values(self, x) -> np.ndarray:
        x = self._point(x)
        if self._vals is None:
            with np.errstate(all="ignore"):
                self._vals = self._values(x)
        return self._vals

    def jacobian(self, x) -> np.ndarray:
        """m × n, row k = ∇c_k (reverse mode with y = e_k)."""
        x = self._point(x)
        if self._jac is None:
            rows = np.empty((self.m, self.n))
            y = np.zeros(self.m)
            with np.errstate(all="ignore"):
                for k in range(self.m):
                    y[k] = 1.0
                    rows[k] = self._jt(np.concatenate([x, y]))
                    y[k] = 0.0
            self._jac = rows
        return self._jac

    def hessp(self, x, y, p) -> np.ndarray:
        """∇²(yᵀc)(x)·p, exact (forward over the reverse-mode Jᵀy graph)."""
        if self._hvp is None:
            from gradcli.arrays.evaluate import build_outputs
            from gradcli.arrays.jvp import jvp
            g, pv = self.problem.graph, self.problem.var_nodes
            # y sits after x (at n); p after y: shift p's slots by m in the input vector
            ps = [g.var(f"\0q:{self.index}:{v.attr[0]}", v.shape, self.n + self.m + v.attr[1]) for v in pv]
            tan = jvp(g, self._grads, {id(v): q for v, q in zip(pv, ps)})
            blocks = [(None if gr is None else tan.get(id(gr)), v.attr[1], v.attr[2]) for gr, v in zip(self._grads, pv)]
            self._hvp = build_outputs(blocks, self.n, "constraint Hessian-vector product")
        z = np.concatenate([np.asarray(x, dtype=float).ravel(), np.ravel(y), np.ravel(p)])
        with np.errstate(all="ignore"):
            return self._hvp(z)


def _entry(k: int, shape) -> str:
    return ",".join(map(str, np.unravel_index(k, shape)))


def build_constraints(problem, texts, builder) -> list[tuple[str, str, object]]:
    """Each text → (kind, text, node), shapes checked; errors name constraints[i]."""
    from gradcli.errors import ExpressionError

    out = []
    total = 0
    var_ids = {id(v) for v in problem.var_nodes}
    for i, text in enumerate(texts):
        field = f"constraints[{i}]"
        try:
            kind, node = builder.relation(text)
        except ExpressionError as exc:
            exc.field = field
            raise
        if node.const or not _uses_variables(node, var_ids):
            raise ProblemError(f"'{text}' uses none of the variables: it is always true or always false", field)
        m = size(node.shape)
        if m * problem.n > MAX_JACOBIAN_ENTRIES:
            raise ProblemError(f"'{text}' has {m} entries over {problem.n} variables: its Jacobian would have "
                               f"{m * problem.n} entries; the limit is {MAX_JACOBIAN_ENTRIES} (MAX_JACOBIAN_ENTRIES). A bound on "
                               "every entry of a variable is --bounds NAME=LO:HI (bounds: in a file)",
                               field)
        total += m
        if total > MAX_CONSTRAINT_ENTRIES:
            raise ProblemError(f"the constraints have {total} entries in all; the limit is {MAX_CONSTRAINT_ENTRIES} "
                               "(MAX_CONSTRAINT_ENTRIES): a bound on every entry is --bounds NAME=LO:HI", field)
        out.append((kind, text, node))
    return out


def _uses_variables(node, var_ids) -> bool:
    from gradcli.arrays.ir import topo
    return any(id(v) in var_ids for v in topo([node]))


def compile_constraints(problem) -> tuple[list[ConstraintBlock], list[Element]]:
    blocks = [ConstraintBlock(problem, i, kind, text, node) for i, (kind, text, node) in enumerate(problem.constraints)]
    return blocks, [e for b in blocks for e in b.elements]
