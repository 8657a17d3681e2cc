"""Neutral table objects: computed once, laid out by every renderer (HTML/PDF, DOCX, XLSX)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pdz_docs.finance import money

FORMATTERS = {
    "euro": money.fmt_euro,
    "int": money.fmt_int,
    "signed": lambda v: money.fmt_int(v, signed=True),
    "pct": money.fmt_pct,
    "dec": money.fmt_dec,
    "date": money.fmt_date,
}


@dataclass(frozen=True)
class Cell:
    """One value and how it is shown; numbers are right-aligned by renderers."""

    value: Decimal | int | str | date | None
    fmt: str = "text"  # text | euro | int | signed | pct | dec | date

    @property
    def text(self) -> str:
        if self.fmt == "text":
            return "" if self.value is None else str(self.value)
        return FORMATTERS[self.fmt](self.value)

    @property
    def numeric(self) -> bool:
        return self.fmt in ("euro", "int", "signed", "pct", "dec")

    def __str__(self) -> str:
        return self.text


def cells(*values, fmt: str = "text") -> tuple[Cell, ...]:
    return tuple(v if isinstance(v, Cell) else Cell(v, fmt) for v in values)


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    header: tuple[tuple[str, ...], ...]
    rows: tuple[tuple[Cell, ...], ...]
    totals: tuple[tuple[Cell, ...], ...] = ()
    note: str | None = None
    widths: tuple[int, ...] = ()   # relative column widths, for renderers
    landscape: bool = False

    @property
    def ncols(self) -> int:
        return len(self.header[-1]) if self.header else (len(self.rows[0]) if self.rows else 0)
