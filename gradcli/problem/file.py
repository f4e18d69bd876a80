"""Problem files (format 1, see README "Problem files"): safe YAML in, a validated Problem out.

Files come from strangers: they are read with PyYAML's SafeLoader only (no tags that build Python
objects), anchors and aliases are refused (an alias bomb costs nothing to write and everything to
expand), the size is capped, and every field is validated by a JSON Schema before anything is built.
Errors say ``FILE:LINE: field: what is wrong``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from gradcli.problem.fileerror import ProblemFileError, _path  # noqa: F401 (re-exported)
from gradcli.problem.kinds import is_problem_file  # noqa: F401 (re-exported)
from gradcli.errors import ExpressionError, GradcliError, ProblemError

MAX_FILE_BYTES = 2_000_000     # a problem file is text: 2 MB holds a 100 000-number x0
MAX_YAML_DEPTH = 20            # nesting of lists/mappings: the format needs 3; PyYAML composes recursively

_NUMBER = {"type": "number"}
_SEED = {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}    # NumPy's seed range
# array problems (data:, define:, variables with sizes): a variable's start is a number (filled), a list,
# or a seeded draw; see gradcli/arrays/problem.py
_RANDOM_START = {"type": "object", "additionalProperties": False, "required": ["random"], "properties": {
    "random": {"enum": ["normal"]}, "seed": _SEED, "scale": _NUMBER, "loc": _NUMBER}}
_BLOCK_START = {"oneOf": [_NUMBER, {"type": "array", "minItems": 1, "items": {
    "oneOf": [_NUMBER, {"type": "array", "items": _NUMBER, "minItems": 1}]}}, _RANDOM_START]}
_VECTOR = {"oneOf": [{"type": "array", "items": _NUMBER, "minItems": 1},
                     {"type": "object", "additionalProperties": _BLOCK_START, "minProperties": 1}]}
_NAME_PATTERN = "^[A-Za-z][A-Za-z0-9_]*$"
_EXPRESSIONS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
_SIZE = {"oneOf": [{"type": "integer", "minimum": 1},
                   {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 4}]}
_GENERATOR = {"type": "object", "additionalProperties": False, "required": ["random", "shape"], "properties": {
    "random": {"enum": ["normal", "uniform", "integers"]}, "seed": _SEED,
    "shape": {"oneOf": [{"type": "integer", "minimum": 1},
                        {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "maxItems": 4}]},
    "low": _NUMBER, "high": _NUMBER, "loc": _NUMBER, "scale": _NUMBER}}
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9_-]+$", "maxLength": 100},
        "description": {"type": "string"},
        "source": {"type": "string"},
        "objective": {"type": "string", "minLength": 1},
        "residuals": _EXPRESSIONS,          # least squares: f = Σ rᵢ² (gradcli/problem/kinds.py decides the kind)
        "model": {"type": "string", "minLength": 1},
        "y": {"type": "string", "minLength": 1},
        "p0": {"oneOf": [{"type": "array", "items": _NUMBER, "minItems": 1},
                         {"type": "object", "additionalProperties": _NUMBER, "minProperties": 1}]},
        "equations": _EXPRESSIONS,
        "bracket": {"type": "array", "items": _NUMBER, "minItems": 2, "maxItems": 2},
        "variables": {"oneOf": [
            {"type": "array", "items": {"type": "string", "pattern": _NAME_PATTERN}, "minItems": 1, "uniqueItems": True},
            {"type": "object", "propertyNames": {"pattern": _NAME_PATTERN}, "additionalProperties": _SIZE,
             "minProperties": 1}]},
        "data": {"oneOf": [{"type": "object", "propertyNames": {"pattern": _NAME_PATTERN}, "minProperties": 1,
                            "additionalProperties": {"oneOf": [{"type": "string", "minLength": 1}, _GENERATOR]}},
                           {"type": "string", "minLength": 1}]},
        "define": {"type": "object", "propertyNames": {"pattern": _NAME_PATTERN}, "minProperties": 1,
                   "additionalProperties": {"type": "string", "minLength": 1}},
        "parameters": {"type": "object", "additionalProperties": _NUMBER},
        "x0": _VECTOR,
        "starts": {"type": "array", "items": _VECTOR, "minItems": 1},
        "seed": _SEED,
        "dim": {"type": "integer", "minimum": 1},
        "bounds": {"type": "object", "additionalProperties": {
            "type": "array", "minItems": 2, "maxItems": 2,
            "items": {"oneOf": [_NUMBER, {"type": "null"}, {"type": "array"}]}}},   # array: per entry (array problems)
        "constraints": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "gradient": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
        "solution": {"type": "object", "additionalProperties": False, "properties": {
            "f": _NUMBER, "x": {"type": "array", "items": _NUMBER, "minItems": 1},
            "tol": {"type": "number", "exclusiveMinimum": 0}}},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


@dataclass
class ProblemText:
    """A file as read: its text, hash and parsed (validated) document, before compiling anything."""

    path: Path
    text: str
    sha256: str
    doc: dict
    lines: dict[tuple, int]


def read_text(path: str | Path) -> ProblemText:
    """Read, size-check, YAML-parse (safely) and schema-validate one file."""
    path = Path(path)
    if not path.is_file():
        raise ProblemFileError(path, None, None, "no such file" if not path.exists() else "not a file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ProblemFileError(path, None, None, f"file is {path.stat().st_size} bytes; the limit is "
                                                 f"{MAX_FILE_BYTES} (MAX_FILE_BYTES)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemFileError(path, None, None, f"not UTF-8 text (byte {exc.start})") from None
    return parse_text(text, path)


def parse_text(text: str, path: str | Path = "<text>") -> ProblemText:
    import yaml

    path = Path(path)
    # libyaml's parser when present: the same safe constructor, ~10x faster (a 784-number x0 took 60 ms)
    safe = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
    try:
        depth = 0
        for event in yaml.parse(text, Loader=safe):
            depth += isinstance(event, yaml.CollectionStartEvent) - isinstance(event, yaml.CollectionEndEvent)
            if depth > MAX_YAML_DEPTH:
                raise ProblemFileError(path, event.start_mark.line + 1, None,
                                       f"lists and mappings nested more than {MAX_YAML_DEPTH} deep (MAX_YAML_DEPTH)")
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise ProblemFileError(path, event.start_mark.line + 1, None,
                                       "YAML anchors and aliases (&name, *name) are not allowed in problem files; "
                                       "write the value out")
        loader = safe(text)
        try:
            node = loader.get_single_node()
            doc = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        what = " ".join(str(getattr(exc, "problem", None) or exc).split())
        if "constructor" in what or "tag" in what:
            what += " (problem files are plain YAML: no tags such as !!python/...)"
        raise ProblemFileError(path, mark.line + 1 if mark else None, None, what) from None
    if not isinstance(doc, dict):
        raise ProblemFileError(path, 1, None, "a problem file is a YAML mapping (name: ..., objective: ..., x0: ...)")
    lines = _lines(node, path)
    _validate(doc, path, lines)
    return ProblemText(path, text, hashlib.sha256(text.encode()).hexdigest(), doc, lines)


def _lines(root, file="<text>") -> dict[tuple, int]:
    """Path (keys and indexes) → 1-based line, walking the composed YAML nodes without recursion.

    Also refuses what YAML lets through but a problem file must not hold: a key given twice (PyYAML keeps
    the last one silently) and an integer too large for a float (float() of it raises OverflowError)."""
    import yaml

    out: dict[tuple, int] = {}
    stack = [((), root)]
    while stack:
        path, node = stack.pop()
        out[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int"):
            digits = sum(ch.isdigit() for ch in node.value)
            if digits > 300:
                raise ProblemFileError(file, node.start_mark.line + 1, _field(path) or None,
                                       f"a {digits}-digit integer is beyond floating point range")
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for k, v in node.value:
                key = k.value
                if isinstance(key, str) and key in seen:
                    raise ProblemFileError(file, k.start_mark.line + 1, _field(path + (key,)),
                                           "given twice; keep one")
                seen.add(key if isinstance(key, str) else id(k))
                out[path + (key,)] = k.start_mark.line + 1
                stack.append((path + (key,), v))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                stack.append((path + (i,), v))
    return out


def _field(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _validate(doc: dict, path: Path, lines: dict) -> None:
    from jsonschema import Draft202012Validator

    errors = list(Draft202012Validator(SCHEMA).iter_errors(doc))
    if not errors:
        from gradcli.problem.kinds import check_keys
        check_keys(doc, path, lines)
        return
    errors.sort(key=lambda e: (lines.get(tuple(e.absolute_path), 0), -len(e.absolute_path)))
    err = errors[0]
    while err.validator == "oneOf" and err.context:
        # a value that is the right kind for one alternative (a mapping of sizes) is judged by that alternative
        kind = {dict: "object", list: "array", str: "string"}.get(type(err.instance))
        same = [e for e in err.context if e.schema.get("type") == kind or len(e.absolute_path) > len(err.absolute_path)]
        if not same or kind is None:
            break
        err = max(same, key=lambda e: len(e.absolute_path))
    where = tuple(err.absolute_path)
    field = _field(where) or None
    msg = err.message
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        key = extra[0] if extra else "?"
        where, field = where + (key,), _field(where + (key,))
        allowed = ", ".join(err.schema.get("properties", {}))
        msg = f"unknown key (a typo?); allowed keys: {allowed}"
    elif err.validator == "required":
        msg = err.message.replace("is a required property", "is missing")
    elif err.validator == "pattern" and where[:1] == ("variables",):
        msg = f"{err.instance!r} is not a variable name: letters, digits and _, starting with a letter"
    elif err.validator == "pattern" and where == ("name",):
        msg = f"{err.instance!r} may use only lower-case letters, digits, _ and -"
    elif where[:1] == ("bounds",) and len(where) == 2 and isinstance(err.instance, str) and ":" in err.instance:
        lo, _, hi = err.instance.partition(":")
        msg = (f"{_short(err.instance)} is not a list: write [{lo.strip() or 'null'}, {hi.strip() or 'null'}] "
               "(LO:HI is the --bounds spelling on the command line)")
    elif err.validator in ("type", "oneOf"):
        msg = f"{_short(err.instance)} is not {_expected(err.schema)}"
    raise ProblemFileError(path, lines.get(where), field, msg)


def _expected(schema: dict) -> str:
    if "oneOf" in schema:
        return " or ".join(_expected(s) for s in schema["oneOf"])
    t = schema.get("type")
    return {"number": "a number", "string": "a string", "array": "a list", "object": "a mapping",
            "null": "null", "integer": "an integer"}.get(t, str(t))


def _short(v) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def problem_from_text(pt: ProblemText, *, check_residuals: bool = True, **overrides):
    """Build the Problem; ``overrides`` (x0, bounds, constraints, params) come from the command line.
    ``check_residuals=False`` skips proving Σ rᵢ² = objective (compiling both): for listing names only."""
    from gradcli.problem.kinds import MINIMIZE, require

    require(pt, (MINIMIZE,))
    d = pt.doc
    # arrays.problem.is_array_doc, inlined: importing gradcli.arrays costs 0.6 s (scipy.special) per command
    if "data" in d or "define" in d or isinstance(d.get("variables"), dict):   # the array path (gradcli/arrays)
        from gradcli.arrays.load import array_problem_from_text
        problem = array_problem_from_text(pt, **overrides)
        problem.seed = d.get("seed")
        return problem
    from gradcli.problem.core import Solution, build_problem
    sol = d.get("solution")
    params = dict(d.get("parameters") or {})
    params.update(overrides.get("params") or {})
    # `starts` lists every starting point; `x0`, when given too, is the standard one and runs first
    x0 = overrides.get("x0")
    starts = [] if x0 is not None else [s for s in d.get("starts") or [] if s != d.get("x0")]
    bounds = dict(d.get("bounds") or {})
    bounds.update(overrides.get("bounds") or {})
    objective = d.get("objective")
    if objective is None:               # residuals only: the objective is their sum of squares
        from gradcli.problem.residuals import sum_of_squares
        objective = sum_of_squares(d["residuals"])
        for i, text in enumerate(d["residuals"]):      # each read alone, so an error names its line
            try:
                from gradcli.expr.parse import parse
                parse(text, params, what="residual", dim=d.get("dim"))
            except ExpressionError as exc:
                raise ProblemFileError(pt.path, pt.lines.get(("residuals", i)), f"residuals[{i}]", str(exc)) from None
    try:
        problem = build_problem(
            objective, variables=d.get("variables"), params=params,
            x0=x0 if x0 is not None else d.get("x0"),
            starts=starts,
            bounds=bounds or None, constraints=list(d.get("constraints") or []) + list(overrides.get("constraints") or []),
            name=d["name"], dim=d.get("dim"), gradient=d.get("gradient"), source=d.get("source", ""),
            description=d.get("description", ""), tags=list(d.get("tags") or []),
            solution=Solution(sol["f"], sol.get("x"), sol.get("tol")) if sol else None)
    except ExpressionError as exc:
        field = "objective"
        for i, c in enumerate(d.get("constraints") or []):
            if exc.text == c:
                field = f"constraints[{i}]"
        raise ProblemFileError(pt.path, pt.lines.get(_path(field)), field, str(exc)) from None
    except ProblemError as exc:
        field = exc.field or ""
        line = pt.lines.get(_path(field)) or pt.lines.get(_path(field.split(".")[0].split("[")[0]))
        if field in ("x0",) and x0 is not None:
            raise ProblemError(exc.reason, "--x0") from None
        raise ProblemFileError(pt.path, line, field or None, exc.reason) from None
    n = problem.n
    if problem.solution and problem.solution.x is not None and len(problem.solution.x) != n:
        raise ProblemFileError(pt.path, pt.lines.get(("solution", "x")), "solution.x",
                               f"{len(problem.solution.x)} values for {n} variables")
    for i, text in enumerate(problem.gradient or []):   # read now, so its errors carry FILE:LINE like the rest
        from gradcli.expr.parse import parse
        try:
            parse(text, params, what="gradient component")
        except ExpressionError as exc:
            raise ProblemFileError(pt.path, pt.lines.get(("gradient", i)), f"gradient[{i}]", str(exc)) from None
    if problem.gradient is not None and len(problem.gradient) != n:
        raise ProblemFileError(pt.path, pt.lines.get(("gradient",)), "gradient",
                               f"{len(problem.gradient)} components for {n} variables ({', '.join(problem.variables)})")
    if "residuals" in d:
        from gradcli.problem.residuals import check_sum, parse_residuals
        problem.residuals = list(d["residuals"])
        problem.residual_exprs = parse_residuals(pt, params, d.get("dim"), problem.variables)
        if "objective" in d and check_residuals:
            check_sum(pt, problem, problem.residual_exprs)
    problem.source_file = str(pt.path)
    problem.sha256 = pt.sha256
    problem.seed = d.get("seed")
    return problem


def load_problem(path: str | Path, **overrides):
    """One problem file → a validated Problem (overrides from the command line win)."""
    return problem_from_text(read_text(path), **overrides)


def data_digest(text: str, path: str) -> str:
    """A hash of the contents of every data file the problem file's text names (`data: {y: t.csv}`), so that
    a results file's run key changes when a data file is edited; '' when it names none. Each file's hash is
    cached per (path, size, mtime, inode) in arrays.data: a study asks for every run's key."""
    files = _data_files(text, str(path))
    if not files:
        return ""
    from gradcli.arrays.data import file_hash

    h = hashlib.sha256()
    for name, rel in files:
        h.update(f"{name}={rel}\0{file_hash(str(Path(path).parent / rel))}\0".encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=256)
def _data_files(text: str, path: str) -> tuple[tuple[str, str], ...]:
    try:
        data = parse_text(text, path).doc.get("data") or {}
    except GradcliError:           # a bad file fails its runs with its own message
        return ()
    if isinstance(data, str):      # a fit file's one data file (model: + data:)
        return (("data", data),)
    return tuple(sorted((k, v.rsplit(":", 1)[0] if ".npz:" in v else v) for k, v in data.items()
                        if isinstance(v, str)))


def find_files(paths) -> list[Path]:
    """Files named, and *.yaml / *.yml below directories named, in a stable order."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file())
            if not found:
                raise ProblemFileError(p, None, None, "no problem files (*.yaml, *.yml) in this folder")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise ProblemFileError(p, None, None, "no such file or directory")
    return out
