"""Hostile and broken *array* problems (data:, define:, sized variables, --data/--var/--save-x): every one ends
in a clean error (exit 2, one line naming the field or file, no traceback) or a correct result, within 5 s,
and nothing in them runs code (a payload would create a MARKER file) or reads outside the problem's folder.

Same rules and helpers as tests/test_hostile.py; the cases are small so the whole file stays fast.
"""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from gradcli.arrays.data import MAX_TEXT_BYTES
from test_hostile import MARK, ROOT, SECONDS, _assert_clean, assert_clean_process, run, sandbox  # noqa: F401

# a small logistic regression: every case below changes one thing in it
BASE = {
    "name": "p",
    "data": {"X": {"random": "normal", "shape": [20, 5], "seed": 0},
             "y": {"random": "integers", "low": 0, "high": 2, "shape": [20], "seed": 1}},
    "variables": {"w": 5, "b": 1},
    "define": {"z": "X@w + b"},
    "objective": "mean(softplus(z) - y*z) + 0.01*sum(w**2)",
    "x0": {"w": 0.0, "b": 0.0},
}
DELETE = object()


def check_everywhere(commands, path: Path, expected: str, words: str) -> None:
    """Each command on ``path``: a clean error naming ``words`` and the file, or a result. ``problems check``
    reports a bad file as a failed check (exit 1, documented), in a table: no traceback, within the budget."""
    for command in commands:
        args = [*command, str(path)] + (["-m", "l-bfgs-b"] if command == ["minimize"] else [])
        result, took = run(*args)
        if command == ["problems", "check"]:
            assert "Traceback" not in result.stdout + result.stderr and took < SECONDS, result.stdout
            assert result.exit_code == (1 if expected == "error" else 0), (result.exit_code, result.stdout[-600:])
            continue
        _assert_clean(result, expected, took, (command, path.name, words))
        assert "Warning" not in result.stderr, result.stderr       # NumPy's RuntimeWarnings are not messages
        if expected == "error":
            assert words in result.stderr and path.name in result.stderr, (command, result.stderr)
            assert len(result.stderr.strip().splitlines()) <= 3, result.stderr      # one line (+ caret lines)
        elif command == ["checkgrad"]:       # a correct result: the derived gradient agrees with differences
            assert result.exit_code == 0, (command, result.stdout[-300:], result.stderr)


class Payload:
    """Unpickling it would run a shell command that creates MARKER (np.load must never unpickle)."""

    def __reduce__(self):
        return (os.system, (f"touch {MARK}",))


def doc(**changes) -> dict:
    """BASE with top-level changes; a dict value for data/define/variables/x0 is merged into BASE's."""
    out = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        if value is DELETE:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and not value.get("_replace"):
            out[key].update(value)
        else:
            out[key] = {k: v for k, v in value.items() if k != "_replace"} if isinstance(value, dict) else value
    return out


def write(folder: Path, d: dict, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(d, sort_keys=False, width=10_000))
    return path


def data_file(folder: Path, entry: str, **other) -> Path:
    return write(folder, doc(data={"X": entry}, **other))


def _npy_header_only(path: Path, shape) -> None:
    """A .npy whose header declares ``shape`` but which holds 8 bytes of data."""
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": shape})
        fh.write(b"\0" * 8)


def _setup_files(d: Path) -> None:
    """The files the path cases point at, made once per test in its sandbox."""
    inner = d / "inner"
    inner.mkdir()
    np.save(d / "outside.npy", np.ones((20, 5)))
    np.save(inner / "good.npy", np.ones((20, 5)))
    (inner / "escape.npy").symlink_to(d / "outside.npy")
    (inner / "zero.npy").symlink_to("/dev/zero")
    (inner / "loop.npy").symlink_to(inner / "loop.npy")
    (inner / "dir.npy").mkdir()
    os.mkfifo(inner / "fifo.npy")
    (inner / "empty.npy").write_bytes(b"")
    (inner / "text.npy").write_text("root:x:0:0:root:/root:/bin/bash\n")
    _npy_header_only(inner / "huge.npy", (10**6, 10**6))
    _npy_header_only(inner / "huge64.npy", (2**32, 2**32))          # 2**64 entries: wraps int64 to 0
    _npy_header_only(inner / "short.npy", (20, 5))                  # declares 100 entries, holds 1
    obj = np.empty(2, dtype=object)
    obj[0] = Payload()
    np.save(inner / "pickle.npy", obj, allow_pickle=True)
    np.savez(inner / "pickle.npz", X=obj)
    np.savez(inner / "two.npz", X=np.ones((20, 5)), Z=np.ones(3))
    np.save(inner / "strings.npy", np.array([["a", "b"]] * 20))
    np.save(inner / "complex.npy", np.ones((20, 5)) * 1j)
    np.save(inner / "cube.npy", np.ones((4, 3, 2, 2, 2)))   # 5 axes: one more than allowed
    np.save(inner / "empty_array.npy", np.ones((0, 5)))
    np.save(inner / "nan.npy", np.full((20, 5), np.nan))
    (inner / "words.csv").write_text("a,b,c,d,e\n" * 20)
    (inner / "ragged.csv").write_text("1,2,3,4,5\n1,2\n" * 10)
    (inner / "naninf.csv").write_text("1,2,nan,4,inf\n" * 20)
    (inner / "empty.csv").write_text("")
    (inner / "ok.csv").write_text("1,2,3,4,5\n" * 20)
    with open(inner / "huge.csv", "wb") as fh:                   # sparse: a 200 MB text file in no time
        fh.write(b"1,2,3,4,5\n")
        fh.truncate(MAX_TEXT_BYTES + 1)
    (inner / "junk.npz").write_bytes(b"PK\x03\x04" + b"\0" * 60)
    with zipfile.ZipFile(inner / "hugemember.npz", "w") as z:   # a member whose header declares 10**12 floats
        with z.open("X.npy", "w") as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
            fh.write(b"\0" * 64)
    (inner / "sub").mkdir()
    np.save(inner / "sub" / "X.npy", np.ones((20, 5)))


# --- data paths in a problem file: (id, entry, words the message must contain); all are refused ---------------
PATHS = [
    ("parent", "../outside.npy", "outside the problem file's folder"),
    ("absolute", "/etc/passwd", "relative to its folder"),
    ("absolute_npy", "{d}/outside.npy", "relative to its folder"),
    ("symlink_out", "escape.npy", "outside the problem file's folder"),
    ("symlink_dev_zero", "zero.npy", "outside the problem file's folder"),
    ("symlink_loop", "loop.npy", "data.X"),
    ("tilde", "~/x.npy", "no such file"),                        # not expanded in a file: a name in its folder
    ("directory", "dir.npy", "not a regular file"),
    ("fifo", "fifo.npy", "not a regular file"),                  # must not block on open()
    ("missing", "nosuch.npy", "no such file"),
    ("nul_byte", "good.npy\0.txt", "data.X"),
    ("long_name", "a" * 5000 + ".npy", "data.X"),
    ("empty_file", "empty.npy", "cannot read"),
    ("not_npy", "text.npy", "cannot read"),
    ("header_huge", "huge.npy", "MAX_ENTRIES"),
    ("header_wraps", "huge64.npy", "MAX_ENTRIES"),
    ("header_short", "short.npy", "cannot read"),
    ("pickle_npy", "pickle.npy", "data.X"),
    ("pickle_npz", "pickle.npz:X", "data.X"),
    ("npz_missing_key", "two.npz:W", "no array 'W'"),
    ("npz_no_key", "two.npz", "name one"),
    ("npz_junk", "junk.npz:X", "cannot read"),
    ("npz_huge_member", "hugemember.npz:X", "MAX_ENTRIES"),
    ("strings", "strings.npy", "not numeric"),
    ("complex", "complex.npy", "not numeric"),
    ("five_d", "cube.npy", "at most 4 axes"),
    ("empty_array", "empty_array.npy", "no entries"),
    ("nan", "nan.npy", "nan or inf"),
    ("csv_words", "words.csv", "cannot read"),
    ("csv_ragged", "ragged.csv", "cannot read"),
    ("csv_naninf", "naninf.csv", "nan or inf"),
    ("csv_empty", "empty.csv", "no entries"),
    ("csv_huge", "huge.csv", "MAX_TEXT_BYTES"),                  # refused from its size, before parsing
    ("wrong_suffix", "good.npy.txt2", "data files are"),
    ("dot", ".", "resolves to"),                                 # the folder itself is no data file
]


@pytest.mark.parametrize("entry, words", [p[1:] for p in PATHS], ids=[p[0] for p in PATHS])
def test_data_path_in_a_file(sandbox, entry, words):
    _setup_files(sandbox)
    path = data_file(sandbox / "inner", entry.format(d=sandbox))
    check_everywhere([["minimize"], ["problems", "check"]], path, "error", words)


@pytest.mark.parametrize("entry", ["good.npy", "sub/X.npy", "sub/../good.npy", "ok.csv"])
def test_data_paths_that_are_fine(sandbox, entry):
    _setup_files(sandbox)
    result, took = run("minimize", str(data_file(sandbox / "inner", entry)), "-m", "l-bfgs-b")
    _assert_clean(result, "ok", took, entry)
    assert result.exit_code == 0, result.stderr


# --- everything else in a file: (id, changes to BASE, "error" or "ok", words in the message) -------------------
GEN = {"random": "normal", "shape": [20, 5], "seed": 0}
R = {"_replace": True}
FILE_CASES = [
    # generators
    ("gen_huge", {"data": {"X": {**GEN, "shape": [10**9, 10**9]}}}, "error", "MAX_ENTRIES"),
    ("gen_wraps_int64", {"data": {"X": {**GEN, "shape": [2**32, 2**32]}}}, "error", "MAX_ENTRIES"),
    ("gen_beyond_int64", {"data": {"X": {**GEN, "shape": [10**30]}}}, "error", "MAX_ENTRIES"),
    ("gen_negative", {"data": {"X": {**GEN, "shape": [-20, 5]}}}, "error", "data.X"),
    ("gen_zero", {"data": {"X": {**GEN, "shape": [0, 5]}}}, "error", "data.X"),
    ("gen_float", {"data": {"X": {**GEN, "shape": [20.5, 5]}}}, "error", "data.X"),
    ("gen_string", {"data": {"X": {**GEN, "shape": "20x5"}}}, "error", "data.X"),
    ("gen_nested", {"data": {"X": {**GEN, "shape": [[20], [5]]}}}, "error", "data.X"),
    ("gen_five_d", {"data": {"X": {**GEN, "shape": [2, 2, 2, 2, 2]}}}, "error", "data.X"),
    ("gen_unknown", {"data": {"X": {**GEN, "random": "cauchy"}}}, "error", "data.X"),
    ("gen_code", {"data": {"X": {**GEN, "random": "__import__('os')"}}}, "error", "data.X"),
    ("gen_extra_key", {"data": {"X": {**GEN, "dtype": "object"}}}, "error", "data.X"),
    ("gen_no_seed", {"data": {"X": {"random": "normal", "shape": [20, 5]}}}, "ok", ""),
    ("gen_seed_negative", {"data": {"X": {**GEN, "seed": -1}}}, "error", "seed"),
    ("gen_seed_huge", {"data": {"X": {**GEN, "seed": 2**40}}}, "error", "seed"),
    ("gen_high_huge", {"data": {"y": {"random": "integers", "low": 0, "high": 1e30, "shape": [20]}}}, "error", "high"),
    ("gen_high_inf", {"data": {"y": {"random": "integers", "low": 0, "high": float("inf"), "shape": [20]}}},
     "error", "high"),
    ("gen_low_nan", {"data": {"y": {"random": "integers", "low": float("nan"), "high": 2, "shape": [20]}}},
     "error", "low"),
    ("gen_low_above_high", {"data": {"y": {"random": "integers", "low": 5, "high": 2, "shape": [20]}}},
     "error", "high"),
    ("gen_uniform_overflow", {"data": {"X": {**GEN, "random": "uniform", "low": -1e308, "high": 1e308}}},
     "error", "data.X"),
    ("gen_scale_negative", {"data": {"X": {**GEN, "scale": -1}}}, "error", "scale"),
    ("gen_scale_inf", {"data": {"X": {**GEN, "scale": float("inf")}}}, "error", "data.X"),
    ("data_not_mapping_or_path", {"data": {"X": 5}}, "error", "data.X"),
    ("data_tag", {"data": {"X": "!!python/object/apply:os.system ['touch MARKER']"}}, "error", "data.X"),
    # variables and x0
    ("var_zero", {"variables": {"w": 0}}, "error", "variables.w"),
    ("var_negative", {"variables": {"w": -5}}, "error", "variables.w"),
    ("var_huge", {"variables": {"w": 10**12}}, "error", "MAX_VARIABLES"),
    ("var_huge_matrix", {"variables": {"W": [10**6, 10**6]}}, "error", "MAX_VARIABLES"),
    ("var_float", {"variables": {"w": 5.5}}, "error", "variables.w"),
    ("var_five_d", {"variables": {"w": [5, 1, 1, 1, 1]}}, "error", "variables.w"),
    ("var_dunder", {"variables": {"__class__": 5}}, "error", "variables"),
    ("var_is_data", {"variables": {"X": 5}, "x0": {"X": 0.0}}, "error", "'X' is already"),
    ("var_is_function", {"variables": {"exp": 5, "b": 1}, "objective": "sum(exp(exp)) + b**2",
                         "x0": {**R, "exp": 0.0, "b": 1.0}}, "ok", ""),
    ("var_is_sum", {"variables": {"sum": 5, "b": 1}, "objective": "sum(sum**2) + b**2",
                    "x0": {**R, "sum": 1.0, "b": 1.0}}, "ok", ""),
    ("x0_wrong_length", {"x0": {"w": [1, 2, 3]}}, "error", "x0.w"),
    ("x0_flat_wrong_length", {"x0": [1, 2, 3]}, "error", "x0"),
    ("x0_nan", {"x0": {"w": [1, 2, float("nan"), 4, 5]}}, "error", "x0.w"),
    ("x0_inf", {"x0": {"b": float("inf")}}, "error", "x0.b"),
    ("x0_string", {"x0": {"w": "zeros"}}, "error", "x0.w"),
    ("x0_unknown_var", {"x0": {"v": 1.0}}, "error", "x0"),
    ("x0_ragged", {"x0": {"w": [[1, 2], [3]]}}, "error", "x0.w"),
    ("x0_random_no_seed", {"x0": {"w": {"random": "normal"}}}, "ok", ""),
    ("x0_random_seed_negative", {"x0": {"w": {"random": "normal", "seed": -3}}}, "error", "seed"),
    ("x0_random_seed_huge", {"x0": {"w": {"random": "normal", "seed": 10**20}}}, "error", "seed"),
    ("x0_random_scale_negative", {"x0": {"w": {"random": "normal", "scale": -1}}}, "error", "scale"),
    ("x0_random_unknown", {"x0": {"w": {"random": "cauchy"}}}, "error", "x0.w"),
    # define
    ("define_cycle", {"define": {"p": "q", "r": "p", "q": "p"}, "objective": "sum(w**2) + b**2 + p"},
     "error", "define.p"),
    ("define_self", {"define": {"q": "q + 1"}, "objective": "sum(w**2) + q"}, "error", "define.q"),
    ("define_shadows_variable", {"define": {"w": "X@w"}}, "error", "define.w"),
    ("define_shadows_data", {"define": {"X": "X"}}, "error", "define.X"),
    ("define_dunder", {"define": {"__class__": "w"}}, "error", "define"),
    ("define_payload", {"define": {"z": "__import__('os').system('touch MARKER')"}}, "error", "define.z"),
    ("define_deep_chain", {"define": {f"d{i}": f"sin(d{i - 1})" if i else "X@w + b" for i in range(300)},
                           "objective": "mean(d299**2) + sum(w**2)"}, "ok", ""),
    ("define_doubling", {"define": {"d0": "X@w + X@w", **{f"d{i}": f"d{i - 1} + d{i - 1}" for i in range(1, 61)}},
                         "objective": "mean(softplus(d60 * 1e-18)) + sum(w**2)"}, "ok", ""),
    ("define_doubling_products", {"define": {"d0": "sin(X@w + b)",
                                             **{f"d{i}": f"d{i - 1} * d{i - 1} + d{i - 1}" for i in range(1, 61)}},
                                  "objective": "mean(d60) + sum(w**2)"}, "ok", ""),
    ("define_long", {"define": {"z": " + ".join(["X@w"] * 5000) + " + b"}}, "ok", ""),
    # expressions
    ("shape_mismatch", {"objective": "mean(X + y) + sum(w**2)"}, "error", "(20, 5) and (20,)"),
    ("matmul_mismatch", {"objective": "sum(w@X) + b"}, "error", "(5,) @ (20, 5)"),
    ("scalar_matmul", {"objective": "sum(b@X)"}, "error", "@"),
    ("matmul_broadcast_bomb", {"data": {"c": {**GEN, "shape": [60000, 1]}, "d": {**GEN, "shape": [60000]}},
                               "objective": "sum(c*d) + sum(w**2) + b**2"}, "error", "MAX_ENTRIES"),
    ("broadcast_bomb_variables", {"data": {"c": {**GEN, "shape": [60000, 1]}}, "variables": {"w": 60000, "b": 1},
                                  "define": {"z": "c*w", "_replace": True}, "objective": "sum(z) + b**2"},
     "error", "MAX_ENTRIES"),
    ("product_cost", {"data": {"X": {**GEN, "shape": [3000, 3000]}}, "variables": {"w": 3000, "b": 1},
                      "define": {"z": "X@X@X@X@w", "_replace": True}}, "error", "MAX_PRODUCT_COST"),
    # products on variables, refused from the compiled f and ∇f: 6 products of 2e9 multiply-adds, 6 more in ∇f
    ("product_cost_per_evaluation", {"data": {"X": {**GEN, "shape": [2000, 2000]}},
                                     "variables": {"W": [2000, 500], "_replace": True},
                                     "define": {"d": "X@W", "_replace": True},
                                     "x0": {"W": 0.0, "_replace": True},
                                     "objective": "sum(d**2) + " + " + ".join(f"sum({fn}(X@({k}*W)))" for k, fn in
                                                                          enumerate(("sin", "cos", "tanh", "sinh",
                                                                                     "softplus"), 2))},
     "error", "per evaluation"),
    ("objective_not_scalar", {"objective": "X@w + b"}, "error", "sum(...)"),
    ("payload_import", {"objective": "__import__('os').system('touch MARKER')"}, "error", "objective"),
    ("payload_attribute", {"objective": "sum(X.T @ w)"}, "error", "objective"),
    ("payload_lambda", {"objective": "(lambda: 0)()"}, "error", "objective"),
    ("payload_subscript", {"objective": "sum(w**2) + X[0][b]"}, "error", "whole number"),
    ("payload_dunder_name", {"objective": "sum(w**2) + __builtins__"}, "error", "objective"),
    ("huge_exponent", {"objective": "sum(w**100000)"}, "error", "MAX_EXPONENT"),
    ("huge_folded_exponent", {"objective": "sum(w**(2**1000))"}, "error", "MAX_EXPONENT"),
    ("data_exponent_overflow", {"objective": "sum(X**999) + sum(w**2)"}, "error", "inf or nan"),
    ("divide_by_zero", {"objective": "sum(w/0) + b**2"}, "error", "division by zero"),
    ("divide_by_zero_data", {"objective": "sum(w**2) + mean(b/(y - y))"}, "error", "division by zero"),
    ("log_zero", {"objective": "sum(w**2) + log(0)"}, "error", "inf or nan"),
    ("coefficient_overflow", {"objective": "sum((1e300 * w) * 1e300) + b**2"}, "error", "overflows"),
    ("constant_objective", {"objective": "sum(X)"}, "error", "nothing to minimize"),
    ("variable_cancels", {"objective": "sum(X) + b - b"}, "error", "nothing to minimize"),
    ("logsumexp_scalar", {"objective": "logsumexp(b) + b**2 + sum(w**2)"}, "ok", ""),
    ("literal_too_long", {"objective": "sum(w**2) * " + "9" * 40}, "error", "objective"),
    ("keyword_argument", {"objective": "sum(w**2, keepdims=1)"}, "error", "sum()"),
    ("indexed_sum", {"objective": "sum(w, i, 0, 4)"}, "error", "sum(A)"),
    ("unknown_function", {"objective": "sum(softmax(w))"}, "error", "softmax"),
    ("function_as_name", {"objective": "sum(w**2) + sigmoid"}, "error", "sigmoid"),
    ("deep_nesting", {"objective": "sum(" + "sin(" * 150 + "w" + ")" * 150 + ")"}, "error", "MAX_DEPTH"),
    # array problems do not take scalar-only keys
    ("bounds_shape", {"bounds": {"b": [[0, 1], 1]}}, "error", "bounds.b"),
    ("variables_list", {"variables": ["w", "b"]}, "error", "variables"),
]


@pytest.mark.parametrize("changes, expected, words", [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_array_problem_file(sandbox, changes, expected, words):
    path = write(sandbox, doc(**changes))
    check_everywhere([["minimize"], ["checkgrad"], ["problems", "check"]], path, expected, words)


def test_define_doubling_stays_linear_and_exact(sandbox):
    """60 levels of d_k = d_{k-1} + d_{k-1} is 2**60 copies if expanded: one shared node each, and ∇f exact."""
    from gradcli.problem.file import load_problem
    from gradcli.arrays.objective import ArrayObjective

    d = doc(define={"d0": "X@w + b", **{f"d{i}": f"d{i - 1} + d{i - 1}" for i in range(1, 61)}},
            objective="mean(d60) * 2.0**-60 + sum(w**2)")
    problem = load_problem(write(sandbox, d))
    obj = ArrayObjective(problem)
    assert len(obj.source.splitlines()) < 200
    x = np.arange(6.0)
    X = problem.data["X"]
    assert abs(obj.fun(x) - (np.mean(X @ x[:5] + x[5]) + x[:5] @ x[:5])) < 1e-9
    assert np.allclose(obj.grad(x), np.r_[X.mean(0) + 2 * x[:5], 1.0])


# --- the command line: --data, --var, --save-x --------------------------------------------------------------------
def test_data_on_the_command_line(sandbox):
    _setup_files(sandbox)
    path = write(sandbox, doc())
    os.symlink("/dev/urandom", sandbox / "urandom.npy")
    cases = [
        (["--data", "X=../../../../../../etc/passwd"], "data files are"),     # the user's own path: read or refused
        (["--data", "X=/etc/passwd"], "data files are"),
        (["--data", f"X={sandbox / 'inner' / 'text.npy'}"], "cannot read"),
        (["--data", "X=/dev/zero"], "--data X: '/dev/zero': data files are"),
        (["--data", "X=urandom.npy"], "--data X: 'urandom.npy': not a regular file"),
        (["--data", f"X={sandbox / 'inner' / 'fifo.npy'}"], "not a regular file"),
        (["--data", f"X={sandbox / 'inner' / 'pickle.npy'}"], "--data X"),
        (["--data", f"X={sandbox / 'inner' / 'huge.npy'}"], "MAX_ENTRIES"),
        (["--data", "Q=inner/good.npy"], "no data named Q"),
        (["--data", "X"], "NAME=VALUE"),
        (["--data", "X=missing.npy"], "no such file"),
        (["--data", f"y={sandbox / 'inner' / 'good.npy'}"], "(20, 5) and (20,)"),   # right file, wrong shape
        (["--var", "w=5"], "--var"),
    ]
    for extra, words in cases:
        result, took = run("minimize", str(path), *extra)
        _assert_clean(result, "error", took, extra)
        assert words in result.stderr, (extra, result.stderr)
    # outside the folder is fine when the user typed it
    result, took = run("minimize", str(path), "--data", f"X={sandbox / 'outside.npy'}", "-m", "l-bfgs-b")
    _assert_clean(result, "ok", took, "outside.npy")
    assert result.exit_code == 0


VAR_CASES = [
    (["--var", "w=-1"], "w"), (["--var", "w=0"], "w"), (["--var", "w=abc"], "whole number"),
    (["--var", "w=1e3"], "whole number"), (["--var", "w=1000000000000"], "MAX_VARIABLES"),
    (["--var", "w=5x5x5x5x5"], "w"), (["--var", "w=5x"], "whole number"), (["--var", "=5"], "NAME=VALUE"),
    (["--var", "__class__=5"], "__class__"), (["--var", "w=5", "--var", "w=6"], "given twice"),
    (["--var", "w=5", "--x0", "nan"], "x0"), (["--var", "w=5", "--x0", "1,2"], "x0"),
    (["--var", "w=5", "--data", "X=inner/good.npy"], "(5,) @ (20, 5)"),      # both shapes named
]


@pytest.mark.parametrize("extra, words", VAR_CASES, ids=[f"var{i}" for i in range(len(VAR_CASES))])
def test_var_on_the_command_line(sandbox, extra, words):
    _setup_files(sandbox)
    args = ["minimize", "sum(w@X) + sum(w**2)" if "--data" in extra else "sum(w**2)", *extra]
    if "--x0" not in extra:
        args += ["--x0", "1"]
    result, took = run(*args)
    _assert_clean(result, "error", took, extra)
    assert words in result.stderr, (extra, result.stderr)


def test_save_x_never_overwrites_or_writes_elsewhere(sandbox):
    path = write(sandbox, doc())
    (sandbox / "x.npy").write_text("precious")
    (sandbox / "adir.npy").mkdir()
    cases = [("x.npy", "--force"), ("nofolder/x.npy", "does not exist"), ("adir.npy", "directory"),
             ("x.pkl", ".npy, .json, .csv or .png"), ("", ".npy, .json, .csv or .png")]
    for target, words in cases:
        result, took = run("minimize", str(path), "-m", "l-bfgs-b", "--save-x", target)
        _assert_clean(result, "error", took, target)
        assert words in result.stderr, (target, result.stderr)
    assert (sandbox / "x.npy").read_text() == "precious"
    assert not (sandbox / "nofolder").exists() and not list((sandbox / "adir.npy").iterdir())
    result, _ = run("minimize", str(path), "-m", "l-bfgs-b", "--save-x", "x.npy", "--force")
    assert result.exit_code == 0 and np.load(sandbox / "x.npy").shape == (6,)
    assert [p.name for p in sandbox.iterdir() if p.name.startswith(".")] == []        # no temporary files left


def test_compare_with_hostile_array_files(sandbox):
    _setup_files(sandbox)
    folder = sandbox / "inner"
    write(folder, doc(data={"X": "../outside.npy"}), "a.yaml")
    write(folder, doc(data={"X": "pickle.npy"}), "b.yaml")
    for name in ("a.yaml", "b.yaml"):
        result, took = run("compare", str(folder / name), "-m", "l-bfgs-b")
        _assert_clean(result, "error", took, name)
        assert name in result.stderr


# --- a few real processes: no hang on a FIFO or /dev/zero, no memory blow-up, exit 2 within 5 s -----------------
SUBPROCESS = [
    ("fifo", ["minimize", "inner/fifo_p.yaml"]),
    ("dev_zero", ["minimize", "inner/p.yaml", "--data", "X=/dev/zero"]),
    ("header_huge", ["minimize", "inner/huge_p.yaml"]),
    ("broadcast_bomb", ["minimize", "bomb.yaml"]),
    ("pickle", ["checkgrad", "inner/pickle_p.yaml"]),
]


@pytest.mark.parametrize("args", [s[1] for s in SUBPROCESS], ids=[s[0] for s in SUBPROCESS])
def test_real_process(tmp_path, args):
    _setup_files(tmp_path)
    write(tmp_path / "inner", doc())
    for name in ("fifo", "huge", "pickle"):
        write(tmp_path / "inner", doc(data={"X": f"{name}.npy"}), f"{name}_p.yaml")
    write(tmp_path, doc(data={"c": {**GEN, "shape": [60000, 1]}, "d": {**GEN, "shape": [60000]}},
                        objective="sum(c*d) + sum(w**2) + b**2"), "bomb.yaml")
    assert_clean_process(tmp_path, args)


def test_no_payload_in_this_file_ran():
    assert not (ROOT / MARK).exists() and not Path(MARK).exists()
    assert pickle.dumps(Payload())          # the payload is real: it would run if anything unpickled it
