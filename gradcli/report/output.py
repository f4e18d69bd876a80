"""Writing files the user asked for: atomically, and never over an existing file unless told to."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradcli.errors import GradcliError


def check_writable(path: str | Path, force: bool) -> Path:
    """Fail before any work is done when the answer would be lost (existing file, missing folder)."""
    path = Path(path)
    if path.is_dir():
        raise GradcliError(f"{path}: is a directory; give a file name")
    if path.exists() and not force:
        raise GradcliError(f"{path}: file exists; pass --force to overwrite it, or choose another name")
    if not path.parent.exists():
        raise GradcliError(f"{path}: folder {path.parent} does not exist")
    return path


def write_atomic(path: str | Path, data: bytes | str, force: bool = False) -> Path:
    """Write to a temporary file beside ``path``, fsync, then rename: a reader never sees half a file."""
    path = check_writable(path, force)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())      # mkstemp makes 0600: give the mode a plain open() would
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if not force and path.exists():   # appeared while we worked: still never overwrite
            raise GradcliError(f"{path}: file exists; pass --force to overwrite it")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _umask() -> int:
    """The process's umask (reading it means setting it; set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
