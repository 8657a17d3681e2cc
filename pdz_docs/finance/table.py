"""Neutral table objects: computed once, laid out by every renderer (HTML/PDF, DOCX, XLSX).

A table says what its figures are, not how they look: each body row has a kind (data,
subtotal, total) and a total that is the sum of other cells is declared as a `Sum`, so a
renderer that can compute (the XLSX) writes exactly those cells as formulas and no others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pdz_docs.finance import money

def _change(fmt):
    """A change between two versions, with its sign apart: «+ € 1.000,00», «− 10»; none when nothing changed."""
    return lambda v: fmt(abs(v)) if v == 0 else ("+ " if v > 0 else money.MINUS + " ") + fmt(abs(v))


FORMATTERS = {
    "euro": money.fmt_euro,
    "int": money.fmt_int,
    "signed": lambda v: money.fmt_int(v, signed=True),
    "pct": money.fmt_pct,
    "signed_pct": lambda v: money.fmt_pct(v, signed=True),
    "dec": money.fmt_dec,
    "date": money.fmt_date,
    # comparing two versions of the plan (pdz diff): a change, and a value one version does not have
    "change_euro": _change(money.fmt_euro),
    "change_int": _change(money.fmt_int),
    "change_dec": _change(money.fmt_dec),
    "absent": lambda v: "—",
}


@dataclass(frozen=True)
class Cell:
    """One value and how it is shown; numbers are right-aligned by renderers."""

    value: Decimal | int | str | date | None
    fmt: str = "text"  # text | date | a figure: euro | int | signed | pct | signed_pct | dec | change_… | absent

    @property
    def text(self) -> str:
        if self.fmt == "text":
            return "" if self.value is None else str(self.value)
        return FORMATTERS[self.fmt](self.value)

    @property
    def numeric(self) -> bool:
        return self.fmt not in ("text", "date")

    def __str__(self) -> str:
        return self.text


def cells(*values, fmt: str = "text") -> tuple[Cell, ...]:
    return tuple(v if isinstance(v, Cell) else Cell(v, fmt) for v in values)


RowKind = Literal["data", "subtotal", "total"]


@dataclass(frozen=True)
class Sum:
    """A cell declared as the sum of a block of cells of the same table.

    Indices are 0-based into `Table.body` (the rows, then the totals) and its columns: the cell
    (row, col), when its value is known, equals to the cent the sum of the known values (None is
    left out) at `rows` × `cols`. Only figures that are such sums are declared.
    """

    row: int
    col: int
    rows: tuple[int, ...]
    cols: tuple[int, ...]


def sums_down(row: int, rows, cols) -> tuple[Sum, ...]:
    """Cells (row, c) for each c in `cols`, each the sum of column c over `rows`."""
    return tuple(Sum(row, c, tuple(rows), (c,)) for c in cols)


def sums_across(rows, cols, col: int) -> tuple[Sum, ...]:
    """Cells (r, col) for each r in `rows`, each the sum of row r over `cols`."""
    return tuple(Sum(r, col, (r,), tuple(cols)) for r in rows)


@dataclass(frozen=True)
class Table:
    """A computed table: header rows, body rows with their kinds, declared sums, a note."""

    id: str
    title: str
    header: tuple[tuple[str, ...], ...]
    rows: tuple[tuple[Cell, ...], ...]
    totals: tuple[tuple[Cell, ...], ...] = ()
    note: str | None = None
    widths: tuple[int, ...] = ()   # relative column widths, for renderers
    landscape: bool = False
    kinds: tuple[RowKind, ...] = ()  # one per row of `body`; empty: rows are data, totals are total
    sums: tuple[Sum, ...] = ()

    @property
    def body(self) -> tuple[tuple[Cell, ...], ...]:
        return self.rows + self.totals

    @property
    def row_kinds(self) -> tuple[RowKind, ...]:
        if self.kinds:
            return self.kinds
        return ("data",) * len(self.rows) + ("total",) * len(self.totals)

    @property
    def numeric_columns(self) -> frozenset[int]:
        """The columns holding figures: renderers align them, and their headers, to the right."""
        return frozenset(j for row in self.body for j, cell in enumerate(row) if cell.numeric)

    @property
    def ncols(self) -> int:
        return len(self.header[-1]) if self.header else (len(self.rows[0]) if self.rows else 0)
