"""Reverse-mode differentiation of the IR into more IR (what Theano's ``grad`` does).

Each op has a vector-Jacobian rule: given the adjoint ḡ of a node's output, the adjoints of its
arguments, built with the same ``Graph.make`` (so they are folded, shared and rewritten like the
objective itself). Broadcasting is undone by ``sumto`` (sum over the broadcast axes); @ follows the
matrix rules (A@v: ḡvᵀ and Aᵀḡ). The result is one gradient node per variable: a whole-array
expression, never one symbol per weight.
"""

from __future__ import annotations

import math


from gradcli.arrays.ir import Graph, Node, ShapeError, size, topo


def gradient(g: Graph, f: Node, variables: list[Node]) -> list[Node | None]:
    """∂f/∂v for each variable node v (None where f does not depend on v)."""
    if f.shape != ():
        raise ShapeError(f"the objective must be a scalar, but it has shape {f.shape}: wrap it in sum(...) or "
                         "mean(...)")
    adj: dict[int, Node] = {id(f): g.const(1.0)}
    for node in reversed(topo([f])):
        if node.op in ("const", "var"):
            continue
        bar = adj.pop(id(node), None)
        if bar is None:
            continue
        for arg, contrib in vjp(g, node, bar):
            if arg.const or contrib is None:
                continue
            contrib = g.make("sumto", (contrib,), arg.shape)
            old = adj.get(id(arg))
            adj[id(arg)] = contrib if old is None else g.make("add", (old, contrib))
    return [adj.get(id(v)) for v in variables]


def vjp(g: Graph, node: Node, bar: Node):
    """(argument, adjoint contribution) pairs; contributions may still carry broadcast axes."""
    m, op, a = g.make, node.op, node.args[0]
    if op == "lin":
        return [(t, g.lin([(c, bar)])) for c, t in zip(node.attr, node.args)]
    if op == "mul":
        b = node.args[1]
        return [(a, m("mul", (bar, b))), (b, m("mul", (bar, a)))]
    if op == "div":
        b = node.args[1]
        return [(a, m("div", (bar, b))), (b, m("neg", (m("mul", (bar, m("div", (node, b)))),)))]
    if op == "pow":
        b = node.args[1]
        da = m("mul", (bar, m("mul", (b, m("pow", (a, g.lin([(1.0, b), (-1.0, g.const(1.0))])))))))
        out = [(a, da)]
        if not b.const:
            out.append((b, m("mul", (bar, m("mul", (node, m("log", (a,))))))))
        return out
    if op == "square":
        return [(a, g.lin([(2.0, m("mul", (bar, a)))]))]
    if op == "exp":
        return [(a, m("mul", (bar, node)))]
    if op == "log":
        return [(a, m("div", (bar, a)))]
    if op == "sqrt":
        return [(a, g.lin([(0.5, m("div", (bar, node)))]))]
    if op == "sin":
        return [(a, m("mul", (bar, m("cos", (a,)))))]
    if op == "cos":
        return [(a, m("neg", (m("mul", (bar, m("sin", (a,)))),)))]
    if op == "tan":
        return [(a, m("mul", (bar, g.lin([(1.0, g.const(1.0)), (1.0, m("square", (node,)))]))))]
    if op == "tanh":
        return [(a, m("mul", (bar, g.lin([(1.0, g.const(1.0)), (-1.0, m("square", (node,)))]))))]
    if op == "sinh":
        return [(a, m("mul", (bar, m("cosh", (a,)))))]
    if op == "cosh":
        return [(a, m("mul", (bar, m("sinh", (a,)))))]
    if op == "abs":
        return [(a, m("mul", (bar, m("sign", (a,)))))]
    if op in ("sign", "step"):
        return []
    if op == "erf":
        gauss = m("exp", (m("neg", (m("square", (a,)),)),))
        return [(a, g.lin([(2.0 / math.sqrt(math.pi), m("mul", (bar, gauss)))]))]
    if op == "sigmoid":   # σ' = σ(u)·σ(-u): both factors in [0, 1], no cancellation in 1 - σ
        return [(a, m("mul", (bar, m("mul", (node, m("sigmoid", (m("neg", (a,)),)))))))]
    if op == "softplus":
        return [(a, m("mul", (bar, m("sigmoid", (a,)))))]
    if op == "log1p":
        return [(a, m("div", (bar, g.lin([(1.0, g.const(1.0)), (1.0, a)]))))]
    if op == "expm1":
        return [(a, m("mul", (bar, m("exp", (a,)))))]
    if op == "relu":
        return [(a, m("mul", (bar, m("step", (a,)))))]
    if op == "sum":
        return [(a, m("bcast", (bar,), a.shape))]
    if op == "mean":
        return [(a, m("bcast", (g.lin([(1.0 / max(size(a.shape), 1), bar)]),), a.shape))]
    if op == "logsumexp":   # ∂/∂a = softmax(a) = exp(a - lse(a))
        return [(a, m("mul", (bar, m("exp", (g.lin([(1.0, a), (-1.0, node)]),)))))]
    if op == "T":
        return [(a, m("T", (bar,)))]
    if op == "bcast":
        return [(a, bar)]                     # the caller sums it back to a's shape
    if op == "sumto":
        return [(a, m("bcast", (bar,), a.shape))]
    if op == "matmul":
        return _matmul(g, a, node.args[1], bar)
    if op == "index":                         # a[ix]: the adjoint lands where the entries came from
        return [(a, m("unindex", (bar,), (node.attr, a.shape)))]
    if op == "unindex":
        return [(a, m("index", (bar,), node.attr[0]))]
    if op == "sumax":                         # sum over one axis: broadcast back along it
        kept = a.shape[:node.attr] + (1,) + a.shape[node.attr + 1:]
        return [(a, m("bcast", (m("reshape", (bar,), kept),), a.shape))]
    if op == "reshape":
        return [(a, m("reshape", (bar,), a.shape))]
    raise ShapeError(f"no derivative rule for {op}")


def _matmul(g: Graph, a: Node, b: Node, bar: Node):
    m = g.make
    if len(a.shape) == 1 and len(b.shape) == 1:          # u·v
        return [(a, m("mul", (bar, b))), (b, m("mul", (bar, a)))]
    if len(a.shape) == 2 and len(b.shape) == 1:          # A v
        return [(a, m("outer", (bar, b))), (b, m("matmul", (m("T", (a,)), bar)))]
    if len(a.shape) == 1:                                 # vᵀ B
        return [(a, m("matmul", (b, bar))), (b, m("outer", (a, bar)))]
    return [(a, m("matmul", (bar, m("T", (b,))))), (b, m("matmul", (m("T", (a,)), bar)))]
