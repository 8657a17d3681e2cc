"""The cards' programming: each card's amounts per year and source, Schede A and C, the Quadro sinottico.

A card's year amount and total, and every total of Schede A and C, are sums of amounts that
may be pending or not given: each is a `Disponibilita`, printed saying what it leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pdz_docs.finance.fondi import Disponibilita, disponibile_cell, fonte_nome, fonte_scheda, somma
from pdz_docs.finance.money import IN_ATTESA, NON_INDICATO, Voce, fmt_voce
from pdz_docs.finance.table import Cell, Table, cells, sums_across, sums_down
from pdz_docs.model import Plan

YEAR_TOTAL_KEY = "importo"


@dataclass(frozen=True)
class FonteAnno:
    fonte: str
    nome: str
    importo: Decimal | None
    voce: Voce = Voce()              # the amount as written: its state, note, whether conditional
    quota: str = ""                  # the name of the FNPS quota it is spent on, if the card says it




@dataclass(frozen=True)
class AnnoScheda:
    anno: int
    importo: Decimal | None          # computed: sum of its sources (None unless every one is known)
    fonti: tuple[FonteAnno, ...]
    somma: Disponibilita = Disponibilita()   # the same sum, saying what it leaves out

    @property
    def testo(self) -> str:
        return disponibile_cell(self.somma).text


@dataclass(frozen=True)
class ProgrammazioneScheda:
    codice: str
    anni: tuple[AnnoScheda, ...]
    totale: Decimal | None
    somma: Disponibilita = Disponibilita()

    @property
    def testo(self) -> str:
        return disponibile_cell(self.somma).text


def programmazione_schede(plan: Plan) -> dict[str, ProgrammazioneScheda]:
    out = {}
    for s in plan.schede:
        anni = []
        for year in sorted(s.scheda.programmazione):
            quote = plan.regole.vincoli.quote_fnps
            fonti = tuple(FonteAnno(f, fonte_nome(plan.regole, f), v.importo, v, quote.get(v.quota, v.quota or ""))
                          for f, v in s.scheda.programmazione[year].items() if f != YEAR_TOTAL_KEY)
            d = somma((f"{fa.fonte} {year}", fa.voce) for fa in fonti)
            anni.append(AnnoScheda(year, d.noto if d.completa else None, fonti, d))
        d = sum((a.somma for a in anni), Disponibilita())
        total = d.noto if anni and d.completa else None
        out[s.scheda.codice] = ProgrammazioneScheda(s.scheda.codice, tuple(anni), total, d)
    return out


def _source_rows(plan: Plan, prog) -> dict[str, dict[str, list[tuple[str, list[Disponibilita]]]]]:
    """Scheda (A or C) → card code → (source, amount per cycle year) rows, cards in the nomenclatore's order.

    Each amount is a sum that names what it leaves out (pending or not-given card amounts);
    a year the card does not program with that source is a known zero.
    """
    r = plan.regole
    years = r.anni
    order = {c: i for i, c in enumerate(r.nomenclatore)}
    out: dict[str, dict[str, list[tuple[str, list[Disponibilita]]]]] = {"A": {}, "C": {}}
    for code in sorted(prog, key=lambda c: order.get(c, len(order))):
        for which in out:
            by_fonte: dict[str, list[Disponibilita]] = {}
            for a in prog[code].anni:
                for fa in a.fonti:
                    if fonte_scheda(r, fa.fonte) != which:
                        continue
                    vals = by_fonte.setdefault(fa.fonte, [Disponibilita()] * len(years))
                    if a.anno in years:
                        vals[years.index(a.anno)] += somma(((f"{fa.fonte} {a.anno}", fa.voce),))
            out[which][code] = list(by_fonte.items())
    return out


def _total(ds) -> Disponibilita:
    return sum(ds, Disponibilita())


def scheda_tables(plan: Plan, prog, add) -> Table:
    """Schede A and C (added to the citable tables) and the programming card by card (returned).

    An amount a card gives as pending or not given is printed in its state, and every total
    over it says what it leaves out; only totals of known figures are declared as sums.
    """
    r = plan.regole
    years = r.anni
    ny = len(years)
    amounts = range(3, 4 + ny)  # the year columns and the row total, after Codice, Servizio, Fonte
    titles = {s.scheda.codice: s.scheda.titolo for s in plan.schede}
    source_rows = _source_rows(plan, prog)
    for which, title in (("A", "Scheda A – Servizi e interventi finanziati con il budget ordinario del PdZ"),
                         ("C", "Scheda C – Servizi e interventi finanziati con ulteriori risorse")):
        figures: list[list[Disponibilita]] = []   # per row: the years, then the row total
        rows_of: dict[str, list[int]] = {}  # source → its row indices
        labels = []
        for code, lines in source_rows[which].items():
            for k, (fid, vals) in enumerate(lines):
                rows_of.setdefault(fid, []).append(len(figures))
                figures.append(vals + [_total(vals)])
                labels.append((code if k == 0 else "", titles[code] if k == 0 else "", fid))
        n = len(figures)
        totals = [(f"Totale {fid}", [_total(figures[i][j] for i in idx) for j in range(ny + 1)], idx)
                  for fid, idx in rows_of.items()]
        totals.append((f"Totale Scheda {which}", [_total(f[j] for f in figures) for j in range(ny + 1)], range(n)))
        sums = sums_across([i for i, f in enumerate(figures) if f[-1].completa], range(3, 3 + ny), 3 + ny)
        for t, (_, vals, idx) in enumerate(totals):  # a subtotal per source, then the grand total
            sums += sums_down(n + t, idx, (j for j, v in zip(amounts, vals) if v.completa))
        rows = [cells(*lab, *(disponibile_cell(v) for v in f)) for lab, f in zip(labels, figures)]
        # amounts programmed on resources still to be assigned are figures the totals count: the note names them
        conditional = [f"{code} {fa.fonte} {a.anno}" for code in source_rows[which] for a in prog[code].anni
                       for fa in a.fonti if fa.voce.condizionato and fonte_scheda(r, fa.fonte) == which]
        note = ("I totali comprendono importi condizionati all'assegnazione delle risorse: " + ", ".join(conditional) + "."
                if conditional else None)
        add(Table(f"scheda_{which.lower()}", title,
                  (("Codice", "Servizio / intervento", "Fonte", *(str(y) for y in years), "Totale"),),
                  tuple(rows), tuple(cells(lab, "", "", *(disponibile_cell(v) for v in vals)) for lab, vals, _ in totals),
                  note, (1, 6, 2) + (2,) * (ny + 1), landscape=True,
                  kinds=("data",) * n + ("subtotal",) * (len(totals) - 1) + ("total",), sums=sums))

    programmazione = _programme_by_card(plan, prog, source_rows)

    return programmazione


def _programme_by_card(plan: Plan, prog, source_rows) -> Table:
    """Every card's rows of Schede A and C, with the source's name, then the card's total."""
    r = plan.regole
    years = r.anni
    ny = len(years)
    titles = {s.scheda.codice: s.scheda.titolo for s in plan.schede}
    rows, kinds, sums = [], [], ()
    amounts = range(4, 5 + ny)
    # what the cards say of their amounts (notes, FNPS quota, conditional): a last column, when any
    said = {(code, fa.fonte): [] for code in prog for a in prog[code].anni for fa in a.fonti}
    for code in prog:
        for a in prog[code].anni:
            for fa in a.fonti:
                if _detto(fa):
                    said[(code, fa.fonte)].append(f"{a.anno}: {_detto(fa)}")
    noted = any(said.values())
    for code in source_rows["A"]:
        lines = source_rows["A"][code] + source_rows["C"][code]
        first = len(rows)
        for k, (fid, vals) in enumerate(lines):
            tot = _total(vals)
            if tot.completa:
                sums += sums_across((len(rows),), range(4, 4 + ny), 4 + ny)
            rows.append(cells(code if k == 0 else "", titles[code] if k == 0 else "", fid, fonte_nome(r, fid),
                              *(disponibile_cell(v) for v in vals + [tot]),
                              *(("; ".join(said.get((code, fid), ())),) if noted else ())))
        if not lines:  # a card with no programming at all
            rows.append(cells(code, titles[code], "", "", *(Cell("—") for _ in amounts), *(("",) if noted else ())))
        kinds += ["data"] * (len(rows) - first)
        # a year the card does not program is 0 (its rows show 0,00)
        by_year = {a.anno: a.somma for a in prog[code].anni}
        figures = [by_year.get(y, Disponibilita()) for y in years] + [prog[code].somma]
        if prog[code].anni:
            if lines:  # a card that lists its years with no source has programmed nothing: zero, not a sum
                sums += sums_down(len(rows), range(first, len(rows)),
                                  (j for j, v in zip(amounts, figures) if v.completa))
            rows.append(cells(f"Totale {code}", "", "", "", *(disponibile_cell(v) for v in figures),
                              *(("",) if noted else ())))
        else:
            rows.append(cells(f"Totale {code}", "", "", "", *(Cell("—") for _ in amounts), *(("",) if noted else ())))
        kinds.append("subtotal")
    return Table("programmazione_schede",
                 f"Programmazione economica delle schede di progettazione ({r.ciclo})",
                 (("Codice", "Servizio / intervento", "Fonte", "Denominazione della fonte",
                   *(str(y) for y in years), "Totale", *(("Note",) if noted else ())),),
                 tuple(rows), (), "Per ogni scheda, gli importi per fonte riportati nelle Schede A e C. "
                 f"«{IN_ATTESA}»: risorse non ancora assegnate; «{NON_INDICATO}»: la scheda non riporta "
                 "l'importo; «—»: scheda senza programmazione economica.", (1, 6, 1, 4) + (2,) * (ny + 1) + ((4,) if noted else ()),
                 landscape=True, kinds=tuple(kinds), sums=sums)


def quadro_sinottico(plan: Plan) -> Table:
    r = plan.regole
    by_code = {s.scheda.codice: dict(s.scheda.livelli_priorita) for s in plan.schede}
    for code, extra in plan.piano.quadro_sinottico.items():   # entries with no card, or levels a card lacks
        for lv, items in extra.items():
            by_code.setdefault(code, {}).setdefault(lv, items)
    rows = []
    for code, title in r.nomenclatore.items():
        sc = by_code.get(code)
        levels = []
        for lv in r.livelli_priorita:
            if sc is None or lv not in sc:
                levels.append("")
            else:
                items = sc[lv]
                levels.append("\n".join(items) if items else "✓")
        rows.append(cells(code, title, *levels))
    return Table("quadro_sinottico", "Quadro sinottico della programmazione di Ambito",
                 (("Codice", "Interventi e servizi sociali", *r.livelli_priorita.values()),), tuple(rows), (),
                 "Ricavato dalle schede di progettazione di dettaglio"
                 + (" e dal quadro sinottico di piano.yaml" if plan.piano.quadro_sinottico else "")
                 + ": ✓ indica un livello attivato senza interventi elencati.",
                 (1, 4, 4, 4, 4, 4), landscape=True)


def fmt_fonti(anno: AnnoScheda) -> str:
    """The sources of a card year as the regional card prints them: '€ 1,00 PdZ + € 2,00 QFP';
    an amount not known is named after its source: 'FNA in attesa di assegnazione'."""
    return " + ".join((f"{fmt_voce(fa.voce)} {fa.fonte}" if fa.importo is not None else f"{fa.fonte} {fmt_voce(fa.voce)}")
                      + _segni(fa) for fa in anno.fonti)


def _detto(fa: FonteAnno) -> str:
    """What the card says of an amount beyond its figure: its FNPS quota, conditional, the writer's note."""
    v = fa.voce
    said = ([fa.quota] if fa.quota else []) + (["condizionato all'assegnazione"] if v.condizionato else []) \
        + ([v.nota] if v.nota else [])
    return "; ".join(said)


def _segni(fa: FonteAnno) -> str:
    said = _detto(fa)
    return f" ({said})" if said else ""
