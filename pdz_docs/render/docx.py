"""DOCX rendering with python-docx: real headings, native tables, TOC field, landscape annexes.

Styles come from the reference document `templates/riferimento.docx`: an Ambito can
restyle its Word output by editing that file in Word.
"""

from __future__ import annotations

import base64
import copy
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

from pdz_docs.finance.table import Table
from pdz_docs.load.refs import link_kind
from pdz_docs.render.zipfix import normalize_zip
from pdz_docs.render.document import CardView, Check, Document
from pdz_docs.render.html import TEMPLATES

REFERENCE = TEMPLATES / "riferimento.docx"
FIXED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
EMU_PER_CSS_PX = 9525   # 914400 EMU to the inch, 96 CSS pixels to the inch


# --- tiny HTML → element tree (python-markdown output) ----------------------------------

class _Tree(HTMLParser):
    VOID = {"br", "hr", "img"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("div")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        el = ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        cur = self.stack[-1]
        if len(cur):
            cur[-1].tail = (cur[-1].tail or "") + data
        else:
            cur.text = (cur.text or "") + data


def parse_html(html: str) -> ET.Element:
    t = _Tree()
    t.feed(html)
    t.close()
    return t.root


# --- helpers ----------------------------------------------------------------------------

def _field(paragraph, instr: str, placeholder: str = "") -> None:
    """A Word field (PAGE, NUMPAGES, TOC…) with a cached result."""
    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        r = paragraph.add_run()
        r._r.append(el)
    fld("begin")
    r = paragraph.add_run()
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {instr} "
    r._r.append(it)
    fld("separate")
    paragraph.add_run(placeholder)
    fld("end")


@dataclass(frozen=True)
class WordCell:
    text: str
    bold: bool = False
    right: bool = False
    fill: str | None = None     # background, e.g. "E4EAF2"
    boxes: tuple[Check, ...] = ()  # tick boxes with their labels, before `text`
    stacked: bool = False          # one tick box a line (else side by side)


HEADER_FILL, TOTAL_FILL = "E4EAF2", "F3F5F8"


def header_row(*texts: str) -> tuple[bool, list[WordCell]]:
    """A header row: bold on the header shade, repeated on every page."""
    return True, [WordCell(t, bold=True, fill=HEADER_FILL) for t in texts]


W14 = "http://schemas.microsoft.com/office/word/2010/wordml"


def _tick_box(box: Check, rpr: str) -> str:
    """A locked check-box content control showing ☒/☐: Word and screen readers announce it as a check
    box, checked or not, named by its title (the option and its state in Italian)."""
    title = escape(f"{box.label}: {'selezionato' if box.on else 'non selezionato'}", {'"': "&quot;"})
    state = '<w14:checkedState w14:val="2612" w14:font="DejaVu Sans"/>' \
            '<w14:uncheckedState w14:val="2610" w14:font="DejaVu Sans"/>'
    return (f'<w:sdt><w:sdtPr><w:alias w:val="{title}"/><w:lock w:val="sdtContentLocked"/>'
            f'<w14:checkbox xmlns:w14="{W14}"><w14:checked w14:val="{int(box.on)}"/>{state}</w14:checkbox>'
            f'</w:sdtPr><w:sdtContent><w:r>{rpr}<w:t>{box.box}</w:t></w:r></w:sdtContent></w:sdt>')


def _cell_xml(c: WordCell, width: int, size: float) -> str:
    shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{c.fill}"/>' if c.fill else ""
    jc = '<w:pPr><w:jc w:val="right"/></w:pPr>' if c.right else ""
    rpr = f'<w:rPr>{"<w:b/>" if c.bold else ""}<w:sz w:val="{round(size * 2)}"/></w:rPr>'
    runs = "<w:r>" + rpr + "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>'
                                          for line in c.text.split("\n")) + "</w:r>"
    if c.boxes:
        gap = f"<w:r>{rpr}<w:br/></w:r>" if c.stacked else f'<w:r>{rpr}<w:t xml:space="preserve">   </w:t></w:r>'
        runs = gap.join(_tick_box(b, rpr) + f'<w:r>{rpr}<w:t xml:space="preserve"> {escape(b.label)}</w:t></w:r>'
                        for b in c.boxes) + (runs if c.text else "")
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>'
            f"<w:p>{jc}{runs}</w:p></w:tc>")


def _table_xml(rows: list[tuple[bool, list[WordCell]]], weights, width_emu: int, size: float,
               caption: str = "") -> str:
    """A native Word table with fixed column widths filling the text width.

    `rows` are (is_header, cells): header rows repeat on every page; no row is split across pages.
    Written as XML in one go: python-docx's cell-by-cell API is ten times slower on a long plan.
    """
    ncols = max(len(cells) for _, cells in rows)
    weights = list(weights) if weights and len(weights) == ncols else [1] * ncols
    total = width_emu // 635   # twentieths of a point
    widths = [total * w // sum(weights) for w in weights]
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/>'
           f'<w:tblW w:w="{total}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
           '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
           'w:noHBand="0" w:noVBand="1"/>'
           # the table's name for screen readers (Word's "Alt Text" title of a table)
           + (f'<w:tblCaption w:val="{escape(caption, {chr(34): "&quot;"})}"/>' if caption else "")
           + '</w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{w}"/>' for w in widths]
    out.append("</w:tblGrid>")
    for header, cells in rows:
        cells = cells + [WordCell("")] * (ncols - len(cells))
        out.append('<w:tr><w:trPr><w:cantSplit/>' + ('<w:tblHeader/>' if header else "") + "</w:trPr>")
        out += [_cell_xml(c, w, size) for c, w in zip(cells, widths)]
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


class WordBuilder:
    """A Word document styled by the reference file: paragraphs, headings, native tables, the page frame.

    Shared by the plan and by `pdz diff`'s prospetto.
    """

    def __init__(self):
        self.d = new_docx(str(REFERENCE)) if REFERENCE.is_file() else new_docx()
        self._styles: dict[str, str] = {}
        body = self.d.element.body
        for el in list(body):
            if el.tag != qn("w:sectPr"):
                body.remove(el)
        _word_settings(self.d)

    def para(self, text: str = "", style: str | None = None):
        """A paragraph at the end of the body; styles are resolved once by name (python-docx scans them all)."""
        p = self.d.add_paragraph(text)
        if style:
            if style not in self._styles:
                self._styles[style] = self.d.styles[style].style_id
            p._p.style = self._styles[style]
        return p

    def heading(self, text: str, level: int):
        return self.para(text, f"Heading {level}")

    def width(self) -> int:
        """The text width of the current section, in EMU."""
        sec = self.d.sections[-1]
        return sec.page_width - sec.left_margin - sec.right_margin

    def page_frame(self, header: str, cover: bool = False) -> None:
        """A4 portrait, the running header and "pag. N di M" in the footer (not on a cover page)."""
        sec = self.d.sections[0]
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        sec.different_first_page_header_footer = cover
        sec.header.paragraphs[0].text = header
        sec.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        fp = sec.footer.paragraphs[0]
        fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fp.add_run("pag. ")
        _field(fp, "PAGE", "1")
        fp.add_run(" di ")
        _field(fp, "NUMPAGES", "1")

    def add_table(self, rows: list[tuple[bool, list[WordCell]]], weights=(), size: float = 8.5,
                  caption: str = "") -> None:
        tbl = parse_xml(_table_xml(rows, weights, self.width(), size, caption))
        body = self.d.element.body
        body.sectPr.addprevious(tbl) if body.sectPr is not None else body.append(tbl)

    def captioned(self, title: str, rows, weights, size: float = 8.5, note: str | None = None) -> None:
        """A table under its caption, kept together with it, and the source note if any."""
        self.para(title, "Caption").paragraph_format.keep_with_next = True
        self.add_table(rows, weights, size, title)
        if note:
            p = self.d.add_paragraph(f"Fonte: {note}")
            p.runs[0].font.size = Pt(7.5)
        else:
            self.d.add_paragraph()

    def new_section(self, landscape: bool):
        """A section starting on a new page, with the running header and footer on every page of it."""
        sec = self.d.add_section()
        sec.different_first_page_header_footer = False
        # the same header and footer named explicitly, so no reader depends on inheriting them
        first = self.d.sections[0]._sectPr
        refs = [r for r in first if r.tag in (qn("w:headerReference"), qn("w:footerReference"))
                and r.get(qn("w:type")) == "default"]
        for ref in reversed(refs):
            sec._sectPr.insert(0, copy.deepcopy(ref))
        sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
        return sec

    def save(self, title: str, author: str, subject: str, keywords: str = "", comments: str = "",
             custom: dict[str, str] | None = None) -> bytes:
        """The DOCX bytes, with fixed dates and zip timestamps: same content, same bytes."""
        cp = self.d.core_properties
        cp.title, cp.author, cp.subject, cp.language = title, author, subject, "it-IT"
        cp.keywords, cp.comments = keywords, comments
        cp.created = cp.modified = FIXED_DATE
        cp.last_modified_by = "pdz-docs"
        cp.revision = 1
        if custom:
            _custom_properties(self.d, custom)
        buf = io.BytesIO()
        self.d.save(buf)
        return normalize_zip(buf.getvalue())


class _Writer(WordBuilder):
    """The plan: cover, index, chapters, cards, landscape annexes."""

    def __init__(self, doc: Document):
        super().__init__()
        self.doc = doc

    # text
    def inline(self, p, el: ET.Element, bold=False, italic=False) -> None:
        """Runs of a paragraph; a soft line break of the source is a space, only <br> breaks the line."""
        if el.text:
            r = p.add_run(_soft(el.text))
            r.bold, r.italic = bold or None, italic or None
        for child in el:
            b = bold or child.tag in ("strong", "b")
            i = italic or child.tag in ("em", "i")
            if child.tag == "br":
                p.add_run().add_break()
                child.tail = (child.tail or "").lstrip("\n")   # the source's line end is the break itself
            elif child.tag == "img":
                self.picture(p, child)
            elif child.tag == "a" and "footnote-backref" in child.get("class", ""):
                pass                                            # the HTML's «↩» back to the text: no place on paper
            elif child.tag in ("del", "s"):
                r = p.add_run(_soft("".join(child.itertext())))
                r.bold, r.italic, r.font.strike = b or None, i or None, True
            elif child.tag == "sup":
                r = p.add_run("".join(child.itertext()))
                r.font.superscript = True
            elif child.tag == "a" and link_kind(child.get("href", "")) == "ok" and not child.get("href", "").startswith("#"):
                self.hyperlink(p, child.get("href", ""), _soft("".join(child.itertext())), b, i)
            else:
                self.inline(p, child, b, i)
            if child.tail:
                r = p.add_run(_soft(child.tail))
                r.bold, r.italic = bold or None, italic or None

    def hyperlink(self, p, href: str, text: str, bold: bool, italic: bool) -> None:
        """A Word hyperlink (w:hyperlink with an external relationship), styled by the «Hyperlink» style."""
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        rid = p.part.relate_to(href, RT.HYPERLINK, is_external=True)
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), rid)
        run = p.add_run(text)
        run.bold, run.italic = bold or None, italic or None
        run.style = self.link_style()
        link.append(run._r)
        p._p.append(link)

    def link_style(self):
        if "Hyperlink" not in self._styles:
            from docx.enum.style import WD_STYLE_TYPE

            names = {s.name for s in self.d.styles}
            style = self.d.styles["Hyperlink"] if "Hyperlink" in names else \
                self.d.styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
            style.font.underline = True
            style.font.color.rgb = RGBColor(0x1F, 0x4E, 0x8C)
            self._styles["Hyperlink"] = style.style_id
        return self.d.styles["Hyperlink"]

    def picture(self, p, el: ET.Element) -> None:
        """A normalised picture of the plan (load/media.py), at its printed size, at most the text width."""
        src = el.get("src", "")
        head, _, data = src.partition(";base64,")
        if head not in ("data:image/png", "data:image/jpeg") or not data:
            return
        width, height = int(el.get("width") or 0) * EMU_PER_CSS_PX, int(el.get("height") or 0) * EMU_PER_CSS_PX
        if width > self.width():
            width, height = self.width(), height * self.width() // width
        shape = p.add_run().add_picture(io.BytesIO(base64.b64decode(data)), width=width or None, height=height or None)
        shape._inline.docPr.set("descr", el.get("alt", ""))   # Word's alt text, read by screen readers

    def blocks(self, root: ET.Element) -> None:
        for el in root:
            tag = el.tag
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                # h1 inside a chapter is warned about by the checks; numbered sections are h2
                self.heading("".join(el.itertext()).strip(), max(2, int(tag[1])))
            elif tag == "p":
                self.inline(self.d.add_paragraph(), el)
            elif tag in ("ul", "ol"):
                self.list(el, tag == "ol", 0)
            elif tag == "table":
                self.md_table(el)
            elif tag == "pre":
                for line in "".join(el.itertext()).rstrip("\n").split("\n"):
                    self.para(line, "macro")
            elif tag == "div":
                if "footnote" in el.get("class", ""):   # the notes: under their bold title, without the HTML's rule
                    p = self.d.add_paragraph("Note")
                    p.runs[0].bold = True
                    self.blocks([c for c in el if c.tag != "hr"])
                else:
                    self.blocks(el)
            elif tag == "hr":
                self.rule()
            elif tag == "blockquote":
                self.blocks(el)

    def rule(self) -> None:
        """A thematic break («---» between paragraphs): an empty paragraph with a rule under it."""
        p = self.d.add_paragraph()
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="1" w:color="808080"/></w:pBdr>'))

    def list(self, el: ET.Element, ordered: bool, level: int) -> None:
        """A list; each numbered list is its own Word list, restarting at its first number."""
        style = "List Number" if ordered else "List Bullet"
        if level:
            style += f" {min(level + 1, 3)}"
        num = self.restart(style, int(el.get("start", "1"))) if ordered else None
        for li in el.findall("li"):
            p = self.para(style=style)
            if num is not None:
                p._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = num
                p._p.pPr.numPr.get_or_add_ilvl().val = 0
            sub = [c for c in li if c.tag in ("ul", "ol")]
            holder = ET.Element("span")
            holder.text = li.text if (li.text or "").strip() else None   # a loose item's line ends are no text
            for c in li:
                if c.tag in ("ul", "ol"):
                    continue
                if c.tag == "p":   # a loose list's paragraph: its inline markup kept, not flattened
                    span = ET.SubElement(holder, "span")
                    span.text, span.tail = c.text, c.tail if (c.tail or "").strip() else None
                    span.extend(list(c))
                else:
                    holder.append(c)
            self.inline(p, holder)
            for s in sub:
                self.list(s, s.tag == "ol", level + 1)

    def restart(self, style: str, start: int) -> int:
        """A new Word numbering instance of the style's list definition, starting at `start`."""
        numbering = self.d.part.numbering_part.element
        style_num = self.d.styles[style].element.pPr.numPr.numId.val
        abstract = next(n.abstractNumId.val for n in numbering.num_lst if n.numId == style_num)
        num = numbering.add_num(abstract)
        override = num.add_lvlOverride(ilvl=0)
        override.add_startOverride(start)
        return num.numId

    def md_table(self, el: ET.Element) -> None:
        rows = el.findall(".//tr")
        if not rows:
            return
        fill = {"th": HEADER_FILL}
        self.add_table([(i == 0 and r[0].tag == "th",
                         [WordCell("".join(c.itertext()).strip(), bold=c.tag == "th", fill=fill.get(c.tag)) for c in r])
                        for i, r in enumerate(rows)], size=9,
                       caption="".join(el.find("caption").itertext()) if el.find("caption") is not None
                       else " – ".join("".join(c.itertext()).strip() for c in rows[0]))
        self.d.add_paragraph()

    # computed tables and cards
    def table(self, tab: Table) -> None:
        rows = [header_row(*hrow) for hrow in tab.header]
        rows += [(False, [WordCell(c.text, right=c.numeric) for c in values]) for values in tab.rows]
        rows += [(False, [WordCell(c.text, bold=True, right=c.numeric, fill=TOTAL_FILL) for c in values])
                 for values in tab.totals]
        # many money columns: smaller type, as in the PDF
        self.captioned(tab.title, rows, tab.widths, 7.5 if tab.ncols >= 7 else 8.5, tab.note)

    def grid(self, rows: list[tuple[str, str | WordCell]]) -> None:
        self.add_table([(False, [WordCell(label, bold=True, fill=HEADER_FILL),
                                 value if isinstance(value, WordCell) else WordCell(value)]) for label, value in rows],
                       (32, 68), 9, " – ".join(label for label, _ in rows))

    def card(self, c: CardView) -> None:
        self.d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        self.heading(f"{c.codice} {c.titolo}", 3)
        self.grid([("Scheda di progettazione di dettaglio", c.codice), ("Titolo", c.titolo),
                   ("Livello di priorità", WordCell("", boxes=c.priorita)),
                   ("Area strategica (PRPS)", WordCell("", boxes=c.aree, stacked=True))])
        self.captioned("Obiettivi tematici", [header_row("Area", "Lett.", "Titolo"),
                                              *[(False, [WordCell(v) for v in o]) for o in c.obiettivi]], (30, 8, 62))
        self.grid([("Risultati attesi", "\n".join(f"• {x}" for x in c.risultati) or "—")])
        self.captioned("Denominazione dei servizi e/o degli interventi",
                       [header_row("Denominazione", "Riferimento normativo"),
                        *[(False, [WordCell(v) for v in s]) for s in c.servizi]], (68, 32))
        self.grid([("Valenza territoriale", WordCell(f"  {c.valenza_altro}" if c.valenza_altro else "", boxes=c.valenza)),
                   ("Modalità di gestione", WordCell(f"  {c.gestione_altro}" if c.gestione_altro else "", boxes=c.gestione)),
                   ("Riferimento alla programmazione", f"Macro-attività {c.macro[0]} – {c.macro[1]}\n"
                                                       f"Interventi e servizi {c.intervento[0]} – {c.intervento[1]}")])
        self.captioned("Programmazione economica",
                       [header_row("Annualità", "Importo programmato", "Fonti di finanziamento"),
                        *[(False, [WordCell("", boxes=(Check(a, True),)), WordCell(i, right=True), WordCell(f)]) for a, i, f in c.programmazione],
                        (False, [WordCell("Totale", bold=True, fill=TOTAL_FILL),
                                 WordCell(c.totale, bold=True, right=True, fill=TOTAL_FILL), WordCell("", bold=True, fill=TOTAL_FILL)])],
                       (16, 24, 60))
        for s in c.dettagli:
            p = self.para(s.denominazione, "Caption")
            p.paragraph_format.keep_with_next = True
            utenza = (s.utenza or "") + (f" (n. {s.numero_utenti} utenti)" if s.numero_utenti is not None else "")
            self.grid([("Utenza", utenza), ("Documenti collegati", "\n".join(f"• {x}" for x in s.documenti)),
                       ("Profilo degli operatori", "\n".join(f"• {x}" for x in s.operatori)),
                       ("Azioni da realizzare", "\n".join(f"• {x}" for x in s.azioni))])
            self.d.add_paragraph()

    # the whole document
    def write(self) -> bytes:
        doc, d = self.doc, self.d
        self.page_frame(f"Ambito Territoriale Sociale di {doc.ambito} – {doc.title} {doc.ciclo}", cover=True)
        for name in doc.comuni:
            p = self.para(name.upper(), "Cover Comune" if "Cover Comune" in d.styles else None)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for text, size, bold in ((f"Ambito Territoriale Sociale di {doc.ambito}", 16, True),
                                 (f"Provincia di {doc.provincia}", 12, False), (doc.title, 28, True),
                                 (f"Programmazione {doc.ciclo}", 14, False)):
            # the plan's title is the document's Title paragraph (what screen readers announce as such)
            p = self.para("", "Title") if text == doc.title else d.add_paragraph()
            p.paragraph_format.space_before = Pt(30 if size >= 16 else 6)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            r = p.add_run(text)
            r.bold, r.font.size = bold, Pt(size)
        d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        p = self.para("Indice", "TOC Heading" if "TOC Heading" in d.styles else "Title")
        toc = d.add_paragraph()
        entries = []
        for ch in doc.chapters:
            entries.append(f"{ch.label + ' – ' if ch.label else ''}{ch.title}")
            entries.extend(f"    {s.number} {s.title}" for s in ch.sections)
        entries.append("Allegati finanziari – Schede A e C")
        _field(toc, 'TOC \\o "1-2" \\h \\z \\u', "")
        run_holder = toc.runs[-2]  # the cached result goes before the field end
        for i, e in enumerate(entries):
            run_holder.add_text(e)
            if i < len(entries) - 1:
                run_holder.add_break()
        for ch in doc.chapters:
            d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            self.heading(f"{ch.label + ' – ' if ch.label else ''}{ch.title}", 1)
            for b in ch.blocks:
                if b.kind == "html":
                    self.blocks(parse_html(str(b.html)))
                elif b.kind == "table":
                    self.table(b.table)
                else:
                    for c in doc.cards:
                        self.card(c)
        self.new_section(landscape=True)
        self.heading("Allegati finanziari – Schede A e C", 1)
        for t in doc.annexes:
            self.table(t)
        da_completare(self, doc)
        # provenance: a small line under the last table, not a page of its own
        p = d.add_paragraph(f"Documento prodotto con pdz-docs dai file del piano. Revisione: {doc.provenance.text}.")
        p.runs[0].font.size = Pt(8)
        return self.save(f"{doc.title} {doc.ciclo} – Ambito Territoriale Sociale di {doc.ambito}",
                         f"Ambito Territoriale Sociale di {doc.ambito}", f"{doc.title} {doc.ciclo}",
                         doc.keywords, f"Revisione: {doc.provenance.text}", doc.provenance.properties)


def da_completare(w: WordBuilder, doc: Document) -> None:
    """The draft apparatus (the HTML's templates/da_completare.html.j2): «BOZZA» in the header of every
    page, the cover's included, and a last page listing what is still missing. Nothing when definitive."""
    if not doc.bozza:
        return
    first = w.d.sections[0]
    headers = [first.header] + ([first.first_page_header] if first.different_first_page_header_footer else [])
    for header in headers:   # every later section names the same header parts
        header.is_linked_to_previous = False
        header.paragraphs[0]._p.addprevious(OxmlElement("w:p"))
        p = header.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        r = p.add_run("BOZZA")
        r.bold, r.font.size, r.font.color.rgb = True, Pt(8), RGBColor(0x9A, 0x3B, 0x3B)
    # on a new page of the landscape annexes' section, as in the PDF: its long messages take the width
    w.heading("Elementi da completare", 1).paragraph_format.page_break_before = True
    if not doc.da_completare:
        w.para("Questo documento è una bozza. Non risultano elementi da completare: il documento definitivo si "
               "produce con «stato: definitivo» in piano.yaml o con pdz build --definitivo.")
        return
    w.para("Questo documento è una bozza. Prima della stesura definitiva vanno completati gli elementi seguenti, "
           "ciascuno con la parte del piano e il file e la riga in cui si scrive.")
    rows = [header_row("Parte del piano", "Da completare", "File e riga")]
    rows += [(False, [WordCell(e.parte), WordCell(e.cosa), WordCell(e.posizione)]) for e in doc.da_completare]
    w.captioned(f"Elementi da completare ({len(doc.da_completare)})", rows, (3, 5, 2), size=8)


APP_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           '<Application>pdz-docs</Application><DocSecurity>0</DocSecurity></Properties>').encode()


def _word_settings(d) -> None:
    """What Word reads before the text: Italian everywhere, fields refreshed on opening, our own app.xml.

    - language it-IT in the document defaults and in every style that names a language, so Word
      spell-checks in Italian (ECMA-376 §17.3.2.20 w:lang);
    - `w:updateFields`: Word asks to update the fields on opening, so the index gets its page
      numbers (§17.15.1.91); decimal comma and «;» as list separator, as Italian Word has them;
    - docProps/app.xml names this program and no page or word counts (Word computes them);
      the reference file's thumbnail, a picture of an empty page, is dropped.
    """
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    styles = d.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
    if rpr is not None and rpr.find(qn("w:lang")) is None:
        rpr.append(OxmlElement("w:lang"))
    for lang in styles.iter(qn("w:lang")):
        for attr in ("w:val", "w:eastAsia"):
            lang.set(qn(attr), "it-IT")
    settings = d.settings.element
    for tag, value in (("w:themeFontLang", "it-IT"), ("w:decimalSymbol", ","), ("w:listSeparator", ";")):
        el = settings.find(qn(tag))
        if el is not None:
            el.set(qn("w:val"), value)
    for tag in ("w:savePreviewPicture", "w:rsids", "w:updateFields"):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    anchor = next((settings.find(qn(t)) for t in ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat",
                                                  "w:docVars", "w:mathPr", "w:themeFontLang")
                   if settings.find(qn(t)) is not None), None)
    anchor.addprevious(update) if anchor is not None else settings.append(update)
    pkg = d.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[rid]
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = APP_XML


def _soft(text: str) -> str:
    """Markdown's soft line breaks (a source line wrapped by the writer) are spaces."""
    return text.replace("\n", " ")


def _custom_properties(d, props: dict[str, str]) -> None:
    """docProps/custom.xml: the plan's provenance, shown by Word under File → Properties → Custom."""
    from xml.sax.saxutils import escape, quoteattr

    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    items = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name={quoteattr(name)}>'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(props.items(), start=2))
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' + items + "</Properties>")
    package = d.part.package
    part = Part(PackURI("/docProps/custom.xml"), CT.OFC_CUSTOM_PROPERTIES, xml.encode("utf-8"), package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


def render_docx(doc: Document) -> bytes:
    return _Writer(doc).write()
