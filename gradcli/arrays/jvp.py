"""Forward mode on the IR, and with it exact Hessian-vector products by forward-over-reverse.

``jvp`` pushes tangents through a graph: given ṫ for some leaves (var nodes), the directional
derivative of every node reachable from them, built as more IR with the same ``Graph.make`` (folded,
shared, rewritten). Applied to the reverse-mode gradient graph (grad.py) with the variables' tangent p,
the tangents of the gradient nodes are ∇²f·p — exact, no differences (Pearlmutter, "Fast exact
multiplication by the Hessian", Neural Computation 6, 1994; Griewank & Walther, Evaluating
Derivatives, 2nd ed., §5.3 "second-order adjoints"). p is itself a var node laid out after x in the
input vector, so the product compiles to one flat NumPy function (evaluate.build_outputs).
"""

from __future__ import annotations

import math

from gradcli.arrays.ir import Graph, Node, ShapeError, topo


def jvp(g: Graph, roots: list, seeds: dict[int, Node]) -> dict[int, Node]:
    """Tangents of every node reachable from ``roots``; ``seeds`` maps id(leaf) to its tangent node."""
    tan: dict[int, Node] = dict(seeds)
    for node in topo([r for r in roots if r is not None]):
        if node.op in ("const", "var") or id(node) in tan:
            continue
        if not any(id(a) in tan for a in node.args):
            continue
        t = tangent(g, node, [tan.get(id(a)) for a in node.args])
        if t is not None:
            if t.shape != node.shape:
                t = g.make("bcast", (t,), node.shape)
            tan[id(node)] = t
    return tan


def _sum(g: Graph, parts, shape):
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return g.lin([(1.0, p) for p in parts], shape)


def tangent(g: Graph, node: Node, dots) -> Node | None:
    """d(node) from the arguments' tangents ``dots`` (None: that argument does not move)."""
    m, op, a = g.make, node.op, node.args[0]
    da = dots[0]
    if op == "lin":
        return g.lin([(c, d) for c, d in zip(node.attr, dots) if d is not None], node.shape)
    if op in ("mul", "outer", "matmul"):
        b, db = node.args[1], dots[1]
        return _sum(g, [None if da is None else m(op, (da, b)), None if db is None else m(op, (a, db))], node.shape)
    if op == "div":
        b, db = node.args[1], dots[1]
        return _sum(g, [None if da is None else m("div", (da, b)),
                        None if db is None else m("neg", (m("mul", (m("div", (node, b)), db)),))], node.shape)
    if op == "pow":
        b, db = node.args[1], dots[1]
        parts = [None if da is None else
                 m("mul", (m("mul", (b, m("pow", (a, g.lin([(1.0, b), (-1.0, g.const(1.0))]))))), da))]
        if db is not None:
            parts.append(m("mul", (m("mul", (node, m("log", (a,)))), db)))
        return _sum(g, parts, node.shape)
    if op in ("index", "unindex", "sumax", "reshape", "bcast", "sumto", "T", "sum", "mean"):
        return m(op, (da,), node.attr)          # linear: the same operation on the tangent
    if op in ("sign", "step"):
        return None
    factor = _factor(g, op, a, node)
    if op == "logsumexp":          # d lse(a) = Σ softmax(a)·ȧ
        return m("sum", (m("mul", (factor, da)),))
    return m("mul", (factor, da))


def _factor(g: Graph, op: str, a: Node, node: Node) -> Node:
    """f'(a) for an element-wise f, as IR (the same expressions reverse mode uses, grad.vjp)."""
    m = g.make
    one = g.const(1.0)
    if op == "square":
        return g.lin([(2.0, a)])
    if op == "exp":
        return node
    if op == "log":
        return m("div", (one, a))
    if op == "sqrt":
        return m("div", (g.const(0.5), node))
    if op == "sin":
        return m("cos", (a,))
    if op == "cos":
        return m("neg", (m("sin", (a,)),))
    if op == "tan":
        return g.lin([(1.0, one), (1.0, m("square", (node,)))])
    if op == "tanh":
        return g.lin([(1.0, one), (-1.0, m("square", (node,)))])
    if op == "sinh":
        return m("cosh", (a,))
    if op == "cosh":
        return m("sinh", (a,))
    if op == "abs":
        return m("sign", (a,))
    if op == "erf":
        return g.lin([(2.0 / math.sqrt(math.pi), m("exp", (m("neg", (m("square", (a,)),)),)))])
    if op == "sigmoid":
        return m("mul", (node, m("sigmoid", (m("neg", (a,)),))))
    if op == "softplus":
        return m("sigmoid", (a,))
    if op == "log1p":
        return m("div", (one, g.lin([(1.0, one), (1.0, a)])))
    if op == "expm1":
        return m("exp", (a,))
    if op == "relu":
        return m("step", (a,))
    if op == "logsumexp":
        return m("exp", (g.lin([(1.0, a), (-1.0, node)]),))
    raise ShapeError(f"no forward-mode rule for {op}")


def hvp_nodes(g: Graph, grads: list, variables: list[Node], n: int) -> tuple[list, list[Node]]:
    """∇²f·p per variable (None where ∂f/∂v does not depend on x), and the tangent var nodes p, laid out
    after x (p's entries for variable v sit at n + v's offset)."""
    ps = [g.var(f"\0p:{v.attr[0]}", v.shape, n + v.attr[1]) for v in variables]
    tan = jvp(g, grads, {id(v): p for v, p in zip(variables, ps)})
    return [None if gr is None else tan.get(id(gr)) for gr in grads], ps
