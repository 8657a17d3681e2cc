"""Two checked and computed plans (`pipeline.Result`) → the «Prospetto delle variazioni» as a document.

Cards added and removed, each card's amounts per year and source, each fund's available,
programmed and remaining totals, the chapters' text, the per-Comune figures, and an index
of the parts of each file that changed: a `Report` of headings, paragraphs, tables whose
cells say what they hold (an amount, a change of an amount, a value absent in one version)
and quotes of the changed text, which the plan's own translators lay out (render/text.py,
html.py, docx.py).
"""

from __future__ import annotations

from decimal import Decimal
from difflib import SequenceMatcher
from itertools import zip_longest
from pathlib import Path

from pdz_docs.diff.git import Versione
from pdz_docs.document import nodes
from pdz_docs.finance.fondi import disponibile_cell, residuo_cells, voce_cell
from pdz_docs.finance.money import fmt_date
from pdz_docs.finance.table import Cell, Table
from pdz_docs.pipeline import Result

MAX_PAIRS = 4        # changed lines shown per chapter
CONTEXT = 60         # characters of unchanged text kept around a change
MAX_EXCERPT = 240
TITLE = "Prospetto delle variazioni"
NONE = "Nessuna variazione."
NONE_AT_ALL = "Nessuna variazione tra le due versioni."
ATTACHMENT = "Allegato alla deliberazione n. ______ del ______________"
CLOSING = "Prospetto prodotto con pdz-docs confrontando i file del piano nelle due versioni indicate."


class _Absent:
    """A value the revision does not have at all (no card, no source that year, no field)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


def _cell(kind: str, v) -> Cell:
    """A value of one version: «—» when that version does not have it, «non indicato» when it has no amount."""
    if v is ABSENT:
        return Cell(None, "absent")
    if kind == "cell":
        return v
    if kind == "voce":
        return voce_cell(v)
    if v is None:
        return Cell("non indicato")
    return Cell(v, kind)


def _difference(kind: str, old, new) -> Cell:
    """new − old, with its sign; a value missing in one version counts as zero."""
    if kind == "text":
        return Cell("")
    if kind in ("voce", "cell"):   # an amount in its state: only two known figures have a difference
        old, new = (x if x is ABSENT else x.importo if kind == "voce" else x.value if x.fmt == "euro" else None
                    for x in (old, new))
        kind = "euro"
    if old is None or new is None:
        return Cell(None, "absent")
    return Cell((0 if new is ABSENT else new) - (0 if old is ABSENT else old), "change_" + kind)


def _changed(kind: str, old, new) -> tuple[Cell, Cell, Cell] | None:
    if old is new or (old is not ABSENT and new is not ABSENT and _cell(kind, old).text == _cell(kind, new).text
                      and (kind in ("voce", "cell") or old == new)):
        return None
    return _cell(kind, old), _cell(kind, new), _difference(kind, old, new)


def _union(first, second) -> list:
    """Keys of `first` (the newer revision) in order, then those only in `second`."""
    return list(first) + [k for k in second if k not in first]


def _text(*texts: str) -> tuple[Cell, ...]:
    return tuple(Cell(t) for t in texts)


def _table(tid: str, columns: tuple[str, ...], rows: list[tuple[Cell, ...]]) -> nodes.ComputedTable:
    """A table without a caption (its section's heading names it)."""
    return nodes.ComputedTable(Table(f"variazioni-{tid}", "", (columns,), tuple(rows)))


def _para(text: str, italic: bool = False) -> nodes.Paragraph:
    return nodes.Paragraph((nodes.Emphasis((nodes.Text(text),)),) if italic else (nodes.Text(text),))


def _section(number: int, title: str, blocks: list, note: str = "") -> list:
    """A numbered section: its heading, then its note and blocks, or «Nessuna variazione.»"""
    heading = nodes.Heading(2, f"{number}.", title, f"variazioni-{number}", (nodes.Text(title),))
    if not blocks:
        return [heading, _para(NONE)]
    return [heading, *([_para(note, italic=True)] if note else []), *blocks]


def compare(prima: Versione, a: Result, dopo: Versione, b: Result) -> tuple[nodes.Report, bool]:
    """The report, and whether it found no change at all."""
    piano = b.plan.piano
    codes = b.plan.regole.in_nomenclature_order(_union(b.computed.schede, a.computed.schede))
    sections = [
        ("Schede aggiunte e rimosse", _schede(a, b, codes), ""),
        ("Programmazione economica delle schede", _programmazione(a, b, codes),
         "Importi per scheda, annualità e fonte; «—» indica una voce assente nella versione."),
        ("Fonti di finanziamento", _fonti(a, b), "Totali del ciclo; i gruppi (PdZ, QFP) comprendono le loro fonti."),
        ("Testo dei capitoli", _capitoli(a, b), "Per ogni capitolo modificato, alcune righe cambiate, con le cifre "
                                                "inserite: il testo precedente e quello nuovo."),
        ("Dati dei Comuni", _comuni(a, b),
         "Dati di piano.yaml e finanza.yaml per Comune; il cofinanziamento minimo è calcolato."),
        ("Parti modificate dei file del piano", _file(a, b, codes),
         "Elenco di controllo: le chiavi cambiate in ogni file, commenti e impaginazione esclusi."),
    ]
    blocks = [_table("versioni", ("Versione", "Revisione"),
                     [_text("Precedente", prima.descrizione), _text("Aggiornata", dopo.descrizione)])]
    for i, (title, content, note) in enumerate(sections, 1):
        blocks += _section(i, title, content, note)
    empty = not any(content for _, content, _ in sections)
    if empty:
        blocks.append(_para(NONE_AT_ALL))
    piano_name = f"{piano.titolo} {piano.ciclo}"
    report = nodes.Report(TITLE, piano_name, piano.ambito, piano.provincia, tuple(blocks), attachment=ATTACHMENT,
                      closing=CLOSING, description=f"Variazioni tra {prima.descrizione} e {dopo.descrizione}")
    return report, empty


def _titles(r: Result) -> dict[str, str]:
    return {s.scheda.codice: s.scheda.titolo for s in r.plan.schede}


def _schede(a: Result, b: Result, codes: list[str]) -> list:
    rows = []
    for code in codes:
        if code in a.computed.schede and code in b.computed.schede:
            continue
        r, state = (b, "aggiunta") if code in b.computed.schede else (a, "rimossa")
        rows.append((*_text(code, _titles(r)[code], state), _cell("euro", r.computed.schede[code].totale)))
    return [_table("schede", ("Scheda", "Titolo", "Variazione", "Totale programmato"), rows)] if rows else []


def _amounts(r: Result) -> dict[str, dict[int, dict[str, Decimal | None]]]:
    return {code: {y.anno: {f.fonte: f.voce for f in y.fonti} for y in p.anni}
            for code, p in r.computed.schede.items()}


def _programmazione(a: Result, b: Result, codes: list[str]) -> list:
    """Per card, year and source, the amounts that changed; then the card's total."""
    old_all, new_all = _amounts(a), _amounts(b)
    rows = []
    for code in codes:
        old, new = old_all.get(code, {}), new_all.get(code, {})
        for year in sorted(set(old) | set(new)):
            o, n = old.get(year, {}), new.get(year, {})
            for fonte in _union(n, o):
                ch = _changed("voce", o.get(fonte, ABSENT), n.get(fonte, ABSENT))
                if ch:
                    rows.append((*_text(code, str(year), fonte), *ch))
        tot = [disponibile_cell(r.computed.schede[code].somma) if code in r.computed.schede else ABSENT for r in (a, b)]
        ch = _changed("cell", *tot)
        if ch:
            rows.append((*_text(code, "Totale", ""), *ch))
    return [_table("programmazione", ("Scheda", "Annualità", "Fonte", "Prima", "Dopo", "Differenza"), rows)] if rows else []


def _fonti(a: Result, b: Result) -> list:
    rows = []
    fa, fb = a.computed.fondi, b.computed.fondi
    for fid in _union(fb, fa):
        o, n = fa.get(fid), fb.get(fid)
        before, after = (residuo_cells(f) if f else (ABSENT,) * 3 for f in (o, n))
        for voce, x, y in zip(("Disponibile", "Programmato", "Da programmare"), before, after):
            ch = _changed("cell", x, y)
            if ch:
                rows.append((*_text(fid, voce), *ch))
    return [_table("fonti", ("Fonte", "Voce", "Prima", "Dopo", "Differenza"), rows)] if rows else []


def _capitoli(a: Result, b: Result) -> list:
    """Chapters compared as the document reads them: figures filled in, cited tables and cards left out.
    Each changed chapter: its title, its state, and each changed line quoted as it was and as it is."""
    old = {c.meta.id: (c, text) for c, text in a.chapters}
    new = {c.meta.id: (c, text) for c, text in b.chapters}
    out = []
    for cid in _union(new, old):
        (o, o_text), (n, n_text) = old.get(cid, (None, "")), new.get(cid, (None, ""))
        cap = n or o
        title = f"{cap.meta.titolo} (capitoli/{Path(cap.file).name})"
        heading = nodes.Heading(3, "", title, "", (nodes.Text(title),))
        if o is None or n is None:
            out += [heading, _para(f"Capitolo {'aggiunto' if o is None else 'rimosso'}.")]
            continue
        pairs = []
        if o.meta.titolo != n.meta.titolo:
            pairs.append((f"Titolo: {o.meta.titolo}", f"Titolo: {n.meta.titolo}"))
        pairs.extend(_excerpts(o_text, n_text))
        if pairs:
            out += [heading, _para("Capitolo modificato."), *(_quoted(old, new) for old, new in pairs[:MAX_PAIRS])]
            if len(pairs) > MAX_PAIRS:
                more = len(pairs) - MAX_PAIRS
                out.append(_para("… e " + ("un'altra riga modificata" if more == 1 else f"altre {more} righe "
                                           "modificate") + ".", italic=True))
    return out


def _quoted(old: str, new: str) -> nodes.Quote:
    """A changed line: the previous text and the new one, each under its label (one may be missing)."""
    return nodes.Quote(tuple(nodes.Paragraph((nodes.Strong((nodes.Text(label),)), nodes.Text(" " + text)))
                             for label, text in (("Testo precedente:", old), ("Testo nuovo:", new)) if text))


def _excerpts(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.splitlines(), new.splitlines()
    pairs = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        olds = [x.strip() for x in a[i1:i2] if x.strip()]
        news = [x.strip() for x in b[j1:j2] if x.strip()]
        pairs.extend(_window(o, n) for o, n in zip_longest(olds, news, fillvalue=""))
    return pairs


def _window(old: str, new: str) -> tuple[str, str]:
    """The changed part of two versions of a line, with a little unchanged text around it."""
    if not old or not new:
        return _cut(old, 0, len(old)), _cut(new, 0, len(new))
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    s = 0
    while s < min(len(old), len(new)) - p and old[-1 - s] == new[-1 - s]:
        s += 1
    start = max(0, p - CONTEXT)
    return _cut(old, start, len(old) - s + CONTEXT), _cut(new, start, len(new) - s + CONTEXT)


def _cut(text: str, start: int, end: int) -> str:
    if start > 0:
        start = text.rfind(" ", 0, start) + 1
    end = min(end, start + MAX_EXCERPT)
    if end < len(text):
        k = text.find(" ", end)
        end = len(text) if k == -1 or k - end > 20 else k
    return ("… " if start > 0 else "") + text[start:end].strip() + (" …" if end < len(text) else "")


def _comune_data(r: Result) -> dict[str, dict[str, tuple[str, object]]]:
    """Every per-Comune figure, by Comune and label: (kind, value); a missing optional value is ABSENT."""
    p, f = r.plan.piano, r.plan.finanza
    opt = lambda v: ABSENT if v is None else v  # noqa: E731
    out: dict[str, dict[str, tuple[str, object]]] = {}
    for c in p.comuni:
        d = out.setdefault(c.nome, {})
        d["Popolazione"] = ("int", c.popolazione)
        for band, n in c.fasce_eta.items():
            d[f"Fascia d'età {band}"] = ("int", n)
        for label, v in (("Famiglie", c.famiglie), ("Emigrazioni", c.emigrazioni), ("Immigrazioni", c.immigrazioni)):
            d[label] = ("int", opt(v))
        d["Superficie (km²)"] = ("dec", opt(c.superficie_km2))
        d["Delibera"] = ("text", f"n. {c.delibera.numero} del {fmt_date(c.delibera.data)}" if c.delibera else ABSENT)
    if f.spesa_storica:
        for name, v in f.spesa_storica.comuni.items():
            out.setdefault(name, {})[f"Spesa sociale storica {f.spesa_storica.periodo}"] = ("euro", v)
    if f.cofinanziamento:
        for name, years in f.cofinanziamento.per_comune.items():
            for y, v in sorted(years.items()):
                out.setdefault(name, {})[f"Cofinanziamento {y}"] = ("voce", v)
    for name, years in f.cofinanziamento_precedente.items():
        for y, v in sorted(years.items()):
            out.setdefault(name, {})[f"Cofinanziamento precedente {y}"] = ("euro", v)
    for name, v in r.computed.minimo.get("cofinanziamento_minimo_comuni", {}).items():
        out.setdefault(name, {})["Cofinanziamento minimo"] = ("euro", v)
    return out


def _comuni(a: Result, b: Result) -> list:
    old, new = _comune_data(a), _comune_data(b)
    rows = []
    for name in _union(new, old):
        o, n = old.get(name, {}), new.get(name, {})
        for label in _union(n, o):
            kind = (n.get(label) or o.get(label))[0]
            ch = _changed(kind, o.get(label, (kind, ABSENT))[1], n.get(label, (kind, ABSENT))[1])
            if ch:
                rows.append((*_text(name, label), *ch))
    return [_table("comuni", ("Comune", "Dato", "Prima", "Dopo", "Differenza"), rows)] if rows else []


def _fields(old, new) -> list[str]:
    """Top-level fields of two model objects whose values differ."""
    o, n = old.model_dump(), new.model_dump()
    return [k for k in _union(n, o) if o.get(k) != n.get(k)]


def _file(a: Result, b: Result, codes: list[str]) -> list:
    rows = []
    pa, pb = a.plan, b.plan
    for name, o, n in (("piano.yaml", pa.piano, pb.piano), ("finanza.yaml", pa.finanza, pb.finanza)):
        if fields := _fields(o, n):
            rows.append((name, ", ".join(fields)))
    old = {s.scheda.codice: s for s in pa.schede}
    new = {s.scheda.codice: s for s in pb.schede}
    for code in codes:
        o, n = old.get(code), new.get(code)
        label = f"schede/{Path((n or o).file).name}"
        if o is None or n is None:
            rows.append((label, "scheda aggiunta" if o is None else "scheda rimossa"))
        elif fields := _fields(o.scheda, n.scheda):
            rows.append((label, ", ".join(fields)))
    old_c = {c.meta.id: c for c in pa.capitoli}
    new_c = {c.meta.id: c for c in pb.capitoli}
    for cid in _union(new_c, old_c):
        o, n = old_c.get(cid), new_c.get(cid)
        label = f"capitoli/{Path((n or o).file).name}"
        if o is None or n is None:
            rows.append((label, "capitolo aggiunto" if o is None else "capitolo rimosso"))
            continue
        parts = (["intestazione"] if o.meta != n.meta else []) + (["testo"] if o.body != n.body else [])
        if parts:
            rows.append((label, ", ".join(parts)))
    if pa.regole != pb.regole:
        rows.append((f"regole {pb.piano.regole}", ", ".join(_fields(pa.regole, pb.regole)) or "file di regole"))
    return [_table("file", ("File", "Parti modificate"), [_text(*r) for r in rows])] if rows else []
