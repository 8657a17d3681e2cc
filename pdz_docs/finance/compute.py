"""Compute every derived figure and table of the plan from its raw data, once.

Nothing here formats text for a renderer beyond choosing a cell format; nothing
here reads files. The result feeds the money checks, the chapters' figures
namespace (`cifre`) and every renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from pdz_docs.finance.money import (IN_ATTESA, NON_INDICATO, ZERO, Voce, allocate, fmt_euro, fmt_voce, percent,
                                    ratio, round_cent)
from pdz_docs.finance.table import Cell, Table, cells, sums_across, sums_down
from pdz_docs.load.plan import Plan
from pdz_docs.model import Regole

YEAR_TOTAL_KEY = "importo"
DA_SCHEDE_TEXT = "pari al programmato nelle schede"


@dataclass(frozen=True)
class FonteAnno:
    fonte: str
    nome: str
    importo: Decimal | None
    voce: Voce = Voce()              # the amount as written: its state, note, whether conditional
    quota: str = ""                  # the name of the FNPS quota it is spent on, if the card says it




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


# --- cards -----------------------------------------------------------------------------

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


def fondi(plan: Plan, prog: dict[str, ProgrammazioneScheda]) -> dict[str, Fondo]:
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


# --- the tables ------------------------------------------------------------------------

def compute(plan: Plan) -> Computed:
    r, p, f = plan.regole, plan.piano, plan.finanza
    prog = programmazione_schede(plan)
    fnd = fondi(plan, prog)
    tables: dict[str, Table] = {}
    minimo: dict = {}
    cifre: dict = {}
    comuni = p.comuni
    col_comuni = "Comune" if len(comuni) == 1 else "Comuni"

    def add(t: Table) -> None:
        tables[t.id] = _without_repeated_totals(t) if len(comuni) == 1 and t.id in PER_COMUNE else t
    pop_tot = sum(c.popolazione for c in comuni)
    note_dati = p.fonte_dati
    bands = r.fasce_eta

    # territory
    if p.superficie_km2 is not None or all(c.superficie_km2 is not None for c in comuni):
        rows = []
        if all(c.superficie_km2 is not None for c in comuni):
            rows = [cells(c.nome, Cell(c.superficie_km2, "dec"), Cell(c.popolazione, "int"),
                          Cell(ratio(c.popolazione, c.superficie_km2), "dec")) for c in comuni]
            sup = sum(c.superficie_km2 for c in comuni)
        else:
            sup = p.superficie_km2
        dens = ratio(pop_tot, sup)
        add(Table("territorio", "Territorio e popolazione residente",
                  ((col_comuni, "Superficie (km²)", "Popolazione residente", "Densità (ab./km²)"),),
                  tuple(rows), (cells(f"Ambito ({len(comuni)} {'Comune' if len(comuni) == 1 else 'Comuni'})", Cell(sup, "dec"), Cell(pop_tot, "int"),
                                      Cell(dens, "dec")),), note_dati, (4, 2, 2, 2)))
        cifre["territorio"] = {"superficie": Cell(sup, "dec"), "densita": Cell(dens, "dec")}

    # age bands
    band_tot = {b: sum(c.fasce_eta.get(b, 0) for c in comuni) for b in bands}
    grand = sum(band_tot.values())
    rows = [cells(c.nome, *(Cell(c.fasce_eta.get(b), "int") for b in bands),
                  Cell(sum(c.fasce_eta.values()), "int")) for c in comuni]
    add(Table("fasce_eta", "Popolazione per fasce d'età",
              ((col_comuni, *bands, "Totale"),), tuple(rows),
              (cells("Totale Ambito", *(Cell(band_tot[b], "int") for b in bands), Cell(grand, "int")),
               cells("Totale in %", *(Cell(percent(band_tot[b], grand), "pct") for b in bands),
                     Cell(percent(grand, grand), "pct"))),
              note_dati, (3,) + (2,) * (len(bands) + 1)))
    minori = sum(band_tot[b] for b in r.fasce_minori)
    anziani = sum(band_tot[b] for b in r.fasce_anziani)
    key = lambda b: b.replace("-", "_").replace("+", "_piu")  # noqa: E731
    cifre["eta"] = {**{f"f{key(b)}": Cell(band_tot[b], "int") for b in bands},
                    **{f"perc_{key(b)}": Cell(percent(band_tot[b], grand), "pct") for b in bands},
                    "minori": Cell(minori, "int"), "perc_minori": Cell(percent(minori, grand), "pct"),
                    "anziani": Cell(anziani, "int"), "perc_anziani": Cell(percent(anziani, grand), "pct"),
                    "totale": Cell(grand, "int")}

    # families
    if all(c.famiglie for c in comuni):
        fam = sum(c.famiglie for c in comuni)
        add(Table("famiglie", "Famiglie e numero medio di componenti",
                  ((col_comuni, "Famiglie", "Popolazione", "Componenti per famiglia"),),
                  tuple(cells(c.nome, Cell(c.famiglie, "int"), Cell(c.popolazione, "int"),
                              Cell(ratio(c.popolazione, c.famiglie), "dec")) for c in comuni),
                  (cells("Totale Ambito", Cell(fam, "int"), Cell(pop_tot, "int"), Cell(ratio(pop_tot, fam), "dec")),),
                  note_dati, (3, 2, 2, 2)))
        cifre["famiglie"] = {"totale": Cell(fam, "int"), "media_componenti": Cell(ratio(pop_tot, fam), "dec")}

    # migration
    if all(c.emigrazioni is not None and c.immigrazioni is not None for c in comuni):
        em = sum(c.emigrazioni for c in comuni)
        im = sum(c.immigrazioni for c in comuni)
        add(Table("migrazioni", "Flussi migratori",
                  ((col_comuni, "Emigrazioni", "Immigrazioni", "Saldo migratorio"),),
                  tuple(cells(c.nome, Cell(c.emigrazioni, "int"), Cell(c.immigrazioni, "int"),
                              Cell(c.immigrazioni - c.emigrazioni, "signed")) for c in comuni),
                  (cells("Totale Ambito", Cell(em, "int"), Cell(im, "int"), Cell(im - em, "signed")),),
                  note_dati, (3, 2, 2, 2)))
        cifre["migrazioni"] = {"emigrazioni": Cell(em, "int"), "immigrazioni": Cell(im, "int"),
                               "saldo": Cell(im - em, "signed")}

    cifre["popolazione"] = {"totale": Cell(pop_tot, "int"), "data": Cell(p.data_riferimento, "date")}
    cifre["ambito"] = {"nome": Cell(p.ambito), "provincia": Cell(p.provincia), "capofila": Cell(p.capofila),
                       "numero_comuni": Cell(len(comuni), "int"),
                       "comuni": Cell(_elenco([c.nome for c in comuni]))}

    # comparison with a previous year
    if p.confronto:
        cf = p.confronto
        now = {"popolazione": pop_tot, "minori": minori, "anziani": anziani,
               "famiglie": sum(c.famiglie or 0 for c in comuni)}
        labels = {"popolazione": "Popolazione residente", "minori": "Minori (0-17 anni)",
                  "anziani": "Anziani (65 anni e oltre)", "famiglie": "Famiglie"}
        rows = []
        cifre["confronto"] = {"anno": Cell(cf.anno)}
        ref_year = p.data_riferimento.year if p.data_riferimento else ""
        for k, lab in labels.items():
            old = getattr(cf, k)
            if old is None:
                continue
            rows.append(cells(lab, Cell(old, "int"), Cell(now[k], "int"), Cell(now[k] - old, "signed"),
                              Cell(percent(now[k] - old, old), "pct")))
            cifre["confronto"][k] = Cell(old, "int")
            cifre["confronto"][f"var_{k}"] = Cell(now[k] - old, "signed")
        add(Table("confronto", f"Variazioni demografiche {cf.anno}-{ref_year}",
                  (("Indicatore", str(cf.anno), str(ref_year), "Variazione", "Variazione %"),),
                  tuple(rows), (), note_dati, (4, 2, 2, 2, 2)))

    if p.servizi_precedenti:
        add(Table("servizi_precedenti", "Servizi garantiti con il precedente Piano",
                  (("N.", "Denominazione", "Ente titolare", "Attivo"),),
                  tuple(cells(i + 1, s.denominazione, s.ente or f"Ambito di {p.ambito}",
                              {True: "sì", False: "no", None: ""}[s.attivo]) for i, s in enumerate(p.servizi_precedenti)),
                  (), None, (1, 8, 3, 1)))

    if p.percorso:
        add(Table("percorso", "Calendario del percorso di concertazione e programmazione partecipata",
                  (("Data", "Fase", "Incontro", "Oggetto"),),
                  tuple(cells(Cell(s.data, "date"), s.fase, s.incontro, s.oggetto) for s in p.percorso),
                  (), None, (2, 3, 3, 6)))
    if any(c.delibera for c in comuni):
        add(Table("delibere", "Deliberazioni " + ("del Consiglio Comunale" if len(comuni) == 1 else "dei Consigli Comunali"),
                  (("Comune", "Delibera n.", "Data"),),
                  tuple(cells(f"Comune di {c.nome}", c.delibera.numero if c.delibera else "",
                              Cell(c.delibera.data if c.delibera else None, "date")) for c in comuni),
                  (), None, (4, 2, 3)))

    if f:
        _finance_tables(plan, prog, fnd, add, cifre, minimo)
    programmazione = _programme_tables(plan, prog, fnd, add)
    tables["quadro_sinottico"] = quadro_sinottico(plan)
    cifre["schede"] = {"numero": Cell(len(plan.schede), "int")}
    return Computed(tables, prog, fnd, cifre, minimo, programmazione)


# Tables with a row per Comune and the Ambito's totals: with one Comune the totals repeat its row
PER_COMUNE = frozenset({"territorio", "fasce_eta", "famiglie", "migrazioni", "spesa_storica",
                        "cofinanziamento_minimo", "cofinanziamento_precedente"})


def _without_repeated_totals(t: Table) -> Table:
    """A table of one data row without the total rows that only repeat it (beside their label)."""
    if len(t.rows) != 1:
        return t
    row = [c.text for c in t.rows[0][1:]]
    keep = [i for i, tot in enumerate(t.totals) if [c.text for c in tot[1:]] != row]
    if len(keep) == len(t.totals):
        return t
    index = {0: 0, **{1 + i: 1 + k for k, i in enumerate(keep)}}   # body row: old index → new
    sums = tuple(replace(s, row=index[s.row], rows=tuple(index[r] for r in s.rows)) for s in t.sums
                 if s.row in index and all(r in index for r in s.rows))
    kinds = tuple(t.kinds[i] for i in sorted(index)) if t.kinds else ()
    return replace(t, totals=tuple(t.totals[i] for i in keep), sums=sums, kinds=kinds)


def _elenco(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " e " + names[-1]


def _finance_tables(plan, prog, fnd, add, cifre, minimo) -> None:
    r, p, f = plan.regole, plan.piano, plan.finanza
    comuni = p.comuni
    years = r.anni

    if f.rendiconto_precedente:
        rp = f.rendiconto_precedente
        res = rp.budget - rp.impegnato
        av = percent(rp.impegnato, rp.budget)
        add(Table("rendiconto", f"Avanzamento della spesa del Piano {rp.periodo}",
                  ((f"Budget PdZ {rp.periodo}", f"Totale impegnato {rp.periodo}", "Residuo di finanziamento",
                    "% avanzamento spesa"),),
                  (cells(Cell(rp.budget, "euro"), Cell(rp.impegnato, "euro"), Cell(res, "euro"), Cell(av, "pct")),),
                  (), None, (3, 3, 3, 2)))
        cifre["rendiconto"] = {"budget": Cell(rp.budget, "euro"), "impegnato": Cell(rp.impegnato, "euro"),
                               "residuo": Cell(res, "euro"), "avanzamento": Cell(av, "pct")}

    media_tot = None
    if f.spesa_storica:
        ss = f.spesa_storica
        n = len(years_of(ss.periodo, years))
        rows = [cells(c, Cell(v, "euro"), Cell(round_cent(v / n), "euro")) for c, v in ss.comuni.items()]
        tot = sum(ss.comuni.values(), ZERO)
        media_tot = round_cent(tot / n)
        add(Table("spesa_storica", f"Spesa sociale storica {'del Comune' if len(comuni) == 1 else 'dei Comuni'} {ss.periodo}",
                  (("Comune", f"Spesa complessiva {ss.periodo}", f"Spesa media annua {ss.periodo}"),),
                  tuple(rows), (cells("Totale Ambito", Cell(tot, "euro"), Cell(media_tot, "euro")),),
                  None, (4, 3, 3)))
        cifre["spesa_storica"] = {"totale": Cell(tot, "euro"), "media_annua": Cell(media_tot, "euro")}
        minimo["spesa_storica_media"] = media_tot

    if f.cofinanziamento_precedente:
        ys = sorted({y for v in f.cofinanziamento_precedente.values() for y in v})
        rows = [cells(c, *(Cell(v.get(y), "euro") for y in ys), Cell(sum(v.values(), ZERO), "euro"))
                for c, v in f.cofinanziamento_precedente.items()]
        tot = [sum((v.get(y, ZERO) for v in f.cofinanziamento_precedente.values()), ZERO) for y in ys]
        add(Table("cofinanziamento_precedente", "Cofinanziamento comunale del precedente Piano",
                  (("Comune", *(f"Quota {y}" for y in ys), "Totale"),), tuple(rows),
                  (cells("Totale", *(Cell(t, "euro") for t in tot), Cell(sum(tot, ZERO), "euro")),),
                  None, (3,) + (2,) * (len(ys) + 1),
                  sums=sums_across(range(len(rows)), range(1, 1 + len(ys)), 1 + len(ys))
                  + sums_down(len(rows), range(len(rows)), range(1, 2 + len(ys)))))

    cycle = list(years)
    disp = lambda fid, ys=cycle, entro=False: (fnd[fid].disponibilita(ys, entro) if fid in fnd  # noqa: E731
                                               else Disponibilita())
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
                              *(Cell(qs[q], "euro") if q in qs else Cell("—") for q in quote_names),
                              Cell(sum(qs.values(), ZERO), "euro") if qs else Cell("—")))
        tot_q = [_sum(qs.get(q) for qs in f.fnps_quote.values()) for q in quote_names]
        fnps_tot = disp("FNPS")
        add(Table("fnps_quote", "Ripartizione del FNPS per quote vincolate",
                  (("Annualità", "Importo FNPS", *quote_names.values(), "Totale quote"),), tuple(rows),
                  (cells("Totale", disponibile_cell(fnps_tot),
                         *(Cell(t, "euro") if any(q in qs for qs in f.fnps_quote.values()) else Cell("—")
                           for q, t in zip(quote_names, tot_q)),
                         Cell(sum(tot_q, ZERO), "euro")),),
                  "«—»: quota non indicata in finanza.yaml." if any(q not in qs for qs in periods.values()
                                                                    for q in quote_names) else None,
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
        add(Table("fgsa", "Fondo Globale Socio-Assistenziale",
                  (("Annualità", "Importo"),), tuple(cells(k, voce_cell(v)) for _, k, v in fnd["FGSA"].voci),
                  (cells("Totale", disponibile_cell(fg_tot)),), None, (4, 3)))
        cifre["fgsa"] = {"totale": disponibile_cell(fg_tot)}
    qfp = [fid for fid, fr in r.fonti.items() if fr.gruppo == "QFP" and fid in fnd and fnd[fid].voci]
    if qfp:
        rows = [cells(fonte_nome(r, fid), disponibile_cell(disp(fid))) for fid in qfp]
        tot = disp("QFP")
        add(Table("fondo_poverta", "Fondo Povertà disponibile", (("Fonte", "Importo"),), tuple(rows),
                  (cells("Totale Fondo Povertà", disponibile_cell(tot)),), None, (5, 3)))
        cifre["fondo_poverta"] = {"quota": disponibile_cell(disp("FPOV")) if "FPOV" in qfp else Cell(None, "euro"),
                                  "residui": (disponibile_cell(disp("RES-FPOV")) if "RES-FPOV" in qfp
                                              else Cell(None, "euro")),
                                  "totale": disponibile_cell(tot)}

    # minimum municipal co-financing: on the known transfers of its year
    v = r.vincoli.cofinanziamento_minimo
    base = sum((disp(fid, [v.anno], True).noto for fid in v.fonti), ZERO)
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
                  f"{' + '.join(v.fonti)}, ripartito per popolazione)",
                  (("Comune", "Popolazione", f"Quota {_pct_text(v.quota)}",
                    *(f"Quota {n} {_pct_text(v.parti[n])}" for n in part_names)),),
                  tuple(rows), (cells("Totale", Cell(sum(c.popolazione for c in comuni), "int"), Cell(total_min, "euro"),
                                      *(Cell(t, "euro") for t in part_tot)),), None, (3, 2, 3) + (3,) * len(part_names),
                  sums=sums_down(len(rows), range(len(rows)), range(1, 3 + len(part_names)))))
        minimo["cofinanziamento_minimo"] = total_min
        minimo["cofinanziamento_minimo_comuni"] = dict(zip([c.nome for c in comuni], quotas))
        cf = {"minimo": Cell(total_min, "euro")}
        for n, t in zip(part_names, part_tot):
            cf[f"minimo_{n}"] = Cell(t, "euro")
        cifre["cofinanziamento"] = cf
    if f.cofinanziamento and f.cofinanziamento.per_area:
        areas = f.cofinanziamento.per_area
        ys = sorted({y for v in areas.values() for y in v})
        rows = [cells(a, *(Cell(v.get(y), "euro") for y in ys)) for a, v in areas.items()]
        tot = [sum((v.get(y, ZERO) for v in areas.values()), ZERO) for y in ys]
        add(Table("cofinanziamento_aree", "Risorse comunali per area",
                  (("Area", *(str(y) for y in ys)),), tuple(rows),
                  (cells("Totale", *(Cell(t, "euro") for t in tot)),), None, (5,) + (3,) * len(ys)))
    if f.cofinanziamento:
        an = f.cofinanziamento.annualita
        first = an[min(an)]
        cf = cifre.setdefault("cofinanziamento", {})
        cf["annuo"] = voce_cell(first)
        cf["triennio"] = disponibile_cell(disp("COM"))
        if "cofinanziamento_minimo" in minimo and first.importo is not None:
            cf["percentuale_su_minimo"] = Cell(percent(first.importo, minimo["cofinanziamento_minimo"]), "pct")
        if media_tot is not None and first.importo is not None:
            cf["scarto_spesa_storica"] = Cell(media_tot - first.importo, "euro")

    # the plan's budget by source (scheda A sources): every known amount counts, the others are named
    rows = []
    total = ZERO
    excluded: list[str] = []
    notes = []
    for fid, fr in r.fonti.items():
        fo = fnd.get(fid)
        if fr.scheda != "A" or fo is None or not fo.in_budget:
            continue
        d = fo.disponibilita(cycle)
        total += d.noto
        excluded += d.in_attesa + d.non_indicato
        rows.append(cells(fr.nome, fr.gruppo or "", disponibile_cell(d)))
        notes.append(voci_note(fo.voci, fo.membri == (fid,)))
    if rows:
        with_notes = any(notes)
        if with_notes:
            rows = [row + cells(n) for row, n in zip(rows, notes)]
        label = f"Budget PdZ {r.ciclo}" + (", esclusi gli importi " + _stati(fnd, excluded) if excluded else "")
        add(Table("budget", f"Budget del Piano di Zona {r.ciclo} per fonte",
                  (("Fonte di finanziamento", "Gruppo", "Importo") + (("Note",) if with_notes else ()),), tuple(rows),
                  (cells(label, "", Cell(total, "euro"), *(("",) if with_notes else ())),), None,
                  (6, 2, 3, 4) if with_notes else (6, 2, 3),
                  sums=sums_down(len(rows), range(len(rows)), (2,))))
        cifre["budget"] = {"totale": Cell(total, "euro")}
        if "RES-PDZ" in fnd:
            cifre["budget"]["residui_pdz"] = disponibile_cell(disp("RES-PDZ"))


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


def _stati(fnd, labels: list[str]) -> str:
    pending = {f"{fid} {p}" for fo in fnd.values() for fid, p, v in fo.voci if v.in_attesa}
    att = [x for x in labels if x in pending]
    non = [x for x in labels if x not in pending]
    parts = []
    if att:
        parts.append("in attesa di assegnazione (" + ", ".join(att) + ")")
    if non:
        parts.append("non indicati (" + ", ".join(non) + ")")
    return " e ".join(parts)


def _pct_text(q: Decimal) -> str:
    return f"{q.normalize():f}".replace(".", ",") + "%"


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


def _programme_tables(plan: Plan, prog, fnd, add) -> Table:
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
        add(Table(f"scheda_{which.lower()}", title,
                  (("Codice", "Servizio / intervento", "Fonte", *(str(y) for y in years), "Totale"),),
                  tuple(rows), tuple(cells(lab, "", "", *(disponibile_cell(v) for v in vals)) for lab, vals, _ in totals),
                  None, (1, 6, 2) + (2,) * (ny + 1), landscape=True,
                  kinds=("data",) * n + ("subtotal",) * (len(totals) - 1) + ("total",), sums=sums))

    programmazione = _programme_by_card(plan, prog, source_rows)

    rows = []
    for fid, fo in fnd.items():
        if not fo.in_budget and not fo.programmato:
            continue
        members = "" if fo.membri == (fid,) else " (" + ", ".join(m for m in fo.membri) + ")"
        d = fo.disponibilita(years)
        if fo.da_schede:
            avail, rest = Cell(DA_SCHEDE_TEXT), Cell(ZERO, "euro")
        elif fo.in_blocco:
            avail, rest = disponibile_cell(d), Cell(f"vedi {fo.in_blocco}")
        elif d.completa:
            avail, rest = Cell(d.noto, "euro"), Cell(d.noto - fo.programmato_ciclo, "euro")
        else:
            avail = disponibile_cell(d)
            rest = Cell(f"{fmt_euro(d.noto - fo.programmato_ciclo)} sulle risorse note" if d.noti else "—")
        atto = getattr(r.fonti.get(fid), "atto", None)
        rows.append(cells(fid + members, fo.nome + (f" – {atto}" if atto else ""), avail,
                          Cell(fo.programmato_ciclo, "euro"), rest))
    blocks = sorted({fo.in_blocco for fo in fnd.values() if fo.in_blocco})
    add(Table("fonti_residuo", f"Risorse disponibili, programmate e da programmare per fonte ({r.ciclo})",
              (("Fonte", "Denominazione", "Disponibile", "Programmato", "Da programmare"),), tuple(rows), (),
              f"«{IN_ATTESA}»: risorse non ancora assegnate; «{NON_INDICATO}»: la fonte non riporta la somma; "
              f"«{DA_SCHEDE_TEXT}»: la fonte non riporta la somma complessiva, che coincide con quanto programmato "
              "nelle schede." + (f" «vedi {' / '.join(blocks)}»: le schede programmano il gruppo nel suo insieme, "
                                 "oltre a quanto programmato sulla singola fonte: quanto resta da programmare si legge "
                                 "sulla riga del gruppo." if blocks else ""), (2, 5, 3, 3, 3)))
    return programmazione


def _programme_by_card(plan: Plan, prog, source_rows) -> Table:
    """Every card's rows of Schede A and C, with the source's name, then the card's total."""
    r = plan.regole
    years = r.anni
    ny = len(years)
    titles = {s.scheda.codice: s.scheda.titolo for s in plan.schede}
    rows, kinds, sums = [], [], ()
    amounts = range(4, 5 + ny)
    for code in source_rows["A"]:
        lines = source_rows["A"][code] + source_rows["C"][code]
        first = len(rows)
        for k, (fid, vals) in enumerate(lines):
            tot = _total(vals)
            if tot.completa:
                sums += sums_across((len(rows),), range(4, 4 + ny), 4 + ny)
            rows.append(cells(code if k == 0 else "", titles[code] if k == 0 else "", fid, fonte_nome(r, fid),
                              *(disponibile_cell(v) for v in vals + [tot])))
        if not lines:  # a card with no programming at all
            rows.append(cells(code, titles[code], "", "", *(Cell("—") for _ in amounts)))
        kinds += ["data"] * (len(rows) - first)
        # a year the card does not program is 0 (its rows show 0,00)
        by_year = {a.anno: a.somma for a in prog[code].anni}
        figures = [by_year.get(y, Disponibilita()) for y in years] + [prog[code].somma]
        if prog[code].anni:
            if lines:  # a card that lists its years with no source has programmed nothing: zero, not a sum
                sums += sums_down(len(rows), range(first, len(rows)),
                                  (j for j, v in zip(amounts, figures) if v.completa))
            rows.append(cells(f"Totale {code}", "", "", "", *(disponibile_cell(v) for v in figures)))
        else:
            rows.append(cells(f"Totale {code}", "", "", "", *(Cell("—") for _ in amounts)))
        kinds.append("subtotal")
    return Table("programmazione_schede",
                 f"Programmazione economica delle schede di progettazione ({r.ciclo})",
                 (("Codice", "Servizio / intervento", "Fonte", "Denominazione della fonte",
                   *(str(y) for y in years), "Totale"),),
                 tuple(rows), (), "Per ogni scheda, gli importi per fonte riportati nelle Schede A e C. "
                 f"«{IN_ATTESA}»: risorse non ancora assegnate; «{NON_INDICATO}»: la scheda non riporta "
                 "l'importo; «—»: scheda senza programmazione economica.", (1, 6, 1, 4) + (2,) * (ny + 1),
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


def _segni(fa: FonteAnno) -> str:
    """What the card says of an amount beyond its figure: its FNPS quota, conditional, the writer's note."""
    v = fa.voce
    said = ([fa.quota] if fa.quota else []) + (["condizionato all'assegnazione"] if v.condizionato else []) \
        + ([v.nota] if v.nota else [])
    return f" ({'; '.join(said)})" if said else ""
