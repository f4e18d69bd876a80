"""Exceptions that reach the user as one clear line; exit codes are decided in the CLI alone."""

from __future__ import annotations


class GradcliError(Exception):
    """Bad input from the user: the CLI prints the message and exits with code 2."""


class ExpressionError(GradcliError):
    """An expression that is not in the language, with the column that is wrong."""

    def __init__(self, text: str, column: int | None, message: str):
        self.text = text
        self.column = column
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        if self.column is None:
            return f"expression error: {self.reason}"
        shown = self.text.replace("\n", " ")
        col = self.column
        if len(shown) > 70:  # keep the line readable: show a window around the column
            start = max(0, col - 35)
            shown, col = ("…" if start else "") + shown[start:start + 70], col - start + (1 if start else 0)
        return f"expression error at column {self.column + 1}: {self.reason}\n  {shown}\n  {' ' * col}^"


class ProblemError(GradcliError):
    """A problem (from the command line or a file) that cannot be solved as given.

    ``field`` names the part that is wrong (``x0``, ``bounds.x1``) so a file loader can add its line.
    """

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)
