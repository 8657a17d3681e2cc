"""The outputs read back: PDF text and outline, DOCX XML, determinism, atomic writes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import edit

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")


def build(plan: Path, out: Path, fmt: str = "pdf,docx") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(out), "--format", fmt],
                          capture_output=True, text=True)


@pytest.fixture
def built(plan_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    r = build(plan_dir, out)
    assert r.returncode == 0, r.stderr
    return plan_dir, out


def test_pdf_text_and_metadata(built):
    _, out = built
    pdf = next(out.glob("*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    for needle in ("Ambito Territoriale Sociale di Prova", "Piano Sociale di Zona", "Analisi del contesto",
                   "1.1 Un profilo di comunità", "A.1", "Segretariato sociale", "€ 50.000,00", "€ 100.000,00",
                   "L'Ambito conta 4.000 abitanti", "Scheda A", "pag. 2 di"):
        assert needle in text, needle
    from pypdf import PdfReader
    reader = PdfReader(str(pdf))
    assert reader.metadata.title.startswith("Piano Sociale di Zona")
    assert reader.metadata.author == "Ambito Territoriale Sociale di Prova"
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert any("Analisi del contesto" in t for t in titles)


def test_docx_structure(built):
    _, out = built
    docx = next(out.glob("*.docx"))
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode()
    assert 'w:val="Heading1"' in xml and 'w:val="Heading2"' in xml
    assert "TOC \\o" in xml
    assert "<w:tblHeader" in xml
    assert 'w:orient="landscape"' in xml
    footers = "".join(zipfile.ZipFile(docx).read(n).decode() for n in zipfile.ZipFile(docx).namelist() if "footer" in n)
    assert " PAGE " in footers and " NUMPAGES " in footers
    assert "1.1 Un profilo di comunità" in xml


def test_same_content_same_bytes(plan_dir: Path, tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert build(plan_dir, a).returncode == 0
    assert build(plan_dir, b).returncode == 0
    for f in a.iterdir():
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name


def test_failed_build_leaves_outputs(built):
    plan, out = built
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    edit(plan / "schede" / "A.1.yaml", "codice: A.1", "codice: A.9")
    r = build(plan, out)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "Nessun file scritto" in r.stderr
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice non installato (bash run test lo installa)")
def test_libreoffice_opens_docx(built, tmp_path: Path):
    _, out = built
    docx = next(out.glob("*.docx"))
    conv = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to",
                    "pdf", "--outdir", str(conv), str(docx)], capture_output=True, timeout=240)
    pdf = next(conv.glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Segretariato sociale" in text and "€ 50.000,00" in text


def test_images_of_the_plan_in_both_formats(plan_dir: Path, tmp_path: Path):
    from test_hostile import png

    (plan_dir / "immagini").mkdir()
    (plan_dir / "immagini" / "logo.png").write_bytes(png(400, 100))
    edit(plan_dir / "capitoli" / "10-cap1.md", "L'Ambito conta", "![Logo](../immagini/logo.png)\n\nL'Ambito conta")
    out = tmp_path / "out"
    assert build(plan_dir, out).returncode == 0
    names = zipfile.ZipFile(next(out.glob("*.docx"))).namelist()
    assert any(n.startswith("word/media/") and n.endswith(".png") for n in names)
    from pypdf import PdfReader
    assert any(page.images for page in PdfReader(str(next(out.glob("*.pdf")))).pages)


def test_files_written_names_the_pdfs_pages(default_outputs):
    """The closing list of `pdz build` gives the PDF's number of pages, as the README says: the page tree sits
    in a compressed object stream (PDF/A), where a search of the raw bytes does not find it."""
    from types import SimpleNamespace

    from pypdf import PdfReader

    from pdz_docs.cli import _describe

    pdf = default_outputs["pdf"]
    described = _describe(SimpleNamespace(format="pdf", data=pdf.read_bytes()))
    assert described.startswith(f"{len(PdfReader(pdf).pages)} pagine, "), described
    assert _describe(SimpleNamespace(format="pdf", data=b"%PDF-1.7 troncato")).endswith(" KB")
