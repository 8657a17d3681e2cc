"""HTML (a translator over the document tree, Jinja templates for the layout) and PDF (WeasyPrint).

`HtmlTranslator` has one method per node kind (`visit_Paragraph`, …); a kind it does not
know raises. The templates hold the layout only: page frame (piano.html.j2), cover, table
of contents, computed table and card (macros.html.j2), each defined once.
"""

from __future__ import annotations

import functools
import gc
import html
from itertools import groupby
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from pdz_docs.document import nodes as n
from pdz_docs.render import DEFAULT_PDF_VARIANT
from pdz_docs.render.accessibility import finisher
from pdz_docs.render.typography import tie_html

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@functools.lru_cache(maxsize=8)
def template_env(folder: Path = TEMPLATES) -> jinja2.Environment:
    """One environment per template folder: compiled templates are reused (and reloaded when edited)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


class HtmlTranslator:
    """Nodes → HTML. Semantics come from the nodes, appearance from the templates and piano.css."""

    def __init__(self, folder: Path = TEMPLATES):
        self.env = template_env(folder)
        self.macros = self.env.get_template("macros.html.j2").module
        self.stylesheet = stylesheet(folder)

    def render(self, node: n.Node) -> Markup:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise TypeError(f"HtmlTranslator: node kind {type(node).__name__} not handled")
        return Markup(method(node))

    def all(self, items) -> Markup:
        return Markup("").join(self.render(x) for x in items)

    # --- inline ---------------------------------------------------------------------
    @staticmethod
    def text(s: str) -> str:
        """Text between tags: «&», «<», «>» escaped, quotes and apostrophes left as the writer typed them."""
        return html.escape(s, quote=False)

    def visit_Text(self, x: n.Text) -> str:
        return self.text(x.text)

    def visit_Emphasis(self, x: n.Emphasis) -> str:
        return f"<em>{self.all(x.children)}</em>"

    def visit_Strong(self, x: n.Strong) -> str:
        return f"<strong>{self.all(x.children)}</strong>"

    def visit_Strike(self, x: n.Strike) -> str:
        return f"<del>{self.all(x.children)}</del>"

    def visit_Code(self, x: n.Code) -> str:
        return f"<code>{self.text(x.text)}</code>"

    def visit_Link(self, x: n.Link) -> str:
        title = f' title="{escape(x.title)}"' if x.title else ""
        return f'<a href="{escape(x.href)}"{title}>{self.all(x.children)}</a>'

    def visit_Image(self, x: n.Image) -> str:
        p = x.picture
        title = f' title="{escape(x.title)}"' if x.title else ""
        return f'<img src="{p.uri}" width="{p.width}" height="{p.height}" alt="{escape(x.alt)}"{title}>'

    def visit_FigureRef(self, x: n.FigureRef) -> str:
        return self.text(x.text)

    def visit_TableRef(self, x: n.TableRef) -> str:
        return f'<a class="rif-tabella" href="#{escape(x.anchor)}">{self.text(x.text)}</a>'

    def visit_FootnoteRef(self, x: n.FootnoteRef) -> str:
        call = "" if x.call == 1 else f"-{x.call}"   # every call has an id of its own; the note goes back to the first
        return f'<sup id="{x.anchor}-richiamo{call}"><a class="footnote-ref" href="#{x.anchor}">{x.number}</a></sup>'

    def visit_LineBreak(self, x: n.LineBreak) -> str:
        return "<br>\n"

    # --- blocks -----------------------------------------------------------------------
    def visit_Heading(self, x: n.Heading) -> str:
        if x.number:
            return (f'<h2 id="{x.anchor}"><span class="num">{escape(x.number)}</span> {self.all(x.runs)}</h2>\n')
        anchor = f' id="{x.anchor}"' if x.anchor else ""   # a «###» the index may point to
        return f"<h{x.level}{anchor}>{self.all(x.runs)}</h{x.level}>\n"

    def visit_Paragraph(self, x: n.Paragraph, after: str = "") -> str:
        return f"<p>{self.all(x.runs)}{after}</p>\n"

    def visit_List(self, x: n.List) -> str:
        if not x.ordered:
            tag = "<ul>"
        elif x.start != 1:
            # WeasyPrint ignores <ol start>: the list's counter starts where the writer's first number says;
            # numbers of three figures or more («2022.») get the room they need inside the text's margin
            digits = len(str(x.start + len(x.items) - 1))
            room = f"; padding-left: {digits + 2.5}ch" if digits > 2 else ""
            tag = f'<ol start="{x.start}" style="counter-reset: list-item {x.start - 1}{room}">'
        else:
            tag = "<ol>"
        items = "".join(self.item(i, x.tight) for i in x.items)
        return f"{tag}\n{items}</{'ol' if x.ordered else 'ul'}>\n"

    def item(self, x: n.ListItem, tight: bool) -> str:
        if not tight:
            return f"<li>\n{self.all(x.blocks)}</li>\n"
        inner = "".join(self.all(b.runs) if isinstance(b, n.Paragraph) else "\n" + self.render(b) for b in x.blocks)
        return f"<li>{inner}</li>\n"

    def visit_ListItem(self, x: n.ListItem) -> str:
        return self.item(x, tight=False)

    def visit_Quote(self, x: n.Quote) -> str:
        return f"<blockquote>\n{self.all(x.blocks)}</blockquote>\n"

    def visit_CodeBlock(self, x: n.CodeBlock) -> str:
        language = f' class="language-{escape(x.language.split()[0])}"' if x.language else ""
        return f"<pre><code{language}>{self.text(x.text)}</code></pre>\n"

    def visit_Rule(self, x: n.Rule) -> str:
        return "<hr>\n"

    def visit_MarkdownTable(self, x: n.MarkdownTable) -> str:
        def cell(tag: str, runs, align: str) -> str:
            style = f' style="text-align: {align};"' if align else ""
            scope = ' scope="col"' if tag == "th" else ""   # header cells head their column
            return f"<{tag}{scope}{style}>{self.all(runs)}</{tag}>"

        head = "".join(cell("th", c, a) for c, a in zip(x.header, x.alignments))
        body = "".join("<tr>" + "".join(cell("td", c, a) for c, a in zip(row, x.alignments)) + "</tr>\n"
                       for row in x.rows)
        caption = ""
        if x.caption:
            caption = (f'<caption><span class="numero-tabella">{escape(x.label)}</span> – '
                       f"{self.all(x.caption)}</caption>\n")
        whole = ' class="intera"' if x.whole else ""
        return (f'<table id="{escape(x.anchor)}"{whole}>\n{caption}<thead>\n<tr>{head}</tr>\n</thead>\n'
                f"<tbody>\n{body}</tbody>\n</table>\n")

    def visit_ComputedTable(self, x: n.ComputedTable) -> str:
        whole = " intera" if x.whole else ""
        return f'<div class="tabella{whole}">{self.macros.table(x.table, x.label, x.anchor)}</div>\n'

    def visit_Orientation(self, x: n.Orientation) -> str:
        return f'<div class="orizzontale">{self.all(x.blocks)}</div>\n' if x.landscape else self.all(x.blocks)

    def visit_Footnotes(self, x: n.Footnotes) -> str:
        # under their title, as the DOCX and the text renderer print them (a rule would read as the writer's «---»)
        return f'<div class="footnote">\n<p class="titolo-note">Note</p>\n<ol>\n{self.all(x.notes)}</ol>\n</div>\n'

    def visit_Footnote(self, x: n.Footnote) -> str:
        back = (f'&#160;<a class="footnote-backref" href="#{x.anchor}-richiamo" '
                f'title="Torna al richiamo della nota {x.number}">&#8617;</a>')
        blocks = list(x.blocks)
        last = self.visit_Paragraph(blocks.pop(), back) if blocks and isinstance(blocks[-1], n.Paragraph) else back
        return f'<li id="{x.anchor}">\n{self.all(blocks)}{last}</li>\n'

    # --- cards (layout in macros.html.j2) ---------------------------------------------
    def visit_Cards(self, x: n.Cards) -> str:
        return f'<div class="schede">{self.all(x.cards)}</div>\n'

    def visit_Card(self, x: n.Card) -> str:
        return self.macros.card(x)

    def visit_TickBox(self, x: n.TickBox) -> str:
        return self.macros.check(x)

    def visit_Objective(self, x: n.Objective) -> str:
        return self.macros.objective(x)

    def visit_Service(self, x: n.Service) -> str:
        return self.macros.service(x)

    def visit_Funding(self, x: n.Funding) -> str:
        return self.macros.funding(x)

    # --- the document -------------------------------------------------------------------
    def visit_Chapter(self, x: n.Chapter, blocks: tuple[n.Block, ...] | None = None) -> str:
        label = f'<span class="etichetta-cap">{escape(x.label)}</span> ' if x.label else ""
        # the PDF bookmark words the chapter as the index does («Capitolo I – …»), not as its two printed lines
        mark = f' data-segnalibro="{escape(x.heading)}"' if x.label else ""
        return (f'<section class="capitolo" id="{x.anchor}">\n<h1{mark}>{label}{escape(x.title)}</h1>\n'
                f"{self.all(x.blocks if blocks is None else blocks)}</section>\n")

    def chapter_pieces(self, x: n.Chapter) -> list[Markup]:
        """The chapter cut where its pages break anyway: before and after each run of landscape sections
        (a change of page name forces a page break, CSS Paged Media 3, 3.3.1; landscape sections in a row
        share their pages), so that the PDF lays the pieces out at once. The first piece carries the
        title; the others are sections «seguito», which name their chapter for `overflowing_tables`."""
        first, *rest = [tuple(run) for _, run in groupby(
            x.blocks, key=lambda b: isinstance(b, n.Orientation) and b.landscape)] or [()]
        return [Markup(self.visit_Chapter(x, first)),
                *(Markup(f'<section class="capitolo seguito" data-capitolo="{x.anchor}">\n{self.all(r)}</section>\n')
                  for r in rest)]

    def visit_Annex(self, x: n.Annex) -> str:
        return (f'<section class="allegati-finanziari orizzontale" id="{x.anchor}">\n<h1>{escape(x.title)}</h1>\n'
                f"{self.all(x.tables)}</section>\n")

    def visit_Cover(self, x: n.Cover) -> str:
        return self.macros.cover(x)

    def visit_TocEntry(self, x: n.TocEntry) -> str:
        return self.macros.toc_entry(x)

    def visit_Toc(self, x: n.Toc) -> str:
        return self.macros.toc(x)

    def visit_Document(self, x: n.Document) -> str:
        parts = [html for _, html in self.parts(x)]
        return self.env.get_template("piano.html.j2").render(doc=x, fronte=parts[:2], corpo=parts[2:],
                                                            stylesheet=self.stylesheet)

    def parts(self, x: n.Document, pieces: bool = False) -> list[tuple[str, Markup]]:
        """The document's parts, each starting a page, as (name, HTML): cover, index, every chapter,
        the annexes, a draft's closing list. The page holds them all; the PDF lays them out one by one
        (render/pdf.py), with `pieces`: every chapter cut into `chapter_pieces`, the second and later
        named «<chapter anchor>+<n>»."""
        def chapter(ch: n.Chapter) -> list[tuple[str, Markup]]:
            if not pieces:
                return [(ch.anchor, self.render(ch))]
            return [(ch.anchor + (f"+{i}" if i else ""), html) for i, html in enumerate(self.chapter_pieces(ch))]

        return [("copertina", self.render(x.cover)), ("indice", self.render(x.toc)),
                *(part for ch in x.chapters for part in chapter(ch)),
                *self._end(x)]

    def _end(self, x: n.Document) -> list[tuple[str, Markup]]:
        # a draft's list of what is missing starts a page; without it, the closing line stays on the
        # last annex page (piano.css: `.allegati-finanziari + .provenienza`)
        annex, end = self.render(x.annex), Markup(self.macros.chiusura(x))
        return [("allegati", annex), ("chiusura", end)] if x.bozza else [("allegati", annex + end)]

    def part_page(self, x: n.Document, part: Markup, elsewhere: list[str], cover: bool = False,
                  body: bool = True) -> str:
        """One part as an HTML document of its own; `elsewhere`: the anchors it links to in other parts;
        `cover`: the part whose metadata the PDF keeps (it names the revision); `body`: a part of the
        document's body (a chapter, the annexes, the closing: inside <main>, a /Part of the structure
        tree, as in the whole page), not the cover or the index."""
        return tie_html(self.env.get_template("parte.html.j2").render(
            doc=x, parte=part, altrove=elsewhere, copertina=cover, corpo=body, stylesheet=self.stylesheet))

    def toc_with_pages(self, x: n.Toc, pages: dict[str, int]) -> Markup:
        """The index with its page numbers written in (laid out apart from the pages it points to)."""
        return Markup(self.macros.toc(x, pages))

    def frame_page(self, x: n.Document, kinds: list[str]) -> str:
        """The page margins of the whole document, one empty page of each kind (cornice.html.j2)."""
        return tie_html(self.env.get_template("cornice.html.j2").render(
            doc=x, pagine=kinds, stylesheet=self.stylesheet))

    def visit_Report(self, x: n.Report) -> str:
        return self.env.get_template("prospetto.html.j2").render(doc=x, html=self.render, stylesheet=self.stylesheet)


def render_html(doc: n.Document | n.Report, folder: Path = TEMPLATES) -> str:
    """The plan (or a report on it) as one self-contained HTML page: its style sheet is inside it, so the
    file opens styled wherever it is copied (and WeasyPrint lays the PDF out from the same page)."""
    return tie_html(str(HtmlTranslator(folder).render(doc)))


def stylesheet(folder: Path = TEMPLATES) -> Markup:
    """`piano.css` as the content of a <style> element (our own file: nothing in it can close the element)."""
    css = (folder / "piano.css").read_text(encoding="utf-8")
    if "</" in css:
        raise ValueError(f"{folder / 'piano.css'}: «</» non ammesso in un foglio di stile incorporato")
    return Markup(css)


def render_pdf(html: str, allowed: list[Path], folder: Path = TEMPLATES, variant: str | None = None) -> bytes:
    return layout_pdf(html, allowed, folder, variant)[0]


def layout_pdf(html: str, allowed: list[Path], folder: Path = TEMPLATES,
               variant: str | None = DEFAULT_PDF_VARIANT) -> tuple[bytes, list[tuple[str, str]], dict[str, int]]:
    """Lay out the HTML with WeasyPrint; only files inside `allowed` folders can be fetched.

    Returns the PDF, the tables wider than their page, as (table id or chapter id, kind), and the page
    of every anchor (the DOCX index prints them).
    """
    variant = None if variant in (None, "nessuna") else variant
    # WeasyPrint allocates millions of short-lived objects and no cycles worth collecting mid-layout:
    # pausing the cyclic garbage collector saves about 15% of the time for some 70 MB more memory.
    collecting = gc.isenabled()
    gc.disable()
    try:
        document = weasyprint_layout(html, allowed, folder)
        wide = overflowing_tables(document)
        pdf = document.write_pdf(pdf_variant=variant, pdf_identifier=b"pdz-docs", uncompressed_pdf=False,
                                 custom_metadata=True, finisher=finisher(variant))
    finally:
        if collecting:
            gc.enable()
    return pdf, wide, anchor_pages(document)


def layout_pages(html: str, allowed: list[Path], folder: Path = TEMPLATES) -> dict[str, int]:
    """The page of every anchor, laying the HTML out without writing a PDF (a build without the PDF)."""
    return anchor_pages(weasyprint_layout(html, allowed, folder))


def anchor_pages(document) -> dict[str, int]:
    """Anchor (an element's id) → the number of the page it starts on, as printed in the footer."""
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    return pages


def weasyprint_layout(html: str, allowed: list[Path], folder: Path):
    """WeasyPrint's laid-out Document of `html`; only files inside `allowed` folders can be fetched."""
    import weasyprint

    roots = [p.resolve() for p in allowed]

    class Fetcher(weasyprint.urls.URLFetcher):
        """Only local files inside the plan and template folders, and inline pictures; nothing from the network."""

        def fetch(self, url, headers=None):
            if url.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")):
                return super().fetch(url, headers)   # the normalised pictures of the plan (load/media.py)
            if url.startswith("file:"):
                path = Path(weasyprint.urls.request.url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
                if any(path == r or r in path.parents for r in roots) and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"risorsa esterna non ammessa: {url}")

    fetcher = Fetcher(allowed_protocols=["file", "data"])
    return weasyprint.HTML(string=html, base_url=str(folder) + "/", url_fetcher=fetcher).render()


def overflowing_tables(document) -> list[tuple[str, str]]:
    """Tables whose laid-out width goes past the right edge of their page's content area."""
    found: list[tuple[str, str]] = []

    def walk(box, right: float, section: str) -> None:
        element = getattr(box, "element", None)
        if getattr(box, "element_tag", None) == "section" and element is not None:
            section = element.get("id") or element.get("data-capitolo") or section   # a chapter's pieces
        if getattr(box, "element_tag", None) == "table" and element is not None:
            if box.position_x + box.margin_width() > right + 1:
                key = (element.get("id") or "", section)
                if key not in found:
                    found.append(key)
            return
        for child in getattr(box, "children", ()):
            walk(child, right, section)

    for page in document.pages:
        box = page._page_box
        walk(box, box.content_box_x() + box.width, "")
    return found
