"""Build the document tree from a checked, computed plan: chapters parsed once, headings numbered once.

Chapters are read as CommonMark with GFM tables, strikethrough and footnotes by
markdown-it-py, whose tokens carry their source lines: every node points at the writer's
line. The citations `{{ … }}` are read by the parser itself (an inline rule), so a figure
is a `FigureRef` and `{{ tabella("id") }}` / `{{ schede() }}` a `ComputedTable` / `Cards`
node; `figures.cite` evaluates them (the checks have already accepted them). Raw HTML is
text; links and images keep the rules of load/refs.py and load/media.py. A token this
builder does not know is a located problem (costrutto-non-supportato), never a silent loss.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from pdz_docs import figures
from pdz_docs.checks.indice import heading_level, index_lines
from pdz_docs.document import nodes as n
from pdz_docs.document.measure import table_size, too_wide_for_portrait
from pdz_docs.finance.compute import ANNEX_TABLES, ProgrammazioneScheda, fmt_fonti
from pdz_docs.finance.table import Table
from pdz_docs.load.habits import intent
from pdz_docs.load.media import Picture, load_picture
from pdz_docs.load.plan import Capitolo
from pdz_docs.load.refs import link_kind, resolve_image
from pdz_docs.model import FrontMatter, Regole, Scheda
from pdz_docs.problems import Loc, Problem, avviso
from pdz_docs.provenance import Provenance

if TYPE_CHECKING:   # the orchestrator's result: the builder runs after it, never imports it
    from pdz_docs.pipeline import Result

_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))  # enough for 1–39 (chapters: 1–20)
ANNEX_TITLE = "Allegati finanziari – Schede A e C"
ANNEX_ANCHOR = "allegati-finanziari"


def roman(number: int) -> str:
    """12 → «XII»: chapter numbers are printed in roman numerals (README, chapter front matter)."""
    out = ""
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        out += letters * count
    return out


def _citation(state: StateInline, silent: bool) -> bool:
    """`{{ … }}` is one token, kept whole for figures.cite (its text is never read as Markdown)."""
    if not state.src.startswith("{{", state.pos):
        return False
    end = state.src.find("}}", state.pos + 2)
    if end < 0:
        return False
    if not silent:
        token = state.push("cifra", "", 0)
        token.content = state.src[state.pos:end + 2]
    state.pos = end + 2
    return True


def _note_lines(state: StateCore) -> None:
    """The 0-based line of every note's text, kept in `env` before the footnote plugin drops the notes never
    cited (with their lines), so that the builder can say where such a note is."""
    for t in state.tokens:
        if t.type == "footnote_reference_open" and t.map:
            state.env.setdefault("note_lines", []).append((t.meta["label"], t.map[0]))


def markdown_parser() -> MarkdownIt:
    """CommonMark + GFM tables + ~~barrato~~ + footnotes; raw HTML is text; citations are tokens."""
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).use(footnote_plugin)
    md.validateLink = lambda url: True   # every address is judged by load/refs.py's rules, in _runs and _image
    md.inline.ruler.before("text", "cifra", _citation)
    md.core.ruler.before("footnote_tail", "note_lines", _note_lines)
    return md


@dataclass
class Numbering:
    """The tables of the document numbered in the order they are printed, once for every format.

    A table with a title (a computed table, a Markdown table with a caption) takes the next number;
    `placed` keeps, for each computed table, the number and anchor of its first placement: the table
    `{{ tabella_n("id") }}` names. Anchors are unique in the document, even for a table placed twice.
    """

    count: int = 0
    placed: dict[str, tuple[int, str]] = field(default_factory=dict)
    anchors: set[str] = field(default_factory=set)

    def next(self) -> int:
        self.count += 1
        return self.count

    def computed(self, table, anchor: str, loc: Loc) -> n.ComputedTable:
        """A computed table placed at `loc`, numbered if it has a title, with an anchor not used before."""
        unique, k = anchor, 1
        while unique in self.anchors:
            k += 1
            unique = f"{anchor}-{k}"
        self.anchors.add(unique)
        node = n.ComputedTable(table, self.next() if table.title else 0, unique, loc=loc)
        self.placed.setdefault(table.id, (node.number, node.anchor))
        return node


@dataclass
class _Chapter:
    """What the builder knows while it reads one chapter."""

    cap: Capitolo
    cifre: dict
    tables: dict
    cards: tuple[n.Card, ...]
    root: Path | None
    numbering: Numbering
    problems: list[Problem] = field(default_factory=list)
    section: int = 0
    subsection: int = 0     # «###» headings met in the current section
    level: int = 1          # the chapter's title is level 1
    notes: dict[int, int] = field(default_factory=dict)   # footnote id → number in the chapter

    def loc(self, line: int) -> Loc:
        """Loc of 0-based body line `line`."""
        return Loc(self.cap.file, self.cap.body_line + line, 1)


def build_chapter(cap: Capitolo, cifre: dict, tables: dict, cards: tuple[n.Card, ...] = (),
                  root: Path | None = None, numbering: Numbering | None = None) -> tuple[n.Chapter, list[Problem]]:
    """One chapter as nodes, and the problems of constructs the document cannot print.

    Its tables take their numbers from `numbering` (shared by the chapters of a document, in their order);
    the citations of table numbers are filled in by `resolved`, once every table is numbered."""
    ctx = _Chapter(cap, cifre, tables, cards, root, numbering or Numbering())
    env: dict = {}
    tokens = markdown_parser().parse(intent(cap.body), env)
    blocks, _ = _blocks(ctx, tokens, 0, None)
    cited = env.get("footnotes", {}).get("refs", {})
    for label, line in env.get("note_lines", []):
        if cited.get(":" + label, -1) < 0:   # the footnote plugin leaves such a note out of the document
            ctx.problems.append(avviso(ctx.loc(line), "nota-non-citata",
                                       f"il testo della nota «[^{label}]» non è richiamato nel testo e non si "
                                       f"stampa: aggiungere «[^{label}]» dove va la nota, o togliere la riga"))
    number = cap.meta.numero
    label = f"Capitolo {roman(number)}" if number else ""
    return (n.Chapter(cap.meta.id, number or 0, label, cap.meta.titolo, cap.meta.id, tuple(blocks), loc=cap.loc),
            ctx.problems)


def chapter_from_markdown(text: str, file: str = "capitolo.md", numero: int | None = 1, chapter_id: str = "cap",
                          cifre: dict | None = None, tables: dict | None = None,
                          root: Path | None = None) -> tuple[n.Chapter, list[Problem]]:
    """A chapter from its Markdown alone, as if it were the body of `file` after a one-line front matter."""
    meta = FrontMatter(id=chapter_id, titolo="Capitolo", numero=numero, ordine=1)
    numbering = Numbering()
    chapter, problems = build_chapter(Capitolo(meta, text, file, 1), cifre or {}, tables or {}, (), root, numbering)
    return resolved(chapter, numbering.placed), problems


def _blocks(ctx: _Chapter, tokens: list[Token], i: int, close: str | None) -> tuple[list, int]:
    """Blocks from tokens[i] up to the token of type `close` (excluded); returns them and its index."""
    out: list = []
    while i < len(tokens):
        t = tokens[i]
        if t.type == close:
            return out, i
        line = t.map[0] if t.map else 0
        loc = ctx.loc(line)
        if t.type == "paragraph_open":
            out.extend(_paragraph(ctx, tokens[i + 1], line))
            while tokens[i].type != "paragraph_close":   # a note's last paragraph also holds its footnote_anchor
                i += 1
            i += 1
            continue
        if t.type == "heading_open":
            out.append(_heading(ctx, int(t.tag[1]), tokens[i + 1], loc))
            i += 3
            continue
        if t.type in ("bullet_list_open", "ordered_list_open"):
            first = i
            items, i = _items(ctx, tokens, i + 1, t.type.replace("_open", "_close"))
            start = int(t.attrs.get("start", 1)) if t.type == "ordered_list_open" else 1
            # markdown-it hides the paragraphs of a tight list's items
            tight = all(p.hidden for p in tokens[first:i] if p.type == "paragraph_open" and p.level == t.level + 2)
            out.append(n.List(t.type == "ordered_list_open", start, tuple(items), tight, loc=loc))
        elif t.type == "blockquote_open":
            inner, i = _blocks(ctx, tokens, i + 1, "blockquote_close")
            out.append(n.Quote(tuple(inner), loc=loc))
        elif t.type in ("fence", "code_block"):
            out.append(n.CodeBlock(_substituted(ctx, t.content), t.info.strip(), loc=loc))
        elif t.type == "hr":
            out.append(n.Rule(loc=loc))
        elif t.type == "table_open":
            table, i = _table(ctx, tokens, i + 1, loc)
            after = tokens[i + 1:i + 3]
            if not table.caption and [x.type for x in after] == ["paragraph_open", "inline"] \
                    and _CAPTION.match(after[1].content):   # the caption, a paragraph of its own right after
                caption = _inline_only(ctx, _runs(ctx, after[1], after[0].map[0] if after[0].map else line), loc)
                table = replace(table, caption=_uncaptioned(caption))
                i += 3
            if table.caption:
                table = replace(table, number=ctx.numbering.next())
            if out and isinstance(out[-1], n.Paragraph) and _CAPTION.match(n.plain(out[-1].runs)):
                # «Tabella: …» written above the table (pandoc reads it so): printed as a paragraph, said
                ctx.problems.append(avviso(out[-1].loc, "didascalia-sopra", "«" + n.plain(out[-1].runs)[:60] +
                                           "» sopra la tabella si stampa come testo: la didascalia si scrive "
                                           "nella riga subito sotto la tabella, e allora la tabella è numerata"))
            out.append(n.Orientation(True, (table,), loc=loc) if _wide_written(table) else table)
        elif t.type == "footnote_anchor":
            pass   # after a note ending in a list or a quote; the way back to the call is the renderer's
        elif t.type == "footnote_block_open":
            notes, i = _footnotes(ctx, tokens, i + 1)
            out.append(n.Footnotes(tuple(notes), loc=notes[0].loc if notes else loc))
        else:
            ctx.problems.append(_unsupported(loc, f"costrutto Markdown «{t.type}»"))
        i += 1
    return out, i


def _unsupported(loc: Loc, what: str) -> Problem:
    return avviso(loc, "costrutto-non-supportato",
                  f"{what}: non si può stampare nel documento ed è omesso; scriverlo in un paragrafo a sé")


def _items(ctx: _Chapter, tokens: list[Token], i: int, close: str) -> tuple[list[n.ListItem], int]:
    items = []
    while tokens[i].type != close:
        start = tokens[i]
        blocks, i = _blocks(ctx, tokens, i + 1, "list_item_close")
        items.append(n.ListItem(tuple(blocks), loc=ctx.loc(start.map[0] if start.map else 0)))
        i += 1
    return items, i


def _heading(ctx: _Chapter, level: int, inline: Token, loc: Loc) -> n.Heading:
    """Headings never skip a level (PDF/UA-1 §7.4.2); «#» in a chapter is a section like «##» (the title is #)."""
    level = heading_level(level, ctx.level)
    ctx.level = level
    runs = _inline_only(ctx, _runs(ctx, inline, loc.line - ctx.cap.body_line), loc)
    title = n.plain(runs).strip()
    number = anchor = ""
    if level == 2 and title:
        ctx.section += 1
        chapter = ctx.cap.meta.numero
        number = f"{chapter}.{ctx.section}" if chapter else f"{ctx.section}"
        anchor = f"{ctx.cap.meta.id}-{ctx.section}"
        ctx.subsection = 0
    elif level == 3 and title and ctx.section:   # the index may list it under its section (checks/indice.py)
        ctx.subsection += 1
        anchor = f"{ctx.cap.meta.id}-{ctx.section}-{ctx.subsection}"
    return n.Heading(level, number, title, anchor, runs, loc=loc)


def _inline_only(ctx: _Chapter, runs: list, loc: Loc) -> tuple:
    """Runs of a heading, a table cell, a link or emphasis, where a table or the cards cannot go: reported, left out."""
    for r in runs:
        if isinstance(r, _Block):
            ctx.problems.append(_unsupported(r.node.loc, "una tabella o le schede citate in un titolo, in una "
                                             "cella di tabella, in un collegamento o in un testo evidenziato"))
    return tuple(r for r in runs if not isinstance(r, _Block))


@dataclass(frozen=True)
class _Block:
    """A citation of a table or of the cards met inside a paragraph: it splits the paragraph."""

    node: object


def _paragraph(ctx: _Chapter, inline: Token, line: int) -> list:
    found = _runs(ctx, inline, line)
    if not any(isinstance(r, _Block) for r in found):
        return [n.Paragraph(tuple(found), loc=ctx.loc(line))]
    out: list = []
    runs: list = []
    for r in found:
        if isinstance(r, _Block):
            if _has_text(runs):
                out.append(n.Paragraph(_trim(runs), loc=runs[0].loc))
            out.append(r.node)
            runs = []
        else:
            runs.append(r)
    if _has_text(runs):
        out.append(n.Paragraph(_trim(runs), loc=runs[0].loc))
    return out


def _has_text(runs: list) -> bool:
    return any(not (isinstance(r, n.Text) and not r.text.strip()) and not isinstance(r, n.LineBreak) for r in runs)


def _trim(runs: list) -> tuple:
    """Runs without the line breaks a split left at either end."""
    while runs and isinstance(runs[0], n.LineBreak):
        runs = runs[1:]
    while runs and isinstance(runs[-1], n.LineBreak):
        runs = runs[:-1]
    return tuple(runs)


def _runs(ctx: _Chapter, inline: Token, line: int) -> list:
    """Inline runs of an inline token; soft breaks are spaces, hard breaks are nodes."""
    out: list = []
    stack: list[tuple[str, list, dict]] = []
    target = out
    for t in inline.children or []:
        loc = ctx.loc(line)
        if t.type == "text":
            target.append(n.Text(t.content, loc=loc))
        elif t.type == "softbreak":
            target.append(n.Text("\n", loc=loc))
            line += 1
        elif t.type == "hardbreak":
            target.append(n.LineBreak(loc=loc))
            line += 1
        elif t.type == "code_inline":
            target.append(n.Code(_substituted(ctx, t.content), loc=loc))
        elif t.type in ("em_open", "strong_open", "s_open", "link_open"):
            stack.append((t.type, target, dict(t.attrs)))
            target = []
        elif t.type in ("em_close", "strong_close", "s_close", "link_close"):
            kind, parent, attrs = stack.pop()
            children, target = _inline_only(ctx, _merge(target), loc), parent   # soft breaks: spaces
            if kind == "em_open":
                target.append(n.Emphasis(children, loc=loc))
            elif kind == "strong_open":
                target.append(n.Strong(children, loc=loc))
            elif kind == "s_open":
                target.append(n.Strike(children, loc=loc))
            elif link_kind(str(attrs.get("href", ""))) == "ok":
                target.append(n.Link(str(attrs["href"]), children, str(attrs.get("title", "")), loc=loc))
            else:
                target.extend(children)  # a path or a refused scheme: the text stays, the link goes
        elif t.type == "image":
            image = _image(ctx, str(t.attrs.get("src", "")), _substituted(ctx, t.content), loc,
                           _substituted(ctx, str(t.attrs.get("title", ""))))
            if image is not None:
                target.append(image)
        elif t.type == "footnote_ref":
            number = ctx.notes.setdefault(t.meta["id"], len(ctx.notes) + 1)
            target.append(n.FootnoteRef(number, f"{ctx.cap.meta.id}-nota-{number}", t.meta.get("subId", 0) + 1, loc=loc))
        elif t.type == "cifra":
            target.append(_cited(ctx, t.content, loc))
        else:
            ctx.problems.append(_unsupported(loc, f"costrutto Markdown «{t.type}»"))
    return _merge(out)


def _merge(runs: list) -> list:
    """Adjacent text runs joined, soft line breaks as spaces (as every format prints them)."""
    out: list = []
    for r in runs:
        if isinstance(r, n.Text):
            text = r.text.replace("\n", " ")
            if not text:
                continue
            if out and isinstance(out[-1], n.Text):
                out[-1] = n.Text(out[-1].text + text, loc=out[-1].loc)
                continue
            r = n.Text(text, loc=r.loc)
        out.append(r)
    return out


def _cited(ctx: _Chapter, source: str, loc: Loc):
    cited = figures.cite(source, ctx.cifre, set(ctx.tables))
    if cited.kind == "cifra":
        return n.FigureRef(cited.name, cited.text, loc=loc)
    if cited.kind == "tabella_n":
        return n.TableRef(cited.name, loc=loc)
    if cited.kind == "schede":
        return _Block(n.Cards(ctx.cards, loc=loc))
    table = ctx.numbering.computed(ctx.tables[cited.name], f"tab-{cited.name}", loc)
    return _Block(n.Orientation(True, (table,), loc=loc) if table.table.landscape or _wide(table.table) else table)


def _wide_written(t: n.MarkdownTable) -> bool:
    """A table written in a chapter (always at 8.5 points) whose words do not fit a portrait page; a
    right-aligned column holds figures, which never break."""
    rows = [[(n.plain(c).strip(), True, False) for c in t.header]]
    rows += [[(n.plain(c).strip(), False, a == "right") for c, a in zip(r, t.alignments)] for r in t.rows]
    return too_wide_for_portrait(rows, len(t.header), 8.5)


def _wide(t: Table) -> bool:
    """A computed table whose words do not fit a portrait page (its figures never break; headers and
    subtotals are bold)."""
    rows = [[(h, True, False) for h in hrow] for hrow in t.header]
    rows += [[(c.text, kind != "data", c.numeric) for c in values] for values, kind in zip(t.body, t.row_kinds)]
    return too_wide_for_portrait(rows, t.ncols, table_size(t.ncols))


_CITATION = re.compile(r"\{\{.*?\}\}", re.S)


def _substituted(ctx: _Chapter, text: str) -> str:
    """Code keeps its text as written, with the figures it cites filled in (as Jinja did before Markdown)."""
    def value(m: re.Match) -> str:
        cited = figures.cite(m.group(0), ctx.cifre, set(ctx.tables))
        return cited.text if cited.kind == "cifra" else ""
    return _CITATION.sub(value, text)


def _image(ctx: _Chapter, src: str, alt: str, loc: Loc, title: str = "") -> n.Image | None:
    """A picture inside the plan, normalised (load/media.py); anything else is left out (the checks said why)."""
    if ctx.root is None:
        return None
    found = resolve_image(src, ctx.root / "capitoli", ctx.root)
    picture = load_picture(found.path) if found.path is not None else None
    if not isinstance(picture, Picture):
        return None
    # every figure says something to a screen reader (PDF/UA-1 §7.3); a missing description is warned
    return n.Image(picture, alt.strip() or "Immagine " + found.path.stem, title.strip(), loc=loc)


# A table's caption, pandoc's way: a line «: Titolo» (or «Tabella: Titolo») right after the table
_CAPTION = re.compile(r"(?:tabella|table)?:\s", re.I)


def _table(ctx: _Chapter, tokens: list[Token], i: int, loc: Loc) -> tuple[n.MarkdownTable, int]:
    """A Markdown table; a caption line with no «|» glued under it (GFM reads it as a last row) is its caption."""
    header: list = []
    aligns: list[str] = []
    rows: list = []
    row: list = []
    caption: tuple = ()
    lines = ctx.cap.body.split("\n")
    while tokens[i].type != "table_close":
        t = tokens[i]
        if t.type == "tr_open" and t.map and "|" not in lines[t.map[0]] and _CAPTION.match(tokens[i + 2].content):
            end = next(j for j in range(i, len(tokens)) if tokens[j].type == "tr_close")
            if tokens[end + 1].type == "tbody_close":    # the last row: the caption
                caption = _uncaptioned(_inline_only(ctx, _runs(ctx, tokens[i + 2], t.map[0]), loc))
                i = end + 1
                continue
        if t.type in ("th_open", "td_open"):
            style = str(t.attrs.get("style", ""))
            if t.type == "th_open":
                aligns.append(style.removeprefix("text-align:"))
            inline = tokens[i + 1]
            cell = _inline_only(ctx, _runs(ctx, inline, inline.map[0] if inline.map else 0), loc)
            (header if t.type == "th_open" else row).append(cell)
        elif t.type == "tr_close" and row:
            rows.append(tuple(row))
            row = []
        i += 1
    return n.MarkdownTable(tuple(header), tuple(aligns), tuple(rows), caption,
                           anchor=f"{ctx.cap.meta.id}-riga-{loc.line}", loc=loc), i


def _uncaptioned(runs: tuple) -> tuple:
    """A caption's runs without the «:» or «Tabella:» that marks it."""
    first = runs[0]
    if not isinstance(first, n.Text):
        return runs
    text = _CAPTION.sub("", first.text, count=1).lstrip()
    return ((n.Text(text, loc=first.loc),) if text else ()) + tuple(runs[1:])


def resolved(value, placed: dict[str, tuple[int, str]]):
    """`value` with every `{{ tabella_n("id") }}` given the number and anchor of the table it names
    (`Numbering.placed`). Nodes are frozen: those holding a citation are copied, the others kept."""
    if isinstance(value, tuple):
        new = tuple(resolved(v, placed) for v in value)
        return value if all(a is b for a, b in zip(new, value)) else new
    if isinstance(value, n.TableRef):
        number, anchor = placed.get(value.table_id, (0, ""))
        return replace(value, number=number, anchor=anchor)
    if not isinstance(value, n.Node) or isinstance(value, (n.Cards, n.Card)):   # cards hold no chapter text
        return value
    changed = {f.name: new for f in fields(value) if f.name != "loc"
               and (new := resolved(getattr(value, f.name), placed)) is not getattr(value, f.name)}
    if isinstance(value, n.Heading) and changed:
        changed["title"] = n.plain(changed["runs"]).strip()
    return replace(value, **changed) if changed else value


def _footnotes(ctx: _Chapter, tokens: list[Token], i: int) -> tuple[list[n.Footnote], int]:
    notes = []
    while tokens[i].type != "footnote_block_close":
        t = tokens[i]
        if t.type == "footnote_open":
            blocks, i = _blocks(ctx, tokens, i + 1, "footnote_close")
            number = ctx.notes.get(t.meta["id"])
            if number is not None:   # a note never called is not printed
                first = blocks[0].loc if blocks else ctx.loc(0)
                notes.append(n.Footnote(number, f"{ctx.cap.meta.id}-nota-{number}", tuple(blocks), loc=first))
        i += 1
    return sorted(notes, key=lambda note: note.number), i


# --- cards ---------------------------------------------------------------------------

def build_card(sc: Scheda, prog: ProgrammazioneScheda, r, loc: Loc) -> n.Card:
    def boxes(options: dict, chosen) -> tuple[n.TickBox, ...]:
        return tuple(n.TickBox(label, key in chosen, loc=loc) for key, label in options.items())

    obiettivi = tuple(n.Objective(r.aree[o.area].titolo, o.lettera, r.aree[o.area].obiettivi[o.lettera], loc=loc)
                      for o in sc.obiettivi)
    servizi = tuple(n.Service(s.denominazione, _riferimento(s), s.utenza or "", s.numero_utenti,
                              tuple(s.documenti or ()), tuple(s.operatori or ()), tuple(s.azioni or ()), loc=loc)
                    for s in sc.servizi)
    letter = sc.codice.split(".")[0]
    programmazione = tuple(n.Funding(str(a.anno), a.testo, fmt_fonti(a), loc=loc)
                           for a in prog.anni)
    return n.Card(
        sc.codice, sc.titolo, "scheda-" + sc.codice.replace(".", "-"),
        boxes(r.livelli_priorita, sc.livelli_priorita), boxes({k: v.titolo for k, v in r.aree.items()}, sc.aree),
        obiettivi, tuple(sc.risultati_attesi), servizi,
        boxes(r.valenze_territoriali, sc.valenza_territoriale), sc.valenza_altro or "",
        boxes(r.modalita_gestione, sc.gestione), sc.gestione_altro or "",
        (letter, r.macro_attivita.get(letter, "")), (sc.codice, r.nomenclatore.get(sc.codice, "")),
        programmazione, prog.testo, loc=loc)


def _riferimento(s) -> str:
    parts = []
    if s.articoli_rr:
        arts = ", ".join(str(a) for a in s.articoli_rr)
        parts.append(f"art{'t' if len(s.articoli_rr) > 1 else ''}. {arts} R.R. 4/2007")
    if s.altro_riferimento:
        parts.append(s.altro_riferimento)
    return "; ".join(parts)


# --- the document ----------------------------------------------------------------------

def _toc(r: Regole, ch: n.Chapter) -> list[n.TocEntry]:
    """A chapter's entries in the table of contents: its title, its sections and, under a section whose
    regional index entry lists sub-items (the areas of II.1, the items of IV.1 and IV.2), those sub-items
    (checks/indice.py pairs them with the section's «###» headings). An entry says what its heading says, as
    Word's own rebuild of the index does; the check keeps headings worded as the index. A sub-item with no
    heading of its own is listed in the index's words, without a page."""
    out = [n.TocEntry(1, ch.heading, ch.anchor, loc=ch.loc)]
    entry = r.capitolo_indice(ch.number, ch.id)
    for level, wording, h in index_lines(r, entry, [(h.level, h.title, h) for h in ch.outline]):
        if h is None:
            out.append(n.TocEntry(3, wording, "", loc=out[-1].loc))
        else:
            out.append(n.TocEntry(level, f"{h.number} {h.title}" if h.number else h.title, h.anchor, loc=h.loc))
    return out


def build_body(result: Result, cards: tuple[n.Card, ...] = ()) -> tuple[list[n.Chapter], n.Annex, list[Problem]]:
    """The chapters, in the order of `result.chapters`, and the financial annexes: their tables numbered in
    document order, the citations of those numbers filled in; and the problems of what they could not hold."""
    plan, comp = result.plan, result.computed
    chapters, problems = [], []
    numbering = Numbering()
    for cap, _ in result.chapters:
        chapter, probs = build_chapter(cap, comp.cifre, comp.tables, cards, plan.root, numbering)
        chapters.append(chapter)
        problems.extend(probs)
    piano = Loc(str(plan.root / "piano.yaml"), 1, 1)
    annex = n.Annex(ANNEX_TITLE, ANNEX_ANCHOR,
                    tuple(numbering.computed(comp.tables[t], f"{ANNEX_ANCHOR}-{t}", piano) for t in ANNEX_TABLES
                          if t in comp.tables), loc=piano)
    return [resolved(ch, numbering.placed) for ch in chapters], annex, problems


def _cards(result: Result) -> tuple[n.Card, ...]:
    """The detail cards in nomenclature order."""
    plan, comp = result.plan, result.computed
    order = {c: i for i, c in enumerate(plan.regole.nomenclatore)}
    return tuple(build_card(s.scheda, comp.schede[s.scheda.codice], plan.regole, Loc(s.file, 1, 1))
                 for s in sorted(plan.schede, key=lambda s: order.get(s.scheda.codice, 999)))


def build_chapters(result: Result) -> tuple[tuple[n.Card, ...], list[n.Chapter], list[Problem]]:
    """The cards and the chapters of the plan as nodes, and the problems of what they could not hold
    (what `pdz check` reports of the document without assembling or laying it out)."""
    cards = _cards(result)
    chapters, _, problems = build_body(result, cards)
    return cards, chapters, problems


def build_document(result: Result, provenance: Provenance) -> tuple[n.Document, list[Problem]]:
    """The whole plan as one tree, and the problems of what it could not hold."""
    plan = result.plan
    p, r = plan.piano, plan.regole
    cards = _cards(result)
    chapters, annex, problems = build_body(result, cards)
    piano = annex.loc
    toc = [entry for ch in chapters for entry in _toc(r, ch)]
    toc.append(n.TocEntry(1, annex.title, annex.anchor, loc=piano))
    if not result.definitivo:   # a draft ends with what is still missing: the index lists it, as the bookmarks do
        toc.append(n.TocEntry(1, n.DA_COMPLETARE_TITLE, n.DA_COMPLETARE_ANCHOR, loc=piano))
    cover = n.Cover(p.titolo, p.ambito, p.provincia, p.ciclo, tuple(c.nome for c in p.comuni),
                    bozza=not result.definitivo, loc=piano)
    doc = n.Document(cover, n.Toc(tuple(toc), loc=piano), tuple(chapters), annex, cards, provenance,
                     keywords=f"Piano Sociale di Zona, {p.ambito}, {p.ciclo}, Regione Puglia", loc=piano,
                     bozza=not result.definitivo, da_completare=() if result.definitivo else result.da_completare)
    return doc, problems
