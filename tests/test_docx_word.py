"""The DOCX as Word reads it: Italian language, fields refreshed on opening, sections, package parts."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES


@pytest.fixture(scope="module")
def docx(tmp_path_factory) -> zipfile.ZipFile:
    root = tmp_path_factory.mktemp("word")
    shutil.copytree(FIXTURES / "minimo", root / "piano")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(root / "piano"), "-o", str(root / "out"),
                        "--format", "docx"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return zipfile.ZipFile(next((root / "out").glob("*.docx")))


def test_language_is_italian_in_the_defaults_and_every_style(docx):
    styles = docx.read("word/styles.xml").decode()
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S)[0]
    assert re.search(r'<w:lang [^>]*w:val="it-IT"', defaults)
    assert set(re.findall(r'<w:lang [^>]*w:val="([^"]+)"', styles)) == {"it-IT"}
    assert 'w:val="it-IT"' in re.search(r"<w:themeFontLang [^>]*>", docx.read("word/settings.xml").decode())[0]


def test_word_updates_the_index_on_opening(docx):
    settings = docx.read("word/settings.xml").decode()
    assert '<w:updateFields w:val="true"/>' in settings
    # schema order (ECMA-376 CT_Settings): updateFields comes before compat
    assert settings.index("<w:updateFields") < settings.index("<w:compat")


def test_package_names_this_program_and_has_no_stray_thumbnail(docx):
    app = docx.read("docProps/app.xml").decode()
    assert "<Application>pdz-docs</Application>" in app
    assert "Macintosh" not in app and "<Pages>" not in app and "<Words>" not in app
    assert not any("thumbnail" in n for n in docx.namelist())


def test_every_section_has_header_and_footer_and_no_page_of_its_own_for_provenance(docx):
    xml = docx.read("word/document.xml").decode()
    sections = re.findall(r"<w:sectPr[ >].*?</w:sectPr>", xml, re.S)
    assert len(sections) == 2                                      # the plan, the landscape annexes
    assert "<w:titlePg/>" in sections[0] and "<w:titlePg/>" not in sections[1]
    for sec in sections:
        assert "<w:headerReference" in sec and "<w:footerReference" in sec
    last = xml[xml.rindex("</w:tbl>"):]
    assert "Documento prodotto con pdz-docs" in last and last.count("<w:sectPr") == 1
