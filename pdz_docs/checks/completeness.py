"""What is still missing before the plan is submitted: the draft's «Elementi da completare».

A plan is a draft (`stato: bozza`, the default) or definitive (`stato: definitivo` in
piano.yaml, or `pdz check/build --definitivo`). The list is computed once, here, from the
loaded plan and from the problems the other checks found; each item is located
(file:line) and names the card or section it belongs to:

- amounts not given (`~`) or pending assignment, in the budget, the co-financing (its years,
  areas and Comuni), the FNPS quotas and the cards (read as `Voce`, never parsed again), and
  years of the cycle left out of the co-financing; a card's pending amount where the budget
  waits for nothing of that fund is an amount not given; the past figures (historical
  spending, the previous plan's report and co-financing) left `~` [importo-non-indicato,
  importo-in-attesa]. `pdz new` writes `~` for every amount, so a new plan's blanks are here;
- the reference date of the population figures and dates of the participation path left blank
  [data-mancante];
- boxes of the regional detail card with nothing ticked, and the yes/no of the previous
  plan's services left blank [casella-mancante];
- required fields of the regional card left empty [campo-vuoto] (the set is `CARD_REQUIRED`
  and `SERVICE_REQUIRED` below, taken from the regional card's rows);
- a Comune's population left at the skeleton's 0 [campo-vuoto];
- notes «da verificare» and the skeleton's «[Da scrivere]» left in the YAML files and
  chapters [da-verificare, da-scrivere]; in chapters, blanks typed to be filled in later
  («€ ________», «n. ___ del __/__/____», «€ ........») [spazio-da-riempire] and «TODO» [da-fare];
- resources left unprogrammed: the `da-programmare` findings of checks/finance.py, reused.

In a draft the list is part of the result, not of its problems: the document prints it at
its end and `pdz check` shows each item as a note (the unprogrammed resources stay the
warnings they are). In a definitive plan every item is an error, so nothing is written —
except the amounts pending assignment: the Region assigns them, not the Ufficio di Piano,
and plans are adopted while funds are still «in attesa di assegnazione» (the regional
resources slides list them so); they stay notes and the document prints their state.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pdz_docs.finance.fondi import years_of
from pdz_docs.finance.money import fmt_voce
from pdz_docs.load.plan import Plan
from pdz_docs.load.yamlsrc import YamlDoc, read_text
from pdz_docs.problems import Loc, Problem, errore, nota

DA_PROGRAMMARE = "da-programmare"   # the code of checks/finance.py's check_da_programmare
IN_ATTESA = "importo-in-attesa"     # awaits the Region: never blocks a definitive plan (module docstring)

# Rows of the regional detail card that must be filled in before submission: (field, label on the
# card, code). A box row needs one option ticked; a field needs some content. «Documenti collegati»
# and the number of users may be empty on the regional card itself, so they are not required.
CARD_REQUIRED = (
    ("livelli_priorita", "Livello di priorità", "casella-mancante"),
    ("aree", "Area strategica", "casella-mancante"),
    ("obiettivi", "Obiettivo tematico", "campo-vuoto"),
    ("risultati_attesi", "Risultati attesi", "campo-vuoto"),
    ("servizi", "Denominazione dei servizi e/o degli interventi", "campo-vuoto"),
    ("valenza_territoriale", "Valenza territoriale", "casella-mancante"),
    ("gestione", "Modalità di gestione", "casella-mancante"),
    ("programmazione", "Programmazione economica", "campo-vuoto"),
)
# a ticked «Altro» needs its text: (boxes field, text field, label)
CARD_OTHER = (("valenza_territoriale", "valenza_altro", "Valenza territoriale"),
              ("gestione", "gestione_altro", "Modalità di gestione"))
SERVICE_REQUIRED = (("utenza", "Utenza"), ("operatori", "Profilo degli operatori"),
                    ("azioni", "Dettaglio delle azioni da realizzare"))
# Words a writer leaves in a file to say that something is not finished (matched ignoring case).
MARKERS = (("da verificare", "da-verificare", "nota «da verificare»"),
           ("[da scrivere]", "da-scrivere", "testo «[Da scrivere]» ancora da sostituire"))


@dataclass(frozen=True)
class Elemento:
    """One thing still missing: where it is written, which part of the plan, what is missing."""

    loc: Loc
    code: str
    parte: str        # the card, section or part of the plan, e.g. «scheda B.1 – Integrazione al reddito»
    cosa: str         # what is missing there
    posizione: str    # file:line relative to the plan's folder, as the document prints it

    @property
    def message(self) -> str:
        return f"{self.parte}: {self.cosa}"


def da_completare(plan: Plan, found: list[Problem]) -> tuple[Elemento, ...]:
    """Every item still missing, in the order of the plan: piano.yaml, finanza.yaml, cards, chapters.

    `found` are the problems of the other checks: their `da-programmare` findings are items too.
    """
    items = _Items(plan.root)
    items.rank = (0,)
    if plan.piano is not None:
        _piano(plan, items)
    items.rank = (1,)
    if plan.finanza is not None:
        _finanza(plan, items)
    for p in found:
        if p.code == DA_PROGRAMMARE:
            items.add(p.loc, p.code, "Budget", p.message)
    # the cards are printed where a chapter cites «{{ schede() }}» (after the chapters, if none does)
    where = next(((2, i, cap.body_line + cap.body[: m.start()].count("\n")) for i, cap in enumerate(plan.capitoli)
                  for m in [_SCHEDE.search(cap.body)] if m), (3, 0, 0))
    order = {c: i for i, c in enumerate(plan.regole.nomenclatore)} if plan.regole else {}
    for s in plan.schede:
        items.rank = where + (1 + order.get(s.scheda.codice, len(order)), s.scheda.codice)
        _scheda(plan, s, items)
    for i, cap in enumerate(plan.capitoli):
        items.rank = (2, i)
        _capitolo(cap, items)
    return items.in_order()


def as_errors(items: tuple[Elemento, ...], found: list[Problem]) -> list[Problem]:
    """A definitive plan: `found` with every item as an error (its `da-programmare` warnings become errors);
    a pending amount stays a note."""
    return [p for p in found if p.code != DA_PROGRAMMARE] + [
        (nota if e.code == IN_ATTESA else errore)(e.loc, e.code, e.message) for e in items]


def as_notes(items: tuple[Elemento, ...]) -> list[Problem]:
    """A draft: the items as notes, for `pdz check` to show (the `da-programmare` ones are warnings already)."""
    return [nota(e.loc, e.code, e.message) for e in items if e.code != DA_PROGRAMMARE]


_SCHEDE = re.compile(r"\{\{-?\s*schede\s*\(")


class _Items:
    """The items as found, each with its place in the document (`rank`, set by part), put in the
    document's order by `in_order`: piano.yaml, finanza.yaml, then the chapters in order, with the
    cards where a chapter prints them, in the nomenclatore's order; within a part, by file and line."""

    def __init__(self, root: Path):
        self.root = os.path.abspath(root)
        self.out: list[tuple[tuple, Elemento]] = []
        self.rank: tuple = ()

    def add(self, loc: Loc, code: str, parte: str, cosa: str) -> None:
        rel = os.path.relpath(os.path.abspath(loc.file), self.root)
        shown = (rel if not rel.startswith("..") else loc.file) + (f":{loc.line}" if loc.line else "")
        self.out.append((self.rank, Elemento(loc, code, parte, cosa, shown)))

    def in_order(self) -> tuple[Elemento, ...]:
        def key(ranked):
            rank, e = ranked
            if len(rank) == 2:   # a chapter's own item: at its line, before cards printed at that line
                rank = rank + (e.loc.line or 0, 0, "")
            return rank, e.posizione.rsplit(":", 1)[0], e.loc.line or 0, e.loc.col or 0
        return tuple(e for _, e in sorted(self.out, key=key))   # sorted is stable: same place, as found


def _amount(items: _Items, loc: Loc, parte: str, what: str, voce) -> None:
    if voce.importo is None and not voce.da_schede:
        code = "importo-in-attesa" if voce.in_attesa else "importo-non-indicato"
        items.add(loc, code, parte, f"{what}: {fmt_voce(voce) if voce.in_attesa else 'importo non indicato'}")


def _piano(plan: Plan, items: _Items) -> None:
    p = plan.piano
    if p.data_riferimento is None:   # `pdz new` writes «data_riferimento: ~»: the tables' date prints blank
        items.add(plan.loc("piano", "data_riferimento"), "data-mancante", "Dati demografici",
                  "data di riferimento dei dati demografici (data_riferimento) non indicata")
    for i, com in enumerate(p.comuni):
        if com.popolazione == 0:   # `pdz new` writes «popolazione: 0»: no Comune has no residents
            items.add(plan.loc("piano", "comuni", i, "popolazione"), "campo-vuoto", "Dati demografici",
                      f"{com.nome}: popolazione residente non indicata (0)")
    for i, passo in enumerate(p.percorso):
        if passo.data is None:
            items.add(plan.loc("piano", "percorso", i, "data"), "data-mancante", "Percorso di concertazione",
                      f"data di «{passo.fase} – {passo.incontro}» non indicata")
    for i, s in enumerate(p.servizi_precedenti):
        if s.attivo is None:
            items.add(plan.loc("piano", "servizi_precedenti", i, "attivo"), "casella-mancante",
                      "Servizi del Piano precedente", f"«{s.denominazione}»: attivo sì o no non indicato")
    _markers(plan.docs.get("piano"), "piano.yaml", items)


def _finanza(plan: Plan, items: _Items) -> None:
    f = plan.finanza
    for fid, periods in f.budget.items():
        if periods is None:
            items.add(plan.loc("finanza", "budget", fid), "importo-non-indicato", "Budget",
                      f"fonte {fid}: importo non indicato")
            continue
        for period, voce in periods.items():
            key = int(period) if period.isdigit() else period
            _amount(items, plan.loc("finanza", "budget", fid, key), "Budget", f"fonte {fid} {period}", voce)
    if f.cofinanziamento is not None:
        for year, voce in f.cofinanziamento.annualita.items():
            _amount(items, plan.loc("finanza", "cofinanziamento", "annualita", year), "Cofinanziamento comunale",
                    f"annualità {year}", voce)
        for year in (plan.regole.anni if plan.regole else ()):
            if year not in f.cofinanziamento.annualita:   # a year left out is not given either
                items.add(plan.key_loc("finanza", "cofinanziamento", "annualita"), "importo-non-indicato",
                          "Cofinanziamento comunale", f"annualità {year}: importo non indicato (l'anno manca)")
        for field, what in (("per_area", "area"), ("per_comune", "Comune")):
            for name, years in getattr(f.cofinanziamento, field).items():
                for year, voce in years.items():
                    _amount(items, plan.loc("finanza", "cofinanziamento", field, name, year),
                            "Cofinanziamento comunale", f"{what} «{name}» {year}", voce)
    labels = plan.regole.vincoli.quote_fnps if plan.regole else {}
    for period, quote in f.fnps_quote.items():
        key = int(period) if period.isdigit() else period
        for quota, voce in quote.items():
            _amount(items, plan.loc("finanza", "fnps_quote", key, quota), "Quote del FNPS",
                    f"{labels.get(quota, quota)} {period}", voce)
    # the past figures: known, or not given yet (~, as `pdz new` writes them)
    if f.spesa_storica is not None:
        for comune, v in f.spesa_storica.comuni.items():
            if v is None:
                items.add(plan.loc("finanza", "spesa_storica", "comuni", comune), "importo-non-indicato",
                          "Spesa sociale storica", f"{comune} {f.spesa_storica.periodo}: importo non indicato")
    for comune, years in f.cofinanziamento_precedente.items():
        for year, v in years.items():
            if v is None:
                items.add(plan.loc("finanza", "cofinanziamento_precedente", comune, year), "importo-non-indicato",
                          "Cofinanziamento del precedente Piano", f"{comune} {year}: importo non indicato")
    rp = f.rendiconto_precedente
    if rp is not None:
        for field, label in (("budget", "budget"), ("impegnato", "totale impegnato")):
            if getattr(rp, field) is None:
                items.add(plan.loc("finanza", "rendiconto_precedente", field), "importo-non-indicato",
                          "Rendiconto del precedente Piano", f"{label} {rp.periodo}: importo non indicato")
    _markers(plan.docs.get("finanza"), "finanza.yaml", items)


def _pending_in_budget(plan: Plan, fid: str, year: int) -> bool:
    """Whether a card may wait for the Region for `fid` in `year`: the budget (the co-financing, for COM)
    has an amount pending for it, or for a member of the group `fid`, in that year, or leaves the
    amount to the cards (`da_schede`). Otherwise the card's «in attesa» awaits nothing the plan
    lists, and is an amount not given."""
    r, f = plan.regole, plan.finanza
    if r is None or f is None:
        return True   # the plan did not load whole: nothing to compare with
    members = [code for code, fonte in r.fonti.items() if fonte.gruppo == fid] or [fid]
    for m in members:
        if m == "COM":
            voce = f.cofinanziamento.annualita.get(year) if f.cofinanziamento else None
            if voce is not None and voce.in_attesa:
                return True
        for period, voce in (f.budget.get(m) or {}).items():
            if (voce.in_attesa or voce.da_schede) and year in years_of(period, r.anni):
                return True
    return False


def _scheda(plan: Plan, s, items: _Items) -> None:
    sc, doc = s.scheda, s.doc
    parte = f"scheda {sc.codice} – {sc.titolo}"
    for field, label, code in CARD_REQUIRED:
        if not getattr(sc, field):
            verb = "nessuna casella selezionata" if code == "casella-mancante" else "non compilato"
            items.add(doc.loc(field) if field in doc.data else doc.key_loc("codice"), code, parte, f"«{label}»: {verb}")
    for boxes, text, label in CARD_OTHER:
        if "altro" in getattr(sc, boxes) and not getattr(sc, text):
            items.add(doc.loc(boxes), "campo-vuoto", parte, f"«{label}»: «Altro» selezionato senza specificare "
                      f"(«{text}»)")
    for year, fonti in sc.programmazione.items():
        for fid, voce in fonti.items():
            loc = doc.loc("programmazione", year, fid)
            if voce.in_attesa and voce.importo is None and not _pending_in_budget(plan, fid, year):
                items.add(loc, "importo-non-indicato", parte, f"programmazione {year}, fonte {fid}: "
                          f"{fmt_voce(voce)}, ma il budget non ha importi di {fid} in attesa per il {year}")
                continue
            _amount(items, loc, parte, f"programmazione {year}, fonte {fid}", voce)
    for i, serv in enumerate(sc.servizi):
        for field, label in SERVICE_REQUIRED:
            if not getattr(serv, field):
                items.add(doc.loc("servizi", i, field), "campo-vuoto", parte,
                          f"servizio «{serv.denominazione}»: «{label}» non compilato")
    _markers(doc, parte, items)


def _markers(doc: YamlDoc | None, parte: str, items: _Items) -> None:
    """The notes left in a YAML file, comments included (so its text is read again, as written)."""
    if doc is None:
        return
    text, _ = read_text(Path(doc.file), doc.file)   # unreadable files were reported when loading
    for n, line in enumerate((text or "").split("\n"), 1):
        _line_markers(line, Loc(doc.file, n, 1), parte, items)


def _line_markers(line: str, at: Loc, parte: str, items: _Items) -> None:
    low = line.lower()
    for word, code, what in MARKERS:
        col = low.find(word)
        if col >= 0:
            items.add(Loc(at.file, at.line, col + 1), code, parte, f"{what}: «{_excerpt(line)}»")


def _excerpt(line: str, width: int = 80) -> str:
    text = " ".join(line.replace("**", "").strip().lstrip("#>-* ").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


_SECTION = re.compile(r"^##[ \t]+(.+?)[ \t#]*$")


# What a writer types in a chapter for what is still to come, and the document would print as it is: a
# blank to fill in («€ ________», «n. ___», «__/__/____», «€ \_\_\_», «€ ........», «xx/xx/xxxx») or a
# «TODO» (any case). Not a blank: a line of underscores alone (a thematic break), a link's address, a
# Jinja comment {# … #} (never printed).
BLANKS = (re.compile(r"_{3,}|(?:\\_){3,}|_+/_+/_*|\.{4,}|…{2,}|\b[xX]{2}/[xX]{2}/[xX]{2,4}\b"),
          "spazio-da-riempire", "spazio da riempire")
TODO = (re.compile(r"\bTODO\b", re.I), "da-fare", "segnaposto")
_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_NOT_PRINTED = re.compile(r"<?https?://[^\s)>]*|^\s*_{3,}\s*$")


def _capitolo(cap, items: _Items) -> None:
    title = f"capitolo «{cap.meta.titolo}»"
    parte = title
    # what prints of each line, lines and columns kept: comments (over several lines too) blanked out
    printed_lines = _COMMENT.sub(lambda x: re.sub(r"[^\n]", " ", x.group(0)), cap.body).split("\n")
    for n, (line, printed) in enumerate(zip(cap.body.split("\n"), printed_lines)):
        m = _SECTION.match(line)
        if m:
            parte = f"{title}, sezione «{m.group(1)}»"
        at = Loc(cap.file, cap.body_line + n, 1)
        _line_markers(line, at, parte, items)
        printed = _NOT_PRINTED.sub(lambda x: " " * len(x.group(0)), printed)
        for pattern, code, what in (BLANKS, TODO):
            for found in pattern.finditer(printed):
                items.add(Loc(at.file, at.line, found.start() + 1), code, parte, f"{what}: «{_excerpt(line)}»")
