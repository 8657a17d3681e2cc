"""Money checks: typed totals, over-programmed funds, co-financing rules, inconsistent figures.

They run on the computed figures (`finance.compute.Computed`) and point at the
writer's lines through the YAML documents kept by the loader.
"""

from __future__ import annotations

from pdz_docs.finance.compute import YEAR_TOTAL_KEY, Computed, available_in, years_of
from pdz_docs.finance.money import ZERO, fmt_euro
from pdz_docs.load.plan import Plan
from pdz_docs.problems import Problem, avviso, errore, nota


def check_importi_scritti(plan: Plan, c: Computed) -> list[Problem]:
    """A year amount or card total the writer chose to type must equal the computed one."""
    out = []
    for s in plan.schede:
        prog = c.schede.get(s.scheda.codice)
        if prog is None:
            continue
        for a in prog.anni:
            typed = s.scheda.programmazione[a.anno].get(YEAR_TOTAL_KEY)
            if typed is not None and a.importo is not None and typed != a.importo:
                out.append(errore(s.doc.loc("programmazione", a.anno, YEAR_TOTAL_KEY), "importo-annualita",
                                  f"scheda {s.scheda.codice}, annualità {a.anno}: l'importo scritto {fmt_euro(typed)} "
                                  f"non è la somma delle fonti ({fmt_euro(a.importo)})"))
        typed = s.scheda.totale
        if typed is not None and prog.totale is not None and typed != prog.totale:
            out.append(errore(s.doc.loc("totale"), "totale-scheda",
                              f"scheda {s.scheda.codice}: il totale scritto {fmt_euro(typed)} non è la somma delle "
                              f"annualità ({fmt_euro(prog.totale)})"))
    return out


def check_fonti_in_budget(plan: Plan, c: Computed) -> list[Problem]:
    """A card may only use a fund that the budget lists."""
    out = []
    for s in plan.schede:
        for year, fonti in s.scheda.programmazione.items():
            for fid in fonti:
                fo = c.fondi.get(fid)
                if fid != YEAR_TOTAL_KEY and fo is not None and not fo.in_budget:
                    out.append(errore(s.doc.key_loc("programmazione", year, fid), "fonte-non-in-budget",
                                      f"scheda {s.scheda.codice}: la fonte «{fid}» non compare nel budget di finanza.yaml"))
    return out


def check_fondi_eccedenti(plan: Plan, c: Computed) -> list[Problem]:
    """No fund is programmed beyond what is available, per year (where the budget says) and over the cycle."""
    cycle = plan.regole.anni
    out = []
    for fid, fo in c.fondi.items():
        if not fo.in_budget:
            continue
        windows = [[y] for y in cycle] + [years_of(k.split(":")[-1], cycle) for k in fo.disponibile]
        seen = set()
        for w in windows:
            key = tuple(sorted(w))
            if key in seen:
                continue
            seen.add(key)
            avail = available_in(fo, list(key), cycle)
            if avail is None or avail is False:
                continue
            prog = sum((v for y, v in fo.programmato.items() if y in key), ZERO)
            if prog > avail:
                period = "nel ciclo" if list(key) == list(cycle) else (
                    f"nel {key[0]}" if len(key) == 1 else f"nel periodo {key[0]}-{key[-1]}")
                shares = {code: sum((v for y, v in ys.items() if y in key), ZERO)
                          for code, ys in sorted(fo.per_scheda.items())}
                users = ", ".join(f"{code} ({fmt_euro(v)})" for code, v in shares.items() if v)
                loc_key = fo.membri[0] if fo.membri else fid
                out.append(errore(plan.key_loc("finanza", "budget", loc_key), "fonte-eccedente",
                                  f"la fonte {fid} è programmata {period} per {fmt_euro(prog)} ma ne sono disponibili "
                                  f"{fmt_euro(avail)}: eccedenza di {fmt_euro(prog - avail)}; schede che la usano: {users}"))
    return out


def check_cofinanziamento(plan: Plan, c: Computed) -> list[Problem]:
    f = plan.finanza
    if not f or not f.cofinanziamento:
        return []
    out = []
    minimo = c.minimo.get("cofinanziamento_minimo")
    media = c.minimo.get("spesa_storica_media")
    cf = f.cofinanziamento
    for year, amount in cf.annualita.items():
        loc = plan.loc("finanza", "cofinanziamento", "annualita", year)
        if minimo is not None and amount < minimo:
            out.append(errore(loc, "cofinanziamento-minimo",
                              f"il cofinanziamento comunale {year} ({fmt_euro(amount)}) è inferiore al minimo "
                              f"regionale ({fmt_euro(minimo)})"))
        if media is not None and amount < media:
            msg = (f"il cofinanziamento comunale {year} ({fmt_euro(amount)}) è inferiore alla spesa sociale storica "
                   f"media annua ({fmt_euro(media)}) di {fmt_euro(media - amount)}")
            if cf.motivazione:
                out.append(nota(loc, "cofinanziamento-sotto-spesa-storica", msg + ": motivazione presente"))
            else:
                out.append(avviso(loc, "cofinanziamento-sotto-spesa-storica",
                                  msg + "; il piano deve spiegarne il motivo in «cofinanziamento.motivazione»"))
    per_comune_min = c.minimo.get("cofinanziamento_minimo_comuni", {})
    for comune, years in cf.per_comune.items():
        for year, amount in years.items():
            m = per_comune_min.get(comune)
            if m is not None and amount < m:
                out.append(errore(plan.loc("finanza", "cofinanziamento", "per_comune", comune, year),
                                  "cofinanziamento-minimo",
                                  f"{comune}: il cofinanziamento {year} ({fmt_euro(amount)}) è inferiore alla quota "
                                  f"minima del Comune ({fmt_euro(m)})"))
    for year in cf.annualita:
        parts = [v[year] for v in cf.per_comune.values() if year in v]
        if cf.per_comune and len(parts) == len(cf.per_comune) and sum(parts, ZERO) != cf.annualita[year]:
            out.append(errore(plan.loc("finanza", "cofinanziamento", "annualita", year), "cofinanziamento-comuni",
                              f"il cofinanziamento {year} ({fmt_euro(cf.annualita[year])}) non è la somma delle quote "
                              f"dei Comuni ({fmt_euro(sum(parts, ZERO))})"))
    return out


def check_popolazione(plan: Plan, c: Computed) -> list[Problem]:
    """A Comune's population must be the same in every table (residents and age bands)."""
    out = []
    for i, com in enumerate(plan.piano.comuni):
        if com.fasce_eta:
            bands = sum(com.fasce_eta.values())
            if bands != com.popolazione:
                out.append(avviso(plan.loc("piano", "comuni", i, "fasce_eta"), "popolazione-incoerente",
                                  f"{com.nome}: la somma delle fasce d'età ({bands}) è diversa dalla popolazione "
                                  f"residente ({com.popolazione})"))
    return out


def check_quote_fnps(plan: Plan, c: Computed) -> list[Problem]:
    f = plan.finanza
    if not f or "FNPS" not in f.budget or not f.budget["FNPS"]:
        return []
    cycle = plan.regole.anni
    out = []
    for period, quote in f.fnps_quote.items():
        ys = set(years_of(period, cycle))
        avail = sum((a for k, a in f.budget["FNPS"].items() if a is not None and set(years_of(k, cycle)) <= ys), ZERO)
        tot = sum(quote.values(), ZERO)
        if tot != avail:
            key = int(period) if period.isdigit() else period
            out.append(errore(plan.key_loc("finanza", "fnps_quote", key), "quote-fnps",
                              f"le quote FNPS {period} sommano {fmt_euro(tot)} ma il FNPS del periodo è {fmt_euro(avail)}"))
    return out


def check_destinazione_fna(plan: Plan, c: Computed) -> list[Problem]:
    f = plan.finanza
    if not f or not f.fna_destinazione or not f.budget.get("FNA"):
        return []
    cycle = plan.regole.anni
    out = []
    for period, dest in f.fna_destinazione.items():
        ys = set(years_of(period, cycle))
        avail = sum((a for k, a in f.budget["FNA"].items() if a is not None and set(years_of(k, cycle)) <= ys), ZERO)
        tot = sum(dest.values(), ZERO)
        if tot > avail:
            key = int(period) if period.isdigit() else period
            out.append(errore(plan.key_loc("finanza", "fna_destinazione", key), "fna-eccedente",
                              f"la destinazione del FNA {period} ({fmt_euro(tot)}) supera il FNA disponibile "
                              f"({fmt_euro(avail)})"))
    return out


CHECKS = [
    check_importi_scritti,
    check_fonti_in_budget,
    check_fondi_eccedenti,
    check_cofinanziamento,
    check_popolazione,
    check_quote_fnps,
    check_destinazione_fna,
]
