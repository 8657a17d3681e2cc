"""Amounts in their three states (known, pending, not given) and the money checks that never switch off.

Each check: one edit of the small fixture plan that triggers it (exact file, line, code and message
with both figures) and one at its boundary that does not. Then a property test: random budgets with
random pending and not-given holes, random programming; whatever exceeds the known resources of a
fund, a group or a year is an error, and nothing within them is.
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, UNPROGRAMMED, edit, line_at, line_of, program_everything
from pdz_docs.finance.money import fmt_euro
from pdz_docs.pipeline import run

CARD = "schede/A.1.yaml"
FIN = "finanza.yaml"
FNA_PENDING = (FIN, "  FNA:\n    2022: € 50.000,00",
               "  FNA:\n    2022: € 50.000,00\n    2023: {in_attesa: si, previsto: \"€ 40.000,00\"}")
FNA_2023 = (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    FNA: € 10.000,00")
RESIDUI = (FIN, "  PAIS: da_schede", "  PAIS: da_schede\n  RES-PDZ: {ciclo: \"€ 30.000,00\"}")
HINT = "; se l'importo dipende dall'assegnazione, scriverlo {importo: …, condizionato: si}"


def _pdz_2022(amount: str):
    return (CARD, "PdZ: € 40.000,00", f"PdZ: {amount}")


def _pdz_2023(amount: str):
    return (CARD, "PdZ: € 50.000,00", f"PdZ: {amount}")


FGSA_PERIOD = (FIN, "  FGSA:\n    2022: € 50.000,00", "  FGSA:\n    2022: € 50.000,00\n    2023-2024: € 50.000,00")


def _fgsa_2023_2024(amount_2024: str):
    return (CARD, "    PdZ: € 50.000,00", f"    PdZ: € 50.000,00\n    FGSA: € 30.000,00\n  2024:\n    FGSA: {amount_2024}")


# name → (edits, expected problems: (file, text on the line, code, severity, message)); [] means none at all.
CASES = {
    "in-attesa-programmata": ([FNA_PENDING, FNA_2023], [
        (CARD, "FNA: € 10.000,00", "fonte-in-attesa", "errore",
         "scheda A.1: programma € 10.000,00 della fonte FNA nel 2023, ma della fonte FNA sono noti € 0,00 nel 2023 "
         "a fronte di € 10.000,00 programmati (in attesa di assegnazione: FNA 2023)" + HINT)]),
    "in-attesa-condizionata": ([FNA_PENDING, (CARD, "    PdZ: € 50.000,00",
                                              "    PdZ: € 50.000,00\n    FNA: {importo: \"€ 10.000,00\", condizionato: si}")], [
        (CARD, "FNA: {importo", "fonte-in-attesa", "avviso",
         "scheda A.1: programma € 10.000,00 della fonte FNA nel 2023, ma della fonte FNA sono noti € 0,00 nel 2023 "
         "a fronte di € 10.000,00 programmati (in attesa di assegnazione: FNA 2023); importo condizionato "
         "all'assegnazione")]),
    "in-attesa-non-programmata": ([FNA_PENDING], []),
    # a conditional amount beyond what the Region is expected to assign (known plus «previsto», when every
    # pending amount gives one) is an error, not a warning; up to it, a warning
    "in-attesa-condizionata-oltre-previsto": ([FNA_PENDING, (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n"
                                                             "    FNA: {importo: \"€ 40.000,01\", condizionato: si}")], [
        (CARD, "FNA: {importo", "fonte-in-attesa", "errore",
         "scheda A.1: programma € 40.000,01 della fonte FNA nel 2023, ma della fonte FNA sono noti € 0,00 nel 2023 "
         "a fronte di € 40.000,01 programmati (in attesa di assegnazione: FNA 2023); l'importo è condizionato "
         "all'assegnazione, ma i programmati superano anche le risorse previste (€ 40.000,00, noti più previsti)")]),
    "in-attesa-condizionata-al-previsto": ([FNA_PENDING, (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n"
                                                          "    FNA: {importo: \"€ 40.000,00\", condizionato: si}")], [
        (CARD, "FNA: {importo", "fonte-in-attesa", "avviso",
         "scheda A.1: programma € 40.000,00 della fonte FNA nel 2023, ma della fonte FNA sono noti € 0,00 nel 2023 "
         "a fronte di € 40.000,00 programmati (in attesa di assegnazione: FNA 2023); importo condizionato "
         "all'assegnazione")]),
    # the known 2022 FNA fully programmed, the pending 2023 conditionally: the cycle's excess is the
    # 2023 amount's alone, the 2022 line is not blamed
    "in-attesa-anni-noti": ([FNA_PENDING, (CARD, "    PAIS: € 10.000,00", "    PAIS: € 10.000,00\n    FNA: € 50.000,00"),
                             (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n"
                                                            "    FNA: {importo: \"€ 10.000,00\", condizionato: si}")], [
        (CARD, "FNA: {importo", "fonte-in-attesa", "avviso",
         "scheda A.1: programma € 10.000,00 della fonte FNA nel 2023, ma della fonte FNA sono noti € 0,00 nel 2023 "
         "a fronte di € 10.000,00 programmati (in attesa di assegnazione: FNA 2023); importo condizionato "
         "all'assegnazione")]),
    # FNA 2023 pending inside PdZ: the group's 2023 check still runs on FNPS + COM (€ 350.000,00)
    "gruppo-con-membro-in-attesa": ([FNA_PENDING, _pdz_2023("€ 350.000,01")], [
        (CARD, "PdZ: € 350.000,01", "fonte-in-attesa", "errore",
         "scheda A.1: programma € 350.000,01 della fonte PdZ nel 2023, ma della fonte PdZ sono noti € 350.000,00 "
         "nel 2023 a fronte di € 350.000,01 programmati (in attesa di assegnazione: FNA 2023)" + HINT)]),
    # a conditional card waits for the pending FNA, not for the co-financing left «~»: an error, and
    # the message does not ask to write «condizionato» again
    "gruppo-condizionato-con-importo-non-indicato": (
        [FNA_PENDING, (FIN, "    2023: € 250.000,00", "    2023: ~"),
         _pdz_2023("{importo: \"€ 100.000,01\", condizionato: si}")], [
            (CARD, "PdZ: {importo", "fonte-senza-importo", "errore",
             "scheda A.1: programma € 100.000,01 della fonte PdZ nel 2023, ma della fonte PdZ sono noti € 100.000,00 "
             "nel 2023 a fronte di € 100.000,01 programmati (in attesa di assegnazione: FNA 2023; non indicati dalla "
             "fonte: COM 2023); l'importo è condizionato all'assegnazione, ma gli importi non indicati non si "
             "assegnano: scriverne l'importo, o indicarli {in_attesa: si}")]),
    # a member's line over its own known amount is told once, for the member, not again for its group:
    # the block PdZ fits in the group's known € 350.000,00, its line is not blamed
    "membro-e-gruppo-in-attesa": ([FNA_PENDING, (CARD, "    PdZ: € 50.000,00", "    PdZ: € 350.000,00\n    FNA: € 10.000,00")], [
        (CARD, "FNA: € 10.000,00", "fonte-in-attesa", "errore",
         "scheda A.1: programma € 10.000,00 della fonte FNA nel 2023, ma della fonte FNA sono noti € 0,00 nel 2023 "
         "a fronte di € 10.000,00 programmati (in attesa di assegnazione: FNA 2023)" + HINT)]),
    "gruppo-con-membro-in-attesa-al-limite": ([FNA_PENDING, _pdz_2023("€ 350.000,00")], []),
    # residui for the whole cycle may be spent in 2022, but no more than they are
    "residui-ciclo": ([RESIDUI, _pdz_2022("€ 480.000,01")], [
        (FIN, "FNPS:", "fonte-eccedente", "errore",
         "la fonte PdZ è programmata nel 2022 per € 480.000,01 ma ne sono disponibili € 480.000,00: "
         "eccedenza di € 0,01; schede che la usano: A.1 (€ 480.000,01)"),
        (CARD, "PdZ: € 480.000,01", "fonte-eccedente", "errore",
         "scheda A.1: programma € 480.000,01 della fonte PdZ nel 2022, ma la fonte PdZ è programmata nel 2022 per "
         "€ 480.000,01 e ne sono disponibili € 480.000,00")]),
    "residui-ciclo-al-limite": ([RESIDUI, _pdz_2022("€ 480.000,00")], []),
    # one cause, told once at the budget line and once at the card line: not again for every set of years
    # holding 2022 (2022-2023, 2022 e 2024, the cycle), nor at the 2023 line, which is within its year
    "una-causa-una-volta": ([_pdz_2022("€ 50.040.000,00")], [
        (FIN, "FNPS:", "fonte-eccedente", "errore",
         "la fonte PdZ è programmata nel 2022 per € 50.040.000,00 ma ne sono disponibili € 450.000,00: eccedenza di "
         "€ 49.590.000,00; schede che la usano: A.1 (€ 50.040.000,00)"),
        (CARD, "PdZ: € 50.040.000,00", "fonte-eccedente", "errore",
         "scheda A.1: programma € 50.040.000,00 della fonte PdZ nel 2022, ma la fonte PdZ è programmata nel 2022 per "
         "€ 50.040.000,00 e ne sono disponibili € 450.000,00")]),
    # two causes in two years: each told for its year, not a third time for the two years together
    "due-cause": ([(CARD, "    PAIS: € 10.000,00", "    PAIS: € 10.000,00\n    FNPS: € 100.000,01"),
                   (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n  2024:\n    FNPS: € 100.000,02")], [
        (FIN, "FNPS:", "fonte-eccedente", "errore",
         "la fonte FNPS è programmata nel 2022 per € 100.000,01 ma ne sono disponibili € 100.000,00: eccedenza di "
         "€ 0,01; schede che la usano: A.1 (€ 100.000,01)"),
        (FIN, "FNPS:", "fonte-eccedente", "errore",
         "la fonte FNPS è programmata nel 2024 per € 100.000,02 ma ne sono disponibili € 100.000,00: eccedenza di "
         "€ 0,02; schede che la usano: A.1 (€ 100.000,02)"),
        (CARD, "FNPS: € 100.000,01", "fonte-eccedente", "errore",
         "scheda A.1: programma € 100.000,01 della fonte FNPS nel 2022, ma la fonte FNPS è programmata nel 2022 per "
         "€ 100.000,01 e ne sono disponibili € 100.000,00"),
        (CARD, "FNPS: € 100.000,02", "fonte-eccedente", "errore",
         "scheda A.1: programma € 100.000,02 della fonte FNPS nel 2024, ma la fonte FNPS è programmata nel 2024 per "
         "€ 100.000,02 e ne sono disponibili € 100.000,00")]),
    "due-cause-al-limite": ([(CARD, "    PAIS: € 10.000,00", "    PAIS: € 10.000,00\n    FNPS: € 100.000,00"),
                             (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n  2024:\n    FNPS: € 100.000,00")],
                            []),
    # a member's line beyond the member, in a year its group has fully programmed as a block: the member's
    # cause, told for the member; neither the group nor the block lines are blamed again
    "membro-eccedente-gruppo-pieno": ([_pdz_2022("€ 450.000,00"),
                                       _pdz_2023("€ 350.000,00\n    FNA: € 10.000,00\n  2024:\n    PdZ: € 350.000,00")], [
        (FIN, "  FNA:", "fonte-eccedente", "errore",
         "la fonte FNA è programmata nel 2023 per € 10.000,00 ma ne sono disponibili € 0,00: eccedenza di "
         "€ 10.000,00; schede che la usano: A.1 (€ 10.000,00)"),
        (CARD, "FNA: € 10.000,00", "fonte-eccedente", "errore",
         "scheda A.1: programma € 10.000,00 della fonte FNA nel 2023, ma la fonte FNA è programmata nel 2023 per "
         "€ 10.000,00 e ne sono disponibili € 0,00")]),
    # the block over its group beside FNA's own 2022 line, within FNA: the block's line is told, not FNA's
    "gruppo-eccedente-accanto-al-membro": ([_pdz_2022("€ 400.000,01\n    FNA: € 50.000,00")], [
        (FIN, "FNPS:", "fonte-eccedente", "errore",
         "la fonte PdZ è programmata nel 2022 per € 450.000,01 ma ne sono disponibili € 450.000,00: eccedenza di "
         "€ 0,01; schede che la usano: A.1 (€ 450.000,01)"),
        (CARD, "PdZ: € 400.000,01", "fonte-eccedente", "errore",
         "scheda A.1: programma € 400.000,01 della fonte PdZ nel 2022, ma la fonte PdZ è programmata nel 2022 per "
         "€ 450.000,01 e ne sono disponibili € 450.000,00")]),
    # the same block beside FNA's own 2022 line, within FNA: nothing
    "membro-nel-gruppo-pieno-al-limite": ([_pdz_2022("€ 400.000,00\n    FNA: € 50.000,00"),
                                           _pdz_2023("€ 350.000,00\n  2024:\n    PdZ: € 350.000,00")], []),
    # residui of the cycle overspent by one year's line alone: the cycle is exceeded, and named, not the year;
    # the € 40.000,00 line alone could take the € 20.000,00 cut: it is told, not the € 10.000,00 one
    "residui-ciclo-eccedenti": ([RESIDUI, (CARD, "    PAIS: € 10.000,00", "    PAIS: € 10.000,00\n    RES-PDZ: € 40.000,00"),
                                 (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    RES-PDZ: € 10.000,00")], [
        (FIN, "  RES-PDZ: {ciclo", "fonte-eccedente", "errore",
         "la fonte RES-PDZ è programmata nel ciclo per € 50.000,00 ma ne sono disponibili € 30.000,00: eccedenza di "
         "€ 20.000,00; schede che la usano: A.1 (€ 50.000,00)"),
        (CARD, "RES-PDZ: € 40.000,00", "fonte-eccedente", "errore",
         "scheda A.1: programma € 40.000,00 della fonte RES-PDZ nel 2022, ma la fonte RES-PDZ è programmata nel ciclo "
         "per € 50.000,00 e ne sono disponibili € 30.000,00")]),
    # the same residui spent in 2022 (€ 20.000,00 beyond 2022's own) and in 2023 (€ 30.000,00 beyond)
    "residui-ciclo-spesi-due-volte": ([RESIDUI, _pdz_2022("€ 470.000,00"), _pdz_2023("€ 380.000,00")], [
        (FIN, "FNPS:", "fonte-eccedente", "errore",
         "la fonte PdZ è programmata nel periodo 2022-2023 per € 850.000,00 ma ne sono disponibili € 830.000,00: "
         "eccedenza di € 20.000,00; schede che la usano: A.1 (€ 850.000,00)"),
        (CARD, "PdZ: € 470.000,00", "fonte-eccedente", "errore",
         "scheda A.1: programma € 470.000,00 della fonte PdZ nel 2022, ma la fonte PdZ è programmata nel periodo "
         "2022-2023 per € 850.000,00 e ne sono disponibili € 830.000,00"),
        (CARD, "PdZ: € 380.000,00", "fonte-eccedente", "errore",
         "scheda A.1: programma € 380.000,00 della fonte PdZ nel 2023, ma la fonte PdZ è programmata nel periodo "
         "2022-2023 per € 850.000,00 e ne sono disponibili € 830.000,00")]),
    "residui-ciclo-spesi-al-limite": ([RESIDUI, _pdz_2022("€ 460.000,00"), _pdz_2023("€ 370.000,00")], []),
    # the block PdZ in 2022 can only use the residui (the rest of 2022 is programmed), which a card also
    # programs directly in 2023
    "gruppo-e-membro-diretto": ([RESIDUI, _pdz_2022("€ 460.000,00"),
                                 (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    RES-PDZ: € 30.000,00")], [
        (FIN, "FNPS:", "fonte-eccedente", "errore",
         "la fonte PdZ è programmata nel 2022 per € 460.000,00 ma, tolto quanto le schede programmano direttamente "
         "su RES-PDZ (€ 30.000,00 nel 2023), ne restano disponibili € 450.000,00: eccedenza di € 10.000,00"),
        (CARD, "PdZ: € 460.000,00", "fonte-eccedente", "errore",
         "scheda A.1: programma € 460.000,00 della fonte PdZ nel 2022, ma la fonte PdZ è programmata nel 2022 per "
         "€ 460.000,00 e, tolto quanto le schede programmano direttamente su RES-PDZ (€ 30.000,00 nel 2023), ne "
         "restano disponibili € 450.000,00")]),
    "gruppo-e-membro-diretto-al-limite": ([RESIDUI, _pdz_2022("€ 450.000,00"),
                                           (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    RES-PDZ: € 30.000,00")],
                                          []),
    # FGSA 2023-2024 counts in each of its years but not beyond its value: each year fits, the period not
    "periodo-eccedente": ([FGSA_PERIOD, _fgsa_2023_2024("€ 20.000,01")], [
        (FIN, "  FGSA:", "fonte-eccedente", "errore",
         "la fonte FGSA è programmata nel periodo 2023-2024 per € 50.000,01 ma ne sono disponibili € 50.000,00: "
         "eccedenza di € 0,01; schede che la usano: A.1 (€ 50.000,01)"),
        (CARD, "FGSA: € 30.000,00", "fonte-eccedente", "errore",
         "scheda A.1: programma € 30.000,00 della fonte FGSA nel 2023, ma la fonte FGSA è programmata nel periodo "
         "2023-2024 per € 50.000,01 e ne sono disponibili € 50.000,00"),
        (CARD, "FGSA: € 20.000,01", "fonte-eccedente", "errore",
         "scheda A.1: programma € 20.000,01 della fonte FGSA nel 2024, ma la fonte FGSA è programmata nel periodo "
         "2023-2024 per € 50.000,01 e ne sono disponibili € 50.000,00")]),
    "periodo-al-limite": ([FGSA_PERIOD, _fgsa_2023_2024("€ 20.000,00")], []),
    "fonte-senza-importo": ([(FIN, "  PAIS: da_schede", "  PAIS: ~")], [
        (CARD, "PAIS: € 10.000,00", "fonte-senza-importo", "errore",
         "scheda A.1: programma € 10.000,00 della fonte PAIS nel 2022, ma della fonte PAIS sono noti € 0,00 nel "
         "ciclo a fronte di € 10.000,00 programmati (non indicati dalla fonte: PAIS ciclo)")]),
    # a typed card total over amounts not all known may not be less than the known ones
    "totale-scritto-sotto-i-noti": ([(CARD, "PAIS: € 10.000,00", "PAIS: ~"),
                                     (CARD, "programmazione:\n", "totale: € 89.999,99\nprogrammazione:\n")], [
        (CARD, "totale: € 89.999,99", "totale-scheda", "errore",
         "scheda A.1: il totale scritto € 89.999,99 è inferiore alla somma degli importi noti delle annualità "
         "(€ 90.000,00, esclusi gli importi non indicati)")]),
    "totale-scritto-sui-noti": ([(CARD, "PAIS: € 10.000,00", "PAIS: ~"),
                                 (CARD, "programmazione:\n", "totale: € 90.000,00\nprogrammazione:\n")], []),
    "fonte-senza-importo-non-programmata": ([(FIN, "  PAIS: da_schede", "  PAIS: ~"),
                                             (CARD, "    PAIS: € 10.000,00\n", "")], []),
    "quote-fnps-in-attesa": ([(FIN, "    2022: € 100.000,00", "    2022: {in_attesa: si}"),
                              (CARD, "PdZ: € 40.000,00", "PdZ: € 0,00")], [
        (FIN, "fnps_quote:\n  2022:", "quote-fnps", "errore",
         "le quote FNPS 2022 sommano € 100.000,00 ma il FNPS del periodo è € 0,00, esclusi gli importi non noti "
         "(FNPS 2022)")]),
    "importo-chiave-sconosciuta": ([(FIN, "    2022: € 100.000,00", "    2022: {importo: \"€ 100.000,00\", note: x}")], [
        (FIN, "2022: {importo", "importo-non-valido", "errore",
         "budget.FNPS.2022: chiave «note» non ammessa in un importo (ammesse: importo, in_attesa, nota, previsto)")]),
    # the words the Region prints next to the fund, typed in place of the amount
    "importo-scritto-in-attesa": ([(FIN, "    2022: € 100.000,00", "    2022: IN ATTESA DI ASSEGNAZIONE")], [
        (FIN, "2022: IN ATTESA", "importo-non-valido", "errore",
         "budget.FNPS.2022: «IN ATTESA DI ASSEGNAZIONE» non è un importo; un importo in attesa di assegnazione si "
         "scrive {in_attesa: si}")]),
    "importo-in-attesa-con-importo": ([(FIN, "    2022: € 100.000,00", "    2022: {in_attesa: si, importo: 5}")], [
        (FIN, "2022: {in_attesa", "importo-non-valido", "errore",
         "budget.FNPS.2022: un importo in attesa di assegnazione non ha «importo»; la cifra attesa, se nota, va in "
         "«previsto»")]),
}


def test_da_programmare(plan_dir: Path):
    """Known resources left unprogrammed are a warning per fund and year; none when all is programmed."""
    program_everything(plan_dir)
    _, problems = run(plan_dir)
    assert problems == []
    edit(plan_dir / CARD, "  2024:\n    PdZ: € 350.000,00", "  2024:\n    PdZ: € 349.999,99")
    _, problems = run(plan_dir)
    assert [(Path(p.loc.file).name, p.loc.line, p.code, p.severity, p.message) for p in problems] == [
        ("finanza.yaml", line_of(plan_dir / FIN, "FNPS:"), "da-programmare", "avviso",
         "la fonte PdZ ha € 0,01 da programmare nel 2024 (disponibili € 350.000,00, programmati € 349.999,99)")]


def test_da_programmare_membro(plan_dir: Path):
    """A group member the cards program directly is counted in its group (no false warning on the member)."""
    program_everything(plan_dir)
    edit(plan_dir / CARD, "PdZ: € 350.000,00\n  2024:", "PdZ: € 250.000,00\n    FNPS: € 99.999,99\n  2024:")
    _, problems = run(plan_dir)
    assert [(p.loc.line, p.code, p.message) for p in problems] == [
        (line_of(plan_dir / FIN, "FNPS:"), "da-programmare",
         "la fonte PdZ ha € 0,01 da programmare nel 2023 (disponibili € 350.000,00, programmati € 349.999,99)")]


ILVA = (FIN, "  PAIS: da_schede", "  PAIS: da_schede\n  ILVA: {ciclo: \"€ 10.150.000,00\"}\nfonti:\n"
       "  ILVA: {nome: Piano di rigenerazione sociale, atto: A.D. 1330/2021, in_definizione: si}")
PLAN_SOURCES = {
    "fonte-del-piano-eccedente": ([ILVA, (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    ILVA: € 10.150.000,01")], [
        (FIN, "  ILVA: {ciclo", "fonte-eccedente", "errore",
         "la fonte ILVA è programmata nel ciclo per € 10.150.000,01 ma ne sono disponibili € 10.150.000,00: "
         "eccedenza di € 0,01; schede che la usano: A.1 (€ 10.150.000,01)"),
        (CARD, "ILVA: € 10.150.000,01", "fonte-eccedente", "errore",
         "scheda A.1: programma € 10.150.000,01 della fonte ILVA nel 2023, ma la fonte ILVA è programmata nel ciclo "
         "per € 10.150.000,01 e ne sono disponibili € 10.150.000,00")]),
    "fonte-del-piano-al-limite": ([ILVA, (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    ILVA: € 10.150.000,00")],
                                  []),
    "fonte-duplicata": ([(FIN, "  PAIS: da_schede", "  PAIS: da_schede\nfonti:\n  FNPS: {nome: Fondo sociale}")], [
        (FIN, "  FNPS: {nome", "fonte-duplicata", "errore",
         "la fonte «FNPS» è già definita nel file delle regole (Fondo Nazionale Politiche Sociali): usare un altro "
         "codice")]),
    "gruppo-sconosciuto": ([(FIN, "  PAIS: da_schede", "  PAIS: da_schede\nfonti:\n  MSNA:\n    nome: Minori stranieri"
                                                       "\n    gruppo: PDZ")], [
        (FIN, "    gruppo: PDZ", "gruppo-sconosciuto", "errore",
         "fonte «MSNA»: il gruppo «PDZ» non esiste (gruppi: PdZ, QFP)")]),
}
CASES.update(PLAN_SOURCES)

AREE = ("  motivazione:", "  per_area:\n    Accesso al welfare: {2022: \"€ 100.000,00\"}\n"
        "    Tutela dei minori: {2022: \"€ 150.000,00\"}\n  motivazione:")
CASES.update({
    "cofinanziamento-aree": ([(FIN, "cofinanziamento:\n", "cofinanziamento:\n  per_area:\n"
                               "    Accesso al welfare: {2022: \"€ 100.000,00\"}\n"
                               "    Tutela dei minori: {2022: \"€ 149.999,99\"}\n")], [
        (FIN, "2022: € 250.000,00", "cofinanziamento-aree", "errore",
         "il cofinanziamento 2022 (€ 250.000,00) non è la somma delle risorse comunali per area (€ 249.999,99)")]),
    "cofinanziamento-aree-giuste": ([(FIN, "cofinanziamento:\n", "cofinanziamento:\n  per_area:\n"
                                      "    Accesso al welfare: {2022: \"€ 100.000,00\"}\n"
                                      "    Tutela dei minori: {2022: \"€ 150.000,00\"}\n")], []),
})


QUADRO = "quadro_sinottico:\n  D.1: {ods: [Centro Sociale Polivalente per anziani]}\n"
CASES.update({
    "quadro-in-conflitto": ([("piano.yaml", "comuni:", QUADRO + "  A.1: {leps: [Altra rete]}\ncomuni:")], [
        ("piano.yaml", "  A.1: {leps", "quadro-in-conflitto", "errore",
         "quadro_sinottico A.1, livello «leps»: la scheda " + "{card}" + " elenca già interventi diversi per lo "
         "stesso livello; scriverli in un solo posto")]),
    "quadro-coerente": ([("piano.yaml", "comuni:", QUADRO + "  A.1: {leps: [Rete di Segretariato Sociale], "
                                                    "ods: [Sportello]}\ncomuni:")], []),
})


FNA_DEST = (FIN, "rendiconto_precedente:", "fna_destinazione:\n  2022:\n    A.1: € 30.000,00\nrendiconto_precedente:")
CASES.update({
    "fna-destinazione": ([FNA_DEST, (CARD, "    PAIS: € 10.000,00", "    PAIS: € 10.000,00\n    FNA: € 30.000,01")], [
        (CARD, "FNA: € 30.000,01", "fna-destinazione", "errore",
         "scheda A.1: programma € 30.000,01 di FNA nel periodo 2022, ma la destinazione del FNA a A.1 è € 30.000,00")]),
    "fna-destinazione-al-limite": ([FNA_DEST, (CARD, "    PAIS: € 10.000,00", "    PAIS: € 10.000,00\n"
                                                                            "    FNA: € 30.000,00")], []),
})


def _quota(year_line: str, amount: str, quota: str, fonte: str = "FNPS"):
    return (CARD, year_line, f"{year_line}\n    {fonte}: {{importo: \"{amount}\", quota: {quota}}}")


CASES.update({
    "quota-fnps-eccedente": ([_quota("    PAIS: € 10.000,00", "€ 40.000,01", "minori_famiglia")], [
        (CARD, "FNPS: {importo", "quota-fnps-eccedente", "errore",
         "scheda A.1: programma € 40.000,01 di FNPS nel 2022 sulla quota minori e famiglia, ma le schede ne "
         "programmano € 40.000,01 nel periodo 2022 e la quota minori e famiglia del FNPS 2022 è € 40.000,00")]),
    "quota-fnps-al-limite": ([_quota("    PAIS: € 10.000,00", "€ 40.000,00", "minori_famiglia")], []),
    "quota-fnps-non-indicata": ([_quota("    PdZ: € 50.000,00", "€ 1,00", "antiviolenza")], [
        (CARD, "FNPS: {importo", "quota-fnps-eccedente", "errore",
         "scheda A.1: programma € 1,00 di FNPS nel 2023 sulla quota contrasto alla violenza, ma le schede ne "
         "programmano € 1,00 nel periodo 2023 e la quota contrasto alla violenza del FNPS 2023 non è indicata "
         "in fnps_quote")]),
    "quota-fnps-sconosciuta": ([_quota("    PAIS: € 10.000,00", "€ 1,00", "minori")], [
        (CARD, "FNPS: {importo", "quota-fnps-scheda", "errore",
         "scheda A.1, 2022: la quota «minori» non esiste (quote: libera, minori_famiglia, dimissioni_protette, "
         "supervisione, antiviolenza)")]),
    "quota-fnps-su-altra-fonte": ([_quota("    PAIS: € 10.000,00", "€ 1,00", "libera", "FNA")], [
        (CARD, "FNA: {importo", "quota-fnps-scheda", "errore",
         "scheda A.1, 2022: le quote sono del FNPS, non della fonte «FNA»")]),
})



def _aree(a: str, b: str):
    return (FIN, "cofinanziamento:\n", f"cofinanziamento:\n  per_area:\n    Accesso al welfare: {{2022: {a}}}\n"
                                      f"    Tutela dei minori: {{2022: {b}}}\n")


def _comuni(a: str, b: str):
    return (FIN, "cofinanziamento:\n", f"cofinanziamento:\n  per_comune:\n    Alfa: {{2022: {a}}}\n    Beta: {{2022: {b}}}\n")


# co-financing parts and FNPS quotas take the three states as every amount does: known parts never
# exceed their whole, and when all are known they make it up
CASES.update({
    "cofinanziamento-aree-in-attesa": ([_aree('"€ 250.000,00"', "{in_attesa: si, nota: bilancio in approvazione}")], []),
    "cofinanziamento-aree-in-attesa-eccedenti": ([_aree('"€ 250.000,01"', "{in_attesa: si}")], [
        (FIN, "2022: € 250.000,00", "cofinanziamento-aree", "errore",
         "il cofinanziamento 2022 (€ 250.000,00) è inferiore alla somma delle risorse comunali per area "
         "(€ 250.000,01, esclusi gli importi non noti (Tutela dei minori 2022))")]),
    "cofinanziamento-aree-non-indicata": ([_aree('"€ 100.000,00"', "~")], []),
    "cofinanziamento-comuni-in-attesa": ([_comuni("{in_attesa: si}", '"€ 250.000,00"')], []),
    "cofinanziamento-comuni-eccedenti": ([_comuni("~", '"€ 250.000,01"')], [
        (FIN, "2022: € 250.000,00", "cofinanziamento-comuni", "errore",
         "il cofinanziamento 2022 (€ 250.000,00) è inferiore alla somma delle quote dei Comuni "
         "(€ 250.000,01, esclusi gli importi non noti (Alfa 2022))")]),
    "cofinanziamento-comuni-diversi": ([_comuni('"€ 200.000,00"', '"€ 50.000,01"')], [
        (FIN, "2022: € 250.000,00", "cofinanziamento-comuni", "errore",
         "il cofinanziamento 2022 (€ 250.000,00) non è la somma delle quote dei Comuni (€ 250.000,01)")]),
    "cofinanziamento-aree-fuori-ciclo": ([(FIN, "cofinanziamento:\n", "cofinanziamento:\n  per_area:\n"
                                           "    Accesso al welfare: {2022: \"€ 250.000,00\", 2025: \"€ 1,00\"}\n")], [
        (FIN, "Accesso al welfare: {2022", "anno-fuori-ciclo", "errore",
         "cofinanziamento per_area «Accesso al welfare»: l'anno «2025» è fuori dal ciclo 2022-2024")]),
    "quote-fnps-quota-in-attesa": ([(FIN, "    libera: € 60.000,00",
                                     "    libera: {in_attesa: si}\n    supervisione: € 60.000,01")], [
        (FIN, "fnps_quote:\n  2022:", "quote-fnps", "errore",
         "le quote FNPS 2022 sommano € 100.000,01, esclusi gli importi non noti (quota libera 2022) ma il FNPS del "
         "periodo è € 100.000,00")]),
    "quote-fnps-quota-in-attesa-al-limite": ([(FIN, "    libera: € 60.000,00",
                                               "    libera: {in_attesa: si}\n    supervisione: € 60.000,00")], []),
    "quota-fnps-scheda-in-attesa": ([(FIN, "    libera: € 60.000,00", "    libera: {in_attesa: si}"),
                                     _quota("    PAIS: € 10.000,00", "€ 1,00", "libera")], [
        (CARD, "FNPS: {importo", "quota-fnps-eccedente", "errore",
         "scheda A.1: programma € 1,00 di FNPS nel 2022 sulla quota libera, ma le schede ne programmano € 1,00 nel "
         "periodo 2022 e la quota libera del FNPS 2022 è in attesa di assegnazione")]),
})


def test_area_without_amount_for_a_year(plan_dir: Path):
    """An area with no amount written for a year prints «—», and the note says the year's total leaves it out,
    as the check does (the areas written must make up a known year): not «non indicato», which is the
    state of an amount written ~ and which a total names as left out."""
    edit(plan_dir / FIN, *_aree('"€ 250.000,00"', '~')[1:])
    edit(plan_dir / FIN, "    Accesso al welfare: {2022: \"€ 250.000,00\"}",
         "    Accesso al welfare: {2022: \"€ 250.000,00\", 2023: \"€ 250.000,00\"}")
    result, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "errore"] == []
    t = result.computed.tables["cofinanziamento_aree"]
    assert [[c.text for c in r] for r in t.rows + t.totals] == [
        ["Accesso al welfare", "€ 250.000,00", "€ 250.000,00"], ["Tutela dei minori", "non indicato dalla fonte", "—"],
        ["Totale", "€ 250.000,00, esclusi gli importi non indicati", "€ 250.000,00"]]
    assert t.note == ("«—»: nessun importo scritto per l'area nell'anno; il totale dell'anno non lo conta (per un "
                      "importo non ancora noto scrivere ~ o {in_attesa: si}).")


def test_parts_print_their_state(plan_dir: Path):
    """Areas of the co-financing and FNPS quotas print each state and note; totals say what they leave out."""
    edit(plan_dir / FIN, *_aree('{importo: "€ 100.000,00", nota: Bilancio 2022}',
                                '{in_attesa: si, previsto: "€ 150.000,00"}')[1:])
    edit(plan_dir / FIN, "    libera: € 60.000,00", "    libera: {in_attesa: si, nota: DGR 1234}")
    result, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "errore"] == []
    t = result.computed.tables["cofinanziamento_aree"]
    assert [[c.text for c in r] for r in t.rows + t.totals] == [
        ["Accesso al welfare", "€ 100.000,00", "2022: Bilancio 2022"],
        ["Tutela dei minori", "in attesa di assegnazione (previsto € 150.000,00)",
         "2022: in attesa di assegnazione (previsto € 150.000,00)"],
        ["Totale", "€ 100.000,00, esclusi gli importi in attesa di assegnazione", ""]]
    q = result.computed.tables["fnps_quote"]
    assert [c.text for c in q.rows[0]] == ["2022", "€ 100.000,00", "in attesa di assegnazione", "€ 40.000,00", "—",
                                           "—", "—", "€ 40.000,00, esclusi gli importi in attesa di assegnazione"]
    assert q.note.endswith("Note: Quota libera 2022: DGR 1234.")

# every case above, once CASES is complete
def _card_label(plan_dir: Path) -> str:
    """How messages name the card file (relative to the working directory when inside it)."""
    from pdz_docs.load.plan import label
    return label(plan_dir / CARD)


@pytest.mark.parametrize("name", list(CASES))
def test_money_state_check(plan_dir: Path, name: str):
    edits, expected = CASES[name]
    for file, old, new in edits:
        edit(plan_dir / file, old, new)
    _, problems = run(plan_dir)
    got = [(Path(p.loc.file).resolve(), p.loc.line, p.code, p.severity, p.message) for p in problems
           if p.code != UNPROGRAMMED]
    card = _card_label(plan_dir)
    want = [((plan_dir / f).resolve(), line_at(plan_dir / f, at), code, sev, msg.replace("{card}", card))
            for f, at, code, sev, msg in expected]
    assert sorted(got, key=str) == sorted(want, key=str)

def test_quadro_sinottico_without_card(plan_dir: Path):
    """An intervention with no detail card appears in the Quadro sinottico; a card's levels are kept."""
    edit(plan_dir / "piano.yaml", "comuni:", QUADRO + "  A.1: {ods: [Sportello]}\ncomuni:")
    result, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "errore"] == []
    rows = {r[0].text: [c.text for c in r[2:]] for r in result.computed.tables["quadro_sinottico"].rows}
    assert rows["D.1"] == ["", "", "Centro Sociale Polivalente per anziani", ""]
    assert rows["A.1"] == ["Rete di Segretariato Sociale", "", "Sportello", ""]


def test_one_comune_and_areas_table(plan_dir: Path):
    """One Comune reads «1 Comune»; the municipal resources by area form their own table with a total."""
    text = (plan_dir / "piano.yaml").read_text(encoding="utf-8")
    (plan_dir / "piano.yaml").write_text(text[: text.index("  - nome: Beta")], encoding="utf-8")
    edit(plan_dir / FIN, "    Beta: € 150.000,00\n", "")
    edit(plan_dir / FIN, "cofinanziamento:\n", "cofinanziamento:\n  per_area:\n"
                                                "    Accesso al welfare: {2022: \"€ 100.000,00\"}\n"
                                                "    Spese personale Ufficio di Piano: {2022: \"€ 150.000,00\"}\n")
    result, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "errore"] == []
    t = result.computed.tables
    assert t["territorio"].totals[0][0].text == "Ambito (1 Comune)"
    assert [[c.text for c in r] for r in t["cofinanziamento_aree"].rows + t["cofinanziamento_aree"].totals] == [
        ["Accesso al welfare", "€ 100.000,00"], ["Spese personale Ufficio di Piano", "€ 150.000,00"],
        ["Totale", "€ 250.000,00"]]


def test_plan_source_in_tables(plan_dir: Path):
    """A plan's own source is named with its act and 'in definizione'; Fondo Povertà estrema is in the rules."""
    edit(plan_dir / ILVA[0], ILVA[1], ILVA[2] + "\n  FPOV-EST: {nome: Fondo povertà estrema locale}")
    edit(plan_dir / FIN, "  PAIS: da_schede", "  PAIS: da_schede\n  FPOV-EST: {in_attesa: si, nota: riparto 2021}")
    result, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "errore"] == ["fonte-duplicata"]
    edit(plan_dir / FIN, "\n  FPOV-EST: {nome: Fondo povertà estrema locale}", "")
    result, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "errore"] == []
    rows = {r[0].text: [c.text for c in r[1:]] for r in result.computed.tables["fonti_residuo"].rows}
    assert rows["ILVA"] == ["Piano di rigenerazione sociale (in definizione) – A.D. 1330/2021", "€ 10.150.000,00",
                            "€ 0,00", "€ 10.150.000,00"]
    budget = {r[0].text: [c.text for c in r[1:]] for r in result.computed.tables["budget"].rows}
    assert budget["Fondo Povertà – quota per la povertà estrema"] == [
        "", "in attesa di assegnazione", "ciclo: in attesa di assegnazione – riparto 2021"]


def test_tables_say_each_state(plan_dir: Path):
    """Pending, not-given and noted amounts are printed as such; totals say what they leave out."""
    edit(plan_dir / FIN, "  FNA:\n    2022: € 50.000,00",
         "  FNA:\n    2022: {importo: \"€ 50.000,00\", nota: anticipo 70%}\n    2023: {in_attesa: si, previsto: "
         "\"€ 40.000,00\"}\n    2024: ~")
    edit(plan_dir / FIN, "    2024: € 250.000,00", "    2024: ~")
    result, problems = run(plan_dir)
    assert not [p for p in problems if p.severity == "errore"]
    assert not [p for p in problems if "None" in p.message]
    t = result.computed.tables["budget"]
    rows = {r[0].text: [c.text for c in r[1:]] for r in t.rows}
    assert t.header[0][-1] == "Note"
    assert rows["Fondo Non Autosufficienza"] == [
        "PdZ", "€ 50.000,00, esclusi gli importi in attesa di assegnazione e non indicati",
        "2022: anticipo 70%; 2023: in attesa di assegnazione (previsto € 40.000,00); 2024: non indicato dalla fonte"]
    assert rows["Cofinanziamento comunale (denaro e servizi)"][1] == (
        "€ 500.000,00, esclusi gli importi non indicati")
    assert [c.text for c in t.totals[0]] == [
        "Budget PdZ 2022-2024, esclusi gli importi in attesa di assegnazione (FNA 2023) e non indicati "
        "(FNA 2024, COM 2024)", "", "€ 900.000,00", ""]
    assert [c.text for c in result.computed.tables["fna"].totals[0]][-1] == (
        "€ 50.000,00, esclusi gli importi in attesa di assegnazione e non indicati")
    assert result.computed.cifre["cofinanziamento"]["triennio"].text == "€ 500.000,00, esclusi gli importi non indicati"


def test_outputs_show_each_state(plan_dir: Path, tmp_path: Path):
    """The DOCX and HTML text carry the pending state, the note and the partial total."""
    import zipfile

    from pdz_docs.cli import main

    edit(plan_dir / FIN, "  FNA:\n    2022: € 50.000,00",
         "  FNA:\n    2022: {importo: \"€ 50.000,00\", nota: anticipo 70% di quota parte}\n"
         "    2023: {in_attesa: si}")
    edit(plan_dir / FIN, "    2023: € 250.000,00", "    2023: ~")
    edit(plan_dir / CARD, "PAIS: € 10.000,00", "PAIS: {importo: \"€ 10.000,00\", nota: Avviso 1/2019}")
    edit(plan_dir / "capitoli/10-cap1.md", "## Lo \"stato", '{{ tabella("budget") }}\n\n## Lo "stato')
    out = tmp_path / "out"
    assert main(["build", str(plan_dir), "--format", "docx,html", "--output", str(out)]) == 0
    # the HTML ties «€» to its figure with a no-break space (render/typography.py): read it as a space
    html = next(out.glob("*.html")).read_text(encoding="utf-8").replace("\u00a0", " ")
    docx = next(out.glob("*.docx"))
    with zipfile.ZipFile(docx) as z:
        xml = z.read("word/document.xml").decode("utf-8").replace("\u00a0", " ")   # amounts keep their no-break space
    for text in (html, xml):
        assert "€ 50.000,00, esclusi gli importi in attesa di assegnazione" in text
        assert "2023: in attesa di assegnazione" in text
        assert "2022: anticipo 70% di quota parte" in text
        assert "2023: non indicato dalla fonte" in text
        assert "€ 10.000,00 PAIS (Avviso 1/2019)" in text
        assert "None" not in text
        assert "€ ________" not in text.split("Budget del Piano di Zona")[1][:3000]


CARD_STATES = [(CARD, "PAIS: € 10.000,00", "PAIS: ~"),
               (CARD, "    PdZ: € 50.000,00", "    PdZ: € 50.000,00\n    FNA: {in_attesa: si, previsto: \"€ 40.000,00\"}"),
               (FIN, "  FNA:\n    2022: € 50.000,00",
                "  FNA:\n    2022: € 50.000,00\n    2023: {in_attesa: si, previsto: \"€ 40.000,00\"}")]
PENDING = "in attesa di assegnazione (previsto € 40.000,00)"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")
def test_card_amounts_in_each_state(plan_dir: Path, tmp_path: Path):
    """A card's pending and not-given amounts are printed as such in its card, in Schede A and C of the PDF
    and DOCX and in the XLSX; the year amounts and totals over them say what they leave out."""
    import io
    import re
    import subprocess
    import zipfile

    import openpyxl

    from pdz_docs.cli import main

    for file, old, new in CARD_STATES:
        edit(plan_dir / file, old, new)
    out = tmp_path / "out"
    assert main(["build", str(plan_dir), "--format", "pdf,docx,xlsx", "--output", str(out)]) == 0
    card = ["2022 € 40.000,00, esclusi gli importi non indicati € 40.000,00 PdZ + PAIS non indicato dalla fonte",
            "2023 € 50.000,00, esclusi gli importi in attesa di assegnazione € 50.000,00 PdZ + FNA " + PENDING,
            "Totale € 90.000,00, esclusi gli importi in attesa di assegnazione e non indicati"]
    schede = [f"FNA € 0,00 {PENDING} € 0,00 {PENDING}",
              "Totale Scheda A € 40.000,00 € 50.000,00, esclusi gli importi in attesa di assegnazione € 0,00 "
              "€ 90.000,00, esclusi gli importi in attesa di assegnazione",
              "PAIS non indicato dalla fonte € 0,00 € 0,00 non indicato dalla fonte",
              "Totale Scheda C non indicato dalla fonte € 0,00 € 0,00 non indicato dalla fonte"]
    pdf = subprocess.run(["pdftotext", "-raw", str(next(out.glob("*.pdf"))), "-"], capture_output=True,
                         text=True, check=True).stdout
    pdf = re.sub(r"\s+", " ", pdf)
    for text in card + schede:
        assert text in pdf
    with zipfile.ZipFile(next(out.glob("*.docx"))) as z:
        xml = z.read("word/document.xml").decode("utf-8").replace("\u00a0", " ")
    cells = ["€ 40.000,00, esclusi gli importi non indicati", "€ 40.000,00 PdZ + PAIS non indicato dalla fonte",
             "€ 50.000,00 PdZ + FNA " + PENDING, "€ 90.000,00, esclusi gli importi in attesa di assegnazione e non "
             "indicati", f">{PENDING}<", ">non indicato dalla fonte<"]
    for text in cells:
        assert text in xml
    for text in (pdf, xml):
        assert "________" not in text and "None" not in text
    wb = openpyxl.load_workbook(io.BytesIO(next(out.glob("*.xlsx")).read_bytes()))
    rows = {name: [[c for c in row] for row in wb[name].iter_rows(min_row=3, values_only=True)]
            for name in ("Scheda A", "Scheda C", "Programmazione schede")}
    assert rows["Scheda A"][1][2:] == ["FNA", 0, PENDING, 0, PENDING]
    assert rows["Scheda C"][0][2:] == ["PAIS", "non indicato dalla fonte", 0, 0, "non indicato dalla fonte"]
    assert rows["Programmazione schede"][3][4:] == [
        "€ 40.000,00, esclusi gli importi non indicati", "€ 50.000,00, esclusi gli importi in attesa di assegnazione",
        "=SUM(G3:G5)", "€ 90.000,00, esclusi gli importi in attesa di assegnazione e non indicati"]


# --- property: over-programming on known resources is always an error -----------------------------

YEARS = [2022, 2023, 2024]
STATE = st.one_of(st.integers(0, 300).map(lambda k: ("noto", Decimal(k) * 1000)),
                  st.just(("attesa", None)), st.just(("mancante", None)), st.just(("assente", None)))


def _amount_yaml(state) -> str | None:
    kind, value = state
    if kind == "noto":
        return f'"{fmt_euro(value)}"'
    return {"attesa": "{in_attesa: si}", "mancante": "~", "assente": None}[kind]


@st.composite
def plans(draw):
    # each fund's amounts by year, or for 2022 and the period 2023-2024 (counted in each of its years)
    shapes = {fid: draw(st.sampled_from([["2022", "2023", "2024"], ["2022", "2023-2024"]]))
              for fid in ("FNPS", "FNA", "FGSA")}
    budget = {fid: {period: draw(STATE) for period in periods} for fid, periods in shapes.items()}
    residui = draw(STATE)
    com = {y: draw(STATE.filter(lambda s: s[0] != "assente")) for y in YEARS}
    keys = draw(st.lists(st.sampled_from(["PdZ", "FNPS", "FNA", "FGSA", "RES-PDZ"]), min_size=1, max_size=3,
                         unique=True))
    prog = {y: {k: Decimal(draw(st.integers(0, 400))) * 1000 for k in keys} for y in YEARS}
    return budget, residui, com, prog


def _write(root: Path, budget, residui, com, prog) -> None:
    lines = ["budget:"]
    for fid, years in budget.items():
        written = {y: _amount_yaml(s) for y, s in years.items() if _amount_yaml(s) is not None}
        lines.append(f"  {fid}: " + ("{" + ", ".join(f"{y}: {a}" for y, a in written.items()) + "}" if written else "~"))
    if _amount_yaml(residui) is not None:
        lines.append(f"  RES-PDZ: {{ciclo: {_amount_yaml(residui)}}}")
    lines += ["  PAIS: da_schede", "cofinanziamento:", "  annualita:"]
    lines += [f"    {y}: {_amount_yaml(s)}" for y, s in com.items()]
    (root / FIN).write_text("\n".join(lines) + "\n", encoding="utf-8")
    card = (root / CARD).read_text(encoding="utf-8")
    head, tail = card.split("programmazione:\n")[0], card.split("servizi:\n")[1]
    body = "".join(f"  {y}:\n" + "".join(f"    {k}: \"{fmt_euro(a)}\"\n" for k, a in fonti.items())
                   for y, fonti in prog.items())
    (root / CARD).write_text(head + "programmazione:\n" + body + "servizi:\n" + tail, encoding="utf-8")


def _years(period) -> set[int]:
    a, _, b = str(period).partition("-")
    return set(range(int(a), int(b or a) + 1))


GROUPS = {"PdZ": ["FNPS", "FNA", "FGSA", "COM", "RES-PDZ"], "FNPS": ["FNPS"], "FNA": ["FNA"], "FGSA": ["FGSA"],
          "RES-PDZ": ["RES-PDZ"]}


def _payable(budget, residui, com, prog) -> bool:
    """Whether the known amounts can pay for every programmed amount, each spent once, in one of its years.

    Written independently of the checks: a transport problem solved by augmenting paths. A programmed
    amount (key, year) may draw on any known amount of one of the key's members whose period holds the year.
    """
    supply = [(m, _years(period), int(s[1])) for m, periods in (*budget.items(), ("COM", com))
              for period, s in periods.items() if s[0] == "noto"]
    supply += [("RES-PDZ", set(YEARS), int(residui[1]))] if residui[0] == "noto" else []
    demand = [(k, y, int(a)) for y, fonti in prog.items() for k, a in fonti.items() if a]
    left = [s[2] for s in supply]                    # what each known amount still has
    flow: dict[tuple[int, int], int] = {}            # (demand, supply) → money sent
    edges = [[j for j, (m, ys, _) in enumerate(supply) if m in GROUPS[k] and y in ys] for k, y, _ in demand]
    for i, (_, _, need) in enumerate(demand):
        while need:
            # a path demand i → supply j, possibly taking back money other demands sent (BFS over demands)
            prev, queue, found = {i: None}, [i], None
            while queue and found is None:
                d = queue.pop(0)
                for j in edges[d]:
                    if left[j]:
                        found = (d, j)
                        break
                    for d2 in range(len(demand)):
                        if d2 not in prev and flow.get((d2, j)):
                            prev[d2] = (d, j)
                            queue.append(d2)
            if found is None:
                return False
            d, j = found
            path, amount = [(d, j, +1)], left[j]
            while prev[d] is not None:
                d0, j0 = prev[d]
                path += [(d, j0, -1), (d0, j0, +1)]
                amount = min(amount, flow[(d, j0)])
                d = d0
            amount = min(amount, need)
            for d, j, sign in path:
                flow[(d, j)] = flow.get((d, j), 0) + sign * amount
            left[found[1]] -= amount
            need -= amount
    return True


# known shapes the checks once missed: residui spent in 2022 and again in 2023; a cycle amount spent in
# 2022 and 2024 but not 2023; a member programmed directly leaning on what its group already spent
TRICKY = [
    ({"FNPS": {"2022": ("noto", Decimal(100000)), "2023": ("noto", Decimal(100000)), "2024": ("assente", None)},
      "FNA": {"2022": ("assente", None)}, "FGSA": {"2022": ("assente", None)}}, ("noto", Decimal(30000)),
     {y: ("noto", Decimal(0)) for y in YEARS},
     {2022: {"PdZ": Decimal(120000)}, 2023: {"PdZ": Decimal(120000)}, 2024: {"PdZ": Decimal(0)}}),
    ({"FNPS": {"2022": ("assente", None)}, "FNA": {"2022": ("assente", None)}, "FGSA": {"2022": ("assente", None)}},
     ("noto", Decimal(30000)), {y: ("noto", Decimal(0)) for y in YEARS},
     {2022: {"RES-PDZ": Decimal(20000)}, 2023: {"RES-PDZ": Decimal(0)}, 2024: {"RES-PDZ": Decimal(20000)}}),
    ({"FNPS": {"2022": ("assente", None)}, "FNA": {"2022": ("assente", None)}, "FGSA": {"2022": ("assente", None)}},
     ("noto", Decimal(100000)), {2022: ("noto", Decimal(0)), 2023: ("noto", Decimal(100000)), 2024: ("noto", Decimal(0))},
     {2022: {"PdZ": Decimal(100000), "RES-PDZ": Decimal(0)}, 2023: {"PdZ": Decimal(0), "RES-PDZ": Decimal(100000)},
      2024: {"PdZ": Decimal(0), "RES-PDZ": Decimal(0)}}),
]


def test_payable_oracle():
    """The oracle itself: each tricky shape cannot be paid, and the same shape with less programmed can;
    and the random plans reach both sides (some over-programmed, some fully paid with money programmed),
    so that the property below cannot hold by never meeting one of them."""
    from hypothesis import find

    for budget, residui, com, prog in TRICKY:
        assert not _payable(budget, residui, com, prog)
        assert _payable(budget, residui, com, {y: {k: a / 2 for k, a in f.items()} for y, f in prog.items()})
    find(plans(), lambda p: not _payable(*p))
    find(plans(), lambda p: _payable(*p) and sum(a for f in p[3].values() for a in f.values()) > 100000)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
@example(TRICKY[0])
@example(TRICKY[1])
@example(TRICKY[2])
def test_over_programming_is_always_an_error(plan):
    budget, residui, com, prog = plan
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "piano"
        shutil.copytree(FIXTURES / "minimo", root)
        (root / FIN).write_text("", encoding="utf-8")
        _write(root, budget, residui, com, prog)
        _, problems = run(root)
    assert not [p for p in problems if p.code in ("importo-non-valido", "tipo-errato", "valore-non-valido")]
    money = {"fonte-eccedente", "fonte-in-attesa", "fonte-senza-importo", "fonte-non-in-budget"}
    errors = {(Path(p.loc.file).name, p.message.split(":")[0]) for p in problems
              if p.severity == "errore" and p.code in money}
    # more programmed than the known amounts can pay: an error at the card's own line; else no such error
    # (but for residui the budget does not list, which a card may not name at all, not even for € 0,00)
    unlisted = residui[0] == "assente" and "RES-PDZ" in prog[2022]
    assert (unlisted or not _payable(budget, residui, com, prog)) == (("A.1.yaml", "scheda A.1") in errors)
    # and a card line is told once, whichever fund, group or set of years it is over in
    lines = [p.loc.line for p in problems if Path(p.loc.file).name == "A.1.yaml" and p.code in money]
    assert len(lines) == len(set(lines))


def test_card_prints_its_fnps_quota(plan_dir: Path):
    """The quota a card spends FNPS on is printed beside the source, in the card every format draws."""
    from pdz_docs.finance.compute import fmt_fonti

    file, old, new = _quota("    PAIS: € 10.000,00", "€ 40.000,00", "minori_famiglia")
    edit(plan_dir / file, old, new)
    result, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "errore"] == []
    assert fmt_fonti(result.computed.schede["A.1"].anni[0]) == (
        "€ 40.000,00 PdZ + € 10.000,00 PAIS + € 40.000,00 FNPS (Quota minori e famiglia)")


def test_xlsx_card_notes(plan_dir: Path, tmp_path: Path):
    """The notes a card writes on its amounts (and the FNPS quota, the conditional mark) are in the XLSX
    programme sheet, in a «Note» column, as text even when they start like a formula."""
    import io

    import openpyxl

    from pdz_docs.cli import main

    edit(plan_dir / CARD, "PAIS: € 10.000,00", "PAIS: {importo: \"€ 10.000,00\", nota: \"=1+1 Avviso 1/2019\"}\n"
                                               "    FNPS: {importo: \"€ 1.000,00\", quota: libera}")
    edit(plan_dir / CARD, "    PdZ: € 50.000,00", "    PdZ: {importo: \"€ 50.000,00\", nota: anticipo 70%}")
    edit(plan_dir / FIN, *_aree('"€ 100.000,00"', '{in_attesa: si, nota: "=bilancio"}')[1:])
    out = tmp_path / "out"
    assert main(["build", str(plan_dir), "--format", "xlsx", "--output", str(out)]) == 0
    wb = openpyxl.load_workbook(io.BytesIO(next(out.glob("*.xlsx")).read_bytes()))
    ws = wb["Programmazione schede"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows[0][-1] == "Note"
    notes = {row[2]: row[-1] for row in rows[1:] if row[2]}
    assert notes == {"PdZ": "2023: anticipo 70%", "PAIS": "2022: =1+1 Avviso 1/2019", "FNPS": "2022: Quota libera"}
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=3) for c in row[-1:] if c.value)
    areas = [[c.value for c in row] for row in wb["Risorse comunali per area"].iter_rows(min_row=2, max_row=5)]
    assert areas == [["Area", "2022", "Note"], ["Accesso al welfare", 100000, None],
                     ["Tutela dei minori", "in attesa di assegnazione", "2022: in attesa di assegnazione – =bilancio"],
                     ["Totale", "€ 100.000,00, esclusi gli importi in attesa di assegnazione", None]]


def test_minimum_cofinancing_on_pending_transfers(plan_dir: Path):
    """The minimum co-financing is computed on the known transfers of its year; when one is pending, the
    table and every cited figure say so (not «100% dei trasferimenti FNPS + FNA + FGSA» on two of them)."""
    result, _ = run(plan_dir)
    assert result.computed.cifre["cofinanziamento"]["minimo"].text == "€ 200.000,00"
    edit(plan_dir / FIN, "  FNA:\n    2022: € 50.000,00", "  FNA:\n    2022: {in_attesa: si}")
    result, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "errore"] == []
    t = result.computed.tables["cofinanziamento_minimo"]
    assert t.title == ("Cofinanziamento comunale minimo (100% dei trasferimenti 2022 FNPS + FNA + FGSA noti, "
                       "ripartito per popolazione)")
    assert t.note == "Esclusi gli importi in attesa di assegnazione (FNA 2022)."
    cf = result.computed.cifre["cofinanziamento"]
    partial = " sui soli trasferimenti noti, esclusi gli importi in attesa di assegnazione (FNA 2022)"
    assert cf["minimo"].text == "€ 150.000,00" + partial
    assert cf["minimo_denaro"].text == "€ 75.000,00" + partial
    assert cf["percentuale_su_minimo"].text == "166,67% del minimo calcolato" + partial


def test_state_where_only_a_figure_goes(plan_dir: Path):
    """A past figure (here the previous co-financing) takes a figure only: the message says so, not «mappa»."""
    edit(plan_dir / FIN, "rendiconto_precedente:", "cofinanziamento_precedente:\n  Alfa: {2019: {in_attesa: si}}\n"
                                                   "rendiconto_precedente:")
    _, problems = run(plan_dir)
    assert [(p.code, p.message) for p in problems if p.severity == "errore"] == [
        ("importo-non-valido", "cofinanziamento_precedente.Alfa.2019: qui va scritta solo la cifra, es. "
                               "\"€ 1.234,56\" (non «in_attesa»)")]


def test_one_typo_among_many_cards(tmp_path: Path):
    """One card amount typed 4.000.000 for 45.600 in the default plan: the excess is told at the budget line and
    at that card's line only (the one line that alone could take the cut), not at the twelve other cards that
    program PdZ in 2022 within what was available."""
    from conftest import ROOT

    plan = tmp_path / "piano"
    shutil.copytree(ROOT / "content", plan)
    edit(plan / "schede" / "B.2.yaml", "PdZ: € 45.600,00", "PdZ: € 4.000.000,00")
    _, problems = run(plan)
    assert [(Path(p.loc.file).name, p.loc.line, p.code) for p in problems if p.severity == "errore"] == [
        ("finanza.yaml", line_of(plan / FIN, "  FNPS:"), "fonte-eccedente"),
        ("B.2.yaml", line_of(plan / "schede" / "B.2.yaml", "PdZ: € 4.000.000,00"), "fonte-eccedente")]


def test_past_figures_not_given_print_so_and_set_no_threshold(plan_dir: Path):
    """A past figure written ~ (as `pdz new` writes every one) prints «non indicato dalla fonte», never € 0,00; the
    totals and the cited figures say what they leave out; and an Ambito's historical spending that leaves a Comune
    out is no threshold for the co-financing (its warning is not given on a partial average)."""
    edit(plan_dir / FIN, "    Alfa: € 450.000,00", "    Alfa: € 900.000,00")
    edit(plan_dir / FIN, "rendiconto_precedente:", "cofinanziamento_precedente:\n  Alfa: {2019: \"€ 10.000,00\", 2020: ~}\n"
                                                   "  Beta: {2019: ~}\nrendiconto_precedente:")
    _, problems = run(plan_dir)
    assert [p.code for p in problems if p.severity == "avviso" and p.code != UNPROGRAMMED] == [
        "cofinanziamento-sotto-spesa-storica"] * 3   # € 250.000,00 a year, under the average € 350.000,00
    edit(plan_dir / FIN, "    Beta: € 150.000,00", "    Beta: ~")
    edit(plan_dir / FIN, "  impegnato: € 950.000,00", "  impegnato: ~")
    result, problems = run(plan_dir)
    assert [p for p in problems if p.severity != "nota" and p.code != UNPROGRAMMED] == []
    assert not [p for p in problems if "None" in p.message]
    t = result.computed.tables
    assert [[c.text for c in r] for r in t["spesa_storica"].body] == [
        ["Alfa", "€ 900.000,00", "€ 300.000,00"], ["Beta", "non indicato dalla fonte", "non indicato dalla fonte"],
        ["Totale Ambito", "€ 900.000,00, esclusi gli importi non indicati",
         "€ 300.000,00, esclusi gli importi non indicati"]]
    assert [c.text for c in t["rendiconto"].rows[0]] == ["€ 1.000.000,00"] + ["non indicato dalla fonte"] * 3
    assert [[c.text for c in r] for r in t["cofinanziamento_precedente"].body] == [
        ["Alfa", "€ 10.000,00", "non indicato dalla fonte", "€ 10.000,00, esclusi gli importi non indicati"],
        ["Beta", "non indicato dalla fonte", "—", "non indicato dalla fonte"],
        ["Totale", "€ 10.000,00, esclusi gli importi non indicati", "non indicato dalla fonte",
         "€ 10.000,00, esclusi gli importi non indicati"]]
    cifre = result.computed.cifre
    assert cifre["spesa_storica"]["media_annua"].text == "€ 300.000,00, esclusi gli importi non indicati"
    assert cifre["cofinanziamento"]["scarto_spesa_storica"].text == "non indicato dalla fonte"
    assert [cifre["rendiconto"][k].text for k in ("budget", "impegnato", "residuo", "avanzamento")] == [
        "€ 1.000.000,00"] + ["non indicato dalla fonte"] * 3
    fin = plan_dir / FIN
    assert [(e.posizione, e.message) for e in result.da_completare if e.code == "importo-non-indicato"] == [
        (f"finanza.yaml:{line_of(fin, 'Beta: ~')}", "Spesa sociale storica: Beta 2018-2020: importo non indicato"),
        (f"finanza.yaml:{line_of(fin, '2020: ~')}", "Cofinanziamento del precedente Piano: Alfa 2020: importo non indicato"),
        (f"finanza.yaml:{line_of(fin, '2019: ~')}", "Cofinanziamento del precedente Piano: Beta 2019: importo non indicato"),
        (f"finanza.yaml:{line_of(fin, 'impegnato: ~')}",
         "Rendiconto del precedente Piano: totale impegnato 2018-2021: importo non indicato")]
