"""The default plan built once and read back by the programs the Region and the Comuni use.

pdftotext and a PDF library read the PDF (text, outline, metadata, the PDF/A-2a claim, embedded fonts,
tags), qpdf checks its structure, LibreOffice converts the DOCX and the XLSX; the PDF and the DOCX must
carry the same amounts, headings and card codes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
AMOUNT = re.compile(r"€ \d{1,3}(?:\.\d{3})*,\d\d")


@pytest.fixture(scope="module")
def built(default_outputs):
    return default_outputs


@pytest.fixture(scope="module")
def result():
    from pdz_docs.pipeline import run

    res, _ = run(ROOT / "content")
    return res


def pdf_text(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def docx_paragraphs(path: Path) -> list[tuple[str, str]]:
    """(style, text) of every paragraph of the body, table cells included."""
    root = ET.fromstring(zipfile.ZipFile(path).read("word/document.xml"))
    out = []
    for p in root.iter(W + "p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        text = "".join(t.text or "" for t in p.iter(W + "t")).replace("\u00a0", " ")   # «€» keeps its no-break space
        out.append((style.get(W + "val") if style is not None else "", text))
    return out


def norm(title: str) -> str:
    return re.sub(r"[\s–-]+", " ", title).strip()


def outline(path: Path) -> list[tuple[int, str]]:
    from pypdf import PdfReader

    def walk(items, depth):
        for it in items:
            if isinstance(it, list):
                yield from walk(it, depth + 1)
            else:
                yield depth, it.title
    return list(walk(PdfReader(str(path)).outline, 0))


def test_pdf_text_has_every_chapter_card_and_key_total(built, result):
    text = pdf_text(built["pdf"])
    flat = re.sub(r"\s+", " ", text)
    for cap in result.plan.capitoli:
        assert norm(cap.meta.titolo) in norm(flat), cap.meta.titolo
    for s in result.plan.schede:
        assert f"{s.scheda.codice} {s.scheda.titolo}" in flat, s.scheda.codice
    cifre = result.computed.tables
    for needle in ("€ 8.515.853,75",   # budget of the plan, computed from its sources
                   "70.275",            # resident population
                   "€ 904.396,85",      # minimum co-financing of the Comuni
                   "€ 5.440.662,04"):   # total of Scheda A
        assert needle in flat, needle
    assert "Scheda A" in cifre["scheda_a"].title


def test_pdf_pages_have_running_header_and_page_numbers(built):
    from pypdf import PdfReader

    pages = len(PdfReader(str(built["pdf"])).pages)
    third = pdf_text(built["pdf"], "-f", "3", "-l", "3")
    assert "Ambito Territoriale Sociale di Casarano – Piano Sociale di Zona 2022-2024" in third
    assert f"pag. 3 di {pages}" in third
    last = pdf_text(built["pdf"], "-f", str(pages), "-l", str(pages))
    assert "Revisione:" in last and "contenuto" in last


def test_pdf_outline_has_chapters_sections_and_cards(built, result):
    titles = [norm(t) for _, t in outline(built["pdf"])]
    for cap in result.plan.capitoli:
        assert any(norm(cap.meta.titolo) in t for t in titles), cap.meta.titolo
    for s in result.plan.schede:
        assert norm(f"{s.scheda.codice} {s.scheda.titolo}") in titles
    # the chapters, the financial annexes and, in a draft (the default plan is one), «Elementi da completare»
    assert sum(1 for depth, _ in outline(built["pdf"]) if depth == 0) == len(result.plan.capitoli) + 2
    assert titles[-1] == "Elementi da completare"


def test_pdf_bookmarks_say_what_the_printed_index_says(built, result):
    """A chapter's bookmark reads as its entry in the printed index, «Capitolo I – Analisi…», not as the two lines
    of its printed heading run together («Capitolo I Analisi…»); and the index lists every top-level bookmark,
    a draft's «Elementi da completare» included."""
    from pdz_docs.document.builder import build_document
    from pdz_docs.provenance import provenance

    doc, _ = build_document(result, provenance(result.plan))
    entries = [e.text for e in doc.toc.entries if e.level == 1]
    assert "Capitolo I – Analisi del contesto socio-demografico e del sistema di offerta dei servizi" in entries
    assert entries[-1] == "Elementi da completare"
    assert [t for depth, t in outline(built["pdf"]) if depth == 0] == entries
    index = re.sub(r"\s+", " ", pdf_text(built["pdf"], "-f", "2", "-l", "3"))
    for entry in entries:
        assert re.search(re.escape(entry) + r" ?\.{3,} ?\d+", index), entry


def test_pdf_metadata_and_provenance(built):
    from pypdf import PdfReader

    reader = PdfReader(str(built["pdf"]))
    info = reader.metadata
    assert info.title == "Piano Sociale di Zona 2022-2024 – Ambito Territoriale Sociale di Casarano"
    assert info.author == "Ambito Territoriale Sociale di Casarano"
    assert "Provincia di Lecce" in info.subject and "Regione Puglia" in info["/Keywords"]
    assert re.fullmatch(r"[0-9a-f]{12}|fuori da git", info["/pdzrevisione"])
    assert info["/pdzmodifichenonregistrate"] in ("sì", "no")
    assert re.fullmatch(r"[0-9a-f]{16}", info["/pdzcontenuto"])
    assert reader.trailer["/Root"]["/Lang"] == "it-IT"


def test_pdf_a_2a_claim(built):
    """What a PDF/A-2a file must have, checked with pypdf: identification, colour profile, embedded fonts, tags."""
    from pypdf import PdfReader

    reader = PdfReader(str(built["pdf"]))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="A"' in xmp
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert "/Encrypt" not in reader.trailer and "/ID" in reader.trailer
    fonts = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for desc_font in [font, *[f.get_object() for f in font.get("/DescendantFonts", [])]]:
                desc = desc_font.get("/FontDescriptor")
                if desc is not None:
                    desc = desc.get_object()
                    fonts[str(desc["/FontName"])] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), [name for name, embedded in fonts.items() if not embedded]
    raw = built["pdf"].read_bytes()
    assert b"/JavaScript" not in raw and b"/Launch" not in raw


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf non installato (bash run test lo installa)")
def test_qpdf_check(built):
    r = subprocess.run(["qpdf", "--check", str(built["pdf"])], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No syntax or stream encoding errors found" in r.stdout


def test_docx_custom_properties(built):
    xml = zipfile.ZipFile(built["docx"]).read("docProps/custom.xml").decode()
    assert re.search(r'name="PdzRevisione"><vt:lpwstr>([0-9a-f]{12}|fuori da git)<', xml)
    assert re.search(r'name="PdzContenuto"><vt:lpwstr>[0-9a-f]{16}<', xml)
    types = zipfile.ZipFile(built["docx"]).read("[Content_Types].xml").decode()
    assert "/docProps/custom.xml" in types


def test_pdf_and_docx_do_not_drift_apart(built, result):
    pdf = pdf_text(built["pdf"])
    paragraphs = docx_paragraphs(built["docx"])
    docx = "\n".join(text for _, text in paragraphs)
    assert set(AMOUNT.findall(pdf)) == set(AMOUNT.findall(docx))
    assert len(set(AMOUNT.findall(pdf))) > 200
    pdf_headings = {norm(t) for depth, t in outline(built["pdf"])}
    docx_headings = {norm(text) for style, text in paragraphs if style in ("Heading1", "Heading2")}
    codes = {s.scheda.codice for s in result.plan.schede}
    cards = {norm(text) for style, text in paragraphs if style == "TitoloScheda"}
    assert pdf_headings == docx_headings | cards
    assert {c.split()[0] for c in cards} == codes


def _libreoffice(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to",
                    "pdf", "--outdir", str(out), str(src)], capture_output=True, timeout=300, check=True)
    return next(out.glob("*.pdf"))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice non installato (bash run test lo installa)")
def test_libreoffice_reads_docx(built, tmp_path: Path):
    from pypdf import PdfReader

    converted = _libreoffice(built["docx"], tmp_path)
    ours = len(PdfReader(str(built["pdf"])).pages)
    theirs = len(PdfReader(str(converted)).pages)
    assert 0.8 * ours <= theirs <= 1.3 * ours, (ours, theirs)
    text = re.sub(r"\s+", " ", pdf_text(converted))
    for needle in ("€ 8.515.853,75", "€ 5.440.662,04", "B.2 Sostegno socio-educativo", "Capitolo III"):
        assert needle in text, needle
    # every numbered list starts at 1 (Word lists used to continue one another: "7. il sistema…")
    laid_out = re.sub(r"[ \t]+", " ", pdf_text(converted, "-layout"))
    assert "1. il sistema di welfare d'accesso" in laid_out and "7. il sistema di welfare" not in laid_out
    assert "1. Convenzione (art. 30" in laid_out


def line_breaks_in_text(docx: Path) -> list[str]:
    """Paragraphs of running text (outside tables, the index's entries and code blocks) with a manual line break."""
    body = ET.fromstring(zipfile.ZipFile(docx).read("word/document.xml")).find(W + "body")

    def style(p) -> str:
        s = p.find(f"{W}pPr/{W}pStyle")
        return "" if s is None else s.get(W + "val")
    return ["".join(t.text or "" for t in p.iter(W + "t"))[:60] for p in body.findall(W + "p")
            if any(br.get(W + "type") in (None, "textWrapping") for br in p.iter(W + "br"))
            and p.find(f".//{W}instrText") is None and not style(p).startswith("TOC") and style(p) != "Codice"]


def test_docx_source_wrapping_is_not_a_line_break(built):
    assert line_breaks_in_text(built["docx"]) == []


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice non installato (bash run test lo installa)")
def test_libreoffice_reads_xlsx(built, tmp_path: Path):
    text = pdf_text(_libreoffice(built["xlsx"], tmp_path))
    # The totals are formulas stored with their values: LibreOffice shows them, and they equal ours.
    for needle in ("8.515.853,75 €", "5.440.662,04 €", "Scheda A"):
        assert needle in text, needle
