"""Values YAML reads as something else than the writer meant, and what the writer is told.

`true`, `yes` and `on` are yes/no values, never a count, a number or a year; keys the models
read alike (`2023`, `"2023"`, `2_023`, `+2023`) are one key written twice; a key YAML would read
as a yes/no, an empty value or a date is the text written; a timestamp is not a date, even at
midnight; `.inf` and `.nan` are not numbers; an area is not an amount; a filter takes no
arguments and `{% raw %}` is a command like the others. Each problem is placed at its file,
line and column, and quoted back as the writer typed it, never as Python spells it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import UNPROGRAMMED, edit, line_of
from pdz_docs.pipeline import run
from pdz_docs.problems import NOTA

CARD = "schede/A.1.yaml"
CAP = "capitoli/10-cap1.md"
CITATION = "{{ cifre.popolazione.totale }}"


@dataclass
class Probe:
    id: str
    edits: list[tuple[str, str, str]]               # (file, old text, new text)
    expected: list[tuple[str, str, int, str]]       # (file, a text on the problem's line, column, code)
    messages: list[str] = field(default_factory=list)   # the problems' messages, exactly, when given

    def setup(self, plan: Path) -> None:
        for rel, old, new in self.edits:
            edit(plan / rel, old, new)


def piano(old: str, new: str) -> list[tuple[str, str, str]]:
    return [("piano.yaml", old, new)]


def fnps_2023_again(spelling: str) -> Probe:
    return Probe(f"duplicate-year-{spelling}", [("finanza.yaml", "    2023: € 100.000,00",
                                                  f"    2023: € 100.000,00\n    {spelling}: € 5,00")],
                 [("finanza.yaml", f"    {spelling}: € 5,00", 5, "yaml-chiave-duplicata")],
                 [f"chiave «{spelling}» ripetuta (vale come «2023», già presente alla riga 4)"
                  if spelling[0] in "+2" else "chiave «2023» ripetuta (già presente alla riga 4)"])


BANDS = "fasce_eta: {0-3: 100,"
PROBES = [
    # a yes/no where a whole number goes
    Probe("count-true", piano("famiglie: 1200", "famiglie: true"), [("piano.yaml", "famiglie: true", 15, "tipo-errato")],
          ["comuni.0.famiglie: deve essere un numero intero (trovato «true», che vale come sì/no)"]),
    Probe("users-on", [(CARD, "numero_utenti: 120", "numero_utenti: on")],
          [(CARD, "numero_utenti: on", 20, "tipo-errato")],
          ["servizi.0.numero_utenti: deve essere un numero intero (trovato «on», che vale come sì/no)"]),
    Probe("chapter-number-true", [(CAP, "numero: 1\n", "numero: true\n")], [(CAP, "numero: true", 9, "tipo-errato")],
          ["numero: deve essere un numero intero (trovato «true», che vale come sì/no)"]),
    Probe("chapter-order-yes", [(CAP, "ordine: 10", "ordine: yes")], [(CAP, "ordine: yes", 9, "tipo-errato")]),
    Probe("article-true", [(CARD, "articoli_rr: [83]", "articoli_rr: [true]")],
          [(CARD, "articoli_rr:", 19, "tipo-errato")]),
    Probe("comparison-year-yes", piano("comuni:", "confronto: {anno: yes}\ncomuni:"),
          [("piano.yaml", "confronto:", 19, "tipo-errato")]),
    # one key written twice, as the models read it
    *[fnps_2023_again(s) for s in ('"2023"', "2_023", "+2023", "'2023'")],
    Probe("duplicate-card-year", [(CARD, "  2023:\n", "  2023:\n    PdZ: € 1,00\n  '2023':\n")],
          [(CARD, "'2023':", 3, "yaml-chiave-duplicata")]),
    # keys YAML would read as yes/no, empty or a date: the text written
    Probe("band-keys", piano(BANDS, "fasce_eta: {null: 0, ~: 0, 2021-01-01: 0, yes: 0, 0-3: 100,"),
          [("piano.yaml", BANDS[:10], 17, "fascia-sconosciuta"), ("piano.yaml", BANDS[:10], 26, "fascia-sconosciuta"),
           ("piano.yaml", BANDS[:10], 32, "fascia-sconosciuta"), ("piano.yaml", BANDS[:10], 47, "fascia-sconosciuta")]),
    Probe("plan-key-empty", piano("ambito: Prova", "ambito: Prova\n~: 1"), [("piano.yaml", "~: 1", 1, "chiave-sconosciuta")]),
    Probe("chapter-key-empty", [(CAP, "ordine: 10", "ordine: 10\n~: 1")], [(CAP, "~: 1", 1, "chiave-sconosciuta")]),
    Probe("card-year-empty", [(CARD, "  2023:\n", "  ~:\n")], [(CARD, "  ~:", 3, "tipo-errato")],
          ["programmazione.~: deve essere un numero intero (trovato «~»)"]),
    Probe("card-source-no", [(CARD, "    PAIS: € 10.000,00", "    PAIS: € 10.000,00\n    no: € 1,00")],
          [(CARD, "    no: €", 5, "fonte-sconosciuta")]),
    Probe("budget-source-empty", [("finanza.yaml", "  FNA:", "  ~: € 1,00\n  FNA:")],
          [("finanza.yaml", "  ~: €", 3, "fonte-sconosciuta")]),
    Probe("historical-comune-empty", [("finanza.yaml", "    Beta: € 150", "    ~: € 1,00\n    Beta: € 150")],
          [("finanza.yaml", "    ~: €", 5, "comune-sconosciuto")]),
    # .inf and .nan are not numbers
    Probe("population-inf", piano("popolazione: 3000", "popolazione: .inf"),
          [("piano.yaml", "popolazione: .inf", 18, "tipo-errato")],
          ["comuni.0.popolazione: «.inf» non è un numero intero: scrivere le cifre senza punti, es. 1200"]),
    Probe("population-nan", piano("popolazione: 1000", "popolazione: .NaN"),
          [("piano.yaml", "popolazione: .NaN", 18, "tipo-errato")]),
    # a timestamp is not a date, even at midnight; quoted back as written
    *[Probe(f"date-time-{v}", piano("data_riferimento: 2021-12-31", f"data_riferimento: {v}"),
            [("piano.yaml", "data_riferimento:", 19, "tipo-errato")],
            [f"data_riferimento: deve essere una data senza ora, nella forma AAAA-MM-GG (trovato «{v}»)"])
      for v in ("2021-12-31T00:00:00Z", "2022-05-20T00:00:00+02:00", "2021-12-31T23:00:00-05:00")],
    Probe("date-true", piano("data_riferimento: 2021-12-31", "data_riferimento: true"),
          [("piano.yaml", "data_riferimento:", 19, "tipo-errato")],
          ["data_riferimento: deve essere una data nella forma AAAA-MM-GG (trovato «true», che vale come sì/no)"]),
    # an area is not an amount
    Probe("area-dot", piano('superficie_km2: "100,00"', "superficie_km2: 100.5"),
          [("piano.yaml", "superficie_km2:", 17, "numero-ambiguo")],
          ['superficie_km2: «100.5» è ambiguo (punto delle migliaia o dei decimali?): scrivere la superficie in km² '
           'tra virgolette, es. "100,5"']),
    Probe("area-off", piano('superficie_km2: "100,00"', "superficie_km2: off"),
          [("piano.yaml", "superficie_km2:", 17, "tipo-errato")],
          ['superficie_km2: deve essere una superficie in km², es. "123,45" (trovato «off», che vale come sì/no)']),
    Probe("amount-yes", [("finanza.yaml", "    Alfa: € 450.000,00", "    Alfa: yes")],
          [("finanza.yaml", "    Alfa: yes", 11, "importo-non-valido")],
          ["spesa_storica.comuni.Alfa: deve essere un importo (trovato «yes», che vale come sì/no)"]),
    Probe("card-amount-on", [(CARD, "    PdZ: € 50.000,00", "    PdZ: on")],
          [(CARD, "    PdZ: on", 10, "importo-non-valido")],
          ["programmazione.2023.PdZ: deve essere un importo (trovato «on», che vale come sì/no)"]),
    Probe("area-decimals", piano('superficie_km2: "100,00"', 'superficie_km2: "100,555"'),
          [("piano.yaml", "superficie_km2:", 17, "valore-non-valido")]),
    # chapters: filters take no arguments; {% raw %} is refused like every {% %}
    Probe("filter-argument", [(CAP, CITATION, "{{ cifre.popolazione.totale | upper(1) }}")],
          [(CAP, "upper(1)", 46, "cifre-non-ammesso")],
          ["espressione non ammessa nel capitolo: nei capitoli si possono solo citare cifre e tabelle: i filtri non "
           "hanno argomenti, si scrive «| upper» senza parentesi"]),
    Probe("raw", [(CAP, "## Lo \"stato", "Testo {% raw %}{{ x }}{% endraw %}\n\n## Lo \"stato")],
          [(CAP, "{% raw", 7, "cifre-non-ammesso")]),
]


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_probe(probe: Probe, plan_dir: Path):
    probe.setup(plan_dir)
    _, problems = run(plan_dir)
    shown = [p for p in problems if p.severity != NOTA and p.code != UNPROGRAMMED]
    found = [(Path(p.loc.file).relative_to(plan_dir).as_posix(), p.loc.line, p.loc.col, p.code) for p in shown]
    assert found == [(rel, line_of(plan_dir / rel, at), col, code) for rel, at, col, code in probe.expected], \
        [p.message for p in shown]
    if probe.messages:
        assert [p.message for p in shown] == probe.messages
    for p in shown:   # no Python names, no English suggestion
        assert not any(w in p.message for w in ("None", "True", "False", "datetime", "es. inf", "es. nan", "€ 100"))

