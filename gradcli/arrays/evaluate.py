"""The IR as two flat NumPy functions: ``forward(x) -> (f, saved)`` and ``backward(x, saved) -> ∇f``.

The nodes are walked once in topological order and written out as straight-line Python, one NumPy
call per node (``t7 = np.logaddexp(0.0, t6)``), then compiled with ``compile()``. Nothing the user
typed reaches that source: it is assembled from the fixed templates below, temporaries ``t<k>``,
slots ``c[<k>]`` for constants (data, coefficients) and ``repr`` of finite floats. Per step this costs
what a hand-written NumPy loop costs, without an interpreter loop over nodes.

``backward`` receives the forward values it needs (``saved``): a solver that asks for f and ∇f at the
same point pays for one forward pass.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import special

from gradcli.arrays.ir import Node, _sumto, size as _size, topo
from gradcli.arrays.shapes import as_index, scatter

_TEMPLATES = {
    "neg": "-{0}", "exp": "_np.exp({0})", "log": "_np.log({0})", "sqrt": "_np.sqrt({0})", "sin": "_np.sin({0})",
    "cos": "_np.cos({0})", "tan": "_np.tan({0})", "tanh": "_np.tanh({0})", "sinh": "_np.sinh({0})",
    "cosh": "_np.cosh({0})", "abs": "_np.abs({0})", "sign": "_np.sign({0})", "erf": "_erf({0})",
    "sigmoid": "_expit({0})", "softplus": "_np.logaddexp(0.0, {0})", "log1p": "_np.log1p({0})",
    "expm1": "_np.expm1({0})", "relu": "_np.maximum({0}, 0.0)", "step": "_np.greater({0}, 0.0) * 1.0",
    "square": "{0} * {0}", "sum": "_np.sum({0})", "mean": "_np.mean({0})", "logsumexp": "_lse({0})",
    "T": "{0}.T", "matmul": "{0} @ {1}", "outer": "_np.outer({0}, {1})", "mul": "{0} * {1}", "div": "{0} / {1}",
    "pow": "{0} ** {1}",
}
_NAMESPACE = {"_np": np, "_expit": special.expit, "_erf": special.erf, "_lse": special.logsumexp,
              "_sumto": _sumto, "_scatter": scatter}


class Writer:
    def __init__(self):
        self.consts: list = []
        self.names: dict[int, str] = {}

    def name(self, node: Node) -> str:
        if node.const:
            v = node.value
            if np.ndim(v) == 0 and math.isfinite(v):
                return f"({float(v)!r})"
            return self.slot(v)
        return self.names[id(node)]

    def slot(self, value) -> str:
        self.consts.append(value)
        return f"_c[{len(self.consts) - 1}]"

    def coef(self, c) -> str:
        if np.ndim(c) == 0 and math.isfinite(c):
            return repr(float(c))
        return self.slot(c)

    def expr(self, node: Node) -> str:
        op = node.op
        if op == "var":
            _, start, stop = node.attr
            if node.shape == ():
                return f"_x[{start}]"
            view = f"_x[{start}:{stop}]"
            return view if len(node.shape) == 1 else f"{view}.reshape({node.shape!r})"
        if op == "lin":
            parts = []
            for c, t in zip(node.attr, node.args):
                term = self.name(t)
                if np.ndim(c) == 0 and c == 1.0:
                    parts.append(("+", term))
                elif np.ndim(c) == 0 and c == -1.0:
                    parts.append(("-", term))
                else:
                    parts.append(("+", f"{self.coef(c)} * {term}"))
            out = ("-" if parts[0][0] == "-" else "") + parts[0][1]
            return out + "".join(f" {s} {t}" for s, t in parts[1:])
        if op == "bcast":
            return f"_np.broadcast_to({self.name(node.args[0])}, {tuple(node.attr)!r})"
        if op in ("sum", "mean", "sumto") and node.args[0].shape == ():
            return self.name(node.args[0])
        if op in ("sum", "sumto") and node.shape == ():          # the method skips np.sum's dispatch layers
            return f"{self.name(node.args[0])}.sum()"
        if op == "mean":
            return f"{self.name(node.args[0])}.sum() * {1.0 / max(1, _size(node.args[0].shape))!r}"
        if op == "sumto":
            return f"_sumto({self.name(node.args[0])}, {tuple(node.attr)!r})"
        if op == "index":
            return f"{self.name(node.args[0])}[{self.slot(as_index(node.attr))}]"
        if op == "unindex":
            return f"_scatter({self.name(node.args[0])}, {self.slot(as_index(node.attr[0]))}, {tuple(node.attr[1])!r})"
        if op == "sumax":
            return f"{self.name(node.args[0])}.sum(axis={int(node.attr)})"
        if op == "reshape":
            return f"_np.reshape({self.name(node.args[0])}, {tuple(node.attr)!r})"
        return _TEMPLATES[op].format(*(self.name(a) for a in node.args))

    def assign(self, node: Node, lines: list[str]) -> None:
        k = f"t{len(self.names)}"
        lines.append(f"    {k} = {self.expr(node)}")
        self.names[id(node)] = k


def build(f: Node, grads: list[Node | None], variables: list[Node], n: int):
    """Compile ``f`` and its gradient into (forward, backward, source)."""
    w = Writer()
    fwd = [v for v in topo([f]) if not v.const]
    grad_roots = [gr for gr in grads if gr is not None]
    in_fwd = {id(v) for v in fwd}
    bwd = [v for v in topo(grad_roots) if not v.const and id(v) not in in_fwd]
    # forward values the backward pass reads (arguments of backward nodes, or gradients that are forward nodes)
    used = {id(a) for v in bwd for a in v.args} | {id(gr) for gr in grad_roots}
    lines = ["def forward(_x, _c):"]
    for v in fwd:
        w.assign(v, lines)
    saved = [w.names[id(v)] for v in fwd if id(v) in used]
    lines.append(f"    return {w.name(f)}, ({', '.join(saved)}{',' if len(saved) == 1 else ''})")
    lines.append("def backward(_x, _c, _saved):")
    if saved:
        lines.append(f"    {', '.join(saved)}{',' if len(saved) == 1 else ''} = _saved")
    for v in bwd:
        w.assign(v, lines)
    lines.append(f"    _g = _np.empty({n})")
    for var, gr in zip(variables, grads):
        _, start, stop = var.attr
        target = f"_g[{start}]" if var.shape == () else f"_g[{start}:{stop}]"
        if gr is None:
            value = "0.0"
        else:
            value = w.name(gr)
            if len(var.shape) >= 2:
                value = f"_np.ravel({value})"
        lines.append(f"    {target} = {value}")
    lines.append("    return _g")
    # fused: both bodies in one function (no tuple of saved values in between), for solvers that want f and ∇f
    # at every point they visit (the gd family's fixed steps)
    back_start = lines.index("def backward(_x, _c, _saved):")
    body_f = lines[1:back_start - 1]
    body_b = [ln for ln in lines[back_start + 1:-1] if ln != f"    {', '.join(saved)}{',' if len(saved) == 1 else ''} = _saved"]
    pack = f"({', '.join(saved)}{',' if len(saved) == 1 else ''})"
    lines += ["def fused(_x, _c):", *body_f, *body_b, f"    return {w.name(f)}, _g, {pack}"]
    # gradient only: the nodes ∇f needs and nothing that only f needs (the cross-entropy's softplus, the mean)
    w2 = Writer()
    w2.consts = w.consts
    only = ["def gradient(_x, _c):"]
    for v in topo(grad_roots):
        if not v.const:
            w2.assign(v, only)
    only.append(f"    _g = _np.empty({n})")
    for var, gr in zip(variables, grads):
        _, start, stop = var.attr
        target = f"_g[{start}]" if var.shape == () else f"_g[{start}:{stop}]"
        value = "0.0" if gr is None else w2.name(gr)
        if gr is not None and len(var.shape) >= 2:
            value = f"_np.ravel({value})"
        only.append(f"    {target} = {value}")
    only.append("    return _g")
    lines += only
    source = "\n".join(lines) + "\n"
    scope = dict(_NAMESPACE)
    exec(compile(source, "<gradcli array program>", "exec"), scope)   # our templates only; see module doc
    consts = w.consts
    return (functools.partial(scope["forward"], _c=consts), functools.partial(scope["backward"], _c=consts),
            functools.partial(scope["fused"], _c=consts), functools.partial(scope["gradient"], _c=consts), source)


def build_outputs(blocks, n_out: int, label: str = "program"):
    """One flat function ``z -> out`` (out of length ``n_out``): ``blocks`` are (node or None, start, stop), each
    node's entries written, raveled, to out[start:stop] (zeros for None). Used for Hessian-vector products
    and constraint functions, whose inputs (x, and p or y) are var nodes laid out in ``z``."""
    w = Writer()
    roots = [b[0] for b in blocks if b[0] is not None]
    lines = ["def program(_x, _c):"]
    for v in topo(roots):
        if not v.const:
            w.assign(v, lines)
    lines.append(f"    _g = _np.zeros({n_out})")
    for node, start, stop in blocks:
        if node is None:
            continue
        value = w.name(node)
        if node.shape == () and stop - start == 1:
            lines.append(f"    _g[{start}] = {value}")
        else:
            lines.append(f"    _g[{start}:{stop}] = _np.ravel({value})")
    lines.append("    return _g")
    source = "\n".join(lines) + "\n"
    scope = dict(_NAMESPACE)
    exec(compile(source, f"<gradcli array {label}>", "exec"), scope)   # our templates only; see module doc
    return functools.partial(scope["program"], _c=w.consts)
