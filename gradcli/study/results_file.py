"""``compare --results FILE.jsonl``: every finished run on disk the moment it finishes, so nothing is lost.

One JSON object per line: the run's record plus ``run_key`` (compare.Task.key: problem hash, method,
options, start, seed). Each line is written whole, flushed and fsync'd before the next run is
reported, so Ctrl-C, a killed worker or a killed client lose at most the run being written. Reading
the file back gives the runs to skip: a re-run of the same command finishes the rest, with no
duplicates (the first record of a key wins) and no gaps.

A client killed mid-write leaves a torn last line (no newline, or not JSON): it is cut off before
anything is appended, and that run is simply run again. A bad line anywhere else is not ours to
guess about, so it is an error naming the line. The file is locked (flock) while a study appends, so
two studies cannot interleave in one file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gradcli.errors import GradcliError

KEY = "run_key"


class ResultsFile:
    """Open (creating if needed) and lock a results file; ``done`` holds its records by run key."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise GradcliError(f"{self.path}: is a directory; give a file name for --results")
        if not self.path.parent.exists():
            raise GradcliError(f"{self.path}: folder {self.path.parent} does not exist")
        self._fh = open(self.path, "a+b")
        try:
            _lock(self._fh, self.path)
            self.done, self.torn = self._load()
        except BaseException:
            self._fh.close()
            raise

    def _load(self) -> tuple[dict[str, dict], bool]:
        self._fh.seek(0)
        raw = self._fh.read()
        done: dict[str, dict] = {}
        good_end = 0
        torn = False
        lines = raw.split(b"\n")
        for n, line in enumerate(lines, 1):
            last = n == len(lines)
            if last and not line:          # the file ends with a newline: nothing after it
                break
            try:
                rec = json.loads(line) if line.strip() else None
                if rec is not None and (not isinstance(rec, dict) or KEY not in rec):
                    raise ValueError("no run_key")
            except ValueError as exc:
                if last:                   # torn by a killed writer: cut it off, the run will be redone
                    torn = True
                    break
                raise GradcliError(f"{self.path}:{n}: not a gradcli results line ({exc}); the file is not a "
                                   "--results file of gradcli compare, or was edited") from None
            if last:                       # complete JSON but no newline: the newline was not written
                torn = True
                break
            good_end += len(line) + 1
            if rec is not None:
                key = rec.pop(KEY)
                done.setdefault(key, rec)
        if good_end < len(raw):
            self._fh.truncate(good_end)
            self._fh.flush()
            os.fsync(self._fh.fileno())
        return done, torn

    def append(self, key: str, record: dict) -> None:
        """One line, on disk before this returns. The record is JSON with nan/inf as null."""
        from gradcli.result import _jsonable

        line = json.dumps({KEY: key, **_jsonable(record)}, allow_nan=False) + "\n"
        self._fh.seek(0, os.SEEK_END)
        self._fh.write(line.encode())
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done.setdefault(key, record)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
