"""Hostile and careless input on the newer surfaces (issue 23, and issue 16 items 2, 3, 6, 7, 9, 11): results
files, output files, data archives, scheduler addresses, numeric options, values given twice, encodings.

Every case goes through the real CLI (CliRunner, catch_exceptions=False: any exception fails it) in a folder of
the user's files; a representative subset runs again as real processes, each under its own time (15 s) and
address-space limit. Each case must end in a clean error (exit 2, a first line starting 'gradcli:' or click's
usage error, at most 600 characters) or a result; no traceback; and no file the user had may change (checked
byte for byte) unless the case passes --force.
"""

from __future__ import annotations

import io
import json
import os
import resource
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradcli.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 15.0
MEMORY = 2 << 30          # address space of a real process: 2 GiB (peak RSS is checked against 1 GB)
HEADER = '{"gradcli": "results", "version": 1}\n'
BOWL = 'name: bowl\nobjective: "(x1-1)**2"\nx0: [3.0]\nsolution: {f: 0.0}\n'
FIT = 'name: fit\nobjective: "sum((a - y)**2)"\nvariables: {a: 1}\ndata: {y: t.csv}\nx0: {a: 0}\n'
DEEP = "-" * 100_000 + "x"


def _npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _lying_header(shape) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def user_files(folder: Path) -> None:
    """What a user's folder holds: problems, data, notes, configs; none of it may change."""
    (folder / "b.yaml").write_text(BOWL)
    (folder / "fit.yaml").write_text(FIT)
    (folder / "t.csv").write_text("1\n2\n3\n")
    (folder / "bom.csv").write_bytes(b"\xef\xbb\xbf1\n2\n3\n")
    (folder / "bomcrlf.csv").write_bytes(b"\xef\xbb\xbf1\r\n2\r\n3\r\n")
    (folder / "nan.csv").write_text("1\nnan\n3\n")
    (folder / "empty.csv").write_text("")
    (folder / "latin1.csv").write_bytes(b"\xe91\n2\n")
    (folder / "notes.txt").write_text('{"my": "important config"}')
    (folder / "notes2.txt").write_text("line one\nline two\n")
    (folder / "config.json").write_text('{"a": 1}\n{"b": 2}\n')
    (folder / "empty_obj.jsonl").write_text("{}\n")
    (folder / "keyonly.jsonl").write_text('{"run_key": "x"}\n')
    (folder / "v2.jsonl").write_text('{"gradcli": "results", "version": 2}\n')
    (folder / "utf16.jsonl").write_bytes("hello\n".encode("utf-16"))
    (folder / "binary.jsonl").write_bytes(bytes(range(256)) * 4)
    (folder / "longline.jsonl").write_text("a" * 1_000_000)
    (folder / "data.csv").write_text("x,y\n1,2\n")
    (folder / "notadir.txt").write_text("a file, not a folder")
    (folder / "sx.json").write_text("precious")
    (folder / "out.json").write_text("precious")
    (folder / "plain").write_text("not a problem file")
    (folder / "problems").mkdir()
    (folder / "problems" / "rosenbrock.yaml").write_text(
        'name: rosenbrock\nobjective: "100*(x2-x1**2)**2 + (1-x1)**2"\nx0: [-1.2, 1]\n')
    (folder / "inf.yaml").write_text('name: inf\nobjective: "(x1-1)**2"\nx0: [.inf]\n')
    (folder / "nanstart.yaml").write_text('name: nanstart\nobjective: "(x1-1)**2"\nstarts: [[.nan]]\n')
    (folder / "deep.yaml").write_text(f'name: deep\nobjective: "{DEEP}"\nx0: [1]\n')
    (folder / "deepcon.yaml").write_text(f'name: deepcon\nobjective: "x**2"\nx0: [1]\nconstraints: ["{DEEP} <= 1"]\n')
    (folder / "parens.yaml").write_text('name: parens\nobjective: "' + "(" * 50_000 + "x" + ")" * 50_000
                                        + '"\nx0: [1]\n')
    head = _npy(np.arange(3.0))
    with zipfile.ZipFile(folder / "twin.npz", "w") as z:
        z.writestr("y", head)
        z.writestr("y.npy", head)
    with zipfile.ZipFile(folder / "many.npz", "w") as z:
        for i in range(3000):
            z.writestr(f"member_with_a_rather_long_name_{i}.npy", head)
    with zipfile.ZipFile(folder / "liar.npz", "w") as z:
        z.writestr("y.npy", _lying_header((10**6, 10**6)) + b"\0" * 64)
    with zipfile.ZipFile(folder / "short.npz", "w") as z:
        z.writestr("y.npy", _lying_header((1000,)) + b"\0" * 64)
    np.savez(folder / "two.npz", a=np.arange(3.0), b=np.arange(4.0))
    np.savez(folder / "fortran.npz", a=np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    (folder / "gen2.yaml").write_text(
        'name: gen2\nobjective: "sum(c) + sum(d) + a**2"\nvariables: {a: 1}\nx0: {a: 0}\n'
        'data: {c: {random: normal, shape: [30000000], seed: 0}, d: {random: normal, shape: [30000000], seed: 1}}\n')


def bomb(folder: Path) -> None:
    """A .npz whose member declares 3 numbers and unpacks to 200 MB: only the declared bytes may be read."""
    with zipfile.ZipFile(folder / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("y.npy", "w") as m:
            m.write(_npy(np.arange(3.0)))
            zeros = b"\0" * (1 << 20)
            for _ in range(200):
                m.write(zeros)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if stat.S_ISREG(p.lstat().st_mode)}


@pytest.fixture
def box(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    user_files(tmp_path)
    return tmp_path


def run(*args, env=None):
    t = time.perf_counter()
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return result, time.perf_counter() - t


def clean(result, took: float, expected: str, words: str = "", what=None) -> None:
    out, err = result.stdout, result.stderr
    assert "Traceback" not in out + err, (what, err[-800:])
    assert took < SECONDS, (what, took)
    if expected == "error":
        assert result.exit_code == 2, (what, result.exit_code, err[-400:], out[-300:])
        lines = [x for x in err.splitlines() if x.strip()]
        assert lines and lines[0].startswith(("gradcli: ", "Usage: ")), (what, err[:400])
        said = [x for x in lines if not x.startswith(("Usage:", "Try "))]
        assert all(len(x) <= 600 for x in said), (what, max(map(len, said)))
        assert words.lower() in err.lower(), (what, words, err[-400:])
    else:
        assert result.exit_code in (0, 1), (what, result.exit_code, err[-400:])
        assert words.lower() in (out + err).lower(), (what, words, (out + err)[-400:])


Q = ["-q"]
M = ["minimize", "(x-1)**2 + (y+1)**2", "--x0", "0,0"]
BFGS = ["-m", "bfgs"]
ARR = ["minimize", "sum((a - y)**2)", "--var", "a=1", "--x0", "0", "-m", "bfgs"]
CMP = ["compare", "b.yaml", "-m", "bfgs", "-q"]
SCHED = ["localhost:8786", " ", "local:99999", "local:0", "local:-1", "local:x", "local:", "ftp://x", "tcp://",
         "tcp://127.0.0.1:notaport", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:0", "tls://127.0.0.1:8786",
         "inproc://x", "ucx://x", "tcp://a b:1", "tcp://x/y:1", "8786", "", "tcp://[::1", "local:1e3"]

# (id, args, expected, words in the message): every one refused or answered, nothing dropped
CASES = [
    # --- numbers and counts without bounds (class 7) ---
    ("starts-1e9", [*M, *BFGS, "--starts", "1000000000"], "error", "--starts"),
    ("starts-0", [*M, *BFGS, "--starts", "0"], "error", "--starts"),
    ("starts-neg", [*M, *BFGS, "--starts", "-1"], "error", "--starts"),
    ("cmp-starts-1e9", [*CMP, "--starts", "1000000000"], "error", "--starts"),
    ("jobs-1000", [*CMP, "--jobs", "1000"], "error", "--jobs"),
    ("jobs-0", [*CMP, "--jobs", "0"], "error", "--jobs"),
    ("seed-neg-min", [*M, "-m", "differential-evolution", "--bounds", "x=-2:2", "--bounds", "y=-2:2", "--seed", "-1"],
     "error", "--seed"),
    ("seed-neg-starts", [*M, *BFGS, "--starts", "2", "--seed", "-1"], "error", "--seed"),
    ("seed-2**32", [*M, *BFGS, "--seed", str(2**32)], "error", "--seed"),
    ("seed-neg-cmp", [*CMP, "--seed", "-1"], "error", "--seed"),
    ("seed-neg-checkgrad", ["checkgrad", "x**2", "--at", "1", "--points", "2", "--seed", "-1"], "error", "--seed"),
    ("stationary-timeout-inf", ["stationary", "x**2", "--timeout", "inf"], "error", "--timeout"),
    ("stationary-timeout-nan", ["stationary", "x**2", "--timeout", "nan"], "error", "--timeout"),
    ("stationary-timeout-neg", ["stationary", "x**2", "--timeout", "-1"], "error", "--timeout"),
    ("exact-timeout-1e308", [*M, *BFGS, "--exact", "--exact-timeout", "1e308"], "error", "--exact-timeout"),
    ("exact-timeout-nan", [*M, *BFGS, "--exact", "--exact-timeout", "nan"], "error", "--exact-timeout"),
    ("maxiter-0", [*M, *BFGS, "--maxiter", "0"], "error", "--maxiter"),
    ("maxiter-1e10", [*M, *BFGS, "--maxiter", "10000000000"], "error", "--maxiter"),
    ("tol-nan", [*M, *BFGS, "--tol", "nan"], "error", "--tol"),
    ("tol-inf", [*M, *BFGS, "--tol", "inf"], "error", "--tol"),
    ("tol-neg", [*M, *BFGS, "--tol", "-1"], "error", "--tol"),
    ("lr-nan", [*M, "-m", "gd", "--lr", "nan"], "error", "--lr"),
    ("lr-zero", [*M, "-m", "gd", "--lr", "0"], "error", "--lr"),
    ("beta-1", [*M, "-m", "momentum", "--beta", "1"], "error", "--beta"),
    ("beta1-neg", [*M, "-m", "adam", "--beta1", "-0.1"], "error", "--beta1"),
    ("eps-0", [*M, "-m", "adam", "--eps", "0"], "error", "--eps"),
    ("gtol-inf", [*M, *BFGS, "--gtol", "inf"], "error", "--gtol"),
    ("xtol-neg", [*M, "-m", "gd", "--xtol", "-1"], "error", "--xtol"),
    ("cmp-timeout-inf", [*CMP, "--timeout", "inf"], "error", "--timeout"),
    ("cmp-timeout-nan", [*CMP, "--timeout", "nan"], "error", "--timeout"),
    ("cmp-timeout-0", [*CMP, "--timeout", "0"], "error", "--timeout"),
    ("cmp-tau-nan", [*CMP, "--tau", "nan"], "error", "--tau"),
    ("cmp-tau-1", [*CMP, "--tau", "1"], "error", "--tau"),
    ("cmp-tol-nan", [*CMP, "--tol", "nan"], "error", "--tol"),
    ("cmp-method-tol-neg", [*CMP, "--method-tol", "-1"], "error", "--method-tol"),
    ("cmp-maxiter-0", [*CMP, "--maxiter", "0"], "error", "--maxiter"),
    ("checkgrad-points-1e6", ["checkgrad", "x**2", "--at", "1", "--points", "1000000"], "error", "--points"),
    ("checkgrad-rtol-nan", ["checkgrad", "x**2", "--at", "1", "--rtol", "nan"], "error", "--rtol"),
    ("checkgrad-atol-neg", ["checkgrad", "x**2", "--at", "1", "--atol", "-1"], "error", "--atol"),
    ("dim-0", ["grad", "sum(x[i]**2, i, 0, n-1)", "--dim", "0"], "error", "--dim"),
    ("dim-1e9", ["grad", "sum(x[i]**2, i, 0, n-1)", "--dim", "1000000000"], "error", "--dim"),
    ("x0-inf", [*M[:3], "inf,0", *BFGS], "error", "finite"),
    ("x0-nan", [*M[:3], "nan,0", *BFGS], "error", "finite"),
    ("x0-1e400", [*M[:3], "1e400,0", *BFGS], "error", "finite"),
    ("x0-named-inf", [*M[:3], "x=inf,y=0", *BFGS], "error", "finite"),
    ("x0-array-inf", [*ARR, "--data", "y=t.csv", "--x0", "inf"], "error", "finite"),
    ("file-x0-inf", ["minimize", "inf.yaml", *BFGS], "error", "finite"),
    ("file-starts-nan", ["minimize", "nanstart.yaml", *BFGS], "error", "finite"),
    ("at-inf", ["checkgrad", "x**2", "--at", "inf"], "error", "finite"),
    ("grad-at-nan", ["grad", "x**2", "--at", "nan"], "error", "finite"),
    ("bounds-inf-ok", [*M, "-m", "l-bfgs-b", "--bounds", "x=0:"], "ok", ""),
    # --- values silently dropped or overridden (class 8; issue 16 items 2, 3) ---
    ("x0-space", ["minimize", "(x-3)**2", "--x0", "1 2", *BFGS], "error", "space"),
    ("x0-thousands", ["minimize", "(x-3)**2", "--x0", "1 000", *BFGS], "error", "space"),
    ("x0-tab", ["minimize", "(x-3)**2", "--x0", "1\t2", *BFGS], "error", "space"),
    ("x0-spaces-around-commas-ok", [*M[:3], " 0 , 0 ", *BFGS], "ok", ""),
    ("x0-empty-item", [*M[:3], "1,,2", *BFGS], "error", "not a number"),
    ("x0-twice", [*M[:3], "x=1,x=2", *BFGS], "error", "twice"),
    ("x0-name-two-values", [*M[:3], "x=1 2,y=0", *BFGS], "error", "space"),
    ("at-space", ["grad", "x**2+y", "--at", "1 2"], "error", "space"),
    ("at-twice", ["grad", "x**2+y", "--at", "x=1,x=2"], "error", "twice"),
    ("param-two-values", ["minimize", "(x-a)**2", "--param", "a=3,5", "--x0", "0", *BFGS], "error", "2 numbers"),
    ("param-space", ["minimize", "(x-a)**2", "--param", "a=3 5", "--x0", "0", *BFGS], "error", "space"),
    ("param-twice", ["minimize", "(x-a)**2", "--param", "a=3", "--param", "a=5", "--x0", "0", *BFGS], "error",
     "twice"),
    ("param-unused", ["minimize", "(x-a)**2", "--param", "a=3", "--param", "b=1", "--x0", "0", *BFGS], "error",
     "no expression uses 'b'"),
    ("param-unused-grad", ["grad", "x**2", "--param", "a=1"], "error", "no expression uses"),
    ("param-unused-checkgrad", ["checkgrad", "x**2", "--at", "1", "--param", "a=1"], "error", "no expression uses"),
    ("param-unused-stationary", ["stationary", "x**2", "--param", "a=1"], "error", "no expression uses"),
    ("param-unused-file", ["minimize", "b.yaml", "--param", "a=1", *BFGS], "error", "no expression uses"),
    ("param-in-constraint-ok", ["minimize", "x**2+y**2", "--x0", "1,1", "--constraint", "x + y >= c", "--param",
                                "c=1", "-m", "slsqp"], "ok", ""),
    ("bounds-two-lows", [*M, "-m", "l-bfgs-b", "--bounds", "x=1,2:3"], "error", "2 numbers"),
    ("bounds-two-highs", [*M, "-m", "l-bfgs-b", "--bounds", "x=0:1,9"], "error", "2 numbers"),
    ("bounds-twice", [*M, "-m", "l-bfgs-b", "--bounds", "x=0:1", "--bounds", "x=0:2"], "error", "twice"),
    ("bounds-space", [*M, "-m", "l-bfgs-b", "--bounds", "x=0:1 5"], "error", "space"),
    ("data-twice", [*ARR, "--data", "y=t.csv", "--data", "y=bom.csv"], "error", "twice"),
    ("var-twice", ["minimize", "sum((a - y)**2)", "--var", "a=1", "--var", "a=2", "--data", "y=t.csv", "--x0", "0"],
     "error", "twice"),
    # --- data files and archives (classes 5, 9) ---
    ("csv-bom", [*ARR, "--data", "y=bom.csv"], "ok", ""),
    ("csv-bom-crlf", [*ARR, "--data", "y=bomcrlf.csv"], "ok", ""),
    ("csv-nan", [*ARR, "--data", "y=nan.csv"], "error", "nan"),
    ("csv-empty", [*ARR, "--data", "y=empty.csv"], "error", "no entries"),
    ("csv-latin1", [*ARR, "--data", "y=latin1.csv"], "error", "cannot read"),
    ("csv-header-row", [*ARR, "--data", "y=data.csv"], "error", "cannot read"),
    ("npz-twin", [*ARR, "--data", "y=twin.npz:y"], "error", "two members"),
    ("npz-many", [*ARR, "--data", "y=many.npz"], "error", "2995 more"),
    ("npz-liar", [*ARR, "--data", "y=liar.npz"], "error", "MAX_ENTRIES"),
    ("npz-short", [*ARR, "--data", "y=short.npz"], "error", "truncated"),
    ("npz-no-key", [*ARR, "--data", "y=two.npz"], "error", "name one"),
    ("npz-missing-key", [*ARR, "--data", "y=two.npz:c"], "error", "no array 'c'"),
    ("npz-key-ok", [*ARR, "--data", "y=two.npz:b"], "ok", ""),
    ("npz-fortran-ok", [*ARR, "--data", "y=fortran.npz:a"], "ok", ""),
    ("data-total-limit", ["minimize", "gen2.yaml", *BFGS], "error", "MAX_TOTAL_ENTRIES"),
    ("data-dir", [*ARR, "--data", "y=problems"], "error", "data files are"),
    ("data-devzero", [*ARR, "--data", "y=/dev/zero.csv"], "error", "no such file"),
    # --- leading minus, paths, deep expressions (issue 16 items 7, 9, 11) ---
    ("minus-expr", ["minimize", "-(x-1)**2+x**4", "--x0", "1", *BFGS], "ok", "minimum"),
    ("minus-chapra", ["minimize", "-(2*x1*x2 + 2*x1 - x1**2 - 2*x2**2)", "--x0", "-1,1", "-m", "slsqp"], "ok",
     "minimum"),
    ("minus-after-options", ["minimize", "-m", "bfgs", "--x0", "1", "-(x-1)**2+x**4"], "ok", "minimum"),
    ("minus-attached-option", ["minimize", "-mbfgs", "-(x-1)**2+x**4", "--x0=1"], "ok", "minimum"),
    ("minus-after-dashdash", ["minimize", "--", "-(x-1)**2+x**4", "--x0", "1", *BFGS], "ok", "minimum"),
    ("minus-grad", ["grad", "-x**2*y"], "ok", "-2"),
    ("minus-stationary", ["stationary", "-x**2+x**4"], "ok", "minimum"),
    ("minus-checkgrad", ["checkgrad", "-x**2", "--at", "1"], "ok", "OK"),
    ("minus-syntax-error", ["minimize", "-x**2+", "--x0", "1"], "error", "column"),
    ("minus-help-still-help", ["minimize", "-h"], "ok", "Usage"),
    ("option-typo-still-typo", ["minimize", "--xo", "1", "x**2"], "error", "no such option"),
    ("path-missing", ["minimize", "problems/rosenbrok", "--x0", "1,1"], "error", "no such file"),
    ("path-missing-dir", ["minimize", "problems_missing/rosenbrock", "--x0", "1"], "error", "no such file"),
    ("path-no-ext", ["minimize", "problems/rosenbrock", "--x0", "1"], "error", "did you mean"),
    ("path-dir", ["minimize", "problems", "--x0", "1"], "error", "is a directory"),
    ("path-dir-slash", ["minimize", "problems/", "--x0", "1"], "error", "is a directory"),
    ("path-plain-file", ["minimize", "plain", "--x0", "1"], "error", "not a problem file"),
    ("path-dot", ["minimize", "./rosenbrock", "--x0", "1"], "error", "no such file"),
    ("path-stationary", ["stationary", "problems/rosenbrock"], "error", "no such file"),
    ("path-grad", ["grad", "problems/rosenbrock"], "error", "no such file"),
    ("path-yaml-missing", ["minimize", "problems/nothere.yaml"], "error", "no such file"),
    ("quotient-ok", ["grad", "x/y"], "ok", ""),
    ("quotient-spaced-ok", ["grad", "mass / volume"], "ok", ""),
    ("quotient-number-ok", ["grad", "1.5/x"], "ok", ""),
    ("deep-minus-file", ["minimize", "deep.yaml", *BFGS], "error", "nested"),
    ("deep-minus-constraint-file", ["minimize", "deepcon.yaml", "-m", "slsqp"], "error", "nested"),
    ("deep-parens-file", ["minimize", "parens.yaml", *BFGS], "error", "parens.yaml"),
    ("deep-minus-arg", ["grad", "--", "-" * 60_000 + "x"], "error", "nested"),
    # --- output paths (class 4; issue 16 item 6) ---
    ("json-parent-file", [*CMP, "--json", "notadir.txt/out.json"], "error", "not a folder"),
    ("json-proc", [*CMP, "--json", "/proc/self/nothere/out.json"], "error", "does not exist"),
    ("json-long-name", [*CMP, "--json", "a" * 300 + ".json"], "error", "name"),
    ("json-exists", [*CMP, "--json", "out.json"], "error", "--force"),
    ("json-dir", [*CMP, "--json", "problems"], "error", "directory"),
    ("csv-parent-file", [*CMP, "--csv", "notadir.txt/o.csv"], "error", "not a folder"),
    ("plot-parent-missing", [*CMP, "--plot", "nothere/p.png"], "error", "does not exist"),
    ("savex-exists", [*M, *BFGS, "--save-x", "sx.json"], "error", "--force"),
    ("savex-parent-file", [*M, *BFGS, "--save-x", "notadir.txt/x.json"], "error", "not a folder"),
    ("savex-long", [*M, *BFGS, "--save-x", "b" * 300 + ".json"], "error", "name"),
    ("savex-dir", [*M, *BFGS, "--save-x", "problems"], "error", ".npy, .json, .csv or .png"),
    ("savex-device", [*M, *BFGS, "--save-x", "/dev/null"], "error", ".npy, .json, .csv or .png"),
    ("savex-empty", [*M, *BFGS, "--save-x", ""], "error", ".npy, .json, .csv or .png"),
    # --- results files that are not ours, or not files (classes 1, 2) ---
    *[(f"results-not-ours-{name}", [*CMP, "--results", name], "error", "not a gradcli results file")
      for name in ("notes.txt", "notes2.txt", "config.json", "empty_obj.jsonl", "keyonly.jsonl", "v2.jsonl",
                   "utf16.jsonl", "binary.jsonl", "longline.jsonl", "b.yaml", "t.csv")],
    ("results-devnull", [*CMP, "--results", "/dev/null"], "error", "not a regular file"),
    ("results-devzero", [*CMP, "--results", "/dev/zero"], "error", "not a regular file"),
    ("results-dir", [*CMP, "--results", "problems"], "error", "directory"),
    ("results-missing-folder", [*CMP, "--results", "nothere/r.jsonl"], "error", "does not exist"),
    ("results-parent-file", [*CMP, "--results", "notadir.txt/r.jsonl"], "error", "does not exist"),
    ("results-long-name", [*CMP, "--results", "r" * 300 + ".jsonl"], "error", "cannot open"),
    # --- scheduler addresses (class 6) ---
    *[(f"scheduler-{i}", [*CMP, "--scheduler", s], "error", "--scheduler") for i, s in enumerate(SCHED)],
    *[(f"empty-{o}", [*CMP, o, ""], "error", "empty") for o in ("--json", "--csv", "--results", "--plot",
                                                                 "--plot-convergence")],
]


@pytest.mark.parametrize("name, args, expected, words", CASES, ids=[c[0] for c in CASES])
def test_case(box, name, args, expected, words):
    if name == "results-devzero" or name == "results-devnull":
        assert not stat.S_ISREG(os.stat(args[-1]).st_mode)
    before = snapshot(box)
    result, took = run(*args)
    clean(result, took, expected, words, name)
    after = snapshot(box)
    changed = sorted(k for k in before if after.get(k) != before[k])
    assert not changed, (name, changed)                # no file of the user's changed (no case passes --force)


def test_corpus_is_large_enough():
    assert len(CASES) + len(RESULTS_CASES) + len(PROCESS) >= 120


# --- results files that are ours: appended to, never cut except a torn last line ----------------------------
def _record(key: str, **change) -> str:
    rec = {"run_key": key, "method": "BFGS", "problem": "bowl", "start": 0, "seed": 1, "x": [1.0], "fun": 0.0,
           "grad_norm": 0.0, "nit": 1, "nfev": 2, "njev": 2, "nhev": 0, "time": 0.1, "success": True,
           "status": "converged", "message": "", "f_star": 0.0, "solved": True}
    rec.update(change)
    return json.dumps(rec)


RESULTS_CASES = [
    ("header-only", HEADER, "", False),
    ("legacy-valid", _record("old") + "\n", "", False),
    ("missing-fields", HEADER + '{"run_key": "k"}\n', "not valid results records", False),
    ("wrong-types", HEADER + _record("k", nfev="many") + "\n", "'nfev'", False),
    ("list-key", HEADER + _record("k").replace('"run_key": "k"', '"run_key": ["k"]') + "\n", "'run_key'", False),
    ("bool-start", HEADER + _record("k", start=True) + "\n", "'start'", False),
    ("nan-fun", HEADER + _record("k").replace('"fun": 0.0', '"fun": NaN') + "\n", "'fun'", False),
    ("deep-brackets", HEADER + "[" * 100_000 + "\n", "not JSON", False),
    ("not-json", HEADER + "hello\n", "not JSON", False),
    ("array-line", HEADER + "[1, 2]\n", "JSON list", False),
    ("bad-history", HEADER + _record("k", history=[[1, "a"]]) + "\n", "'history'", False),
    ("torn", HEADER + _record("a") + "\n" + '{"run_key": "b", "fu', "", True),
]


@pytest.mark.parametrize("name, text, note, torn", RESULTS_CASES, ids=[c[0] for c in RESULTS_CASES])
def test_results_file_of_ours(box, name, text, note, torn):
    """A results file of ours is appended to (bad lines are run again and said once); only a torn tail is cut."""
    path = box / "r.jsonl"
    path.write_text(text)
    result, took = run(*CMP, "--results", str(path))
    clean(result, took, "ok", "", name)
    assert note in result.stderr and result.stderr.count("not valid results records") <= 1, result.stderr
    kept = text[:text.rindex("\n") + 1] if torn else text
    now = path.read_text()
    assert now.startswith(kept) and len(now.splitlines()) == len(kept.splitlines()) + 1, (name, now[-300:])
    assert json.loads(now.splitlines()[-1])["method"] == "BFGS"


def test_results_append_failure_keeps_the_study(box, monkeypatch):
    """A full disk while appending: one line, the study finishes and reports every run."""
    import gradcli.study.results_file as rf

    real = os.fsync
    calls = []

    def full(fd):                               # the results file only: the header is written, records are not
        if os.readlink(f"/proc/self/fd/{fd}").endswith("r.jsonl"):
            calls.append(fd)
            if len(calls) > 1:
                raise OSError(28, "No space left on device")
        return real(fd)

    monkeypatch.setattr(rf.os, "fsync", full)
    result, took = run("compare", "b.yaml", "-m", "bfgs,nelder-mead", "--results", "r.jsonl", "--json", "o.json")
    clean(result, took, "ok", "", "enospc")
    assert result.stderr.count("No space left on device") == 1, result.stderr
    assert len(json.loads((box / "o.json").read_text())) == 2


def test_write_failure_keeps_the_content(box, monkeypatch):
    """A write that fails after the work says so in one line and names where the content went."""
    import gradcli.report.output as output

    def full(path, raw, force):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "_write", full)
    result, took = run(*M, *BFGS, "--save-x", "new.json")
    clean(result, took, "error", "saved in", "save-x enospc")
    kept = result.stderr.split("saved in ", 1)[1].split(" instead")[0]
    assert json.loads(Path(kept).read_text())["x"] == {"x": pytest.approx(1.0, abs=1e-5),
                                                         "y": pytest.approx(-1.0, abs=1e-5)}
    os.unlink(kept)


def test_written_files_follow_the_umask(box):
    old = os.umask(0o022)
    try:
        for args in ([*M, *BFGS, "--save-x", "x.json"], [*CMP, "--json", "c.json"], [*CMP, "--csv", "c.csv"]):
            result, _ = run(*args)
            assert result.exit_code == 0, result.stderr
        os.umask(0o027)
        result, _ = run(*M, *BFGS, "--save-x", "x2.npy")
        assert result.exit_code == 0, result.stderr
    finally:
        os.umask(old)
    modes = {p: stat.S_IMODE(os.stat(box / p).st_mode) for p in ("x.json", "c.json", "c.csv", "x2.npy")}
    assert modes == {"x.json": 0o644, "c.json": 0o644, "c.csv": 0o644, "x2.npy": 0o640}


def test_edited_data_file_is_a_new_run(box):
    """The run key covers the contents of the data files a problem names: an edited t.csv runs again."""
    args = ["compare", "fit.yaml", "-m", "bfgs", "--results", "r.jsonl", "-q"]
    assert run(*args)[0].exit_code in (0, 1)
    again, _ = run(*args)
    assert "1 of 1 runs already done" in again.stderr
    (box / "t.csv").write_text("1\n2\n30\n")
    edited, _ = run(*args, "--json", "o.json")
    assert "already done" not in edited.stderr
    assert json.loads((box / "o.json").read_text())[0]["x"][0] == pytest.approx(11.0, abs=1e-6)   # mean(1,2,30)


def test_npz_bomb_reads_only_the_declared_bytes(box):
    bomb(box)
    result, took = run(*ARR, "--data", "y=bomb.npz", "--json")
    clean(result, took, "ok", "", "bomb")
    assert json.loads(result.stdout)[0]["x"][0] == pytest.approx(1.0, abs=1e-6)     # mean(0, 1, 2)


def test_ascii_console_degrades_instead_of_raising():
    from gradcli.report import tables

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    safe = tables._writable(stream)
    safe.write("‖∇f‖∞ ≤ 1e-5 … done ☃\n")
    safe.flush()
    assert raw.getvalue() == b"|grad f|inf <= 1e-5 ... done ?\n"


# --- a representative subset as real processes: time and address-space limits of their own ------------------
PROCESS = [
    (["compare", "b.yaml", "-m", "bfgs", "--results", "notes.txt", "-q"], 2, {}),
    (["compare", "b.yaml", "-m", "bfgs", "--scheduler", "localhost:8786", "-q"], 2, {}),
    (["compare", "b.yaml", "-m", "bfgs", "--scheduler", "tcp://127.0.0.1:1", "-q"], 2, {}),
    (["compare", "b.yaml", "-m", "bfgs", "--scheduler", "local:99999", "-q"], 2, {}),
    (["minimize", "(x-1)**2", "--x0", "0", "-m", "bfgs", "--starts", "1000000000"], 2, {}),
    (["minimize", "(x-1)**2", "--x0", "inf", "-m", "l-bfgs-b"], 2, {}),
    (["minimize", "(x-3)**2", "--x0", "1 2", "-m", "bfgs"], 2, {}),
    (["minimize", "(x-a)**2", "--param", "a=3,5", "--x0", "0", "-m", "bfgs"], 2, {}),
    (["minimize", "problems/rosenbrock", "--x0", "1"], 2, {}),
    (["minimize", "deep.yaml", "-m", "bfgs"], 2, {}),
    (["minimize", "-(x-1)**2+x**4", "--x0", "1", "-m", "bfgs", "-q"], 0, {}),
    (["minimize", "sum((a - y)**2)", "--var", "a=1", "--data", "y=bomb.npz", "--x0", "0", "-m", "bfgs", "-q"], 0, {}),
    (["minimize", "gen2.yaml", "-m", "bfgs"], 2, {}),
    (["minimize", "sum((a - y)**2)", "--var", "a=1", "--data", "y=liar.npz", "--x0", "0"], 2, {}),
    (["minimize", "(x-1)**2 + (y+1)**2", "--x0", "0,0", "-m", "bfgs"], 0, {"PYTHONIOENCODING": "ascii"}),
    (["compare", "b.yaml", "-m", "bfgs,nelder-mead"], 0, {"PYTHONIOENCODING": "ascii"}),
    (["stationary", "x**4 - x**2"], 0, {"PYTHONIOENCODING": "ascii"}),
]


def _limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@pytest.mark.parametrize("args, code, env", PROCESS, ids=[f"process{i}" for i in range(len(PROCESS))])
def test_real_process(tmp_path, args, code, env):
    user_files(tmp_path)
    if "y=bomb.npz" in args:
        bomb(tmp_path)
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    before = snapshot(tmp_path)
    environ = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   OPENBLAS_NUM_THREADS="1", **env)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gradcli", *args], cwd=tmp_path, env=environ, capture_output=True,
                          timeout=SECONDS, preexec_fn=_limits)
    took = time.perf_counter() - t
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == code, (args, proc.returncode, err[-600:])
    assert "Traceback" not in err and took < SECONDS, (args, took, err[-600:])
    if code == 2:
        assert err.startswith(("gradcli: ", "Usage: ")) and len(err.splitlines()[-1]) <= 600, err[:600]
    if env.get("PYTHONIOENCODING") == "ascii":
        assert proc.stdout.isascii() and b"|" in proc.stdout, proc.stdout[-300:]
    assert snapshot(tmp_path) == before
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024       # kilobytes on Linux
    assert peak < 1_000_000_000, peak


def test_fifo_results_file_does_not_hang(box):
    fifo = box / "fifo.jsonl"
    os.mkfifo(fifo)
    result, took = run(*CMP, "--results", str(fifo))
    clean(result, took, "error", "not a regular file", "fifo")
