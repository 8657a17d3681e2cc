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


HEADING_CHAPTER = """---
id: titoli
titolo: Titoli
numero: 6
ordine: 20
---
## Il *Titolo01* e il **Titolo02** del [Titolo03](https://example.org/t) con nota[^t]

#### Anche `Titolo04` qui *Titolo05*

Testo.

[^t]: La nota del titolo.
"""


def test_headings_keep_their_inline_formatting(tmp_path):
    """Emphasis, strong, a link, code and a note call in a heading stay so in Word, as in the PDF (the heading
    was one run of plain text, its link and note call lost); the index's bookmark still holds its words."""
    xml = _built(tmp_path, HEADING_CHAPTER)
    heading = next(p for p in re.findall(r"<w:p[ >].*?</w:p>", xml) if "Titolo01" in p and '"Heading2"' in p)
    assert re.search(r'<w:rStyle w:val="Emphasis"/></w:rPr><w:t[^>]*>Titolo01', heading)
    assert re.search(r'<w:rStyle w:val="Strong"/></w:rPr><w:t[^>]*>Titolo02', heading)
    assert re.search(r'<w:hyperlink r:id="[^"]+"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t[^>]*>Titolo03',
                     heading)
    assert re.search(r'<w:vertAlign w:val="superscript"/></w:rPr><w:t>1</w:t>', heading)
    assert re.search(r'<w:bookmarkStart [^>]*/><w:r><w:t[^>]*>6\.1 Il </w:t>.*<w:bookmarkEnd [^>]*/></w:p>', heading)
    small = _paragraph(xml, "Titolo04")
    assert re.search(r'<w:rStyle w:val="CodiceTitolo"/></w:rPr><w:t[^>]*>Titolo04', small)
    assert re.search(r'<w:rStyle w:val="Emphasis"/></w:rPr><w:t[^>]*>Titolo05', small)


NESTED_CHAPTER = """---
id: annidati
titolo: Annidati
numero: 6
ordine: 20
---
> Quota01 primo livello
>
> > Quota02 secondo livello
> >
> > > Quota03 terzo livello
>
> | Quota04 a | b |
> |---|---|
> | 1 | 2 |

- Voce01

  | Voce02 a | b |
  |---|---|
  | 1 | 2 |

  - Voce03

    | Voce04 a | b |
    |---|---|
    | 1 | 2 |

| Fuori01 a | b |
|---|---|
| 1 | 2 |
"""


def _indent(styles: str, style: str) -> int:
    return int(re.search(rf'w:styleId="{style}">(?:(?!</w:style>).)*<w:ind w:left="(\d+)"', styles)[1])


def test_quotes_nest_and_tables_keep_their_containers_indent(tmp_path):
    """A quote inside a quote is indented more than its parent (it was drawn as the parent); a table inside a
    quote or a list item starts where their text starts, and is as much narrower (it was at the margin)."""
    xml = _built(tmp_path, NESTED_CHAPTER)
    docx = zipfile.ZipFile(next((tmp_path / "out").glob("*.docx")))
    styles = docx.read("word/styles.xml").decode()
    numbering = docx.read("word/numbering.xml").decode()
    quotes = [re.search(r'<w:pStyle w:val="([^"]+)"/>', _paragraph(xml, f"Quota0{i}"))[1] for i in (1, 2, 3)]
    assert quotes == ["Quote", "Quote2", "Quote3"]
    indents = [_indent(styles, q) for q in quotes]
    assert indents[0] < indents[1] < indents[2]
    assert re.search(r'w:styleId="Quote">(?:(?!</w:style>).)*<w:left w:val="single"', styles)   # the PDF's bar

    def table(word: str) -> tuple[int, int]:
        tbl = next(t for t in re.findall(r"<w:tbl>.*?</w:tbl>", xml) if word in t)
        ind = re.search(r'<w:tblInd w:w="(\d+)" w:type="dxa"/>', tbl)
        return int(ind[1]) if ind else 0, int(re.search(r'<w:tblW w:w="(\d+)"', tbl)[1])

    full = table("Fuori01")
    assert full[0] == 0
    list_indents = [int(re.search(rf'<w:pStyle w:val="{s}"/>.*?<w:ind w:left="(\d+)"', numbering)[1])
                    for s in ("ListBullet", "ListBullet2")]
    for word, indent in (("Quota04", indents[0]), ("Voce02", list_indents[0]), ("Voce04", list_indents[1])):
        assert table(word) == (indent, full[1] - indent), word


TITLES_CHAPTER = """---
id: titoli
titolo: Titoli
numero: 6
ordine: 20
---
![Mappa01](immagini/logo.png "Mappa02 dell'Ambito") e il [sito01](https://example.org/s "Sito02 della Regione").
"""


def test_titles_of_pictures_and_links_are_kept(tmp_path):
    """A title written after a picture's or a link's address is kept as CommonMark keeps it: the picture's
    and the link's title in the HTML (a tooltip) and in Word (the picture's title, the link's tooltip)."""
    from test_markdown_habits import ours

    html = ours('![M](x.png "Mappa02") [s](https://example.org/s "Sito02")\n')
    assert 'title="Sito02"' in html
    xml = _built(tmp_path, TITLES_CHAPTER)
    assert re.search(r'<wp:docPr [^>]*descr="Mappa01"[^>]*title="Mappa02 dell\'Ambito"', xml) or \
        re.search(r'<wp:docPr [^>]*title="Mappa02 dell\'Ambito"[^>]*descr="Mappa01"', xml)
    assert re.search(r'<w:hyperlink [^>]*w:tooltip="Sito02 della Regione"', xml)


INSIDE_CHAPTER = """---
id: dentro
titolo: Dentro
numero: 6
ordine: 20
---
1. Voce01:

   ```
   Codice01 nella voce
   ```

> - Citata01 voce
>   - Citata02 sotto-voce

- Primo
  - Secondo01

    Seguito01 del secondo
"""


def test_code_lists_and_paragraphs_keep_their_containers_indent(tmp_path):
    """As in the PDF: code in a list item starts at the item's text, a list in a quote inside the quote, a
    sub-item's further paragraph under the sub-item's text (they were at the margin or at the first level)."""
    xml = _built(tmp_path, INSIDE_CHAPTER)
    docx = zipfile.ZipFile(next((tmp_path / "out").glob("*.docx")))
    styles, numbering = (docx.read(f"word/{p}.xml").decode() for p in ("styles", "numbering"))
    quote = _indent(styles, "Quote")
    lists = {s: int(re.search(rf'<w:pStyle w:val="{s}"/>.*?<w:ind w:left="(\d+)"', numbering)[1])
             for s in ("ListNumber", "ListBullet", "ListBullet2")}

    def left(word: str) -> int:
        return int(re.search(r'<w:ind w:left="(\d+)"', _paragraph(xml, word))[1])

    assert left("Codice01") == lists["ListNumber"]
    assert (left("Citata01"), left("Citata02")) == (quote + lists["ListBullet"], quote + lists["ListBullet2"])
    assert left("Seguito01") == lists["ListBullet2"]


def test_a_fourth_list_level_is_indented_further_than_the_third(tmp_path):
    """Word's list styles go three levels deep; a fourth level was drawn on the third (the PDF indents it)."""
    xml = _built(tmp_path, "---\nid: livelli\ntitolo: Livelli\nnumero: 6\nordine: 20\n---\n"
                 "- Livello01\n  - Livello02\n    - Livello03\n      - Livello04\n\n        Seguito04\n")
    numbering = zipfile.ZipFile(next((tmp_path / "out").glob("*.docx"))).read("word/numbering.xml").decode()
    third = int(re.search(r'<w:pStyle w:val="ListBullet3"/>.*?<w:ind w:left="(\d+)"', numbering)[1])
    fourth = _paragraph(xml, "Livello04")
    assert "ListBullet3" in fourth
    left = int(re.search(r'<w:ind w:left="(\d+)"', fourth)[1])
    assert left > third and int(re.search(r'<w:ind w:left="(\d+)"', _paragraph(xml, "Seguito04"))[1]) == left


def test_code_in_a_heading_is_the_headings_size(tmp_path):
    """Code in a heading is set at the heading's size, as in the PDF (the code style's 9 points made it smaller
    than the words around it); in the text it keeps the code style."""
    xml = _built(tmp_path, HEADING_CHAPTER)
    heading = next(p for p in re.findall(r"<w:p[ >].*?</w:p>", xml) if "Titolo04" in p and "Heading" in p)
    assert re.search(r'<w:rStyle w:val="CodiceTitolo"/></w:rPr><w:t[^>]*>Titolo04', heading)
    styles = zipfile.ZipFile(next((tmp_path / "out").glob("*.docx"))).read("word/styles.xml").decode()
    code = re.search(r'w:styleId="CodiceTitolo">(.*?)</w:style>', styles)[1]
    assert "Courier New" in code and "<w:sz " not in code


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


CONTAINED_HEADINGS_CHAPTER = """---
id: contenuti
titolo: Contenuti
numero: 6
ordine: 20
---
- ### Elenco01 titolo in una voce
- Elenco02 voce semplice

1. ### Elenco03 titolo numerato

- Elenco04 voce con un titolo dopo il testo:

  ### Elenco05 titolo dentro la voce

> ### Citato01 titolo in una citazione
>
> Citato02 testo della citazione

![Figura01 logo](immagini/logo.png)
"""


def test_headings_in_list_items_and_quotes_keep_their_bullet_and_bar(tmp_path):
    """«- ### Titolo» keeps its bullet (the list's numbering on the heading); a heading in a quote keeps the
    quote's bar and indent; a picture in the line has no distance around it (LibreOffice reads none as 3 mm);
    the file's properties carry no made-up creation date."""
    xml = _built(tmp_path, CONTAINED_HEADINGS_CHAPTER)
    xml = xml[xml.index('<w:pStyle w:val="Heading1"/>'):]      # past the index
    docx = zipfile.ZipFile(next((tmp_path / "out").glob("*.docx")))
    bullet = _paragraph(xml, "Elenco01")
    assert re.search(r'"Heading\d"', bullet)
    assert re.search(r"<w:numPr><w:numId w:val=\"(\d+)\"/><w:ilvl w:val=\"0\"/></w:numPr>|"
                     r"<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"(\d+)\"/></w:numPr>", bullet)
    numbered = _paragraph(xml, "Elenco03")
    assert re.search(r'"Heading\d"', numbered) and "<w:numPr>" in numbered
    later = _paragraph(xml, "Elenco05")                    # under the item's text, not at the margin
    assert re.search(r'"Heading\d"', later) and re.search(r'<w:ind w:left="[1-9]\d*"', later)
    quoted = _paragraph(xml, "Citato01")
    assert re.search(r'"Heading\d"', quoted) and '<w:left w:val="single"' in quoted and "<w:ind w:left=" in quoted
    inline = re.search(r"<wp:inline[^>]*>", xml)[0]
    assert all(f'{side}="0"' in inline for side in ("distL", "distR", "distT", "distB"))
    core = docx.read("docProps/core.xml").decode()
    assert "dcterms:created" not in core and "dcterms:modified" not in core and "it-IT" in core
