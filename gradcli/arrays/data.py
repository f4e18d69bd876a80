"""Arrays named in a problem file's ``data:`` section: files (.npy, .npz:key, .csv, grayscale .png) or seeded
generators.

Paths in a file are relative to the file's folder and must stay inside it (resolved, symlinks
followed): a problem file from a stranger cannot read /etc/passwd or ../secrets.npy. A path given on
the command line (``--data NAME=FILE``) is the user's own choice and may be anywhere. ``np.load``
always runs with ``allow_pickle=False``; an array must be numeric, finite and at most MAX_ENTRIES
entries.
"""

from __future__ import annotations

import math
import os
import stat
import warnings
from pathlib import Path

import numpy as np

from gradcli.errors import ProblemError

MAX_ENTRIES = 50_000_000        # 400 MB of float64: far above a tutorial, far below exhausting a laptop
MAX_TEXT_BYTES = 200_000_000    # a .csv is parsed whole before its size is known: ~8M numbers, ~5 s of loadtxt
MAX_TOTAL_ENTRIES = MAX_ENTRIES  # all data entries of one problem together (twelve arrays just under the
                                 # per-array limit would be 4.8 GB)
MAX_MEMBERS = 10_000            # members of one .npz (its directory is read whole)
GENERATORS = ("normal", "uniform", "integers")
MAX_DATA_NDIM = 4               # as shapes.MAX_NDIM (images: batch, rows, columns, channels)


def load_entry(name: str, entry, base: Path | None, *, trusted: bool = False,
               room: int = MAX_TOTAL_ENTRIES) -> np.ndarray:
    """One ``data:`` entry → a float array. ``base`` is the problem file's folder (None: the cwd).

    ``room``: entries the problem's data may still take (MAX_TOTAL_ENTRIES less what is loaded already);
    checked from shapes before anything is allocated."""
    field = f"--data {name}" if trusted else f"data.{name}"      # the command line's own value, not the file's
    if isinstance(entry, dict):
        return generate(entry, field, room)
    if not isinstance(entry, str):
        raise ProblemError("a data entry is a path (X.npy, file.npz:key, X.csv) or a generator mapping "
                           "{random: normal, shape: [N, M], seed: 0}", field)
    path_text, key = entry, None
    if ".npz:" in entry:
        path_text, key = entry.rsplit(":", 1)
    shown = entry if len(entry) <= 80 else entry[:60] + "…" + entry[-10:]    # a hostile name stays one line
    try:
        # resolve() raises on a NUL byte, a symlink loop or a name too long: bad input, not a traceback
        folder = (base or Path.cwd()).resolve()
        raw = Path(path_text).expanduser() if trusted else Path(path_text)
        if not trusted and raw.is_absolute():
            raise ProblemError(f"'{shown}': paths in a problem file are relative to its folder; pass an absolute "
                               f"path on the command line instead (--data {name}=FILE)", field)
        path = (folder / raw).resolve()
        if not trusted and folder not in path.parents:
            raise ProblemError(f"'{shown}' resolves to {path}, outside the problem file's folder {folder}; pass it "
                               f"on the command line instead (--data {name}=FILE)", field)
        suffix = Path(path_text).suffix.lower()     # the name as given decides (a symlink may point anywhere)
        if suffix not in (".npy", ".npz", ".csv", ".txt", ".png"):
            raise ProblemError(f"'{shown}': data files are .npy, .npz (file.npz:key), .csv or a grayscale .png",
                               field)
        if not path.exists():
            raise ProblemError(f"'{shown}': no such file ({path})", field)
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat of what was opened decides (no race)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except ProblemError:
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        raise ProblemError(f"'{shown}': cannot open it ({type(exc).__name__}: {str(exc)[-120:]})", field) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ProblemError(f"'{shown}': not a regular file (a directory, device or pipe): {path}", field)
    if suffix in (".csv", ".txt") and info.st_size > MAX_TEXT_BYTES:
        os.close(fd)
        raise ProblemError(f"'{shown}': {info.st_size} bytes of text; the limit is {MAX_TEXT_BYTES} (MAX_TEXT_BYTES): "
                           "save large data as .npy, which is checked from its header and loads far faster", field)
    with os.fdopen(fd, "rb") as fh:
        try:
            with warnings.catch_warnings():       # loadtxt warns on an empty file; the size check below says it
                warnings.simplefilter("ignore")
                arr = _read(fh, suffix, key, shown, path_text, field, room)
        except ProblemError:
            raise
        except Exception as exc:   # a corrupt or hostile file is bad input, never a traceback
            raise ProblemError(f"'{shown}': cannot read it ({type(exc).__name__}: {str(exc)[:120]})", field) from None
    return _checked(arr, field, room)


def _read(fh, suffix: str, key, entry: str, path_text: str, field: str, room: int) -> np.ndarray:
    if suffix == ".npy":
        _check_header(fh, entry, field, room)
        return np.load(fh, allow_pickle=False)
    if suffix == ".npz":
        return _read_npz(fh, key, entry, path_text, field, room)
    if suffix == ".png":
        from gradcli.arrays.images import read_image
        return read_image(fh, entry, field, min(MAX_ENTRIES, room))
    # utf-8-sig: a spreadsheet's UTF-8 byte-order mark is not part of the first number
    return np.loadtxt(fh, delimiter="," if suffix == ".csv" else None, dtype=float, ndmin=1, encoding="utf-8-sig")


def _read_npz(fh, key, entry: str, path_text: str, field: str, room: int) -> np.ndarray:
    """One member of a .npz, its header checked and its data read from the same stream: the bytes unpacked
    are those the checked header declares, whatever the archive holds beside it (np.load's archive[key]
    may open another member of a similar name than the one a check read)."""
    import zipfile

    with zipfile.ZipFile(fh) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ProblemError(f"'{entry}' has {len(infos)} members; the limit is {MAX_MEMBERS} (MAX_MEMBERS)", field)
        by_key: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            k = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if k in by_key:
                raise ProblemError(f"'{entry}' holds two members named {_names([k])}: which one is meant is "
                                   "ambiguous", field)
            by_key[k] = info
        if key is None:
            if len(by_key) != 1:
                raise ProblemError(f"'{entry}' holds {_names(list(by_key))}: name one as {path_text}:KEY", field)
            key = next(iter(by_key))
        if key not in by_key:
            raise ProblemError(f"'{entry}': no array '{key}' (it holds {_names(list(by_key))})", field)
        with archive.open(by_key[key]) as member:
            shape, order, dtype = _check_header(member, entry, field, room, rewind=False)
            return _read_data(member, shape, order, dtype, field)


def _read_data(stream, shape, fortran: bool, dtype, field: str) -> np.ndarray:
    """Exactly the declared bytes: a member longer than its header says is not unpacked past them."""
    need = math.prod(shape) * dtype.itemsize
    buf = bytearray(need)
    view, got = memoryview(buf), 0
    while got < need:
        n = stream.readinto(view[got:got + (1 << 24)])
        if not n:
            raise ProblemError(f"the array data ends after {got} of {need} bytes (truncated file)", field)
        got += n
    arr = np.frombuffer(buf, dtype=dtype)
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def _names(names: list[str], limit: int = 5) -> str:
    """Member names for an error line: a few, cut short, and how many more (3 000 names are not a line)."""
    shown = [n if len(n) <= 40 else n[:30] + "…" for n in names[:limit]]
    return ", ".join(shown) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _check_header(fh, entry: str, field: str, room: int = MAX_TOTAL_ENTRIES, rewind: bool = True):
    """Refuse from the .npy header alone: np.load allocates what the header declares before reading a byte,
    so a 100-byte file claiming shape (10**6, 10**6) would ask for 8 TB. Returns (shape, fortran, dtype)."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(fh)
    else:
        raise ProblemError(f"'{entry}': .npy format version {version} is not read here (1.0 and 2.0 are)", field)
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise ProblemError(f"'{entry}': array of {dtype} is not numeric", field)
    _check_shape(shape, field, room)
    if rewind and hasattr(fh, "seek") and fh.seekable():
        fh.seek(0)
    return shape, fortran, dtype


def _check_shape(shape, field: str, room: int = MAX_TOTAL_ENTRIES) -> None:
    if len(shape) > MAX_DATA_NDIM:
        raise ProblemError(f"array of shape {tuple(shape)}: data arrays have at most {MAX_DATA_NDIM} axes", field)
    entries = math.prod(shape)      # Python ints: no int64 wrap-around ((2**32)**2 is not 0)
    if entries > MAX_ENTRIES:
        raise ProblemError(f"shape {list(shape)} has {entries} entries; the limit is {MAX_ENTRIES} (MAX_ENTRIES)",
                           field)
    if entries > room:
        raise ProblemError(f"shape {list(shape)} has {entries} entries, more than the {room} left of the limit on all "
                           f"data entries together, {MAX_TOTAL_ENTRIES} (MAX_TOTAL_ENTRIES)", field)


def _checked(arr, field: str, room: int = MAX_TOTAL_ENTRIES) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise ProblemError(f"array of {arr.dtype} is not numeric", field)
    if arr.ndim > MAX_DATA_NDIM:
        raise ProblemError(f"array of shape {arr.shape}: data arrays have at most {MAX_DATA_NDIM} axes", field)
    _check_shape(arr.shape, field, room)
    if arr.size == 0:               # sum and mean of nothing would hide it; @ would fail later, less clearly
        raise ProblemError(f"array of shape {arr.shape} has no entries", field)
    arr = np.ascontiguousarray(arr, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ProblemError("contains nan or inf", field)
    arr.setflags(write=False)
    return arr


def generate(spec: dict, field: str, room: int = MAX_TOTAL_ENTRIES) -> np.ndarray:
    """``{random: normal|uniform|integers, shape: [..], seed: S, low:, high:, loc:, scale:}``.

    Draws come from ``numpy.random.RandomState(seed)`` (the generator Theano's tutorial uses, whose
    streams NumPy keeps stable across versions), so the same file gives the same data everywhere.
    """
    kind = spec.get("random")
    if kind not in GENERATORS:
        raise ProblemError(f"random: must be one of {', '.join(GENERATORS)}", field)
    shape = spec.get("shape")
    shape = (shape,) if isinstance(shape, int) else tuple(shape or ())
    if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in shape) or len(shape) > MAX_DATA_NDIM:
        raise ProblemError(f"shape: one to {MAX_DATA_NDIM} positive integers", field)
    _check_shape(shape, field, room)
    rs = random_state(spec.get("seed", 0), field)
    p = {k: _finite_number(spec, k, d, field) for k, d in (("loc", 0.0), ("scale", 1.0), ("low", None),
                                                               ("high", None))}
    if p["scale"] < 0:
        raise ProblemError(f"scale: {p['scale']} is negative; a standard deviation is >= 0", field)
    try:
        if kind == "normal":
            arr = rs.normal(p["loc"], p["scale"], shape)
        elif kind == "uniform":
            low, high = p["low"] if p["low"] is not None else 0.0, p["high"] if p["high"] is not None else 1.0
            if not math.isfinite(high - low):
                raise ProblemError(f"uniform: high - low ({high} - {low}) overflows", field)
            arr = rs.uniform(low, high, shape)
        else:
            low, high = (int(v) if v is not None else d for v, d in ((p["low"], 0), (p["high"], 2)))
            if high <= low:
                raise ProblemError(f"integers: high ({high}) must be above low ({low})", field)
            if max(abs(low), abs(high)) > 2**53:       # beyond it floats no longer hold every integer
                raise ProblemError(f"integers: low and high must lie within ±2**53 (got {low}, {high})", field)
            arr = rs.randint(low, high, shape)
    except (ValueError, OverflowError) as exc:         # whatever NumPy still refuses: said, not raised
        raise ProblemError(f"{kind}: {exc}", field) from None
    return _checked(arr, field, room)


def random_state(seed, field: str) -> np.random.RandomState:
    """RandomState(seed), with NumPy's own range (0 .. 2**32 - 1) checked first so the error names the field."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ProblemError(f"seed: {seed!r} is not a whole number from 0 to 2**32 - 1", field)
    return np.random.RandomState(seed)


def _finite_number(spec: dict, key: str, default, field: str):
    v = spec.get(key, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise ProblemError(f"{key}: {v!r} is not a finite number", field)
    return float(v)


MAX_DIGEST_BYTES = 8 * MAX_ENTRIES + (1 << 20)   # more than any array we load (the load refuses larger)


def file_hash(path: str) -> str:
    """sha256 of a data file's contents (regular files only, at most MAX_DIGEST_BYTES), for run keys."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError) as exc:
        return f"unreadable: {type(exc).__name__}"
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        return _cached_hash(path, info.st_size, info.st_mtime_ns, info.st_ino, fh)


_HASHES: dict[tuple, str] = {}


def _cached_hash(path: str, size: int, mtime: int, ino: int, fh) -> str:
    """Hashed once per process and version of the file (a study asks for every run's key)."""
    import hashlib

    key = (path, size, mtime, ino)
    if key not in _HASHES:
        h, left = hashlib.sha256(), MAX_DIGEST_BYTES
        while left > 0 and (chunk := fh.read(min(left, 1 << 20))):
            h.update(chunk)
            left -= len(chunk)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]
