"""The Ambito's people: territory, age bands, families, migration, changes, the previous plan's
services, the participatory process and the councils' deliberations.

With one Comune, a per-Comune table keeps the Comune's row and drops the totals that only repeat it.
"""

from __future__ import annotations

from dataclasses import replace

from pdz_docs.finance.money import percent, ratio
from pdz_docs.finance.table import Cell, Table, cells
from pdz_docs.model import Plan


def demografia(plan: Plan, add, cifre: dict) -> None:
    r, p = plan.regole, plan.piano
    comuni = p.comuni
    col_comuni = "Comune" if len(comuni) == 1 else "Comuni"
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
                  tuple(rows), (cells(f"Ambito ({len(comuni)} {col_comuni})", Cell(sup, "dec"), Cell(pop_tot, "int"),
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
                              Cell(percent(now[k] - old, old), "signed_pct")))
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
        councils = "del Consiglio Comunale" if len(comuni) == 1 else "dei Consigli Comunali"
        add(Table("delibere", f"Deliberazioni {councils}",
                  (("Comune", "Delibera n.", "Data"),),
                  tuple(cells(f"Comune di {c.nome}", c.delibera.numero if c.delibera else "",
                              Cell(c.delibera.data if c.delibera else None, "date")) for c in comuni),
                  (), None, (4, 2, 3)))



# Figures and tables computed only when piano.yaml has their data: what a chapter citing them without
# the data is told piano.yaml needs (figures.py)
NEEDS = {"territorio": "in piano.yaml la superficie dell'Ambito (superficie_km2) o quella di ogni Comune",
         "famiglie": "in piano.yaml il numero di famiglie di ogni Comune (famiglie)",
         "migrazioni": "in piano.yaml le emigrazioni e le immigrazioni di ogni Comune (emigrazioni, immigrazioni)",
         "confronto": "in piano.yaml l'anno di confronto con i suoi dati (confronto)",
         # finance/cofinanziamento.py: the minimum is a share of the known transfers of its year
         "cofinanziamento_minimo": "in finanza.yaml l'importo dei trasferimenti su cui si calcola il "
                                   "cofinanziamento minimo (nel ciclo 2022-2024: FNPS, FNA e FGSA del 2022)"}


# Tables with a row per Comune and the Ambito's totals: with one Comune the totals repeat its row
PER_COMUNE = frozenset({"territorio", "fasce_eta", "famiglie", "migrazioni", "spesa_storica",
                        "cofinanziamento_minimo", "cofinanziamento_precedente"})


def without_repeated_totals(t: Table) -> Table:
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
