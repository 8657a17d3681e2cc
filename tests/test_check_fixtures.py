"""One mistake per plan: the exact file, line and code reported, no traceback, exit code 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import UNPROGRAMMED, edit, line_of, program_everything
from pdz_docs.pipeline import run
from pdz_docs.problems import NOTA

# (name, file, old text, new text, text on the expected line (None: line 1), expected code)
CASES = [
    ("yaml-sintassi", "piano.yaml", "provincia: Lecce", "provincia: Lecce: sud", "provincia:", "yaml-sintassi"),
    ("indentazione", "piano.yaml", "  - nome: Beta\n    popolazione: 1000", "  - nome: Beta\n   popolazione: 1000",
     "popolazione: 1000", "yaml-sintassi"),
    ("tab", "finanza.yaml", "    2023: € 100.000,00", "\t2023: € 100.000,00", "\t2023", "yaml-tab"),
    ("importo-ambiguo", "finanza.yaml", "    2023: € 100.000,00", "    2023: 100.000", "2023: 100.000", "importo-ambiguo"),
    ("importo-float", "schede/A.1.yaml", "PdZ: € 50.000,00", "PdZ: 12.5", "PdZ: 12.5", "importo-ambiguo"),
    ("importo-negativo", "schede/A.1.yaml", "PdZ: € 50.000,00", "PdZ: € -50.000,00", "-50.000", "importo-negativo"),
    ("importo-decimali", "schede/A.1.yaml", "PdZ: € 50.000,00", "PdZ: € 50.000,001", "50.000,001", "importo-decimali"),
    ("importo-testo", "schede/A.1.yaml", "PdZ: € 50.000,00", "PdZ: cinquantamila", "cinquantamila", "importo-non-valido"),
    ("importo-separatori", "schede/A.1.yaml", "PdZ: € 50.000,00", "PdZ: € 5.00.00,00", "5.00.00", "importo-non-valido"),
    ("virgola-graffe", "finanza.yaml", "  FGSA:\n    2022: € 50.000,00", "  FGSA: {2022: € 50.000,00}", "FGSA:", "yaml-virgola"),
    ("campo-mancante", "piano.yaml", "provincia: Lecce\n", "", None, "campo-mancante"),
    ("chiave-sconosciuta", "schede/A.1.yaml", "risultati_attesi:", "risultati_atesi:", "risultati_atesi", "chiave-sconosciuta"),
    ("codice-sconosciuto", "schede/A.1.yaml", "codice: A.1", "codice: A.9", "codice:", "codice-sconosciuto"),
    ("area-sconosciuta", "schede/A.1.yaml", "aree: [accesso]", "aree: [acesso]", "aree:", "area-sconosciuta"),
    ("obiettivo-sconosciuto", "schede/A.1.yaml", "lettera: C}", "lettera: Z}", "lettera: Z", "obiettivo-sconosciuto"),
    ("fonte-sconosciuta", "schede/A.1.yaml", "PAIS: € 10.000,00", "PAIZ: € 10.000,00", "PAIZ", "fonte-sconosciuta"),
    ("livello-sconosciuto", "schede/A.1.yaml", "  leps:", "  lep:", "  lep:", "livello-sconosciuto"),
    ("chiave-duplicata", "piano.yaml", "provincia: Lecce", "provincia: Lecce\nprovincia: Bari", "provincia: Bari",
     "yaml-chiave-duplicata"),
    ("anno-fuori-ciclo", "schede/A.1.yaml", "  2023:\n    PdZ", "  2025:\n    PdZ", "2025:", "anno-fuori-ciclo"),
    ("front-matter", "capitoli/10-cap1.md", "---\nid: cap1", "--\nid: cap1", None, "front-matter"),
    ("front-matter-campo", "capitoli/10-cap1.md", "ordine: 10\n", "", "id: cap1", "campo-mancante"),
    ("tag-yaml", "piano.yaml", "provincia: Lecce", "provincia: !!python/object:os.system Lecce", "provincia:", "yaml-tag"),
    ("capofila", "piano.yaml", "capofila: Alfa", "capofila: Gamma", "capofila:", "comune-sconosciuto"),
    ("comune-finanza", "finanza.yaml", "    Beta: € 150.000,00", "    Betta: € 150.000,00", "Betta", "comune-sconosciuto"),
    ("numero-ambiguo", "piano.yaml", "popolazione: 3000", "popolazione: 3.000", "popolazione: 3.000", "numero-ambiguo"),
    ("tipo-errato", "piano.yaml", "famiglie: 1200", "famiglie: molte", "famiglie: molte", "tipo-errato"),
    ("cifra-sconosciuta", "capitoli/10-cap1.md", "cifre.popolazione.totale", "cifre.popolazione.totalle",
     "totalle", "cifra-sconosciuta"),
    ("fuga-sandbox", "capitoli/10-cap1.md", "{{ cifre.popolazione.totale }}", "{{ ''.__class__.__mro__ }}",
     "__class__", "cifre-non-ammesso"),
    ("include", "capitoli/10-cap1.md", "{{ schede() }}", "{% include '/etc/passwd' %}", "include", "cifre-non-ammesso"),
    ("tabella-sconosciuta", "capitoli/10-cap1.md", 'tabella("fasce_eta")', 'tabella("fasce")', "fasce", "cifra-sconosciuta"),
    ("alias", "piano.yaml", "provincia: Lecce", "x: &a [1]\nprovincia: *a", "provincia:", "yaml-alias"),
]


@pytest.mark.parametrize("name,file,old,new,at,code", CASES, ids=[c[0] for c in CASES])
def test_one_mistake(plan_dir: Path, name, file, old, new, at, code):
    path = plan_dir / file
    edit(path, old, new)
    _, problems = run(plan_dir)
    problems = [p for p in problems if p.code != UNPROGRAMMED]
    reported = [p for p in problems if p.severity != NOTA]
    assert len(reported) == 1, [p.format() for p in reported]
    p = reported[0]
    assert p.code == code
    assert Path(p.loc.file).resolve() == path.resolve()
    assert p.loc.line == (line_of(path, at) if at else 1)


def test_empty_file(plan_dir: Path):
    (plan_dir / "schede" / "A.1.yaml").write_text("# niente\n", encoding="utf-8")
    _, problems = run(plan_dir)
    problems = [p for p in problems if p.code != UNPROGRAMMED]
    assert [(Path(p.loc.file).name, p.loc.line, p.code) for p in problems] == [("A.1.yaml", 1, "file-vuoto")]


def test_non_utf8(plan_dir: Path):
    path = plan_dir / "schede" / "A.1.yaml"
    path.write_bytes(path.read_bytes().replace("Segretariato sociale".encode(), "Attivit\xe0 sociale".encode("latin-1"), 1))
    _, problems = run(plan_dir)
    problems = [p for p in problems if p.code != UNPROGRAMMED]
    assert [(p.loc.line, p.code) for p in problems] == [(line_of(path, "titolo:"), "file-non-utf8")]


def test_duplicate_card(plan_dir: Path):
    src = plan_dir / "schede" / "A.1.yaml"
    (plan_dir / "schede" / "A.1-bis.yaml").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    _, problems = run(plan_dir)
    problems = [p for p in problems if p.code != UNPROGRAMMED]
    codes = sorted(p.code for p in problems)
    assert codes == ["nome-file-scheda", "scheda-duplicata"]


def test_bom_and_crlf_are_fine(plan_dir: Path):
    path = plan_dir / "piano.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    _, problems = run(plan_dir)
    problems = [p for p in problems if p.code != UNPROGRAMMED]
    assert problems == []


def test_many_mistakes_all_reported(plan_dir: Path):
    edit(plan_dir / "piano.yaml", "capofila: Alfa", "capofila: Gamma")
    edit(plan_dir / "schede" / "A.1.yaml", "aree: [accesso]", "aree: [acesso]")
    edit(plan_dir / "schede" / "A.1.yaml", "PAIS: € 10.000,00", "PAIZ: € 10.000,00")
    edit(plan_dir / "finanza.yaml", "    2023: € 100.000,00", "    2023: 100.000")
    _, problems = run(plan_dir)
    problems = [p for p in problems if p.code != UNPROGRAMMED]
    assert sorted(p.code for p in problems) == ["area-sconosciuta", "comune-sconosciuto", "fonte-sconosciuta",
                                                "importo-ambiguo"]


def test_cli_exit_codes_and_format(plan_dir: Path):
    program_everything(plan_dir)
    ok = subprocess.run([sys.executable, "-m", "pdz_docs", "check", str(plan_dir)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    edit(plan_dir / "schede" / "A.1.yaml", "codice: A.1", "codice: A.9")
    bad = subprocess.run([sys.executable, "-m", "pdz_docs", "check", str(plan_dir)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    line = line_of(plan_dir / "schede" / "A.1.yaml", "codice:")
    assert f"A.1.yaml:{line}:9: errore: codice di servizio «A.9»" in bad.stderr
    assert bad.stderr.rstrip().endswith("[codice-sconosciuto]")
    usage = subprocess.run([sys.executable, "-m", "pdz_docs", "check", "--boh"], capture_output=True, text=True)
    assert usage.returncode == 2
    js = subprocess.run([sys.executable, "-m", "pdz_docs", "check", "--json", str(plan_dir)], capture_output=True, text=True)
    import json
    data = json.loads(js.stdout)
    assert data[0]["code"] == "codice-sconosciuto" and data[0]["line"] == line


def test_strict_makes_warnings_fatal(plan_dir: Path):
    edit(plan_dir / "piano.yaml", "popolazione: 1000", "popolazione: 1001")
    args = [sys.executable, "-m", "pdz_docs", "check", str(plan_dir)]
    assert subprocess.run(args, capture_output=True).returncode == 0
    assert subprocess.run(args + ["--strict"], capture_output=True).returncode == 1


def test_figures_of_data_a_comune_lacks_say_which_data_to_write(tmp_path: Path):
    """A Comune added without its families and migrations: the chapters citing them are told why."""
    import shutil

    from conftest import ROOT
    from pdz_docs.pipeline import run

    plan = tmp_path / "piano"
    shutil.copytree(ROOT / "content", plan, ignore=shutil.ignore_patterns("output"))
    edit(plan / "piano.yaml", "comuni:\n", "comuni:\n  - nome: Ugento\n    popolazione: 12000\n")
    _, problems = run(plan)
    said = {p.message for p in problems if p.loc.file.endswith("10-cap1.md")}
    assert "le cifre «famiglie» mancano: per calcolarle occorre indicare in piano.yaml il numero di famiglie di ogni Comune " \
           "(famiglie)" in said
    assert "la tabella «migrazioni» manca: per calcolarla occorre indicare in piano.yaml le emigrazioni e le immigrazioni " \
           "di ogni Comune (emigrazioni, immigrazioni)" in said
    assert not any("nome sconosciuto" in m or "tabella sconosciuta" in m for m in said)


def test_the_same_problem_at_the_same_place_is_reported_once(plan_dir: Path):
    from pdz_docs.pipeline import run

    chapter = next((plan_dir / "capitoli").glob("*.md"))
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n{{ cifre.boh.uno }} e {{ cifre.boh.due }}.\n",
                       encoding="utf-8")
    _, problems = run(plan_dir)
    found = [p for p in problems if "«boh»" in p.message]
    assert len(found) == 1 and found[0].code == "cifra-sconosciuta", found   # both citations are on one line
