"""The DOCX as Word reads it: Italian language, fields refreshed on opening, sections, package parts."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import CAPITOLO_1, FIXTURES, SEZIONE_1, SEZIONE_2


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
    # the plan, the landscape annexes, and (a draft) the «Elementi da completare» on portrait pages again
    assert len(sections) == 3
    assert ['w:orient="landscape"' in sec for sec in sections] == [False, True, False]
    assert "<w:titlePg/>" in sections[0] and not any("<w:titlePg/>" in sec for sec in sections[1:])
    for sec in sections:
        assert "<w:headerReference" in sec and "<w:footerReference" in sec
    last = xml[xml.rindex("</w:tbl>"):]
    assert "Documento prodotto con pdz-docs" in last and last.count("<w:sectPr") == 1


def _body_paragraphs(xml: str) -> list[str]:
    return re.findall(r"<w:p[ >].*?</w:p>", xml.split("<w:body>")[1])


def test_no_direct_font_size_shade_or_typed_bullet_in_the_text(docx):
    xml = docx.read("word/document.xml").decode()
    run_props = re.findall(r"<w:rPr>.*?</w:rPr>", xml.split("<w:body>")[1])
    assert [r for r in run_props if "<w:sz " in r or "<w:rFonts" in r] == []
    assert "•" not in xml                                          # card lists are Word list paragraphs
    assert len(re.findall(r'<w:pStyle w:val="ElencoTabella"/>', xml)) >= 3
    header_rows = re.findall(r"<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>.*?</w:tr>", xml)
    assert header_rows and not any("<w:shd" in row for row in header_rows[:1])
    first_rows = [re.search(r"<w:tr>.*?</w:tr>", t)[0] for t in re.findall(r"<w:tbl>.*?</w:tbl>", xml)]
    assert not any("<w:shd" in row for row in first_rows)          # the table style shades header and labels


def test_every_style_named_in_the_text_is_defined(docx):
    xml, styles = docx.read("word/document.xml").decode(), docx.read("word/styles.xml").decode()
    defined = set(re.findall(r'<w:style [^>]*w:styleId="([^"]+)"', styles))
    used = set(re.findall(r'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', xml))
    assert used <= defined, used - defined
    assert {"TabellaDati", "GrigliaScheda", "TestoTabella", "CifreTabella", "Strong", "TOC1", "TOC2",
            "Caption", "Provenienza", "CopertinaAmbito", "Title"} <= used
    assert set(re.findall(r'<w:tblStyle w:val="([^"]+)"', xml)) == {"TabellaDati", "GrigliaScheda"}


def test_fonts_are_embedded_and_no_heading_names_a_theme_font(docx):
    from io import BytesIO

    from fontTools.ttLib import TTFont

    assert "<w:embedTrueTypeFonts/>" in docx.read("word/settings.xml").decode()
    styles = docx.read("word/styles.xml").decode()
    assert "Theme" not in "".join(re.findall(r"<w:rFonts [^>]*>", styles))           # no Calibri/Cambria by theme
    families = set(re.findall(r'<w:rFonts w:ascii="([^"]+)"', styles))
    table = docx.read("word/fontTable.xml").decode()
    rels = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', docx.read("word/_rels/fontTable.xml.rels").decode()))
    embedded = {}
    for name, body in re.findall(r'<w:font w:name="([^"]+)">(.*?)</w:font>', table):
        for kind, rid, key in re.findall(r'<w:embed(\w+) r:id="(rId\d+)" w:fontKey="(\{[^}]+\})"/>', body):
            data = bytearray(docx.read("word/" + rels[rid]))
            k = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
            for i in range(32):                                      # ECMA-376 §17.8.1 obfuscation, undone
                data[i] ^= k[i % 16]
            font = TTFont(BytesIO(bytes(data)))
            embedded.setdefault(name, set()).add(kind)
            assert font["name"].getDebugName(1) == name
            assert {0x20AC, ord("à"), ord("È"), ord("’"), ord("–")} <= set(font.getBestCmap())
            if name == "DejaVu Sans":                                # the tick boxes' font
                assert {0x2610, 0x2612} <= set(font.getBestCmap())
    assert embedded == {f: {"Regular", "Bold", "Italic", "BoldItalic"} for f in ("DejaVu Serif", "DejaVu Sans")}
    assert families - set(embedded) <= {"Courier New"}                # otherwise on every Office machine


def test_index_has_entries_with_pages_and_links_to_its_headings(docx):
    xml = docx.read("word/document.xml").decode()
    # an entry: its text (a title that would fill its line to the margin has its last word on a line of its own,
    # so its page number is not glued to it), a tab, the page
    found = re.findall(r'<w:pStyle w:val="TOC(\d)"/></w:pPr>(?:<w:r>(?:(?!</w:r>).)*</w:r>)*<w:hyperlink '
                       r'w:anchor="([^"]+)"[^>]*><w:r>((?:<w:t[^>]*>[^<]*</w:t>(?:<w:br/>)?)+)</w:r><w:r><w:tab/></w:r>'
                       r'<w:r><w:t>(\d+)</w:t>', xml)
    entries = [(lvl, anchor, " ".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", runs)), page)
               for lvl, anchor, runs, page in found]
    assert [(lvl, text, int(page)) for lvl, _, text, page in entries] == [
        ("1", f"Capitolo I – {CAPITOLO_1}", 3), ("2", f"1.1 {SEZIONE_1}", 3), ("2", f"1.2 {SEZIONE_2}", 3),
        ("1", "Allegati finanziari – Schede A e C", 5), ("1", "Elementi da completare", 6)]   # a draft's last section
    for _, anchor, text, _ in entries:
        assert re.search(rf'<w:bookmarkStart w:id="\d+" w:name="{anchor}"/><w:r><w:t>{re.escape(text)}</w:t>', xml)
    fields = re.findall(r'<w:fldChar w:fldCharType="(\w+)"/>', xml.split("Indice")[1].split("Heading1")[0])
    assert fields == ["begin", "separate", "end"]                  # one field around all the entries
