"""`pdz diff`: a throw-away git repository holding the minimal plan, changed in known ways.

Every test builds its own repository under tmp_path; nothing touches the project's git state.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, edit
from pdz_docs.cli import main

DATE = "2024-03-12T10:00:00+01:00"
GIT_ENV = {"GIT_AUTHOR_DATE": DATE, "GIT_COMMITTER_DATE": DATE, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def commit(repo: Path, tag: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", tag)
    git(repo, "tag", tag)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """tag `inizio`: only rules/; tag `approvato`: rules/ and the plan in content/."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "rules", root / "rules")
    git(root, "init", "-q")
    git(root, "config", "user.name", "Ufficio di Piano")
    git(root, "config", "user.email", "udp@example.org")
    git(root, "config", "commit.gpgsign", "false")
    commit(root, "inizio")
    shutil.copytree(FIXTURES / "minimo", root / "content")
    commit(root, "approvato")
    return root


def change(plan: Path) -> None:
    """One change of each kind: a card amount, a fund, a chapter's text, a Comune's population."""
    edit(plan / "schede" / "A.1.yaml", "    PdZ: € 50.000,00", "    PdZ: € 55.000,00")
    edit(plan / "finanza.yaml", "    2024: € 100.000,00", "    2024: € 90.000,00")
    edit(plan / "capitoli" / "10-cap1.md", "abitanti.", "abitanti residenti nei due Comuni.")
    edit(plan / "piano.yaml", "    popolazione: 1000", "    popolazione: 1010")
    edit(plan / "piano.yaml", "30-64: 480", "30-64: 490")


def diff(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["diff", *args])
    out, err = capsys.readouterr()
    return code, out, err


EXPECTED = """\
1. Schede aggiunte e rimosse
   Nessuna variazione.

2. Programmazione economica delle schede
   Importi per scheda, annualità e fonte; «—» indica una voce assente nella versione.
   Scheda  Annualità  Fonte         Prima          Dopo    Differenza
   ──────  ─────────  ─────  ────────────  ────────────  ────────────
   A.1     2023       PdZ     € 50.000,00   € 55.000,00  + € 5.000,00
   A.1     Totale            € 100.000,00  € 105.000,00  + € 5.000,00

3. Fonti di finanziamento
   Totali del ciclo; i gruppi (PdZ, QFP) comprendono le loro fonti.
   Fonte  Voce                     Prima            Dopo     Differenza
   ─────  ──────────────  ──────────────  ──────────────  ─────────────
   FNPS   Disponibile       € 300.000,00    € 290.000,00  − € 10.000,00
   PdZ    Disponibile     € 1.150.000,00  € 1.140.000,00  − € 10.000,00
   PdZ    Programmato        € 90.000,00     € 95.000,00   + € 5.000,00
   PdZ    Da programmare  € 1.060.000,00  € 1.045.000,00  − € 15.000,00

4. Testo dei capitoli
   Per ogni capitolo modificato, alcune righe cambiate, con le cifre inserite: il testo precedente e quello nuovo.
   Analisi del contesto socio-demografico e del sistema di offerta dei servizi (capitoli/10-cap1.md)
   Capitolo modificato.
     Testo precedente: L'Ambito conta 4.000 abitanti.
     Testo nuovo: L'Ambito conta 4.010 abitanti residenti nei due Comuni.

5. Dati dei Comuni
   Dati di piano.yaml e finanza.yaml per Comune; il cofinanziamento minimo è calcolato.
   Comune  Dato                           Prima          Dopo  Differenza
   ──────  ──────────────────────  ────────────  ────────────  ──────────
   Alfa    Cofinanziamento minimo  € 150.000,00  € 149.625,94  − € 374,06
   Beta    Popolazione                    1.000         1.010        + 10
   Beta    Fascia d'età 30-64               480           490        + 10
   Beta    Cofinanziamento minimo   € 50.000,00   € 50.374,06  + € 374,06

6. Parti modificate dei file del piano
   Elenco di controllo: le chiavi cambiate in ogni file, commenti e impaginazione esclusi.
   File                 Parti modificate
   ───────────────────  ────────────────
   piano.yaml           comuni
   finanza.yaml         budget
   schede/A.1.yaml      programmazione
   capitoli/10-cap1.md  testo
"""


def test_text_reports_exactly_the_changes(repo: Path, capsys):
    change(repo / "content")
    code, out, err = diff(capsys, "approvato", str(repo / "content"))
    assert code == 0, err
    head, body = out.split("\n\n", 1)
    assert re.fullmatch(r"Prospetto delle variazioni – Ambito Territoriale Sociale di Prova – Piano Sociale di Zona "
                        r"2022-2024\n   Versione    Revisione\n   ─{10}  ─{61}\n"
                        r"   Precedente  approvato – commit [0-9a-f]{7} del 12 marzo 2024\n"
                        r"   Aggiornata  copia di lavoro \(commit [0-9a-f]{7} con modifiche non registrate\)", head)
    assert body == EXPECTED


def test_two_revisions_leave_the_working_tree_out(repo: Path, capsys):
    plan = repo / "content"
    edit(plan / "schede" / "A.1.yaml", "    PdZ: € 50.000,00", "    PdZ: € 55.000,00")
    commit(repo, "v2")
    edit(plan / "piano.yaml", "    famiglie: 400", "    famiglie: 410")   # not committed: not compared
    code, out, _ = diff(capsys, "approvato", "v2", str(plan))
    assert code == 0
    assert "   Aggiornata  v2 – commit" in out
    assert "A.1     2023       PdZ     € 50.000,00   € 55.000,00  + € 5.000,00" in out
    assert "famiglie" not in out.lower() and "5. Dati dei Comuni\n   Nessuna variazione." in out


def test_card_added_and_removed(repo: Path, capsys):
    plan = repo / "content"
    (plan / "schede" / "A.1.yaml").unlink()
    (plan / "schede" / "B.1.yaml").write_text(
        "codice: B.1\ntitolo: Integrazioni al reddito\nprogrammazione:\n  2024:\n    PdZ: € 10.000,00\n",
        encoding="utf-8")
    code, out, err = diff(capsys, "approvato", str(plan))
    assert code == 0, err
    section = out.split("1. Schede aggiunte e rimosse\n")[1].split("\n\n")[0].splitlines()
    assert [line.split() for line in section[2:]] == [
        ["A.1", "Segretariato", "sociale", "rimossa", "€", "100.000,00"],
        ["B.1", "Integrazioni", "al", "reddito", "aggiunta", "€", "10.000,00"]]
    rows = out.split("2. Programmazione economica delle schede\n")[1].split("\n\n")[0].splitlines()
    assert [line.split(maxsplit=3) for line in rows[3:]] == [
        ["A.1", "2022", "PdZ", "€ 40.000,00            —   − € 40.000,00"],
        ["A.1", "2022", "PAIS", "€ 10.000,00            —   − € 10.000,00"],
        ["A.1", "2023", "PdZ", "€ 50.000,00            —   − € 50.000,00"],
        ["A.1", "Totale", "€", "100.000,00            —  − € 100.000,00"],
        ["B.1", "2024", "PdZ", "—  € 10.000,00   + € 10.000,00"],
        ["B.1", "Totale", "—", "€ 10.000,00   + € 10.000,00"]]
    assert "schede/A.1.yaml  scheda rimossa\n   schede/B.1.yaml  scheda aggiunta\n" in out
    assert "4. Testo dei capitoli\n   Nessuna variazione." in out


def test_no_change(repo: Path, capsys):
    code, out, _ = diff(capsys, "approvato", str(repo / "content"))
    assert code == 0
    assert "copia di lavoro (commit" in out and "senza modifiche)" in out
    assert out.count("Nessuna variazione.") == 6
    assert out.endswith("Nessuna variazione tra le due versioni.\n")


def test_markdown_default_path(repo: Path, capsys, monkeypatch):
    change(repo / "content")
    monkeypatch.chdir(repo)                     # plan defaults to ./content, output to ./output
    code, out, err = diff(capsys, "approvato", "--format", "md")
    assert code == 0, err
    path = repo / "output" / "variazioni-approvato-lavoro.md"
    assert out == f"Prospetto delle variazioni scritto in {Path('output') / path.name}\n"
    md = path.read_text(encoding="utf-8")
    assert md.startswith("# Prospetto delle variazioni\n\n**Ambito Territoriale Sociale di Prova** "
                         "(Provincia di Lecce) – Piano Sociale di Zona 2022-2024\n")
    assert "\n*Allegato alla deliberazione n. ______ del ______________*\n" in md
    assert re.search(r"\n\| Versione \| Revisione \|\n\|---\|---\|\n"
                     r"\| Precedente \| approvato – commit [0-9a-f]+ del 12 marzo 2024 \|\n", md)
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith(("| Scheda |",
            "| Fonte |", "| Comune |", "| File |", "| Versione |", "| Precedente |", "| Aggiornata |"))]
    assert rows == [
        "| A.1 | 2023 | PdZ | € 50.000,00 | € 55.000,00 | + € 5.000,00 |",
        "| A.1 | Totale |  | € 100.000,00 | € 105.000,00 | + € 5.000,00 |",
        "| FNPS | Disponibile | € 300.000,00 | € 290.000,00 | − € 10.000,00 |",
        "| PdZ | Disponibile | € 1.150.000,00 | € 1.140.000,00 | − € 10.000,00 |",
        "| PdZ | Programmato | € 90.000,00 | € 95.000,00 | + € 5.000,00 |",
        "| PdZ | Da programmare | € 1.060.000,00 | € 1.045.000,00 | − € 15.000,00 |",
        "| Alfa | Cofinanziamento minimo | € 150.000,00 | € 149.625,94 | − € 374,06 |",
        "| Beta | Popolazione | 1.000 | 1.010 | + 10 |",
        "| Beta | Fascia d'età 30-64 | 480 | 490 | + 10 |",
        "| Beta | Cofinanziamento minimo | € 50.000,00 | € 50.374,06 | + € 374,06 |",
        "| piano.yaml | comuni |",
        "| finanza.yaml | budget |",
        "| schede/A.1.yaml | programmazione |",
        "| capitoli/10-cap1.md | testo |",
    ]
    assert "## 1. Schede aggiunte e rimosse\n\nNessuna variazione.\n" in md
    assert ("### Analisi del contesto socio-demografico e del sistema di offerta dei servizi (capitoli/10-cap1.md)\n\nCapitolo modificato.\n\n"
            "> **Testo precedente:** L'Ambito conta 4.000 abitanti.\n>\n"
            "> **Testo nuovo:** L'Ambito conta 4.010 abitanti residenti nei due Comuni.\n") in md


def test_docx_figures_and_same_bytes(repo: Path, tmp_path: Path, capsys):
    from docx import Document

    change(repo / "content")
    out = [tmp_path / "a.docx", tmp_path / "b.docx"]
    for path in out:
        assert diff(capsys, "approvato", str(repo / "content"), "--format", "docx", "-o", str(path))[0] == 0
    assert out[0].read_bytes() == out[1].read_bytes()
    d = Document(str(out[0]))
    rows = [tuple(c.text.replace("\u00a0", " ") for c in r.cells) for t in d.tables for r in t.rows]
    assert ("A.1", "2023", "PdZ", "€ 50.000,00", "€ 55.000,00", "+ € 5.000,00") in rows
    assert ("PdZ", "Da programmare", "€ 1.060.000,00", "€ 1.045.000,00", "− € 15.000,00") in rows
    assert ("Beta", "Popolazione", "1.000", "1.010", "+ 10") in rows
    text = [p.text for p in d.paragraphs]
    assert "Testo precedente: L'Ambito conta 4.000 abitanti." in text
    assert "Testo nuovo: L'Ambito conta 4.010 abitanti residenti nei due Comuni." in text
    assert "Prospetto delle variazioni" in text and "1. Schede aggiunte e rimosse" in text
    assert d.core_properties.author == "Ambito Territoriale Sociale di Prova"


def test_docx_takes_the_plans_styles(repo: Path, tmp_path: Path, capsys):
    """The DOCX is written by the plan's translator: headings, tables, quotes and the closing line in the
    styles of riferimento.docx, as in the plan's own DOCX."""
    from docx import Document

    change(repo / "content")
    path = tmp_path / "variazioni.docx"
    assert diff(capsys, "approvato", str(repo / "content"), "--format", "docx", "-o", str(path))[0] == 0
    d = Document(str(path))
    styles = {p.text: p.style.name for p in d.paragraphs if p.text}
    assert styles["Prospetto delle variazioni"] == "Title"
    assert [t for t, s in styles.items() if s.startswith("Heading")] == [
        "1. Schede aggiunte e rimosse", "2. Programmazione economica delle schede", "3. Fonti di finanziamento",
        "4. Testo dei capitoli", "Analisi del contesto socio-demografico e del sistema di offerta dei servizi (capitoli/10-cap1.md)", "5. Dati dei Comuni",
        "6. Parti modificate dei file del piano"]
    assert styles["4. Testo dei capitoli"] == "Heading 2"
    assert styles["Analisi del contesto socio-demografico e del sistema di offerta dei servizi (capitoli/10-cap1.md)"] == "Heading 3"
    assert styles["Testo nuovo: L'Ambito conta 4.010 abitanti residenti nei due Comuni."] == "Quote"
    assert styles[("Prospetto prodotto con pdz-docs confrontando i file del piano nelle due versioni "
                   "indicate.")] == "Provenienza"
    assert [t.style.style_id for t in d.tables] == ["TabellaDati"] * 5
    header = d.tables[1].rows[0].cells
    assert [c.paragraphs[0].style.name for c in header] == ["Testo tabella"] * 3 + ["Cifre tabella"] * 3
    assert d.sections[0].header.paragraphs[0].text == ("Ambito Territoriale Sociale di Prova – Prospetto delle "
                                                       "variazioni del Piano Sociale di Zona 2022-2024")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")
def test_pdf_text(repo: Path, tmp_path: Path, capsys, monkeypatch):
    """The PDF reads back; making it leaves the process's environment as it was."""
    change(repo / "content")
    pdf = tmp_path / "variazioni.pdf"
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    environment = dict(os.environ)
    assert diff(capsys, "approvato", str(repo / "content"), "--format", "pdf", "-o", str(pdf))[0] == 0
    assert dict(os.environ) == environment
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    text = text.replace("\u00a0", " ")
    for needle in ("Prospetto delle variazioni", "Ambito Territoriale Sociale di Prova", "del 12 marzo 2024",
                   "€ 55.000,00", "+ € 5.000,00", "€ 290.000,00", "− € 15.000,00", "4.010 abitanti residenti",
                   "€ 50.374,06", "pag. 1 di"):
        assert needle in text, needle


def test_unknown_revision(repo: Path, capsys):
    code, out, err = diff(capsys, "nonesiste", str(repo / "content"))
    assert (code, out) == (1, "")
    assert err == "pdz: errore: revisione sconosciuta: nonesiste\n"
    code, _, err = diff(capsys, "--", "--output=x", str(repo / "content"))   # never passed to git as an option
    assert code == 1 and "revisione sconosciuta: --output=x" in err


def test_not_a_git_repository(plan_dir: Path, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code, _, err = diff(capsys, "HEAD", str(plan_dir))
    assert code == 1
    assert err == f"pdz: errore: la cartella «{plan_dir}» non è in un repository git\n"


def test_plan_missing_or_wrong_at_a_revision(repo: Path, capsys):
    plan = repo / "content"
    code, _, err = diff(capsys, "inizio", str(plan))
    assert code == 1
    assert err == f"pdz: errore: il piano «{plan}» non esiste nella revisione inizio (manca content/piano.yaml)\n"
    edit(plan / "schede" / "A.1.yaml", "codice: A.1", "codice: A.9")
    commit(repo, "sbagliata")
    code, _, err = diff(capsys, "approvato", "sbagliata", str(plan))
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[0] == ("pdz: errore: il piano nella revisione sbagliata ha 1 errore: "
                                   "correggerlo o confrontare un'altra revisione")
    assert err.splitlines()[1].startswith("  sbagliata:content/schede/A.1.yaml:1:9: errore: codice di servizio «A.9»")
    code, _, err = diff(capsys, "approvato", str(plan))          # the working tree has the same mistake
    assert code == 1 and "il piano nella copia di lavoro ha 1 errore" in err


def test_usage(repo: Path, capsys):
    code, _, err = diff(capsys, "a", "b", "c", "d")
    assert code == 2 and "indicare REV_A [REV_B] [CARTELLA]" in err
    code, _, err = diff(capsys, "approvato", "approvato", str(repo / "manca"))
    assert code == 1 and f"la cartella del piano «{repo / 'manca'}» non esiste" in err


def test_amounts_in_their_state(repo: Path, capsys):
    """A card amount made pending or not given, and the totals over it, are compared in their state, as the
    document prints them: never «non indicato» for a pending amount or a partial total."""
    plan = repo / "content"
    edit(plan / "finanza.yaml", "  FNA:\n    2022: € 50.000,00", "  FNA:\n    2022: € 50.000,00\n    2023: {in_attesa: si}")
    edit(plan / "schede" / "A.1.yaml", "    PdZ: € 50.000,00",
         "    PdZ: € 50.000,00\n    FNA: {in_attesa: si, previsto: \"€ 5,00\"}")
    edit(plan / "schede" / "A.1.yaml", "PAIS: € 10.000,00", "PAIS: ~")
    code, out, _ = diff(capsys, "approvato", str(plan))
    assert code == 0
    rows = [" ".join(line.split()) for line in out.splitlines()]
    for row in ("A.1 2022 PAIS € 10.000,00 non indicato dalla fonte —",
                "A.1 2023 FNA — in attesa di assegnazione (previsto € 5,00) —",
                "FNA Disponibile € 50.000,00 € 50.000,00, esclusi gli importi in attesa di assegnazione —",
                "PdZ Da programmare € 1.060.000,00 € 1.060.000,00 sulle risorse note —"):
        assert row in rows, out
    assert any(r.startswith("A.1 Totale € 100.000,00 € 90.000,00, esclusi gli importi") for r in rows), out
