"""Array expressions: the same safe front end as scalar ones (``syntax.parse_tree``: Python's ``ast``,
limits, caret errors), a whitelist of node types, and IR built from the checked tree by hand.

Language: numbers, names (variables, data, defines, parameters, pi, E), + - * / ** (^) @, unary -,
parentheses, subscripts with literal whole numbers (``w[0]``, ``u[1:, :-1]``, ``v[:, ::2]``), and calls of
the functions in ``FUNCTIONS``. ``sum(A)`` and ``mean(A)`` with one argument reduce over every entry,
``sum(A, axis=0)`` over one axis; constraints (``relation``) are ``lhs <= rhs``, ``>=`` or ``==``; the scalar language's ``sum(expr, i, lo, hi)`` has four and is refused here
with a pointer. Shapes are checked as the tree is built: a mismatch names both shapes and points at
the operator.
"""

from __future__ import annotations

import ast
import math

from gradcli.errors import ExpressionError
from gradcli.expr.syntax import MAX_DEPTH, MAX_EXPONENT, parse_tree
from gradcli.arrays.ir import Graph, Node, ShapeError
from gradcli.arrays.shapes import axis_of, fmt, normalize_index

# name: (IR op, arity)
FUNCTIONS = {
    "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan",
    "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "abs": "abs", "sign": "sign", "erf": "erf",
    "sigmoid": "sigmoid", "softplus": "softplus", "log1p": "log1p", "expm1": "expm1", "relu": "relu",
    "sum": "sum", "mean": "mean", "logsumexp": "logsumexp", "transpose": "T",
}
CONSTANTS = {"pi": math.pi, "E": math.e}
# errors point to the README's array section instead of listing the language in every message
ALLOWED = "see the README section \"Data-driven objectives\" for what an array expression may contain"
_RELATIONS = {ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "=="}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow", ast.MatMult: "matmul"}


class ArrayBuilder:
    """Turns checked text into IR nodes of ``graph``; ``names`` maps every known name to its node."""

    def __init__(self, graph: Graph, names: dict[str, Node]):
        self.graph = graph
        self.names = names

    def build(self, text: str, what: str = "objective") -> Node:
        tree, where = parse_tree(text, what)
        self.text, self.where = text, where
        try:
            return self._node(tree.body, 0)
        except RecursionError:
            raise ExpressionError(text, None, f"the {what} is too deeply nested (MAX_DEPTH {MAX_DEPTH})") from None

    def relation(self, text: str) -> tuple[str, Node]:
        """'lhs OP rhs' (OP one of <= >= ==) as SciPy wants it: ('ineq', g) meaning g >= 0 entry by entry, or
        ('eq', h) meaning h == 0; lhs and rhs broadcast together (A@w >= b with b a vector or a number)."""
        tree, where = parse_tree(text, "constraint")
        self.text, self.where = text, where
        body = tree.body
        if not isinstance(body, ast.Compare) or len(body.ops) != 1 or type(body.ops[0]) not in _RELATIONS:
            self.fail(body, "a constraint needs exactly one of <=, >=, == between two expressions, e.g. "
                            "sum(w) == 1 or A@w >= b")
        try:
            lhs = self._node(body.left, 0)
            rhs = self._node(body.comparators[0], 0)
        except RecursionError:
            raise ExpressionError(text, None, f"the constraint is too deeply nested (MAX_DEPTH {MAX_DEPTH})") from None
        op = _RELATIONS[type(body.ops[0])]
        if op == "<=":
            lhs, rhs = rhs, lhs
        try:
            g = self.graph.make("add", (lhs, self.graph.make("neg", (rhs,))))
        except ShapeError:
            self.fail(body.comparators[0], f"the two sides have shapes {fmt(lhs.shape)} and {fmt(rhs.shape)}, which "
                                           "do not broadcast: a constraint is one number, or compares arrays entry "
                                           "by entry (A@w >= b with b of A@w's shape, or a number)")
        return ("eq" if op == "==" else "ineq"), g

    def fail(self, node, message: str):
        off = getattr(node, "col_offset", None)
        col = None if off is None else self.where[min(off, len(self.where) - 1)]
        raise ExpressionError(self.text, col, message)

    def _make(self, node, op, args, attr=None) -> Node:
        try:
            return self.graph.make(op, args, attr)
        except ShapeError as exc:
            self.fail(node, str(exc))

    def _node(self, node, depth: int) -> Node:
        if depth > MAX_DEPTH:
            self.fail(node, f"expression nested more than {MAX_DEPTH} levels deep (MAX_DEPTH); simplify it")
        g = self.graph
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self.fail(node, f"{type(v).__name__} constants are not allowed; {ALLOWED}")
            if not math.isfinite(float(v)) or (isinstance(v, int) and len(str(abs(v))) > 30):
                self.fail(node, "number literal is not finite or too long")
            return g.const(float(v))
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in CONSTANTS:
                return g.const(CONSTANTS[node.id])
            if node.id in FUNCTIONS:
                self.fail(node, f"'{node.id}' is a function: call it as {node.id}(...)")
            known = ", ".join(sorted(self.names)) or "none"
            self.fail(node, f"unknown name '{node.id}': not a variable, data array, define or parameter "
                            f"(known: {known})")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self._node(node.operand, depth + 1)
            return self._make(node, "neg", (v,)) if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return self._binop(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, depth)
        from gradcli.expr.syntax import _describe
        self.fail(node, f"{_describe(node)} is not allowed; {ALLOWED}")

    def _binop(self, node: ast.BinOp, depth: int) -> Node:
        op = _BINOPS[type(node.op)]
        # + - chains are flattened iteratively (a sum of many terms is one level, as in the scalar parser)
        chain, cur = [], node
        while isinstance(cur, ast.BinOp) and type(cur.op) in (ast.Add, ast.Sub) and op in ("add", "sub"):
            chain.append((cur.right, type(cur.op), cur))
            cur = cur.left
        if chain:
            acc = self._node(cur, depth + 1)
            for right, kind, at in reversed(chain):
                r = self._node(right, depth + 1)
                if kind is ast.Sub:
                    r = self._make(at, "neg", (r,))
                acc = self._make(at, "add", (acc, r))
            return acc
        a = self._node(node.left, depth + 1)
        b = self._node(node.right, depth + 1)
        if op == "pow" and b.const and abs(b.value if not hasattr(b.value, "shape") else 0) > MAX_EXPONENT:
            self.fail(node.right, f"exponent larger than {MAX_EXPONENT} (MAX_EXPONENT)")
        if op == "sub":
            return self._make(node, "add", (a, self._make(node, "neg", (b,))))
        return self._make(node, op, (a, b))

    def _call(self, node: ast.Call, depth: int) -> Node:
        if not isinstance(node.func, ast.Name):
            self.fail(node, f"only calls of the named functions are allowed; {ALLOWED}")
        name = node.func.id
        if name not in FUNCTIONS:
            import difflib
            near = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            self.fail(node, f"unknown function '{name}'{hint}; allowed: " + " ".join(FUNCTIONS))
        if any(isinstance(a, ast.Starred) for a in node.args) or \
                any(k.arg != "axis" or name not in ("sum", "mean") for k in node.keywords):
            self.fail(node, f"{name}() takes plain arguments only (sum and mean also take axis=K)")
        if name == "sum" and len(node.args) == 4:
            self.fail(node, "sum(expr, i, lo, hi) is the scalar language's indexed sum; in an array problem "
                            "sum(A) adds up every entry of A, sum(A, axis=0) sums over the first axis")
        if name in ("sum", "mean") and (node.keywords or len(node.args) == 2):
            if len(node.args) + len(node.keywords) != 2:
                self.fail(node, f"{name}(A, axis=K) takes one array and one axis")
            where = node.keywords[0].value if node.keywords else node.args[1]
            return self._reduce_axis(node, name, self._node(node.args[0], depth + 1), self._int(where))
        if len(node.args) != 1:
            self.fail(node, f"{name}() takes 1 argument, got {len(node.args)}")
        arg = self._node(node.args[0], depth + 1)
        op = FUNCTIONS[name]
        if op == "T" and len(arg.shape) > 2:
            self.fail(node, f"transpose() is for matrices; this argument has shape {fmt(arg.shape)}")
        if op == "T" and len(arg.shape) != 2:
            return arg          # a vector or scalar is its own transpose
        return self._make(node, op, (arg,))

    # ---- subscripts and axis reductions ---------------------------------------------------------
    def _int(self, node) -> int:
        """A whole number written literally (3, -1): indices and axes are never computed."""
        sign = 1
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -1 if isinstance(node.op, ast.USub) else 1
            node = node.operand
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool) or not isinstance(node.value, int):
            self.fail(node, "an index, slice bound or axis is a whole number written out, e.g. u[1:, :] or "
                            "sum(A, axis=0)")
        if abs(node.value) > 10**12:
            self.fail(node, "index too large")
        return sign * node.value

    def _subscript(self, node: ast.Subscript, depth: int) -> Node:
        base = self._node(node.value, depth + 1)
        if base.shape == ():
            self.fail(node, "a scalar cannot be indexed")
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        items = []
        for p in parts:
            if isinstance(p, ast.Slice):
                items.append(tuple(None if e is None else self._int(e) for e in (p.lower, p.upper, p.step)))
            else:
                items.append(self._int(p))
        try:
            key = normalize_index(items, base.shape)
        except ShapeError as exc:
            self.fail(node, f"{exc} (the array has shape {fmt(base.shape)})")
        return self._make(node, "index", (base,), key)

    def _reduce_axis(self, node, name: str, arg: Node, axis: int) -> Node:
        try:
            k = axis_of(axis, arg.shape)
        except ShapeError as exc:
            self.fail(node, str(exc))
        out = self._make(node, "sumax", (arg,), k)
        if name == "mean":
            out = self.graph.lin([(1.0 / arg.shape[k], out)])
        return out
