"""DOCX rendering: a translator over the document tree, writing a Word document native to Word.

`DocxTranslator` has one method per node kind (`visit_Paragraph`, …); a kind it does not know
raises. Every paragraph, run and table names a style of the reference document
`templates/riferimento.docx` (made by scripts/riferimento_docx.py; an Ambito can restyle its Word
output by editing that file in Word): no direct font sizes, fonts or cell shades, lists are Word
numbering, wide tables get landscape sections, the index is a TOC field whose saved result already
has the pages. Text takes the PDF's no-break spaces after «€», «n.», «art.» (render/typography.py).
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm
from docx.text.paragraph import Paragraph

from pdz_docs.document import nodes as n
from pdz_docs.document.measure import CELL_PAD, table_size, text_width
from pdz_docs.finance.table import Table
from pdz_docs.load.refs import link_kind
from pdz_docs.render.html import TEMPLATES
from pdz_docs.render.typography import tie
from pdz_docs.render.zipfix import normalize_zip

REFERENCE = TEMPLATES / "riferimento.docx"
EMU_PER_CSS_PX = 9525   # 914400 EMU to the inch, 96 CSS pixels to the inch


# --- helpers ----------------------------------------------------------------------------

def _field(paragraph, instr: str, placeholder: str = "") -> None:
    """A Word field (PAGE, NUMPAGES…) with a cached result, at the end of the paragraph."""
    for el in (_fld("begin"), _instr(instr), _fld("separate")):
        paragraph._p.append(el)
    paragraph.add_run(placeholder)
    paragraph._p.append(_fld("end"))


@dataclass(frozen=True)
class WordCell:
    text: str
    bold: bool = False
    right: bool = False
    fill: str | None = None     # background where the table style cannot give it (a total inside the body)
    boxes: tuple[n.TickBox, ...] = ()  # tick boxes with their labels, before `text`
    stacked: bool = False          # one tick box a line (else side by side)
    items: tuple[str, ...] = ()    # a bulleted list in the cell (Word list numbering, no typed bullets)


HEADER_FILL, TOTAL_FILL = "E4EAF2", "F3F5F8"
STRONG = '<w:rPr><w:rStyle w:val="Strong"/></w:rPr>'
# table styles of templates/riferimento.docx: header row and last total row (TabellaDati), label column (GrigliaScheda)
DATA, GRID = "TabellaDati", "GrigliaScheda"


def header_row(*texts: str) -> tuple[bool, list[WordCell]]:
    """A header row: bold on the header shade (the table style's first row), repeated on every page."""
    return True, [WordCell(t, bold=True) for t in texts]


W14 = "http://schemas.microsoft.com/office/word/2010/wordml"


def _tick_box(box: n.TickBox, rpr: str) -> str:
    """A locked check-box content control showing ☒/☐: Word and screen readers announce it as a check
    box, checked or not, named by its title (the option and its state in Italian)."""
    title = escape(f"{box.label}: {'selezionato' if box.selected else 'non selezionato'}", {'"': "&quot;"})
    mark = "☒" if box.selected else "☐"
    state = '<w14:checkedState w14:val="2612" w14:font="DejaVu Sans"/>' \
            '<w14:uncheckedState w14:val="2610" w14:font="DejaVu Sans"/>'
    return (f'<w:sdt><w:sdtPr><w:alias w:val="{title}"/><w:lock w:val="sdtContentLocked"/>'
            f'<w14:checkbox xmlns:w14="{W14}"><w14:checked w14:val="{int(box.selected)}"/>{state}</w14:checkbox>'
            f'</w:sdtPr><w:sdtContent><w:r>{rpr}<w:t>{mark}</w:t></w:r></w:sdtContent></w:sdt>')


def _cell_xml(c: WordCell, width: int, small: bool, keep: bool = False) -> str:
    """One cell: its paragraphs named by style (text or figures, normal or small), bold by the Strong style;
    `keep`: each paragraph kept with the next (the row with the row below it)."""
    style = ("CifreTabella" if c.right else "TestoTabella") + ("Fitto" if small else "")
    keep_next = "<w:keepNext/>" if keep else ""
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/>{keep_next}</w:pPr>'
    rpr = STRONG if c.bold else ""
    runs = "<w:r>" + rpr + "<w:br/>".join(f'<w:t xml:space="preserve">{escape(tie(line))}</w:t>'
                                          for line in c.text.split("\n")) + "</w:r>"
    if c.boxes:
        gap = f"<w:r>{rpr}<w:br/></w:r>" if c.stacked else f'<w:r>{rpr}<w:t xml:space="preserve">   </w:t></w:r>'
        runs = gap.join(_tick_box(b, rpr) + f'<w:r>{rpr}<w:t xml:space="preserve"> {escape(b.label)}</w:t></w:r>'
                        for b in c.boxes) + (runs if c.text else "")
    paras = [f"<w:p>{ppr}{runs}</w:p>"] if c.text or c.boxes or not c.items else []
    paras += [f'<w:p><w:pPr><w:pStyle w:val="ElencoTabella"/>{keep_next}</w:pPr><w:r>{rpr}'
              f'<w:t xml:space="preserve">{escape(tie(item))}</w:t></w:r></w:p>' for item in c.items]
    shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{c.fill}"/>' if c.fill else ""
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>{"".join(paras)}</w:tc>'


def _indented(p, left: int, hanging: int = 0) -> None:
    """A paragraph's text starting `left` twentieths of a point in (its first line `hanging` to the left): where
    the text of the list item or quote holding it starts, which its style cannot know."""
    ind = p.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:left"), str(left))
    if hanging:
        ind.set(qn("w:hanging"), str(hanging))


# what follows <w:pBdr> in a <w:pPr> (ECMA-376 Part 1 §17.3.1.26), in order
AFTER_PBDR = tuple(f"w:{t}" for t in (
    "shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
    "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
    "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange").split())

ITEM_INDENT = 170           # the «Elenco tabella» list's indent, twentieths of a point


def _column_bounds(rows: list[tuple[bool, list[WordCell]]], ncols: int, small: bool) -> tuple[list[int], list[int]]:
    """Each column's narrowest width (its widest unbreakable word: an amount with its «€», a header word)
    and its widest line, cell margins included, in twentieths of a point, measured in the font and size
    the cells are set in (document/measure.py)."""
    size = 7.5 if small else 8.5     # «Testo tabella fitto» and «Testo tabella» of the reference document
    low, high = [CELL_PAD] * ncols, [CELL_PAD] * ncols
    for header, cells in rows:
        for j, c in enumerate(cells[:ncols]):
            lines = [(tie(line), 0) for line in c.text.split("\n")] + [(tie(i), ITEM_INDENT) for i in c.items]
            boxes = [f"☐\u00a0{b.label}" for b in c.boxes]
            lines += [(b, 0) for b in boxes] if c.stacked else [("   ".join(boxes), 0)]
            # a line breaks at its spaces, never at the no-break space after «€»; a figure never breaks
            words = lines if c.right and not header else [(w, i) for line, i in lines for w in line.split(" ")]
            low[j] = max([low[j], *(CELL_PAD + i + text_width(w, size, c.bold) for w, i in words)])
            high[j] = max([high[j], *(CELL_PAD + i + text_width(x, size, c.bold) for x, i in lines)])
    return low, high


def _auto_widths(rows: list[tuple[bool, list[WordCell]]], ncols: int, total: int, small: bool) -> list[int]:
    """Column widths as the PDF's automatic table layout gives them (CSS 2.1 §17.5.2.2): each column gets
    at least its widest word and, when there is room, its widest line; the rest is shared in proportion.
    A table whose words alone are wider than `total` is scaled down: the document tree puts such tables
    on landscape pages (`Orientation`), so only one too wide even there comes to this."""
    low, high = _column_bounds(rows, ncols, small)
    if sum(high) <= total:
        extra = total - sum(high)
        return [h + extra * h // sum(high) for h in high]
    if sum(low) >= total:
        return [total * m // sum(low) for m in low]
    spare, stretch = total - sum(low), sum(h - m for h, m in zip(high, low))
    return [m + spare * (h - m) // stretch for h, m in zip(high, low)]


def _table_xml(rows: list[tuple[bool, list[WordCell]]], weights, width_emu: int, small: bool,
               caption: str = "", style: str = DATA, last_total: bool = False, keep: bool = False,
               indent: int = 0) -> str:
    """A native Word table with fixed column widths filling the text width, drawn by a table style.

    Card grids take the given `weights` (label column 32%, as in the PDF); other tables share the width
    by their content, as the PDF's automatic layout does.

    `rows` are (is_header, cells): header rows repeat on every page; no row is split across pages;
    `keep`: the whole table on one page (every row but the last kept with the next, as Word does it);
    `indent` (twentieths of a point): where the text of the quote or list item holding the table starts.
    The style shades the first row (`DATA`: the header) or the first column (`GRID`: the labels), and
    the last row when `last_total`. Written as XML in one go: python-docx's cell-by-cell API is ten
    times slower on a long plan.
    """
    ncols = max(len(cells) for _, cells in rows)
    total = width_emu // 635 - indent   # twentieths of a point
    if style == GRID:
        weights = list(weights) if weights and len(weights) == ncols else [1] * ncols
        widths = [total * w // sum(weights) for w in weights]
    else:
        widths = _auto_widths(rows, ncols, total, small)
    first_row = int(style == DATA and rows[0][0])
    look = 0x20 * first_row + 0x40 * last_total + 0x80 * (style == GRID) + 0x600   # ECMA-376 §17.7.6 tblLook
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{style}"/>'
           f'<w:tblW w:w="{total}" w:type="dxa"/>'
           + (f'<w:tblInd w:w="{indent}" w:type="dxa"/>' if indent else "") + '<w:tblLayout w:type="fixed"/>'
           f'<w:tblLook w:val="{look:04X}" w:firstRow="{first_row}" w:lastRow="{int(last_total)}" '
           f'w:firstColumn="{int(style == GRID)}" '
           'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
           # the table's name for screen readers (Word's "Alt Text" title of a table)
           + (f'<w:tblCaption w:val="{escape(caption, {chr(34): "&quot;"})}"/>' if caption else "")
           + '</w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{w}"/>' for w in widths]
    out.append("</w:tblGrid>")
    for i, (header, cells) in enumerate(rows):
        cells = cells + [WordCell("")] * (ncols - len(cells))
        if header and i > 0:   # a second header row: the style shades only the first
            cells = [WordCell(c.text, True, c.right, HEADER_FILL) for c in cells]
        out.append('<w:tr><w:trPr><w:cantSplit/>' + ('<w:tblHeader/>' if header else "") + "</w:trPr>")
        out += [_cell_xml(c, w, small, keep and i < len(rows) - 1) for c, w in zip(cells, widths)]
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


class WordBuilder:
    """A Word document styled by the reference file: paragraphs, headings, native tables, the page frame.

    Every paragraph and run names a style of `templates/riferimento.docx`; nothing sets a font size,
    a font or a cell shade the styles can give. Shared by the plan and by `pdz diff`'s prospetto.
    """

    def __init__(self):
        self.d = new_docx(str(REFERENCE)) if REFERENCE.is_file() else new_docx()
        self._styles: dict[str, str] = {}
        self._bookmarks = 0
        self._fresh_page = True     # at the top of a page: a page break here would leave an empty page
        self.indent = 0             # tables start this far in (twentieths of a point): inside a quote or a list
        body = self.d.element.body
        for el in list(body):
            if el.tag != qn("w:sectPr"):
                body.remove(el)
        _word_settings(self.d)

    def para(self, text: str = "", style: str | None = None):
        """A paragraph at the end of the body; styles are resolved once by name (python-docx scans them all)."""
        p = self.d.add_paragraph(text)
        self._fresh_page = False
        if style:
            if style not in self._styles:
                self._styles[style] = self.d.styles[style].style_id
            p._p.style = self._styles[style]
        return p

    def heading(self, text: str, level: int, anchor: str = "", new_page: bool = False, style: str = ""):
        """A heading; `anchor` (the HTML's id) becomes a bookmark the index links to."""
        fresh = self._fresh_page
        p = self.para(text, style or f"Heading {level}")
        if new_page and not fresh:
            p.paragraph_format.page_break_before = True
        if anchor:
            self.bookmark(p, anchor)
        return p

    def bookmark(self, p, anchor: str, name: str = "") -> str:
        """A bookmark around the paragraph's text so far, the target of the index's entry for `anchor`
        (or named `name`)."""
        self._bookmarks += 1
        name = name or _toc_name(anchor)
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(self._bookmarks))
        start.set(qn("w:name"), name)
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(self._bookmarks))
        ppr = p._p.pPr
        ppr.addnext(start) if ppr is not None else p._p.insert(0, start)
        p._p.append(end)
        return name

    def width(self) -> int:
        """The text width of the current section, in EMU."""
        sec = self.d.sections[-1]
        return sec.page_width - sec.left_margin - sec.right_margin

    def page_frame(self, header: str, cover: bool = False) -> None:
        """A4 portrait with the reference file's margins, the running header and "pag. N di M" in the
        footer (not on a cover page); header and footer paragraphs take the Header and Footer styles."""
        sec = self.d.sections[0]
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        sec.different_first_page_header_footer = cover
        hp = sec.header.paragraphs[0]
        hp.text = header
        hp.style = self.d.styles["Header"]
        fp = sec.footer.paragraphs[0]
        fp.style = self.d.styles["Footer"]
        fp.add_run("pag. ")
        _field(fp, "PAGE", "1")
        fp.add_run(" di ")
        _field(fp, "NUMPAGES", "1")

    def add_table(self, rows: list[tuple[bool, list[WordCell]]], weights=(), size: float = 8.5,
                  caption: str = "", style: str = DATA, last_total: bool = False, keep: bool = False):
        """A table (its w:tbl element); `size` below 8 points takes the small table styles (tables with many
        money columns); `keep`: not divided between two pages."""
        tbl = parse_xml(_table_xml(rows, weights, self.width(), size < 8, caption, style, last_total, keep,
                                   self.indent))
        body = self.d.element.body
        body.sectPr.addprevious(tbl) if body.sectPr is not None else body.append(tbl)
        self._fresh_page = False
        return tbl

    def caption(self, number: int, title: str = ""):
        """A table's caption (the Caption style, kept with the table). A numbered table's caption opens with
        «Tabella n. N», N a SEQ field as Word's Insert Caption writes it, under a bookmark the citations of the
        number refer to (`table_bookmark`)."""
        p = self.para(style="Caption")
        if number:
            p.add_run(n.table_label(number).removesuffix(str(number)).rstrip() + "\u00a0")   # «Tabella n.»
            _field(p, "SEQ Tabella \\* ARABIC", str(number))
            self.bookmark(p, "", table_bookmark(number))
            if title:
                p.add_run(" – ")
        if title:
            p.add_run(title)
        return p

    def captioned(self, title: str, rows, weights, size: float = 8.5, note: str | None = None,
                  last_total: bool = False, keep: bool = False, number: int = 0) -> None:
        """A table under its caption if it has a title or a number (kept with it on the same page), and the
        source note if any; `keep`: the table not divided between two pages; `number`: its number in the
        document (0: none)."""
        if title or number:
            self.caption(number, title)
        self.add_table(rows, weights, size, title, last_total=last_total, keep=keep)
        self.para(f"Fonte: {note}", "Fonte tabella") if note else self.para()

    def new_section(self, landscape: bool):
        """A section starting on a new page, with the running header and footer on every page of it."""
        sec = self.d.add_section()
        sec.different_first_page_header_footer = False
        # the same header and footer named explicitly, so no reader depends on inheriting them
        first = self.d.sections[0]._sectPr
        refs = [r for r in first if r.tag in (qn("w:headerReference"), qn("w:footerReference"))
                and r.get(qn("w:type")) == "default"]
        for ref in [r for r in sec._sectPr if r.tag in (qn("w:headerReference"), qn("w:footerReference"))]:
            sec._sectPr.remove(ref)
        for ref in reversed(refs):
            sec._sectPr.insert(0, copy.deepcopy(ref))
        sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
        # the PDF's margins: 18/16 mm landscape (the wide tables' room), 22/18/20/20 mm portrait
        sec.top_margin, sec.right_margin, sec.bottom_margin, sec.left_margin = \
            (Mm(18), Mm(16), Mm(18), Mm(16)) if landscape else (Mm(22), Mm(18), Mm(20), Mm(20))
        self._fresh_page = True
        return sec

    def save(self, title: str, author: str, subject: str, keywords: str = "", comments: str = "",
             custom: dict[str, str] | None = None) -> bytes:
        """The DOCX bytes, with no dates in the properties and fixed zip timestamps: same content, same bytes."""
        cp = self.d.core_properties
        cp.title, cp.author, cp.subject, cp.language = title, author, subject, "it-IT"
        cp.keywords, cp.comments = keywords, comments
        cp.last_modified_by = "pdz-docs"
        cp.revision = 1
        # no creation or modification date: the same content gives the same bytes, and a made-up date
        # (the template's, or a fixed one) would be read as when the plan was written
        for tag in ("dcterms:created", "dcterms:modified"):
            for el in cp._element.findall(qn(tag)):
                cp._element.remove(el)
        if custom:
            _custom_properties(self.d, custom)
        buf = io.BytesIO()
        self.d.save(buf)
        return normalize_zip(buf.getvalue())


class DocxTranslator(WordBuilder):
    """Nodes → a Word document. `render(node)` appends what the node prints and returns the OOXML
    elements it added (body paragraphs and tables; runs for inline nodes; a table's cells for the
    parts of a card's tables)."""

    def __init__(self, pages: Mapping[str, int] | None = None):
        super().__init__()
        self.pages = pages or {}
        self.p = None              # the paragraph inline nodes write into
        self.bold = self.italic = self.strike = self.link = False
        self.in_heading = False    # writing a heading's runs: code takes the heading's size
        self.quote = 0             # inside a quote: paragraphs take the Quote style, «Quote 2» in a quote's quote
        self.landscape = False     # inside a chapter, in a landscape section opened for wide tables
        self.notes: int | None = None   # the numbering of the chapter's notes being written
        self.indexed: set[str] = set()  # anchors of the «###» headings the index lists (its level-3 entries)

    def render(self, node: n.Node) -> list:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise TypeError(f"DocxTranslator: node kind {type(node).__name__} not handled")
        return method(node)

    def all(self, nodes) -> list:
        return [el for x in nodes for el in self.render(x)]

    def added(self, start: int) -> list:
        """The body elements appended since the body had `start` of them (the section properties aside)."""
        return [el for el in list(self.d.element.body)[start:] if el.tag != qn("w:sectPr")]

    def mark(self) -> int:
        return len(self.d.element.body) - (self.d.element.body.sectPr is not None)

    # --- inline: runs into the current paragraph --------------------------------------
    def target(self):
        if self.p is None:
            self.p = self.para()
        return self.p

    def run(self, text: str, superscript: bool = False, style: str | None = None) -> list:
        """A run of text; bold and italic are the Strong and Emphasis character styles, a link's words the
        Hyperlink style (a run has one style: bold inside italic, or either inside code or a link, adds the
        other as a property)."""
        r = self.target().add_run(text if style in ("HTMLCode", "CodiceTitolo") else tie(text))   # code verbatim
        style = style or ("Hyperlink" if self.link else
                          "Strong" if self.bold else "Emphasis" if self.italic else None)
        if style:
            rpr = r._r.get_or_add_rPr()
            el = OxmlElement("w:rStyle")
            el.set(qn("w:val"), style)
            rpr.insert(0, el)
            if self.bold and style != "Strong":
                rpr.append(OxmlElement("w:b"))
            if self.italic and style != "Emphasis":
                rpr.append(OxmlElement("w:i"))
        if self.strike:
            r.font.strike = True
        if superscript:
            r.font.superscript = True
        return [r._r]

    def styled(self, children, **state) -> list:
        saved = {k: getattr(self, k) for k in state}
        for k, v in state.items():
            setattr(self, k, v)
        try:
            return self.all(children)
        finally:
            for k, v in saved.items():
                setattr(self, k, v)

    def visit_Text(self, x: n.Text) -> list:
        return self.run(x.text)

    def visit_Emphasis(self, x: n.Emphasis) -> list:
        return self.styled(x.children, italic=True)

    def visit_Strong(self, x: n.Strong) -> list:
        return self.styled(x.children, bold=True)

    def visit_Strike(self, x: n.Strike) -> list:
        return self.styled(x.children, strike=True)

    def visit_Code(self, x: n.Code) -> list:
        return self.run(x.text, style="CodiceTitolo" if self.in_heading else "HTMLCode")

    def visit_Link(self, x: n.Link) -> list:
        """A Word hyperlink: to a bookmark of the document (#…) or to an address kept by load/refs.py."""
        if x.href.startswith("#"):
            link = parse_xml(f'<w:hyperlink {nsdecls("w")} w:anchor="{_toc_name(x.href[1:])}"/>')
        elif link_kind(x.href) == "ok":
            from docx.opc.constants import RELATIONSHIP_TYPE as RT

            rid = self.target().part.relate_to(x.href, RT.HYPERLINK, is_external=True)
            link = parse_xml(f'<w:hyperlink {nsdecls("w", "r")} r:id="{rid}"/>')
        else:
            return self.all(x.children)
        if x.title:
            link.set(qn("w:tooltip"), x.title)
        # the link's words with their emphasis, each run in the Hyperlink style
        for r in self.styled(x.children, link=True):
            link.append(r)
        self.target()._p.append(link)
        return [link]

    def visit_Image(self, x: n.Image) -> list:
        """A normalised picture of the plan (load/media.py), at its printed size, at most the text width."""
        pic = x.picture
        width, height = pic.width * EMU_PER_CSS_PX, pic.height * EMU_PER_CSS_PX
        if width > self.width():
            width, height = self.width(), height * self.width() // width
        run = self.target().add_run()
        shape = run.add_picture(io.BytesIO(pic.data), width=width or None, height=height or None)
        shape._inline.docPr.set("descr", x.alt)   # Word's alt text, read by screen readers
        for side in ("distL", "distR", "distT", "distB"):   # in the line as the PDF sets it (LibreOffice
            shape._inline.set(side, "0")                   # reads no distance as 3 mm on each side)
        if x.title:
            shape._inline.docPr.set("title", x.title)
        return [run._r]

    def visit_FigureRef(self, x: n.FigureRef) -> list:
        return self.run(x.text)

    def visit_TableRef(self, x: n.TableRef) -> list:
        """«Tabella n. N»: a REF field to the table's caption (a link to it, `\\h`), the number as its saved result."""
        if not x.number:
            return self.run(x.text)
        p = self.target()._p
        begin = [_fld("begin"), _instr(f"REF {table_bookmark(x.number)} \\h"), _fld("separate")]
        for el in begin:
            p.append(el)
        result = self.run(x.text)
        end = _fld("end")
        p.append(end)
        return [*begin, *result, end]

    def visit_FootnoteRef(self, x: n.FootnoteRef) -> list:
        return self.run(str(x.number), superscript=True)

    def visit_LineBreak(self, x: n.LineBreak) -> list:
        r = self.target().add_run()
        r.add_break()
        return [r._r]

    # --- blocks ---------------------------------------------------------------------------
    def paragraph(self, runs, style: str | None = None) -> list:
        self.p = self.para(style=style or self.quote_style())
        self.all(runs)
        p, self.p = self.p, None
        return [p._p]

    def visit_Paragraph(self, x: n.Paragraph) -> list:
        return self.paragraph(x.runs)

    def visit_Heading(self, x: n.Heading) -> list:
        # the heading's runs as the PDF prints them (emphasis, links, note calls), then the bookmark around
        # them that the index's entry links to. A «###» the index lists takes the style its TOC field
        # collects at level 3 (visit_Toc)
        indexed = x.level == 3 and x.anchor in self.indexed
        anchor = x.anchor if x.level < 3 or indexed else ""
        runs = x.runs or (n.Text(x.title),)
        if x.number:   # the number in the title's first run: a plain title stays one run, as the index's entry
            first = runs[0] if isinstance(runs[0], n.Text) else n.Text("")
            runs = (n.Text(f"{x.number} {first.text}"), *runs[first is runs[0]:])
        self.p = self.heading("", x.level, style="Titolo voce indice" if indexed else "")
        self.styled(runs, in_heading=True)
        p, self.p = self.p, None
        if anchor:
            self.bookmark(p, anchor)
        if self.quote:   # a heading in a quote: the quote's bar, as the PDF draws the blockquote
            bar = copy.deepcopy(self.d.styles["Quote"].element.pPr.find(qn("w:pBdr")))
            p._p.get_or_add_pPr().insert_element_before(bar, *AFTER_PBDR)
        if self.indent:  # in a quote or a list item: where their text starts
            _indented(p._p, self.indent)
        return [p._p]

    def visit_List(self, x: n.List, level: int = 0) -> list:
        """A list; each numbered list is its own Word list, restarting at its first number."""
        style = ("List Number" if x.ordered else "List Bullet") + (f" {min(level + 1, 3)}" if level else "")
        num = self.restart(style, x.start) if x.ordered else None
        out = []
        for item in x.items:
            out += self.item(item, style, num, level)
        return out

    def item(self, x: n.ListItem, style: str, num: int | None, level: int) -> list:
        # where the item's text starts: its list style's indent, further in inside a quote, and one step
        # further for each level deeper than the three of the list styles
        step = self.indent_of("List Bullet 2") - self.indent_of("List Bullet")
        left = self.indent + self.indent_of(style) + max(0, level - 2) * step
        out, first = [], True
        for b in x.blocks:
            if isinstance(b, n.List):
                out += self.visit_List(b, level + 1)
            elif isinstance(b, (n.Paragraph, n.Heading)) and first:
                # a heading opening the item («- ### Titolo») keeps its style, and takes the item's bullet or
                # number and indents, which the list style would have given a paragraph
                heading = isinstance(b, n.Heading)
                out += self.render(b) if heading else self.paragraph(b.runs, style)
                if num is not None or heading:
                    ppr = out[-1].get_or_add_pPr()
                    ppr.get_or_add_numPr().get_or_add_numId().val = \
                        self.d.styles[style].element.pPr.numPr.numId.val if num is None else num
                    ppr.numPr.get_or_add_ilvl().val = 0
                if heading or left != self.indent_of(style):   # the number hanging as the style has it
                    _indented(out[-1], left, self.hanging_of(style))
                first = False
            elif isinstance(b, n.Paragraph):          # a loose item's further paragraph, under its text
                out += self.paragraph(b.runs, "List Continue")
                if left != self.indent_of("List Continue"):
                    _indented(out[-1], left)
            else:   # a table or code in the item starts where the item's text starts
                saved, self.indent = self.indent, left
                try:
                    out += self.render(b)
                finally:
                    self.indent = saved
        return out

    def visit_ListItem(self, x: n.ListItem) -> list:
        return self.item(x, "List Bullet", None, 0)

    def restart(self, style: str, start: int) -> int:
        """A new Word numbering instance of the style's list definition, starting at `start`."""
        numbering = self.d.part.numbering_part.element
        style_num = self.d.styles[style].element.pPr.numPr.numId.val
        abstract = next(m.abstractNumId.val for m in numbering.num_lst if m.numId == style_num)
        num = numbering.add_num(abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(start)
        return num.numId

    def quote_style(self) -> str | None:
        return None if not self.quote else "Quote" if self.quote == 1 else f"Quote {min(self.quote, 3)}"

    def indent_of(self, style: str) -> int:
        """Where the text of a paragraph of `style` starts (twentieths of a point): its own indent, or its
        list level's in the numbering definitions (list styles)."""
        st = self.d.styles[style]
        if st.paragraph_format.left_indent is not None:
            return st.paragraph_format.left_indent // 635
        ind = self._list_ind(style)
        return int(ind.get(qn("w:left"))) if ind is not None else 0

    def hanging_of(self, style: str) -> int:
        """How far a list style's number or bullet hangs left of its text."""
        ind = self._list_ind(style)
        return int(ind.get(qn("w:hanging"), 0)) if ind is not None else 0

    def _list_ind(self, style: str):
        """The indentation of a list style's level in the numbering definitions (None: not a list style)."""
        ppr = self.d.styles[style].element.pPr
        if ppr is None or ppr.numPr is None:
            return None
        numbering = self.d.part.numbering_part.element
        abstract = next(m.abstractNumId.val for m in numbering.num_lst if m.numId == ppr.numPr.numId.val)
        ind = numbering.xpath(f'w:abstractNum[@w:abstractNumId="{abstract}"]/w:lvl[@w:ilvl="0"]/w:pPr/w:ind')
        return ind[0] if ind else None

    def visit_Quote(self, x: n.Quote) -> list:
        """A quote; one inside it takes the next Quote style, further in. A table in it starts where its text
        starts (Word draws the bar of paragraphs only: the table lines up under the quoted text)."""
        saved = self.indent
        self.quote += 1
        self.indent = self.indent_of(self.quote_style())
        try:
            return self.all(x.blocks)
        finally:
            self.quote -= 1
            self.indent = saved

    def visit_CodeBlock(self, x: n.CodeBlock) -> list:
        """One paragraph in the «Codice» style, its lines split by line breaks (python-docx writes «\\n» as
        <w:br/>): Word sees one block, spaced as one, kept on one page; in a list item or a quote it starts
        where their text starts (as the PDF's <pre>)."""
        p = self.para(x.text.rstrip("\n"), "Codice")._p
        if self.indent:
            _indented(p, self.indent)
        return [p]

    def visit_Rule(self, x: n.Rule) -> list:
        return [self.para(style="Separatore")._p]   # a thematic break: an empty paragraph with a rule under it

    def visit_MarkdownTable(self, x: n.MarkdownTable) -> list:
        start = self.mark()
        right = [a == "right" for a in x.alignments]
        rows = [(True, [WordCell(n.plain(c).strip(), bold=True, right=r) for c, r in zip(x.header, right)])]
        rows += [(False, [WordCell(n.plain(c).strip(), right=r) for c, r in zip(row, right)]) for row in x.rows]
        if x.caption:   # the writer's caption, with its emphasis and links
            self.p = self.caption(x.number)
            self.p.add_run(" – ")
            self.all(x.caption)
            self.p = None
        tbl = self.add_table(rows, size=9, caption=n.plain(x.caption).strip()
                             or " – ".join(n.plain(c).strip() for c in x.header), keep=x.whole)
        # the cells' runs as in a paragraph (emphasis, links, note calls), each cell aligned as written
        for tr, (head, cells) in zip(tbl.iter(qn("w:tr")), [(True, x.header), *((False, r) for r in x.rows)]):
            for tc, runs, align in zip(tr.iter(qn("w:tc")), cells, x.alignments):
                p = tc.find(qn("w:p"))
                for r in p.findall(qn("w:r")):
                    p.remove(r)
                if align == "center":
                    p.pPr.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="center"/>'))
                self.p = Paragraph(p, self.d._body)
                self.styled(runs, bold=head)
                self.p = None
        self.para()
        return self.added(start)

    def visit_ComputedTable(self, x: n.ComputedTable) -> list:
        start = self.mark()
        self.table(x.table, x.number, keep=x.whole)
        return self.added(start)

    def table(self, tab: Table, number: int = 0, keep: bool = False) -> None:
        """A computed table: subtotals bold, the last total row the table style's last row, a total
        inside the body shaded; headers over figures stand right, over their figures; `keep`: on one page."""
        kinds = tab.row_kinds
        figures = {j for j, c in enumerate(tab.rows[0] if tab.rows else ()) if c.numeric}
        rows = [header_row(*hrow) for hrow in tab.header[:-1]]
        rows += [(True, [WordCell(h, bold=True, right=j in figures) for j, h in enumerate(hrow)])
                 for hrow in tab.header[-1:]]
        last = len(tab.body) - 1
        rows += [(False, [WordCell(c.text, bold=kind != "data", right=c.numeric,
                                   fill=TOTAL_FILL if kind == "total" and i != last else None) for c in values])
                 for i, (values, kind) in enumerate(zip(tab.body, kinds))]
        self.captioned(tab.title, rows, tab.widths, table_size(tab.ncols), tab.note,
                       last_total=bool(kinds) and kinds[-1] == "total", number=number, keep=keep)

    def visit_Orientation(self, x: n.Orientation) -> list:
        """Wide tables on landscape pages; consecutive ones share their section (no page between)."""
        start = self.mark()
        if x.landscape and not self.landscape:
            self.new_section(landscape=True)
            self.landscape = True
        elif not x.landscape:
            self.portrait()
        self.all(x.blocks)
        return self.added(start)

    def portrait(self) -> None:
        """Back to portrait after wide tables in a chapter."""
        if self.landscape:
            self.new_section(landscape=False)
            self.landscape = False

    def visit_Footnotes(self, x: n.Footnotes) -> list:
        """The chapter's notes under their title, numbered as called in the text."""
        start = self.mark()
        self.para("Note", "Titolo note")
        self.notes = self.restart("List Number", min((f.number for f in x.notes), default=1))
        self.all(x.notes)
        self.notes = None
        return self.added(start)

    def visit_Footnote(self, x: n.Footnote) -> list:
        num = self.notes or self.restart("List Number", x.number)
        return self.item(n.ListItem(x.blocks, loc=x.loc), "List Number", num, 0)

    # --- cards ----------------------------------------------------------------------------
    def grid(self, rows: list[tuple[str, str | WordCell]], keep: bool = False) -> None:
        """A card's labels and values; `keep`: on one page, as the PDF keeps a service's block."""
        self.add_table([(False, [WordCell(label, bold=True),
                                 value if isinstance(value, WordCell) else WordCell(value)]) for label, value in rows],
                       (32, 68), 9, " – ".join(label for label, _ in rows), style=GRID, keep=keep)

    def gap(self) -> None:
        """The small space between two tables of a card (an empty paragraph: Word joins adjacent tables)."""
        self.para(style="Spazio tra tabelle")

    def visit_Cards(self, x: n.Cards) -> list:
        return self.all(x.cards)

    def visit_Card(self, c: n.Card) -> list:
        """The regional card as the PDF draws it, in its words (`Card.labels`): label grids, the objectives'
        and services' tables under their headers, the programming under its caption."""
        start, k = self.mark(), c.labels
        # cards follow one another, as in the PDF (a page each would leave pages nearly empty, and the DOCX
        # would run 14 pages longer than the PDF whose pages its index shows); heading and first grid together
        title = self.heading("", 3, style="Titolo scheda")   # a rule above, the code on blue, as in the PDF
        title.add_run(f"\u00a0{c.codice}\u00a0", "Codice scheda")
        title.add_run(f" {c.titolo}")
        self.bookmark(title, c.anchor)
        self.grid([(k.scheda, c.codice), (k.titolo, c.titolo), (k.priorita, WordCell("", boxes=c.priorita)),
                   (k.aree, WordCell("", boxes=c.aree, stacked=True))], keep=True)
        self.gap()
        self.add_table([header_row(*k.obiettivi), *self.all(c.obiettivi)], caption=" – ".join(k.obiettivi))
        self.gap()
        self.grid([(k.risultati, WordCell("" if c.risultati else "—", items=c.risultati))])
        self.gap()
        self.add_table([header_row(*k.servizi), *[(False, [WordCell(s.name), WordCell(s.reference)]) for s in c.servizi]],
                       caption=" – ".join(k.servizi))
        self.gap()
        self.grid([(k.valenza, WordCell(f"  {c.valenza_altro}" if c.valenza_altro else "", boxes=c.valenza)),
                   (k.gestione, WordCell(f"  {c.gestione_altro}" if c.gestione_altro else "", boxes=c.gestione)),
                   (k.riferimento, f"{k.macro} {c.macro[0]} – {c.macro[1]}\n"
                                   f"{k.intervento} {c.intervento[0]} – {c.intervento[1]}")])
        self.captioned(k.programmazione, [header_row(*k.colonne), *self.all(c.programmazione),
                                          (False, [WordCell(k.totale, bold=True), WordCell(c.totale, bold=True, right=True),
                                                   WordCell("", bold=True)])],
                       (16, 24, 60), last_total=True, keep=True)
        self.all(c.servizi)
        return self.added(start)

    def visit_Objective(self, x: n.Objective) -> list:
        """A row of the card's table of thematic objectives."""
        return [(False, [WordCell(x.area), WordCell(x.letter), WordCell(x.title)])]

    def visit_Funding(self, x: n.Funding) -> list:
        """A row of the card's «Programmazione economica» table: the year ticked, amount, sources."""
        return [(False, [WordCell("", boxes=(n.TickBox(x.year, True),)), WordCell(x.amount, right=True),
                         WordCell(x.sources)])]

    def visit_Service(self, s: n.Service) -> list:
        """A service's details under its name."""
        start = self.mark()
        self.para(s.name, "Caption")
        utenza, k = s.utenza + (f" (n. {s.numero_utenti} utenti)" if s.numero_utenti is not None else ""), s.labels
        self.grid([(k.utenza, utenza), (k.documenti, WordCell("", items=s.documenti)),
                   (k.operatori, WordCell("", items=s.operatori)), (k.azioni, WordCell("", items=s.azioni))], keep=True)
        self.para()
        return self.added(start)

    def visit_TickBox(self, x: n.TickBox) -> list:
        """A tick box on a line of its own (in the cards, tick boxes sit in table cells)."""
        p = self.para(style="Testo tabella")
        for el in parse_xml(f'<w:p {nsdecls("w")}>{_tick_box(x, "")}<w:r><w:t xml:space="preserve"> '
                            f'{escape(x.label)}</w:t></w:r></w:p>'):
            p._p.append(el)
        return [p._p]

    # --- the document ---------------------------------------------------------------------
    def visit_Cover(self, x: n.Cover) -> list:
        start = self.mark()
        for name in [x.comuni_in_line] if x.comuni_in_line else x.comuni:
            self.para(name, "Copertina Comune")     # the style sets it in capitals
        self.para(f"Ambito Territoriale Sociale di {x.ambito}", "Copertina Ambito")
        self.para(f"Provincia di {x.provincia}", "Copertina Provincia")
        # the plan's title is the document's Title paragraph (what screen readers announce as such)
        self.para(x.title, "Title")
        self.para(f"Programmazione {x.ciclo}", "Copertina Ciclo")
        return self.added(start)

    def visit_TocEntry(self, x: n.TocEntry) -> list:
        """An entry of the index: its text and page, linked to its heading's bookmark (a sub-item the plan
        has no heading for: its text alone)."""
        p = self.para(style=f"toc {x.level}")
        if not x.anchor:
            p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t xml:space="preserve">{escape(x.text)}</w:t></w:r>'))
            return [p._p]
        page = str(self.pages.get(x.anchor, ""))
        text = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>'
                              for line in self.toc_lines(x.text, f"toc {x.level}", page))
        p._p.append(parse_xml(f'<w:hyperlink {nsdecls("w")} w:anchor="{_toc_name(x.anchor)}" w:history="1">'
                              f'<w:r>{text}</w:r><w:r><w:tab/></w:r>'
                              f'<w:r><w:t>{page}</w:t></w:r></w:hyperlink>'))
        return [p._p]

    def toc_lines(self, text: str, style: str, page: str) -> list[str]:
        """An index entry's text in lines, so that its last line leaves room for the dots and the page number:
        a title that would fill the line to the margin otherwise gets its number glued to its last word
        («servizi9») or a line of dots alone. Lines are broken as the reader will (at spaces, measured in the
        entry style's font, size and indents, document/measure.py); when the last one has no room left, its last
        word goes to a line of its own."""
        st = self.d.styles[style]
        size, bold = st.font.size.pt, bool(st.font.bold)
        left = (st.paragraph_format.left_indent or 0) // 635
        first = left + (st.paragraph_format.first_line_indent or 0) // 635
        width, space = self.width() // 635, text_width(" ", size, bold)
        lines: list[list[str]] = [[]]
        used = 0     # the width of the last line so far
        for word in text.split(" "):
            w = text_width(word, size, bold)
            room = width - (first if len(lines) == 1 else left)
            if lines[-1] and used + space + w > room:
                lines.append([])
                used = 0
            used += (space if lines[-1] else 0) + w
            lines[-1].append(word)
        room = width - (first if len(lines) == 1 else left)
        if len(lines[-1]) > 1 and used + text_width(" ... " + page, size, bold) > room:
            words = text.split(" ")
            return [" ".join(words[:-1]), words[-1]]    # the last word on a line of its own, with the number
        return [text]

    def visit_Toc(self, x: n.Toc) -> list:
        """The index: a TOC field (Word rebuilds it on opening, `updateFields`) whose saved result already
        lists every entry with its page, so a reader that does not rebuild it (LibreOffice, a viewer) shows
        it whole. Pages come from the PDF's layout of the same document (`pages`, anchor → page): the DOCX
        sets the same text in the same fonts, sizes, margins and column widths, so the pages agree where
        the two engines break alike: exact on the test plans and through chapter II of the default plan,
        further on they drift apart where LibreOffice and WeasyPrint break long tables and cards differently
        (BENCHMARKS.md has both page counts of the default plan). Word's own rebuild takes headings 1–2 and, at
        level 3, the «###» headings the regional index lists (style «Titolo voce indice», `\\t`; «;» is the
        document's list separator)."""
        start = self.mark()
        self.indexed = {e.anchor for e in x.entries if e.level == 3 and e.anchor}
        self.heading("Indice", 1, new_page=True).style = self.d.styles["TOC Heading"]
        entries = self.all(x.entries)
        begin = [_fld("begin"), _instr('TOC \\o "1-2" \\h \\z \\u \\t "Titolo voce indice;3"'), _fld("separate")]
        for el in reversed(begin):
            entries[0].pPr.addnext(el)
        entries[-1].append(_fld("end"))
        return self.added(start)

    def visit_Chapter(self, x: n.Chapter) -> list:
        start = self.mark()
        self.heading(x.heading, 1, x.anchor, new_page=True)
        for b in x.blocks:
            if not (isinstance(b, n.Orientation) and b.landscape):
                self.portrait()
            self.render(b)
        self.portrait()
        return self.added(start)

    def visit_Annex(self, x: n.Annex) -> list:
        start = self.mark()
        self.new_section(landscape=True)
        self.heading(x.title, 1, x.anchor)
        for t in x.tables:
            self.table(t.table, t.number)
        return self.added(start)

    def da_completare(self, doc: n.Document) -> None:
        """The draft apparatus (the HTML's templates/da_completare.html.j2): «BOZZA» above the running header
        of every page, the cover's included, and a last page listing what is still missing. Nothing when
        definitive."""
        if not doc.bozza:
            return
        first = self.d.sections[0]
        headers = [first.header] + ([first.first_page_header] if first.different_first_page_header_footer else [])
        for header in headers:   # every later section names the same header parts
            header.is_linked_to_previous = False
            header.paragraphs[0]._p.addprevious(OxmlElement("w:p"))
            p = header.paragraphs[0]
            p.style = self.d.styles["Segno bozza"]
            p.add_run("BOZZA")
        # on portrait pages, as in the PDF: after the landscape annexes, a portrait section again
        if self.d.sections[-1].orientation == WD_ORIENT.LANDSCAPE:
            self.new_section(landscape=False)
        self.heading(n.DA_COMPLETARE_TITLE, 1, n.DA_COMPLETARE_ANCHOR, new_page=True)
        if not doc.da_completare:
            self.para("Questo documento è una bozza. Non risultano elementi da completare: il documento definitivo si "
                      "produce con «stato: definitivo» in piano.yaml o con pdz build --definitivo.")
            return
        self.para("Questo documento è una bozza. Prima della stesura definitiva vanno completati gli elementi "
                  "seguenti, ciascuno con la parte del piano e il file e la riga in cui si scrive.")
        rows = [header_row("Parte del piano", "Da completare", "File e riga")]
        rows += [(False, [WordCell(e.parte), WordCell(e.cosa), WordCell(e.posizione)]) for e in doc.da_completare]
        self.captioned(f"Elementi da completare ({len(doc.da_completare)})", rows, (3, 5, 2), size=8)

    def visit_Document(self, doc: n.Document) -> list:
        start = self.mark()
        self.page_frame(doc.cover.running_title, cover=True)
        self.render(doc.cover)
        self.render(doc.toc)
        self.all(doc.chapters)
        self.render(doc.annex)
        self.da_completare(doc)
        # provenance: a small line under the last table, not a page of its own
        self.para(f"Documento prodotto con pdz-docs dai file del piano. Revisione: {doc.provenance.text}.",
                  "Provenienza")
        return self.added(start)


    def visit_Report(self, x: n.Report) -> list:
        """A report on the plan: the Ambito's heading in the cover's styles, the blocks, the closing line."""
        start = self.mark()
        self.page_frame(x.running_title)
        if x.attachment:
            self.para(x.attachment).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.para(f"Ambito Territoriale Sociale di {x.ambito}", "Copertina Comune")
        self.para(f"Provincia di {x.provincia}", "Copertina Provincia")
        self.para(x.title, "Title")
        self.para(x.subtitle, "Copertina Ciclo")
        self.all(x.blocks)
        if x.closing:
            self.para(x.closing, "Provenienza")
        return self.added(start)


def _toc_name(anchor: str) -> str:
    """The bookmark of a heading the index points to: Word's «_Toc» names, letters, digits and «_» only."""
    return "_Toc_" + re.sub(r"\W", "_", anchor)[:35]


def table_bookmark(number: int) -> str:
    """The bookmark of a numbered table's «Tabella n. N» (one per number: never two alike)."""
    return f"_RefTabella{number}"


def _fld(kind: str):
    return parse_xml(f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="{kind}"/></w:r>')


def _instr(text: str):
    return parse_xml(f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve"> {escape(text)} </w:instrText></w:r>')


APP_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           '<Application>pdz-docs</Application><DocSecurity>0</DocSecurity></Properties>').encode()


def _word_settings(d) -> None:
    """What Word reads before the text: Italian everywhere, fields refreshed on opening, our own app.xml.

    - language it-IT in the document defaults and in every style that names a language, so Word
      spell-checks in Italian (ECMA-376 §17.3.2.20 w:lang);
    - `w:updateFields`: Word asks to update the fields on opening, so the index gets its page
      numbers (§17.15.1.91); decimal comma and «;» as list separator, as Italian Word has them;
    - `w:doNotExpandShiftReturn`: a line ended by a hard break (two spaces or `\\` in the Markdown)
      is not stretched across a justified paragraph, as in the PDF (§17.15.3.6);
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
    compat = settings.find(qn("w:compat"))
    if compat is None:
        compat = OxmlElement("w:compat")
        settings.append(compat)
    if compat.find(qn("w:doNotExpandShiftReturn")) is None:
        compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))
    pkg = d.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[rid]
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = APP_XML


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


def render_docx(doc: n.Document | n.Report, pages: Mapping[str, int] | None = None) -> bytes:
    """The plan (or a report on it) as a Word document; `pages` (anchor → page, from the PDF's layout)
    fills the plan's index."""
    t = DocxTranslator(pages)
    t.render(doc)
    author = f"Ambito Territoriale Sociale di {doc.ambito}"
    if isinstance(doc, n.Report):
        return t.save(f"{doc.title} – {doc.subtitle} – {author}", author, doc.description)
    return t.save(f"{doc.title} {doc.ciclo} – Ambito Territoriale Sociale di {doc.ambito}",
                  f"Ambito Territoriale Sociale di {doc.ambito}", f"{doc.title} {doc.ciclo}",
                  doc.keywords, f"Revisione: {doc.provenance.text}", doc.provenance.properties)
