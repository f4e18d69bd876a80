"""Any Rich table, readable at any width: the table when it fits, else one block per row.

Rich fits a wide table into a narrow console by folding cells and cutting numbers with "…"; a method
name broken over two lines or a number cut short is worse than no table. Below the width the table
needs, each row becomes a block: its first cell on a line, then the other columns as "name: value"
pairs that wrap only between words (``minimize`` does the same with its own fields in tables.py).
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text


def natural_width(console: Console, table: Table) -> int:
    """The width the table takes when nothing is folded."""
    return console.measure(table, options=console.options.update(max_width=10_000)).maximum


def _plain(cell) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return str(cell)


INDENT = 2


def _pack(pairs: list[str], width: int) -> list[str]:
    """'name: value' pairs joined by ' · ' into lines of at most ``width``; a pair is never split
    across lines (one longer than the width gets a line of its own, wrapped between words)."""
    lines, line = [], ""
    for pair in pairs:
        if line and len(line) + 3 + len(pair) > width:
            lines.append(line)
            line = ""
        line = f"{line} · {pair}" if line else pair
    return lines + ([line] if line else [])


def table_blocks(table: Table, width: int = 80) -> Group:
    """The table's rows as blocks: the first column's value, then 'header: value' for the others."""
    columns = list(table.columns)
    cells = [[_plain(c) for c in col.cells] for col in columns]
    headers = [" ".join(_plain(col.header).split()) for col in columns]
    lines: list = []
    if table.title:
        lines.append(Text(_plain(table.title), style="bold"))
    for i in range(table.row_count):
        style = table.rows[i].style if i < len(table.rows) else None
        head = " ".join(cells[0][i].split()) if columns else ""
        lines.append(Text(f"{headers[0]}: {head}" if headers and headers[0] else head, style=style or "bold"))
        pairs = [f"{h}: {' '.join(c[i].split())}" for h, c in zip(headers[1:], cells[1:])
                 if c[i].strip() and (h or c[i].strip())]
        for line in _pack(pairs, width - INDENT):
            lines.append(Padding(Text(line), (0, 0, 0, INDENT), expand=False))
    if table.caption:
        lines.append(Text(_plain(table.caption), style="dim"))
    return Group(*lines)


def fitted(console: Console, table: Table):
    """The table when the console is wide enough for it, else its rows as blocks."""
    return table if natural_width(console, table) <= console.width else table_blocks(table, console.width)
