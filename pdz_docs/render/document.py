"""The document model of the rendered plan, built once from a checked Result.

Chapters become a list of blocks (HTML from Markdown, computed tables, the cards);
both renderers lay out the same blocks without doing arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from pathlib import Path

import markdown
from markupsafe import Markup, escape

from pdz_docs.figures import TABLE_RE
from pdz_docs.finance.compute import ProgrammazioneScheda, fmt_fonti
from pdz_docs.finance.table import Table
from pdz_docs.load.habits import normalise
from pdz_docs.load.media import Picture, load_picture
from pdz_docs.load.refs import link_kind, markdown_reader, resolve_image
from pdz_docs.model import Scheda
from pdz_docs.pipeline import Result
from pdz_docs.provenance import Provenance

_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))  # enough for 1–39 (chapters: 1–20)


def roman(n: int) -> str:
    """12 → «XII»: chapter numbers are printed in roman numerals (README, chapter front matter)."""
    out = ""
    for value, letters in _ROMAN:
        count, n = divmod(n, value)
        out += letters * count
    return out


@dataclass(frozen=True)
class Check:
    """A checkbox row item of the regional card: ☒ when chosen."""

    label: str
    on: bool

    @property
    def box(self) -> str:
        return "☒" if self.on else "☐"


@dataclass(frozen=True)
class CardView:
    codice: str
    titolo: str
    anchor: str
    priorita: tuple[Check, ...]
    aree: tuple[Check, ...]
    obiettivi: tuple[tuple[str, str, str], ...]        # (area title, letter, objective title)
    risultati: tuple[str, ...]
    servizi: tuple[tuple[str, str], ...]              # (name, legal reference)
    valenza: tuple[Check, ...]
    valenza_altro: str
    gestione: tuple[Check, ...]
    gestione_altro: str
    macro: tuple[str, str]                            # (letter, title)
    intervento: tuple[str, str]                       # (code, title)
    programmazione: tuple[tuple[str, str, str], ...]  # (year, amount, sources)
    totale: str
    dettagli: tuple  # per service: Servizio model objects


@dataclass(frozen=True)
class Block:
    kind: str                 # html | table | cards
    html: Markup = Markup("")
    table: Table | None = None


@dataclass(frozen=True)
class Section:
    anchor: str
    number: str
    title: str


@dataclass(frozen=True)
class ChapterView:
    id: str
    label: str               # "Capitolo I" or ""
    title: str
    anchor: str
    blocks: tuple[Block, ...]
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Document:
    title: str
    ambito: str
    provincia: str
    ciclo: str
    comuni: tuple[str, ...]
    chapters: tuple[ChapterView, ...]
    annexes: tuple[Table, ...]
    cards: tuple[CardView, ...]
    provenance: Provenance
    keywords: str
    date: date | None = None
    tables_in_text: frozenset = field(default_factory=frozenset)
    # a draft carries the BOZZA mark and ends with what is still missing (checks/completeness.py)
    bozza: bool = False
    da_completare: tuple = ()


_md = markdown_reader  # raw HTML is shown as text (load/refs.py)
_HEADING = re.compile(r"^(#{2,3})[ \t]+(.*)$", re.M)


def _sanitize(html: str, root: Path | None) -> str:
    """Keep links to http(s)/mailto/anchors and images inside the plan (load/refs.py); drop the rest.

    The HTML comes from Markdown with raw HTML turned off, so every tag and attribute in
    it is Markdown's own and attribute values are escaped. An image becomes its normalised
    picture (load/media.py), inline as a data: address, at its printed size: the HTML,
    the PDF laid out from it and the DOCX (which reads the same address) embed the same bytes.
    """
    def link(m: re.Match) -> str:
        href = re.search(r'\shref="([^"]*)"', m.group(0))
        if href is None or link_kind(unescape(href.group(1))) == "ok":
            return m.group(0)
        return m.group(0).replace(href.group(0), "", 1)

    def image(m: re.Match) -> str:
        src, alt = re.search(r'\bsrc="([^"]*)"', m.group(0)), re.search(r'\balt="([^"]*)"', m.group(0))
        if root is None or src is None:
            return ""
        found = resolve_image(unescape(src.group(1)), root / "capitoli", root)
        picture = load_picture(found.path) if found.path is not None else None
        if not isinstance(picture, Picture):
            return ""
        # every figure says something to a screen reader (PDF/UA-1 §7.3); a missing description is warned
        text = unescape(alt.group(1)).strip() if alt else ""
        return (f'<img src="{picture.uri}" width="{picture.width}" height="{picture.height}" '
                f'alt="{escape(text or "Immagine " + found.path.stem)}">')

    html = re.sub(r"<a\b[^>]*>", link, html)
    return re.sub(r"<img\b[^>]*>", image, html)


def _heading_title(raw: str) -> str:
    """A heading's text without the optional closing «#»s (which follow a space, as in Markdown)."""
    title = raw.strip()
    bare = title.rstrip("#")
    if bare != title and (not bare or bare[-1] in " \t"):
        title = bare.rstrip()
    return title


def chapter_view(cap, text: str, counters: dict) -> ChapterView:
    md = _md()
    root = counters.get("root")
    n = cap.meta.numero
    sections: list[Section] = []
    sec = 0

    def number_heading(m: re.Match) -> str:
        nonlocal sec
        level, title = len(m.group(1)), _heading_title(m.group(2))
        if level == 2 and title:
            sec += 1
            num = f"{n}.{sec}" if n else f"{sec}"
            anchor = f"{cap.meta.id}-{sec}"
            sections.append(Section(anchor, num, title))
            return f"{'#' * level} {num} {title} {{#{anchor}}}"
        return m.group(0)

    # "## Title" → "## 1.2 Title"; the heading id is set after conversion
    text = _HEADING.sub(number_heading, normalise(text))
    blocks: list[Block] = []
    pos = 0
    for m in TABLE_RE.finditer(text):
        blocks.extend(_html_blocks(md, text[pos:m.start()], root))
        kind, tid = m.group(1), m.group(2)
        blocks.append(Block("cards") if kind == "SCHEDE" else Block("table", table=counters["tables"][tid]))
        pos = m.end()
    blocks.extend(_html_blocks(md, text[pos:], root))
    label = f"Capitolo {roman(n)}" if n else ""
    return ChapterView(cap.meta.id, label, cap.meta.titolo, cap.meta.id, tuple(blocks), tuple(sections))


def _html_blocks(md: markdown.Markdown, text: str, root: Path | None = None) -> list[Block]:
    if not text.strip():
        return []
    md.reset()
    try:
        html = md.convert(text)
    except RecursionError:  # pragma: no cover - nesting is bounded by the content checks
        html = f"<pre>{escape(text)}</pre>"
    html = re.sub(r"<h2>(\S+) (.*?) \{#([\w-]+)\}</h2>", r'<h2 id="\3"><span class="num">\1</span> \2</h2>', html)
    # header cells of Markdown tables head their column (the computed tables' templates say it themselves)
    html = re.sub(r"<th(?=[ >])(?![^>]*\bscope=)", '<th scope="col"', html)
    # WeasyPrint ignores <ol start>: the list's counter starts where the writer's first number says
    html = re.sub(r'<ol start="(\d+)">', lambda m: f'<ol start="{m[1]}" style="counter-reset: list-item '
                  f'{int(m[1]) - 1}">', html)
    return [Block("html", Markup(_sanitize(html, root)))]


def card_view(sc: Scheda, prog: ProgrammazioneScheda, r) -> CardView:
    def checks(options: dict, chosen) -> tuple[Check, ...]:
        return tuple(Check(label, key in chosen) for key, label in options.items())

    obiettivi = tuple((r.aree[o.area].titolo, o.lettera, r.aree[o.area].obiettivi[o.lettera]) for o in sc.obiettivi)
    servizi = tuple((s.denominazione, _riferimento(s)) for s in sc.servizi)
    letter = sc.codice.split(".")[0]
    programmazione = tuple((str(a.anno), a.testo, fmt_fonti(a)) for a in prog.anni)
    return CardView(
        sc.codice, sc.titolo, "scheda-" + sc.codice.replace(".", "-"),
        checks(r.livelli_priorita, sc.livelli_priorita), checks({k: v.titolo for k, v in r.aree.items()}, sc.aree),
        obiettivi, tuple(sc.risultati_attesi), servizi,
        checks(r.valenze_territoriali, sc.valenza_territoriale), sc.valenza_altro or "",
        checks(r.modalita_gestione, sc.gestione), sc.gestione_altro or "",
        (letter, r.macro_attivita.get(letter, "")), (sc.codice, r.nomenclatore.get(sc.codice, "")),
        programmazione, prog.testo, tuple(sc.servizi))


def _riferimento(s) -> str:
    parts = []
    if s.articoli_rr:
        arts = ", ".join(str(a) for a in s.articoli_rr)
        parts.append(f"art{'t' if len(s.articoli_rr) > 1 else ''}. {arts} R.R. 4/2007")
    if s.altro_riferimento:
        parts.append(s.altro_riferimento)
    return "; ".join(parts)


def build_document(result: Result, provenance: Provenance) -> Document:
    plan, comp = result.plan, result.computed
    p, r = plan.piano, plan.regole
    counters = {"tables": comp.tables, "root": plan.root}
    chapters = tuple(chapter_view(cap, text, counters) for cap, text in result.chapters)
    order = {c: i for i, c in enumerate(r.nomenclatore)}
    cards = tuple(card_view(s.scheda, comp.schede[s.scheda.codice], r)
                  for s in sorted(plan.schede, key=lambda s: order.get(s.scheda.codice, 999)))
    in_text = frozenset(b.table.id for ch in chapters for b in ch.blocks if b.kind == "table")
    annexes = tuple(comp.tables[t] for t in ("scheda_a", "scheda_c") if t in comp.tables)
    return Document(
        title=p.titolo, ambito=p.ambito, provincia=p.provincia, ciclo=p.ciclo,
        comuni=tuple(c.nome for c in p.comuni), chapters=chapters, annexes=annexes, cards=cards,
        provenance=provenance, keywords=f"Piano Sociale di Zona, {p.ambito}, {p.ciclo}, Regione Puglia",
        tables_in_text=in_text, bozza=not result.definitivo,
        da_completare=() if result.definitivo else result.da_completare)
