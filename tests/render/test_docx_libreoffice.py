"""The DOCX as LibreOffice lays it out: lists restart, amounts stay whole, the index has the right pages,
every page carries the header and footer, a wide table turns the page."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import CAPITOLO_1, FIXTURES, SEZIONE_1, SEZIONE_2, edit

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                                reason="LibreOffice o pdftotext non installati (bash run test li installa)")

CHAPTER = """---
id: allegati
titolo: Aree e allegati
numero: 2
ordine: 20
---
## Le aree

Le aree strategiche:

1. Prima area
2. Seconda area
3. Terza area

## Gli allegati

Gli allegati al piano:

1. Delibera di approvazione
2. Verbale della conferenza

{{ tabella("fnps_quote") }}

{{ tabella("quadro_sinottico") }}

{{ tabella("scheda_a") }}
"""

LAST = """---
id: ultimo
titolo: Dopo le tabelle
numero: 3
ordine: 30
---
Un capitolo dopo le tabelle larghe.

Via Roma 1,  
73042 Casarano\\
tel. 0833 123456, un paragrafo lungo quanto basta da andare a capo da solo alla fine della riga stampata.
"""


FNPS_QUOTE = """    libera: € 60.000,00
    minori_famiglia: € 40.000,00
  2023-2024:
    libera: € 153.473,25
    minori_famiglia: € 1.079.378,68
    dimissioni_protette: € 14.648,66
    supervisione: € 14.648,66
    antiviolenza: € 109.294,62"""


class Laid:
    """The DOCX and LibreOffice's PDF of it, page by page."""

    def __init__(self, docx: Path, pdf: Path):
        self.zip = zipfile.ZipFile(docx)
        self.xml = self.zip.read("word/document.xml").decode()
        self.pdf = pdf
        info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True).stdout
        self.sizes = [tuple(map(float, m)) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
        self.pages = [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                                     capture_output=True, text=True).stdout for i in range(1, len(self.sizes) + 1)]

    def page_of(self, text: str, after: int = 2) -> int:
        """The first page (1-based) after the index whose text has `text` (spaces normalised)."""
        flat = [re.sub(r"\s+", " ", p) for p in self.pages]
        return next(i + 1 for i, p in enumerate(flat) if i >= after and text in p)


@pytest.fixture(scope="module")
def laid(tmp_path_factory) -> Laid:
    root = tmp_path_factory.mktemp("libreoffice")
    plan = root / "piano"
    shutil.copytree(FIXTURES / "minimo", plan)
    (plan / "capitoli" / "20-allegati.md").write_text(CHAPTER, encoding="utf-8")
    (plan / "capitoli" / "30-ultimo.md").write_text(LAST, encoding="utf-8")
    # amounts of seven digits: the widest a Scheda A cell holds
    edit(plan / "finanza.yaml", "2022: € 250.000,00", "2022: € 1.250.000,00")
    edit(plan / "schede" / "A.1.yaml", "PdZ: € 40.000,00", "PdZ: € 1.146.210,31")
    # the default plan's FNPS split: eight columns of amounts, too wide for a portrait page at 7.5 points
    edit(plan / "finanza.yaml", "    2023: € 100.000,00\n    2024: € 100.000,00",
         "    2023: € 1.035.721,94\n    2024: € 335.721,93")
    edit(plan / "finanza.yaml", "    libera: € 60.000,00\n    minori_famiglia: € 40.000,00", FNPS_QUOTE)
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(root / "out"),
                        "--format", "docx"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    docx = next((root / "out").glob("*.docx"))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{root}/profilo", "--convert-to", "pdf",
                    "--outdir", str(root / "lo"), str(docx)], capture_output=True, timeout=300)
    return Laid(docx, next((root / "lo").glob("*.pdf")))


def test_each_numbered_list_starts_at_one(laid: Laid):
    # held since each list became its own Word list; kept here with the other checks through LibreOffice
    text = "\n".join(laid.pages)
    assert re.search(r"^\s*1\.\s+Prima area$", text, re.M) and re.search(r"^\s*3\.\s+Terza area$", text, re.M)
    assert re.search(r"^\s*1\.\s+Delibera di approvazione$", text, re.M)      # not «4.»
    assert re.search(r"^\s*2\.\s+Verbale della conferenza$", text, re.M)


def test_no_amount_or_header_word_is_broken_across_lines(laid: Laid):
    amounts = {a.replace("\u00a0", " ") for a in re.findall(r"€[ \u00a0][\d.]+,\d\d", laid.xml)}   # no-break space or not
    assert "€ 1.146.210,31" in amounts and "€ 1.196.210,31" in amounts
    lines = [line.replace("\u00a0", " ") for page in laid.pages for line in page.split("\n")]
    broken = [a for a in amounts if not any(a in line for line in lines)]
    assert broken == []
    assert "€ 1.079.378,68" in amounts and "€ 1.371.443,87" in amounts    # the FNPS split's widest figures
    # columns are as wide as their longest word: no «Codic / e» in the Quadro sinottico's header
    quadro = laid.pages[laid.page_of("Quadro sinottico della") - 1]
    for word in ("Codice", "Interventi", "Potenziamento", "Specificità", "territoriale"):
        assert re.search(rf"\b{word}\b", quadro), word
    # nor «Ann / ualit / à» over the FNPS split's eight columns of figures
    fnps = laid.pages[laid.page_of("Ripartizione del FNPS") - 1]
    for word in ("Annualità", "Importo", "supervisione", "assistenti", "dimissioni", "violenza", "Totale"):
        assert re.search(rf"(?<!\w){word}(?!\w)", fnps), word


def test_index_pages_are_where_libreoffice_puts_the_headings(laid: Laid):
    # the pages come from the PDF's layout of the same text in the same fonts, sizes and margins
    found = re.findall(r'<w:hyperlink w:anchor="_Toc_[^"]+"[^>]*><w:r>((?:<w:t[^>]*>[^<]*</w:t>(?:<w:br/>)?)+)</w:r>'
                       r"<w:r><w:tab/></w:r><w:r><w:t>(\d+)</w:t>", laid.xml)
    entries = [(" ".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", runs)), page) for runs, page in found]
    assert [t for t, _ in entries] == [f"Capitolo I – {CAPITOLO_1}", f"1.1 {SEZIONE_1}", f"1.2 {SEZIONE_2}",
                                       "Capitolo II – Aree e allegati", "2.1 Le aree", "2.2 Gli allegati",
                                       "Capitolo III – Dopo le tabelle", "Allegati finanziari – Schede A e C",
                                       "Elementi da completare"]   # a draft's last section
    assert [int(p) for _, p in entries] == [laid.page_of(t) for t, _ in entries]
    # the index as LibreOffice shows it: every entry with dots and its page number, also the chapter's title
    # that would fill its line to the margin (its last word goes down to the number)
    index = re.sub(r"\s+", " ", laid.pages[1])
    for text, page in entries:
        assert re.search(re.escape(text) + r" ?\.{3,} ?" + page + r"\b", index), text
    assert re.search(r"^\s*servizi ?\.{3,} ?3$", laid.pages[1], re.M)


def test_every_page_after_the_cover_has_header_and_page_number(laid: Laid):
    # including the landscape sections opened inside a chapter and the portrait one that follows them
    n = len(laid.pages)
    assert "Ambito Territoriale Sociale di Prova" in laid.pages[0] and "pag. 1" not in laid.pages[0]
    for i, page in enumerate(laid.pages[1:], start=2):
        assert "Ambito Territoriale Sociale di Prova – Piano Sociale di Zona 2022-2024" in page, i
        assert f"pag. {i} di {n}" in page, i


def test_wide_tables_in_a_chapter_are_on_landscape_pages(laid: Laid):
    for caption in ("Quadro sinottico della programmazione di Ambito", "Scheda A – Servizi e interventi"):
        width, height = laid.sizes[laid.page_of(caption) - 1]
        assert width > height, caption
    first, second = laid.page_of("Quadro sinottico della"), laid.page_of("Scheda A – Servizi")
    assert all(w > h for w, h in laid.sizes[first - 1:second])   # one landscape section for both, no page between
    width, height = laid.sizes[laid.page_of("Un capitolo dopo le tabelle larghe.") - 1]
    assert width < height                                        # the chapter's text after a wide table: portrait


def test_a_line_ended_by_a_hard_break_is_not_stretched(laid: Laid):
    """Two spaces or «\\» at the end of a line break it; the justified paragraph does not spread
    the words of that short line across the page (Word's default would)."""
    text = "\n".join(laid.pages)
    assert re.search(r"^\s*Via Roma 1,$", text, re.M), text[-600:]
    assert re.search(r"^\s*73042 Casarano$", text, re.M), [l for l in text.splitlines() if "Casarano" in l]
