"""Each money check on the small fixture plan: one edit that triggers it, one at the boundary that does not.

The triggering cases assert file, line, code and the exact message, which names both figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import UNPROGRAMMED, edit, line_at
from pdz_docs.pipeline import run

CARD = "schede/A.1.yaml"
PAIS_PERIOD = ("finanza.yaml", "  PAIS: da_schede", "  PAIS:\n    2022-2024: € 30.000,00")


def _year_total(amount: str):
    return (CARD, "    PAIS: € 10.000,00", f"    PAIS: € 10.000,00\n    importo: {amount}")


def _card_total(amount: str):
    return (CARD, "servizi:", f"totale: {amount}\nservizi:")


def _fna(amount: str):
    return ("finanza.yaml", "rendiconto_precedente:", f"fna_destinazione:\n  2022:\n    C.2: {amount}\nrendiconto_precedente:")


# name → (edits, expected problems: (file, text on the line, code, message)); [] means: no problem at all.
CASES = {
    "importo-annualita": ([_year_total("€ 55.000,00")], [
        (CARD, "importo: € 55.000,00", "importo-annualita",
         "scheda A.1, annualità 2022: l'importo scritto € 55.000,00 non è la somma delle fonti (€ 50.000,00)")]),
    "importo-annualita-giusto": ([_year_total("€ 50.000,00")], []),
    "totale-scheda": ([_card_total("€ 99.000,00")], [
        (CARD, "totale:", "totale-scheda",
         "scheda A.1: il totale scritto € 99.000,00 non è la somma delle annualità (€ 100.000,00)")]),
    "totale-scheda-giusto": ([_card_total("€ 100.000,00")], []),
    "fonte-eccedente-anno": ([(CARD, "PdZ: € 40.000,00", "PdZ: € 450.000,01")], [
        ("finanza.yaml", "FNPS:", "fonte-eccedente",
         "la fonte PdZ è programmata nel 2022 per € 450.000,01 ma ne sono disponibili € 450.000,00: "
         "eccedenza di € 0,01; schede che la usano: A.1 (€ 450.000,01)"),
        (CARD, "PdZ: € 450.000,01", "fonte-eccedente",
         "scheda A.1: programma € 450.000,01 della fonte PdZ nel 2022, ma la fonte PdZ è programmata nel 2022 "
         "per € 450.000,01 e ne sono disponibili € 450.000,00")]),
    "fonte-al-limite-anno": ([(CARD, "PdZ: € 40.000,00", "PdZ: € 450.000,00")], []),
    "fonte-eccedente-ciclo": ([PAIS_PERIOD, (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    PAIS: € 20.000,01")], [
        ("finanza.yaml", "PAIS:", "fonte-eccedente",
         "la fonte PAIS è programmata nel ciclo per € 30.000,01 ma ne sono disponibili € 30.000,00: "
         "eccedenza di € 0,01; schede che la usano: A.1 (€ 30.000,01)"),
        (CARD, "PAIS: € 10.000,00", "fonte-eccedente",
         "scheda A.1: programma € 10.000,00 della fonte PAIS nel 2022, ma la fonte PAIS è programmata nel ciclo "
         "per € 30.000,01 e ne sono disponibili € 30.000,00"),
        (CARD, "PAIS: € 20.000,01", "fonte-eccedente",
         "scheda A.1: programma € 20.000,01 della fonte PAIS nel 2023, ma la fonte PAIS è programmata nel ciclo "
         "per € 30.000,01 e ne sono disponibili € 30.000,00")]),
    "fonte-al-limite-ciclo": ([PAIS_PERIOD, (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    PAIS: € 20.000,00")], []),
    "fonte-non-in-budget": ([("finanza.yaml", "  PAIS: da_schede\n", "")], [
        (CARD, "PAIS:", "fonte-non-in-budget", "scheda A.1: la fonte «PAIS» non compare nel budget di finanza.yaml")]),
    "fonte-in-budget-da-schede": ([], []),
    "cofinanziamento-minimo": ([("finanza.yaml", "    2023: € 250.000,00", "    2023: € 199.999,99")], [
        ("finanza.yaml", "2023: € 199.999,99", "cofinanziamento-minimo",
         "il cofinanziamento comunale 2023 (€ 199.999,99) è inferiore al minimo regionale (€ 200.000,00)"),
        ("finanza.yaml", "2023: € 199.999,99", "cofinanziamento-sotto-spesa-storica",
         "il cofinanziamento comunale 2023 (€ 199.999,99) è inferiore alla spesa sociale storica media annua "
         "(€ 200.000,00) di € 0,01; il piano deve spiegarne il motivo in «cofinanziamento.motivazione»")]),
    "cofinanziamento-al-minimo": ([("finanza.yaml", "    2023: € 250.000,00", "    2023: € 200.000,00")], []),
    "sotto-spesa-storica": ([("finanza.yaml", "    Alfa: € 450.000,00", "    Alfa: € 600.000,03"),
                             ("finanza.yaml", "    2023: € 250.000,00", "    2023: € 250.000,01"),
                             ("finanza.yaml", "    2024: € 250.000,00", "    2024: € 250.000,01")], [
        ("finanza.yaml", "2022: € 250.000,00", "cofinanziamento-sotto-spesa-storica",
         "il cofinanziamento comunale 2022 (€ 250.000,00) è inferiore alla spesa sociale storica media annua "
         "(€ 250.000,01) di € 0,01; il piano deve spiegarne il motivo in «cofinanziamento.motivazione»")]),
    "pari-alla-spesa-storica": ([("finanza.yaml", "    Alfa: € 450.000,00", "    Alfa: € 600.000,00")], []),
    "quote-fnps": ([("finanza.yaml", "minori_famiglia: € 40.000,00", "minori_famiglia: € 39.000,00")], [
        ("finanza.yaml", "fnps_quote:\n  2022:", "quote-fnps",
         "le quote FNPS 2022 sommano € 99.000,00 ma il FNPS del periodo è € 100.000,00")]),
    "quote-fnps-giuste": ([("finanza.yaml", "libera: € 60.000,00", "libera: € 59.000,00"),
                           ("finanza.yaml", "minori_famiglia: € 40.000,00", "minori_famiglia: € 41.000,00")], []),
    "fna-eccedente": ([_fna("€ 50.000,01")], [
        ("finanza.yaml", "fna_destinazione:\n  2022:", "fna-eccedente",
         "la destinazione del FNA 2022 (€ 50.000,01) supera il FNA disponibile (€ 50.000,00)")]),
    "fna-al-limite": ([_fna("€ 50.000,00")], []),
    "popolazione-incoerente": ([("piano.yaml", "popolazione: 1000", "popolazione: 1001")], [
        ("piano.yaml", "fasce_eta: {0-3: 30", "popolazione-incoerente",
         "Beta: la somma delle fasce d'età (1000) è diversa dalla popolazione residente (1001)")]),
    "popolazione-coerente": ([("piano.yaml", "popolazione: 1000", "popolazione: 1001"),
                              ("piano.yaml", "65+: 200}", "65+: 201}")], []),
}


@pytest.mark.parametrize("name", list(CASES))
def test_money_check(plan_dir: Path, name: str):
    edits, expected = CASES[name]
    for file, old, new in edits:
        edit(plan_dir / file, old, new)
    _, problems = run(plan_dir)
    got = [(Path(p.loc.file).resolve(), p.loc.line, p.code, p.message) for p in problems if p.code != UNPROGRAMMED]
    want = [((plan_dir / f).resolve(), line_at(plan_dir / f, at), code, msg) for f, at, code, msg in expected]
    assert sorted(got, key=str) == sorted(want, key=str)


def test_justified_spending_gap_is_a_note(plan_dir: Path):
    edit(plan_dir / "finanza.yaml", "    Alfa: € 450.000,00", "    Alfa: € 600.000,03")
    edit(plan_dir / "finanza.yaml", "cofinanziamento:\n", "cofinanziamento:\n  motivazione: Minori entrate dei Comuni.\n")
    _, problems = run(plan_dir)
    problems = [p for p in problems if p.code != UNPROGRAMMED]
    assert {(p.severity, p.code) for p in problems} == {("nota", "cofinanziamento-sotto-spesa-storica")}
    assert len(problems) == 3
    assert problems[0].message.endswith("di € 0,01: motivazione presente")


def test_a_year_written_as_quoted_text_is_located_at_its_own_lines(plan_dir: Path):
    """«'2023':» is read as the year 2023, and its messages point at its lines, not at the year before."""
    card = plan_dir / "schede" / "A.1.yaml"
    edit(card, "  2023:\n    PdZ: € 50.000,00", "  '2023':\n    PdZ: € 5.000.000,00")
    _, problems = run(plan_dir)
    at_card = [(p.loc.line, p.loc.col, p.code) for p in problems if p.loc.file.endswith("A.1.yaml")]
    assert at_card == [(line_at(card, "PdZ: € 5.000.000,00"), 5, "fonte-eccedente")]
