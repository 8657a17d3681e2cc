"""Accessible documents: the default plan's PDF is PDF/A-2a and PDF/UA-1 for an independent validator,
tick boxes have an Italian text alternative, tables have header scopes, page furniture is an
artifact, headings do not skip a level (and a chapter that would skip one is reported at its line)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from html import unescape
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, edit, line_of

page = pytest.importorskip("page", reason="page-validation (extra test) non installato")


def _build(plan: Path, out: Path, fmt: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(out), "--format", fmt],
                          capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def default_pdf(default_outputs) -> Path:
    return default_outputs["pdf"]


@pytest.fixture(scope="module")
def small_pdf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("minimo")
    r = _build(ROOT / "tests" / "fixtures" / "minimo", out, "pdf,html")
    assert r.returncode == 0, r.stdout + r.stderr
    return next(out.glob("*.pdf"))


@pytest.mark.parametrize("profile", ["2a", "ua1"])
def test_default_plan_conforms(default_pdf: Path, profile: str):
    report = page.validate_pdf(str(default_pdf), profile=profile)
    assert [(f.rule_id, f.message) for f in report.failures] == []
    assert report.is_compliant


def test_pdf_declares_both_standards(small_pdf: Path):
    reader = PdfReader(str(small_pdf))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object()
    assert "/Filter" not in xmp                      # PDF/A: the metadata stream is not compressed
    packet = xmp.get_data().decode()
    assert 'pdfaid:part="2"' in packet and 'pdfaid:conformance="A"' in packet
    assert 'pdfuaid:part="1"' in packet and "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in packet
    assert "<dc:title>" in packet
    assert root["/Lang"] == "it-IT" and root["/ViewerPreferences"]["/DisplayDocTitle"]


def _tree(reader: PdfReader):
    """Every structure element, depth first, with its ancestors' types."""
    def walk(element, ancestors):
        element = element.get_object()
        yield element, ancestors
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if kid is not None and hasattr(kid, "get_object") and hasattr(kid.get_object(), "get") \
                    and kid.get_object().get("/Type") != "/OBJR" and "/S" in kid.get_object():
                yield from walk(kid, ancestors + (element.get("/S"),))
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    for kid in root["/K"] if isinstance(root["/K"], list) else [root["/K"]]:
        yield from walk(kid, ())


def test_tick_boxes_are_spoken_in_italian(small_pdf: Path):
    # the card of the fixture: LEPS chosen, "Il sistema di welfare d'accesso" its only area
    alts = [e.get("/Alt") for e, _ in _tree(PdfReader(str(small_pdf))) if e.get("/S") == "/Figure"]
    assert "LEPS: selezionato" in alts and "Potenziamento: non selezionato" in alts
    assert "Il sistema di welfare d'accesso: selezionato" in alts
    assert "Le politiche familiari e la tutela dei minori: non selezionato" in alts
    assert all(re.fullmatch(r".+: (non )?selezionato", a) for a in alts)
    html = next(small_pdf.parent.glob("*.html")).read_text(encoding="utf-8")
    assert html.count('<svg class="box" role="img"') == len(alts)
    assert "<title>LEPS: selezionato</title>" in html


def test_table_headers_have_scope_and_resolve(small_pdf: Path):
    reader = PdfReader(str(small_pdf))
    elements = list(_tree(reader))
    scopes = [e["/A"].get("/Scope") for e, _ in elements if e.get("/S") == "/TH"]
    assert scopes and set(scopes) == {"/Row", "/Column"}          # card labels are row headers
    ids = set(reader.trailer["/Root"]["/StructTreeRoot"]["/IDTree"]["/Names"][::2])
    for e, _ in elements:
        if e.get("/S") == "/TD":
            assert set(e["/A"].get("/Headers", [])) <= ids


def test_headings_do_not_nest_or_skip(small_pdf: Path):
    headings = [(int(e["/S"][2]), ancestors) for e, ancestors in _tree(PdfReader(str(small_pdf)))
                if re.fullmatch(r"/H[1-6]", e.get("/S", ""))]
    assert all(not any(re.fullmatch(r"/H[1-6]", a or "") for a in ancestors) for _, ancestors in headings)
    levels = [level for level, _ in headings]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:]))


def test_running_header_and_page_numbers_are_artifacts(small_pdf: Path):
    """The page margins (running title, BOZZA, page number) are laid over each page as one pagination
    artifact that draws the page's frame (render/pdf.py), whose text is those margins alone."""
    reader = PdfReader(str(small_pdf))
    page = reader.pages[1]
    content = page.get_contents().get_data()
    drawn = re.findall(rb"/Artifact\s*<</Type /Pagination>>\s*BDC\s*q\s*/(\w+)\s+Do\s*Q\s*EMC", content)
    assert len(drawn) == 1
    assert content.count(b"/" + drawn[0] + b" Do") == 1
    frame = page["/Resources"]["/XObject"]["/" + drawn[0].decode()].get_object()
    assert b"BDC" not in frame.get_data() and b"BMC" not in frame.get_data()   # nothing tagged inside it
    text = page.extract_text()
    assert "pag. 2 di" in text and re.search("B ?O ?Z ?Z ?A", text) and "Ambito Territoriale Sociale" in text


def test_heading_that_skips_a_level_is_reported(plan_dir: Path):
    chapter = plan_dir / "capitoli" / "10-cap1.md"
    edit(chapter, "## Lo \"stato", "### Lo \"stato")
    edit(chapter, "## Un profilo", "#### Un profilo")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "check", str(plan_dir)], capture_output=True, text=True,
                       cwd=ROOT)
    found = re.findall(r"^(\S+?):(\d+):1: avviso: (.*) \[titolo-salta-livello\]$", r.stdout, re.M)
    assert [(f, int(n)) for f, n, _ in found] == [(str(chapter), line_of(chapter, "#### Un profilo"))]
    assert "scrivere «##»" in found[0][2]


def test_docx_language_captions_outline_and_tick_boxes(plan_dir: Path, tmp_path: Path):
    r = _build(plan_dir, tmp_path, "docx")
    assert r.returncode == 0, r.stdout + r.stderr
    with zipfile.ZipFile(next(tmp_path.glob("*.docx"))) as z:
        styles, body = z.read("word/styles.xml").decode(), z.read("word/document.xml").decode()
    langs = re.findall(r'<w:lang w:val="([^"]+)"', styles)
    assert langs and set(langs) == {"it-IT"}
    tables = re.findall(r"<w:tbl>.*?</w:tblPr>", body)
    captions = [re.search(r'<w:tblCaption w:val="([^"]*)"/>', t) for t in tables]
    assert tables and all(c and c.group(1).strip() for c in captions)
    assert "Programmazione economica" in [c.group(1) for c in captions]
    styles_used = re.findall(r'<w:pStyle w:val="(Title|Heading\d)"/>', body)
    assert styles_used[0] == "Title"                                 # the cover's plan title
    levels = [int(s[-1]) for s in styles_used if s != "Title"]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:]))
    # tick boxes: check-box content controls named by the option and its state, showing ☒/☐
    boxes = re.findall(r'<w:sdt><w:sdtPr><w:alias w:val="([^"]+)"/>.*?<w14:checked w14:val="([01])"/>.*?'
                       r"<w:t>([☒☐])</w:t></w:r></w:sdtContent></w:sdt>", body)
    assert ("LEPS: selezionato", "1", "☒") in boxes and ("Potenziamento: non selezionato", "0", "☐") in boxes
    assert ("2022: selezionato", "1", "☒") in boxes
    assert all((name.endswith(": selezionato"), mark) in ((True, "☒"), (False, "☐")) and (mark == "☒") == (on == "1")
               for name, on, mark in boxes)
    assert body.count("☒") + body.count("☐") == len(boxes)


def test_no_word_is_split_across_lines(default_pdf: Path):
    # with automatic hyphenation 285 words came out as two ("respon‐" / "sabilità") in 126 pages;
    # a compound broken at its own hyphen ("socio-" / "sanitario") stays one word when joined
    text = "\n".join(p.extract_text() for p in PdfReader(str(default_pdf)).pages)
    assert re.findall(r"\w+[\u2010\u00ad]\n\w+", text) == []


def test_plan_with_an_image_conforms(plan_dir: Path, tmp_path: Path):
    from PIL import Image

    (plan_dir / "immagini").mkdir()
    Image.new("RGB", (120, 60), (29, 58, 95)).save(plan_dir / "immagini" / "mappa.png")
    edit(plan_dir / "capitoli" / "10-cap1.md", "{{ tabella(\"fasce_eta\") }}",
         "![Mappa dei Comuni dell'Ambito](../immagini/mappa.png)\n\n{{ tabella(\"fasce_eta\") }}")
    r = _build(plan_dir, tmp_path, "pdf,docx")
    assert r.returncode == 0, r.stdout + r.stderr
    with zipfile.ZipFile(next(tmp_path.glob("*.docx"))) as z:
        descr = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', z.read("word/document.xml").decode())
    assert [unescape(d) for d in descr] == ["Mappa dei Comuni dell'Ambito"]        # the DOCX image's alt text
    pdf = next(tmp_path.glob("*.pdf"))
    assert "Mappa dei Comuni dell'Ambito" in [e.get("/Alt") for e, _ in _tree(PdfReader(str(pdf)))
                                              if e.get("/S") == "/Figure"]
    for profile in ("2a", "ua1"):
        assert [(f.rule_id, f.message) for f in page.validate_pdf(str(pdf), profile=profile).failures] == []


def test_writers_slips_never_make_a_false_claim(plan_dir: Path, tmp_path: Path):
    """Skipped heading levels and an image without description are warned, and the PDF still conforms."""
    from PIL import Image

    (plan_dir / "immagini").mkdir()
    Image.new("RGB", (120, 60), (29, 58, 95)).save(plan_dir / "immagini" / "deco.png")
    chapter = plan_dir / "capitoli" / "10-cap1.md"
    edit(chapter, "{{ tabella(\"fasce_eta\") }}",
         "#### Dettaglio\n\ntesto\n\n###### Più giù\n\n![](../immagini/deco.png)\n\n"
         "| Servizio | Utenti |\n|---|--:|\n| SAD | 12 |\n\n{{ tabella(\"fasce_eta\") }}")
    r = _build(plan_dir, tmp_path, "pdf,docx,html")
    assert r.returncode == 0, r.stdout + r.stderr
    warned = re.findall(r"10-cap1\.md:(\d+):\d+: avviso: .*\[([\w-]+)\]", r.stdout)
    lines = chapter.read_text(encoding="utf-8").split("\n")
    assert warned == [(str(lines.index("#### Dettaglio") + 1), "titolo-salta-livello"),
                      (str(lines.index("###### Più giù") + 1), "titolo-salta-livello"),
                      (str(lines.index("![](../immagini/deco.png)") + 1), "immagine-senza-descrizione")]
    pdf = next(tmp_path.glob("*.pdf"))
    for profile in ("2a", "ua1"):
        assert [(f.rule_id, f.message) for f in page.validate_pdf(str(pdf), profile=profile).failures] == []
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert re.search(r"<h3[^>]*>.*Dettaglio</h3>", html) and re.search(r"<h4[^>]*>Più giù</h4>", html)
    assert '<th scope="col">Servizio</th>' in html and 'alt="Immagine deco"' in html
    xml = zipfile.ZipFile(next(tmp_path.glob("*.docx"))).read("word/document.xml").decode()
    assert re.search(r'Heading3"/></w:pPr><w:r><w:t>Dettaglio', xml) and re.search(r'Heading4"/></w:pPr><w:r><w:t>Più giù', xml)


def test_table_across_pages_is_one_table(plan_dir: Path, tmp_path: Path):
    rows = "\n".join(f"| Voce {i} | {i * 3} |" for i in range(1, 90))
    edit(plan_dir / "capitoli" / "10-cap1.md", "## Lo \"stato", f"| Voce | Valore |\n|---|---|\n{rows}\n\n## Lo \"stato")
    r = _build(plan_dir, tmp_path, "pdf")
    assert r.returncode == 0, r.stdout + r.stderr
    reader = PdfReader(str(next(tmp_path.glob("*.pdf"))))
    tables = [e for e, _ in _tree(reader) if e.get("/S") == "/Table"]
    voci = [t for t in tables if sum(len(g.get_object()["/K"]) for g in t["/K"]
                                     if g.get_object().get("/S") == "/TBody") == 89]
    assert len(voci) == 1                                   # not one table per page
    groups = [g.get_object()["/S"] for g in voci[0]["/K"]]
    assert groups.count("/THead") == 1 and groups.count("/TBody") >= 2
    ids = set(reader.trailer["/Root"]["/StructTreeRoot"]["/IDTree"]["/Names"][::2])
    for group in voci[0]["/K"]:
        for row in group.get_object()["/K"]:
            for cell in row.get_object()["/K"]:
                cell = cell.get_object()
                if cell["/S"] == "/TD":
                    assert cell["/A"]["/Headers"] and set(cell["/A"]["/Headers"]) <= ids
    for profile in ("2a", "ua1"):
        assert page.validate_pdf(str(next(tmp_path.glob("*.pdf"))), profile=profile).failures == []


AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium")
RUN_AXE = """<script src="{axe}"></script>
<script>axe.run(document, {{resultTypes: ["violations"]}}).then(function (r) {{
  var out = document.createElement("pre"); out.id = "axe-risultato";
  out.textContent = JSON.stringify(r.violations.map(function (v) {{
    return [v.id, v.impact, v.nodes.slice(0, 3).map(function (n) {{ return n.target.join(" "); }})];
  }}));
  document.body.appendChild(out);
}});</script>
</body>"""


@pytest.mark.skipif(CHROMIUM is None or not AXE.is_file(),
                    reason="chromium o axe-core non installati (bash run test li installa, da root)")
def test_html_has_no_axe_violations(default_pdf: Path, tmp_path: Path):
    """axe-core's rules, best practices included (landmarks, heading order), in Debian's chromium."""
    html = next(default_pdf.parent.glob("*.html")).read_text(encoding="utf-8")
    shutil.copy(ROOT / "templates" / "piano.css", tmp_path / "piano.css")     # the style sheet it links
    page_file = tmp_path / "piano.html"
    page_file.write_text(html.replace("</body>", RUN_AXE.format(axe=AXE.as_uri()), 1), encoding="utf-8")
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profilo'}",
                        "--allow-file-access-from-files", "--virtual-time-budget=120000", "--dump-dom",
                        page_file.as_uri()], capture_output=True, text=True, timeout=300)
    found = re.search(r'<pre id="axe-risultato">(.*?)</pre>', r.stdout, re.S)
    assert found, r.stderr[-2000:]
    assert json.loads(unescape(found.group(1))) == []


@pytest.mark.parametrize("variant, profiles", [("pdf/a-2b", ["2b"]), ("pdf/a-3a", ["3a", "ua1"]), ("pdf/ua-1", ["ua1"])])
def test_other_variants_conform_to_what_they_claim(plan_dir: Path, tmp_path: Path, variant: str, profiles: list[str]):
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan_dir), "-o", str(tmp_path), "--format", "pdf",
                        "--pdf-variant", variant], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    pdf = str(next(tmp_path.glob("*.pdf")))
    for profile in profiles:
        assert [(f.rule_id, f.message) for f in page.validate_pdf(pdf, profile=profile).failures] == [], profile


def test_cards_right_under_the_chapter_title_are_reported(plan_dir: Path):
    chapter = plan_dir / "capitoli" / "10-cap1.md"
    edit(chapter, "## Un profilo", "Un profilo")
    edit(chapter, "## Lo \"stato", "Lo \"stato")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "check", str(plan_dir)], capture_output=True, text=True,
                       cwd=ROOT)
    lines = chapter.read_text(encoding="utf-8").split("\n")
    found = re.findall(r"^(\S+?):(\d+):1: avviso: .* \[titolo-salta-livello\]$", r.stdout, re.M)
    assert found == [(str(chapter), str(lines.index("{{ schede() }}") + 1))]


def _written_streams_end_with_cr(pdf_bytes: bytes) -> bool:
    return b"\r\nendstream" in pdf_bytes


def test_object_and_xref_streams_never_end_with_cr():
    """pydyf writes the object stream and the cross-reference stream after the finisher; in about one file in
    128 one of them ends with CR, which a PDF/A validator reads as a wrong /Length (ISO 19005-2, 6.1.7.1)."""
    import io

    import pydyf

    from pdz_docs.render.accessibility import _streams_without_trailing_cr

    def pdf_with(n: int) -> pydyf.PDF:
        pdf = pydyf.PDF()
        for i in range(n):
            pdf.add_object(pydyf.Dictionary({"N": i}))
        return pdf

    def written(pdf: pydyf.PDF) -> bytes:
        out = io.BytesIO()
        pdf.write(out, b"1.7", b"pdz-docs", compress=True)
        return out.getvalue()

    bad = [n for n in range(170, 310) if _written_streams_end_with_cr(written(pdf_with(n)))]
    assert bad, "no case found: the test would prove nothing"
    for n in bad:
        pdf = pdf_with(n)
        _streams_without_trailing_cr(pdf)
        data = written(pdf)
        assert not _written_streams_end_with_cr(data)
        assert data.startswith(b"%PDF-1.7") and data.rstrip().endswith(b"%%EOF")
