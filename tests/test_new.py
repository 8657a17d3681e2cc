"""`pdz new`: a fresh skeleton passes `pdz check` and builds; bad options and occupied folders are refused."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import edit, line_of
from pdz_docs.cli import main
from pdz_docs.load.yamlsrc import load_yaml
from pdz_docs.pipeline import run
from pdz_docs.skeleton import yaml_scalar

DIECI = ["Gallipoli", "Alezio", "Alliste", "Melissano", "Racale", "Sannicola", "Taviano", "Tuglie",
         "Sant'Agata", "Castro: Marina"]


def new(plan: Path, comuni: str, *extra: str, ambito: str = "Prova") -> int:
    return main(["new", str(plan), "--ambito", ambito, "--provincia", "Lecce", "--comuni", comuni, *extra])


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) non installato")
@pytest.mark.parametrize("ambito, comuni", [("Casarano", ["Casarano"]), ("Gallipoli", DIECI)])
def test_new_check_build(tmp_path: Path, capsys, ambito: str, comuni: list[str]):
    plan, out = tmp_path / "piano", tmp_path / "out"
    assert new(plan, ",".join(comuni), ambito=ambito) == 0
    capsys.readouterr()
    assert main(["check", str(plan), "--strict"]) == 0
    assert "Nessun problema trovato" in capsys.readouterr().out
    assert main(["build", str(plan), "-o", str(out), "--format", "pdf,docx"]) == 0
    pdf = out / f"piano-sociale-di-zona-{ambito.lower()}-2022-2024.pdf"
    text = pdf_text(pdf)
    assert f"Ambito Territoriale Sociale di {ambito}" in text
    flat = " ".join(text.split())
    for name in comuni:
        assert name in flat, name   # the chapters list the Comuni (the cover is letter-spaced)
    for needle in ("Prefazione", "Capitolo I", "Capitolo IV", "1.1 Un profilo di comunità", "[Da scrivere]",
                   "Segretariato sociale", "Scheda A", "Quadro sinottico", "Allegati al Piano di Zona"):
        assert needle in flat, needle
    # the blank amounts print as such, never as € 0,00, and the list at the end names each with its line
    assert "Il budget del Piano di Zona 2022-2024 è di [non indicato dalla fonte]" in flat
    assert "nel triennio 2018-2020 è di [non indicato dalla fonte]" in flat   # the historical spending
    assert "€ 0,00 sono stati impegnati" not in flat and "è di € 0,00" not in flat
    assert "Budget fonte FNPS 2022: importo non indicato finanza.yaml:" in flat
    assert f"Spesa sociale storica {comuni[0]} 2018-2020: importo non indicato finanza.yaml:" in flat
    from test_real_clients import line_breaks_in_text
    assert line_breaks_in_text(out / pdf.with_suffix(".docx").name) == []   # the skeleton's wrapped lines are spaces
    xml = zipfile.ZipFile(out / pdf.with_suffix(".docx").name).read("word/document.xml").decode()
    assert f"Ambito Territoriale Sociale di {ambito}" in xml
    for name in comuni:   # on the cover in the «Copertina Comune» style, which sets it in capitals
        assert f'<w:pStyle w:val="CopertinaComune"/></w:pPr><w:r><w:t>{name}</w:t>' in xml, name


def test_names_round_trip(tmp_path: Path):
    names = ["Sant'Agata", "Castro: Marina", "No", "2022", 'Borgo "Vecchio"', "San Pietro in Lama", "Città #1",
             "- Trattino", "Ñandú"]
    plan = tmp_path / "piano"
    assert new(plan, ",".join(names), "--capofila", "castro: marina", ambito="Terra d'Otranto: Sud") == 0
    result, problems = run(plan)
    assert result is not None and problems == []
    p = result.plan.piano
    assert [c.nome for c in p.comuni] == names
    assert p.capofila == "Castro: Marina" and p.ambito == "Terra d'Otranto: Sud"
    assert list(result.plan.finanza.spesa_storica.comuni) == names
    assert list(result.plan.finanza.cofinanziamento_precedente) == names


@pytest.mark.parametrize("text", ["Casarano", "Sant'Agata", "Castro: Marina", "yes", "No", "null", "~", "2022",
                                  "1.234", "a #b", "[x]", "{x}", "x, y", "'x'", '"x"', "*x", "&x", "!x", "%x",
                                  "@x", "`x", "x:", "-x", "? x", "é", "San  Pietro", "x\\y"])
def test_yaml_scalar(text: str):
    doc, problems = load_yaml(Path("t.yaml"), "t.yaml", text=f"k: {yaml_scalar(text)}\n")
    assert problems == [] and doc.data == {"k": text}


def test_new_files(tmp_path: Path):
    plan = tmp_path / "piano"
    assert new(plan, "Alfa,Beta", "--ciclo", "2022-2024") == 0
    assert "output/" in (plan / ".gitignore").read_text().splitlines()
    settings = json.loads((plan / ".vscode" / "settings.json").read_text())
    for schema, target in settings["yaml.schemas"].items():
        assert (plan / schema).is_file(), schema
        assert target in ("piano.yaml", "finanza.yaml", "schede/*.yaml")
    chapters = sorted(p.name for p in (plan / "capitoli").iterdir())
    assert chapters == ["00-prefazione.md", "01-introduzione.md", "10-cap1.md", "20-cap2.md", "30-cap3.md",
                        "40-cap4.md", "90-allegati.md"]
    assert [p.name for p in (plan / "schede").iterdir()] == ["A.1.yaml"]


def test_deterministic(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert new(a, "Alfa,Beta") == 0 and new(b, "Alfa,Beta") == 0
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_refuses_non_empty_dir(tmp_path: Path, capsys):
    plan = tmp_path / "piano"
    plan.mkdir()
    (plan / "appunti.txt").write_text("non toccare")
    assert new(plan, "Alfa") == 1
    assert "non è vuota" in capsys.readouterr().err
    assert [p.name for p in plan.iterdir()] == ["appunti.txt"]
    assert (plan / "appunti.txt").read_text() == "non toccare"
    file = tmp_path / "file"
    file.write_text("x")
    assert new(file, "Alfa") == 1
    assert "è un file" in capsys.readouterr().err


def test_accepts_empty_dir(tmp_path: Path):
    plan = tmp_path / "vuota"
    plan.mkdir()
    assert new(plan, "Alfa") == 0
    assert (plan / "piano.yaml").is_file()


@pytest.mark.parametrize("comuni, extra, message", [
    ("Alfa,,Beta", [], "--comuni: il Comune n. 2 è vuoto"),
    ("Alfa,Beta,", [], "--comuni: il Comune n. 3 è vuoto"),
    ("", [], "--comuni: il Comune n. 1 è vuoto"),
    ("Alfa,Beta,alfa", [], "il Comune «alfa» compare due volte"),
    ("Alfa,Beta", ["--capofila", "Gamma"], "«Gamma» non è tra i Comuni indicati"),
    ("Alfa,Beta", ["--capofila", " "], "--capofila: il nome è vuoto"),
    ("Alfa", ["--ciclo", "2022/2024"], "«2022/2024» non è un ciclo valido"),
    ("Alfa", ["--ciclo", "2024-2022"], "non è un ciclo valido"),
    ("Alfa", ["--ciclo", "22-24"], "non è un ciclo valido"),
    ("Alfa", ["--ambito", "  "], "--ambito: il nome è vuoto"),
    ("Alfa\tBeta", [], "contiene caratteri non ammessi"),
])
def test_option_errors(tmp_path: Path, capsys, comuni: str, extra: list[str], message: str):
    plan = tmp_path / "piano"
    args = ["new", str(plan), "--ambito", "Prova", "--provincia", "Lecce", "--comuni", comuni, *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not plan.exists()


def test_unknown_cycle(tmp_path: Path, capsys):
    plan = tmp_path / "piano"
    assert new(plan, "Alfa", "--ciclo", "2025-2027") == 1
    err = capsys.readouterr().err
    assert "non c'è un file di regole per il ciclo 2025-2027" in err and "2022-2024" in err
    assert not plan.exists()


def test_rules_next_to_plan(tmp_path: Path, capsys):
    """A rules file in <plan>/../rules makes its cycle available, as the loader will find it there."""
    from pdz_docs.load.plan import PACKAGE_RULES

    rules = tmp_path / "rules"
    rules.mkdir()
    text = (PACKAGE_RULES / "prps-2022-2024.yaml").read_text(encoding="utf-8")
    text = text.replace("ciclo: 2022-2024", "ciclo: 2025-2027").replace("anni: [2022, 2023, 2024]",
                                                                        "anni: [2025, 2026, 2027]")
    text = text.replace("anno: 2022 ", "anno: 2025 ").replace("spesa_storica_anni: [2018, 2019, 2020]",
                                                              "spesa_storica_anni: [2021, 2022, 2023]")
    (rules / "prps-2025-2027.yaml").write_text(text, encoding="utf-8")
    plan = tmp_path / "piano"
    assert new(plan, "Alfa,Beta", "--ciclo", "2025-2027") == 0, capsys.readouterr().err
    assert "regole: prps-2025-2027" in (plan / "piano.yaml").read_text()
    result, problems = run(plan)
    assert result is not None and problems == []
    assert "2026:" in (plan / "schede" / "A.1.yaml").read_text()


@pytest.mark.parametrize("written, printed", [("LE", "Lecce"), ("taranto", "Taranto"), ("BAT", "Barletta-Andria-Trani")])
def test_new_writes_the_provinces_name(tmp_path: Path, written: str, printed: str):
    plan = tmp_path / "piano"
    assert main(["new", str(plan), "--ambito", "Prova", "--provincia", written, "--comuni", "Alfa"]) == 0
    assert f"provincia: {printed}\n" in (plan / "piano.yaml").read_text(encoding="utf-8")


def test_new_refuses_a_province_of_another_region(tmp_path: Path, capsys):
    plan = tmp_path / "piano"
    assert main(["new", str(plan), "--ambito", "Prova", "--provincia", "Milano", "--comuni", "Alfa"]) == 2
    err = capsys.readouterr().err
    assert ("--provincia: «Milano» non è tra le province della Regione (ammesse: Bari, Barletta-Andria-Trani, "
            "Brindisi, Foggia, Lecce, Taranto)") in err
    assert not plan.exists()


def test_a_new_plans_blank_reference_date_is_to_complete(tmp_path: Path, capsys):
    """The skeleton leaves the date of the population figures blank («data_riferimento: ~»): the draft lists
    it among the «Elementi da completare» at its line, and a definitive build refuses it there."""
    plan, out = tmp_path / "piano", tmp_path / "out"
    assert new(plan, "Alfa,Beta") == 0
    line = next(i for i, t in enumerate((plan / "piano.yaml").read_text(encoding="utf-8").splitlines(), 1)
                if t.startswith("data_riferimento:"))
    result, _ = run(plan)
    item = next(e for e in result.da_completare if e.parte == "Dati demografici")
    assert (item.code, item.posizione) == ("data-mancante", f"piano.yaml:{line}")
    capsys.readouterr()
    assert main(["build", "--definitivo", str(plan), "-o", str(out), "--format", "docx"]) == 1
    assert f"{plan / 'piano.yaml'}:{line}:19: errore: Dati demografici: data di riferimento dei dati demografici " \
           "(data_riferimento) non indicata [data-mancante]" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    # once written, it is no longer missing
    text = (plan / "piano.yaml").read_text(encoding="utf-8").replace("data_riferimento: ~", "data_riferimento: 2021-12-31")
    (plan / "piano.yaml").write_text(text, encoding="utf-8")
    assert not [e for e in run(plan)[0].da_completare if e.code == "data-mancante" and e.parte == "Dati demografici"]


def test_a_new_plans_zero_population_is_to_complete(tmp_path: Path, capsys):
    """The skeleton writes «popolazione: 0» for every Comune, a placeholder (its own comment says so): the draft
    lists each at its line, and a definitive build refuses it, instead of printing «vi risiedono 0 abitanti»."""
    plan, out = tmp_path / "piano", tmp_path / "out"
    assert new(plan, "Alfa,Beta") == 0
    lines = [i for i, t in enumerate((plan / "piano.yaml").read_text(encoding="utf-8").splitlines(), 1)
             if t.strip() == "popolazione: 0"]
    assert len(lines) == 2
    result, _ = run(plan)
    items = [(e.code, e.posizione, e.message) for e in result.da_completare if "popolazione residente" in e.cosa]
    assert items == [("campo-vuoto", f"piano.yaml:{n}", f"Dati demografici: {nome}: popolazione residente "
                      "non indicata (0)") for n, nome in zip(lines, ("Alfa", "Beta"))]
    capsys.readouterr()
    assert main(["build", "--definitivo", str(plan), "-o", str(out), "--format", "docx"]) == 1
    assert f"{plan / 'piano.yaml'}:{lines[0]}:" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())
    # once written (with its age bands), it is no longer missing
    text = (plan / "piano.yaml").read_text(encoding="utf-8").replace("popolazione: 0", "popolazione: 6", 1)
    (plan / "piano.yaml").write_text(text.replace("65+: 0}", "65+: 6}", 1), encoding="utf-8")
    assert [e.posizione for e in run(plan)[0].da_completare if "popolazione residente" in e.cosa] == [f"piano.yaml:{lines[1]}"]


def blank_amounts(path: Path) -> list[tuple[int, int]]:
    """(line, column) of every `~` written as a value outside comments: the amounts `pdz new` leaves blank."""
    out = []
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = text.split("#", 1)[0]
        out += [(n, m.start(1) + 1) for m in re.finditer(r":\s+(~)(?=[,}\s]|$)", code)]
    return out


def test_a_new_plans_amounts_are_blanks_listed_and_refused_at_their_lines(tmp_path: Path, capsys):
    """`pdz new` writes every amount the writer must fill in as `~` (not given), never as € 0,00: budget, FNPS
    quotas, co-financing, historical spending, the previous plan's report and co-financing, and the sample card's
    programming. The draft lists each among the «Elementi da completare» at its file:line; a definitive build
    refuses each there, and writes nothing."""
    plan, out = tmp_path / "piano", tmp_path / "out"
    assert new(plan, "Alfa,Beta") == 0
    fin, card = plan / "finanza.yaml", plan / "schede" / "A.1.yaml"
    for path in (fin, card):   # no amount is a zero that would print as a real figure
        assert not [t for t in path.read_text(encoding="utf-8").splitlines()
                    if "0,00" in t.split("#", 1)[0]], path
    blanks = {("finanza.yaml", *lc) for lc in blank_amounts(fin)} | {("schede/A.1.yaml", *lc) for lc in blank_amounts(card)}
    # FNPS, FNA, FGSA, FPOV, FPOV-EST per year, the two residui, 5 FNPS quotas × 3 years, 3 years of
    # co-financing, 2 Comuni's historical spending and 4 past years each, budget and committed of the
    # report; 3 years of the card
    assert len(blanks) == 5 * 3 + 2 + 5 * 3 + 3 + 2 + 2 * 4 + 2 + 3
    result, problems = run(plan)
    assert result is not None and not [p for p in problems if p.severity != "nota"]
    listed = {(e.posizione.rsplit(":", 1)[0], e.loc.line, e.loc.col) for e in result.da_completare
              if e.code == "importo-non-indicato"}
    assert listed == blanks
    capsys.readouterr()
    assert main(["build", "--definitivo", str(plan), "-o", str(out), "--format", "pdf"]) == 1
    err = capsys.readouterr().err
    refused = {(Path(f).relative_to(plan).as_posix(), int(line), int(col)) for f, line, col in
               re.findall(r"^(.+?):(\d+):(\d+): errore: .*\[importo-non-indicato\]$", err, flags=re.M)}
    assert refused == blanks
    fnps = line_of(fin, "FNPS:") + 1
    assert f"{fin}:{fnps}:11: errore: Budget: fonte FNPS 2022: importo non indicato [importo-non-indicato]" in err
    assert (f"{fin}:{line_of(fin, 'Alfa: ~')}:11: errore: Spesa sociale storica: Alfa 2018-2020: importo non "
            "indicato [importo-non-indicato]") in err
    assert (f"{card}:{line_of(card, 'PdZ: ~')}:10: errore: scheda A.1 – Segretariato sociale e Porta Unica di "
            "Accesso: programmazione 2022, fonte PdZ: importo non indicato [importo-non-indicato]") in err
    assert not out.exists() or not any(out.iterdir())
    # a blank filled in is no longer missing
    edit(fin, "    Alfa: ~", "    Alfa: € 450.000,00")
    assert ("finanza.yaml", line_of(fin, "Alfa: € 450"), 11) not in {
        (e.posizione.rsplit(":", 1)[0], e.loc.line, e.loc.col) for e in run(plan)[0].da_completare}


MANY = ("Maglie,Otranto,Bagnolo del Salento,Cannole,Castrignano de' Greci,Corigliano d'Otranto,Cursi,Giurdignano,"
        "Melpignano,Minervino di Lecce,Muro Leccese,Palmariggi,Poggiardo,Santa Cesarea Terme,Sanarica,Scorrano,"
        "Soleto,Sternatia,Uggiano la Chiesa,Zollino,Ortelle,Spongano,Diso,Andrano,Botrugno,Nociglia,"
        "San Cassiano,Surano,Giuggianello,Carpignano Salentino,Martano,Calimera")


@pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("soffice") is None,
                    reason="pdftotext o LibreOffice non installati")
def test_a_cover_with_many_comuni_stays_one_page(tmp_path: Path, capsys):
    """32 Comuni one a line would push the Ambito and the title onto a second page: they go in wrapping
    lines, and the cover keeps all it says on its page, in the PDF and in the DOCX (through LibreOffice)."""
    plan = tmp_path / "piano"
    assert new(plan, MANY, ambito="Maglie") == 0
    out = tmp_path / "out"
    assert main(["build", str(plan), "-o", str(out), "--format", "pdf,docx"]) == 0
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path / "lo"), str(next(out.glob("*.docx")))], capture_output=True, check=True,
                   timeout=300)
    for pdf in (next(out.glob("*.pdf")), next((tmp_path / "lo").glob("*.pdf"))):
        first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                               text=True).stdout
        flat = " ".join(first.split())
        assert "MAGLIE" in flat.replace(" ", "") and "CALIMERA" in flat.replace(" ", "")   # letter-spaced
        for needle in ("Ambito Territoriale Sociale di Maglie", "Provincia di Lecce",
                       "Piano Sociale di Zona", "Programmazione 2022-2024"):
            assert needle in flat, (pdf.name, needle)
