"""``compare --results FILE.jsonl``: every finished run on disk the moment it finishes, so nothing is lost.

One JSON object per line: the run's record plus ``run_key`` (compare.Task.key: problem and data hashes,
method, options, start, seed) and the format marker ``"gradcli_results": 1``, so a file holds exactly one
line per finished run.
Each line is written whole, flushed and fsync'd before the next run is reported, so Ctrl-C, a killed
worker or a killed client lose at most the run being written. Reading the file back gives the runs to
skip: a re-run of the same command finishes the rest, with no duplicates (the first record of a key
wins) and no gaps.

The file is the user's: nothing in it is cut or appended to unless it is recognisably ours (empty, or a
first line that is a valid record; the header line an earlier build wrote is accepted too). Anything else —
a note, a JSON config, a device, a FIFO, a folder — is refused untouched. Every line read is checked
against the record schema below; a line that fails is not a finished run (it is run again, and the
report says so once). A client killed mid-write leaves a torn last line (no newline): it is cut off
before anything is appended. The file is locked (flock) while a study appends, so two studies cannot
interleave in one file. A write that fails (disk full) is said once; the study goes on.
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
from pathlib import Path

from gradcli.errors import GradcliError

KEY = "run_key"
HEADER = {"gradcli": "results", "version": 1}   # written by an earlier build as a first line; still read
MARK = "gradcli_results"                          # on every line: the format version
MAX_BYTES = 500_000_000          # read line by line, every record kept: 100 000 runs with histories is ~100 MB
MAX_FIRST_LINE = 64 << 20        # the header (or, in a file from before it, one record) is far shorter
MAX_NOTE = 200                   # characters of a bad line shown in the one note about it


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _num(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))


def _pairs(v) -> bool:
    return v is None or (isinstance(v, list) and all(isinstance(p, list) and len(p) == 2 and _num(p[0])
                                                     and p[0] is not None and _num(p[1]) for p in v))


# what the reports and profiles read from a record, with the type they assume (extra fields are allowed)
SCHEMA = {
    KEY: lambda v: isinstance(v, str) and 0 < len(v) <= 128,
    "method": lambda v: isinstance(v, str), "problem": lambda v: isinstance(v, str), "start": _int,
    "seed": _int, "fun": _num, "grad_norm": _num, "f_star": _num, "time": lambda v: _num(v) and v is not None,
    "x": lambda v: v is None or (isinstance(v, list) and all(_num(a) for a in v)),
    "nit": lambda v: v is None or _int(v), "nfev": _int, "njev": _int, "nhev": _int,
    "success": lambda v: isinstance(v, bool), "status": lambda v: isinstance(v, str),
    "message": lambda v: isinstance(v, str), "solved": lambda v: v is None or isinstance(v, bool),
}
OPTIONAL = {"history": _pairs, "f0": _num, "maxcv": _num}


def problem_with(rec) -> str | None:
    """What is wrong with a parsed line, or None when it is a valid record."""
    if not isinstance(rec, dict):
        return f"a JSON {type(rec).__name__}, not an object"
    for name, ok in SCHEMA.items():
        if name not in rec:
            return f"no '{name}'"
        if not ok(rec[name]):
            return f"'{name}' is {_short(repr(rec[name]), 40)}"
    for name, ok in OPTIONAL.items():
        if name in rec and not ok(rec[name]):
            return f"'{name}' is not what a record holds"
    return None


class ResultsFile:
    """Open (creating if needed) and lock a results file; ``done`` holds its valid records by run key."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.failed: str | None = None     # the write error, once appending failed
        self.notes: list[str] = []
        fd = _open(self.path)
        self._fh = os.fdopen(fd, "r+b")
        try:
            _lock(self._fh, self.path)
            self.done, self.torn = self._load()
        except BaseException:
            self._fh.close()
            raise
        for note in self.notes:
            sys.stderr.write(f"gradcli: {note}\n")

    def _load(self) -> tuple[dict[str, dict], bool]:
        size = os.fstat(self._fh.fileno()).st_size
        if size > MAX_BYTES:
            raise GradcliError(f"{self.path}: {size} bytes; a results file is read whole and the limit is {MAX_BYTES} "
                               "(MAX_BYTES): start a new file")
        if size == 0:                                # new or empty: ours from now on
            return {}, False
        self._fh.seek(0)
        first = self._fh.readline(MAX_FIRST_LINE)     # decide from the first line alone, before reading on
        head = _parse(first) if first.endswith(b"\n") else None
        legacy = head is not HEADER_SEEN and problem_with(head) is None
        if head is not HEADER_SEEN and not legacy:
            raise GradcliError(f"{self.path}: not a gradcli results file (its first line is not a results record); "
                               "left untouched: give --results a new file name")
        done: dict[str, dict] = {}
        bad: list[tuple[int, str]] = []
        end, torn = (0 if legacy else len(first)), False
        for n, line in enumerate(self._fh if not legacy else _chain(first, self._fh), 1 if legacy else 2):
            if not line.endswith(b"\n"):            # a killed writer's half line: cut below, run again
                torn = True
                break
            end += len(line)
            if not line.strip():
                continue
            rec = _parse(line)
            why = "not JSON" if rec is NOT_JSON else problem_with(rec)
            if why:
                bad.append((n, why))
                continue
            rec.pop(MARK, None)
            done.setdefault(rec.pop(KEY), rec)
        if bad:
            n, why = bad[0]
            self.notes.append(f"{self.path}: {len(bad)} line{'s' if len(bad) > 1 else ''} not valid results "
                              f"records (line {n}: {why}); those runs are run again")
        if torn:
            self._fh.truncate(end)
            self._fh.flush()
            os.fsync(self._fh.fileno())
        return done, torn

    def append(self, key: str, record: dict) -> None:
        """One line, on disk before this returns. The record is JSON with nan/inf as null."""
        from gradcli.result import _jsonable

        self.done.setdefault(key, record)
        if self.failed is None:
            self._write(json.dumps({KEY: key, MARK: 1, **_jsonable(record)}, allow_nan=False) + "\n")

    def _write(self, line: str) -> None:
        try:
            self._fh.seek(0, os.SEEK_END)
            self._fh.write(line.encode())
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:         # disk full, quota, I/O error: the study and its report go on
            self.failed = exc.strerror or type(exc).__name__
            sys.stderr.write(f"gradcli: {self.path}: cannot write ({self.failed}); the study goes on, but runs "
                             "from here on are not saved in it\n")

    def close(self) -> None:
        try:
            self._fh.close()
        except OSError:                # the failed write is already reported
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _chain(first: bytes, rest):
    yield first
    yield from rest


HEADER_SEEN = object()
NOT_JSON = object()


def _parse(line: bytes):
    """A line as JSON; HEADER_SEEN for the header, NOT_JSON for anything unreadable (deep nesting included)."""
    try:
        rec = json.loads(line)
    except (ValueError, RecursionError, MemoryError):
        return NOT_JSON
    return HEADER_SEEN if rec == HEADER else rec


def _open(path: Path) -> int:
    """A regular file only: a FIFO would block, /dev/zero never ends, /dev/null cannot be fsync'd."""
    try:
        if path.is_dir():
            raise GradcliError(f"{_short(str(path))}: is a directory; give a file name for --results")
        if not path.parent.is_dir():
            raise GradcliError(f"{_short(str(path))}: folder {_short(str(path.parent))} does not exist")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o666)
    except OSError as exc:
        raise GradcliError(f"{_short(str(path))}: cannot open it for --results ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise GradcliError(f"{_short(str(path))}: not a regular file (a device, pipe or socket); give --results "
                           "a file name")
    os.set_blocking(fd, True)
    return fd


def _short(text: str, limit: int = MAX_NOTE) -> str:
    return text if len(text) <= limit else text[:limit - 20] + "…" + text[-10:]


def _lock(fh, path: Path) -> None:
    try:
        import fcntl
    except ImportError:          # not POSIX: no lock, one study per file is then the user's care
        return
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise GradcliError(f"{path}: another gradcli compare is writing this results file; wait for it or "
                           "choose another file") from None
