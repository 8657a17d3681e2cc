"""Tables numbered in document order, «Tabella n. N – Titolo» above each, cited by number with tabella_n."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import UNPROGRAMMED, line_of
from pdz_docs.pipeline import run
from pdz_docs.problems import NOTA

CAP1 = "10-cap1.md"   # the fixture's chapter: it inserts fasce_eta, then the cards

# a chapter after it: a forward citation, a captioned Markdown table, a computed table, an uncaptioned table
EXTRA = """\
---
id: extra
titolo: Extra
numero: 5
ordine: 20
---
## Tabelle

La {{ tabella_n("territorio") }} segue, la {{ tabella_n("fasce_eta") }} precede; gli allegati: {{ tabella_n("scheda_a") }}.

| Servizio | Utenti |
|---|--:|
| SAD | 12 |
: Utenti dei servizi *domiciliari*

{{ tabella("territorio") }}

| Scritta | A mano |
|---|---|
| a | b |

Tabella: Seconda tabella scritta a mano

| Senza | Didascalia |
|---|--:|
| Uno | 1 |

Testo dopo la tabella.

Tabella: non è una didascalia, il paragrafo non segue una tabella.
"""


def chapter(plan: Path, body: str) -> Path:
    path = plan / "capitoli" / "20-extra.md"
    path.write_text(body, encoding="utf-8")
    return path


def located(problems) -> list[tuple[str, int, int, str]]:
    return [(Path(p.loc.file).name, p.loc.line, p.loc.col, p.code) for p in problems
            if p.severity != NOTA and p.code != UNPROGRAMMED]


def test_citation_mistakes_are_located(plan_dir: Path):
    path = chapter(plan_dir, EXTRA.split("## Tabelle")[0] + """\
## Errori

Come nella {{ tabella_n("fasce") }}.

La {{ tabella_n("famiglie") }} non è inserita da nessuna parte.

{{ tabella("fasce_eta") }}
""")
    _, problems = run(plan_dir)
    lines = path.read_text(encoding="utf-8").splitlines()

    def at(text: str, near: str) -> tuple[str, int, int]:
        line = line_of(path, text)
        return "20-extra.md", line, lines[line - 1].index(near) + 1

    assert located(problems) == [(*at('tabella_n("fasce")', "fasce"), "cifra-sconosciuta"),
                                 (*at("famiglie", "famiglie"), "tabella-non-inserita"),
                                 (*at('{{ tabella("fasce_eta") }}', "{{"), "citazione-ripetuta")]
    unknown, unplaced, twice = [p.message for p in problems if p.code != UNPROGRAMMED and p.severity != NOTA]
    assert "forse «fasce_eta»" in unknown
    assert 'tabella("famiglie")' in unplaced
    assert f"{CAP1}:{line_of(plan_dir / 'capitoli' / CAP1, 'tabella(')}" in twice and 'tabella_n("fasce_eta")' in twice


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[str, str]:
    """The fixture with the chapter above, as HTML and as the DOCX's document.xml."""
    root = tmp_path_factory.mktemp("numeri")
    subprocess.run(["cp", "-r", str(Path(__file__).parent / "fixtures" / "minimo"), str(root / "piano")], check=True)
    chapter(root / "piano", EXTRA)
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(root / "piano"), "-o", str(root / "out"),
                        "--format", "html,docx"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    page = html.unescape(next((root / "out").glob("*.html")).read_text(encoding="utf-8")).replace("\u00a0", " ")
    with zipfile.ZipFile(next((root / "out").glob("*.docx"))) as z:
        xml = z.read("word/document.xml").decode("utf-8").replace("\u00a0", " ")
    return page, xml


def captions(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<caption>(.*?)</caption>", page, re.S)
            if "Tabella n." in c]


def test_html_numbers_tables_in_order_and_links_citations_to_them(built):
    page, _ = built
    assert [c.split(" – ")[0] for c in captions(page)] == [f"Tabella n. {i}" for i in range(1, 7)]
    assert captions(page)[:4] == ["Tabella n. 1 – Popolazione per fasce d'età",
                                  "Tabella n. 2 – Utenti dei servizi domiciliari",
                                  "Tabella n. 3 – Territorio e popolazione residente",
                                  "Tabella n. 4 – Seconda tabella scritta a mano"]
    assert [c.split(" – ")[1] for c in captions(page)[4:]] == ["Scheda A", "Scheda C"]   # the annexes
    # the uncaptioned table has no caption; the paragraph after a paragraph stays text
    assert "<p>Tabella: non è una didascalia" in page
    cited = re.findall(r'<a class="rif-tabella" href="#([^"]+)">([^<]+)</a>', page)
    assert [label for _, label in cited] == ["Tabella n. 3", "Tabella n. 1", "Tabella n. 5"]
    for anchor, label in cited:   # each link goes to the table whose caption carries its number
        table = re.search(rf'<table[^>]* id="{re.escape(anchor)}">\s*<caption>(.*?)</caption>', page, re.S)
        assert table and re.sub(r"<[^>]+>", "", table[1]).startswith(label + " – ")
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_docx_captions_count_with_seq_fields_and_citations_refer_to_them(built):
    _, xml = built
    paragraphs = re.findall(r"<w:p>(?:(?!</w:p>).)*?<w:pStyle w:val=\"Caption\"/>.*?</w:p>", xml, re.S)
    numbered = [p for p in paragraphs if "SEQ Tabella" in p]
    text = ["".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)<", p)) for p in numbered]   # the SEQ field's result too
    assert [t.split(" – ")[0] for t in text] == [f"Tabella n. {i}" for i in range(1, 7)]
    assert text[1] == "Tabella n. 2 – Utenti dei servizi domiciliari"
    # each number is a SEQ field whose saved result is the number, under a bookmark of its own
    for i, p in enumerate(numbered, 1):
        assert re.search(rf'w:name="_RefTabella{i}"/>.*SEQ Tabella \\\* ARABIC.*<w:t>{i}</w:t>.*<w:bookmarkEnd', p, re.S)
    names = re.findall(r'<w:bookmarkStart [^>]*w:name="([^"]+)"', xml)
    assert len(names) == len(set(names))
    refs = re.findall(r"REF (_RefTabella\d+) \\h.*?<w:t(?: [^>]*)?>([^<]*)</w:t>", xml, re.S)
    assert refs == [("_RefTabella3", "Tabella n. 3"), ("_RefTabella1", "Tabella n. 1"), ("_RefTabella5", "Tabella n. 5")]


def test_pdz_cifre_lists_how_to_cite_each_tables_number(plan_dir: Path):
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "cifre", str(plan_dir)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(re.fullmatch(r'\{\{ tabella\("territorio"\) \}\}\s+Territorio e popolazione residente', x) for x in lines)
    assert any(re.fullmatch(r'\{\{ tabella_n\("territorio"\) \}\}\s+il numero della tabella «Territorio e '
                            r'popolazione residente»', x) for x in lines)


def test_a_chapter_inserting_a_scheda_the_annexes_print_is_warned(plan_dir: Path):
    """Schede A and C are printed in the financial annexes: inserted in a chapter too, they would be printed
    twice, under two numbers (a warning, at the insertion: plans made by earlier versions do it)."""
    path = chapter(plan_dir, EXTRA.replace('{{ tabella("territorio") }}', '{{ tabella("territorio") }}\n\n'
                                           '{{ tabella("scheda_a") }}'))
    _, problems = run(plan_dir)
    found = [(p.loc.line, p.severity, p.message) for p in problems if p.code == "tabella-negli-allegati"]
    assert found == [(line_of(path, 'tabella("scheda_a")'), "avviso",
                      "la tabella «scheda_a» è già stampata negli allegati finanziari: inserita anche qui compare "
                      "due volte, con due numeri; per richiamarla nel testo si scrive {{ tabella_n(\"scheda_a\") }}")]
    _, problems = run(chapter(plan_dir, EXTRA).parents[1])
    assert not [p for p in problems if p.code == "tabella-negli-allegati"]


def test_a_caption_written_above_its_table_is_said(plan_dir: Path):
    """«Tabella: …» above the table is printed as a paragraph and the table has no number: a warning at its
    line says where the caption goes (one below a table is its caption, and no warning)."""
    from pdz_docs.document.builder import build_document
    from pdz_docs.provenance import provenance

    path = chapter(plan_dir, EXTRA.replace("| Scritta | A mano |", "Tabella: Scritta sopra\n\n| Scritta | A mano |"))
    result, _ = run(plan_dir)
    _, problems = build_document(result, provenance(result.plan))
    found = [(p.loc.line, p.severity) for p in problems if p.code == "didascalia-sopra"]
    assert found == [(line_of(path, "Tabella: Scritta sopra"), "avviso")]
