"""Data for `gradcli fit`: named columns from .csv, whitespace .dat/.txt, .npy (named fields) or .npz.

Text is read row by row so that a ragged row, a word where a number belongs, or a nan/inf is reported as
FILE:LINE with the column's name; every column comes back as a finite float array of one length.
Binary files are read with ``allow_pickle=False``; sizes are checked before anything large is allocated.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradcli.arrays.data import MAX_ENTRIES, MAX_TEXT_BYTES
from gradcli.errors import GradcliError

TEXT_SUFFIXES = (".csv", ".dat", ".txt")
SUFFIXES = TEXT_SUFFIXES + (".npy", ".npz")


@dataclass(frozen=True)
class Table:
    """Columns by name, all of length ``rows``; ``lines[i]`` is the file line of row i (text files)."""

    path: str
    columns: dict[str, np.ndarray]
    lines: tuple[int, ...] | None = None

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values())))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def where(self, row: int) -> str:
        """'FILE:LINE' (text) or 'FILE row N' (binary) for messages."""
        if self.lines is not None:
            return f"{self.path}:{self.lines[row]}"
        return f"{self.path} row {row + 1}"


def _shown(path: str) -> str:
    return path if len(path) <= 80 else path[:60] + "…" + path[-10:]


def read_table(path: str) -> Table:
    """Read FILE into a Table, or raise GradcliError with one line saying what, where and how to fix."""
    shown = _shown(path)
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise GradcliError(f"--data {shown}: data files are .csv, .dat/.txt (whitespace, header line), "
                           ".npy (named fields) or .npz (one array per column)")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)   # a FIFO must not block; fstat of what was opened decides
    except (OSError, ValueError) as exc:
        reason = "no such file" if isinstance(exc, FileNotFoundError) else f"cannot open it ({type(exc).__name__})"
        raise GradcliError(f"--data {shown}: {reason}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise GradcliError(f"--data {shown}: not a regular file (a directory, device or pipe)")
    if suffix in TEXT_SUFFIXES and info.st_size > MAX_TEXT_BYTES:
        os.close(fd)
        raise GradcliError(f"--data {shown}: {info.st_size} bytes of text; the limit is {MAX_TEXT_BYTES} "
                           "(MAX_TEXT_BYTES); save large data as .npz")
    with os.fdopen(fd, "rb") as fh:
        try:
            if suffix in TEXT_SUFFIXES:
                return _text(fh.read(), shown, suffix)
            return _binary(fh, shown, suffix)
        except GradcliError:
            raise
        except Exception as exc:       # a corrupt or hostile file is bad input, never a traceback
            raise GradcliError(f"--data {shown}: cannot read it ({type(exc).__name__}: {str(exc)[:100]})") from None


def _text(raw: bytes, shown: str, suffix: str) -> Table:
    try:
        text = raw.decode("utf-8-sig")             # a BOM from a spreadsheet export is not part of the header
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise GradcliError(f"{shown}:{line}: not UTF-8 text; save the file as UTF-8 (CSV UTF-8)") from None
    rows: list[list[str]] = []
    lines: list[int] = []
    header = None
    sep = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if header is None:
            sep = "," if suffix == ".csv" or "," in stripped else None
            header = [h.strip() for h in stripped.split(sep)]
            header_line = number
            continue
        cells = [c.strip() for c in stripped.split(sep)]
        if len(cells) != len(header):
            raise GradcliError(f"{shown}:{number}: this row has {len(cells)} value{'s' * (len(cells) != 1)}, the "
                               f"header has {len(header)} columns ({', '.join(header)}); give every row one value "
                               "per column")
        rows.append(cells)
        lines.append(number)
    if header is None:
        raise GradcliError(f"{shown}: no header line and no data; the first line names the columns, e.g. x,y")
    _check_names(header, f"{shown}:{header_line}")
    if not rows:
        raise GradcliError(f"{shown}: a header ({', '.join(header)}) but no data rows")
    if len(rows) * len(header) > MAX_ENTRIES:
        raise GradcliError(f"{shown}: {len(rows) * len(header)} values; the limit is {MAX_ENTRIES} (MAX_ENTRIES)")
    columns = {}
    for j, name in enumerate(header):
        cells = [r[j] for r in rows]
        try:
            col = np.array(cells, dtype=float)
        except ValueError:
            i = next(i for i, c in enumerate(cells) if not _is_number(c))
            raise GradcliError(f"{shown}:{lines[i]}: column {name}: '{cells[i][:30]}' is not a number; fix or "
                               "remove that row") from None
        _check_finite(col, name, lambda i: f"{shown}:{lines[i]}")
        columns[name] = col
    return Table(shown, columns, tuple(lines))


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _check_names(names, where: str) -> None:
    seen = set()
    for k, name in enumerate(names):
        if not name:
            raise GradcliError(f"{where}: column {k + 1} has no name in the header; name every column")
        if name in seen:
            raise GradcliError(f"{where}: column name '{name[:30]}' appears twice in the header; names must differ")
        seen.add(name)


def _check_finite(col: np.ndarray, name: str, where) -> None:
    bad = np.flatnonzero(~np.isfinite(col))
    if bad.size:
        i = int(bad[0])
        more = f" (and {bad.size - 1} more rows)" if bad.size > 1 else ""
        raise GradcliError(f"{where(i)}: column {name} is {col[i]}{more}; a fit needs finite numbers: remove or "
                           "fill those rows")


def _binary(fh, shown: str, suffix: str) -> Table:
    if suffix == ".npy":
        arr = _load_npy(fh, shown)
        if arr.dtype.names is None:
            raise GradcliError(f"--data {shown}: a .npy for fit must be a structured array with named fields; "
                               "or save one array per column in an .npz (np.savez('d.npz', x=x, y=y))")
        cols = {name: arr[name] for name in arr.dtype.names}
    else:
        with np.load(fh, allow_pickle=False) as archive:
            cols = {}
            for key in archive.files:
                member = key + ".npy" if key + ".npy" in archive.zip.namelist() else key
                with archive.zip.open(member) as m:
                    _check_npy_header(m, shown)
                cols[key] = archive[key]
    if not cols:
        raise GradcliError(f"--data {shown}: holds no arrays")
    _check_names(list(cols), f"--data {shown}")
    out = {}
    length = None
    for name, col in cols.items():
        col = np.asarray(col)
        if col.dtype.kind not in "biuf" or col.ndim != 1:
            raise GradcliError(f"--data {shown}: array '{name}' is {col.dtype} of shape {col.shape}; each column "
                               "must be a 1-D numeric array")
        if length is not None and len(col) != length:
            raise GradcliError(f"--data {shown}: array '{name}' has {len(col)} rows, '{next(iter(out))}' has "
                               f"{length}; all columns need the same length")
        length = len(col)
        col = col.astype(float)
        _check_finite(col, name, lambda i: f"{shown} row {i + 1}")
        out[name] = col
    if not length:
        raise GradcliError(f"--data {shown}: the columns have no rows")
    return Table(shown, out, None)


def _load_npy(fh, shown: str) -> np.ndarray:
    _check_npy_header(fh, shown)
    return np.load(fh, allow_pickle=False)


def _check_npy_header(fh, shown: str) -> None:
    """Refuse from the header alone: np.load allocates what the header declares before reading a byte."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    reader = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
    if reader is None:
        raise GradcliError(f"--data {shown}: .npy format version {version} is not read here (1.0 and 2.0 are)")
    shape, _, dtype = reader(fh)
    if dtype.hasobject:
        raise GradcliError(f"--data {shown}: holds Python objects; columns must be numeric")
    if math.prod(shape) * max(1, len(dtype.names or ())) > MAX_ENTRIES:
        raise GradcliError(f"--data {shown}: shape {list(shape)} is above the limit of {MAX_ENTRIES} values")
    if fh.seekable():
        fh.seek(0)
