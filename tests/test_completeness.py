"""Draft and definitive (checks/completeness.py): what is still missing, located; the draft document's
BOZZA mark and «Elementi da completare»; a definitive plan with anything missing writes nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from conftest import CAPITOLO_1, ROOT, SEZIONE_1, edit, line_of, program_everything
from pdz_docs.cli import main
from pdz_docs.pipeline import run
from pdz_docs.problems import AVVISO, ERRORE, NOTA

COMPLETENESS = {"importo-non-indicato", "importo-in-attesa", "data-mancante", "casella-mancante", "campo-vuoto",
                "da-verificare", "da-scrivere"}
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")



def leave_blanks(plan: Path) -> None:
    """One of each thing a writer leaves to complete, in the minimal plan."""
    edit(plan / "finanza.yaml", "  PAIS: da_schede\n",
         '  PAIS: da_schede\n  REGIONE: ~\n  BUONI-MIN:\n    2022: {in_attesa: si, previsto: "€ 5.000,00"}\n')
    edit(plan / "finanza.yaml", "    2024: € 250.000,00\n", "    2024: ~\n")
    with open(plan / "piano.yaml", "a", encoding="utf-8") as f:
        f.write("percorso:\n  - data: ~\n    fase: Adozione\n    incontro: Coordinamento Istituzionale\n"
                "    oggetto: Adozione del Piano\nservizi_precedenti:\n"
                "  - {denominazione: Centro per la famiglia, attivo: ~}\n")
    card = plan / "schede" / "A.1.yaml"
    edit(card, "gestione: [diretta]\n", "")
    edit(card, "    utenza: Cittadini residenti\n", "")
    edit(card, "    PdZ: € 50.000,00\n", "    PdZ: € 50.000,00\n    PAIS: ~\n")
    edit(card, "risultati_attesi:\n", "# numero di utenti da verificare con i Comuni\nrisultati_attesi:\n")
    edit(plan / "capitoli" / "10-cap1.md", "etc.)\n", "etc.)\n\n> **[Da scrivere]** Il profilo dei servizi.\n")


def expected(plan: Path) -> list[tuple[str, int, str]]:
    fin, card, piano = plan / "finanza.yaml", plan / "schede" / "A.1.yaml", plan / "piano.yaml"
    return sorted([
        ("finanza.yaml", line_of(fin, "REGIONE: ~"), "importo-non-indicato"),
        ("finanza.yaml", line_of(fin, "in_attesa: si"), "importo-in-attesa"),
        ("finanza.yaml", line_of(fin, "2024: ~"), "importo-non-indicato"),
        ("piano.yaml", line_of(piano, "data: ~"), "data-mancante"),
        ("piano.yaml", line_of(piano, "attivo: ~"), "casella-mancante"),
        ("schede/A.1.yaml", line_of(card, "codice: A.1"), "casella-mancante"),         # no «Modalità di gestione»
        ("schede/A.1.yaml", line_of(card, "da verificare"), "da-verificare"),
        ("schede/A.1.yaml", line_of(card, "PAIS: ~"), "importo-non-indicato"),
        ("schede/A.1.yaml", line_of(card, "- denominazione: Segretariato sociale"), "campo-vuoto"),  # no «Utenza»
        ("capitoli/10-cap1.md", line_of(plan / "capitoli" / "10-cap1.md", "[Da scrivere]"), "da-scrivere"),
        # the unprogrammed resources of checks/finance.py, at the budget's first line of the group PdZ
        *[("finanza.yaml", line_of(fin, "FNPS:"), "da-programmare")] * 3,
    ])


def blocking(plan: Path) -> list[tuple[str, int, str]]:
    """What a definitive plan refuses: everything but the amounts pending assignment (the Region's, not the writer's)."""
    return [e for e in expected(plan) if e[2] != "importo-in-attesa"]


def located(plan: Path, problems, severity: str) -> list[tuple[str, int, str]]:
    return sorted((Path(p.loc.file).relative_to(plan).as_posix(), p.loc.line, p.code) for p in problems
                  if p.severity == severity and (p.code in COMPLETENESS or p.code == "da-programmare"))


def test_definitive_plan_lists_every_blank_at_its_line(plan_dir: Path):
    leave_blanks(plan_dir)
    result, problems = run(plan_dir, definitivo=True)
    assert result.definitivo
    assert located(plan_dir, problems, ERRORE) == blocking(plan_dir)
    # a pending amount awaits the Region: it stays a note, and alone it would not stop the plan
    assert located(plan_dir, problems, NOTA) == [e for e in expected(plan_dir) if e[2] == "importo-in-attesa"]
    assert not [p for p in problems if p.severity == AVVISO and p.code == "da-programmare"]
    messages = {p.code + ":" + str(p.loc.line): p.message for p in problems}
    card = plan_dir / "schede" / "A.1.yaml"
    assert messages[f"casella-mancante:{line_of(card, 'codice: A.1')}"] == \
        "scheda A.1 – Segretariato sociale: «Modalità di gestione»: nessuna casella selezionata"
    assert messages[f"campo-vuoto:{line_of(card, '- denominazione')}"] == \
        "scheda A.1 – Segretariato sociale: servizio «Segretariato sociale»: «Utenza» non compilato"
    assert messages[f"da-scrivere:{line_of(plan_dir / 'capitoli' / '10-cap1.md', '[Da scrivere]')}"].startswith(
        f"capitolo «{CAPITOLO_1}», sezione «{SEZIONE_1}»: ")
    assert messages[f"importo-in-attesa:{line_of(plan_dir / 'finanza.yaml', 'in_attesa')}"] == \
        "Budget: fonte BUONI-MIN 2022: in attesa di assegnazione (previsto € 5.000,00)"


def test_draft_keeps_the_list_for_the_document_and_check_passes(plan_dir: Path, capsys):
    leave_blanks(plan_dir)
    result, problems = run(plan_dir)
    assert not result.definitivo and not [p for p in problems if p.severity == ERRORE]
    assert sorted((e.posizione.rsplit(":", 1)[0], int(e.posizione.rsplit(":", 1)[1]), e.code)
                  for e in result.da_completare) == expected(plan_dir)
    # the unprogrammed resources stay the warnings of checks/finance.py, the rest are notes of `pdz check`
    assert main(["check", str(plan_dir)]) == 0
    out = capsys.readouterr().out
    line = line_of(plan_dir / "piano.yaml", "data: ~")
    assert f"piano.yaml:{line}:11: nota: Percorso di concertazione: data di «Adozione – Coordinamento " \
           "Istituzionale» non indicata [data-mancante]" in out
    assert sum(" nota: " in x for x in out.splitlines()) == len(expected(plan_dir)) - 3
    assert sum(" avviso: " in x and "[da-programmare]" in x for x in out.splitlines()) == 3


def test_stato_definitivo_in_piano_yaml_is_the_option(plan_dir: Path, capsys):
    leave_blanks(plan_dir)
    edit(plan_dir / "piano.yaml", "regole: prps-2022-2024\n", "regole: prps-2022-2024\nstato: definitivo\n")
    _, problems = run(plan_dir)
    assert located(plan_dir, problems, ERRORE) == blocking(plan_dir)
    assert main(["check", str(plan_dir)]) == 1
    edit(plan_dir / "piano.yaml", "stato: definitivo", "stato: bozza")
    assert main(["check", str(plan_dir)]) == 0
    assert main(["check", "--definitivo", str(plan_dir)]) == 1


def test_stato_must_be_bozza_or_definitivo(plan_dir: Path):
    edit(plan_dir / "piano.yaml", "regole: prps-2022-2024\n", "regole: prps-2022-2024\nstato: finale\n")
    _, problems = run(plan_dir)
    bad = [p for p in problems if p.severity == ERRORE]
    assert [(p.loc.line, p.code, p.message) for p in bad] == [
        (line_of(plan_dir / "piano.yaml", "stato:"), "valore-non-valido",
         "stato: deve essere «bozza» o «definitivo» (trovato «finale»)")]


def test_definitive_build_writes_nothing_while_something_is_missing(plan_dir: Path, tmp_path: Path, capsys):
    leave_blanks(plan_dir)
    out = tmp_path / "out"
    assert main(["build", "--definitivo", str(plan_dir), "-o", str(out), "--format", "docx,xlsx,html"]) == 1
    assert not out.exists() or not any(out.iterdir())
    err = capsys.readouterr().err
    card = plan_dir / "schede" / "A.1.yaml"
    assert f"{card}:{line_of(card, 'PAIS: ~')}:11: errore: scheda A.1 – Segretariato sociale: programmazione 2023, " \
           "fonte PAIS: importo non indicato [importo-non-indicato]" in err
    assert "Nessun file scritto" in err


def test_default_plan_definitive_build_lists_its_blanks(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["build", "--definitivo", "content", "-o", str(tmp_path / "out"), "--format", "html"]) == 1
    assert not (tmp_path / "out").exists()
    errors = [x for x in capsys.readouterr().err.splitlines() if ": errore: " in x]
    assert Counter(x.rsplit("[", 1)[1].rstrip("]") for x in errors) == {
        "importo-non-indicato": 3, "data-mancante": 4, "casella-mancante": 10, "campo-vuoto": 4,
        "da-verificare": 1, "da-programmare": 2}
    b1 = ROOT / "content" / "schede" / "B.1.yaml"
    for n in (33, 35, 37):   # «REGIONE: ~»: the source leaves the card's amounts blank
        assert f"content/schede/B.1.yaml:{n}:14: errore: scheda B.1 – Integrazione al reddito: programmazione " \
               f"{2022 + (n - 33) // 2}, fonte REGIONE: importo non indicato [importo-non-indicato]" in errors
        assert "REGIONE: ~" in b1.read_text(encoding="utf-8").splitlines()[n - 1]


# --- the documents ------------------------------------------------------------------------

def _build(plan: Path, out: Path, *options: str, fmt: str = "pdf,docx") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(out),
                           "--format", fmt, *options], capture_output=True, text=True)


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def _docx_text(docx: Path, part: str) -> str:
    """The XML parts `word/{part}…` (not the embedded fonts), no-break spaces read as spaces."""
    with zipfile.ZipFile(docx) as z:
        return "".join(z.read(n).decode() for n in z.namelist()
                       if n.startswith(f"word/{part}") and n.endswith(".xml")).replace("\u00a0", " ")


@needs_pdftotext
def test_draft_documents_carry_bozza_and_the_list(plan_dir: Path, tmp_path: Path):
    r = _build(plan_dir, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert "Bozza: 3 elementi da completare, elencati in fondo al documento" in r.stdout
    pages = _pages(next((tmp_path / "out").glob("*.pdf")))
    assert len(pages) >= 5 and all("BOZZA" in page for page in pages)
    last = pages[-1]
    assert "Elementi da completare (3)" in last
    assert "la fonte PdZ ha € 410.000,00 da programmare nel 2022" in last
    assert f"finanza.yaml:{line_of(plan_dir / 'finanza.yaml', 'FNPS:')}" in last
    # after the landscape annexes, the list is on portrait pages, as a chapter, with the closing line under it
    from pypdf import PdfReader
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in
             PdfReader(next((tmp_path / "out").glob("*.pdf"))).pages]
    listed = next(i for i, page in enumerate(pages) if "Elementi da completare (3)" in page)   # not the index
    assert sizes[listed - 1][0] > sizes[listed - 1][1]   # the annexes
    assert all(w < h for w, h in sizes[listed:])
    assert "Documento prodotto con pdz-docs" in last
    # the printed index lists it after the annexes, with its page, as the PDF bookmarks and the DOCX index do
    index = next(page for page in pages if "Indice" in page)
    assert re.search(rf"Allegati finanziari – Schede A e C \.+ *\d+\s+Elementi da completare \.+ *{listed + 1}\s", index)
    assert PdfReader(next((tmp_path / "out").glob("*.pdf"))).outline[-1].title == "Elementi da completare"
    docx = next((tmp_path / "out").glob("*.docx"))
    with zipfile.ZipFile(docx) as z:
        headers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/header")]
    assert len(headers) == 2 and all("BOZZA" in h for h in headers)   # the cover's header and the others'
    body = _docx_text(docx, "document")
    assert "Elementi da completare" in body and "la fonte PdZ ha € 410.000,00 da programmare nel 2022" in body
    toc = re.findall(r'<w:hyperlink w:anchor="([^"]+)"[^>]*><w:r><w:t[^>]*>([^<]*)</w:t>', body)
    assert toc[-1][1] == "Elementi da completare"   # the index's last entry, linked to the section's heading
    assert re.search(rf'<w:bookmarkStart w:id="\d+" w:name="{toc[-1][0]}"/><w:r><w:t>Elementi da completare<', body)


@needs_pdftotext
def test_definitive_documents_print_none_of_the_draft(plan_dir: Path, tmp_path: Path):
    program_everything(plan_dir)
    r = _build(plan_dir, tmp_path / "out", "--definitivo")
    assert r.returncode == 0, r.stderr
    assert "Bozza" not in r.stdout
    text = "".join(_pages(next((tmp_path / "out").glob("*.pdf"))))
    assert "Segretariato sociale" in text
    assert "BOZZA" not in text and "Elementi da completare" not in text   # neither the section nor its index entry
    # the closing line is under the last annex table, on its landscape page, not on a page of its own
    from pypdf import PdfReader
    pdf = next((tmp_path / "out").glob("*.pdf"))
    last = PdfReader(pdf).pages[-1]
    assert float(last.mediabox.width) > float(last.mediabox.height)
    assert "Documento prodotto con pdz-docs" in _pages(pdf)[-1] and "Totale Scheda" in _pages(pdf)[-1]
    docx = next((tmp_path / "out").glob("*.docx"))
    xml = _docx_text(docx, "")
    assert "Segretariato sociale" in xml
    assert "BOZZA" not in xml and "Elementi da completare" not in xml


@needs_pdftotext
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice non installato (bash run test lo installa)")
def test_draft_docx_opened_by_libreoffice_has_bozza_on_every_page(plan_dir: Path, tmp_path: Path):
    r = _build(plan_dir, tmp_path / "out", fmt="docx")
    assert r.returncode == 0, r.stderr
    docx = next((tmp_path / "out").glob("*.docx"))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to",
                    "pdf", "--outdir", str(tmp_path / "lo"), str(docx)], capture_output=True, timeout=300, check=True)
    pages = _pages(next((tmp_path / "lo").glob("*.pdf")))
    assert len(pages) >= 5 and all("BOZZA" in page for page in pages)
    assert "Elementi da completare" in pages[-1] and "finanza.yaml:2" in pages[-1]


def test_definitive_plan_refuses_a_cofinancing_year_left_out(plan_dir: Path):
    """Leaving a year out of «annualita» is not a way round `~`: in a definitive plan it is an error at the
    «annualita:» line (a note in a draft); with every year written the definitive plan passes."""
    program_everything(plan_dir)
    assert [p for p in run(plan_dir, definitivo=True)[1] if p.severity == ERRORE] == []
    fin = plan_dir / "finanza.yaml"
    edit(fin, "    2024: € 250.000,00\n", "")
    edit(plan_dir / "schede" / "A.1.yaml", "  2024:\n    PdZ: € 350.000,00", "  2024:\n    PdZ: € 100.000,00")
    _, problems = run(plan_dir, definitivo=True)
    assert [(Path(p.loc.file).name, p.loc.line, p.code, p.message) for p in problems if p.severity == ERRORE] == [
        ("finanza.yaml", line_of(fin, "annualita:"), "importo-non-indicato",
         "Cofinanziamento comunale: annualità 2024: importo non indicato (l'anno manca)")]
    result, problems = run(plan_dir)
    assert not [p for p in problems if p.severity == ERRORE]
    assert [e.message for e in result.da_completare if e.code == "importo-non-indicato"] == [
        "Cofinanziamento comunale: annualità 2024: importo non indicato (l'anno manca)"]


def test_card_pending_only_where_the_budget_waits(plan_dir: Path):
    """A card's «in attesa» stays a note in a definitive plan only where the budget itself waits for that fund
    in that year (here FNA 2023); FGSA 2024, which the budget does not list as pending, is an amount not given."""
    program_everything(plan_dir)
    edit(plan_dir / "finanza.yaml", "  FNA:\n    2022: € 50.000,00", "  FNA:\n    2022: € 50.000,00\n    2023: {in_attesa: si}")
    card = plan_dir / "schede" / "A.1.yaml"
    edit(card, "    PdZ: € 350.000,00\n  2024:", "    PdZ: € 350.000,00\n    FNA: {in_attesa: si}\n  2024:")
    _, problems = run(plan_dir, definitivo=True)
    assert not [p for p in problems if p.severity == ERRORE]
    assert (line_of(card, "FNA: {in_attesa"), "importo-in-attesa") in [(p.loc.line, p.code) for p in problems
                                                                      if p.severity == NOTA]
    edit(card, "  2024:\n    PdZ: € 350.000,00", "  2024:\n    PdZ: € 350.000,00\n    FGSA: {in_attesa: si}")
    _, problems = run(plan_dir, definitivo=True)
    assert [(Path(p.loc.file).name, p.loc.line, p.code, p.message) for p in problems if p.severity == ERRORE] == [
        ("A.1.yaml", line_of(card, "FGSA: {in_attesa"), "importo-non-indicato",
         "scheda A.1 – Segretariato sociale: programmazione 2024, fonte FGSA: in attesa di assegnazione, ma il "
         "budget non ha importi di FGSA in attesa per il 2024")]


def test_list_follows_the_document(plan_dir: Path):
    """The list is in the document's order: piano.yaml, finanza.yaml, then the chapter up to where it prints
    the cards, the cards in the nomenclatore's order (A.2 before A.10, each by line), the rest of the chapter."""
    from pdz_docs.pipeline import run

    card = (plan_dir / "schede" / "A.1.yaml").read_text(encoding="utf-8")
    for code in ("A.10", "A.2"):
        (plan_dir / "schede" / f"{code}.yaml").write_text(
            card.replace("codice: A.1", f"codice: {code}").replace("gestione: [diretta]", "gestione: []")
            .replace("Rete di Segretariato Sociale", "Rete (da verificare)").replace("PdZ: € 40.000,00", "PdZ: ~")
            .replace("    PdZ: € 50.000,00", "    PdZ: € 0,00"), encoding="utf-8")
    edit(plan_dir / "capitoli" / "10-cap1.md", "{{ schede() }}",
         "Testo [Da scrivere].\n\n{{ schede() }}\n\nChiusura da verificare.")
    edit(plan_dir / "finanza.yaml", "    2024: € 250.000,00", "    2024: ~")
    result, _ = run(plan_dir)
    got = [(e.posizione, e.code) for e in result.da_completare]
    cap = "capitoli/10-cap1.md"
    assert got == [
        ("finanza.yaml:2", "da-programmare"), ("finanza.yaml:2", "da-programmare"), ("finanza.yaml:2", "da-programmare"),
        (f"finanza.yaml:{line_of(plan_dir / 'finanza.yaml', '2024: ~')}", "importo-non-indicato"),
        (f"{cap}:{line_of(plan_dir / cap, '[Da scrivere]')}", "da-scrivere"),
        ("schede/A.2.yaml:5", "da-verificare"), ("schede/A.2.yaml:12", "casella-mancante"),
        ("schede/A.2.yaml:15", "importo-non-indicato"),
        ("schede/A.10.yaml:5", "da-verificare"), ("schede/A.10.yaml:12", "casella-mancante"),
        ("schede/A.10.yaml:15", "importo-non-indicato"),
        (f"{cap}:{line_of(plan_dir / cap, 'Chiusura')}", "da-verificare")]


def test_blank_parts_of_the_budget_are_listed_too(plan_dir: Path):
    """An FNPS quota, a co-financing area or a Comune's co-financing written ~ is as blank as a budget amount: the
    draft lists it at its line, a definitive plan refuses it there; one pending assignment stays a note."""
    program_everything(plan_dir)
    fin = plan_dir / "finanza.yaml"
    edit(fin, "    minori_famiglia: € 40.000,00", "    minori_famiglia: ~")
    edit(fin, "cofinanziamento:\n", "cofinanziamento:\n  per_area:\n    Accesso al welfare: {2022: ~}\n"
                                    "  per_comune:\n    Beta: {2022: {in_attesa: si}}\n")
    result, problems = run(plan_dir)
    assert not [p for p in problems if p.severity == ERRORE]
    assert [(e.posizione, e.code, e.message) for e in result.da_completare] == [
        (f"finanza.yaml:{line_of(fin, 'minori_famiglia: ~')}", "importo-non-indicato",
         "Quote del FNPS: Quota minori e famiglia 2022: importo non indicato"),
        (f"finanza.yaml:{line_of(fin, 'Accesso al welfare')}", "importo-non-indicato",
         "Cofinanziamento comunale: area «Accesso al welfare» 2022: importo non indicato"),
        (f"finanza.yaml:{line_of(fin, 'Beta: {2022')}", "importo-in-attesa",
         "Cofinanziamento comunale: Comune «Beta» 2022: in attesa di assegnazione")]
    _, problems = run(plan_dir, definitivo=True)
    assert located(plan_dir, problems, ERRORE) == [("finanza.yaml", line_of(fin, "minori_famiglia: ~"),
                                                    "importo-non-indicato"),
                                                   ("finanza.yaml", line_of(fin, "Accesso al welfare"),
                                                    "importo-non-indicato")]


def test_blanks_typed_in_a_chapter_are_listed_and_refused(plan_dir: Path):
    """«€ ________», «n. ____ del __/__/____», «TODO» typed in a chapter would print as they are: a draft lists
    them, a definitive plan refuses them, each at its line and column; a Roman numeral («XXX Congresso»), a
    thematic break, a link's address, a snake_case name and a Jinja comment are not blanks."""
    text = ("Con delibera n. ____ del __/__/____ l'importo di € ________ (TODO: inserire).\n\nTodo da completare.\n"
            "\nIl XXX Congresso, https://esempio.it/a____b e piano_2022_v2.pdf {# TODO € ____ #}\n\n____\n")
    (plan_dir / "capitoli" / "98-bianchi.md").write_text("---\nid: bianchi\ntitolo: Bianchi\nordine: 98\n---\n" + text,
                                                          encoding="utf-8")
    _, problems = run(plan_dir, definitivo=True)
    found = sorted((p.loc.line, p.loc.col, p.code) for p in problems
                   if p.severity == ERRORE and p.loc.file.endswith("98-bianchi.md"))
    assert found == [(6, 17, "spazio-da-riempire"), (6, 26, "spazio-da-riempire"), (6, 52, "spazio-da-riempire"),
                     (6, 62, "da-fare"), (8, 1, "da-fare")]
    result, problems = run(plan_dir)
    assert not [p for p in problems if p.loc.file.endswith("98-bianchi.md")]
    assert sorted((e.posizione.rsplit(":", 1)[1], e.code) for e in result.da_completare
                  if "98-bianchi.md" in e.posizione) == [("6", "da-fare"), ("6", "spazio-da-riempire"),
                                                         ("6", "spazio-da-riempire"), ("6", "spazio-da-riempire"),
                                                         ("8", "da-fare")]
