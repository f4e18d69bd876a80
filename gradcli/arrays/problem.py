"""ArrayProblem: a Problem whose variables are named blocks (w: 784, b: 1) and whose objective is an
array expression over data. Built from a problem file's document (or the command line), checked
before anything runs: names, shapes, data, x0.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradcli.errors import ExpressionError, ProblemError
from gradcli.problem.core import Problem
from gradcli.arrays.grad import gradient
from gradcli.arrays.ir import Graph, Node, ShapeError, check_product_cost, fmt, topo
from gradcli.arrays.shapes import MAX_NDIM

MAX_VARIABLES = 10_000_000
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


@dataclass
class ArrayProblem(Problem):
    blocks: list[tuple[str, tuple]] = field(default_factory=list)   # (name, shape) in x order
    data: dict[str, np.ndarray] = field(default_factory=dict)
    defines: dict[str, str] = field(default_factory=dict)
    graph: Graph | None = None
    f_node: Node | None = None
    var_nodes: list[Node] = field(default_factory=list)
    grad_nodes: list[Node | None] = field(default_factory=list)   # ∂f/∂v per variable node, built once

    symbolic = False

    def compile(self):
        from gradcli.arrays.constraints import compile_constraints
        from gradcli.arrays.objective import ArrayObjective
        objective = ArrayObjective(self)
        objective.constraint_blocks, objective.constraints = compile_constraints(self)
        return objective

    def annotate(self, result, spec) -> None:
        annotate_result(result, self, spec)

    def verify(self, objective, x):
        from gradcli.arrays.verdict import verify_array
        return verify_array(objective, self, x)

    def split(self, x) -> dict[str, np.ndarray | float]:
        """x as {name: array of the block's shape} (a float for a scalar variable)."""
        x = np.asarray(x, dtype=float)
        out, k = {}, 0
        for name, shape in self.blocks:
            m = int(math.prod(shape))
            out[name] = float(x[k]) if shape == () else x[k:k + m].reshape(shape).copy()
            k += m
        return out


def is_array_doc(doc: dict) -> bool:
    return isinstance(doc.get("data"), dict) or "define" in doc or isinstance(doc.get("variables"), dict)


def parse_blocks(variables) -> list[tuple[str, tuple]]:
    """{w: 784, b: 1, W: [5, 8]} → [(w, (784,)), (b, ()), (W, (5, 8))]; a size of 1 is a scalar."""
    if not isinstance(variables, dict) or not variables:
        raise ProblemError("array problems name their variables with sizes, e.g. {w: 784, b: 1}", "variables")
    out, total = [], 0
    for name, size in variables.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ProblemError(f"'{name}' is not a variable name", "variables")
        dims = [size] if isinstance(size, int) and not isinstance(size, bool) else size
        if not isinstance(dims, list) or not 1 <= len(dims) <= MAX_NDIM or \
                any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
            raise ProblemError(f"{name}: a size is a positive integer (784) or a shape of up to {MAX_NDIM} axes "
                               "[rows, cols]", f"variables.{name}")
        shape = () if dims == [1] else tuple(dims)
        total += int(math.prod(shape))
        if total > MAX_VARIABLES:
            raise ProblemError(f"more than {MAX_VARIABLES} variables in all (MAX_VARIABLES)", "variables")
        out.append((name, shape))
    return out


def flat_names(blocks) -> tuple[str, ...]:
    names = []
    for name, shape in blocks:
        if shape == ():
            names.append(name)
        elif len(shape) == 1:
            names.extend(f"{name}[{i}]" for i in range(shape[0]))
        else:
            names.extend(f"{name}[{','.join(map(str, ix))}]" for ix in itertools.product(*map(range, shape)))
    return tuple(names)


def start_vector(x0, blocks, what: str = "x0") -> list[float]:
    """x0 per variable: a number (filled), a list of the block's size, or {random: normal, seed: S, scale: s}."""
    from gradcli.arrays.data import generate
    if isinstance(x0, (list, tuple)) and len(x0) == 1:
        x0 = x0[0]                      # --x0 0: every entry
    if not isinstance(x0, dict):
        total = sum(int(math.prod(s)) for _, s in blocks)
        if isinstance(x0, (int, float)) and not isinstance(x0, bool):
            return [float(x0)] * total
        arr = np.asarray(x0, dtype=float).ravel() if isinstance(x0, (list, tuple)) else None
        if arr is None or arr.size != total:
            raise ProblemError(f"give one entry per variable ({', '.join(n for n, _ in blocks)}), e.g. "
                               "{w: 0.0, b: 0.0}", what)
        return _finite(arr, what).tolist()
    unknown = [k for k in x0 if k not in dict(blocks)]
    if unknown:
        raise ProblemError(f"{unknown[0]} is not a variable ({', '.join(n for n, _ in blocks)})", what)
    parts = []
    for name, shape in blocks:
        size = int(math.prod(shape))
        v = x0.get(name, 0.0)
        where = f"{what}.{name}"
        if isinstance(v, dict):
            if set(v) - {"random", "seed", "scale", "loc"} or v.get("random") != "normal":
                raise ProblemError("a random start is {random: normal, seed: 0, scale: 1}", where)
            arr = generate({**v, "shape": size}, where)
        elif isinstance(v, bool):
            raise ProblemError(f"expected a number, got {v}", where)
        elif isinstance(v, (int, float)):
            arr = np.full(size, float(v))
        else:
            try:
                arr = np.asarray(v, dtype=float).ravel()
            except (TypeError, ValueError):
                raise ProblemError("expected a number, a list of numbers or {random: normal, seed: S}", where) from None
            if arr.size != size:
                raise ProblemError(f"{arr.size} values for {name} of shape {fmt(shape)} ({size} entries)", where)
        parts.append(_finite(arr, where))
    return np.concatenate(parts).tolist() if parts else []


def _finite(arr, where):
    if not np.all(np.isfinite(arr)):
        raise ProblemError("values must be finite numbers", where)
    return arr


def build_array_problem(objective: str, variables, *, data: dict | None = None, define: dict | None = None,
                        params: dict | None = None, x0=None, starts=None, base: Path | None = None,
                        bounds: dict | None = None, constraints: list[str] | None = None,
                        data_overrides: dict | None = None, name: str = "expression", **meta) -> ArrayProblem:
    """Load the data, build and check the graph (shapes, names), and the starts."""
    from gradcli.arrays.data import MAX_TOTAL_ENTRIES, load_entry
    from gradcli.arrays.parse import ArrayBuilder

    blocks = parse_blocks(variables)
    entries = dict(data or {})
    arrays: dict[str, np.ndarray] = {}
    overrides = dict(data_overrides or {})
    for key in overrides:
        if key not in entries and key not in _expr_names(objective, define):
            raise ProblemError(f"--data {key}: the problem has no data named {key} "
                               f"({', '.join(entries) or 'none'})", "data")
    room = MAX_TOTAL_ENTRIES                 # all entries together, checked before each is allocated
    for key, entry in list(entries.items()) + [(k, None) for k in overrides if k not in entries]:
        if key in overrides:
            arrays[key] = load_entry(key, overrides[key], None, trusted=True, room=room)
        else:
            arrays[key] = load_entry(key, entry, base, room=room)
        room -= arrays[key].size
    graph = Graph()
    names: dict[str, Node] = {}
    start = 0
    var_nodes = []
    for vname, shape in blocks:
        node = graph.var(vname, shape, start)
        start += int(math.prod(shape))
        names[vname] = node
        var_nodes.append(node)
    for kind, table in (("data", arrays), ("parameters", params or {})):
        for key, value in table.items():
            if not isinstance(key, str) or not _NAME.match(key):
                raise ProblemError(f"'{key}' is not a valid name", kind)
            if key in names:
                raise ProblemError(f"'{key}' is already a variable or data name", f"{kind}.{key}")
            names[key] = graph.const(value)
    builder = ArrayBuilder(graph, names)
    for key, text in (define or {}).items():
        if not isinstance(key, str) or not _NAME.match(key) or key in names:
            raise ProblemError(f"'{key}' is not a free name (it is taken, or not a name)", f"define.{key}")
        names[key] = _field_error(lambda: builder.build(text, f"define {key}"), f"define.{key}")
        names[key].pinned = names[key].op == "lin"      # one node, shared by every use (not re-expanded)
    f = _field_error(lambda: builder.build(objective, "objective"), "objective")
    if f.shape != ():
        raise ProblemError(f"the objective has shape {fmt(f.shape)}; it must be a single number: wrap it in "
                           "sum(...) or mean(...)", "objective")
    if not any(n.op == "var" for n in topo([f])):
        raise ProblemError(f"the objective uses none of the variables ({', '.join(n for n, _ in blocks)}): it is "
                           "a constant, nothing to minimize", "objective")
    try:         # the gradient is built here, once, so that what it costs is said against the objective
        grads = gradient(graph, f, var_nodes)
        check_product_cost([f] + [g for g in grads if g is not None])
    except ShapeError as exc:
        raise ProblemError(str(exc), "objective") from None
    flat = flat_names(blocks)
    problem = ArrayProblem(name=name, objective=objective, expr=None, variables=flat, symbols=(),
                           params={k: float(v) for k, v in (params or {}).items()}, blocks=blocks, data=arrays,
                           defines=dict(define or {}), graph=graph, f_node=f, var_nodes=var_nodes, grad_nodes=grads,
                           **meta)
    from gradcli.arrays.constraints import build_constraints, flat_bounds
    problem.bounds = flat_bounds(bounds, blocks)
    problem.constraints = build_constraints(problem, list(constraints or []), builder)
    labelled = ([("x0", x0)] if x0 is not None else []) + [(f"starts[{i}]", s) for i, s in enumerate(starts or [])]
    problem.starts = [start_vector(s, blocks, label) for label, s in labelled]
    return problem


def _expr_names(objective, define) -> set:
    return set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", objective + " " + " ".join((define or {}).values())))


def _field_error(build, field_name):
    try:
        return build()
    except ExpressionError as exc:
        exc.field = field_name
        raise


def annotate_result(result, problem: ArrayProblem, spec) -> None:
    """x by variable on the Result (``result.x_named["w"]``), summarised in its JSON; where the Hessian
    came from when the method used one."""
    from gradcli.report.save_x import summarize
    from gradcli.arrays.objective import HESSIAN_METHOD

    if result.x.size and all(math.isfinite(v) for v in result.x):
        result.x_named = problem.split(result.x)
        result.extra["x_named"] = {k: summarize(v) for k, v in result.x_named.items()}
    if spec.needs_hess:
        result.extra["hessian"] = HESSIAN_METHOD
