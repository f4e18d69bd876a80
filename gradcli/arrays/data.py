"""Arrays named in a problem file's ``data:`` section: files (.npy, .npz:key, .csv) or seeded generators.

Paths in a file are relative to the file's folder and must stay inside it (resolved, symlinks
followed): a problem file from a stranger cannot read /etc/passwd or ../secrets.npy. A path given on
the command line (``--data NAME=FILE``) is the user's own choice and may be anywhere. ``np.load``
always runs with ``allow_pickle=False``; an array must be numeric, finite and at most MAX_ENTRIES
entries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ProblemError

MAX_ENTRIES = 50_000_000        # 400 MB of float64: far above a tutorial, far below exhausting a laptop
GENERATORS = ("normal", "uniform", "integers")


def load_entry(name: str, entry, base: Path | None, *, trusted: bool = False) -> np.ndarray:
    """One ``data:`` entry → a float array. ``base`` is the problem file's folder (None: the cwd)."""
    field = f"data.{name}"
    if isinstance(entry, dict):
        return generate(entry, field)
    if not isinstance(entry, str):
        raise ProblemError("a data entry is a path (X.npy, file.npz:key, X.csv) or a generator mapping "
                           "{random: normal, shape: [N, M], seed: 0}", field)
    path_text, key = entry, None
    if ".npz:" in entry:
        path_text, key = entry.rsplit(":", 1)
    folder = (base or Path.cwd()).resolve()
    raw = Path(path_text).expanduser() if trusted else Path(path_text)
    if not trusted and raw.is_absolute():
        raise ProblemError(f"'{entry}': paths in a problem file are relative to its folder; pass an absolute path "
                           f"on the command line instead (--data {name}=FILE)", field)
    path = (folder / raw).resolve()
    if not trusted and folder not in path.parents:
        raise ProblemError(f"'{entry}' resolves to {path}, outside the problem file's folder {folder}; pass it on "
                           f"the command line instead (--data {name}=FILE)", field)
    if not path.is_file():
        raise ProblemError(f"'{entry}': no such file ({path})", field)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            arr = np.load(path, allow_pickle=False, mmap_mode=None)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if key is None:
                    if len(archive.files) != 1:
                        raise ProblemError(f"'{entry}' holds {', '.join(archive.files)}: name one as "
                                           f"{path_text}:KEY", field)
                    key = archive.files[0]
                if key not in archive.files:
                    raise ProblemError(f"'{entry}': no array '{key}' (it holds {', '.join(archive.files)})", field)
                arr = archive[key]
        elif suffix in (".csv", ".txt"):
            arr = np.loadtxt(path, delimiter="," if suffix == ".csv" else None, dtype=float, ndmin=1)
        else:
            raise ProblemError(f"'{entry}': data files are .npy, .npz (file.npz:key) or .csv", field)
    except ProblemError:
        raise
    except Exception as exc:   # a corrupt or hostile file is bad input, never a traceback
        raise ProblemError(f"'{entry}': cannot read it ({type(exc).__name__}: {str(exc)[:120]})", field) from None
    return _checked(arr, field)


def _checked(arr, field: str) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise ProblemError(f"array of {arr.dtype} is not numeric", field)
    if arr.ndim > 2:
        raise ProblemError(f"array of shape {arr.shape}: data arrays are 0-, 1- or 2-D", field)
    if arr.size > MAX_ENTRIES:
        raise ProblemError(f"{arr.size} entries; the limit is {MAX_ENTRIES} (MAX_ENTRIES)", field)
    arr = np.ascontiguousarray(arr, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ProblemError("contains nan or inf", field)
    arr.setflags(write=False)
    return arr


def generate(spec: dict, field: str) -> np.ndarray:
    """``{random: normal|uniform|integers, shape: [..], seed: S, low:, high:, loc:, scale:}``.

    Draws come from ``numpy.random.RandomState(seed)`` (the generator Theano's tutorial uses, whose
    streams NumPy keeps stable across versions), so the same file gives the same data everywhere.
    """
    kind = spec.get("random")
    if kind not in GENERATORS:
        raise ProblemError(f"random: must be one of {', '.join(GENERATORS)}", field)
    shape = spec.get("shape")
    shape = (shape,) if isinstance(shape, int) else tuple(shape or ())
    if any(not isinstance(s, int) or s < 1 for s in shape) or len(shape) > 2:
        raise ProblemError("shape: one or two positive integers", field)
    if int(np.prod(shape, dtype=np.int64)) > MAX_ENTRIES:
        raise ProblemError(f"shape {list(shape)} has more than {MAX_ENTRIES} entries (MAX_ENTRIES)", field)
    rs = np.random.RandomState(spec.get("seed", 0))
    if kind == "normal":
        arr = rs.normal(float(spec.get("loc", 0.0)), float(spec.get("scale", 1.0)), shape)
    elif kind == "uniform":
        arr = rs.uniform(float(spec.get("low", 0.0)), float(spec.get("high", 1.0)), shape)
    else:
        low, high = int(spec.get("low", 0)), int(spec.get("high", 2))
        if high <= low:
            raise ProblemError(f"integers: high ({high}) must be above low ({low})", field)
        arr = rs.randint(low, high, shape)
    return _checked(arr, field)
