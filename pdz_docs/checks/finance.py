"""Money checks: typed totals, over-programmed funds, co-financing rules, inconsistent figures.

They run on the computed figures (`finance.compute.Computed`) and point at the
writer's lines through the YAML documents kept by the loader.
"""

from __future__ import annotations

from decimal import Decimal

from pdz_docs.finance.compute import YEAR_TOTAL_KEY, Computed, Fondo, disponibile_cell, disponibilita, years_of
from pdz_docs.finance.fondi import periodi, somma
from pdz_docs.finance.money import ZERO, fmt_euro, fmt_voce
from pdz_docs.model import Plan
from pdz_docs.problems import Problem, avviso, errore, nota


def check_importi_scritti(plan: Plan, c: Computed) -> list[Problem]:
    """A year amount or card total the writer chose to type must equal the computed one; when some of its
    parts are pending or not given, it may not be less than the known ones."""
    out = []
    for s in plan.schede:
        prog = c.schede.get(s.scheda.codice)
        if prog is None:
            continue
        for a in prog.anni:
            written = s.scheda.programmazione[a.anno].get(YEAR_TOTAL_KEY)
            typed = written.importo if written is not None else None
            if _differs(typed, a.somma):
                out.append(errore(s.doc.loc("programmazione", a.anno, YEAR_TOTAL_KEY), "importo-annualita",
                                  f"scheda {s.scheda.codice}, annualità {a.anno}: l'importo scritto {fmt_euro(typed)} "
                                  f"{_what_sum(a.somma)} delle fonti ({disponibile_cell(a.somma).text})"))
        typed = s.scheda.totale
        if _differs(typed, prog.somma):
            out.append(errore(s.doc.loc("totale"), "totale-scheda",
                              f"scheda {s.scheda.codice}: il totale scritto {fmt_euro(typed)} {_what_sum(prog.somma)} "
                              f"delle annualità ({disponibile_cell(prog.somma).text})"))
    return out


def _differs(typed: Decimal | None, d) -> bool:
    """A typed total against the sum of its parts: equal when all are known, else not below the known ones."""
    return typed is not None and (typed != d.noto if d.completa else typed < d.noto)


def _what_sum(d) -> str:
    return "non è la somma" if d.completa else "è inferiore alla somma degli importi noti"


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


def _period(key: tuple[int, ...], cycle: list[int]) -> str:
    if list(key) == list(cycle):
        return "nel ciclo"
    if len(key) == 1:
        return f"nel {key[0]}"
    if list(key) == list(range(key[0], key[-1] + 1)):
        return f"nel periodo {key[0]}-{key[-1]}"
    return "negli anni " + ", ".join(str(y) for y in key[:-1]) + f" e {key[-1]}"


def _windows(cycle: list[int]) -> list[tuple[int, ...]]:
    """Every set of the cycle's years, smallest first.

    An amount of a period (or of the cycle) may be spent in any of its years, but once: what the cards
    program can be paid for only if, for every set of years, it fits in the amounts that meet them.
    Sets of years that are not periods matter too: a cycle amount spent in 2022 and again in 2024."""
    ys = sorted(cycle)
    ws = [tuple(y for i, y in enumerate(ys) if mask >> i & 1) for mask in range(1, 1 << len(ys))]
    return sorted(ws, key=lambda w: (len(w), w))


def _causes(excess: dict[tuple[int, ...], Decimal]) -> list[tuple[int, ...]]:
    """The causes of a fund's excess: disjoint sets of years, as fine as possible, whose excesses add up
    to the largest excess of any set of years (what must be cut for the cards to be paid).

    A set of years whose excess is no more than that of the sets it splits into is their consequence,
    not a cause of its own: one card line over in 2022 is told for 2022, not again for 2022-2023 and
    the cycle. Whenever some set of years is in excess, at least one cause is returned."""
    best: dict[tuple[int, ...], tuple[Decimal, list[tuple[int, ...]]]] = {}
    for w in excess:   # smallest first: the parts of a set are known before it
        pick = (excess[w], [w]) if excess[w] > 0 else (ZERO, [])
        for mask in range(1, 1 << (len(w) - 1)):   # splits into two parts, the first year in b
            a = tuple(y for i, y in enumerate(w[1:]) if mask >> i & 1)
            b = tuple(y for y in w if y not in a)
            value = best[a][0] + best[b][0]
            if value > 0 and value >= pick[0]:   # a split that explains the whole excess is finer
                pick = (value, best[a][1] + best[b][1])
        best[w] = pick
    return sorted(best[max(excess, key=len)][1])


def check_fondi_eccedenti(plan: Plan, c: Computed) -> list[Problem]:
    """No fund or group is programmed beyond its known resources, in any year, period or the cycle.

    Each cause of an excess (see `_causes`) is told once at the budget line and once at each card line
    that programs the fund in its years, with both figures. Pending and not-given amounts are never
    money: when the cards lean on them, the card amounts of the years they cover are told at their own
    lines (an error; a warning when the card marks it conditional). What a group's members are over on
    their own lines is their own cause, told for the member, not again for the group.
    """
    cycle = plan.regole.anni
    windows = _windows(cycle)
    cards = {}
    for s in plan.schede:
        cards.setdefault(s.scheda.codice, s)
    members_first = sorted(c.fondi.items(), key=lambda kv: kv[1].membri != (kv[0],))
    out = []
    # one message a line: a line on a source the budget does not list is told so (fonte-non-in-budget)
    at_card = {(u.codice, u.anno, u.fonte) for fo in c.fondi.values() if not fo.in_budget for u in fo.usi}
    for fid, fo in members_first:
        if not fo.in_budget or fo.da_schede:
            continue
        avail = {key: fo.disponibilita(key) for key in windows}
        prog = {key: sum((u.importo for u in fo.usi if u.anno in key), ZERO) for key in windows}
        own = {key: prog[key] - avail[key].noto for key in windows}
        for m in fo.membri if fo.membri != (fid,) else ():
            # a member's direct lines beyond the member: already told, for the member
            over = _member_excess(fo, m, windows, cycle)
            own = {key: own[key] - over[key] for key in windows}
        causes = _causes(own)
        for key in causes:
            out += _cause(plan, fo, _named_period(fo, key, windows, avail, prog), avail, prog, cards, at_card)
        if not causes and fo.membri != (fid,):
            out += _gruppo_eccedente(plan, fo, cards)
    return out


def _member_excess(fo: Fondo, m: str, windows, cycle) -> dict[tuple[int, ...], Decimal]:
    """For each set of years, how much of what the cards program directly on member `m` in them exceeds
    the member's known amounts, in the set of its years where that is worst (nothing when within)."""
    voci = [v for v in fo.voci if v[0] == m]
    d = {key: sum((u.importo for u in fo.usi if u.fonte == m and u.anno in key), ZERO)
         - disponibilita(voci, key, cycle).noto for key in windows}
    return {key: max([ZERO] + [d[sub] for sub in windows if set(sub) <= set(key)]) for key in windows}


def _named_period(fo: Fondo, key, windows, avail, prog) -> tuple[int, ...]:
    """The set of years a cause is told for: the widest one with the same amounts and the same
    programming (a cycle amount overspent in 2022 and 2023 is the cycle's excess)."""
    span = {y for _, p, _ in fo.voci if set(years_of(p, list(fo.ciclo))) & set(key)
            for y in years_of(p, list(fo.ciclo))}
    same = [w for w in windows if set(key) <= set(w) <= span | set(key)
            and avail[w] == avail[key] and prog[w] == prog[key]]
    return max(same, key=len)


def _cause(plan: Plan, fo: Fondo, key, avail, prog, cards, at_card: set) -> list[Problem]:
    """One cause: at the budget line, and at each card line programming the fund in those years."""
    cycle = plan.regole.anni
    fid, d, p = fo.id, avail[key], prog[key]
    usi = [u for u in fo.usi if u.anno in key and u.importo]
    period = _period(key, cycle)
    out = []
    if d.completa:
        shares: dict[str, Decimal] = {}
        for u in usi:
            shares[u.codice] = shares.get(u.codice, ZERO) + u.importo
        users = ", ".join(f"{code} ({fmt_euro(v)})" for code, v in sorted(shares.items()))
        loc_key = next((m for m in fo.membri if m in plan.finanza.budget), fid)
        loc = (plan.key_loc("finanza", "budget", loc_key) if loc_key != "COM"
               else plan.key_loc("finanza", "cofinanziamento"))
        out.append(errore(loc, "fonte-eccedente",
                          f"la fonte {fid} è programmata {period} per {fmt_euro(p)} ma ne sono disponibili "
                          f"{fmt_euro(d.noto)}: eccedenza di {fmt_euro(p - d.noto)}; schede che la usano: {users}"))
    else:
        # leaning on amounts not known: the card amounts of the years they cover (all, if none)
        holes = {y for _, period_, v in fo.voci if v.importo is None
                 for y in years_of(period_, cycle) if y in key}
        usi = [u for u in usi if u.anno in holes] or usi
    # a group's excess is the block's, when the cards program it as a block in those years: a line on a
    # member draws on that member only, and the member's own excess is its own cause
    usi = [u for u in usi if u.fonte == fid] or usi
    if d.completa:
        # the lines that alone could take the cut, where the writer most likely typed (all, when none can)
        usi = [u for u in usi if u.importo >= p - d.noto] or usi
    for u in usi:
        if (u.codice, u.anno, u.fonte) in at_card or u.codice not in cards:
            continue
        at_card.add((u.codice, u.anno, u.fonte))   # one message a line: the member's, then its group's
        loc = cards[u.codice].doc.key_loc("programmazione", u.anno, u.fonte)
        if d.completa:
            out.append(errore(loc, "fonte-eccedente",
                              f"scheda {u.codice}: programma {fmt_euro(u.importo)} della fonte {u.fonte} nel "
                              f"{u.anno}, ma la fonte {fid} è programmata {period} per {fmt_euro(p)} e ne sono "
                              f"disponibili {fmt_euro(d.noto)}"))
            continue
        # a conditional amount waits for the Region's pending funds, never for amounts not given
        code = "fonte-in-attesa" if d.in_attesa and not (u.condizionato and d.non_indicato) \
            else "fonte-senza-importo"
        what = "; ".join(x for x in (
            ("in attesa di assegnazione: " + ", ".join(d.in_attesa)) if d.in_attesa else "",
            ("non indicati dalla fonte: " + ", ".join(d.non_indicato)) if d.non_indicato else "") if x)
        msg = (f"scheda {u.codice}: programma {fmt_euro(u.importo)} della fonte {u.fonte} nel {u.anno}, ma della "
               f"fonte {fid} sono noti {fmt_euro(d.noto)} {period} a fronte di {fmt_euro(p)} programmati "
               f"({what})")
        expected = d.noto + d.previsto   # what the Region is expected to assign, when every pending amount says
        if u.condizionato and d.in_attesa and not d.non_indicato and d.previsti == len(d.in_attesa) and p > expected:
            out.append(errore(loc, code, msg + f"; l'importo è condizionato all'assegnazione, ma i programmati superano "
                                               f"anche le risorse previste ({fmt_euro(expected)}, noti più previsti)"))
        elif u.condizionato and d.in_attesa and not d.non_indicato:
            out.append(avviso(loc, code, msg + "; importo condizionato all'assegnazione"))
        else:
            out.append(errore(loc, code, msg + (
                "; se l'importo dipende dall'assegnazione, scriverlo {importo: …, condizionato: si}"
                if code == "fonte-in-attesa" else
                "; l'importo è condizionato all'assegnazione, ma gli importi non indicati non si assegnano: "
                "scriverne l'importo, o indicarli {in_attesa: si}" if u.condizionato else "")))
    return out


def _gruppo_eccedente(plan: Plan, fo: Fondo, cards: dict) -> list[Problem]:
    """A group programmed as a block beside cards that program its members directly.

    The block may draw on any member, a member's own line only on that member: for the years Yg of
    the block, each member gives what it has in Yg less what the cards take from it directly, in the
    set of years Ym where that hurts most (Hall's condition, member by member). The plain check above
    covers Ym within Yg; this one the rest, e.g. residui spent by the block in 2022 and directly in 2023.
    """
    cycle = plan.regole.anni
    windows = _windows(cycle)
    block = [u for u in fo.usi if u.fonte == fo.id]
    known = lambda m, ys: disponibilita([v for v in fo.voci if v[0] == m], ys, cycle).noto  # noqa: E731
    # what the cards take from a member directly, less the member's own excess (told for the member,
    # not again as the group's)
    over = {m: _member_excess(fo, m, windows, cycle) for m in fo.membri}
    direct = lambda m, ys: sum((u.importo for u in fo.usi if u.fonte == m and u.anno in ys), ZERO) - over[m][ys]  # noqa: E731
    for yg in windows:
        usi = [u for u in block if u.anno in yg]
        prog = sum((u.importo for u in usi), ZERO)
        if not prog:
            continue
        rest, taken = ZERO, []
        for m in fo.membri:
            options = [(known(m, yg), ())] + [(known(m, tuple(sorted(set(yg) | set(ym)))) - direct(m, ym), ym)
                                               for ym in windows if direct(m, ym)]
            left, ym = min(options, key=lambda o: (o[0], len(o[1])))
            rest += max(left, ZERO)   # a member over on its own lines is its own check's error
            if ym:
                taken.append(f"{m} ({fmt_euro(direct(m, ym))} {_period(ym, cycle)})")
        if prog <= rest or not taken:
            continue
        period = _period(yg, cycle)
        why = (f"tolto quanto le schede programmano direttamente su {', '.join(taken)}, ne restano disponibili "
               f"{fmt_euro(rest)}")
        loc_key = next((m for m in fo.membri if m in plan.finanza.budget), fo.id)
        out = [errore(plan.key_loc("finanza", "budget", loc_key), "fonte-eccedente",
                      f"la fonte {fo.id} è programmata {period} per {fmt_euro(prog)} ma, {why}: eccedenza di "
                      f"{fmt_euro(prog - rest)}")]
        out += [errore(cards[u.codice].doc.key_loc("programmazione", u.anno, u.fonte), "fonte-eccedente",
                       f"scheda {u.codice}: programma {fmt_euro(u.importo)} della fonte {fo.id} nel {u.anno}, ma la "
                       f"fonte {fo.id} è programmata {period} per {fmt_euro(prog)} e, {why}")
                for u in usi if u.codice in cards]
        return out
    return []


def check_da_programmare(plan: Plan, c: Computed) -> list[Problem]:
    """Known resources left unprogrammed: a warning per fund and period (per cycle when its periods overlap).

    A group's members are counted in the group only: cards may program the group as a block.
    """
    cycle = plan.regole.anni
    grouped = {m for fo in c.fondi.values() if fo.membri != (fo.id,) for m in fo.membri}
    out = []
    for fid, fo in c.fondi.items():
        if not fo.in_budget or fo.da_schede or not fo.voci:
            continue
        if fid in grouped:
            continue
        windows = periodi(fo)
        periods = {tuple(years_of(p, cycle)) for _, p, _ in fo.voci}
        disjoint = sorted(periods) == windows
        for key in windows:
            d = fo.disponibilita(key, entro=True)
            prog = sum((v for y, v in fo.programmato.items() if y in key), ZERO)
            if d.noto > prog:
                member, period = next(((m, p) for m, p, _ in fo.voci if tuple(years_of(p, cycle)) == key),
                                      (fo.voci[0][0], None))
                if member == "COM":
                    loc = plan.key_loc("finanza", "cofinanziamento")
                elif disjoint and fid == member:
                    loc = plan.key_loc("finanza", "budget", member, int(period) if period.isdigit() else period)
                else:
                    loc = plan.key_loc("finanza", "budget", member)
                out.append(avviso(loc, "da-programmare",
                                  f"la fonte {fid} ha {fmt_euro(d.noto - prog)} da programmare {_period(key, cycle)} "
                                  f"(disponibili {fmt_euro(d.noto)}{_in_attesa(d)}, programmati {fmt_euro(prog)})"))
    return out


def check_cofinanziamento(plan: Plan, c: Computed) -> list[Problem]:
    f = plan.finanza
    if not f or not f.cofinanziamento:
        return []
    out = []
    minimo = c.minimo.get("cofinanziamento_minimo")
    media = c.minimo.get("spesa_storica_media")
    cf = f.cofinanziamento
    for year, voce in cf.annualita.items():
        loc = plan.loc("finanza", "cofinanziamento", "annualita", year)
        amount = voce.importo
        if amount is None:
            continue
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
        for year, voce in years.items():
            m, amount = per_comune_min.get(comune), voce.importo
            if m is not None and amount is not None and amount < m:
                out.append(errore(plan.loc("finanza", "cofinanziamento", "per_comune", comune, year),
                                  "cofinanziamento-minimo",
                                  f"{comune}: il cofinanziamento {year} ({fmt_euro(amount)}) è inferiore alla quota "
                                  f"minima del Comune ({fmt_euro(m)})"))
    for year, voce in cf.annualita.items():
        for code, what, split in (("cofinanziamento-aree", "delle risorse comunali per area", cf.per_area),
                                  ("cofinanziamento-comuni", "delle quote dei Comuni", cf.per_comune)):
            parts = somma((f"{name} {year}", v[year]) for name, v in split.items() if year in v)
            if not parts.noti + len(parts.in_attesa + parts.non_indicato):
                continue
            known = voce.importo
            # the parts' known figures never exceed a known year; when every part is known, they make it up
            if known is not None and (parts.noto > known or (parts.completa and parts.noto != known)):
                out.append(errore(plan.loc("finanza", "cofinanziamento", "annualita", year), code,
                                  f"il cofinanziamento {year} ({fmt_euro(known)}) non è la somma {what} "
                                  f"({fmt_euro(parts.noto)})" if parts.completa else
                                  f"il cofinanziamento {year} ({fmt_euro(known)}) è inferiore alla somma {what} "
                                  f"({fmt_euro(parts.noto)}{_in_attesa(parts)})"))
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


def _in_attesa(d) -> str:
    """What a figure leaves out, for a message: '' when it is complete."""
    left = d.in_attesa + d.non_indicato
    return f", esclusi gli importi non noti ({', '.join(left)})" if left else ""


def check_quote_fnps(plan: Plan, c: Computed) -> list[Problem]:
    """The FNPS quotas of a period add up to the FNPS of that period (checked on known figures only)."""
    fo = c.fondi.get("FNPS")
    if fo is None or not fo.voci:
        return []
    out = []
    for period, quote in plan.finanza.fnps_quote.items():
        d = fo.disponibilita(years_of(period, plan.regole.anni), entro=True)
        q = somma((f"quota {k} {period}", v) for k, v in quote.items())
        if q.noto > d.noto or (d.completa and q.completa and q.noto != d.noto):
            key = int(period) if period.isdigit() else period
            out.append(errore(plan.key_loc("finanza", "fnps_quote", key), "quote-fnps",
                              f"le quote FNPS {period} sommano {fmt_euro(q.noto)}{_in_attesa(q)} ma il FNPS del "
                              f"periodo è {fmt_euro(d.noto)}{_in_attesa(d)}"))
    return out


def check_destinazione_fna(plan: Plan, c: Computed) -> list[Problem]:
    """The FNA destined to services in a period does not exceed the known FNA of that period."""
    fo = c.fondi.get("FNA")
    if fo is None or not fo.voci:
        return []
    out = []
    for period, dest in plan.finanza.fna_destinazione.items():
        d = fo.disponibilita(years_of(period, plan.regole.anni), entro=True)
        tot = sum(dest.values(), ZERO)
        if tot > d.noto:
            key = int(period) if period.isdigit() else period
            out.append(errore(plan.key_loc("finanza", "fna_destinazione", key), "fna-eccedente",
                              f"la destinazione del FNA {period} ({fmt_euro(tot)}) supera il FNA disponibile "
                              f"({fmt_euro(d.noto)}{_in_attesa(d)})"))
    return out


def check_fna_per_scheda(plan: Plan, c: Computed) -> list[Problem]:
    """A card that programs FNA directly stays within the FNA destined to its code in that period."""
    fo = c.fondi.get("FNA")
    if fo is None or not plan.finanza.fna_destinazione:
        return []
    cycle = plan.regole.anni
    cards = {s.scheda.codice: s for s in plan.schede}
    out = []
    for period, dest in plan.finanza.fna_destinazione.items():
        ys = years_of(period, cycle)
        usi = [u for u in fo.usi if u.fonte == "FNA" and u.anno in ys and u.codice in cards]
        for code in sorted({u.codice for u in usi}):
            mine = [u for u in usi if u.codice == code]
            prog = sum((u.importo for u in mine), ZERO)
            allowed = dest.get(code, ZERO)
            if prog > allowed:
                out.append(errore(cards[code].doc.key_loc("programmazione", mine[0].anno, "FNA"), "fna-destinazione",
                                  f"scheda {code}: programma {fmt_euro(prog)} di FNA nel periodo {period}, ma la "
                                  f"destinazione del FNA a {code} è {fmt_euro(allowed)}"))
    return out


def check_quote_fnps_schede(plan: Plan, c: Computed) -> list[Problem]:
    """FNPS a card spends on a quota («FNPS: {importo: …, quota: minori_famiglia}») stays within that quota.

    A quota is a key of the rules' `quote_fnps`, written only on FNPS; the quota's figure is that of
    the `fnps_quote` period holding the card's year (none written: nothing may be spent on it).
    """
    quote = plan.regole.vincoli.quote_fnps
    cycle = plan.regole.anni
    periods = {y: (period, qs) for period, qs in plan.finanza.fnps_quote.items() for y in years_of(period, cycle)} \
        if plan.finanza else {}
    out = []
    spent: dict[tuple[str, str], list] = {}   # (period, quota) → the card lines that spend on it
    for s in plan.schede:
        for year, fonti in s.scheda.programmazione.items():
            for fid, voce in fonti.items():
                if fid == YEAR_TOTAL_KEY or voce.quota is None:
                    continue
                loc = s.doc.key_loc("programmazione", year, fid)
                if fid != "FNPS" or voce.quota not in quote:
                    why = (f"le quote sono del FNPS, non della fonte «{fid}»" if fid != "FNPS" else
                           f"la quota «{voce.quota}» non esiste (quote: {', '.join(quote)})")
                    out.append(errore(loc, "quota-fnps-scheda", f"scheda {s.scheda.codice}, {year}: {why}"))
                    continue
                period = periods.get(year, (str(year), {}))[0]
                spent.setdefault((period, voce.quota), []).append((s.scheda.codice, year, voce, loc))
    for (period, q), lines in spent.items():
        written = plan.finanza.fnps_quote.get(period, {}).get(q) if plan.finanza else None
        allowed = written.importo if written is not None else None
        total = sum((v.importo or ZERO for _, _, v, _ in lines), ZERO)
        if total <= (allowed or ZERO):
            continue
        given = (f"la {quote[q].lower()} del FNPS {period} è {fmt_voce(written)}" if written is not None else
                 f"la {quote[q].lower()} del FNPS {period} non è indicata in fnps_quote")
        for code, year, voce, loc in lines:
            out.append(errore(loc, "quota-fnps-eccedente",
                              f"scheda {code}: programma {fmt_voce(voce)} di FNPS nel {year} sulla {quote[q].lower()}, "
                              f"ma le schede ne programmano {fmt_euro(total)} nel periodo {period} e {given}"))
    return out


CHECKS = [
    check_da_programmare,
    check_importi_scritti,
    check_fonti_in_budget,
    check_fondi_eccedenti,
    check_cofinanziamento,
    check_popolazione,
    check_quote_fnps,
    check_destinazione_fna,
    check_fna_per_scheda,
    check_quote_fnps_schede,
]
