"""The Comuni's money: the previous plan's spending, historical social spending, past and minimum
co-financing, municipal resources by area, and the co-financing figures the chapters cite."""

from __future__ import annotations

from decimal import Decimal

from pdz_docs.finance.fondi import (Disponibilita, stati, disponibile, disponibile_cell, somma, voce_cell, voci_note,
                                    years_of)
from pdz_docs.finance.money import NON_INDICATO, ZERO, Voce, allocate, fmt_euro, fmt_pct, percent, round_cent
from pdz_docs.finance.table import Cell, Table, cells, sums_across, sums_down
from pdz_docs.model import Plan


def storico(plan: Plan, add, cifre: dict, minimo: dict) -> Decimal | None:
    """The previous plan's spending, the historical spending and the past co-financing; returns the
    historical spending's yearly average (None without it)."""
    f = plan.finanza
    comuni = plan.piano.comuni
    years = plan.regole.anni
    if f.rendiconto_precedente:
        rp = f.rendiconto_precedente
        known = rp.budget is not None and rp.impegnato is not None
        res = Cell(rp.budget - rp.impegnato, "euro") if known else Cell(NON_INDICATO)
        av = Cell(percent(rp.impegnato, rp.budget), "pct") if known else Cell(NON_INDICATO)
        budget, impegnato = _past_cell(rp.budget), _past_cell(rp.impegnato)
        add(Table("rendiconto", f"Avanzamento della spesa del Piano {rp.periodo}",
                  ((f"Budget PdZ {rp.periodo}", f"Totale impegnato {rp.periodo}", "Residuo di finanziamento",
                    "% avanzamento spesa"),),
                  (cells(budget, impegnato, res, av),),
                  (), None, (3, 3, 3, 2)))
        cifre["rendiconto"] = {"budget": budget, "impegnato": impegnato, "residuo": res, "avanzamento": av}

    media_tot = None
    if f.spesa_storica:
        ss = f.spesa_storica
        n = len(years_of(ss.periodo, years))
        rows = [cells(c, _past_cell(v), _past_cell(None if v is None else round_cent(v / n)))
                for c, v in ss.comuni.items()]
        tot = somma((c, Voce(v)) for c, v in ss.comuni.items())
        media = round_cent(tot.noto / n)
        whose = "del Comune" if len(comuni) == 1 else "dei Comuni"
        add(Table("spesa_storica", f"Spesa sociale storica {whose} {ss.periodo}",
                  (("Comune", f"Spesa complessiva {ss.periodo}", f"Spesa media annua {ss.periodo}"),),
                  tuple(rows), (cells("Totale Ambito", disponibile_cell(tot), _known_part(tot, media)),),
                  None, (4, 3, 3)))
        cifre["spesa_storica"] = {"totale": disponibile_cell(tot), "media_annua": _known_part(tot, media)}
        if tot.completa:   # an average that leaves a Comune out is no threshold for the co-financing
            media_tot = media
            minimo["spesa_storica_media"] = media_tot

    if f.cofinanziamento_precedente:
        ys = sorted({y for v in f.cofinanziamento_precedente.values() for y in v})
        past = f.cofinanziamento_precedente
        # a year a Comune does not list is «—»; one written ~ is not given yet
        rows = [cells(c, *(_past_cell(v[y]) if y in v else Cell("—") for y in ys),
                      disponibile_cell(somma((str(y), Voce(x)) for y, x in v.items())))
                for c, v in past.items()]
        tot = [somma((f"{c} {y}", Voce(v[y])) for c, v in past.items() if y in v) for y in ys]
        add(Table("cofinanziamento_precedente", "Cofinanziamento comunale del precedente Piano",
                  (("Comune", *(f"Quota {y}" for y in ys), "Totale"),), tuple(rows),
                  (cells("Totale", *(disponibile_cell(t) for t in tot), disponibile_cell(sum(tot, Disponibilita()))),),
                  None, (3,) + (2,) * (len(ys) + 1),
                  sums=sums_across(range(len(rows)), range(1, 1 + len(ys)), 1 + len(ys))
                  + sums_down(len(rows), range(len(rows)), range(1, 2 + len(ys)))))

    return media_tot


def cofinanziamento(plan: Plan, fnd, add, cifre: dict, minimo: dict, media_tot: Decimal | None) -> None:
    """The minimum co-financing on the known transfers of its year, resources by area, cited figures."""
    r, f = plan.regole, plan.finanza
    comuni = plan.piano.comuni
    cycle = list(r.anni)
    disp = lambda fid, ys=cycle, entro=False: disponibile(fnd, fid, ys, entro)  # noqa: E731
    # minimum municipal co-financing: on the known transfers of its year
    v = r.vincoli.cofinanziamento_minimo
    transfers = sum((disp(fid, [v.anno], True) for fid in v.fonti), Disponibilita())
    base = transfers.noto
    # on known transfers only: a minimum that leaves some out says so wherever it is printed
    left = stati(fnd, list(transfers.in_attesa + transfers.non_indicato))
    partial = f" sui soli trasferimenti noti, esclusi gli importi {left}" if left else ""
    if base:
        total_min = round_cent(base * v.quota / 100)
        quotas = allocate(total_min, [c.popolazione for c in comuni])
        part_names = list(v.parti)
        splits = [allocate(q, list(v.parti.values())) for q in quotas]
        rows = [cells(c.nome, Cell(c.popolazione, "int"), Cell(q, "euro"), *(Cell(x, "euro") for x in s))
                for c, q, s in zip(comuni, quotas, splits)]
        part_tot = [sum((s[i] for s in splits), ZERO) for i in range(len(part_names))]
        add(Table("cofinanziamento_minimo",
                  f"Cofinanziamento comunale minimo ({_pct_text(v.quota)} dei trasferimenti {v.anno} "
                  f"{' + '.join(v.fonti)}{' noti' if left else ''}, ripartito per popolazione)",
                  (("Comune", "Popolazione", f"Quota {_pct_text(v.quota)}",
                    *(f"Quota {n} {_pct_text(v.parti[n])}" for n in part_names)),),
                  tuple(rows), (cells("Totale", Cell(sum(c.popolazione for c in comuni), "int"), Cell(total_min, "euro"),
                                      *(Cell(t, "euro") for t in part_tot)),),
                  f"Esclusi gli importi {left}." if left else None, (3, 2, 3) + (3,) * len(part_names),
                  sums=sums_down(len(rows), range(len(rows)), range(1, 3 + len(part_names)))))
        minimo["cofinanziamento_minimo"] = total_min
        minimo["cofinanziamento_minimo_comuni"] = dict(zip([c.nome for c in comuni], quotas))
        cf = {"minimo": Cell(fmt_euro(total_min) + partial) if partial else Cell(total_min, "euro")}
        for n, t in zip(part_names, part_tot):
            cf[f"minimo_{n}"] = Cell(fmt_euro(t) + partial) if partial else Cell(t, "euro")
        cifre["cofinanziamento"] = cf
    if f.cofinanziamento and f.cofinanziamento.per_area:
        areas = f.cofinanziamento.per_area
        ys = sorted({y for v in areas.values() for y in v})
        notes = [voci_note(((a, str(y), v[y]) for y in ys if y in v), single=True) for a, v in areas.items()]
        noted = any(v[y].nota for v in areas.values() for y in v)
        rows = [cells(a, *(voce_cell(v[y]) if y in v else Cell("—") for y in ys), *((n,) if noted else ()))
                for (a, v), n in zip(areas.items(), notes)]
        tot = [somma((f"{a} {y}", v[y]) for a, v in areas.items() if y in v) for y in ys]
        add(Table("cofinanziamento_aree", "Risorse comunali per area",
                  (("Area", *(str(y) for y in ys), *(("Note",) if noted else ())),), tuple(rows),
                  (cells("Totale", *(disponibile_cell(t) for t in tot), *(("",) if noted else ())),),
                  "«—»: nessun importo scritto per l'area nell'anno; il totale dell'anno non lo conta (per un importo non "
                  "ancora noto scrivere ~ o {in_attesa: si})." if any(y not in v for v in areas.values() for y in ys)
                  else None, (5,) + (3,) * len(ys) + ((4,) if noted else ()),
                  sums=sums_down(len(rows), range(len(rows)), (1 + j for j, t in enumerate(tot) if t.completa))))
    if f.cofinanziamento:
        an = f.cofinanziamento.annualita
        first = an[min(an)]
        cf = cifre.setdefault("cofinanziamento", {})
        cf["annuo"] = voce_cell(first)
        cf["triennio"] = disponibile_cell(disp("COM"))
        if "cofinanziamento_minimo" in minimo and first.importo is not None:
            pct = percent(first.importo, minimo["cofinanziamento_minimo"])
            cf["percentuale_su_minimo"] = (Cell(f"{fmt_pct(pct)} del minimo calcolato{partial}") if partial
                                           else Cell(pct, "pct"))
        if media_tot is not None and first.importo is not None:
            cf["scarto_spesa_storica"] = Cell(media_tot - first.importo, "euro")
        elif f.spesa_storica and media_tot is None and first.importo is not None:
            cf["scarto_spesa_storica"] = Cell(NON_INDICATO)   # some Comune's spending is not given yet


def _past_cell(v: Decimal | None) -> Cell:
    """A figure of the past: known, or not given yet (~)."""
    return Cell(v, "euro") if v is not None else Cell(NON_INDICATO)


def _known_part(d: Disponibilita, value: Decimal) -> Cell:
    """A figure computed from the known amounts of `d` (an average), saying what it leaves out."""
    if d.completa:
        return Cell(value, "euro")
    if not d.noti:
        return Cell(NON_INDICATO)
    return Cell(f"{fmt_euro(value)}, esclusi gli importi non indicati")


def _pct_text(q: Decimal) -> str:
    return f"{q.normalize():f}".replace(".", ",") + "%"
