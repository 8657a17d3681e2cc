"""Writes templates/riferimento.docx: the Word styles, list definitions and embedded fonts of the DOCX.

The DOCX renderer (pdz_docs/render/docx.py) starts from this file and only names its styles, so
an Ambito can restyle its Word output by editing the file in Word; this script is how the file
is made in the first place (run `.venv/bin/python scripts/riferimento_docx.py`).

Fonts: the PDF is set in DejaVu Serif (text) and DejaVu Sans (headings, tables). DejaVu is not on
Windows or Office machines, so the faces are embedded here (ECMA-376 Part 1 §17.8.1: obfuscated
font parts named in fontTable.xml, `w:embedTrueTypeFonts` in settings.xml): Word and LibreOffice
show and paginate the DOCX with the same metrics as the PDF. The faces are subset to the
characters an Italian plan uses (Latin-1, Latin Extended-A, punctuation, €, tick boxes, Greek
letters, common mathematical signs such as ≥, arrows, fractions), so the embedded fonts add about
200 KB; a writer can still type any of those characters in Word. A character of a plan outside
them is a located warning (pdz_docs/checks/glyphs.py), since Word would show an empty box.
No theme fonts anywhere (a theme font would win over the named family).
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "templates" / "riferimento.docx"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

SERIF, SANS, MONO = "DejaVu Serif", "DejaVu Sans", "Courier New"
BLUE, GREY, RULE = "1D3A5F", "555555", "8A97A8"
HEADER_FILL, TOTAL_FILL = "E4EAF2", "F3F5F8"
QUOTE_BAR = "B8C4D4"          # templates/piano.css: blockquote's border
TEXT_WIDTH = 9751          # A4 portrait, 20 mm + 18 mm margins, in twentieths of a point
FACES = {                  # family → (regular, bold, italic, bold italic) files
    SERIF: ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf"),
    SANS: ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"),
}
EMBED = ("embedRegular", "embedBold", "embedItalic", "embedBoldItalic")
CHARACTERS = [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2028), *range(0x2030, 0x203B),
              0x20AC, 0x2122, 0x2022, 0x25E6, 0x2610, 0x2612, 0x2713,
              # what a plan's text may hold besides: Greek and Cyrillic letters (α, Ж), signs of comparison and other
              # mathematical signs (≥ 65 anni, ≤, ≠, ≈, ∞), arrows, super- and subscripts, fractions (⅓)
              *range(0x2BC, 0x2BE), *range(0x2C6, 0x2DE), *range(0x391, 0x3CA), *range(0x400, 0x460),   # ʼ ˆ, Cyrillic
              *range(0x2070, 0x20A0), *range(0x2150, 0x2160), *range(0x2190, 0x219A),
              *map(ord, "≤≥≠≈≡∼∞√∑∏∆∂∫∈∉∩∪⊂⊃∅∀∃∝∧∨−∓∙∘"),
              # the signs Word's Symbol and Wingdings bullets are read as (pdz_docs/load/pasted.py), and kin
              *map(ord, "▪◻❖➢✓➔■❑◉✔★►▸●○◆◇□")]


def fonts(family: str, size: int | None = None) -> str:
    out = f'<w:rFonts w:ascii="{family}" w:hAnsi="{family}" w:cs="{family}" w:eastAsia="{family}"/>'
    return out + (f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>' if size else "")


def pstyle(sid: str, name: str, based: str | None = "Normal", ppr: str = "", rpr: str = "", nxt: str | None = None,
           q: bool = True) -> str:
    return (f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{name}"/>'
            + (f'<w:basedOn w:val="{based}"/>' if based else "")
            + (f'<w:next w:val="{nxt}"/>' if nxt else "")
            + ("<w:qFormat/>" if q else "")
            + (f"<w:pPr>{ppr}</w:pPr>" if ppr else "") + (f"<w:rPr>{rpr}</w:rPr>" if rpr else "") + "</w:style>")


def cstyle(sid: str, name: str, rpr: str) -> str:
    return (f'<w:style w:type="character" w:styleId="{sid}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="DefaultParagraphFont"/><w:qFormat/><w:rPr>{rpr}</w:rPr></w:style>')


def borders() -> str:
    side = f'w:val="single" w:sz="4" w:space="0" w:color="{RULE}"'
    return "<w:tblBorders>" + "".join(f"<w:{s} {side}/>" for s in ("top", "left", "bottom", "right",
                                                                    "insideH", "insideV")) + "</w:tblBorders>"


def tstyle(sid: str, name: str, conditional: str) -> str:
    """A table style: thin grey rules, the cell padding of the PDF (1.2 mm × 1.5 mm), shaded header/total/label
    cells. With the PDF's line height (1.4 em: `w:line="288"` over DejaVu's 1.16 em) a table is as tall as in
    the PDF, so the two paginate alike."""
    margins = ('<w:tblCellMar><w:top w:w="68" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
               '<w:bottom w:w="68" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>')
    return (f'<w:style w:type="table" w:styleId="{sid}"><w:name w:val="{name}"/><w:basedOn w:val="TableNormal"/>'
            f'<w:qFormat/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
            f'<w:tblPr><w:tblInd w:w="0" w:type="dxa"/>{borders()}{margins}</w:tblPr>{conditional}</w:style>')


def shaded(kind: str, fill: str, header: bool = False) -> str:
    return (f'<w:tblStylePr w:type="{kind}"><w:rPr><w:b/><w:bCs/></w:rPr>'
            + ("<w:trPr><w:tblHeader/></w:trPr>" if header else "")
            + f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{fill}"/></w:tcPr></w:tblStylePr>')


LISTS = (   # numId (= abstractNumId + 1), style, list format, text, indent
    (1, "ListBullet", "bullet", "•", 357), (2, "ListBullet2", "bullet", "–", 714), (3, "ListBullet3", "bullet", "◦", 1071),
    (4, "ListNumber", "decimal", "%1.", 357), (5, "ListNumber2", "decimal", "%1.", 714),
    (6, "ListNumber3", "decimal", "%1.", 1071), (7, "ElencoTabella", "bullet", "•", 170),
)


def styles_xml() -> str:
    lang = '<w:lang w:val="it-IT" w:eastAsia="it-IT" w:bidi="ar-SA"/>'
    heading = fonts(SANS) + f'<w:b/><w:bCs/><w:color w:val="{BLUE}"/>'
    rule = f'<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="4" w:color="{BLUE}"/></w:pBdr>'
    keep = "<w:keepNext/><w:keepLines/>"
    centre = '<w:jc w:val="center"/>'
    right_tab = f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TEXT_WIDTH}"/></w:tabs>'
    out = [
        f'<w:docDefaults><w:rPrDefault><w:rPr>{fonts(SERIF, 20)}{lang}</w:rPr></w:rPrDefault>'
        '<w:pPrDefault><w:pPr><w:spacing w:after="142" w:line="288" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
        "</w:docDefaults>",
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>'
        f'<w:pPr><w:widowControl/><w:jc w:val="both"/></w:pPr><w:rPr>{fonts(SERIF, 20)}{lang}</w:rPr></w:style>',
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>',
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
        '<w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>',
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>',
        pstyle("Heading1", "heading 1", ppr=f'{keep}{rule}<w:spacing w:before="0" w:after="454"/><w:jc w:val="left"/>'
               '<w:outlineLvl w:val="0"/>', rpr=heading + '<w:sz w:val="32"/><w:szCs w:val="32"/>', nxt="Normal"),
        pstyle("Heading2", "heading 2", ppr=f'{keep}<w:spacing w:before="397" w:after="170"/><w:jc w:val="left"/>'
               '<w:outlineLvl w:val="1"/>', rpr=heading + '<w:sz w:val="25"/><w:szCs w:val="25"/>', nxt="Normal"),
        pstyle("Heading3", "heading 3", ppr=f'{keep}<w:spacing w:before="283" w:after="113"/><w:jc w:val="left"/>'
               '<w:outlineLvl w:val="2"/>', rpr=heading + '<w:sz w:val="22"/><w:szCs w:val="22"/>', nxt="Normal"),
        *(pstyle(f"Heading{n}", f"heading {n}", ppr=f'{keep}<w:spacing w:before="227" w:after="113"/>'
                 f'<w:jc w:val="left"/><w:outlineLvl w:val="{n - 1}"/>',
                 rpr=heading + ("<w:i/><w:iCs/>" if n > 4 else "") + '<w:sz w:val="20"/><w:szCs w:val="20"/>',
                 nxt="Normal") for n in (4, 5, 6)),
        pstyle("Title", "Title", ppr=f'<w:spacing w:before="1417" w:after="0"/>{centre}',
               rpr=heading + '<w:sz w:val="56"/><w:szCs w:val="56"/>', nxt="Normal"),
        pstyle("CopertinaComune", "Copertina Comune", ppr=f'<w:spacing w:before="85" w:after="0"/>{centre}',
               rpr=fonts(SANS, 22) + f'<w:caps/><w:color w:val="{BLUE}"/><w:spacing w:val="40"/>'),
        pstyle("CopertinaAmbito", "Copertina Ambito", ppr=f'<w:spacing w:before="1701" w:after="0"/>{centre}',
               rpr=fonts(SANS, 32) + "<w:b/><w:bCs/>"),
        pstyle("CopertinaProvincia", "Copertina Provincia", ppr=f'<w:spacing w:before="120" w:after="0"/>{centre}',
               rpr=fonts(SANS, 24)),
        pstyle("CopertinaCiclo", "Copertina Ciclo", ppr=f'<w:spacing w:before="240" w:after="0"/>{centre}',
               rpr=fonts(SANS, 28)),
        pstyle("TOCHeading", "TOC Heading", based="Heading1", ppr='<w:outlineLvl w:val="9"/>', nxt="Normal"),
        # an entry that wraps: its further lines indented (hanging), the last one ending with the dots and
        # the number. No right indent to keep the text off the numbers' column: Word would set the number
        # over it, LibreOffice (7.4) drops a tab past the right indent and the number with it.
        pstyle("TOC1", "toc 1", ppr=f'{right_tab}<w:spacing w:before="170" w:after="0"/>'
               '<w:ind w:left="397" w:hanging="397"/><w:jc w:val="left"/>',
               rpr=fonts(SANS, 20) + "<w:b/><w:bCs/>", nxt="Normal", q=False),
        pstyle("TOC2", "toc 2", ppr=f'{right_tab}<w:spacing w:before="0" w:after="0"/>'
               '<w:ind w:left="851" w:hanging="397"/>'
               '<w:jc w:val="left"/>', rpr=fonts(SANS, 19), nxt="Normal", q=False),
        # the sub-items the regional index lists under a section (the areas of II.1, the items of IV.1 and
        # IV.2), italic as in the index; their «###» headings take «Titolo voce indice», which the TOC
        # field lists at level 3 (render/docx.py)
        pstyle("TOC3", "toc 3", ppr=f'{right_tab}<w:spacing w:before="0" w:after="0"/><w:ind w:left="907"/>'
               '<w:jc w:val="left"/>', rpr=fonts(SANS) + '<w:i/><w:iCs/><w:sz w:val="18"/><w:szCs w:val="18"/>',
               nxt="Normal", q=False),
        pstyle("TitoloVoceIndice", "Titolo voce indice", based="Heading3", nxt="Normal"),
        # a card's title, as the PDF draws it (templates/piano.css `.scheda`): a rule above, its code on blue
        pstyle("TitoloScheda", "Titolo scheda", based="Heading3", nxt="Normal",
               ppr=f'<w:pBdr><w:top w:val="single" w:sz="12" w:space="4" w:color="{BLUE}"/></w:pBdr>'
                   '<w:spacing w:before="454" w:after="113"/>'),
        pstyle("Caption", "caption", ppr=f'{keep}<w:spacing w:before="113" w:after="57" w:line="240" '
               'w:lineRule="auto"/><w:jc w:val="left"/>', rpr=heading + '<w:sz w:val="18"/><w:szCs w:val="18"/>',
               nxt="Normal"),
        pstyle("TestoTabella", "Testo tabella", ppr='<w:spacing w:after="0" w:line="288" w:lineRule="auto"/>'
               '<w:jc w:val="left"/>', rpr=fonts(SANS, 17)),
        pstyle("CifreTabella", "Cifre tabella", based="TestoTabella", ppr='<w:jc w:val="right"/>'),
        pstyle("TestoTabellaFitto", "Testo tabella fitto", based="TestoTabella", rpr='<w:sz w:val="15"/><w:szCs w:val="15"/>'),
        pstyle("CifreTabellaFitto", "Cifre tabella fitto", based="TestoTabellaFitto", ppr='<w:jc w:val="right"/>'),
        pstyle("FonteTabella", "Fonte tabella", ppr='<w:spacing w:before="40" w:after="227"/><w:jc w:val="left"/>',
               rpr=fonts(SANS, 15) + f'<w:color w:val="{GREY}"/>'),
        pstyle("Provenienza", "Provenienza", ppr='<w:spacing w:before="480" w:after="0"/><w:jc w:val="left"/>',
               rpr=fonts(SANS, 16) + f'<w:color w:val="{GREY}"/>'),
        pstyle("TitoloNote", "Titolo note", ppr=f'{keep}<w:spacing w:before="240" w:after="57"/>',
               rpr=fonts(SANS, 18) + "<w:b/><w:bCs/>"),
        pstyle("Header", "header", ppr=f"{centre}<w:spacing w:after=\"0\"/>", rpr=fonts(SANS, 16) + f'<w:color w:val="{GREY}"/>',
               q=False),
        # a draft's «BOZZA», above the running header of every page (templates/da_completare.html.j2 in the PDF)
        pstyle("SegnoBozza", "Segno bozza", based="Header", ppr='<w:spacing w:after="0"/><w:jc w:val="right"/>',
               rpr='<w:b/><w:bCs/><w:color w:val="9A3B3B"/><w:spacing w:val="30"/>'),
        pstyle("Footer", "footer", ppr=f"{centre}<w:spacing w:after=\"0\"/>", rpr=fonts(SANS, 16) + f'<w:color w:val="{GREY}"/>',
               q=False),
        # a code block: one paragraph, its lines split by line breaks, set off from the text around it and
        # kept on one page (the PDF's <pre>: a blank line's space above and below)
        pstyle("Codice", "Codice", ppr='<w:keepLines/><w:spacing w:before="120" w:after="200" w:line="240" '
               'w:lineRule="auto"/><w:jc w:val="left"/>', rpr=fonts(MONO, 18), nxt="Normal"),
        # a quote: indented, with the PDF's bar on its left; a quote inside a quote one step further in
        pstyle("Quote", "Quote", ppr=f'<w:pBdr><w:left w:val="single" w:sz="24" w:space="8" w:color="{QUOTE_BAR}"/>'
               '</w:pBdr><w:ind w:left="567" w:right="567"/>', rpr="<w:i/><w:iCs/>", nxt="Normal"),
        *(pstyle(f"Quote{depth}", f"Quote {depth}", based="Quote", ppr=f'<w:ind w:left="{567 * depth}" w:right="567"/>',
                 nxt="Normal") for depth in (2, 3)),
        # the gap between two tables of a card (the PDF's 3 mm): Word joins two tables with nothing between
        pstyle("SpazioTabelle", "Spazio tra tabelle", ppr='<w:keepNext/><w:spacing w:before="0" w:after="0" '
               'w:line="170" w:lineRule="exact"/>', rpr='<w:sz w:val="8"/><w:szCs w:val="8"/>', q=False),
        pstyle("Separatore", "Separatore", ppr=f'<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" '
               f'w:color="808080"/></w:pBdr><w:spacing w:after="227"/>'),
        *(pstyle(sid, name, ppr=f'<w:numPr><w:numId w:val="{num}"/></w:numPr><w:spacing w:after="57"/>')
          for num, sid, name in ((1, "ListBullet", "List Bullet"), (2, "ListBullet2", "List Bullet 2"),
                                 (3, "ListBullet3", "List Bullet 3"), (4, "ListNumber", "List Number"),
                                 (5, "ListNumber2", "List Number 2"), (6, "ListNumber3", "List Number 3"))),
        pstyle("ListContinue", "List Continue", ppr='<w:ind w:left="357"/><w:spacing w:after="57"/>'),
        pstyle("ElencoTabella", "Elenco tabella", based="TestoTabella", ppr='<w:numPr><w:numId w:val="7"/></w:numPr>'),
        cstyle("Strong", "Strong", "<w:b/><w:bCs/>"),
        cstyle("Emphasis", "Emphasis", "<w:i/><w:iCs/>"),
        cstyle("HTMLCode", "HTML Code", fonts(MONO, 18)),
        cstyle("CodiceTitolo", "Codice titolo", fonts(MONO)),   # code in a heading, at the heading's size
        cstyle("CodiceScheda", "Codice scheda", f'<w:b/><w:bCs/><w:color w:val="FFFFFF"/>'
               f'<w:shd w:val="clear" w:color="auto" w:fill="{BLUE}"/>'),   # a card's code in its title
        cstyle("Hyperlink", "Hyperlink", '<w:color w:val="1F4E8C"/><w:u w:val="single"/>'),
        tstyle("TabellaDati", "Tabella dati", shaded("firstRow", HEADER_FILL, header=True) + shaded("lastRow", TOTAL_FILL)),
        tstyle("GrigliaScheda", "Griglia scheda", shaded("firstCol", HEADER_FILL)),
    ]
    return (HEAD + f'<w:styles xmlns:w="{W}" xmlns:r="{R}">' + "".join(out) + "</w:styles>")


def numbering_xml() -> str:
    out = []
    for num, sid, fmt, text, indent in LISTS:
        hanging = min(indent, 357)
        rpr = f"<w:rPr>{fonts(SANS)}</w:rPr>" if fmt == "bullet" else ""
        out.append(f'<w:abstractNum w:abstractNumId="{num - 1}"><w:nsid w:val="5044{num:04X}"/>'
                   f'<w:multiLevelType w:val="singleLevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/>'
                   f'<w:numFmt w:val="{fmt}"/><w:pStyle w:val="{sid}"/><w:lvlText w:val="{text}"/>'
                   f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{indent}" w:hanging="{hanging}"/></w:pPr>'
                   f"{rpr}</w:lvl></w:abstractNum>")
    out += [f'<w:num w:numId="{num}"><w:abstractNumId w:val="{num - 1}"/></w:num>' for num, *_ in LISTS]
    return HEAD + f'<w:numbering xmlns:w="{W}">' + "".join(out) + "</w:numbering>"


def obfuscate(data: bytes, key: str) -> bytes:
    """ECMA-376 Part 1 §17.8.1: the first 32 bytes XOR the font key's 16 bytes, taken in reverse order."""
    k = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    return bytes(b ^ k[i % 16] for i, b in enumerate(data[:32])) + data[32:]


def subset_font(path: Path) -> bytes:
    font = TTFont(str(path), recalcTimestamp=False)
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(unicodes=CHARACTERS)
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def font_parts() -> tuple[str, str, dict[str, bytes]]:
    """fontTable.xml, its relationships and the obfuscated font parts (stable keys: same file every run)."""
    table, rels, parts = [], [], {}
    n = 0
    for family, files in FACES.items():
        embeds = []
        for kind, name in zip(EMBED, files):
            n += 1
            key = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"pdz-docs/{name}")).upper() + "}"
            parts[f"word/fonts/font{n}.odttf"] = obfuscate(subset_font(DEJAVU / name), key)
            rels.append(f'<Relationship Id="rId{n}" Type="{R}/font" Target="fonts/font{n}.odttf"/>')
            embeds.append(f'<w:{kind} r:id="rId{n}" w:fontKey="{key}"/>')
        table.append(f'<w:font w:name="{family}"><w:charset w:val="00"/><w:family w:val="{"roman" if family == SERIF else "swiss"}"/>'
                     f'<w:pitch w:val="variable"/>{"".join(embeds)}</w:font>')
    table.append(f'<w:font w:name="{MONO}"><w:charset w:val="00"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>')
    font_table = HEAD + f'<w:fonts xmlns:w="{W}" xmlns:r="{R}">' + "".join(table) + "</w:fonts>"
    rels_xml = HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' \
        + "".join(rels) + "</Relationships>"
    return font_table, rels_xml, parts


def settings_xml() -> str:
    return (HEAD + f'<w:settings xmlns:w="{W}"><w:embedTrueTypeFonts/><w:defaultTabStop w:val="709"/>'
            '<w:hyphenationZone w:val="283"/><w:characterSpacingControl w:val="doNotCompress"/>'
            '<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" '
            'w:val="15"/></w:compat><w:themeFontLang w:val="it-IT"/><w:decimalSymbol w:val=","/>'
            '<w:listSeparator w:val=";"/></w:settings>')


def document_xml() -> str:
    """An empty body with the A4 portrait page and the PDF's margins (22/18/20/20 mm)."""
    return (HEAD + f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body><w:sectPr>'
            '<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1247" w:right="1020" w:bottom="1134" w:left="1134" '
            'w:header="567" w:footer="567" w:gutter="0"/><w:cols w:space="708"/></w:sectPr></w:body></w:document>')


def theme_xml(old: str) -> str:
    """The reference theme with its fonts set to DejaVu, should anything still name a theme font."""
    old = re.sub(r'(<a:majorFont><a:latin typeface=")[^"]*', rf"\g<1>{SANS}", old)
    return re.sub(r'(<a:minorFont><a:latin typeface=")[^"]*', rf"\g<1>{SERIF}", old)


def main() -> None:
    with zipfile.ZipFile(TARGET) as old:
        theme = theme_xml(old.read("word/theme/theme1.xml").decode("utf-8"))
    font_table, font_rels, fonts_ = font_parts()
    ct = "application/vnd.openxmlformats-officedocument"
    overrides = {"/word/document.xml": "wordprocessingml.document.main+xml", "/word/styles.xml": "wordprocessingml.styles+xml",
                 "/word/numbering.xml": "wordprocessingml.numbering+xml", "/word/settings.xml": "wordprocessingml.settings+xml",
                 "/word/fontTable.xml": "wordprocessingml.fontTable+xml", "/word/theme/theme1.xml": "theme+xml",
                 "/docProps/app.xml": "extended-properties+xml"}
    types = (HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             f'<Default Extension="odttf" ContentType="{ct}.obfuscatedFont"/>'
             '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
             + "".join(f'<Override PartName="{p}" ContentType="{ct}.{t}"/>' for p, t in overrides.items()) + "</Types>")
    pkg_rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    files = {
        "[Content_Types].xml": types,
        "_rels/.rels": HEAD + f'<Relationships xmlns="{pkg_rels}">'
        f'<Relationship Id="rId1" Type="{R}/officeDocument" Target="word/document.xml"/>'
        f'<Relationship Id="rId2" Type="{pkg_rels}/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{R}/extended-properties" Target="docProps/app.xml"/></Relationships>',
        "docProps/core.xml": HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Stili del Piano Sociale di Zona'
        '</dc:title><dc:language>it-IT</dc:language></cp:coreProperties>',
        "docProps/app.xml": HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>pdz-docs</Application></Properties>',
        "word/document.xml": document_xml(),
        "word/_rels/document.xml.rels": HEAD + f'<Relationships xmlns="{pkg_rels}">'
        + "".join(f'<Relationship Id="rId{i}" Type="{R}/{t}" Target="{f}"/>' for i, (t, f) in enumerate(
            (("styles", "styles.xml"), ("numbering", "numbering.xml"), ("settings", "settings.xml"),
             ("fontTable", "fontTable.xml"), ("theme", "theme/theme1.xml")), start=1)) + "</Relationships>",
        "word/styles.xml": styles_xml(),
        "word/numbering.xml": numbering_xml(),
        "word/settings.xml": settings_xml(),
        "word/fontTable.xml": font_table,
        "word/_rels/fontTable.xml.rels": font_rels,
        "word/theme/theme1.xml": theme,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in {**files, **fonts_}.items():
            info = zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    TARGET.write_bytes(buf.getvalue())
    print(f"{TARGET}: {len(buf.getvalue()) // 1024} KB")


if __name__ == "__main__":
    main()
