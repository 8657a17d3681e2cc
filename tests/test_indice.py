"""The regional index (rules file, «indice»): the table of contents of every format reads as it, headings worded
otherwise are warned at their line, and a wrong index in a rules file is a located error."""

from __future__ import annotations

import re
from html import unescape
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, UNPROGRAMMED, edit, line_of
from pdz_docs.document.builder import roman
from pdz_docs.load.plan import PACKAGE_RULES
from pdz_docs.pipeline import run
from pdz_docs.problems import NOTA

RULES = PACKAGE_RULES / "prps-2022-2024.yaml"


def regional_lines() -> list[tuple[int, str]]:
    """The index of the rules file as the table of contents prints it: (level, text), in order."""
    r, _ = run(ROOT / "content")
    regole = r.plan.regole
    out = []
    for key, cap in regole.indice.items():
        out.append((1, f"Capitolo {roman(key)} – {cap.titolo}" if isinstance(key, int) else cap.titolo))
        for i, sezione in enumerate(cap.sezioni, 1):
            out.append((2, f"{key}.{i} {sezione.titolo}"))
            out.extend((3, voce) for voce in regole.voci(sezione))
    return out


def build(plan: Path, out: Path, fmt: str) -> Path:
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(out), "--format", fmt],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as one space (a title wraps in the index)."""
    return re.sub(r"\s+", " ", text)


def test_the_index_lists_the_areas_and_the_items_of_chapter_iv():
    lines = regional_lines()
    assert len([t for lvl, t in lines if lvl == 1]) == 6 and len([t for lvl, t in lines if lvl == 2]) == 11
    voci = [t for lvl, t in lines if lvl == 3]
    assert voci[:7] == ["Il sistema di welfare d'accesso", "Le politiche familiari e la tutela dei minori",
                        "L'invecchiamento attivo", "Le politiche per l'integrazione delle persone con disabilità e la "
                        "presa in carico della non autosufficienza", "La promozione dell'inclusione sociale ed il "
                        "contrasto alle povertà", "La prevenzione e il contrasto di tutte le forme di maltrattamento e "
                        "violenza su donne e minori", "Le pari opportunità e la conciliazione vita-lavoro"]
    assert len(voci) == 13
    assert (2, "3.2 Il raccordo tra la programmazione ordinaria e le risorse aggiuntive (politiche a regia regionale, "
               "programmi nazionali, azioni attivate a valere sul PNRR, sul POR Puglia e su altri fondi di natura "
               "comunitaria, etc.)") in lines


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")
def test_pdf_index_reads_as_the_regional_index(default_outputs: dict[str, Path]):
    pdf = default_outputs["pdf"]
    first = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-layout", str(pdf), "-"], capture_output=True,
                           text=True).stdout
    chapters_from = int(re.search(r"Prefazione \.+ *(\d+)", first).group(1))   # the index ends before it
    index = flat(subprocess.run(["pdftotext", "-f", "2", "-l", str(chapters_from - 1), "-layout", str(pdf), "-"],
                                capture_output=True, text=True).stdout)
    at = 0
    for _, text in regional_lines():   # each line verbatim, brackets included, in the order of the index
        found = index.find(flat(text), at)
        assert found >= 0, text
        at = found + len(flat(text))
    # a sub-item's page is the page of its heading
    area = re.search(r"L'invecchiamento attivo \.+ (\d+)", index)
    page = int(area.group(1))
    on_page = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                             text=True).stdout
    assert "L'invecchiamento attivo\n" in on_page


def test_docx_index_reads_as_the_regional_index(default_outputs: dict[str, Path]):
    xml = zipfile.ZipFile(default_outputs["docx"]).read("word/document.xml").decode()
    entries = []   # (level, text, page) of each paragraph of the index
    for level, para in re.findall(r'<w:p><w:pPr><w:pStyle w:val="TOC(\d)"/></w:pPr>(.*?)</w:p>', xml):
        texts = re.findall(r"<w:t[^>]*>([^<]*)</w:t>", para)
        page = texts.pop() if "<w:tab/>" in para else ""   # a long title's last word may be on a line of its own
        entries.append((int(level), " ".join(texts).replace("&amp;", "&"), page))
    wanted = regional_lines()
    listed = [(lvl, text) for lvl, text, _ in entries if (lvl, text) in wanted]
    assert listed == wanted
    assert all(page.isdigit() for lvl, text, page in entries if (lvl, text) in wanted)
    # Word's own rebuild of the index keeps the sub-items: their headings take the style its field collects
    assert 'TOC \\o "1-2" \\h \\z \\u \\t "Titolo voce indice;3"' in xml
    assert len(re.findall(r'<w:pStyle w:val="TitoloVoceIndice"/>', xml)) == 13


REWORDED = """---
id: cap4
titolo: La governance dell'Ambito
numero: 4
ordine: 60
---
## LE SCELTE STRATEGICHE PER L’ASSETTO GESTIONALE ED ORGANIZZATIVO DELL’AMBITO TERRITORIALE

### L'Ufficio di Piano

Testo.

### Il percorso di associazionismo intercomunale:  scelta della forma giuridica, ruolo dell’Ente capofila, sistema degli obblighi e degli impegni reciproci, gestione contabile e del personale

Testo.

## La governance

### Il ruolo degli altri soggetti pubblici

## Una sezione dell'Ambito

### Un approfondimento
"""


def test_reworded_headings_are_warned_with_the_regional_wording(plan_dir: Path, tmp_path: Path):
    chapter = plan_dir / "capitoli" / "40-cap4.md"
    chapter.write_text(REWORDED, encoding="utf-8")
    _, problems = run(plan_dir)
    found = sorted((Path(p.loc.file).name, p.loc.line, p.loc.col, p.code, p.message) for p in problems
                   if p.severity != NOTA and p.code != UNPROGRAMMED)
    start = "è diverso da quello dell'indice regionale (file delle regole, «indice»): scrivere "
    assert found == [
        ("40-cap4.md", 3, 9, "titolo-non-regionale", "il titolo del capitolo " + start +
         "«La governance territoriale e gli attori del sistema di welfare locale»"),
        ("40-cap4.md", line_of(chapter, "### L'Ufficio"), 1, "titolo-non-regionale", "il titolo della voce " + start +
         "«Il percorso di associazionismo intercomunale: scelta della forma giuridica, ruolo dell'Ente capofila, "
         "sistema degli obblighi e degli impegni reciproci, gestione contabile e del personale»"),
        ("40-cap4.md", line_of(chapter, "### Il percorso"), 1, "titolo-non-regionale", "il titolo della voce " + start +
         "«L'Ufficio di Piano: dotazione di risorse umane, ruoli e funzioni, i flussi informativi ed i nessi "
         "procedurali tra UDP e Comuni, azioni di potenziamento»"),
        ("40-cap4.md", line_of(chapter, "## La governance"), 1, "titolo-non-regionale", "il titolo della sezione " +
         start + "«Il sistema di governance istituzionale e sociale»"),
    ]
    # the index: each heading as written, the sub-items the plan has no heading for in the index's words, unlinked
    html = next(build(plan_dir, tmp_path / "out", "html").glob("*.html")).read_text(encoding="utf-8")
    index = html[html.index('<nav class="indice"'):html.index("</nav>")].replace("\u00a0", " ")
    entries = [(kind, anchor, flat(unescape(text)))
               for kind, anchor, text in re.findall(r'<li class="(\w+)">(?:<a href="#([^"]*)">|<span>)([^<]*)<', index)]
    chapter_iv = [e for e in entries if e[1].startswith("cap4") or (e[0] == "voce" and not e[1])]
    assert chapter_iv == [
        ("cap", "cap4", "Capitolo IV – La governance dell'Ambito"),
        ("sez", "cap4-1", "4.1 LE SCELTE STRATEGICHE PER L’ASSETTO GESTIONALE ED ORGANIZZATIVO DELL’AMBITO "
                          "TERRITORIALE"),
        ("voce", "cap4-1-1", "L'Ufficio di Piano"),
        ("voce", "cap4-1-2", "Il percorso di associazionismo intercomunale: scelta della forma giuridica, ruolo "
                             "dell’Ente capofila, sistema degli obblighi e degli impegni reciproci, gestione contabile "
                             "e del personale"),
        ("voce", "", "L'organizzazione del Servizio sociale professionale e delle équipe multiprofessionali per la "
                     "valutazione multidimensionale e connessione con l'UDP"),
        ("sez", "cap4-2", "4.2 La governance"),
        ("voce", "cap4-2-1", "Il ruolo degli altri soggetti pubblici"),
        ("voce", "", "Il consolidamento dei rapporti con la Asl e il Distretto Sociosanitario (obiettivi, risorse, "
                     "impegni)"),
        ("voce", "", "Gli organismi della concertazione territoriale (Rete per l'inclusione, Cabina di regia e tavolo "
                     "con le OOSS)"),
        ("sez", "cap4-3", "4.3 Una sezione dell'Ambito"),   # a section of its own, after the regional ones
    ]
    assert '<h3 id="cap4-1-1">' in html and 'id="cap4-3-1"' in html and '<a href="#cap4-3-1"' not in html


def test_a_wrong_index_in_the_rules_file_is_located(plan_dir: Path):
    rules = plan_dir / "rules"
    rules.mkdir()
    text = RULES.read_text(encoding="utf-8")
    text = text.replace("        voci: aree\n", "        voci: tutte\n").replace("  allegati:\n    titolo:",
                                                                                "  0:\n    titolo:")
    (rules / "prps-2022-2024.yaml").write_text(text, encoding="utf-8")
    _, problems = run(plan_dir)
    path = str(rules / "prps-2022-2024.yaml")
    found = [(p.loc.line, p.code, p.message) for p in problems if p.loc.file.endswith("prps-2022-2024.yaml")]
    assert found == [
        (line_of(Path(path), "voci: tutte"), "valore-non-valido", "indice.2.sezioni.0.voci: le voci sono un elenco di "
         "titoli, oppure «aree» (le aree strategiche); trovato «tutte»"),
        (line_of(Path(path), "  0:"), "valore-non-valido", "indice.0: «0» non è un capitolo: la chiave è il numero del "
         "capitolo (da 1 a 20) o l'id di un capitolo senza numero (es. introduzione)"),
    ]


def test_new_plan_headings_come_from_the_rules_index(tmp_path: Path, capsys):
    """`pdz new` words its chapters as the index of its cycle's rules file; an index without them is said so."""
    from pdz_docs.cli import main

    rules = tmp_path / "rules"
    rules.mkdir()
    text = RULES.read_text(encoding="utf-8").replace("ciclo: 2022-2024", "ciclo: 2025-2027")
    text = text.replace("      - Il ruolo degli altri soggetti pubblici", "      - Il ruolo degli enti pubblici")
    (rules / "prps-2025-2027.yaml").write_text(text, encoding="utf-8")
    args = ["new", "--ambito", "Alfa", "--provincia", "Lecce", "--comuni", "Alfa,Beta", "--ciclo", "2025-2027"]
    assert main([*args[:1], str(tmp_path / "piano"), *args[1:]]) == 0, capsys.readouterr()
    assert "### Il ruolo degli enti pubblici\n" in (tmp_path / "piano" / "capitoli" / "40-cap4.md").read_text()
    # section IV.2 without its sub-items: the skeleton has no words for its «###» headings
    text = re.sub(r"(?m)^      - titolo: (Il sistema di governance istituzionale e sociale)\n        voci:\n(          - .*\n)+",
                  r"      - \1\n", text)
    (rules / "prps-2025-2027.yaml").write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main([*args[:1], str(tmp_path / "altro"), *args[1:]]) == 1
    err = capsys.readouterr().err
    assert "il file di regole non ha nell'indice regionale («indice») il titolo del capitolo 4, sezione 2, voce" in err
    assert "Traceback" not in err and not (tmp_path / "altro").exists()
