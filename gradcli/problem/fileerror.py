"""How a problem file reports what is wrong: ``FILE:LINE: field: message``, shared by the scalar and the
array readers."""

from __future__ import annotations

from gradcli.errors import GradcliError


class ProblemFileError(GradcliError):
    """``FILE:LINE: field: message`` — the first thing wrong in a problem file."""

    def __init__(self, path, line: int | None, field: str | None, message: str):
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {field + ': ' if field else ''}{message}")


def _path(field: str) -> tuple:
    out: list = []
    for part in field.replace("]", "").split("."):
        name, *idx = part.split("[")
        if name:
            out.append(name)
        out.extend(int(i) for i in idx)
    return tuple(out)
