"""Writing files the user asked for: checked before the work, written atomically, never over an existing
file unless told to, with the permissions the user's umask gives (not mkstemp's private 0600)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from gradcli.errors import GradcliError


def _shown(path) -> str:
    text = str(path)
    return text if len(text) <= 100 else text[:60] + "…" + text[-30:]


def check_writable(path: str | Path, force: bool) -> Path:
    """Fail before any work is done when the answer would be lost: an existing file (without --force), a
    device, a folder, a parent that is missing or not a folder, a name too long, a folder we cannot write
    in (tried: a temporary file is created and removed)."""
    if not str(path).strip():
        raise GradcliError("an output file name is empty")
    path = Path(path)
    try:
        info = path.lstat() if path.is_symlink() else (path.stat() if path.exists() else None)
    except OSError as exc:
        raise GradcliError(f"{_shown(path)}: cannot use it as an output file ({exc.strerror})") from None
    if path.is_dir():
        raise GradcliError(f"{_shown(path)}: is a directory; give a file name")
    if info is not None and not force:
        raise GradcliError(f"{_shown(path)}: file exists; pass --force to overwrite it, or choose another name")
    if info is not None and not stat.S_ISREG(info.st_mode) and not stat.S_ISLNK(info.st_mode):
        raise GradcliError(f"{_shown(path)}: not a regular file (a device, pipe or socket); choose a file name")
    parent = path.parent
    if not parent.exists():
        raise GradcliError(f"{_shown(path)}: folder {_shown(parent)} does not exist")
    if not parent.is_dir():
        raise GradcliError(f"{_shown(path)}: {_shown(parent)} is a file, not a folder")
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if len(path.name.encode(errors="surrogateescape")) > limit:
        raise GradcliError(f"{_shown(path)}: the file name is {len(path.name)} characters; this file system allows "
                           f"{limit}")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".gradcli-check.", dir=parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise GradcliError(f"{_shown(path)}: cannot write in folder {_shown(parent)} ({exc.strerror}); choose "
                           "another place") from None
    return path


def file_mode() -> int:
    """0o666 less the umask: what open() would have given (0644 under umask 022)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | Path, data: bytes | str, force: bool = False) -> Path:
    """Write to a temporary file beside ``path``, fsync, then rename: a reader never sees half a file.

    When the write fails after the work (disk full, quota), the data goes to a file in the temporary
    folder instead, and the one-line error names it: the work is not lost."""
    path = check_writable(path, force)
    raw = data.encode() if isinstance(data, str) else data
    try:
        _write(path, raw, force)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        kept = _keep_elsewhere(path, raw)
        where = f"; the content is saved in {kept} instead" if kept else "; it could not be saved elsewhere either"
        raise GradcliError(f"{_shown(path)}: cannot write it ({why}){where}") from None
    return path


def _write(path: Path, raw: bytes, force: bool) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:200]}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), file_mode())
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if not force and path.exists():   # appeared while we worked: still never overwrite
            raise GradcliError(f"{_shown(path)}: file exists; pass --force to overwrite it")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _keep_elsewhere(path: Path, raw: bytes) -> str | None:
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix="gradcli-", suffix="-" + path.name[-100:])
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), file_mode())
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        return tmp
    except OSError:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        return None
