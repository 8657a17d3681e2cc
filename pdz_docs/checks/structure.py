"""Structure and reference checks: codes, areas, objectives, sources, years, names.

Each check is small and independent; a check whose inputs failed to load returns
nothing (the loading problem is already reported).
"""

from __future__ import annotations

import difflib
from pathlib import Path

from pdz_docs.finance.compute import years_of
from pdz_docs.limits import MAX_CONTEGGIO
from pdz_docs.model import Plan
from pdz_docs.names import name_key, province_of
from pdz_docs.problems import Problem, avviso, errore

RESERVED_YEAR_KEY = "importo"


def _hint(value: str, choices) -> str:
    same = [str(c) for c in choices if name_key(str(c)) == name_key(str(value))]  # «CASARANO» for «Casarano»
    match = same or difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.5)
    return f": forse «{match[0]}»?" if match else ""


def check_ciclo(plan: Plan) -> list[Problem]:
    if not plan.piano or not plan.regole:
        return []
    if plan.piano.ciclo != plan.regole.ciclo:
        return [errore(plan.loc("piano", "ciclo"), "ciclo-incoerente",
                       f"il piano dichiara il ciclo {plan.piano.ciclo} ma le regole «{plan.piano.regole}» "
                       f"sono del ciclo {plan.regole.ciclo}")]
    return []


def check_provincia(plan: Plan) -> list[Problem]:
    """The plan's province is one of the Region's (rules: «province»), written by its name, as the cover prints it."""
    if not plan.piano or not plan.regole or not plan.regole.province:
        return []
    written, accepted = plan.piano.provincia, list(dict.fromkeys(plan.regole.province.values()))
    found = province_of(written, plan.regole.province)
    if found is None:
        return [errore(plan.loc("piano", "provincia"), "provincia-non-valida",
                       f"la provincia «{written}» non è tra le province della Regione (ammesse: {', '.join(accepted)})"
                       + _hint(written, accepted))]
    if name_key(written.replace("-", " ")) != name_key(found.replace("-", " ")):   # its sigla
        return [errore(plan.loc("piano", "provincia"), "provincia-non-valida",
                       f"«{written}» è la sigla della provincia: scrivere il nome, «{found}», che si stampa in copertina")]
    return []


def check_comuni(plan: Plan) -> list[Problem]:
    if not plan.piano:
        return []
    out = []
    names = [c.nome for c in plan.piano.comuni]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        # the same place whatever the case, accents or spacing: «Casarano» and «CASARANO»
        key = name_key(name)
        if key not in seen:
            seen[key] = i
            continue
        first = names[seen[key]]
        again = "" if first == name else f" (come «{first}»: maiuscole, accenti, spazi e apostrofi non contano)"
        out.append(errore(plan.loc("piano", "comuni", i, "nome"), "comune-duplicato",
                          f"il Comune «{name}» compare due volte{again}"))
    if plan.piano.capofila not in names:
        out.append(errore(plan.loc("piano", "capofila"), "comune-sconosciuto",
                          f"il Comune capofila «{plan.piano.capofila}» non è tra i Comuni dell'Ambito"
                          + _hint(plan.piano.capofila, names)))
    if plan.regole:
        bands = plan.regole.fasce_eta
        for i, c in enumerate(plan.piano.comuni):
            for key in c.fasce_eta:
                if key not in bands:
                    out.append(errore(plan.key_loc("piano", "comuni", i, "fasce_eta", key), "fascia-sconosciuta",
                                      f"fascia d'età «{key}» sconosciuta (ammesse: {', '.join(bands)})"))
            missing = [b for b in bands if c.fasce_eta and b not in c.fasce_eta]
            if missing:
                out.append(errore(plan.loc("piano", "comuni", i, "fasce_eta"), "campo-mancante",
                                  f"{c.nome}: mancano le fasce d'età {', '.join(missing)}"))
    return out


def check_conteggi(plan: Plan) -> list[Problem]:
    """Counts (inhabitants, households, moves) are not beyond any real Ambito: a longer number is a typo."""
    if not plan.piano:
        return []
    places: list[tuple[tuple, int | None]] = []
    for i, c in enumerate(plan.piano.comuni):
        places += [(("comuni", i, k), getattr(c, k)) for k in ("popolazione", "famiglie", "emigrazioni", "immigrazioni")]
        places += [(("comuni", i, "fasce_eta", b), n) for b, n in c.fasce_eta.items()]
    if plan.piano.confronto:
        cf = plan.piano.confronto
        places += [(("confronto", k), getattr(cf, k)) for k in ("popolazione", "minori", "anziani", "famiglie")]
    return [errore(plan.loc("piano", *path), "valore-non-valido",
                   f"{'.'.join(map(str, path))}: numero fuori scala (oltre {MAX_CONTEGGIO:,})".replace(",", "."))
            for path, n in places if n is not None and n >= MAX_CONTEGGIO]


def check_comuni_citati(plan: Plan) -> list[Problem]:
    """Every Comune named in finanza.yaml is one of the plan's Comuni."""
    if not plan.piano or not plan.finanza:
        return []
    names = [c.nome for c in plan.piano.comuni]
    f = plan.finanza
    places = []
    if f.spesa_storica:
        places += [(("spesa_storica", "comuni", n), n) for n in f.spesa_storica.comuni]
    places += [(("cofinanziamento_precedente", n), n) for n in f.cofinanziamento_precedente]
    if f.cofinanziamento:
        places += [(("cofinanziamento", "per_comune", n), n) for n in f.cofinanziamento.per_comune]
    return [errore(plan.key_loc("finanza", *path), "comune-sconosciuto",
                   f"«{name}» non è tra i Comuni dell'Ambito" + _hint(name, names))
            for path, name in places if name not in names]


def check_codici_schede(plan: Plan) -> list[Problem]:
    if not plan.regole:
        return []
    out = []
    seen: dict[str, str] = {}
    codes = plan.regole.nomenclatore
    for s in plan.schede:
        code = s.scheda.codice
        if code not in codes:
            out.append(errore(s.doc.loc("codice"), "codice-sconosciuto",
                              f"codice di servizio «{code}» non previsto dal nomenclatore regionale"
                              + _hint(code, codes)))
        elif Path(s.file).stem != code:
            out.append(avviso(s.doc.loc("codice"), "nome-file-scheda",
                              f"il file si chiama «{Path(s.file).name}» ma la scheda ha codice «{code}»: "
                              f"rinominarlo in «{code}.yaml»"))
        if code in seen:
            out.append(errore(s.doc.loc("codice"), "scheda-duplicata",
                              f"la scheda {code} è già definita in {seen[code]}"))
        else:
            seen[code] = s.file
    return out


def check_riferimenti_schede(plan: Plan) -> list[Problem]:
    """Priority levels, areas, objectives, territorial scope and management mode exist in the rules."""
    r = plan.regole
    if not r:
        return []
    out = []
    for s in plan.schede:
        sc, doc = s.scheda, s.doc
        for key in sc.livelli_priorita:
            if key not in r.livelli_priorita:
                out.append(errore(doc.key_loc("livelli_priorita", key), "livello-sconosciuto",
                                  f"livello di priorità «{key}» sconosciuto (ammessi: {', '.join(r.livelli_priorita)})"))
        for i, area in enumerate(sc.aree):
            if area not in r.aree:
                out.append(errore(doc.loc("aree", i), "area-sconosciuta",
                                  f"area strategica «{area}» sconosciuta" + _hint(area, r.aree)))
        for i, ob in enumerate(sc.obiettivi):
            if ob.area not in r.aree:
                out.append(errore(doc.loc("obiettivi", i, "area"), "area-sconosciuta",
                                  f"area strategica «{ob.area}» sconosciuta" + _hint(ob.area, r.aree)))
            elif ob.lettera not in r.aree[ob.area].obiettivi:
                letters = ", ".join(r.aree[ob.area].obiettivi)
                out.append(errore(doc.loc("obiettivi", i, "lettera"), "obiettivo-sconosciuto",
                                  f"l'area «{ob.area}» non ha un obiettivo tematico «{ob.lettera}» (lettere: {letters})"))
            elif ob.area not in sc.aree and all(a in r.aree for a in sc.aree):
                out.append(avviso(doc.loc("obiettivi", i, "area"), "area-non-indicata",
                                  f"l'obiettivo {ob.lettera} è dell'area «{ob.area}», che non è tra le aree della scheda"))
        for field, allowed in (("valenza_territoriale", r.valenze_territoriali), ("gestione", r.modalita_gestione)):
            for i, v in enumerate(getattr(sc, field)):
                if v not in allowed:
                    out.append(errore(doc.loc(field, i), "valore-sconosciuto",
                                      f"{field}: valore «{v}» non ammesso (ammessi: {', '.join(allowed)})"))
    return out


def check_fonti_schede(plan: Plan) -> list[Problem]:
    r = plan.regole
    if not r:
        return []
    known = set(r.fonti) | set(r.gruppi_fonti)
    if plan.finanza is None and "finanza" in plan.docs:
        # finanza.yaml was read but is not valid (reported there): its own sources are declared, not unknown
        declared = plan.docs["finanza"].data
        declared = declared.get("fonti") if isinstance(declared, dict) else None
        known |= {str(code) for code in declared} if isinstance(declared, dict) else set()
    out = []
    for s in plan.schede:
        for year, fonti in s.scheda.programmazione.items():
            for fonte, amount in fonti.items():
                if fonte == RESERVED_YEAR_KEY:
                    continue
                if fonte not in known:
                    out.append(errore(s.doc.key_loc("programmazione", year, fonte), "fonte-sconosciuta",
                                      f"fonte di finanziamento «{fonte}» sconosciuta" + _hint(fonte, sorted(known))))
    return out


def check_anni(plan: Plan) -> list[Problem]:
    """Every year and period written in cards and finanza.yaml falls inside the cycle."""
    r = plan.regole
    if not r:
        return []
    years = r.anni
    out = []

    def bad(loc, what: str, period) -> None:
        out.append(errore(loc, "anno-fuori-ciclo", f"{what}: l'anno «{period}» è fuori dal ciclo {r.ciclo}"))

    for s in plan.schede:
        for year in s.scheda.programmazione:
            if year not in years:
                bad(s.doc.key_loc("programmazione", year), "programmazione", year)
    f = plan.finanza
    if f:
        for fonte, periods in f.budget.items():
            for period in periods or {}:
                ys = years_of(period, years)
                if not ys or any(y not in years for y in ys):
                    bad(plan.key_loc("finanza", "budget", fonte, _orig_key(plan, ("budget", fonte), period)),
                        f"budget {fonte}", period)
        for period in f.fnps_quote:
            ys = years_of(period, years)
            if not ys or any(y not in years for y in ys):
                bad(plan.key_loc("finanza", "fnps_quote", _orig_key(plan, ("fnps_quote",), period)), "fnps_quote", period)
        if f.cofinanziamento:
            for year in f.cofinanziamento.annualita:
                if year not in years:
                    bad(plan.key_loc("finanza", "cofinanziamento", "annualita", year), "cofinanziamento", year)
            for part in ("per_area", "per_comune"):
                for name, by_year in getattr(f.cofinanziamento, part).items():
                    for year in by_year:
                        if year not in years:
                            bad(plan.key_loc("finanza", "cofinanziamento", part, name, year),
                                f"cofinanziamento {part} «{name}»", year)
    return out


def check_periodi_sovrapposti(plan: Plan) -> list[Problem]:
    """A year is in at most one period of a fund (budget) or of a map by period (fnps_quote, fna_destinazione).

    «2022-2023» and «2023-2024» together leave it unclear which amount is 2023's. «ciclo» is the
    sum not split by year, so it overlaps nothing.
    """
    r, f = plan.regole, plan.finanza
    if not r or not f:
        return []
    places = [(("budget", fonte), list(periods or {})) for fonte, periods in f.budget.items()]
    places += [(("fnps_quote",), list(f.fnps_quote)), (("fna_destinazione",), list(f.fna_destinazione))]
    out = []
    for parent, periods in places:
        owner: dict[int, str] = {}
        for period in periods:
            if period == "ciclo":
                continue
            ys = years_of(period, r.anni)
            taken = next((y for y in ys if y in owner), None)
            if taken is not None:
                out.append(errore(plan.key_loc("finanza", *parent, _orig_key(plan, parent, period)),
                                  "periodo-sovrapposto",
                                  f"{' '.join(parent)}: il periodo «{period}» si sovrappone a «{owner[taken]}» "
                                  f"(l'anno {taken} è in entrambi): ogni anno va in un solo periodo"))
            for y in ys:
                owner.setdefault(y, period)
    return out


def _orig_key(plan: Plan, parent: tuple, period: str):
    """The key as written in YAML (2022 is an int there, a str in the model)."""
    doc = plan.docs.get("finanza")
    if doc and period.isdigit() and parent + (int(period),) in doc.key_locs:
        return int(period)
    return period


def check_fonti_budget(plan: Plan) -> list[Problem]:
    r, f = plan.regole, plan.finanza
    if not r or not f:
        return []
    out = []
    for fonte in f.budget:
        if fonte == "COM":
            out.append(errore(plan.key_loc("finanza", "budget", fonte), "fonte-non-ammessa",
                              "il cofinanziamento comunale non va nel budget: si scrive in «cofinanziamento»"))
        elif fonte not in r.fonti:
            hint = " (è un gruppo: indicare le singole fonti)" if fonte in r.gruppi_fonti else _hint(fonte, r.fonti)
            out.append(errore(plan.key_loc("finanza", "budget", fonte), "fonte-sconosciuta",
                              f"fonte di finanziamento «{fonte}» sconosciuta{hint}"))
    for period, quote in f.fnps_quote.items():
        for key in quote:
            if key not in r.vincoli.quote_fnps:
                out.append(errore(plan.key_loc("finanza", "fnps_quote", _orig_key(plan, ("fnps_quote",), period), key),
                                  "quota-sconosciuta",
                                  f"quota FNPS «{key}» sconosciuta (ammesse: {', '.join(r.vincoli.quote_fnps)})"))
    for period, dest in f.fna_destinazione.items():
        for code in dest:
            if code not in r.nomenclatore:
                out.append(errore(plan.loc("finanza", "fna_destinazione"), "codice-sconosciuto",
                                  f"codice di servizio «{code}» non previsto dal nomenclatore regionale"))
    return out


def check_capitoli(plan: Plan) -> list[Problem]:
    out = []
    seen: dict[str, str] = {}
    numbered: dict[int, str] = {}
    for c in plan.capitoli:
        if c.meta.id in seen:
            out.append(errore(c.loc, "capitolo-duplicato", f"l'id «{c.meta.id}» è già usato da {seen[c.meta.id]}"))
        seen.setdefault(c.meta.id, c.file)
        if c.meta.numero in numbered:
            out.append(errore(c.doc.loc("numero") if c.doc else c.loc, "capitolo-duplicato",
                              f"il numero {c.meta.numero} è già usato da {numbered[c.meta.numero]}: "
                              "due capitoli avrebbero lo stesso titolo «Capitolo …»"))
        elif c.meta.numero is not None:
            numbered[c.meta.numero] = c.file
    return out


def check_quadro_sinottico(plan: Plan) -> list[Problem]:
    """Entries of piano.yaml «quadro_sinottico»: known codes and levels, never in conflict with a card."""
    r, p = plan.regole, plan.piano
    if not r or not p:
        return []
    cards = {s.scheda.codice: s for s in plan.schede}
    out = []
    for code, levels in p.quadro_sinottico.items():
        if code not in r.nomenclatore:
            out.append(errore(plan.key_loc("piano", "quadro_sinottico", code), "codice-sconosciuto",
                              f"codice di servizio «{code}» non previsto dal nomenclatore regionale"
                              + _hint(code, r.nomenclatore)))
            continue
        for level, items in levels.items():
            if level not in r.livelli_priorita:
                out.append(errore(plan.key_loc("piano", "quadro_sinottico", code, level), "valore-sconosciuto",
                                  f"quadro_sinottico {code}: livello «{level}» non ammesso (ammessi: "
                                  f"{', '.join(r.livelli_priorita)})"))
                continue
            card = cards.get(code)
            if card and level in card.scheda.livelli_priorita and card.scheda.livelli_priorita[level] != items:
                out.append(errore(plan.key_loc("piano", "quadro_sinottico", code, level), "quadro-in-conflitto",
                                  f"quadro_sinottico {code}, livello «{level}»: la scheda {card.file} elenca già "
                                  "interventi diversi per lo stesso livello; scriverli in un solo posto"))
    return out


CHECKS = [
    check_ciclo,
    check_provincia,
    check_comuni,
    check_conteggi,
    check_comuni_citati,
    check_codici_schede,
    check_riferimenti_schede,
    check_fonti_schede,
    check_anni,
    check_periodi_sovrapposti,
    check_fonti_budget,
    check_capitoli,
    check_quadro_sinottico,
]
