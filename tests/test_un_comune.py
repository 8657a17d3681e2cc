"""A one-Comune Ambito with its resources as the Region presents them at the start of the cycle.

The fixture `tests/fixtures/un-comune` has pending funds (with and without an expected figure),
`ciclo` residui, sources of its own, notes on amounts, municipal resources by area, cards that
program single funds and amounts pending or conditional. It passes `pdz check`, and its tables
read as one Comune: no total row that only repeats the Comune's, the singular, no FNPS quota
table when no quotas are given. `pdz new` with one Comune writes its sentences in the singular.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import FIXTURES, edit, line_of
from pdz_docs.cli import main
from pdz_docs.pipeline import run

PLAN = FIXTURES / "un-comune"


def texts(rows) -> list[list[str]]:
    return [[c.text for c in row] for row in rows]


@pytest.fixture(scope="module")
def result():
    res, problems = run(PLAN)
    return res, problems


def test_checks(result):
    """No error; the conditional card amount is a warning at its line; resources left are warned per fund."""
    _, problems = result
    got = sorted((Path(p.loc.file).name, p.loc.line, p.code, p.severity) for p in problems)
    fin, card = PLAN / "finanza.yaml", PLAN / "schede" / "C.1.yaml"
    assert got == sorted([
        ("C.1.yaml", line_of(card, "FNA: {importo"), "fonte-in-attesa", "avviso"),
        ("finanza.yaml", line_of(fin, "RES-PDZ:"), "da-programmare", "avviso"),      # PdZ, its first member
        ("finanza.yaml", line_of(fin, "  FPOV:"), "da-programmare", "avviso"),       # QFP
        ("finanza.yaml", line_of(fin, "  ILVA: {ciclo"), "da-programmare", "avviso"),
        ("finanza.yaml", line_of(fin, "  MSNA: {ciclo"), "da-programmare", "avviso"),
        ("finanza.yaml", line_of(fin, "  PNRR:"), "da-programmare", "avviso")])


def test_tables_read_as_one_comune(result):
    res, _ = result
    t = res.computed.tables
    assert t["territorio"].header[0][0] == "Comune"
    assert texts(t["territorio"].totals) == [["Ambito (1 Comune)", "249,86", "190.000", "760,43"]]
    assert texts(t["fasce_eta"].rows)[0][0] == "Taranto"
    assert [r[0] for r in texts(t["fasce_eta"].totals)] == ["Totale in %"]      # no «Totale Ambito» repeating it
    assert texts(t["famiglie"].body) == [["Taranto", "80.000", "190.000", "2,38"]]
    assert t["cofinanziamento_minimo"].totals == () and len(t["cofinanziamento_minimo"].rows) == 1
    assert "fnps_quote" not in t                                                 # no quotas given: no table
    assert res.computed.cifre["fnps"]["totale"].text == "€ 2.918.955,68"


def test_money_in_each_state(result):
    res, _ = result
    t = res.computed.tables
    budget = {r[0]: r[1:] for r in texts(t["budget"].rows)}
    assert budget["Fondo Non Autosufficienza"] == [
        "PdZ", "€ 564.500,15, esclusi gli importi in attesa di assegnazione",
        "2023: in attesa di assegnazione; 2024: in attesa di assegnazione"]
    assert budget["Fondo Povertà – quota per la povertà estrema"] == [
        "", "in attesa di assegnazione", "ciclo: in attesa di assegnazione – Fondo Povertà estrema 2021"]
    assert texts(t["cofinanziamento_aree"].totals) == [["Totale", "€ 8.321.900,00"]]
    # the writer's notes on an amount are printed in every table that shows the amount
    assert texts(t["fgsa"].rows)[1] == ["2023", "€ 455.673,59", "anticipo 70% di quota parte FGSA 2022-2024 € 911.347,17"]
    assert texts(t["fondo_poverta"].rows) == [
        ["Quota Fondo Povertà", "€ 3.434.648,45, esclusi gli importi in attesa di assegnazione",
         "2023: in attesa di assegnazione; 2024: in attesa di assegnazione"]]
    qfp = res.computed.cifre["fondo_poverta"]
    assert [qfp[k].text for k in ("quota", "residui")] == [
        "€ 3.434.648,45, esclusi gli importi in attesa di assegnazione", "non indicato dalla fonte"]
    residuo = {r[0]: r[2:] for r in texts(t["fonti_residuo"].rows)}
    assert residuo["FNPS"] == ["€ 2.918.955,68", "€ 900.000,00", "€ 2.018.955,68"]   # programmed on its own
    # programmed beyond the known FNA, conditionally on the pending years: nothing left, never a negative amount
    assert residuo["FNA"] == ["€ 564.500,15, esclusi gli importi in attesa di assegnazione", "€ 764.500,15",
                              "€ 0,00 sulle risorse note; € 200.000,00 programmati sulle risorse in attesa di "
                              "assegnazione"]
    assert residuo["MSNA"][0] == "€ 1.500.000,00"

    a = {(r[0] or "", r[2]): r[3:] for r in texts(t["scheda_a"].rows)}
    assert a[("", "FNA")] == ["€ 0,00", "in attesa di assegnazione (previsto € 50.000,00)", "€ 0,00",
                              "in attesa di assegnazione (previsto € 50.000,00)"]
    assert a[("", "COM")][2] == "non indicato dalla fonte"
    c1 = res.computed.schede["C.1"]
    assert [a.testo for a in c1.anni] == ["€ 1.564.500,15", "€ 200.000,00, esclusi gli importi in attesa di assegnazione"]


def test_outputs(tmp_path: Path):
    """The DOCX and XLSX carry no total row that repeats the Comune's, and no blank amount."""
    out = tmp_path / "out"
    assert main(["build", str(PLAN), "--format", "docx,xlsx", "--output", str(out)]) == 0
    xml = zipfile.ZipFile(next(out.glob("*.docx"))).read("word/document.xml").decode("utf-8").replace("\u00a0", " ")   # amounts keep their no-break space
    text = re.sub(r"<[^>]+>", " ", xml)
    assert "Totale Ambito" not in text and "________" not in text and "1 Comuni" not in text
    assert "Ambito (1 Comune)" in text and "in attesa di assegnazione (previsto € 50.000,00)" in text
    # a total that counts an amount conditional on the assignment says so, in every format
    conditional = "I totali comprendono importi condizionati all'assegnazione delle risorse: C.1 FNA 2023."
    assert conditional in text
    wb = openpyxl.load_workbook(io.BytesIO(next(out.glob("*.xlsx")).read_bytes()))
    cof = [row for row in wb["Cofinanziamento"].iter_rows(min_row=3, values_only=True) if row[0]]
    assert [row[0] for row in cof] == ["Taranto"]
    assert conditional in [row[0] for row in wb["Scheda A"].iter_rows(values_only=True)]
    assert "fnps_quote" not in wb.sheetnames


def test_new_one_comune_in_the_singular(tmp_path: Path, capsys):
    plan = tmp_path / "piano"
    assert main(["new", str(plan), "--ambito", "Taranto", "--provincia", "Taranto", "--comuni", "Taranto"]) == 0
    assert main(["check", str(plan), "--strict"]) == 0
    capsys.readouterr()
    chapters = " ".join(p.read_text(encoding="utf-8") for p in sorted((plan / "capitoli").glob("*.md")))
    assert "coincide con il Comune di {{ cifre.ambito.comuni }}" in chapters
    assert "gestisce direttamente le funzioni e i servizi sociali" in chapters
    for plural in ("Comuni:", "dei Comuni", "i Comuni", "in forma associata"):
        assert plural not in chapters, plural


def test_invalid_finanza_keeps_the_plans_own_sources(tmp_path: Path):
    """A mistake elsewhere in finanza.yaml is reported there only: the cards' ILVA (declared in «fonti») is not
    «sconosciuta»; a source declared nowhere still is."""
    plan = tmp_path / "piano"
    shutil.copytree(PLAN, plan)
    edit(plan / "finanza.yaml", 'Accesso al welfare: {2022: "€ 100.000,00"}',
         'Accesso al welfare: {2022: "€ 100.000,00", 2023: mille}')
    edit(plan / "schede" / "A.2.yaml", "    RES-PDZ: € 25.139,87", "    RES-PDZ: € 25.139,87\n    ILVAA: € 1,00")
    _, problems = run(plan)
    got = [(Path(p.loc.file).name, p.loc.line, p.code) for p in problems if p.severity == "errore"]
    assert got == [("finanza.yaml", line_of(plan / "finanza.yaml", "Accesso al welfare"), "importo-non-valido"),
                   ("A.2.yaml", line_of(plan / "schede" / "A.2.yaml", "ILVAA"), "fonte-sconosciuta")]


def test_check_summary_says_each_state(capsys):
    """The summary `pdz check` prints per fund is the per-fund table's: what is left on the known resources
    of a fund with pending or not-given amounts, never a bare «—»."""
    assert main(["check", str(PLAN)]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
    assert "/ € 12.403.165,12 sulle risorse note" in lines["PdZ"]
    assert ("/ € 0,00 sulle risorse note; € 200.000,00 programmati sulle risorse in attesa di assegnazione"
            in lines["FNA"])


def test_left_to_program_period_by_period(tmp_path: Path):
    """What is left of a fund's known resources is counted period by period, as the da-programmare warning
    counts it: the 2022 Fondo Povertà left unprogrammed is not eaten by what a card programs, conditionally,
    on the pending 2023."""
    plan = tmp_path / "piano"
    shutil.copytree(PLAN, plan)
    edit(plan / "schede" / "C.1.yaml", "    FNA: {importo: \"€ 200.000,00\", condizionato: si}",
         "    QFP: {importo: \"€ 3.434.648,46\", condizionato: si}")
    res, problems = run(plan)
    assert [p.code for p in problems if p.severity == "errore"] == []
    residuo = {r[0]: r[2:] for r in texts(res.computed.tables["fonti_residuo"].rows)}
    assert residuo["QFP (FPOV, RES-FPOV)"][2] == (
        "€ 3.434.648,45 sulle risorse note; € 3.434.648,46 programmati sulle risorse in attesa di assegnazione")
    warned = [p.message for p in problems if p.code == "da-programmare" and "QFP" in p.message]
    assert warned == ["la fonte QFP ha € 3.434.648,45 da programmare nel 2022 (disponibili € 3.434.648,45, "
                      "programmati € 0,00)"]
