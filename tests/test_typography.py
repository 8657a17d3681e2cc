"""Print-grade typography of the default plan's PDF, read back with poppler's word positions
(`pdftotext -bbox-layout`), and the self-contained HTML beside it; the default plan is built once.

What a reader of the printed plan would notice: a sign or abbreviation left at the end of a line
away from its figure, a card's programming table or a service split across two pages, a table's
source note alone at the top of a page, pages left mostly empty, two different minus signs, headers
that do not stand over their figures, a table of contents whose page number falls on a line of its own.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")

FILL_THRESHOLD = 0.40
# A4 content area of templates/piano.css, in points: top and bottom margins, portrait and landscape
MARGINS = {False: (22 * 72 / 25.4, 20 * 72 / 25.4), True: (18 * 72 / 25.4, 18 * 72 / 25.4)}
TIED = {"€", "n.", "N.", "L.", "art.", "artt.", "D.Lgs.", "L.R.", "R.R.", "DGR"}


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Page:
    number: int
    landscape: bool
    blocks: tuple[tuple[tuple[Word, ...], ...], ...]   # blocks of lines of words, in poppler's reading order
    height: float

    @property
    def lines(self) -> list[tuple[Word, ...]]:
        return [line for block in self.blocks for line in block]

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line]

    def body(self) -> list[Word]:
        """The words inside the content area (not the running header and the page number)."""
        top, bottom = MARGINS[self.landscape]
        return [w for w in self.words if w.y0 >= top - 2 and w.y1 <= self.height - bottom + 2]

    def fill(self) -> float:
        top, bottom = MARGINS[self.landscape]
        body = self.body()
        return (max(w.y1 for w in body) - top) / (self.height - top - bottom) if body else 0.0


def read_pages(pdf: Path) -> list[Page]:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for n, (w, h, body) in enumerate(re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>',
                                                 xml, re.S), 1):
        blocks = tuple(
            tuple(tuple(Word(unescape(t), float(a), float(b), float(c), float(d)) for a, b, c, d, t in
                        re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                                   r'(.*?)</word>', line))
                  for line in re.findall(r"<line\b.*?</line>", block, re.S))
            for block in re.findall(r"<block\b.*?</block>", body, re.S))
        pages.append(Page(n, float(w) > float(h), blocks, float(h)))
    return pages


@pytest.fixture(scope="module")
def built(default_outputs) -> tuple[Path, Path]:
    return default_outputs["pdf"], default_outputs["html"]


@pytest.fixture(scope="module")
def pages(built) -> list[Page]:
    return read_pages(built[0])


def text_of(line: tuple[Word, ...]) -> str:
    return " ".join(w.text for w in line)


def test_no_sign_or_abbreviation_ends_a_line(pages: list[Page]):
    # «€» / «146.210,31», «n.» / «328/2000» on two lines; the last line of a block (a header cell
    # «N.») has nothing after it to be separated from
    stranded = [(p.number, text_of(line)) for p in pages for block in p.blocks for line in block[:-1]
                if line and line[-1].text in TIED]
    assert stranded == []


def _sequence(pages: list[Page], first: str, then: str, until: str | None = None) -> list[tuple[int, bool]]:
    """For each line starting with `first`: its page, and whether a later line starting with `then`
    (before any line starting with `until`) is on the same page."""
    found = []
    flat = [(p.number, text_of(line)) for p in pages for line in p.lines]
    for i, (page, text) in enumerate(flat):
        if text.startswith(first):
            same = False
            for page2, text2 in flat[i + 1:]:
                if until and text2.startswith(until):
                    break
                if text2.startswith(then):
                    same = page2 == page
                    break
            found.append((page, same))
    return found


def test_card_programming_tables_are_never_split(pages: list[Page]):
    tables = _sequence(pages, "Programmazione economica", "Totale")
    assert len(tables) == len(list((ROOT / "content" / "schede").glob("*.yaml")))
    assert [page for page, same in tables if not same] == []


def test_a_service_is_kept_with_its_actions(pages: list[Page]):
    # each service of a card: its name (the table's caption) and «Utenza» … «Azioni da realizzare» on one page
    services = _sequence(pages, "Utenza", "Azioni da realizzare", until="Utenza")
    assert len(services) > 30
    assert [page for page, same in services if not same] == []


def test_source_note_stays_with_its_table(pages: list[Page]):
    notes = [(p.number, p.body()[0].text) for p in pages if p.body()]
    assert [n for n, first in notes if first == "Fonte:"] == []
    assert sum(text_of(line).startswith("Fonte:") for p in pages for line in p.lines) > 5


def test_no_page_is_left_mostly_empty(built, pages: list[Page]):
    # allowed: the last page, the page before a chapter (a top-level bookmark: chapters and annexes
    # start a page), the last page before the orientation changes (a landscape table has its own pages)
    reader = PdfReader(str(built[0]))
    chapters = {reader.get_destination_page_number(o) + 1 for o in reader.outline if not isinstance(o, list)}
    assert len(chapters) > 5
    short = [(p.number, round(p.fill(), 2)) for p, nxt in zip(pages, pages[1:])
             if p.fill() < FILL_THRESHOLD and nxt.number not in chapters and nxt.landscape == p.landscape]
    assert short == []


def test_one_minus_sign_and_one_sign_convention(pages: list[Page]):
    text = "\n".join(text_of(line) for p in pages for line in p.lines)
    assert re.findall(r"(?:^|[\s(])-\d[\d.,]*%?", text, re.M) == []     # no hyphen-minus before a figure
    assert "−" in text
    # a variation printed with its sign («+300», «−1.529») has its percentage signed too («+1,81%»)
    pairs = re.findall(r"(?<![\w.,])([−+])\d[\d.]*\s+([−+]?)\d+,\d\d%", text)
    assert len(pairs) >= 3
    assert [(a, b) for a, b in pairs if a != b] == []


def test_numeric_headers_stand_over_their_figures(pages: list[Page]):
    # in the demographic variations table every figure ends under the end of its column's header
    page = next(p for p in pages if any(text_of(line).startswith("Tabella") and "– Variazioni demografiche" in
                                        text_of(line) for line in p.lines))
    words = page.words
    header = next(w for w in words if w.text == "Indicatore")
    heads = [w for w in words if abs(w.y0 - header.y0) < 2 and w.x0 > header.x1]
    figures = [w for w in words if header.y1 < w.y0 < header.y1 + 60 and re.fullmatch(r"[−+]?[\d.,]+%?", w.text)]
    assert len(heads) >= 4 and len(figures) >= 8
    misplaced = [w.text for w in figures if not any(abs(w.x1 - h.x1) < 1.5 for h in heads)]
    assert misplaced == []


def test_table_of_contents_keeps_dots_and_number_on_the_entry(pages: list[Page]):
    toc = next(p for p in pages if p.body() and p.body()[0].text == "Indice")
    words = toc.body()

    def same_line(a: Word, b: Word) -> bool:
        return a is not b and abs(a.y1 - b.y1) < 1.5

    numbers = [w for w in words if w.text.isdigit() and not any(same_line(v, w) and v.x0 > w.x1 for v in words)]
    assert len(numbers) > 15
    # beside each page number some words of its entry, not the leader dots alone; the numbers end at one edge
    alone = [w.text for w in numbers if not any(same_line(v, w) and set(v.text) - {"."} for v in words)]
    assert alone == []
    assert max(w.x1 for w in numbers) - min(w.x1 for w in numbers) < 1


def test_table_of_contents_entry_that_wraps_has_its_number_on_its_last_line(built):
    """pdftotext -layout of the index: an entry is its lines up to the one ending in dots and its page; the
    lines before that have neither, the lines after the first are indented under it."""
    layout = subprocess.run(["pdftotext", "-layout", "-l", "6", str(built[0]), "-"],
                            capture_output=True, text=True).stdout
    lines = layout.split("\nIndice\n", 1)[1].splitlines()   # the index may take more than one page
    lines = [x for x in lines if x.strip() and not re.search(r"pag\. \d+ di \d+|Piano Sociale di Zona 20", x)]
    entries, entry = [], []
    for line in lines:
        entry.append(line)
        if re.search(r"\.{3,}\s*\d+$", line):   # the dots and the page number close the entry
            entries.append(entry)
            entry = []
            if line.lstrip().startswith("Elementi da completare"):   # the index's last entry (a draft)
                break
    toc = re.search(r'<nav class="indice".*?</nav>', built[1].read_text(encoding="utf-8"), re.S)[0]
    assert len(entries) == toc.count("<li ")
    wrapped = [e for e in entries if len(e) > 1]
    assert len(wrapped) >= 5      # the long titles of the default plan
    for e in wrapped:
        first, *rest = [len(x) - len(x.lstrip()) for x in e]
        assert all(not re.search(r"(\.{3,}|\d)\s*$", x) for x in e[:-1]), e
        assert all(r > first for r in rest), e


def test_tables_are_numbered_in_order_and_cited_by_their_number(built):
    text = subprocess.run(["pdftotext", str(built[0]), "-"], capture_output=True, text=True).stdout
    text = text.replace("\u00a0", " ")
    numbers = [int(x) for x in re.findall(r"^Tabella n\. (\d+) – ", text, re.M)]
    assert len(numbers) >= 20 and numbers == list(range(1, len(numbers) + 1))
    page = unescape(built[1].read_text(encoding="utf-8")).replace("\u00a0", " ")
    # the first table's caption comes before its header
    first_header = re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", page.split("<main>")[1], re.S)[1])
    assert text.index("Tabella n. 1 – ") < text.index(first_header)
    # a number cited in a chapter is the number the PDF prints above that table
    titles = {anchor: re.sub(r"<[^>]+>", "", caption) for anchor, caption in
              re.findall(r'<table[^>]* id="([^"]+)">\s*<caption>(.*?)</caption>', page, re.S)}
    cited = re.findall(r'<a class="rif-tabella" href="#([^"]+)">([^<]+)</a>', page)
    assert len(cited) >= 3
    for anchor, label in cited:
        number, title = titles[anchor].split(" – ", 1)
        assert number == label
        assert re.search(rf"^{re.escape(label)} – {re.escape(title[:25])}", text, re.M)
        assert sum(text.count(label + end) for end in " ).,") >= 2   # caption, citation


def test_html_opens_styled_on_its_own(built):
    html = built[1].read_text(encoding="utf-8")
    css = (ROOT / "templates" / "piano.css").read_text(encoding="utf-8")
    assert "<link" not in html
    assert [s.strip() for s in re.findall(r"<style>(.*?)</style>", html, re.S)] == [css.strip()]
    # nothing else to fetch: pictures are inline, links go to the web or inside the page
    assert all(re.match(r"(data:image/|https?:|mailto:|#)", u) for u in re.findall(r'(?:src|href)="([^"]*)"', html))


def _screen_rules() -> dict[str, str]:
    """The declarations of piano.css's `@media screen` blocks, by selector (what a browser adds to the print rules)."""
    import tinycss2

    rules: dict[str, str] = {}
    sheet = tinycss2.parse_stylesheet((ROOT / "templates" / "piano.css").read_text(encoding="utf-8"),
                                      skip_comments=True, skip_whitespace=True)
    for at in sheet:
        if at.type == "at-rule" and at.lower_at_keyword == "media" and tinycss2.serialize(at.prelude).strip() == "screen":
            for rule in tinycss2.parse_rule_list(at.content, skip_comments=True, skip_whitespace=True):
                for sel in tinycss2.serialize(rule.prelude).split(","):
                    rules[sel.strip()] = rules.get(sel.strip(), "") + tinycss2.serialize(rule.content)
    return rules


def test_html_in_a_browser_reads_as_a_page_and_says_bozza():
    """Opened as a file, the HTML is not set edge to edge of the window with ~200 characters a line (`body` has
    `margin: 0` for the PDF), and a draft says it is one at the top, as the PDF does at every page's foot."""
    rules = _screen_rules()
    body = rules.get("body", "")
    assert re.search(r"max-width:\s*\d", body) and re.search(r"margin:\s*0 auto", body) and "padding" in body
    assert re.search(r"visibility:\s*visible", rules.get(".segno-bozza", ""))


def test_figures_share_one_sign_convention():
    from pdz_docs.finance.money import fmt_dec, fmt_euro, fmt_int, fmt_pct

    assert (fmt_int(-1529, signed=True), fmt_int(300, signed=True), fmt_int(0, signed=True)) == ("−1.529", "+300", "0")
    assert (fmt_pct(Decimal("-2.13"), signed=True), fmt_pct(Decimal("1.81"), signed=True)) == ("−2,13%", "+1,81%")
    assert (fmt_pct(Decimal("1.81")), fmt_int(-5), fmt_dec(Decimal("-0.5"))) == ("1,81%", "−5", "−0,50")
    assert fmt_euro(Decimal("-1234.5")) == "€ −1.234,50"
    assert fmt_pct(Decimal("-0.00"), signed=True) == "0,00%" and fmt_euro(Decimal("-0.004")) == "€ 0,00"


def test_tie_keeps_signs_and_abbreviations_with_what_follows():
    from pdz_docs.render.typography import tie, tie_html

    assert tie("pari a € 1.000 (art. 30 D.Lgs. n. 267/2000, L.R. 16/2019, L. 328)") == (
        "pari a €\u00a01.000 (art.\u00a030 D.Lgs.\u00a0n.\u00a0267/2000, L.R.\u00a016/2019, L.\u00a0328)")
    assert tie("la Legge n.\n328/2000") == "la Legge n.\u00a0328/2000"          # a Markdown soft line break
    assert tie("Mozart. Poi") == "Mozart. Poi" and tie("fine n.") == "fine n."
    html = '<p title="n. 3">€ 5 <code>n. 3</code></p><style>a { content: "n. 3" }</style><pre>art. 1</pre>'
    assert tie_html(html) == ('<p title="n. 3">€\u00a05 <code>n. 3</code></p><style>a { content: "n. 3" }</style>'
                              '<pre>art. 1</pre>')


def test_a_typed_negative_figure_takes_the_minus_sign():
    """«-5%» or «-€ 500» written by hand prints with the minus sign of the computed figures; a hyphen inside a
    word, a range, a date or a path stays a hyphen."""
    from pdz_docs.render.typography import tie, tie_html

    assert tie("saldo -€ 1.000,00 e -5%, (-2) e -3") == "saldo \u2212€\u00a01.000,00 e \u22125%, (\u22122) e \u22123"
    kept = "2018-2020, 12-03-2022, art.\u00a03-bis, capitoli/10-cap1.md, BUONI-MIN, pagine 10 - 20, ore 10 -12"
    assert tie(kept) == kept
    assert tie_html("<td>-2</td><code>-2</code>") == "<td>\u22122</td><code>-2</code>"
    assert tie("ISEE fino a 6.000 €") == "ISEE fino a 6.000\u00a0€"     # «€» after its amount stays with it


def test_deep_headings_are_never_smaller_than_the_text():
    """Levels 5 and 6 (a chapter may go that deep) took the browser's 0.83 and 0.67 em: smaller than the text
    they head. Every heading is at least the text's size, as in the DOCX's Heading 4–6 styles."""
    from pdz_docs.render.html import TEMPLATES, stylesheet, weasyprint_layout

    html = (f"<html><head><style>{stylesheet()}</style></head><body><p>Testo</p>"
            + "".join(f"<h{k}>Titolo {k}</h{k}>" for k in range(1, 7)) + "</body></html>")
    sizes: dict[str, float] = {}

    def walk(box):
        tag = getattr(box, "element_tag", None)
        if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6"):
            sizes.setdefault(tag, box.style["font_size"])
        for child in getattr(box, "children", ()):
            walk(child)

    walk(weasyprint_layout(html, [], TEMPLATES).pages[0]._page_box)
    assert len(sizes) == 7
    assert all(sizes[f"h{k}"] >= sizes["p"] for k in range(1, 7)), sizes


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_only_wide_tables_are_on_landscape_pages(pages: list[Page]):
    """A wide table turns to landscape pages with its caption and source note, and the text after it goes back
    to portrait pages (as the DOCX does with a portrait section): no paragraph of a chapter, and no other part of
    the document, is printed at landscape width. Every landscape page carries a wide table (its header row, which
    a table continued over a page repeats), and no paragraph of the chapters' text begins or ends on one."""
    from pdz_docs.document import nodes as n
    from pdz_docs.document.builder import build_document
    from pdz_docs.pipeline import run
    from pdz_docs.provenance import provenance

    result, _ = run(ROOT / "content")
    doc, _ = build_document(result, provenance(result.plan))
    paragraphs, wide = [], []
    for chapter in doc.chapters:
        for block in chapter.blocks:
            if isinstance(block, n.Paragraph) and len(_tokens(n.plain(block.runs))) >= 8:
                paragraphs.append(_tokens(n.plain(block.runs)))
            elif isinstance(block, n.Orientation) and block.landscape:
                wide += [b.table.header[-1] for b in block.blocks if isinstance(b, n.ComputedTable)]
    wide += [t.table.header[-1] for t in doc.annex.tables]
    assert len(paragraphs) > 100 and len(wide) >= 4

    def run_of(tokens: list[str], words: list[str]) -> bool:
        k = len(tokens)
        return any(words[i:i + k] == tokens for i in range(len(words) - k + 1))

    texts = {p.number: _tokens(" ".join(w.text for w in p.body())) for p in pages}
    ends = [(t[:6], t[-6:]) for t in paragraphs]
    found = {p.number: [i for i, (first, last) in enumerate(ends) if run_of(first, texts[p.number])
                        or run_of(last, texts[p.number])] for p in pages}
    assert len({i for f in found.values() for i in f}) > 0.9 * len(paragraphs)   # the text is read back
    landscape = [p for p in pages if p.landscape]
    assert len(landscape) > 5
    assert [(p.number, [" ".join(paragraphs[i][:6]) for i in found[p.number]]) for p in landscape
            if found[p.number]] == []
    headed = {p.number for p in landscape for header in wide
              if set(_tokens(" ".join(header))) <= set(texts[p.number])}
    assert [p.number for p in landscape if p.number not in headed] == []


def _computed_tables(doc):
    """The numbered computed tables of the chapters, landscape ones included."""
    from pdz_docs.document import nodes as n

    def walk(blocks):
        for b in blocks:
            if isinstance(b, n.ComputedTable) and b.number:
                yield b
            elif isinstance(b, n.Orientation):
                yield from walk(b.blocks)
    return [t for ch in doc.chapters for t in walk(ch.blocks)]


def test_short_tables_are_never_split(pages: list[Page]):
    """A table of a few rows (nodes.SHORT_TABLE) is on one page: its caption and its last row."""
    from pdz_docs.document.builder import build_document
    from pdz_docs.pipeline import run
    from pdz_docs.provenance import provenance

    result, _ = run(ROOT / "content")
    doc, _ = build_document(result, provenance(result.plan))
    short = [(t.number, t.table.body[-1][0].text) for t in _computed_tables(doc) if t.whole]
    assert len(short) >= 8
    split = []
    for number, last in short:
        found = _sequence(pages, f"Tabella n. {number} ", last)
        assert len(found) == 1, number
        if not found[0][1]:
            split.append((number, found[0][0]))
    assert split == []
