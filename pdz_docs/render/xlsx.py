"""XLSX export of the financial cards: Scheda A and C, budget, co-financing, programming by card.

Every sheet lays out tables already computed in `finance.compute`; the only thing this
module adds is totals written as spreadsheet formulas, so that an Ambito can work on the
figures in Excel or LibreOffice. A formula is written only where it gives exactly the
computed total (checked here, to the cent); otherwise the computed value is written, so
the spreadsheet never shows a figure that differs from the PDF.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from pdz_docs.finance.compute import fonte_nome
from pdz_docs.finance.money import ZERO
from pdz_docs.finance.table import Cell, Table
from pdz_docs.pipeline import Result
from pdz_docs.render.zipfix import normalize_zip

FIXED_DATE = datetime(2000, 1, 1)

# Sheet name → computed table id, in workbook order; "Programmazione schede" comes last.
TABLE_SHEETS = (
    ("Scheda A", "scheda_a"),
    ("Scheda C", "scheda_c"),
    ("Budget per fonte", "budget"),
    ("Cofinanziamento", "cofinanziamento_minimo"),
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
    "date": "[$-410]d mmmm yyyy",
}
SUMMABLE = ("euro", "int", "signed", "dec")

_thin = Side(style="thin", color="808080")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
FONT = Font(name="Arial", size=10)
BOLD = Font(name="Arial", size=10, bold=True)
TITLE_FONT = Font(name="Arial", size=12, bold=True)
NOTE_FONT = Font(name="Arial", size=9, italic=True)
MAX_WIDTH = 45


@dataclass
class _Sheet:
    """A worksheet being filled row by row, remembering the numbers written for the total check."""

    ws: Worksheet
    ncols: int
    row: int = 1
    values: dict[tuple[int, int], Decimal | int | None] = field(default_factory=dict)
    texts: dict[tuple[int, int], str] = field(default_factory=dict)
    widths: dict[int, int] = field(default_factory=dict)

    def title(self, text: str) -> None:
        ws, r = self.ws, self.row
        ws.cell(r, 1, text).font = TITLE_FONT
        ws.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="center")
        if self.ncols > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=self.ncols)
        self._fit_merged(r, text, 1.3)
        self.row += 1

    def header(self, rows: tuple[tuple[str, ...], ...]) -> None:
        for hrow in rows:
            for j, text in enumerate(hrow, 1):
                c = self.ws.cell(self.row, j, text or None)
                c.font, c.fill, c.border = BOLD, HEADER_FILL, BORDER
                c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            self._height(self.row, {j: text for j, text in enumerate(hrow, 1)})
            self.row += 1

    def body(self, cells: tuple[Cell, ...], total: bool = False) -> int:
        r = self.row
        for j, cell in enumerate(cells, 1):
            c = self.ws.cell(r, j)
            c.border, c.font = BORDER, BOLD if total else FONT
            if total:
                c.fill = TOTAL_FILL
            self.texts[(r, j)] = cell.text if cell.fmt == "text" else ""
            if cell.fmt == "text":
                c.value = cell.text or None
                c.alignment = Alignment(vertical="top", wrap_text=True)
                continue
            self.values[(r, j)] = cell.value
            c.value = _number(cell)
            c.number_format = NUMBER_FORMATS[cell.fmt]
            c.alignment = Alignment(horizontal="right", vertical="top")
        if not total:
            self._height(r, {j: cell.text for j, cell in enumerate(cells, 1) if cell.fmt == "text"})
        if total and cells[0].fmt == "text":  # the label spans the empty text cells after it
            end = 1
            while end < len(cells) and cells[end].fmt == "text" and not cells[end].text:
                end += 1
            if end > 1:
                self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=end)
        self.row += 1
        return r

    def total(self, r: int, j: int, cell: Cell, rows: range, cols: range,
              match: tuple[int, str] | None = None) -> None:
        """Replace cell (r, j) with a SUM (or SUMIF on column match[0] == match[1]) formula when
        the formula gives exactly the computed value; otherwise keep the value written."""
        if cell.fmt not in SUMMABLE or cell.value is None or not rows or not cols:
            return
        addends = [self.values.get((i, k)) for i in rows for k in cols
                   if match is None or self.texts.get((i, match[0])) == match[1]]
        if sum((v for v in addends if v is not None), Decimal(0)) != cell.value:
            return
        area = f"{_ref(rows[0], cols[0])}:{_ref(rows[-1], cols[-1])}"
        if match is None:
            self.ws.cell(r, j).value = f"=SUM({area})"
        else:
            crit = match[1].replace('"', '""')
            col = get_column_letter(match[0])
            self.ws.cell(r, j).value = f'=SUMIF(${col}${rows[0]}:${col}${rows[-1]},"{crit}",{area})'

    def note(self, text: str) -> None:
        self.row += 1
        c = self.ws.cell(self.row, 1, text)
        c.font, c.alignment = NOTE_FONT, Alignment(wrap_text=True, vertical="top")
        if self.ncols > 1:
            self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=self.ncols)
        self._fit_merged(self.row, text, 1.0)
        self.row += 1

    def finish(self, first_body_row: int, landscape: bool, running_head: str) -> None:
        ws = self.ws
        for j, w in sorted(self.widths.items()):
            ws.column_dimensions[get_column_letter(j)].width = min(w, MAX_WIDTH) + 3
        ws.freeze_panes = _ref(first_body_row, 1)  # title and header stay in sight
        ws.print_title_rows = f"1:{first_body_row - 1}"
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.oddHeader.center.text = running_head
        ws.oddHeader.center.size = 8
        ws.oddFooter.left.text = "&A"
        ws.oddFooter.right.text = "Pagina &P di &N"
        ws.oddFooter.left.size = ws.oddFooter.right.size = 8

    def fit(self, header: tuple[str, ...], rows, totals) -> None:
        """Column widths from the content; call before writing, the title's height depends on them."""
        for j, text in enumerate(header, 1):
            self._width(j, max((len(w) for w in text.split()), default=0))  # headers wrap at spaces
        for row in rows:
            for j, cell in enumerate(row, 1):
                self._width(j, len(cell.text))
        for row in totals:  # a total's label overflows into the empty cells beside it
            for j, cell in enumerate(row, 1):
                if cell.fmt != "text":
                    self._width(j, len(cell.text))
        number_cols = {j for row in (*rows, *totals) for j, cell in enumerate(row, 1) if cell.numeric}
        widest = max((self.widths[j] for j in number_cols), default=0)
        for j in number_cols:  # amounts side by side read better in columns of one width
            self.widths[j] = widest

    def _width(self, j: int, n: int) -> None:
        self.widths[j] = max(self.widths.get(j, 8), n)

    def _fit_merged(self, r: int, text: str, scale: float) -> None:
        span = sum(self._capacity(j) for j in range(1, self.ncols + 1))
        self.ws.row_dimensions[r].height = 13 * scale * _wrapped_lines(text, span / scale) + 4

    def _capacity(self, j: int) -> float:
        # characters of Arial 10 in a column: the width unit is a digit of the default font, wider
        return (min(self.widths.get(j, 8), MAX_WIDTH) + 3) * 1.25

    def _height(self, r: int, texts: dict[int, str]) -> None:
        # spreadsheets do not re-fit row heights when opening a file: give wrapped rows their height
        lines = max((_wrapped_lines(t, self._capacity(j)) for j, t in texts.items()), default=1)
        if lines > 1:
            self.ws.row_dimensions[r].height = 13 * lines + 2


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


def _ref(r: int, c: int) -> str:
    return f"{get_column_letter(c)}{r}"


def _number(cell: Cell) -> Decimal | int | date | None:
    """The cell's value as the spreadsheet stores it: exact numbers, percentages as fractions."""
    if cell.value is None:
        return None
    if cell.fmt == "pct":
        return Decimal(cell.value) / 100  # the percent format multiplies by 100 on display
    return cell.value


def _sum_span(header: tuple[str, ...], cells: tuple[Cell, ...], j: int) -> range:
    """For a "Totale" column, the run of same-format number columns just before it."""
    if header[j - 1] != "Totale":
        return range(0)
    k = j - 1
    while k >= 1 and cells[k - 1].fmt == cells[j - 1].fmt and header[k - 1] != "Totale":
        k -= 1
    return range(k + 1, j)


def _row_totals(sh: _Sheet, header: tuple[str, ...], r: int, cells: tuple[Cell, ...]) -> None:
    for j, cell in enumerate(cells, 1):
        span = _sum_span(header, cells, j)
        if span:
            sh.total(r, j, cell, range(r, r + 1), span)


def _table_sheet(ws: Worksheet, table: Table, running_head: str) -> None:
    sh = _Sheet(ws, table.ncols)
    sh.fit(table.header[-1], table.rows, table.totals)
    sh.title(table.title)
    sh.header(table.header)
    header = table.header[-1]
    first = sh.row
    for cells in table.rows:
        r = sh.body(cells)
        _row_totals(sh, header, r, cells)
    body = range(first, sh.row)
    # rows grouped by source ("Totale PdZ" sums the rows whose "Fonte" is PdZ), as in Schede A and C
    fonte_col = header.index("Fonte") + 1 if "Fonte" in header else None
    for cells in table.totals:
        r = sh.body(cells, total=True)
        label = cells[0].text
        match = None
        if fonte_col and label.startswith("Totale ") and label.removeprefix("Totale ") in {
                sh.texts.get((i, fonte_col)) for i in body}:
            match = (fonte_col, label.removeprefix("Totale "))
        for j, cell in enumerate(cells, 1):
            sh.total(r, j, cell, body, range(j, j + 1), match)
    if table.note:
        sh.note(table.note)
    sh.finish(first, table.landscape, running_head)


def _programme_sheet(ws: Worksheet, result: Result, running_head: str) -> None:
    """Every card's yearly amounts by source (the rows of Schede A and C, card by card) and its totals."""
    r, computed = result.plan.regole, result.computed
    years = [str(y) for y in r.anni]
    header = ("Codice", "Servizio / intervento", "Fonte", "Denominazione della fonte", *years, "Totale")
    rows_of: dict[str, list[tuple[Cell, ...]]] = {}
    for tid in ("scheda_a", "scheda_c"):
        code = ""
        for cells in computed.tables[tid].rows:
            code = cells[0].text or code
            rows_of.setdefault(code, []).append(cells)
    titles = {s.scheda.codice: s.scheda.titolo for s in result.plan.schede}
    order = {c: i for i, c in enumerate(r.nomenclatore)}
    cards = []  # (source rows, card total row) per card, in the nomenclatore's order
    for code in sorted(computed.schede, key=lambda c: order.get(c, len(order))):
        prog = computed.schede[code]
        lines = [(Cell(code if k == 0 else ""), Cell(titles[code] if k == 0 else ""), cells[2],
                  Cell(fonte_nome(r, cells[2].text)), *cells[3:])
                 for k, cells in enumerate(rows_of.get(code, []))]
        if not lines:  # a card with no programming at all
            lines = [(Cell(code), Cell(titles[code]), Cell(""), Cell(""), *(Cell(None, "euro") for _ in header[4:]))]
        # a year the card does not program is 0 (its rows show 0,00); a year with an unknown amount is blank
        by_year = {str(a.anno): a.importo for a in prog.anni}
        default = ZERO if prog.anni else None
        total = (Cell(f"Totale {code}"), Cell(""), Cell(""), Cell(""),
                 *(Cell(by_year.get(y, default), "euro") for y in years), Cell(prog.totale, "euro"))
        cards.append((lines, total))
    sh = _Sheet(ws, len(header))
    sh.fit(header, [line for lines, _ in cards for line in lines], [t for _, t in cards])
    sh.title(f"Programmazione economica delle schede di progettazione ({r.ciclo})")
    sh.header((header,))
    first = sh.row
    for lines, total in cards:
        start = sh.row
        for line in lines:
            _row_totals(sh, header, sh.body(line), line)
        tr = sh.body(total, total=True)
        for j in range(5, len(header) + 1):
            sh.total(tr, j, total[j - 1], range(start, tr), range(j, j + 1))
    sh.note("Per ogni scheda, gli importi per fonte riportati nelle Schede A e C. "
            "Le celle in bianco sono importi non ancora noti.")
    sh.finish(first, True, running_head)


def render_xlsx(result: Result) -> bytes:
    p = result.plan.piano
    running_head = f"Ambito Territoriale Sociale di {p.ambito} – {p.titolo} {p.ciclo}"
    wb = Workbook()
    wb.remove(wb.active)
    for name, tid in TABLE_SHEETS:
        if tid in result.computed.tables:
            _table_sheet(wb.create_sheet(name), result.computed.tables[tid], running_head)
    _programme_sheet(wb.create_sheet(PROGRAMME_SHEET), result, running_head)
    props = wb.properties
    props.title = f"{p.titolo} {p.ciclo} – Schede finanziarie"
    props.subject = f"{p.titolo} {p.ciclo}"
    props.creator = f"Ambito Territoriale Sociale di {p.ambito}"
    props.lastModifiedBy = "pdz-docs"
    props.description = "Prodotto con pdz-docs dai file del piano: i totali sono formule."
    props.language = "it-IT"
    props.created = props.modified = FIXED_DATE
    buf = io.BytesIO()
    # not Workbook.save: it stamps the current time as the modification date
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return normalize_zip(buf.getvalue())
