"""Tables that fit the terminal: columns give way by priority instead of folding words."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

# A shortened column keeps at least this many characters (fewer, and it is dropped instead).
SHORTEST = 10
Cell = str | Text


@dataclass(frozen=True)
class Heading:
    """A column: its title; `drop` ranks it among the columns left out when the terminal is
    too narrow (0: never; otherwise the highest goes first). A `shorten` column is cut to the
    room left, with "…": before any column is dropped if it may be dropped itself, else once
    none is left to drop. Others are cut only when what stays is too wide even so."""

    title: str
    drop: int = 0
    shorten: bool = False


@dataclass(frozen=True)
class Column:
    """A column and how each row's item fills it."""

    heading: Heading | str
    cell: Callable[[Any], Cell]


def table_of(
    columns: Sequence[Column], items: Iterable[Any], *, title: str | None = None
) -> FittedTable:
    """A row per item, each cell from its column."""
    rows = FittedTable(*(column.heading for column in columns), title=title)
    for item in items:
        rows.add_row(*(column.cell(item) for column in columns))
    return rows


class FittedTable:
    """Rows under headings, laid out for the width they are printed in: every cell on one
    line, shortened cells end in "…", no word is broken across lines."""

    def __init__(self, *headings: Heading | str, title: str | None = None) -> None:
        self.headings = [Heading(h) if isinstance(h, str) else h for h in headings]
        self.title = title
        self.rows: list[tuple[Cell, ...]] = []

    def add_row(self, *cells: Cell) -> None:
        self.rows.append(cells)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.fitted(options.max_width)

    def fitted(self, width: int) -> Table:
        """The rich table for a width of `width` characters."""
        naturals = [
            max([_width(heading.title)] + [_width(row[i]) for row in self.rows])
            for i, heading in enumerate(self.headings)
        ]
        kept = self._kept(naturals, width)
        headings = [self.headings[i] for i in kept]
        made = Table(
            title=self.title, title_justify="left", title_style="bold", header_style="bold"
        )
        for heading, given in zip(headings, _widths(headings, naturals, kept, width), strict=True):
            made.add_column(heading.title, width=given, no_wrap=True, overflow="ellipsis")
        for row in self.rows:
            made.add_row(*(row[i] for i in kept))
        return made

    def _kept(self, naturals: list[int], width: int) -> list[int]:
        """The columns shown: all of them, less the droppable ones (highest `drop` first)
        until what is left fits, its droppable `shorten` columns at their shortest."""
        kept = list(range(len(self.headings)))
        least = [
            min(natural, SHORTEST) if heading.shorten and heading.drop else natural
            for heading, natural in zip(self.headings, naturals, strict=True)
        ]
        droppable = [i for i in kept if self.headings[i].drop]
        for column in sorted(droppable, key=lambda i: -self.headings[i].drop):
            if sum(least[i] for i in kept) + _frame(len(kept)) <= width:
                break
            kept.remove(column)
        return kept


def _width(cell: Cell) -> int:
    return (cell if isinstance(cell, Text) else Text(cell)).cell_len


def _frame(columns: int) -> int:
    """A table's borders and padding: a space each side of a cell, a line between cells and
    one at each edge."""
    return 3 * columns + 1


def _widths(headings: list[Heading], naturals: list[int], kept: list[int], width: int) -> list[int]:
    """The kept columns' widths: whole while they fit; else the droppable `shorten` columns
    share what the others leave, then all `shorten` columns do, then every column."""
    room = width - _frame(len(kept))
    wanted = [naturals[i] for i in kept]
    widths = list(wanted)
    stages = [
        [place for place, heading in enumerate(headings) if heading.shorten and heading.drop],
        [place for place, heading in enumerate(headings) if heading.shorten],
        list(range(len(headings))),
    ]
    for stage in stages:
        if sum(widths) <= room:
            break
        rest = sum(given for place, given in enumerate(widths) if place not in stage)
        shares = _fair([wanted[place] for place in stage], room - rest)
        for place, share in zip(stage, shares, strict=True):
            widths[place] = share
    return widths


def _fair(wants: list[int], room: int) -> list[int]:
    """`room` shared out: the narrowest get what they want first, the others split the rest
    evenly (one character at the least)."""
    given = list(wants)
    left = room
    for place, i in enumerate(sorted(range(len(wants)), key=lambda i: wants[i])):
        given[i] = max(1, min(wants[i], left // (len(wants) - place)))
        left -= given[i]
    return given
