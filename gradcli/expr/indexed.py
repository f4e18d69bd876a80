"""sum(expr, i, lo, hi) kept whole: the summand built once, with x[a*i + c] as SymPy ``Indexed`` objects.

The expanding builder (``expr.build``) writes out one term per i: setup and memory grow with n (64 s and
450 MB for chained Rosenbrock at n = 100 000). Here the sum stays ``Sum(summand, (i, lo, hi))`` and
gradcli/symbolic/indexed.py differentiates the summand once and evaluates it on whole slices. Anything
this form cannot say (a nested sum, an index not of the form a*i + c) raises ``NotCompact``, and the
caller builds the expanded form instead. Limits and error messages are those of the expanding builder.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator, Sequence

import sympy as sp

from gradcli.expr.build import CONSTANTS, _NAME, _Builder


class NotCompact(Exception):
    """The expression needs the expanded form (say which construct, for tests and --verbose)."""


class CompactBuilder(_Builder):
    """The expanding builder, except that a top-level sum() is kept symbolic."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.index: dict[str, tuple[sp.Symbol, int, int]] = {}    # the symbolic sum index, with lo, hi
        self.bases: dict[str, sp.IndexedBase] = {}

    def name(self, node: ast.Name):
        if node.id in self.index:
            return self.index[node.id][0]
        return super().name(node)

    def affine(self, node: ast.AST, depth: int = 0) -> tuple[int, int]:
        """An index as (a, c) meaning a*i + c, i the symbolic sum index; anything else is not compact."""
        if depth > 20:
            self.fail(node, "index expression too deep")
        if isinstance(node, ast.Name) and node.id in self.index:
            return 1, 0
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            a, c = self.affine(node.operand, depth + 1)
            return -a, -c
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            (a1, c1), (a2, c2) = self.affine(node.left, depth + 1), self.affine(node.right, depth + 1)
            if isinstance(node.op, ast.Add):
                return a1 + a2, c1 + c2
            if isinstance(node.op, ast.Sub):
                return a1 - a2, c1 - c2
            if a1 and a2:
                raise NotCompact("an index multiplies the sum index by itself")
            return a1 * c2 + a2 * c1, c1 * c2
        return 0, self.index_value(node, depth)

    def subscript(self, node: ast.Subscript):
        base = node.value
        if not isinstance(base, ast.Name) or not _NAME.match(base.id) or base.id in self.functions \
                or base.id in CONSTANTS or base.id in self.params or base.id in self.bound or base.id == "n" \
                or base.id in self.index:
            self.fail(node, "only a variable can be indexed, e.g. x[i]")
        if self.dim is None:
            self.fail(node, f"{base.id}[...] is an indexed variable: give its length with --dim N (files: dim: N)")
        a, c = self.affine(node.slice)
        ends = [c]
        i = None
        if a:
            i, lo, hi = next(iter(self.index.values()))
            ends = [a * lo + c, a * hi + c]
        for k in ends:
            if not 0 <= k < self.dim:
                self.fail(node.slice, f"index {k} is outside {base.id}[0] .. {base.id}[{self.dim - 1}] "
                                      f"(--dim {self.dim})")
        if base.id not in self.bases:
            self.bases[base.id] = sp.IndexedBase(base.id, real=True)
        return self.bases[base.id][a * i + c if a else sp.Integer(c)]

    def sum_call(self, node: ast.Call):
        args = node.args
        if self.index:
            raise NotCompact("a sum() inside a sum()")
        index, lo, hi, count = self.sum_header(node)
        if not count:
            return sp.S.Zero
        i = sp.Symbol(index, integer=True)
        self.index[index] = (i, lo, hi)
        try:
            summand = self.build(args[0])
        finally:
            del self.index[index]
        return sp.Sum(summand, (i, lo, hi))


def build_compact(text: str, params: dict, dim: int) -> sp.Expr:
    """The expression with its sums kept whole; ``NotCompact`` when it has none or needs expansion."""
    from gradcli.expr.parse import parse_params, parse_tree

    tree, where = parse_tree(text, "expression")
    try:
        expr = CompactBuilder(text, where, parse_params(params), dim=dim).build(tree)
    except RecursionError:
        raise NotCompact("too deeply nested") from None
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Sum):
        raise NotCompact("no sum()")
    return expr


_ELEMENT = re.compile(r"([A-Za-z][A-Za-z0-9_]*)\[(\d+)\]\Z")


class IndexedNames(Sequence):
    """The variable names of an indexed problem, made on demand: a million names never exist at once.

    ``blocks`` are (name, start, count, indexed) in variable order; an indexed block stands for
    name[start] .. name[start + count - 1], a scalar block (count 1) for the name itself.
    ``make`` turns a name into what is stored (the name itself, or its SymPy symbol).
    """

    def __init__(self, blocks: Sequence[tuple[str, int, int, bool]], make=None):
        self.blocks = tuple(blocks)
        self.make = make
        self.offsets, total = {}, 0
        for name, start, count, indexed in self.blocks:
            self.offsets[(name, indexed)] = total
            total += count
        self._n = total

    def __len__(self) -> int:
        return self._n

    def _name(self, k: int) -> str:
        for name, start, count, indexed in self.blocks:
            if k < count:
                return f"{name}[{start + k}]" if indexed else name
            k -= count
        raise IndexError(k)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(self[j] for j in range(*k.indices(self._n)))
        k = int(k)
        if k < 0:
            k += self._n
        if not 0 <= k < self._n:
            raise IndexError(k)
        name = self._name(k)
        return self.make(name) if self.make else name

    def __iter__(self) -> Iterator:
        make = self.make
        for name, start, count, indexed in self.blocks:
            names = (f"{name}[{j}]" for j in range(start, start + count)) if indexed else (name,)
            yield from (map(make, names) if make else names)

    def position(self, name: str) -> int | None:
        m = _ELEMENT.match(name)
        if m:
            base, k = m.group(1), int(m.group(2))
            for b, start, count, indexed in self.blocks:
                if indexed and b == base and start <= k < start + count:
                    return self.offsets[(b, True)] + k - start
            return None
        return self.offsets.get((name, False))

    def index(self, value, start=0, stop=None) -> int:
        pos = self.position(str(value) if self.make is None else value.name)
        if pos is None:
            raise ValueError(f"{value} is not a variable")
        return pos

    def __contains__(self, value) -> bool:
        try:
            return self.position(value if isinstance(value, str) else value.name) is not None
        except AttributeError:
            return False

    def __eq__(self, other) -> bool:
        if isinstance(other, IndexedNames):
            return self.blocks == other.blocks and (self.make is None) == (other.make is None)
        return isinstance(other, (tuple, list)) and len(other) == self._n and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self.blocks)

    def __repr__(self) -> str:
        shown = ", ".join(map(str, self[:3]))
        return f"IndexedNames({shown}{', ...' if self._n > 3 else ''}; {self._n} variables)"


def expand(expr: sp.Expr) -> sp.Expr:
    """The written-out form of an expression with whole sums, in the variables x[k] the expanding
    builder makes: for consumers that need every term (printed gradients, exact stationary points)."""
    def element(e):
        return sp.Symbol(f"{e.base}[{int(e.indices[0])}]", real=True)

    out = expr
    for s in expr.atoms(sp.Sum):
        (i, lo, hi), body = s.limits[0], s.function
        terms = [body.xreplace({i: sp.Integer(v)}) for v in range(int(lo), int(hi) + 1)]
        terms = [t.xreplace({e: element(e) for e in t.atoms(sp.Indexed)}) for t in terms]
        out = out.xreplace({s: sp.Add(*terms)})
    return out.xreplace({e: element(e) for e in out.atoms(sp.Indexed)})
