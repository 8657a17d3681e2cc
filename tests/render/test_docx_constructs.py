"""A chapter with every Markdown construct comes out of the DOCX whole and in order, each construct as
Word draws it (list numbering, quote and code styles, a native table, a picture with its description)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image as PILImage

from test_nodes import CHAPTER, FIXTURES, WORDS, in_order


@pytest.fixture(scope="module")
def xml(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("costrutti-docx")
    plan = root / "piano"
    shutil.copytree(FIXTURES / "minimo", plan)
    (plan / "capitoli" / "immagini").mkdir()
    PILImage.new("RGB", (40, 20), "navy").save(plan / "capitoli" / "immagini" / "logo.png")
    (plan / "capitoli" / "20-costrutti.md").write_text(CHAPTER, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(root / "out"),
                        "--format", "docx"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return zipfile.ZipFile(next((root / "out").glob("*.docx"))).read("word/document.xml").decode()


def _paragraph(xml: str, needle: str) -> str:
    return next(p for p in re.findall(r"<w:p[ >].*?</w:p>", xml) if needle in p)


def test_every_construct_in_order_in_the_docx(xml: str):
    body = xml[xml.index("Tutti i costrutti</w:t>"):]                    # past the index
    text = " ".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", body))
    assert in_order(re.sub(r"\s+", " ", text), WORDS) == []
    assert "5.1 Ordine01 sezione" in text and "100,00" in text           # the section's number, the cited figure


def test_each_construct_as_word_draws_it(xml: str):
    assert re.search(r'<w:rStyle w:val="Emphasis"/></w:rPr><w:t[^>]*>Ordine03', xml)
    assert re.search(r'<w:rStyle w:val="Strong"/></w:rPr><w:t[^>]*>Ordine04', xml)
    assert re.search(r"<w:strike/></w:rPr><w:t[^>]*>Ordine05", xml)
    assert re.search(r'<w:rStyle w:val="HTMLCode"/></w:rPr><w:t[^>]*>Ordine06', xml)
    assert re.search(r'<w:rStyle w:val="Hyperlink"/></w:rPr><w:t[^>]*>Ordine07', xml)
    assert "<w:br/>" in _paragraph(xml, "Ordine08")                       # the hard line break
    assert 'descr="Ordine10 logo"' in xml
    assert "ListBullet" in _paragraph(xml, "Ordine11") and "ListBullet2" in _paragraph(xml, "Ordine12")
    assert "ListNumber" in _paragraph(xml, "Ordine14")
    assert '"Quote"' in _paragraph(xml, "Ordine16")
    assert '"Codice"' in _paragraph(xml, "Ordine17") and '"Codice"' in _paragraph(xml, "Ordine18")
    assert '"Separatore"' in xml
    table = next(t for t in re.findall(r"<w:tbl>.*?</w:tbl>", xml) if "Ordine19" in t)
    assert '<w:tblStyle w:val="TabellaDati"/>' in table and "CifreTabella" in table   # «--:» aligns right
    assert '"Heading3"' in _paragraph(xml, "Ordine23") and '"Heading4"' in _paragraph(xml, "Ordine24")
    assert '"Heading5"' in _paragraph(xml, "Ordine25")          # a skipped level is printed at the next level
    assert '"TitoloNote"' in _paragraph(xml, ">Note<") and "ListNumber" in _paragraph(xml, "Ordine28")
    assert re.search(r"<w:vertAlign w:val=\"superscript\"/></w:rPr><w:t>1</w:t>", xml)   # the note's call


def _built(tmp_path: Path, chapter: str) -> str:
    """The document.xml of the small plan with `chapter` added."""
    plan = tmp_path / "piano"
    shutil.copytree(FIXTURES / "minimo", plan)
    (plan / "capitoli" / "immagini").mkdir()
    PILImage.new("RGB", (40, 20), "navy").save(plan / "capitoli" / "immagini" / "logo.png")
    (plan / "capitoli" / "20-celle.md").write_text(chapter, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(tmp_path / "out"),
                        "--format", "docx"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return zipfile.ZipFile(next((tmp_path / "out").glob("*.docx"))).read("word/document.xml").decode()


TABLE_CHAPTER = """---
id: celle
titolo: Celle
numero: 6
ordine: 20
---
| Voce | Centro | Valore |
|------|:------:|-------:|
| **Cella01** | c | *Cella02* |
| [Cella03](https://example.org/c) | c | `Cella04` |
| Cella05[^c] | c | 1 |
| ![Cella07 logo](immagini/logo.png) | c | 2 |

[^c]: La nota della cella.

Un [collegamento con *Cella06* in corsivo](https://example.org/l).
"""


def test_a_markdown_tables_cells_keep_their_runs_and_alignment(tmp_path):
    """Bold, italic, a link, code, a note call and a picture written in a cell stay so in Word, as in the PDF;
    a column aligned `:---:` is centred."""
    xml = _built(tmp_path, TABLE_CHAPTER)
    assert re.search(r'<w:rStyle w:val="Strong"/></w:rPr><w:t[^>]*>Cella01', xml)
    assert re.search(r'<w:rStyle w:val="Emphasis"/></w:rPr><w:t[^>]*>Cella02', xml)
    assert re.search(r'<w:hyperlink r:id="[^"]+"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t[^>]*>Cella03', xml)
    assert re.search(r'<w:rStyle w:val="HTMLCode"/></w:rPr><w:t[^>]*>Cella04', xml)
    assert re.search(r'Cella05</w:t></w:r><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:t>1</w:t>', xml)
    centre = re.findall(r'<w:jc w:val="center"/></w:pPr><w:r>(?:<w:rPr>.*?</w:rPr>)?<w:t>([^<]*)</w:t>', xml)
    assert centre == ["Centro", "c", "c", "c", "c"]
    table = next(t for t in re.findall(r"<w:tbl>.*?</w:tbl>", xml) if "Cella01" in t)
    assert 'descr="Cella07 logo"' in table                                  # the picture in its cell


def test_a_links_words_keep_their_emphasis(tmp_path):
    xml = _built(tmp_path, TABLE_CHAPTER)
    link = next(h for h in re.findall(r"<w:hyperlink .*?</w:hyperlink>", xml) if "Cella06" in h)
    assert re.search(r'<w:rStyle w:val="Hyperlink"/><w:i/></w:rPr><w:t[^>]*>Cella06', link)
    assert "collegamento con " in link and " in corsivo" in link


CODE_CHAPTER = """---
id: codice
titolo: Codice
numero: 6
ordine: 20
---
Prima del codice.

```
Riga01 prima
  Riga02 rientrata

Riga03 dopo una vuota
```

    Riga04 rientrato
    Riga05 rientrato

Dopo il codice.
"""


def test_a_code_block_is_one_paragraph_with_line_breaks(tmp_path):
    """Word sees a block of code as one paragraph of the «Codice» style, whose spacing the reference document
    sets: it is spaced and kept together as one block, not as one paragraph a line."""
    xml = _built(tmp_path, CODE_CHAPTER)
    code = [p for p in re.findall(r"<w:p[ >].*?</w:p>", xml) if "Riga0" in p]
    assert len(code) == 2 and all('<w:pStyle w:val="Codice"/>' in p for p in code)
    lines = [re.findall(r"<w:t[^>]*>([^<]*)</w:t>|(<w:br/>)", p) for p in code]
    assert ["".join(t or "\n" for t, _ in found).split("\n") for found in lines] == [
        ["Riga01 prima", "  Riga02 rientrata", "", "Riga03 dopo una vuota"], ["Riga04 rientrato", "Riga05 rientrato"]]
    styles = zipfile.ZipFile(next((tmp_path / "out").glob("*.docx"))).read("word/styles.xml").decode()
    style = re.search(r'<w:style w:type="paragraph" w:styleId="Codice">.*?</w:style>', styles).group(0)
    assert re.search(r'<w:spacing w:before="\d+" w:after="\d+"', style) and "<w:keepLines/>" in style
