"""A small typed IR for array expressions: nodes with shapes, built through one constructor that folds
constants, shares equal sub-graphs (hash-consing, so a `define:` used twice is one node) and rewrites
numerically unsafe forms into stable ones (what Theano's graph optimiser does for the tutorial):

    c / (1 + exp(-u))   ->  c·sigmoid(u)          (pattern-matched, as Theano's local_sigm_* rules)
    1 - sigmoid(u)      ->  sigmoid(-u)
    log(sigmoid(u))     ->  -softplus(-u)          log(1 + exp(u)), log1p(exp(u)) -> softplus(u)
    softplus(-u)        ->  softplus(u) - u        (one softplus where a cross-entropy has two)
    log(exp(u))         ->  u

Sums and differences, negation and multiplication by constants become one ``lin`` node, a linear
combination Σ cᵢ·tᵢ with constant coefficients; equal terms merge their coefficients. That is how
``-y*log(p) - (1-y)*log(1-p)`` becomes ``softplus(z) - y*z`` (y + (1 - y) folds to ones), whose
derivative is the familiar ``sigmoid(z) - y``. Data is constant: anything computed from data alone
is evaluated once, when the graph is built.

Arrays have up to 4 axes (shapes.py); subscripts ``u[1:, :]`` are ``index`` nodes (their reverse is
``unindex``, a scatter into zeros), ``sum(A, axis=k)`` is ``sumax``. Where it stops: @ is a
vector/matrix product (no batched 3-D matmul); no concatenation or control flow; coefficients of
``lin`` must be constant.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from gradcli.arrays.data import MAX_ENTRIES
from gradcli.arrays.shapes import (ShapeError, _sumto, as_index, broadcast, fmt, index_shape,  # noqa: F401
                                   matmul_shape, size, unindex)

# multiply-adds of the @ and outer products one evaluation of f and ∇f computes, and of any one product of
# constants folded while the graph is built: ~1 s of BLAS (a 4000x4000 generator and X@X@X@X took 12 s to fold)
MAX_PRODUCT_COST = 20_000_000_000

UNARY = ("neg", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh", "abs", "sign", "erf",
         "sigmoid", "softplus", "log1p", "expm1", "relu", "step", "square")
REDUCE = ("sum", "mean", "logsumexp")

_FOLD = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
    "sinh": np.sinh, "cosh": np.cosh, "abs": np.abs, "sign": np.sign, "erf": special.erf, "sigmoid": special.expit,
    "softplus": lambda a: np.logaddexp(0.0, a), "log1p": np.log1p, "expm1": np.expm1,
    "relu": lambda a: np.maximum(a, 0.0), "step": lambda a: (np.asarray(a) > 0) * 1.0, "square": np.square,
    "neg": np.negative, "sum": np.sum, "mean": np.mean, "logsumexp": special.logsumexp,
    "T": np.transpose, "matmul": np.matmul, "outer": np.outer, "div": np.divide, "mul": np.multiply,
    "pow": np.power,
}


class Node:
    __slots__ = ("op", "args", "shape", "attr", "value", "key", "pinned")

    def __init__(self, op, args, shape, attr=None, value=None):
        self.op, self.args, self.shape, self.attr, self.value = op, tuple(args), tuple(shape), attr, value
        self.key = None
        self.pinned = False     # a define: kept as one shared node, never distributed into a sum

    @property
    def const(self) -> bool:
        return self.op == "const"

    def __repr__(self):
        return f"Node({self.op}, {self.shape})"


class Graph:
    """Builds nodes. Every node goes through ``make``, which keeps the graph canonical."""

    def __init__(self):
        self._table: dict = {}

    # ---- leaves --------------------------------------------------------------------------------
    def const(self, value) -> Node:
        v = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(v)):      # folded from numbers and data alone: it can never be meant
            raise ShapeError("a constant part evaluates to inf or nan (log(0), 1/0 or an overflow such as "
                             "exp(1000) or X**999)")
        if v.ndim == 0:
            key = ("const", float(v))
            if key not in self._table:
                n = Node("const", (), (), value=float(v))
                n.key = key
                self._table[key] = n
            return self._table[key]
        return Node("const", (), v.shape, value=v)

    def var(self, name: str, shape: tuple, start: int) -> Node:
        key = ("var", name)
        if key not in self._table:
            n = Node("var", (), shape, attr=(name, start, start + int(np.prod(shape, dtype=int))))
            n.key = key
            self._table[key] = n
        return self._table[key]

    # ---- the one constructor -----------------------------------------------------------------
    def make(self, op: str, args, attr=None) -> Node:
        args = tuple(args)
        shape = self._shape(op, args, attr)
        if op in ("matmul", "outer") and all(a.const for a in args):     # folded now, once: bound it here
            cost = product_cost_of(op, args, shape)
            if cost > MAX_PRODUCT_COST:
                raise ShapeError(f"a product of constants (@) needs {cost:.3g} multiply-adds to fold; the limit is "
                                 f"{MAX_PRODUCT_COST:.0e} (MAX_PRODUCT_COST)")
        if all(a.const for a in args) and args:
            return self._fold(op, args, attr, shape)
        out = self._rewrite(op, args, attr, shape)
        if out is not None:
            return out
        key = (op, tuple(id(a) for a in args), attr)
        hit = self._table.get(key)
        if hit is not None:
            return hit
        node = Node(op, args, shape, attr)
        node.key = key
        self._table[key] = node
        return node

    def _fold(self, op, args, attr, shape) -> Node:
        vals = [a.value for a in args]
        with np.errstate(all="ignore"):
            if op == "lin":
                v = sum(c * x for c, x in zip(attr, vals))
            elif op == "bcast":
                v = np.broadcast_to(vals[0], attr).copy()
            elif op == "sumto":
                v = _sumto(np.asarray(vals[0]), attr)
            elif op == "add":
                v = vals[0] + vals[1]
            elif op == "index":
                v = np.asarray(vals[0])[as_index(attr)]
            elif op == "unindex":
                v = unindex(vals[0], *attr)
            elif op == "sumax":
                v = np.sum(vals[0], axis=attr)
            elif op == "reshape":
                v = np.reshape(vals[0], attr)
            else:
                v = _FOLD[op](*vals)
        return self.const(np.asarray(v, dtype=float).reshape(shape))

    # ---- shapes --------------------------------------------------------------------------------
    @staticmethod
    def _shape(op, args, attr) -> tuple:
        shape = Graph._shape_of(op, args, attr)
        # every node is an array in memory at each evaluation: (60000, 1) * (60000,) would be 29 GB
        if size(shape) > MAX_ENTRIES:
            raise ShapeError(f"the result has shape {fmt(shape)}, {size(shape)} entries; the limit is "
                             f"{MAX_ENTRIES} (MAX_ENTRIES)")
        return shape

    @staticmethod
    def _shape_of(op, args, attr) -> tuple:
        if op in UNARY or op == "T":
            s = args[0].shape
            return s[::-1] if op == "T" else s
        if op in REDUCE:
            return ()
        if op in ("mul", "div", "pow", "add"):
            return broadcast(args[0].shape, args[1].shape)
        if op == "lin":
            s = ()
            for c, t in zip(attr, args):
                s = broadcast(s, broadcast(np.shape(c), t.shape))
            return s
        if op in ("bcast", "sumto", "reshape"):
            return tuple(attr)
        if op == "index":
            return index_shape(attr, args[0].shape)
        if op == "unindex":
            return tuple(attr[1])
        if op == "sumax":
            return args[0].shape[:attr] + args[0].shape[attr + 1:]
        if op == "outer":
            return (args[0].shape[0], args[1].shape[0])
        if op == "matmul":
            return matmul_shape(args[0].shape, args[1].shape)
        raise AssertionError(op)

    # ---- rewrites --------------------------------------------------------------------------------
    def _rewrite(self, op, args, attr, shape):
        a = args[0]
        if op == "neg":
            return self.lin([(-1.0, a)])
        if op == "add":
            return self.lin([(1.0, args[0]), (1.0, args[1])])
        if op == "mul":
            b = args[1]
            if a.const and a.value is not None:
                return self.lin([(a.value, b)], shape)
            if b.const:
                return self.lin([(b.value, a)], shape)
            a, b = _unbcast(a, b.shape, shape), _unbcast(b, a.shape, shape)
            if a is not args[0] or b is not args[1]:
                return self.make("mul", (a, b))
        if op == "div":
            b = args[1]
            if b.const:
                if np.any(np.asarray(b.value) == 0):
                    raise ShapeError("division by zero: the divisor is 0" + (" in some entries" if np.ndim(b.value)
                                                                              else ""))
                with np.errstate(all="ignore"):
                    inv = 1.0 / np.asarray(b.value, dtype=float)
                return self.lin([(inv if np.ndim(inv) else float(inv), a)], shape)
            if a.const and b.op == "lin":                     # c / (1 + exp(u))  ->  c·sigmoid(-u)
                u = _one_plus_exp(b)
                if u is not None:
                    return self.lin([(a.value, self.make("sigmoid", (self.make("neg", (u,)),)))], shape)
        if op == "log":
            if a.op == "sigmoid":                             # log σ(u) = -softplus(-u)
                return self.make("neg", (self.make("softplus", (self.make("neg", (a.args[0],)),)),))
            if a.op == "exp":
                return a.args[0]
            if a.op == "lin":
                u = _one_plus_exp(a)
                if u is not None:
                    return self.make("softplus", (u,))
        if op == "log1p" and a.op == "exp":
            return self.make("softplus", (a.args[0],))
        if op == "softplus" and a.op == "lin" and len(a.args) == 1 and _is(a.attr[0], -1.0):
            t = a.args[0]                                     # softplus(-t) = softplus(t) - t
            return self.lin([(1.0, self.make("softplus", (t,))), (-1.0, t)])
        if op == "pow" and args[1].const and np.ndim(args[1].value) == 0:
            e = float(args[1].value)
            if e == 1.0:
                return a
            if e == 2.0:
                return self.make("square", (a,))
        if op == "sum" and a.op == "square" and len(a.shape) == 1:     # sum(u**2) = u·u, one BLAS call
            return self.make("matmul", (a.args[0], a.args[0]))
        if op == "bcast" and a.shape == tuple(attr):
            return a
        if op == "sumto" and a.shape == tuple(attr):
            return a
        if op == "T" and a.op == "T":
            return a.args[0]
        if op == "index" and shape == a.shape and all(k == ("s", 0, d, 1) for k, d in zip(attr, a.shape)):
            return a
        if op == "reshape" and a.shape == tuple(attr):
            return a
        return None

    def lin(self, pairs, shape=None) -> Node:
        """Σ cᵢ·tᵢ, flattened, with equal terms merged and constants collected into one term."""
        if len(pairs) == 1 and _is(pairs[0][0], 1.0) and (shape is None or pairs[0][1].shape == tuple(shape)):
            return pairs[0][1]
        want = shape
        if want is None:
            want = ()
            for c, t in pairs:
                want = broadcast(want, broadcast(np.shape(c), t.shape))
        terms: dict[int, list] = {}
        order: list[int] = []
        offset = 0.0

        def put(c, t):
            nonlocal offset
            if t.const:
                offset = offset + c * t.value
                return
            if t.op == "lin" and not t.pinned:
                for c2, t2 in zip(t.attr, t.args):
                    put(c * c2, t2)
                return
            if id(t) in terms:
                terms[id(t)][0] = terms[id(t)][0] + c
            else:
                terms[id(t)] = [c, t]
                order.append(id(t))

        with np.errstate(all="ignore"):
            for c, t in pairs:
                put(c, t)
        kept = []
        for k in order:
            c, t = terms[k]
            c = _simplify_coef(c, t.shape)
            if not np.all(np.isfinite(c)):
                raise ShapeError("a constant factor overflows to inf or nan")
            if not (np.ndim(c) == 0 and c == 0.0):
                kept.append((c, t))
        if not (np.ndim(offset) == 0 and offset == 0.0):
            kept.append((1.0, self.const(_simplify_coef(offset, ()))))
        if not kept:
            return self.const(np.zeros(want)) if want else self.const(0.0)
        if len(kept) == 2 and _is(kept[1][0], 1.0) and kept[1][1].const and np.ndim(kept[1][1].value) == 0 and kept[1][1].value == 1.0 \
                and _is(kept[0][0], -1.0) and kept[0][1].op == "sigmoid":      # 1 - σ(u) = σ(-u)
            kept = [(1.0, self.make("sigmoid", (self.make("neg", (kept[0][1].args[0],)),)))]
        if len(kept) == 1 and _is(kept[0][0], 1.0):
            out = kept[0][1]
        else:
            key = ("lin", tuple(id(t) for _, t in kept), tuple(_coef_key(c) for c, _ in kept))
            out = self._table.get(key)
            if out is None:
                coefs = tuple(c for c, _ in kept)
                out = Node("lin", [t for _, t in kept], self._shape("lin", [t for _, t in kept], coefs), coefs)
                out.key = key                     # attr holds the coefficient arrays, keeping their ids valid
                self._table[key] = out
        if out.shape != tuple(want):
            out = self.make("bcast", (out,), tuple(want))
        return out


def _is(c, v: float) -> bool:
    return np.ndim(c) == 0 and float(c) == v


def _coef_key(c):
    return float(c) if np.ndim(c) == 0 else ("arr", id(c))


def _simplify_coef(c, term_shape):
    """A constant array that is one value repeated, and adds no axes to the term, becomes that scalar."""
    if np.ndim(c) == 0:
        return float(c)
    c = np.asarray(c, dtype=float)
    if c.size and np.all(c == c.flat[0]) and broadcast(c.shape, term_shape) == tuple(term_shape):
        return float(c.flat[0])
    return c


def _unbcast(node: Node, other, shape):
    """bcast(s) inside an element-wise product whose other side already has the full shape: use s itself."""
    if node.op == "bcast" and broadcast(node.args[0].shape, other) == tuple(shape):
        return node.args[0]
    return node


def _one_plus_exp(node: Node):
    """u when ``node`` is 1 + exp(u) (as a lin node), else None."""
    if node.op != "lin" or len(node.args) != 2:
        return None
    (c1, t1), (c2, t2) = zip(node.attr, node.args)
    for (ca, ta), (cb, tb) in (((c1, t1), (c2, t2)), ((c2, t2), (c1, t1))):
        if _is(ca, 1.0) and ta.const and np.ndim(ta.value) == 0 and ta.value == 1.0 and _is(cb, 1.0) \
                and tb.op == "exp":
            return tb.args[0]
    return None


def topo(roots) -> list[Node]:
    """Nodes reachable from ``roots``, each after its arguments (iterative: no recursion limit)."""
    seen: set[int] = set()
    order: list[Node] = []
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for a in reversed(node.args):
            if id(a) not in seen:
                stack.append((a, False))
    return order


def product_cost_of(op: str, args, shape) -> int:
    """Multiply-adds of one @ (m×k times k×n: m·k·n) or outer product."""
    if op == "outer":
        return size(shape)
    return size(args[0].shape) * (args[1].shape[-1] if len(args[1].shape) == 2 else 1)


def check_product_cost(roots) -> None:
    """Refuse a compiled function whose @ products cost more than MAX_PRODUCT_COST multiply-adds per
    evaluation (counted over what ``roots`` reach, once per node: folded constants cost nothing then)."""
    cost = sum(product_cost_of(n.op, n.args, n.shape) for n in topo(roots) if n.op in ("matmul", "outer"))
    if cost > MAX_PRODUCT_COST:
        raise ShapeError(f"f and its gradient need {cost:.3g} multiply-adds of products (@) per evaluation; the "
                         f"limit is {MAX_PRODUCT_COST:.0e} (MAX_PRODUCT_COST)")
