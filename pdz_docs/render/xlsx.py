"""XLSX export of the financial cards: Scheda A and C, budget, resources per fund, co-financing, programming by card.

Every sheet lays out a table already computed in `finance.compute`. The totals a table
declares as sums (`Table.sums`) become spreadsheet formulas, so that an Ambito can work on
the figures in Excel or LibreOffice; each formula carries its computed value, so readers
that do not calculate (mail and file previews, programs reading values) show the totals
too. No other cell is a formula: every text is written as a text cell, and a text that a
spreadsheet would read as a formula once edited (OWASP's CSV-injection list: = + - @, tab,
carriage return, and their full-width forms) gets the "quote prefix" style, which keeps it
text without changing what is shown. Written with XlsxWriter, which stores a formula
together with its value; the bytes depend on the content only.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from pdz_docs.finance.table import Cell, Table
from pdz_docs.pipeline import Result
from pdz_docs.render.zipfix import normalize_zip

FIXED_DATE = datetime(2000, 1, 1)

# Sheet name → computed table id, in workbook order; "Programmazione schede" comes last.
TABLE_SHEETS = (
    ("Scheda A", "scheda_a"),
    ("Scheda C", "scheda_c"),
    ("Budget per fonte", "budget"),
    ("Risorse per fonte", "fonti_residuo"),   # per fund and group: available, programmed, left
    ("Cofinanziamento", "cofinanziamento_minimo"),
    ("Risorse comunali per area", "cofinanziamento_aree"),
    ("Cofinanziamento precedente", "cofinanziamento_precedente"),
)
PROGRAMME_SHEET = "Programmazione schede"

# [$-410] marks the formats as Italian: LibreOffice then shows "1.234,56 €" whatever the
# locale of the machine, Excel follows the user's own separators.
NUMBER_FORMATS = {
    "euro": '[$-410]#,##0.00 "€"',
    "int": "[$-410]#,##0",
    "signed": "[$-410]+#,##0;-#,##0;0",
    "dec": "[$-410]#,##0.00",
    "pct": "[$-410]0.00%",
    "signed_pct": "[$-410]+0.00%;-0.00%;0.00%",
    "date": "[$-410]d mmmm yyyy",
}

# A text starting with one of these becomes a formula when typed into a spreadsheet (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
MAX_SUM_ARGS = 255  # a spreadsheet function takes at most 255 arguments
HEADER_LIMIT = 255  # UTF-16 units of a page header, its codes included

BASE = {"font_name": "Arial", "font_size": 10}
BORDER = {"border": 1, "border_color": "#808080"}
STYLES = {
    "title": {**BASE, "font_size": 12, "bold": True, "text_wrap": True, "valign": "vcenter"},
    "header": {**BASE, **BORDER, "bold": True, "bg_color": "#D9E1F2", "align": "center", "valign": "vcenter",
               "text_wrap": True},
    "text": {**BASE, **BORDER, "valign": "top", "text_wrap": True},
    "number": {**BASE, **BORDER, "align": "right", "valign": "top"},
    "note": {**BASE, "font_size": 9, "italic": True, "text_wrap": True, "valign": "top"},
}
TOTAL = {"bold": True, "bg_color": "#F2F2F2"}
MAX_WIDTH = 45


def neutralised(text: str) -> bool:
    """Whether `text` needs the quote prefix to stay text when a user edits its cell."""
    return text.startswith(FORMULA_TRIGGERS)


class _Styles:
    """XlsxWriter formats, each created once, in a fixed order (the styles part is then stable)."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.wb = wb
        self.made: dict[tuple, object] = {}

    def get(self, kind: str, total: bool = False, fmt: str | None = None, quote: bool = False):
        key = (kind, total, fmt, quote)
        if key not in self.made:
            props = dict(STYLES[kind])
            if total:
                props.update(TOTAL)
            if fmt:
                props["num_format"] = NUMBER_FORMATS[fmt]
            if quote:
                props["quote_prefix"] = True
            self.made[key] = self.wb.add_format(props)
        return self.made[key]


class _Sheet:
    """A worksheet filled from top to bottom (rows and columns 0-based, as XlsxWriter counts)."""

    def __init__(self, ws: Worksheet, styles: _Styles, ncols: int) -> None:
        self.ws, self.styles, self.ncols = ws, styles, ncols
        self.row = 0
        self.widths: dict[int, int] = {}

    def text(self, r: int, c: int, text: str, kind: str, total: bool = False) -> None:
        """The only way text enters the sheet: a string cell, quote-prefixed when it looks like a formula."""
        style = self.styles.get(kind, total, quote=neutralised(text))
        if text:
            self.ws.write_string(r, c, text, style)
        else:
            self.ws.write_blank(r, c, None, style)

    def merged_text(self, r: int, first: int, last: int, text: str, kind: str, total: bool = False) -> None:
        if last > first:
            # merge_range writes its value with write(); the text is written below as a string
            self.ws.merge_range(r, first, r, last, None, self.styles.get(kind, total, quote=neutralised(text)))
        self.text(r, first, text, kind, total)

    def title(self, text: str) -> None:
        self.merged_text(self.row, 0, self.ncols - 1, text, "title")
        self._fit_merged(self.row, text, 1.3)
        self.row += 1

    def header(self, rows: tuple[tuple[str, ...], ...]) -> None:
        for hrow in rows:
            for j, text in enumerate(hrow):
                self.text(self.row, j, text, "header")
            self._height(self.row, dict(enumerate(hrow)))
            self.row += 1

    def table(self, table: Table) -> int:
        """Writes the body rows and their declared sums; returns the first body row."""
        first = self.row
        formulas = {(s.row, s.col): s for s in table.sums}
        for i, (cells, kind) in enumerate(zip(table.body, table.row_kinds)):
            r = first + i
            total = kind != "data"
            for j, cell in enumerate(cells):
                if cell.fmt == "text":
                    self.text(r, j, cell.text, "text", total)
                    continue
                style = self.styles.get("number", total, cell.fmt)
                value = _number(cell)
                s = formulas.get((i, j))
                formula = _sum_formula(table, s, first) if s is not None else None
                if value is None:
                    self.ws.write_blank(r, j, None, style)
                elif formula:
                    self.ws.write_formula(r, j, formula, style, value)
                elif isinstance(value, date):
                    self.ws.write_datetime(r, j, datetime.combine(value, time()), style)
                else:
                    self.ws.write_number(r, j, value, style)
            if not total:
                self._height(r, {j: cell.text for j, cell in enumerate(cells) if cell.fmt == "text"})
            elif cells[0].fmt == "text":  # a total's label spans the empty text cells after it
                end = 0
                while end + 1 < len(cells) and cells[end + 1].fmt == "text" and not cells[end + 1].text:
                    end += 1
                if end > 0:
                    self.merged_text(r, 0, end, cells[0].text, "text", True)
        self.row = first + len(table.body)
        return first

    def note(self, text: str) -> None:
        self.row += 1
        self.merged_text(self.row, 0, self.ncols - 1, text, "note")
        self._fit_merged(self.row, text, 1.0)
        self.row += 1

    def finish(self, first_body_row: int, landscape: bool, running_head: str) -> None:
        ws = self.ws
        for j, w in sorted(self.widths.items()):
            ws.set_column(j, j, min(w, MAX_WIDTH) + 3)
        ws.freeze_panes(first_body_row, 0)  # title and header stay in sight
        ws.repeat_rows(0, first_body_row - 1)
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_header(_page_header(running_head))
        ws.set_footer("&L&8&A&R&8Pagina &P di &N")

    def fit(self, table: Table) -> None:
        """Column widths from the content; call before writing, the title's height depends on them."""
        for j, text in enumerate(table.header[-1]):
            self._width(j, max((len(w) for w in text.split()), default=0))  # headers wrap at spaces
        for cells, kind in zip(table.body, table.row_kinds):
            for j, cell in enumerate(cells):
                # a total's label overflows into the empty cells beside it
                if kind == "data" or cell.fmt != "text":
                    self._width(j, len(cell.text))
        number_cols = {j for cells in table.body for j, cell in enumerate(cells) if cell.numeric}
        widest = max((self.widths[j] for j in number_cols), default=0)
        for j in number_cols:  # amounts side by side read better in columns of one width
            self.widths[j] = widest

    def _width(self, j: int, n: int) -> None:
        self.widths[j] = max(self.widths.get(j, 8), n)

    def _fit_merged(self, r: int, text: str, scale: float) -> None:
        span = sum(self._capacity(j) for j in range(self.ncols))
        self.ws.set_row(r, 13 * scale * _wrapped_lines(text, span / scale) + 4)

    def _capacity(self, j: int) -> float:
        # characters of Arial 10 in a column: the width unit is a digit of the default font, wider
        return (min(self.widths.get(j, 8), MAX_WIDTH) + 3) * 1.25

    def _height(self, r: int, texts: dict[int, str]) -> None:
        # spreadsheets do not re-fit row heights when opening a file: give wrapped rows their height
        lines = max((_wrapped_lines(t, self._capacity(j)) for j, t in texts.items()), default=1)
        if lines > 1:
            self.ws.set_row(r, 13 * lines + 2)


def _page_header(text: str) -> str:
    """The running head as a centred 8-point page header.

    In a header "&" starts a code (&P is the page number, &G a picture): the text's own
    ampersands become the full-width "＆", which reads the same and codes nothing. A head longer
    than the format allows is shortened (the writer would otherwise drop the whole header).
    """
    codes = "&C&8"
    text = text.replace("&", "＆")

    def units(t: str) -> int:
        return len(t.encode("utf-16-le")) // 2

    if units(codes + text) > HEADER_LIMIT:
        while units(codes + text + "…") > HEADER_LIMIT:
            text = text[:-1]
        text = text.rstrip() + "…"
    return codes + text


def _wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes when wrapped at spaces in a column `width` characters wide."""
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > width:
                lines += 1
                used = 0
            used += (1 if used else 0) + len(word)
    return max(lines, 1)


def _number(cell: Cell) -> Decimal | int | date | None:
    """The cell's value as the spreadsheet stores it: exact numbers, percentages as fractions."""
    if cell.value is None:
        return None
    if cell.fmt in ("pct", "signed_pct"):
        return Decimal(cell.value) / 100  # the percent format multiplies by 100 on display
    return cell.value


def _runs(indices) -> list[tuple[int, int]]:
    """Sorted indices as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for i in sorted(set(indices)):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _sum_formula(table: Table, s, first: int) -> str | None:
    """`=SUM(…)` over the declared block, or None when the block does not give the computed figure
    exactly (then the figure itself is written: the sheet never disagrees with the PDF)."""
    value = table.body[s.row][s.col].value
    addends = [table.body[i][j].value if table.body[i][j].numeric else None for i in s.rows for j in s.cols]
    if value is None or not addends or sum((v for v in addends if v is not None), Decimal(0)) != value:
        return None
    areas = []
    for r1, r2 in _runs(s.rows):
        for c1, c2 in _runs(s.cols):
            a, b = xl_rowcol_to_cell(first + r1, c1), xl_rowcol_to_cell(first + r2, c2)
            areas.append(a if a == b else f"{a}:{b}")
    if len(areas) > MAX_SUM_ARGS:
        return None
    return f"=SUM({','.join(areas)})"


def _table_sheet(ws: Worksheet, styles: _Styles, table: Table, running_head: str) -> None:
    sh = _Sheet(ws, styles, table.ncols)
    sh.fit(table)
    sh.title(table.title)
    sh.header(table.header)
    first = sh.table(table)
    if table.note:
        sh.note(table.note)
    sh.finish(first, table.landscape, running_head)


def render_xlsx(result: Result) -> bytes:
    p = result.plan.piano
    running_head = f"Ambito Territoriale Sociale di {p.ambito} – {p.titolo} {p.ciclo}"
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False})
    styles = _Styles(wb)
    sheets = [(name, result.computed.tables[tid]) for name, tid in TABLE_SHEETS if tid in result.computed.tables]
    sheets.append((PROGRAMME_SHEET, result.computed.programmazione))
    for name, table in sheets:
        _table_sheet(wb.add_worksheet(name), styles, table, running_head)
    wb.set_properties({
        "title": f"{p.titolo} {p.ciclo} – Schede finanziarie",
        "subject": f"{p.titolo} {p.ciclo}",
        "author": f"Ambito Territoriale Sociale di {p.ambito}",
        "comments": "Prodotto con pdz-docs dai file del piano: i totali sono formule.",
        "created": FIXED_DATE,
    })
    wb.close()
    return normalize_zip(buf.getvalue())
