"""What every gradcli figure shares: the format by suffix, matplotlib loaded only when asked, one colour
and marker per method across all figures of a run or study, and a legend that never covers a curve.

Colours are the Okabe & Ito (2008) palette, readable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import io
from pathlib import Path

from gradcli.errors import GradcliError
from gradcli.report.output import check_writable, write_atomic

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DPI = 150


def plot_format(path: str | Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise GradcliError(f"--plot {path}: the file name must end in .png, .pdf or .svg (the format)")
    return fmt


def pyplot():
    """matplotlib.pyplot on the Agg backend, or one clear line saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise GradcliError("plots need matplotlib: pip install 'gradcli[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def check_plot(path: str | Path, force: bool) -> str:
    """Before any work: a known format, matplotlib present, and a file we may write."""
    fmt = plot_format(path)
    pyplot()
    check_writable(path, force)
    return fmt


def save(fig, path: str | Path, force: bool) -> Path:
    """The figure in the format its suffix names (real PDF/SVG, not PNG bytes), written atomically."""
    fmt = plot_format(path)
    buf = io.BytesIO()
    meta = {"Date": None} if fmt in ("svg", "pdf") else {}     # the same figure gives the same file
    fig.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight", metadata=meta or None)
    return write_atomic(path, buf.getvalue(), force=force)


class Palette:
    """Method → (colour, marker), fixed by the order methods are first given; the same object styles
    every figure of one run or study, so a method looks the same in all of them."""

    def __init__(self, methods=()):
        self._style: dict[str, tuple[str, str]] = {}
        for m in methods:
            self.style(m)

    def style(self, method: str) -> tuple[str, str]:
        if method not in self._style:
            i = len(self._style)
            self._style[method] = (COLOURS[i % len(COLOURS)], MARKERS[(i + i // len(COLOURS)) % len(MARKERS)])
        return self._style[method]

    def colour(self, method: str) -> str:
        return self.style(method)[0]

    def marker(self, method: str) -> str:
        return self.style(method)[1]


def legend_outside(fig_or_ax, handles=None, labels=None, title: str | None = None, anchor=(1.0, 0.5)):
    """The legend to the right of the axes (outside them), so it can never hide a curve."""
    from matplotlib.figure import Figure

    kwargs = {"loc": "upper left", "fontsize": 8, "title": title, "frameon": False}
    if isinstance(fig_or_ax, Figure):              # one legend for all panels
        kwargs.update(loc="center left", bbox_to_anchor=anchor)
    else:
        kwargs.update(bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    if handles is None:
        return fig_or_ax.legend(**kwargs)
    return fig_or_ax.legend(handles, labels, **kwargs)


def fit_title(text: str, width: int = 70) -> str:
    """A title that fits its axes: long expressions are cut at ``width`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "…"
