"""Markdown typed as in CommonMark previews: read as meant in every format, or a located warning.

The block structure of the HTML we produce (document builder, then HTML translator) is compared
with markdown-it-py's own rendering of plain CommonMark with GFM tables; the constructs where we
read the writer's intent differently are on a short list, each with the warning it gets.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from pdz_docs.document.builder import chapter_from_markdown
from pdz_docs.load.habits import habit_notes
from pdz_docs.render.html import HtmlTranslator

BLOCKS = {"p", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "th", "td", "pre", "blockquote",
          "hr"}


class _Skeleton(HTMLParser):
    """Nested (tag, text) blocks of an HTML fragment, inline markup flattened, whitespace collapsed."""

    def __init__(self):
        super().__init__()
        self.root: list = []
        self.stack: list[list] = [["root", "", self.root]]

    def handle_starttag(self, tag, attrs):
        self.number = tag == "span" and dict(attrs).get("class") == "num"   # a section's number is ours
        if tag in BLOCKS:
            start = dict(attrs).get("start", "1") if tag == "ol" else ""
            node = [tag + (f"@{start}" if start not in ("", "1") else ""), "", []]
            self.stack[-1][2].append(node)
            if tag != "hr":
                self.stack.append(node)

    def handle_endtag(self, tag):
        if tag in BLOCKS and tag != "hr" and len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data):
        if not getattr(self, "number", False):
            self.stack[-1][1] += data
        self.number = False

    def tree(self, nodes=None):
        nodes = self.root if nodes is None else nodes
        return [(tag, " ".join(text.split()), self.tree(kids)) for tag, text, kids in nodes]


def skeleton(html: str):
    parser = _Skeleton()
    parser.feed(html)
    return parser.tree()


def ours(text: str) -> str:
    chapter, _ = chapter_from_markdown(text)
    return HtmlTranslator().all(chapter.blocks)


def oracle(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(text)


# Constructs read as a CommonMark preview reads them.
SAME = {
    "lista-sotto-testo": "I suoi assi portanti sono tre:\n- l'inclusione\n- l'integrazione\n- la prossimità\n",
    "numerata-sotto-testo": "Le fasi:\n1. ascolto\n2. progetto\n",
    "numerata-non-da-1": "Il punto\n2. resta testo\n",
    "sotto-voci-2-spazi": "- area uno\n  - obiettivo a\n  - obiettivo b\n- area due\n",
    "sotto-voci-3-spazi": "1. area uno\n   1. obiettivo a\n   2. obiettivo b\n2. area due\n3. area tre\n",
    "sotto-voci-4-spazi": "1. area uno\n    - obiettivo a\n2. area due\n",
    "tre-livelli": "- a\n  - b\n    - c\n- d\n",
    "sotto-voci-con-tab": "-\tarea uno\n\t-\tobiettivo a\n\t-\tobiettivo b\n-\tarea due\n",
    "continuazione-pigra": "- prima voce\ncontinua qui\n- seconda\n",
    "secondo-paragrafo": "- prima voce\n\n  altro paragrafo della voce\n- seconda\n",
    "tabella-sotto-testo": "Tabella:\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "barra-protetta": "| a | b |\n|---|---|\n| x \\| y | 2 |\n",
    "a-capo-morbido": "una riga\nche continua\nsu tre righe\n",
    "a-capo-forzato": "una riga  \nforzata\n",
    "elenco-dopo-titolo": "## Titolo\n- voce\n",
    "codice-recintato": "```\ncodice\n```\n",
    "citazione": "> citata\n> ancora\n",
    "numerata-inizio-5": "5. quinto\n6. sesto\n",
    "separatore": "testo\n\n---\n\naltro\n",
}

# Constructs read differently from CommonMark, or ambiguous: each gets its warning.
WARNED = {
    "titolo-senza-spazio": ("##Titolo\n", ["titolo-senza-spazio"]),
    "paragrafo-con-tab": ("Testo.\n\n\tParagrafo rientrato.\n", ["paragrafo-rientrato"]),
    "paragrafo-4-spazi": ("Testo.\n\n    Paragrafo rientrato.\n", ["paragrafo-rientrato"]),
    "sotto-voce-2-spazi-sotto-numero": ("1. area uno\n  - obiettivo\n2. area due\n", ["lista-rientro"]),
    "celle-in-piu": ("| a | b |\n|---|---|\n| 1 | 2 | 3 |\n", ["tabella-celle-in-piu"]),
    "cancelletto-senza-spazio": ("#Puglia è la regione.\n", ["titolo-senza-spazio"]),
    "nota-due-volte": ("Doppia[^x] e[^x].\n\n[^x]: Prima.\n\n[^x]: Seconda.\n", ["nota-ripetuta"]),
    "riferimento-senza-indirizzo": ("Vedi [altro][manca].\n", ["link-senza-indirizzo"]),
    "commento-html": ("Testo.\n\n<!-- nota per i colleghi -->\n", ["html-come-testo"]),
    "html-incollato": ("Testo con <b>grassetto</b> in linea.\n", ["html-come-testo"]),
    "html-in-una-voce": ("- voce <br> a capo\n", ["html-come-testo"]),
    "punti-incollati": ("Testo:\n• uno\n• due\n\n▪\tda una email\n", ["elenco-incollato"] * 3),
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_block_structure_equals_commonmark(name):
    text = SAME[name]
    assert skeleton(ours(text)) == skeleton(oracle(text))
    assert habit_notes(text) == []


@pytest.mark.parametrize("name", sorted(WARNED))
def test_differences_are_warned(name):
    text, codes = WARNED[name]
    assert [n.code for n in habit_notes(text)] == codes


def test_angle_brackets_that_are_not_html_are_not_warned():
    assert habit_notes("5 < 6 e 7 > 3, <https://example.org>, <ufficio@comune.it>, `<b>` e\n\n"
                       "```\n<!-- codice -->\n```\n") == []


def test_intent_where_commonmark_differs():
    assert skeleton(ours("##Titolo\n")) == [("h2", "Titolo", [])]
    # bullets pasted from Word or an email: a list, not one paragraph with the bullets inside it
    assert skeleton(ours("Testo:\n• uno\n• due\n")) == [("p", "Testo:", []),
                                                        ("ul", "", [("li", "uno", []), ("li", "due", [])])]
    nested = skeleton(ours("1. area uno\n  - obiettivo\n2. area due\n"))
    assert nested == [("ol", "", [("li", "area uno", [("ul", "", [("li", "obiettivo", [])])]), ("li", "area due", [])])]


CHAPTER = """---
id: abitudini
titolo: Abitudini di scrittura
numero: 5
ordine: 20
---
## Come si scrive

Un paragrafo scritto su *più righe,
andando a capo* come nel **file
di partenza**.
I suoi assi portanti sono tre:
- l'inclusione
- l'integrazione

1. primo
2. secondo

Altro testo.

1. di nuovo uno
2. di nuovo due

Si veda il [sito della Regione](https://www.regione.puglia.it/).

##Senza spazio

\tRientrato con tab.
"""


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdz_docs", *args], capture_output=True, text=True)


def test_check_warns_at_the_writers_line(plan_dir: Path):
    chapter = plan_dir / "capitoli" / "20-abitudini.md"
    chapter.write_text(CHAPTER, encoding="utf-8")
    r = _run("check", str(plan_dir))
    found = [f for f in re.findall(r"^(\S+?):(\d+):\d+: avviso: .* \[([\w-]+)\]$", r.stdout, re.M)
             if f[2] != "da-programmare"]
    lines = CHAPTER.split("\n")
    assert found == [(str(chapter), str(lines.index("##Senza spazio") + 1), "titolo-senza-spazio"),
                     (str(chapter), str(lines.index("\tRientrato con tab.") + 1), "paragrafo-rientrato")]
    assert r.returncode == 0


@pytest.fixture(scope="module")
def docx_xml(tmp_path_factory) -> tuple[str, str]:
    import shutil

    from conftest import FIXTURES
    root = tmp_path_factory.mktemp("abitudini")
    plan = root / "piano"
    shutil.copytree(FIXTURES / "minimo", plan)
    (plan / "capitoli" / "20-abitudini.md").write_text(CHAPTER, encoding="utf-8")
    r = _run("build", str(plan), "-o", str(root / "out"), "--format", "docx")
    assert r.returncode == 0, r.stderr
    z = zipfile.ZipFile(next((root / "out").glob("*.docx")))
    return (z.read("word/document.xml").decode(), z.read("word/_rels/document.xml.rels").decode(),
            z.read("word/numbering.xml").decode())


def _paragraph(xml: str, needle: str) -> str:
    return next(p for p in re.findall(r"<w:p[ >].*?</w:p>", xml) if needle in p)


def test_docx_soft_breaks_are_spaces(docx_xml):
    xml = docx_xml[0]
    para = _paragraph(xml, "Un paragrafo scritto")
    assert "<w:br/>" not in para
    assert "Un paragrafo scritto su più righe, andando a capo come nel file di partenza." in \
        "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", para))


def test_docx_list_under_text_and_restarting_numbers(docx_xml):
    xml = docx_xml[0]
    assert "ListBullet" in _paragraph(xml, "l'integrazione</w:t>")
    first, second = (re.search(r'<w:numId w:val="(\d+)"/>', _paragraph(xml, t))[1] for t in ("primo", "di nuovo uno"))
    assert first != second
    assert re.search(r'<w:numId w:val="(\d+)"/>', _paragraph(xml, "secondo"))[1] == first


def test_docx_numbering_instances_restart_at_one(docx_xml):
    xml, _, numbering = docx_xml
    for text in ("primo", "di nuovo uno"):
        num = re.search(r'<w:numId w:val="(\d+)"/>', _paragraph(xml, text))[1]
        declared = re.search(rf'<w:num w:numId="{num}">(.*?)</w:num>', numbering, re.S)[1]
        assert re.search(r'<w:lvlOverride w:ilvl="0">\s*<w:startOverride w:val="1"/>', declared)


def test_docx_links_are_word_hyperlinks(docx_xml):
    xml, rels, _ = docx_xml
    link = re.search(r'<w:hyperlink r:id="(rId\d+)"[^>]*>(.*?)</w:hyperlink>', xml)
    assert link and "sito della Regione" in link[2]
    assert re.search(rf'Id="{link[1]}"[^>]*Target="https://www.regione.puglia.it/"[^>]*TargetMode="External"', rels) \
        or re.search(rf'Target="https://www.regione.puglia.it/"[^>]*Id="{link[1]}"', rels)


def test_docx_indented_paragraph_is_not_lost(docx_xml):
    xml = docx_xml[0]
    assert "Rientrato con tab." in xml


def test_footnote_back_link_is_titled_in_italian():
    html = ours("Testo[^1].\n\n[^1]: la nota\n")
    assert 'title="Torna al richiamo della nota 1"' in html and "Jump back" not in html


def test_autolink_with_a_refused_scheme_is_reported(plan_dir: Path):
    chapter = plan_dir / "capitoli" / "20-abitudini.md"
    chapter.write_text(CHAPTER.split("## Come")[0] + "Vedi <ftp://esempio.it/file>.\n", encoding="utf-8")
    r = _run("check", str(plan_dir))
    assert re.search(rf"^{re.escape(str(chapter))}:7:\d+: errore: .*\[link-non-ammesso\]$", r.stderr, re.M), r.stderr
    assert r.returncode == 1


# --- more habits: list numbers, hard breaks, «1)» lists, setext and «#» headings, strikethrough --------

CHAPTER2 = """---
id: altre
titolo: Altre abitudini
numero: 6
ordine: 30
---
## Anni

Le fasi del piano:

2022. Avvio del servizio
2023. Consolidamento
2024. Verifica

Una riga che finisce con la barra\\
e poi il resto.

1) primo con parentesi

2) secondo con parentesi

Titolo sottolineato
-------------------

Testo ~~barrato~~ e una nota[^uno], e una scritta nel testo^[la nota in linea].

* * *

Dopo la linea.

[^uno]: il testo della nota.
"""


@pytest.fixture(scope="module")
def built2(tmp_path_factory):
    import shutil

    from conftest import FIXTURES
    root = tmp_path_factory.mktemp("abitudini2")
    plan = root / "piano"
    shutil.copytree(FIXTURES / "minimo", plan)
    (plan / "capitoli" / "30-altre.md").write_text(CHAPTER2, encoding="utf-8")
    r = _run("build", str(plan), "-o", str(root / "out"), "--format", "pdf,docx")
    assert r.returncode == 0, r.stderr
    pdf = next((root / "out").glob("*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    xml = zipfile.ZipFile(next((root / "out").glob("*.docx"))).read("word/document.xml").decode()
    return re.sub(r"[ \t]+", " ", text), xml


def test_list_numbers_as_written_in_the_pdf(built2):
    text, xml = built2
    assert "2022. Avvio del servizio" in text and "2024. Verifica" in text
    assert "1. Avvio del servizio" not in text


def test_backslash_is_a_hard_break_everywhere(built2):
    text, xml = built2
    assert "con la barra\n" in text and "barra\\" not in text
    para = _paragraph(xml, "con la barra")
    assert "<w:br/>" in para and ">e poi il resto." in para and "barra\\" not in para


def test_parenthesis_numbers_are_a_list(built2):
    text, xml = built2
    assert "ListNumber" in _paragraph(xml, "primo con parentesi</w:t>")
    assert "1) primo" not in text


def test_underlined_title_is_a_numbered_section(built2):
    text, xml = built2
    assert "6.2 Titolo sottolineato" in text
    assert any("Heading2" in p and "Titolo sottolineato" in p for p in re.findall(r"<w:p[ >].*?</w:p>", xml))


def test_strikethrough_and_footnote_in_the_docx(built2):
    text, xml = built2
    assert "~~" not in text and "~~" not in xml
    assert "<w:strike/>" in _paragraph(xml, "barrato")
    assert "↩" not in xml


def test_a_note_written_in_the_line_is_a_note_like_the_others(built2):
    text, xml = built2
    assert "^[" not in text and "^[" not in xml
    assert re.search(r"^ ?1\. il testo della nota\.\n+ ?2\. la nota in linea$", text, re.M)
    assert "la nota in linea" in xml


def test_more_habits_are_warned(plan_dir: Path):
    chapter = plan_dir / "capitoli" / "30-altre.md"
    chapter.write_text(CHAPTER2.split("Testo ~~")[0] + "Vedi [l'altro capitolo](altro.md) e la nota[^manca].\n\n"
                       "```\ncodice mai chiuso\n", encoding="utf-8")
    r = _run("check", str(plan_dir))
    lines = chapter.read_text(encoding="utf-8").split("\n")
    found = [f for f in re.findall(r"^(\S+?):(\d+):\d+: avviso: .* \[([\w-]+)\]$", r.stdout, re.M)
             if f[2] != "da-programmare"]
    n_link = next(i for i, t in enumerate(lines, 1) if "altro.md" in t)
    assert found == [(str(chapter), str(n_link), "nota-senza-testo"), (str(chapter), str(n_link), "link-relativo"),
                     (str(chapter), str(lines.index("```") + 1), "codice-non-chiuso")]


def test_hashtag_line_stays_text_and_footnote_paragraphs_are_not_code():
    assert skeleton(ours("#Puglia è la regione.\n")) == [("p", "#Puglia è la regione.", [])]
    note = "x[^a].\n\n[^a]: Prima riga\n    seconda.\n\n    Secondo paragrafo.\n"
    assert habit_notes(note) == []
    assert "<pre>" not in ours(note)


def test_email_autolink_is_not_a_path(plan_dir: Path):
    chapter = plan_dir / "capitoli" / "30-altre.md"
    chapter.write_text(CHAPTER2.split("## Anni")[0] + "Scrivere a <info@esempio.it>.\n", encoding="utf-8")
    r = _run("check", str(plan_dir))
    assert "link-relativo" not in r.stdout + r.stderr and r.returncode == 0


def test_loose_list_items_have_no_added_spaces(built2):
    _, xml = built2
    texts = re.findall(r"<w:t[^>]*>([^<]*)</w:t>", _paragraph(xml, "primo con parentesi"))
    assert "".join(texts) == "primo con parentesi"


def test_thematic_break_is_a_rule_in_the_docx(built2):
    _, xml = built2
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", xml)
    i = next(k for k, p in enumerate(paragraphs) if "Dopo la linea." in p)
    # the rule is the «Separatore» style of the reference document: a paragraph with a bottom border
    assert '<w:pStyle w:val="Separatore"/>' in paragraphs[i - 1]
    from pdz_docs.render.docx import REFERENCE
    styles = zipfile.ZipFile(REFERENCE).read("word/styles.xml").decode()
    assert re.search(r'w:styleId="Separatore">(?:(?!</w:style>).)*<w:bottom w:val="single"', styles)


def test_notes_have_their_title_and_no_rule(built2):
    """A chapter's notes are printed the same in the PDF and in the DOCX: the text, the title «Note», the notes;
    no rule above them (it would read as the writer's «---», which the chapter has just before)."""
    text, xml = built2
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", xml)
    i = next(k for k, p in enumerate(paragraphs) if "il testo della nota." in p)
    assert ">Note<" in paragraphs[i - 1] and "w:bottom" not in paragraphs[i - 1]
    words = lambda p: "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", p)).strip()  # noqa: E731
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    j = next(k for k, line in enumerate(lines) if "il testo della nota." in line)
    # block by block, the same: the last paragraph, the title, the note (numbered by Word's list in the DOCX)
    assert [words(p) for p in paragraphs[i - 2:i + 1]] == ["Dopo la linea.", "Note", "il testo della nota."]
    assert lines[j - 2:j + 1] == ["Dopo la linea.", "Note", "1. il testo della nota."]
    html = ours("Testo[^1].\n\n[^1]: la nota\n")
    assert '<p class="titolo-note">Note</p>' in html and "<hr" not in html


def test_footnote_back_arrow_is_a_link_on_screen_not_on_paper(built2):
    """«↩» takes the reader back to the call in the HTML; on paper it leads nowhere: the PDF does not print it."""
    text, _ = built2
    assert "il testo della nota." in text and "↩" not in text
    html = ours("Testo[^1].\n\n[^1]: la nota\n")
    assert re.search(r'<a class="footnote-backref" href="#[^"]+"[^>]*>&#8617;</a>', html)


def test_underlined_level_one_title_is_warned_as_the_hash_one(plan_dir: Path):
    """«Titolo» underlined with «===» is a level-1 heading, printed as a section like «# Titolo»: the same warning
    (it had none); underlined with «---» it is a section, as «##», and a «####» after it skips a level."""
    chapter = plan_dir / "capitoli" / "30-altre.md"
    chapter.write_text(CHAPTER2.split("## Anni")[0] + "Primo\n=====\n\nSecondo\n-------\n\n#### Salta\n\n"
                       "- voce\n---\n\nTesto\n\n---\n", encoding="utf-8")
    r = _run("check", str(plan_dir))
    lines = chapter.read_text(encoding="utf-8").split("\n")
    found = re.findall(r"^\S+?:(\d+):\d+: avviso: (titolo .*?) nel testo.* \[titolo-salta-livello\]$|"
                       r"^\S+?:(\d+):\d+: avviso: titolo «####» .* \[titolo-salta-livello\]$", r.stdout, re.M)
    assert found == [(str(lines.index("Primo") + 1), "titolo sottolineato con «===»", ""),
                     ("", "", str(lines.index("#### Salta") + 1))]
