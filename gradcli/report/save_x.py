"""`--save-x FILE`: x* as .npy (flat vector), .json (by variable name) or .csv (name,value rows), written
atomically (output.write_atomic) and never over an existing file without --force."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np

from gradcli.errors import GradcliError
from gradcli.report.output import write_atomic

FORMATS = (".npy", ".json", ".csv", ".png")


def check_format(path) -> None:
    if Path(path).suffix.lower() not in FORMATS:
        raise GradcliError(f"--save-x {path}: write .npy, .json, .csv or .png (a 2-D variable as a grayscale image)")


def named(problem, x) -> dict:
    """{name: value} for every variable: arrays by block for array problems, numbers otherwise."""
    return problem.split(x)


def write_x(path, problem, result, force: bool) -> tuple[Path, str]:
    check_format(path)
    x = np.asarray(result.x, dtype=float)
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, x, allow_pickle=False)
        data = buf.getvalue()
    elif suffix == ".json":
        values = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in named(problem, x).items()}
        data = json.dumps({"method": result.method, "fun": result.fun if math.isfinite(result.fun) else None,
                           "x": values}, indent=1) + "\n"
    elif suffix == ".png":
        from gradcli.arrays.images import png_bytes
        arrays = [v for v in named(problem, x).values() if isinstance(v, np.ndarray)]
        if len(arrays) != 1 or len(named(problem, x)) != 1:
            raise GradcliError(f"--save-x {path}: a PNG holds one 2-D variable; this problem has "
                               f"{', '.join(named(problem, x))} (save .npy or .json instead)")
        data, clipped = png_bytes(arrays[0], str(path))
        if clipped:     # said, not silent: the image shows [0, 1]; the exact values are in .npy
            return write_atomic(path, data, force=force), f"{result.method}; {clipped} entries outside [0, 1] " \
                                                          "clipped in the image"
    else:
        data = "variable,value\n" + "".join(f"{n},{v!r}\n" for n, v in zip(problem.variables, x.tolist()))
    return write_atomic(path, data, force=force), result.method


def summarize(value) -> dict:
    """A variable for a report or JSON: shape, norm and the first entries, never all 784 numbers."""
    if not isinstance(value, np.ndarray):
        return {"shape": [], "value": value}
    flat = value.ravel()
    return {"shape": list(value.shape), "norm": float(np.linalg.norm(flat)), "first": flat[:3].tolist()}


def summary_lines(problem, results) -> list[str]:
    out = []
    for r in results:
        if not r.x.size or not all(math.isfinite(v) for v in r.x):
            continue
        parts = []
        for name, v in named(problem, r.x).items():
            s = summarize(v)
            if "value" in s:
                parts.append(f"{name} = {s['value']:.6g}")
            else:
                first = ", ".join(f"{a:.4g}" for a in s["first"])
                parts.append(f"{name}: shape {tuple(s['shape'])}, ‖{name}‖ = {s['norm']:.6g}, first ({first}, …)")
        out.append(f"{r.method}: " + "; ".join(parts))
    return out
