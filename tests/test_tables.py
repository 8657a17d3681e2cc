"""Every computed table of the small fixture plan, against figures computed by hand.

Fixture: Alfa 3.000 inhabitants, Beta 1.000, 100 km²; FNPS 100.000 a year, FNA and FGSA 50.000 in 2022,
co-financing 250.000 a year, historical spending 450.000 + 150.000 over 2018-2020, one card A.1.
"""

from __future__ import annotations

import pytest

from pdz_docs.pipeline import run


@pytest.fixture(scope="module")
def tables():
    from conftest import FIXTURES, UNPROGRAMMED

    result, problems = run(FIXTURES / "minimo")
    assert [p for p in problems if p.code != UNPROGRAMMED] == []
    return result.computed.tables


def texts(table, part="rows"):
    return [[c if isinstance(c, str) else c.text for c in row] for row in getattr(table, part)]


def test_territorio(tables):
    assert texts(tables["territorio"], "totals") == [["Ambito (2 Comuni)", "100,00", "4.000", "40,00"]]


def test_fasce_eta(tables):
    t = tables["fasce_eta"]
    assert texts(t)[1] == ["Beta", "30", "100", "40", "150", "480", "200", "1.000"]
    assert texts(t, "totals") == [
        ["Totale Ambito", "130", "400", "140", "650", "1.880", "800", "4.000"],
        ["Totale in %", "3,25%", "10,00%", "3,50%", "16,25%", "47,00%", "20,00%", "100,00%"]]


def test_famiglie_e_migrazioni(tables):
    assert texts(tables["famiglie"], "totals") == [["Totale Ambito", "1.600", "4.000", "2,50"]]
    assert texts(tables["migrazioni"]) == [["Alfa", "30", "20", "−10"], ["Beta", "10", "15", "+5"]]
    assert texts(tables["migrazioni"], "totals") == [["Totale Ambito", "40", "35", "−5"]]


def test_rendiconto_e_spesa_storica(tables):
    assert texts(tables["rendiconto"]) == [["€ 1.000.000,00", "€ 950.000,00", "€ 50.000,00", "95,00%"]]
    assert texts(tables["spesa_storica"]) == [["Alfa", "€ 450.000,00", "€ 150.000,00"],
                                              ["Beta", "€ 150.000,00", "€ 50.000,00"]]
    assert texts(tables["spesa_storica"], "totals") == [["Totale Ambito", "€ 600.000,00", "€ 200.000,00"]]


def test_fnps_quote_lists_every_year(tables):
    t = tables["fnps_quote"]
    assert [row[:5] for row in texts(t)] == [["2022", "€ 100.000,00", "€ 60.000,00", "€ 40.000,00", "—"],
                                            ["2023", "€ 100.000,00", "—", "—", "—"],
                                            ["2024", "€ 100.000,00", "—", "—", "—"]]
    assert texts(t, "totals")[0] == ["Totale", "€ 300.000,00", "€ 60.000,00", "€ 40.000,00", "—", "—", "—",
                                     "€ 100.000,00"]
    assert t.note == "«—»: quota non indicata in finanza.yaml."


def test_fgsa_fna(tables):
    assert texts(tables["fgsa"]) == [["2022", "€ 50.000,00"]]
    assert texts(tables["fna"], "totals") == [["Totale FNA disponibile", "", "", "€ 50.000,00"]]


def test_cofinanziamento_minimo(tables):
    t = tables["cofinanziamento_minimo"]
    assert texts(t) == [["Alfa", "3.000", "€ 150.000,00", "€ 75.000,00", "€ 75.000,00"],
                        ["Beta", "1.000", "€ 50.000,00", "€ 25.000,00", "€ 25.000,00"]]
    assert texts(t, "totals") == [["Totale", "4.000", "€ 200.000,00", "€ 100.000,00", "€ 100.000,00"]]


def test_budget(tables):
    t = tables["budget"]
    assert [row[2] for row in texts(t)] == ["€ 300.000,00", "€ 50.000,00", "€ 50.000,00", "€ 750.000,00"]
    assert texts(t, "totals") == [["Budget PdZ 2022-2024", "", "€ 1.150.000,00"]]


def test_schede_a_c(tables):
    assert texts(tables["scheda_a"]) == [
        ["A.1", "Segretariato sociale", "PdZ", "€ 40.000,00", "€ 50.000,00", "€ 0,00", "€ 90.000,00"]]
    assert texts(tables["scheda_a"], "totals")[-1] == [
        "Totale Scheda A", "", "", "€ 40.000,00", "€ 50.000,00", "€ 0,00", "€ 90.000,00"]
    assert texts(tables["scheda_c"]) == [
        ["A.1", "Segretariato sociale", "PAIS", "€ 10.000,00", "€ 0,00", "€ 0,00", "€ 10.000,00"]]


def test_fonti_residuo(tables):
    rows = {r[0]: r[2:] for r in texts(tables["fonti_residuo"])}
    assert rows["PdZ (FNPS, FNA, FGSA, COM, RES-PDZ)"] == ["€ 1.150.000,00", "€ 90.000,00", "€ 1.060.000,00"]
    # the cards program PdZ as a block: what is left of FNPS is told on PdZ's row, not as all of FNPS
    assert rows["FNPS"] == ["€ 300.000,00", "€ 0,00", "vedi PdZ"]
    assert rows["PAIS"] == ["pari al programmato nelle schede", "€ 10.000,00", "€ 0,00"]


def test_quadro_sinottico_from_cards(tables):
    rows = {r[0]: r[2:] for r in texts(tables["quadro_sinottico"])}
    assert rows["A.1"] == ["Rete di Segretariato Sociale", "", "", ""]
    assert rows["B.1"] == ["", "", "", ""]


@pytest.mark.parametrize("plan", ["minimo", "content"])
def test_declared_sums_hold(plan: str):
    """Every sum a table declares is, to the cent, the sum of the known figures it names."""
    from decimal import Decimal

    from conftest import FIXTURES, ROOT

    result, _ = run(FIXTURES / plan if plan == "minimo" else ROOT / plan)
    tables = [*result.computed.tables.values(), result.computed.programmazione]
    declared = 0
    for t in tables:
        assert len(t.row_kinds) == len(t.body), t.id
        for s in t.sums:
            cell = t.body[s.row][s.col]
            addends = [t.body[i][j] for i in s.rows for j in s.cols]
            assert cell.numeric and all(a.fmt == cell.fmt for a in addends), (t.id, s)
            if cell.value is not None:
                assert cell.value == sum((a.value for a in addends if a.value is not None), Decimal(0)), (t.id, s)
                declared += 1
    assert declared > 20
