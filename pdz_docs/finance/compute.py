"""Compute every derived figure and table of the plan from its raw data, once.

Nothing here formats text for a renderer beyond choosing a cell format; nothing here reads
files. One function, `compute`, calls each subject in the order of the document: the Ambito's
people (`demografia`), the Comuni's money (`cofinanziamento`), the funds (`fondi`, the one
place that computes availability per period) and the cards' programming (`programmazione`).
The result feeds the money checks, the chapters' figures namespace (`cifre`) and every renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pdz_docs.finance.cofinanziamento import cofinanziamento, storico
from pdz_docs.finance.demografia import PER_COMUNE, demografia, without_repeated_totals
from pdz_docs.finance.fondi import (Disponibilita, Fondo, Uso, budget_table, disponibile_cell, disponibilita,
                                    fondi, fonte_nome, fonte_scheda, fund_tables, summary_table, voce_cell,
                                    years_of)
from pdz_docs.finance.programmazione import (YEAR_TOTAL_KEY, AnnoScheda, FonteAnno, ProgrammazioneScheda,
                                             fmt_fonti, programmazione_schede, quadro_sinottico, scheda_tables)
from pdz_docs.finance.table import Cell, Table
from pdz_docs.model import Plan

__all__ = ["ANNEX_TABLES", "YEAR_TOTAL_KEY", "AnnoScheda", "Computed", "Disponibilita", "FonteAnno", "Fondo", "ProgrammazioneScheda",
           "Uso", "compute", "disponibile_cell", "disponibilita", "fmt_fonti", "fonte_nome", "fonte_scheda",
           "voce_cell", "years_of"]

# the financial annexes that close the document print these tables, whether or not a chapter inserts them
ANNEX_TABLES = ("scheda_a", "scheda_c")


@dataclass(frozen=True)
class Computed:
    tables: dict[str, Table]
    schede: dict[str, ProgrammazioneScheda]
    fondi: dict[str, Fondo]
    cifre: dict
    minimo: dict = field(default_factory=dict)   # name → Decimal, for checks
    # every card's amounts by source and its total (the XLSX sheet "Programmazione schede");
    # not citable in chapters: its subtotal rows sit among the data rows
    programmazione: Table | None = None


def compute(plan: Plan) -> Computed:
    f = plan.finanza
    prog = programmazione_schede(plan)
    fnd = fondi(plan, prog)
    tables: dict[str, Table] = {}
    minimo: dict = {}
    cifre: dict = {}
    one = len(plan.piano.comuni) == 1

    def add(t: Table) -> None:
        tables[t.id] = without_repeated_totals(t) if one and t.id in PER_COMUNE else t

    demografia(plan, add, cifre)
    if f:
        media = storico(plan, add, cifre, minimo)
        fund_tables(plan, fnd, add, cifre)
        cofinanziamento(plan, fnd, add, cifre, minimo, media)
        budget_table(plan, fnd, add, cifre)
    programmazione = scheda_tables(plan, prog, add)
    add(summary_table(plan, fnd))
    tables["quadro_sinottico"] = quadro_sinottico(plan)
    cifre["schede"] = {"numero": Cell(len(plan.schede), "int")}
    return Computed(tables, prog, fnd, cifre, minimo, programmazione)
