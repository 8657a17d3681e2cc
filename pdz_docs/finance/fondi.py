"""The funds: what each source and group has available per period, and what the cards program on it.

The one place that computes availability (`disponibilita`): every check, table and summary
asks it. Only known amounts are money; pending and not-given amounts are named, never added.
Also the funds' tables (FNPS quotas, FNA, FGSA, Fondo Povertà, the budget by source, the
per-fund summary) and the cells that print an amount or a sum in its state.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pdz_docs.finance.money import IN_ATTESA, NON_INDICATO, ZERO, Voce, fmt_euro, fmt_voce
from pdz_docs.finance.table import Cell, Sum, Table, cells, sums_down
from pdz_docs.model import Plan
from pdz_docs.model import Regole

DA_SCHEDE_TEXT = "pari al programmato nelle schede"


@dataclass(frozen=True)
class Uso:
    """One amount a card programs on a fund (or on one of a group's members)."""

    codice: str
    anno: int
    fonte: str                       # the key written in the card
    importo: Decimal
    condizionato: bool
    quota: str | None = None         # the FNPS quota (its key in the rules) the card spends it on


@dataclass(frozen=True)
class Disponibilita:
    """What a fund's budget amounts make available to some years (see `disponibilita`)."""

    noto: Decimal = ZERO                  # sum of the known amounts
    previsto: Decimal = ZERO              # sum of the expected figures of pending amounts
    in_attesa: tuple[str, ...] = ()       # pending amounts, as "FNA 2023"
    non_indicato: tuple[str, ...] = ()    # amounts the source does not give, as "PAIS ciclo"
    noti: int = 0                         # how many amounts are known

    previsti: int = 0                     # how many pending amounts have an expected figure

    @property
    def completa(self) -> bool:
        return not self.in_attesa and not self.non_indicato

    def __add__(self, other: Disponibilita) -> Disponibilita:
        return Disponibilita(self.noto + other.noto, self.previsto + other.previsto,
                             self.in_attesa + other.in_attesa, self.non_indicato + other.non_indicato,
                             self.noti + other.noti, self.previsti + other.previsti)


def somma(voci) -> Disponibilita:
    """The sum of labelled amounts (label, Voce): the known ones add up, the others are named."""
    out = Disponibilita()
    for label, voce in voci:
        if voce.importo is not None:
            out += Disponibilita(voce.importo, noti=1)
        elif voce.in_attesa:
            out += Disponibilita(previsto=voce.previsto or ZERO, in_attesa=(label,),
                                 previsti=int(voce.previsto is not None))
        else:
            out += Disponibilita(non_indicato=(label,))
    return out


def disponibilita(voci, years, cycle: list[int], entro: bool = False) -> Disponibilita:
    """The one computation of what a fund has available for `years`.

    `voci` are (fund, period, Voce) as written in the budget. With entro=False every
    amount whose period meets `years` counts: an upper bound on what may be programmed
    there, since a "ciclo" or "2023-2024" amount may be spent in any of its years.
    With entro=True only amounts whose period lies within `years` count: what a period's
    own figures (its FNPS quotas, its FNA destination) must add up to. Pending and
    not-given amounts never count as money; they are listed so that a check can say so.
    """
    ys = set(years)
    return somma((f"{fid} {period}", voce) for fid, period, voce in voci
                 if (set(years_of(period, cycle)) <= ys if entro else set(years_of(period, cycle)) & ys))


@dataclass(frozen=True)
class Fondo:
    """A source or a group of sources: what is available and what the cards program, per period."""

    id: str
    nome: str
    scheda: str                      # A or C
    membri: tuple[str, ...]          # for a group, its sources; for a source, itself
    voci: tuple[tuple[str, str, Voce], ...]   # budget amounts: (member, period, amount)
    programmato: dict[int, Decimal]          # year → programmed amount
    per_scheda: dict[str, dict[int, Decimal]]  # card code → year → programmed
    in_budget: bool
    usi: tuple[Uso, ...] = ()                 # every programmed amount, at its card
    da_schede: bool = False                   # the budget says: available as the cards program it
    ciclo: tuple[int, ...] = ()               # the cycle's years
    # a member of a group the cards program as a block: what is left of it is told by the group only
    in_blocco: str = ""

    def disponibilita(self, years, entro: bool = False) -> Disponibilita:
        return disponibilita(self.voci, years, list(self.ciclo), entro)

    @property
    def disponibile_ciclo(self) -> Decimal | None:
        """Known total over the cycle; None when some amount is pending or not given."""
        if self.da_schede:
            return self.programmato_ciclo
        every = self.disponibilita(self.ciclo)
        if not self.voci or not every.completa:
            return None
        return every.noto

    @property
    def programmato_ciclo(self) -> Decimal:
        return sum(self.programmato.values(), ZERO)

    @property
    def residuo_ciclo(self) -> Decimal | None:
        d = self.disponibile_ciclo
        return None if d is None or self.in_blocco else d - self.programmato_ciclo


def periodi(fo: Fondo) -> list[tuple[int, ...]]:
    """The sets of years a fund's resources are told for: its own periods, or the cycle when they overlap
    (a «ciclo» amount beside yearly ones). Known resources of one period cannot pay another's programming."""
    cycle = list(fo.ciclo)
    periods = {tuple(years_of(p, cycle)) for _, p, _ in fo.voci}
    disjoint = sum(len(p) for p in periods) == len({y for p in periods for y in p})
    return sorted(periods) if disjoint else [tuple(cycle)]


def years_of(period: str, cycle: list[int]) -> list[int]:
    if period == "ciclo":
        return list(cycle)
    if "-" in period:
        a, b = (int(x) for x in period.split("-"))
        return list(range(a, b + 1))
    return [int(period)]


def fonte_nome(r: Regole, fid: str) -> str:
    if fid in r.fonti:
        f = r.fonti[fid]
        return f.nome + (" (in definizione)" if getattr(f, "in_definizione", False) else "")
    return r.gruppi_fonti.get(fid, fid)


def fonte_scheda(r: Regole, fid: str) -> str:
    if fid in r.fonti:
        return r.fonti[fid].scheda
    members = [f.scheda for f in r.fonti.values() if f.gruppo == fid]
    return members[0] if members else "C"


def _sum(values) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def budget_voci(plan: Plan) -> dict[str, tuple[tuple[str, Voce], ...] | str]:
    """Each source's budget amounts as (period, Voce), co-financing included as COM;
    a fund written `~` is one not-given amount for the cycle; "da_schede" stays a word."""
    f = plan.finanza
    out: dict[str, tuple[tuple[str, Voce], ...] | str] = {}
    for fid, periods in (f.budget.items() if f else ()):
        if periods is None:
            out[fid] = (("ciclo", Voce()),)
        elif any(v.da_schede for v in periods.values()):
            out[fid] = "da_schede"
        else:
            out[fid] = tuple(periods.items())
    if f and f.cofinanziamento:
        out["COM"] = tuple((str(y), v) for y, v in f.cofinanziamento.annualita.items())
    return out


def fondi(plan: Plan, prog: dict) -> dict[str, Fondo]:
    """Every source and group the budget lists or a card uses, with its amounts and its programming
    (`prog`: the cards' ProgrammazioneScheda by code)."""
    r = plan.regole
    budget = budget_voci(plan)
    ids = list(r.fonti) + list(r.gruppi_fonti)
    used = {fa.fonte for p in prog.values() for a in p.anni for fa in a.fonti}
    out = {}
    for fid in ids:
        members = tuple(m for m, fr in r.fonti.items() if fr.gruppo == fid) if fid in r.gruppi_fonti else (fid,)
        cited = set(members) | {fid}
        voci = tuple((m, period, v) for m in members if not isinstance(budget.get(m, ()), str)
                     for period, v in budget.get(m, ()))
        in_budget = any(m in budget for m in members)
        da_schede = bool(members) and all(budget.get(m) == "da_schede" for m in members)
        usi = tuple(Uso(code, a.anno, fa.fonte, fa.importo, fa.voce.condizionato, fa.voce.quota)
                    for code, p in prog.items() for a in p.anni for fa in a.fonti
                    if fa.fonte in cited and fa.importo is not None)
        programmato: dict[int, Decimal] = {}
        per_scheda: dict[str, dict[int, Decimal]] = {}
        for u in usi:
            programmato[u.anno] = programmato.get(u.anno, ZERO) + u.importo
            years = per_scheda.setdefault(u.codice, {})
            years[u.anno] = years.get(u.anno, ZERO) + u.importo
        if not in_budget and fid not in used and not (cited & used):
            continue
        group = r.fonti[fid].gruppo if fid in r.fonti else None
        out[fid] = Fondo(fid, fonte_nome(r, fid), fonte_scheda(r, fid), members, voci,
                         programmato, per_scheda, in_budget, usi, da_schede, tuple(r.anni),
                         group if group in used else "")
    return out


def disponibile(fnd: dict[str, Fondo], fid: str, years, entro: bool = False) -> Disponibilita:
    """What fund `fid` makes available to `years` (nothing, when the plan has no such fund)."""
    return fnd[fid].disponibilita(years, entro) if fid in fnd else Disponibilita()


def fund_tables(plan: Plan, fnd: dict[str, Fondo], add, cifre: dict) -> None:
    """FNPS and its quotas, FNA and its destination, FGSA, Fondo Povertà."""
    r, f = plan.regole, plan.finanza
    years = r.anni
    cycle = list(years)
    disp = lambda fid, ys=cycle, entro=False: disponibile(fnd, fid, ys, entro)  # noqa: E731
    # FNPS and its quotas: the table only when some quotas are given (no table of zeros)
    if "FNPS" in fnd and fnd["FNPS"].voci:
        cifre["fnps"] = {"totale": disponibile_cell(disp("FNPS"))}
    if "FNPS" in fnd and fnd["FNPS"].voci and f.fnps_quote:
        quote_names = r.vincoli.quote_fnps
        # One row per period with quotas, plus the FNPS years that have no quotas yet («—»).
        periods = dict(f.fnps_quote)
        covered = {y for period in periods for y in years_of(period, years)}
        for _, k, _v in fnd["FNPS"].voci:
            if not set(years_of(k, years)) <= covered:
                periods[k] = {}
        rows = []
        for period, qs in sorted(periods.items(), key=lambda kv: years_of(kv[0], years)[:1]):
            amount = disp("FNPS", years_of(period, years), True)
            rows.append(cells(period, disponibile_cell(amount),
                              *(voce_cell(qs[q]) if q in qs else Cell("—") for q in quote_names),
                              disponibile_cell(somma((f"{q} {period}", v) for q, v in qs.items())) if qs
                              else Cell("—")))
        tot_q = [somma((f"{q} {p}", qs[q]) for p, qs in f.fnps_quote.items() if q in qs) for q in quote_names]
        fnps_tot = disp("FNPS")
        add(Table("fnps_quote", "Ripartizione del FNPS per quote vincolate",
                  (("Annualità", "Importo FNPS", *quote_names.values(), "Totale quote"),), tuple(rows),
                  (cells("Totale", disponibile_cell(fnps_tot),
                         *(disponibile_cell(t) if any(q in qs for qs in f.fnps_quote.values()) else Cell("—")
                           for q, t in zip(quote_names, tot_q)),
                         disponibile_cell(sum(tot_q, Disponibilita()))),),
                  " ".join(x for x in (
                      "«—»: quota non indicata in finanza.yaml." if any(q not in qs for qs in periods.values()
                                                                        for q in quote_names) else "",
                      ("Note: " + "; ".join(f"{quote_names.get(q, q)} {p}: {v.nota}" for p, qs in f.fnps_quote.items()
                                            for q, v in qs.items() if v.nota) + ".")
                      if any(v.nota for qs in f.fnps_quote.values() for v in qs.values()) else "") if x) or None,
                  (2,) + (2,) * (len(quote_names) + 2), landscape=False))
    if "FNA" in fnd and fnd["FNA"].voci:
        fna_tot = disp("FNA")
        rows = [cells(period, code, r.nomenclatore.get(code, ""), Cell(a, "euro"))
                for period, dest in f.fna_destinazione.items() for code, a in dest.items()]
        add(Table("fna", "Destinazione del Fondo Non Autosufficienza",
                  (("Annualità", "Codice", "Servizio", "Importo"),), tuple(rows),
                  (cells("Totale FNA disponibile", "", "", disponibile_cell(fna_tot)),), None, (2, 1, 6, 3)))
        cifre["fna"] = {"totale": disponibile_cell(fna_tot)}
    if "FGSA" in fnd and fnd["FGSA"].voci:
        fg_tot = disp("FGSA")
        noted = any(v.nota for _, _, v in fnd["FGSA"].voci)   # the writer's notes on amounts: a column
        add(Table("fgsa", "Fondo Globale Socio-Assistenziale",
                  (("Annualità", "Importo") + (("Note",) if noted else ()),),
                  tuple(cells(k, voce_cell(v), *((v.nota or "",) if noted else ())) for _, k, v in fnd["FGSA"].voci),
                  (cells("Totale", disponibile_cell(fg_tot), *(("",) if noted else ())),), None,
                  (4, 3, 4) if noted else (4, 3)))
        cifre["fgsa"] = {"totale": disponibile_cell(fg_tot)}
    qfp = [fid for fid, fr in r.fonti.items() if fr.gruppo == "QFP" and fid in fnd and fnd[fid].voci]
    if qfp:
        notes = [voci_note(fnd[fid].voci, True) for fid in qfp]   # pending periods and the writer's notes
        noted = any(notes)
        rows = [cells(fonte_nome(r, fid), disponibile_cell(disp(fid)), *((n,) if noted else ()))
                for fid, n in zip(qfp, notes)]
        tot = disp("QFP")
        add(Table("fondo_poverta", "Fondo Povertà disponibile", (("Fonte", "Importo") + (("Note",) if noted else ()),),
                  tuple(rows), (cells("Totale Fondo Povertà", disponibile_cell(tot), *(("",) if noted else ())),), None,
                  (5, 3, 4) if noted else (5, 3)))
        cifre["fondo_poverta"] = {"quota": disponibile_cell(disp("FPOV")) if "FPOV" in qfp else Cell(NON_INDICATO),
                                  "residui": (disponibile_cell(disp("RES-FPOV")) if "RES-FPOV" in qfp
                                              else Cell(NON_INDICATO)),
                                  "totale": disponibile_cell(tot)}



def budget_table(plan: Plan, fnd: dict[str, Fondo], add, cifre: dict) -> None:
    """The plan's budget by source (Scheda A sources): every known amount counts, the others are named."""
    r = plan.regole
    cycle = list(r.anni)
    rows = []
    whole = Disponibilita()
    excluded: list[str] = []
    notes = []
    for fid, fr in r.fonti.items():
        fo = fnd.get(fid)
        if fr.scheda != "A" or fo is None or not fo.in_budget:
            continue
        d = fo.disponibilita(cycle)
        whole += d
        excluded += d.in_attesa + d.non_indicato
        rows.append(cells(fr.nome, fr.gruppo or "", disponibile_cell(d)))
        notes.append(voci_note(fo.voci, fo.membri == (fid,)))
    if rows:
        with_notes = any(notes)
        if with_notes:
            rows = [row + cells(n) for row, n in zip(rows, notes)]
        label = f"Budget PdZ {r.ciclo}" + (", esclusi gli importi " + stati(fnd, excluded) if excluded else "")
        add(Table("budget", f"Budget del Piano di Zona {r.ciclo} per fonte",
                  (("Fonte di finanziamento", "Gruppo", "Importo") + (("Note",) if with_notes else ()),), tuple(rows),
                  (cells(label, "", Cell(whole.noto, "euro"), *(("",) if with_notes else ())),), None,
                  (6, 2, 3, 4) if with_notes else (6, 2, 3),
                  sums=sums_down(len(rows), range(len(rows)), (2,))))
        # cited in a chapter, the total says what it leaves out, as the table's label does
        cifre["budget"] = {"totale": disponibile_cell(whole)}
        if "RES-PDZ" in fnd:
            cifre["budget"]["residui_pdz"] = disponibile_cell(disponibile(fnd, "RES-PDZ", cycle))


def residuo_cells(fo: Fondo) -> tuple[Cell, Cell, Cell]:
    """A fund over the cycle: available, programmed, left to program, each in its state."""
    d = fo.disponibilita(fo.ciclo)
    if fo.da_schede:
        avail, rest = Cell(DA_SCHEDE_TEXT), Cell(ZERO, "euro")
    elif fo.in_blocco:
        avail, rest = disponibile_cell(d), Cell(f"vedi {fo.in_blocco}")
    elif d.completa:
        avail, rest = Cell(d.noto, "euro"), Cell(d.noto - fo.programmato_ciclo, "euro")
    else:
        avail = disponibile_cell(d)
        # period by period, as the da-programmare warning counts it: what is left of the known resources, and
        # what is programmed beyond them on those not known yet (never a negative amount «to program»)
        left = beyond = ZERO
        for key in periodi(fo):
            diff = fo.disponibilita(key, entro=True).noto - sum((v for y, v in fo.programmato.items() if y in key), ZERO)
            left, beyond = left + max(diff, ZERO), beyond + max(-diff, ZERO)
        on = "in attesa di assegnazione" if not d.non_indicato else "non ancora note"
        rest = Cell(f"{fmt_euro(left)} sulle risorse note" + (f"; {fmt_euro(beyond)} programmati sulle risorse {on}"
                                                               if beyond else "") if d.noti or beyond else "—")
    return avail, Cell(fo.programmato_ciclo, "euro"), rest


def summary_table(plan: Plan, fnd: dict[str, Fondo]) -> Table:
    """Per fund and group: available, programmed by the cards, left to program.

    A group's row is the subtotal of its members' rows, which come just before it, and of a row for
    what the cards program on the group as a block: its figures are declared as sums of those rows
    (the XLSX writes them as formulas) wherever they are known.
    """
    r = plan.regole
    rows: list[tuple[Cell, ...]] = []
    kinds: list[str] = []
    sums: list[Sum] = []

    def row(fid: str, fo: Fondo) -> None:
        members = "" if fo.membri == (fid,) else " (" + ", ".join(m for m in fo.membri) + ")"
        atto = getattr(r.fonti.get(fid), "atto", None)
        rows.append(cells(fid + members, fo.nome + (f" – {atto}" if atto else ""), *residuo_cells(fo)))

    shown = {fid for fid, fo in fnd.items() if fo.in_budget or fo.programmato}
    done: set[str] = set()
    for fid, fo in fnd.items():
        if fid not in shown or fid in done:
            continue
        group = r.fonti[fid].gruppo if fid in r.fonti else None
        g = fnd.get(group) if group else None
        if g is None or group not in shown:
            if fo.membri == (fid,) or not any(m in shown for m in fo.membri):
                row(fid, fo)
                kinds.append("data")
                done.add(fid)
            continue
        first = len(rows)
        for m in g.membri:
            if m in shown and m not in done:
                row(m, fnd[m])
                kinds.append("data")
                done.add(m)
        parts = list(range(first, len(rows)))
        block = [u for u in g.usi if u.fonte == group]
        if block:
            rows.append(cells(group, "programmato sul gruppo nel suo insieme",
                              Cell("—"), Cell(sum((u.importo for u in block), ZERO), "euro"), Cell(f"vedi {group}")))
            kinds.append("data")
        row(group, g)
        kinds.append("subtotal")
        done.add(group)
        at = len(rows) - 1
        for col, over in ((2, parts), (3, range(first, at)), (4, parts)):
            if rows[at][col].numeric and all(rows[i][col].numeric for i in over) and (col != 4 or not block):
                sums.append(Sum(at, col, tuple(over), (col,)))
    blocks = sorted({fo.in_blocco for fo in fnd.values() if fo.in_blocco})
    return Table("fonti_residuo", f"Risorse disponibili, programmate e da programmare per fonte ({r.ciclo})",
              (("Fonte", "Denominazione", "Disponibile", "Programmato", "Da programmare"),), tuple(rows), (),
              f"«{IN_ATTESA}»: risorse non ancora assegnate; «{NON_INDICATO}»: la fonte non riporta la somma; "
              f"«{DA_SCHEDE_TEXT}»: la fonte non riporta la somma complessiva, che coincide con quanto programmato "
              "nelle schede. La riga di un gruppo somma le righe delle sue fonti, che la precedono."
              + (f" «vedi {' / '.join(blocks)}»: le schede programmano il gruppo nel suo insieme, "
                 "oltre a quanto programmato sulla singola fonte: quanto resta da programmare si legge "
                 "sulla riga del gruppo." if blocks else ""), (2, 5, 3, 3, 3),
              kinds=tuple(kinds), sums=tuple(sums))


def voce_cell(v: Voce) -> Cell:
    """A budget amount in its state: a number when known, the words otherwise."""
    return Cell(v.importo, "euro") if v.importo is not None else Cell(fmt_voce(v))


def disponibile_cell(d: Disponibilita) -> Cell:
    """What is available, saying what the figure leaves out: never a blank, never a partial sum shown as whole."""
    if d.completa:
        return Cell(d.noto, "euro")
    if not d.noti and not d.non_indicato:
        previsto = f" (previsto {fmt_euro(d.previsto)})" if d.previsti == len(d.in_attesa) else ""
        return Cell(IN_ATTESA + previsto)
    if not d.noti and not d.in_attesa:
        return Cell(NON_INDICATO)
    left = " e ".join(w for w, xs in (("in attesa di assegnazione", d.in_attesa), ("non indicati", d.non_indicato)) if xs)
    return Cell(f"{fmt_euro(d.noto)}, esclusi gli importi {left}")


def voci_note(voci, single: bool) -> str:
    """The note column of a fund: its pending and not-given periods, and the writer's notes."""
    out = []
    for fid, period, v in voci:
        where = period if single else f"{fid} {period}"
        text = fmt_voce(v) if v.importo is None else ""
        if v.nota:
            text = f"{text} – {v.nota}" if text else v.nota
        if text:
            out.append(f"{where}: {text}")
    return "; ".join(out)


def stati(fnd, labels: list[str]) -> str:
    pending = {f"{fid} {p}" for fo in fnd.values() for fid, p, v in fo.voci if v.in_attesa}
    att = [x for x in labels if x in pending]
    non = [x for x in labels if x not in pending]
    parts = []
    if att:
        parts.append("in attesa di assegnazione (" + ", ".join(att) + ")")
    if non:
        parts.append("non indicati (" + ", ".join(non) + ")")
    return " e ".join(parts)
