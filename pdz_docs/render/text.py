"""Plain text (the terminal) and Markdown: a translator over the document tree, as the HTML and DOCX ones.

`TextTranslator` has one method per node kind (`visit_Paragraph`, …); a kind it does not know
raises. `markdown=False` writes what a terminal shows: headings of the first levels at the
margin with a blank line before them, everything else indented, tables in aligned columns with
figures to the right. `markdown=True` writes CommonMark with GitHub tables. Every block ends
with a newline; the same tree gives the same text.
"""

from __future__ import annotations

from pdz_docs.document import nodes as n
from pdz_docs.finance.table import Table

INDENT = "   "      # plain text: every block under a heading
QUOTE = "  "        # plain text: a quote, further in


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


class TextTranslator:
    """Nodes → text: plain for the terminal, or Markdown."""

    def __init__(self, markdown: bool = False):
        self.md = markdown
        self.indent = INDENT

    def render(self, node: n.Node) -> str:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise TypeError(f"TextTranslator: node kind {type(node).__name__} not handled")
        return method(node)

    def inline(self, runs) -> str:
        return "".join(self.render(r) for r in runs)

    def blocks(self, blocks) -> str:
        """Blocks one after another: in Markdown a blank line between two, in plain text none (a heading
        brings its own)."""
        return ("\n" if self.md else "").join(self.render(b) for b in blocks)

    def line(self, text: str) -> str:
        """A block of one or more lines: indented in plain text, as it is in Markdown."""
        if self.md:
            return text + "\n"
        return "".join(f"{self.indent}{x}".rstrip() + "\n" for x in text.split("\n"))

    # --- inline ---------------------------------------------------------------------
    def visit_Text(self, x: n.Text) -> str:
        return x.text

    def _marked(self, mark: str, children) -> str:
        inner = self.inline(children)
        return f"{mark}{inner}{mark}" if self.md else inner

    def visit_Emphasis(self, x: n.Emphasis) -> str:
        return self._marked("*", x.children)

    def visit_Strong(self, x: n.Strong) -> str:
        return self._marked("**", x.children)

    def visit_Strike(self, x: n.Strike) -> str:
        return self._marked("~~", x.children)

    def visit_Code(self, x: n.Code) -> str:
        return f"`{x.text}`" if self.md else x.text

    def visit_Link(self, x: n.Link) -> str:
        text = self.inline(x.children)
        return f"[{text}]({x.href})" if self.md else text

    def visit_Image(self, x: n.Image) -> str:
        return f"[immagine: {x.alt}]" if x.alt else "[immagine]"

    def visit_FigureRef(self, x: n.FigureRef) -> str:
        return x.text

    def visit_TableRef(self, x: n.TableRef) -> str:
        return x.text

    def visit_FootnoteRef(self, x: n.FootnoteRef) -> str:
        return f"[^{x.number}]" if self.md else f"[{x.number}]"

    def visit_LineBreak(self, x: n.LineBreak) -> str:
        return "\\\n" if self.md else "\n"

    # --- blocks -----------------------------------------------------------------------
    def heading(self, level: int, text: str) -> str:
        if self.md:
            return f"{'#' * level} {text}\n"
        return f"\n{text}\n" if level <= 2 else self.line(text)

    def visit_Heading(self, x: n.Heading) -> str:
        text = self.inline(x.runs) if x.runs else x.title
        return self.heading(x.level, f"{x.number} {text}" if x.number else text)

    def visit_Paragraph(self, x: n.Paragraph) -> str:
        return self.line(self.inline(x.runs))

    def visit_List(self, x: n.List) -> str:
        return "".join(self.item(item, f"{x.start + i}." if x.ordered else "-") for i, item in enumerate(x.items))

    def item(self, x: n.ListItem, mark: str) -> str:
        """A list item: its mark before its first line, the lines after it under its text."""
        saved, self.indent = self.indent, ""
        try:
            body = "".join(self.render(b) for b in x.blocks).rstrip("\n") or ""
        finally:
            self.indent = saved
        pad = " " * (len(mark) + 1)
        lines = body.split("\n")
        text = "\n".join([f"{mark} {lines[0]}", *(f"{pad}{x}" if x else "" for x in lines[1:])])
        return self.line(text)

    def visit_ListItem(self, x: n.ListItem) -> str:
        return self.item(x, "-")

    def visit_Quote(self, x: n.Quote) -> str:
        if self.md:
            inner = self.blocks(x.blocks).rstrip("\n")
            return "".join(f"> {x}".rstrip() + "\n" for x in inner.split("\n"))
        saved, self.indent = self.indent, self.indent + QUOTE
        try:
            return self.blocks(x.blocks)
        finally:
            self.indent = saved

    def visit_CodeBlock(self, x: n.CodeBlock) -> str:
        text = x.text.rstrip("\n")
        return f"```{x.language}\n{text}\n```\n" if self.md else self.line(text)

    def visit_Rule(self, x: n.Rule) -> str:
        return "---\n" if self.md else self.line("─" * 20)

    def grid(self, header: list[list[str]], rows: list[list[str]], right: set[int]) -> str:
        """A table: in Markdown a GitHub table (its last header row heads it, the others lead its body),
        in plain text aligned columns under a rule."""
        ncols = max(len(r) for r in [*header, *rows])
        header = [[c.replace("\n", " ") for c in r] + [""] * (ncols - len(r)) for r in header]
        rows = [[c.replace("\n", " ") for c in r] + [""] * (ncols - len(r)) for r in rows]
        if self.md:
            out = ["| " + " | ".join(_md_cell(c) for c in header[-1]) + " |",
                   "|" + "|".join("---:" if j in right else "---" for j in range(ncols)) + "|"]
            out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in [*header[:-1], *rows]]
            return "\n".join(out) + "\n"
        widths = [max(len(r[j]) for r in [*header, *rows]) for j in range(ncols)]

        def line(r: list[str]) -> str:
            return "  ".join(v.rjust(w) if j in right else v.ljust(w) for j, (v, w) in enumerate(zip(r, widths)))

        return self.line("\n".join([*map(line, header), "  ".join("─" * w for w in widths), *map(line, rows)]))

    def visit_MarkdownTable(self, x: n.MarkdownTable) -> str:
        right = {j for j, a in enumerate(x.alignments) if a == "right"}
        grid = self.grid([[self.inline(c) for c in x.header]], [[self.inline(c) for c in r] for r in x.rows], right)
        return ("\n" if self.md else "").join([*self.caption(x.label, self.inline(x.caption)), grid])

    def visit_ComputedTable(self, x: n.ComputedTable) -> str:
        return self.table(x.table, x.label)

    def caption(self, label: str, title: str) -> list[str]:
        """A table's caption line, «Tabella n. N – Titolo», or none."""
        text = " – ".join(t for t in (label, title) if t)
        return [self.line(f"**{text}**" if self.md else text)] if text else []

    def table(self, t: Table, label: str = "") -> str:
        """A computed table under its caption (if any), its source note under it (in Markdown, each a block
        of its own: a line right after a table would be read as one of its rows)."""
        parts = self.caption(label, t.title)
        parts.append(self.grid([list(h) for h in t.header], [[c.text for c in r] for r in t.body],
                               set(t.numeric_columns)))
        parts += [self.line(f"Fonte: {t.note}")] if t.note else []
        return ("\n" if self.md else "").join(parts)

    def visit_Orientation(self, x: n.Orientation) -> str:
        return self.blocks(x.blocks)

    def visit_Footnotes(self, x: n.Footnotes) -> str:
        return self.heading(4, "Note") + ("\n" if self.md else "") + self.blocks(x.notes)

    def visit_Footnote(self, x: n.Footnote) -> str:
        saved, self.indent = self.indent, ""
        try:
            body = self.blocks(x.blocks).rstrip("\n")
        finally:
            self.indent = saved
        return self.line(f"[^{x.number}]: {body}" if self.md else f"[{x.number}] {body}")

    # --- cards ----------------------------------------------------------------------
    def visit_TickBox(self, x: n.TickBox) -> str:
        return f"{'☒' if x.selected else '☐'} {x.label}"

    def boxes(self, boxes) -> str:
        return "   ".join(self.render(b) for b in boxes)

    def visit_Objective(self, x: n.Objective) -> str:
        return f"{x.area} – {x.letter}) {x.title}"

    def visit_Funding(self, x: n.Funding) -> str:
        return f"{x.year}: {x.amount} ({x.sources})" if x.sources else f"{x.year}: {x.amount}"

    def fields(self, rows: list[tuple[str, str]]) -> str:
        """Label and value, one a line (in Markdown, the items of a list)."""
        bold = (lambda s: f"- **{s}:**") if self.md else (lambda s: f"{s}:")
        return "".join(self.line(f"{bold(label)} {value}") for label, value in rows)

    def visit_Service(self, x: n.Service) -> str:
        users, k = x.utenza + (f" (n. {x.numero_utenti} utenti)" if x.numero_utenti is not None else ""), x.labels
        return (self.line(f"**{x.name}**" if self.md else x.name)
                + self.fields([(k.servizi[1], x.reference), (k.utenza, users),
                               (k.documenti, "; ".join(x.documenti) or "—"),
                               (k.operatori, "; ".join(x.operatori) or "—"),
                               (k.azioni, "; ".join(x.azioni) or "—")]))

    def visit_Card(self, x: n.Card) -> str:
        k = x.labels
        parts = [self.heading(3, f"{x.codice} {x.titolo}"),
                 self.fields([(k.priorita, self.boxes(x.priorita)),
                              (k.aree, self.boxes(x.aree)),
                              (k.obiettivi[0], "; ".join(self.render(o) for o in x.obiettivi) or "—"),
                              (k.risultati, "; ".join(x.risultati) or "—"),
                              (k.valenza, " ".join(filter(None, [self.boxes(x.valenza), x.valenza_altro]))),
                              (k.gestione, " ".join(filter(None, [self.boxes(x.gestione), x.gestione_altro]))),
                              (k.riferimento, f"{k.macro} {x.macro[0]} – {x.macro[1]}; "
                                              f"{k.intervento} {x.intervento[0]} – {x.intervento[1]}"),
                              (k.programmazione, "; ".join(self.render(f) for f in x.programmazione)),
                              (k.totale, x.totale)])]
        parts += [self.render(s) for s in x.servizi]
        return ("\n" if self.md else "").join(parts)

    def visit_Cards(self, x: n.Cards) -> str:
        return self.blocks(x.cards)

    # --- the documents ----------------------------------------------------------------
    def visit_Chapter(self, x: n.Chapter) -> str:
        return self.heading(1, x.heading) + ("\n" if self.md else "") + self.blocks(x.blocks)

    def visit_Annex(self, x: n.Annex) -> str:
        return self.heading(1, x.title) + ("\n" if self.md else "") + self.blocks(x.tables)

    def visit_Cover(self, x: n.Cover) -> str:
        lines = [*x.comuni, f"Ambito Territoriale Sociale di {x.ambito}", f"Provincia di {x.provincia}"]
        return self.heading(1, x.title) + ("\n" if self.md else "") + self.line(
            ("  \n" if self.md else "\n").join([*lines, f"Programmazione {x.ciclo}"]))

    def visit_TocEntry(self, x: n.TocEntry) -> str:
        pad = "  " * (x.level - 1)
        return self.line(f"{pad}- [{x.text}](#{x.anchor})" if self.md else f"{pad}{x.text}")

    def visit_Toc(self, x: n.Toc) -> str:
        return self.heading(2, "Indice") + ("\n" if self.md else "") + "".join(self.render(e) for e in x.entries)

    def visit_Document(self, x: n.Document) -> str:
        parts = [self.render(x.cover), self.render(x.toc), *(self.render(c) for c in x.chapters), self.render(x.annex)]
        parts.append(self.line(f"Documento prodotto con pdz-docs dai file del piano. Revisione: {x.provenance.text}."))
        return ("\n" if self.md else "").join(parts)

    def visit_Report(self, x: n.Report) -> str:
        """A report on the plan: in Markdown as a document (its heading, attachment and closing lines); in
        plain text, for the terminal, one title line and the blocks."""
        if not self.md:
            return f"{x.title} – Ambito Territoriale Sociale di {x.ambito} – {x.subtitle}\n" + self.blocks(x.blocks)
        head = [f"# {x.title}\n", f"**Ambito Territoriale Sociale di {x.ambito}** (Provincia di {x.provincia}) "
                                  f"– {x.subtitle}\n"]
        head += [f"*{x.attachment}*\n"] if x.attachment else []
        tail = [f"*{x.closing}*\n"] if x.closing else []
        return "\n".join([*head, self.blocks(x.blocks), *tail])


def render_text(node: n.Node, markdown: bool = False) -> str:
    return TextTranslator(markdown).render(node)
