"""The document builder: every Markdown construct of a chapter becomes its node, at the writer's line."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from PIL import Image as PILImage

from conftest import edit, line_of
from pdz_docs.document import nodes as n
from pdz_docs.document.builder import chapter_from_markdown
from pdz_docs.finance.table import Cell, Table, cells

# body line numbers (1-based) are those of the file: chapter_from_markdown starts the body at line 1
CHAPTER = """\
## Sezione

Testo *enfasi* **forte** ~~barrato~~ `codice` [sito](https://esempio.it) {{ cifre.pop.totale }}[^n]\\
a capo ![Logo](immagini/logo.png) e [percorso](altro.md).

- voce
  1. sotto
- altra

> citata

```python
x = 1
```

---

| a | b |
|:--|--:|
| 1 | **2** |

{{ tabella("t") }}

### Sotto

#### Salta un livello

[^n]: la nota
"""

TABLE = Table("t", "Tabella di prova", (("A", "B"),), (cells("x", "y"),))


def build(tmp_path: Path, text: str = CHAPTER):
    (tmp_path / "capitoli" / "immagini").mkdir(parents=True)
    PILImage.new("RGB", (20, 10), "red").save(tmp_path / "capitoli" / "immagini" / "logo.png")
    return chapter_from_markdown(text, file="capitoli/prova.md", numero=2, chapter_id="prova",
                                 cifre={"pop": {"totale": "1.234"}}, tables={"t": TABLE}, root=tmp_path)


def walk(node):
    yield node
    for value in vars(node).values():
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, n.Node):
                yield from walk(child)


def test_each_construct_is_its_node_at_its_line(tmp_path):
    chapter, problems = build(tmp_path)
    assert problems == []
    found = [(type(b).__name__, b.loc.line) for b in chapter.blocks]
    assert found == [("Heading", 1), ("Paragraph", 3), ("List", 6), ("Quote", 10), ("CodeBlock", 12),
                     ("Rule", 16), ("MarkdownTable", 18), ("ComputedTable", 22), ("Heading", 24),
                     ("Heading", 26), ("Footnotes", 28)]
    assert all(b.loc.file == "capitoli/prova.md" for b in chapter.blocks)


def test_headings_numbered_once_and_never_skip_a_level(tmp_path):
    chapter, _ = build(tmp_path)
    headings = [b for b in chapter.blocks if isinstance(b, n.Heading)]
    assert [(h.level, h.number, h.title, h.anchor) for h in headings] == [
        (2, "2.1", "Sezione", "prova-1"), (3, "", "Sotto", "prova-1-1"), (4, "", "Salta un livello", "")]
    assert chapter.sections == (headings[0],)


def test_inline_runs_with_their_lines(tmp_path):
    chapter, _ = build(tmp_path)
    runs = chapter.blocks[1].runs
    kinds = [type(r).__name__ for r in runs]
    assert kinds == ["Text", "Emphasis", "Text", "Strong", "Text", "Strike", "Text", "Code", "Text", "Link", "Text",
                     "FigureRef", "FootnoteRef", "LineBreak", "Text", "Image", "Text"]
    figure = runs[11]
    assert (figure.name, figure.text, figure.loc.line) == ("cifre.pop.totale", "1.234", 3)
    assert runs[9].href == "https://esempio.it"
    image = runs[15]
    assert (image.alt, image.picture.mime, image.loc.line) == ("Logo", "image/png", 4)
    # a link to a path means nothing on paper: its text stays, the link goes
    assert runs[16] == n.Text(" e percorso.", loc=runs[16].loc) and runs[16].loc.line == 4


def test_lists_tables_code_and_notes(tmp_path):
    chapter, _ = build(tmp_path)
    lst = chapter.blocks[2]
    assert (lst.ordered, lst.tight, len(lst.items)) == (False, True, 2)
    nested = lst.items[0].blocks[1]
    assert (nested.ordered, nested.start, nested.loc.line) == (True, 1, 7)
    code = chapter.blocks[4]
    assert (code.text, code.language) == ("x = 1\n", "python")
    table = chapter.blocks[6]
    assert table.alignments == ("left", "right")
    assert n.plain(table.rows[0][1]) == "2" and isinstance(table.rows[0][1][0], n.Strong)
    assert chapter.blocks[7].table is TABLE
    notes = chapter.blocks[-1].notes
    assert [(f.number, f.anchor, n.plain(f.blocks[0].runs)) for f in notes] == [(1, "prova-nota-1", "la nota")]
    ref = next(r for r in walk(chapter) if isinstance(r, n.FootnoteRef))
    assert (ref.anchor, ref.call) == (notes[0].anchor, 1)


def test_a_note_called_twice_is_one_note_with_two_calls(tmp_path):
    chapter, _ = build(tmp_path, "Doppia[^x] e[^x].\n\n[^x]: Testo.\n")
    calls = [(r.number, r.call) for r in walk(chapter) if isinstance(r, n.FootnoteRef)]
    assert calls == [(1, 1), (1, 2)] and len(chapter.blocks[-1].notes) == 1


def test_writer_habits_read_as_meant(tmp_path):
    text = "Testo:\n- a\n- b\n\n##Titolo\n\n1. uno\n  - sotto\n2. due\n"
    chapter, _ = build(tmp_path, text)
    kinds = [type(b).__name__ for b in chapter.blocks]
    assert kinds == ["Paragraph", "List", "Heading", "List"]
    assert chapter.blocks[2].title == "Titolo" and chapter.blocks[2].loc.line == 5
    numbered = chapter.blocks[3]
    assert len(numbered.items) == 2 and isinstance(numbered.items[0].blocks[1], n.List)


def test_raw_html_is_text(tmp_path):
    chapter, _ = build(tmp_path, 'Prima <b onclick="x">grassetto</b>\n\n<script>alert(1)</script>\n')
    assert [n.plain(b.runs) for b in chapter.blocks] == ['Prima <b onclick="x">grassetto</b>',
                                                         "<script>alert(1)</script>"]


def test_table_cited_inside_a_heading_or_emphasis_is_a_located_problem(tmp_path):
    chapter, problems = build(tmp_path, "Testo.\n\n## Titolo {{ tabella(\"t\") }}\n\nAltro *{{ schede() }}*.\n")
    assert [(p.loc.file, p.loc.line, p.code, p.severity) for p in problems] == [
        ("capitoli/prova.md", 3, "costrutto-non-supportato", "avviso"),
        ("capitoli/prova.md", 5, "costrutto-non-supportato", "avviso")]
    assert chapter.blocks[1].title == "Titolo"
    assert n.plain(chapter.blocks[2].runs) == "Altro ."


def test_a_table_cited_inside_a_sentence_splits_the_paragraph(tmp_path):
    chapter, problems = build(tmp_path, "Prima {{ tabella(\"t\") }} dopo.\n")
    assert problems == []
    assert [type(b).__name__ for b in chapter.blocks] == ["Paragraph", "ComputedTable", "Paragraph"]
    assert [n.plain(chapter.blocks[i].runs) for i in (0, 2)] == ["Prima ", " dopo."]


def test_a_section_written_inside_a_quote_or_a_list_is_in_the_index(plan_dir):
    """A `##` inside a quote or a list item is numbered like the others: the index lists it in its place
    (it went 2.1, 2.3 with the numbered 2.2 missing)."""
    from pdz_docs.build import build

    (plan_dir / "capitoli" / "20-citazioni.md").write_text(
        "---\nid: cit\ntitolo: Citazioni\nnumero: 5\nordine: 20\n---\n## Prima\n\n> ## Nella citazione\n\n"
        "- voce\n\n  ## Nella voce\n\n## Ultima\n", encoding="utf-8")
    outputs, _ = build(plan_dir, ["html"])
    html = outputs.files[0].data.decode()
    index = html[html.index('<nav class="indice"'):html.index("</nav>")]
    assert [m for m in re.findall(r">(5\.\d [^<]+)</a>", index)] == [   # a chapter the regional index does not list
        "5.1 Prima", "5.2 Nella citazione", "5.3 Nella voce", "5.4 Ultima"]


def test_a_figure_cited_in_a_pictures_description_is_its_value(tmp_path):
    """The description a screen reader speaks (and Word shows) has the figure, not «{{ … }}»."""
    chapter, problems = build(tmp_path, "![Mappa dei {{ cifre.pop.totale }} abitanti](immagini/logo.png)\n")
    assert problems == []
    images = [x for x in walk(chapter) if isinstance(x, n.Image)]
    assert [i.alt for i in images] == ["Mappa dei 1.234 abitanti"]


def test_check_and_the_studio_list_an_unsupported_construct_at_its_line(plan_dir: Path, capsys):
    """`pdz check` and the studio's checks build the chapters as `pdz build` does: what the document leaves
    out is a located warning there too, not only when building."""
    from pdz_docs.cli import main
    from pdz_docs.studio.shadow import Shadow

    chapter = plan_dir / "capitoli" / "10-cap1.md"
    edit(chapter, "## Un profilo di comunità", "## Un profilo di comunità {{ tabella(\"territorio\") }}")
    line = line_of(chapter, "## Un profilo di comunità")
    assert main(["check", str(plan_dir)]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^(\S+):(\d+):\d+: avviso: (.*) \[costrutto-non-supportato\]$", out, re.M) == [
        (str(chapter), str(line), "una tabella o le schede citate in un titolo, in una cella di tabella, in un "
         "collegamento o in un testo evidenziato: non si può stampare nel documento ed è omesso; scriverlo in un "
         "paragrafo a sé")]
    shadow = Shadow(plan_dir)
    try:
        _, problems = shadow.check()
    finally:
        shadow.close()
    assert [(p.loc.file, p.loc.line) for p in problems if p.code == "costrutto-non-supportato"] == [
        ("capitoli/10-cap1.md", line)]


def test_a_note_never_cited_is_a_warning_at_its_line(tmp_path):
    """A note's text whose label the chapter never cites printed nowhere, silently: a warning at its line."""
    text = "Citata[^a].\n\n[^a]: Stampata.\n\n[^orfana]: Mai richiamata.\n    Su due righe.\n\n[^b]: Neppure.\n"
    chapter, problems = build(tmp_path, text)
    assert [(p.loc.file, p.loc.line, p.code, p.severity) for p in problems] == [
        ("capitoli/prova.md", 5, "nota-non-citata", "avviso"), ("capitoli/prova.md", 8, "nota-non-citata", "avviso")]
    assert "[^orfana]" in problems[0].message
    assert [len(b.notes) for b in chapter.blocks if isinstance(b, n.Footnotes)] == [1]


def test_a_note_cited_only_inside_code_is_not_cited(tmp_path):
    _, problems = build(tmp_path, "Si scrive `[^a]` per citarla.\n\n[^a]: Testo.\n")
    assert [(p.loc.line, p.code) for p in problems] == [(3, "nota-non-citata")]


def test_a_soft_break_inside_emphasis_is_a_space(tmp_path):
    """A line of the file ending inside *…*, **…** or a link's words is a space there too (the DOCX made it a
    hard line break: python-docx writes «\\n» as <w:br/>)."""
    chapter, _ = build(tmp_path, "Testo *su due\nrighe* e **anche\nqui** e [un\nsito](https://esempio.it).\n")
    runs = chapter.blocks[0].runs
    assert [n.plain(r.children) for r in runs if isinstance(r, (n.Emphasis, n.Strong, n.Link))] == [
        "su due righe", "anche qui", "un sito"]


def test_a_table_whose_words_do_not_fit_a_portrait_page_is_turned(tmp_path):
    """Measured in the font tables are set in: eight columns of seven-digit amounts at 7.5 points are wider
    than a portrait page's text, whatever the share of the rest; four are not; nor a table of short words."""
    amount = Cell(Decimal("1133903.78"), "euro")
    wide = Table("w", "Otto colonne", (("Annualità", *(f"Quota {i}" for i in range(7))),),
                 (cells("2022", *[amount] * 7),))
    narrow = Table("s", "Quattro colonne", (("Annualità", "A", "B", "C"),), (cells("2022", *[amount] * 3),))
    written = ("| " + " | ".join(["Importo"] * 8) + " |\n|" + "--:|" * 8 + "\n| "
               + " | ".join(["€ 1.133.903,78"] * 8) + " |\n")
    short = "| a | b | c | d | e | f | g | h |\n|--|--|--|--|--|--|--|--|\n| 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 |\n"
    chapter, problems = chapter_from_markdown(
        '{{ tabella("w") }}\n\n{{ tabella("s") }}\n\n' + written + "\n" + short, tables={"w": wide, "s": narrow})
    assert problems == []
    blocks = chapter.blocks
    assert [type(b).__name__ for b in blocks] == ["Orientation", "ComputedTable", "Orientation", "MarkdownTable"]
    assert blocks[0].landscape and blocks[0].blocks[0].table is wide
    assert blocks[2].landscape and isinstance(blocks[2].blocks[0], n.MarkdownTable)
