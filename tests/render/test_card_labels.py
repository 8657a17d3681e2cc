"""A card reads in the same words in the PDF and in the DOCX: its labels, headers and caption come from the
document tree (`CardLabels`), read back from each file."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import FIXTURES
from pdz_docs.document.nodes import CARD_LABELS

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")

K = CARD_LABELS
# what the card draws as labels: row labels, table headers, the total (Macro-attività and Interventi e servizi
# open the text of a value cell, the programming's title is a caption)
LABELS = {K.scheda, K.titolo, K.priorita, K.aree, *K.obiettivi, K.risultati, *K.servizi, K.valenza, K.gestione,
          K.riferimento, *K.colonne, K.totale, K.utenza, K.documenti, K.operatori, K.azioni}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("etichette")
    shutil.copytree(FIXTURES / "minimo", root / "piano")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(root / "piano"), "-o", str(root / "out"),
                        "--format", "pdf,docx"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return root / "out"


def test_the_docx_card_draws_exactly_the_trees_labels(built):
    xml = zipfile.ZipFile(next(built.glob("*.docx"))).read("word/document.xml").decode()
    start = xml.index(">\xa0A.1\xa0<")                                 # the card's title, its code on blue
    card = xml[start:xml.index('w:val="Heading1"', start)]
    bold = set()
    for tbl in re.findall(r"<w:tbl>.*?</w:tbl>", card):
        for p in re.findall(r"<w:p>.*?</w:p>", tbl):
            text = "".join(re.findall(r'<w:rStyle w:val="Strong"/></w:rPr><w:t[^>]*>([^<]*)</w:t>', p)).strip()
            if text and not text.startswith("€"):
                bold.add(text)
    assert bold == LABELS
    captions = re.findall(r'<w:pStyle w:val="Caption"/>.*?</w:p>', card)
    assert any(f">{K.programmazione}<" in c for c in captions)
    assert f"{K.macro} A – " in card and f"{K.intervento} A.1 – " in card


def test_the_pdf_card_prints_the_same_labels(built):
    text = subprocess.run(["pdftotext", str(next(built.glob("*.pdf"))), "-"], capture_output=True, text=True).stdout
    start = text.index("Scheda di progettazione")
    card = text[start:text.index("Allegati finanziari", start)]          # the one card, up to the annexes
    for label in sorted(LABELS | {K.programmazione, K.macro, K.intervento}):
        assert re.search(r"\s+".join(map(re.escape, label.split())), card), label


def test_docx_cards_follow_one_another_as_in_the_pdf(built):
    """A card opens no page of its own (the PDF's cards follow one another: a page each made the DOCX run
    14 pages longer on the default plan, and its index showed the PDF's pages); its heading stays with its
    first grid, and a service's block is kept on one page."""
    xml = zipfile.ZipFile(next(built.glob("*.docx"))).read("word/document.xml").decode()
    heading = re.search(r'<w:p><w:pPr><w:pStyle w:val="TitoloScheda"/>(?:(?!</w:p>).)*'
                        r'<w:rStyle w:val="CodiceScheda"/></w:rPr><w:t[^>]*>\xa0A\.1\xa0</w:t>(?:(?!</w:p>).)*'
                        r'Segretariato sociale', xml).group(0)
    assert "pageBreakBefore" not in heading
    tables = re.findall(r"<w:tbl>.*?</w:tbl>", xml[xml.index(heading):])
    first, service = tables[0], next(t for t in tables if f">{K.utenza}<" in t)
    # between two of its tables, a small gap (Word would join two adjacent tables), not an empty text line
    assert re.search(r'</w:tbl><w:p><w:pPr><w:pStyle w:val="SpazioTabelle"/></w:pPr></w:p><w:tbl>', xml)
    for table in (first, service):
        rows = re.findall(r"<w:tr>.*?</w:tr>", table)
        assert all("<w:keepNext/>" in r for r in rows[:-1]), table[:200]
