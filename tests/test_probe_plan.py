"""The plan's folders and names as a careless or hostile copy leaves them: subfolders, links out of
the plan, hidden files, characters that reorder or hide text, look-alike names, repeated numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from conftest import UNPROGRAMMED, edit, line_of
from pdz_docs.pipeline import run
from pdz_docs.problems import NOTA
from pdz_docs.skeleton import OptionError, parse_options

CARD = Path("schede") / "A.1.yaml"
CHAPTER = Path("capitoli") / "10-cap1.md"


def located(plan: Path, problems) -> list[tuple[str, int, int, str]]:
    """(file relative to the plan, line, column, code) of every problem but notes and unprogrammed money."""
    return sorted((os.path.relpath(os.path.abspath(p.loc.file), plan), p.loc.line, p.loc.col, p.code)
                  for p in problems if p.severity != NOTA and p.code != UNPROGRAMMED)


def pdz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdz_docs", *args], capture_output=True, text=True)


def second_chapter(folder: Path, name: str, numero: int = 2) -> Path:
    path = folder / name
    path.write_text(f"---\nid: cap2\ntitolo: Due\nnumero: {numero}\nordine: 20\n---\nTesto.\n", encoding="utf-8")
    return path


# --- what the folders hold ------------------------------------------------------------------

def test_subfolders_holding_cards_or_chapters_are_named(plan_dir: Path):
    (plan_dir / "schede" / "sub").mkdir()
    (plan_dir / "schede" / "sub" / "A.2.yaml").write_text((plan_dir / CARD).read_text().replace("A.1", "A.2"))
    (plan_dir / "capitoli" / "bozze" / "vecchie").mkdir(parents=True)
    second_chapter(plan_dir / "capitoli" / "bozze" / "vecchie", "20-cap2.md")   # a chapter two folders down
    (plan_dir / "capitoli" / "immagini").mkdir()   # where the images of the chapters are kept: no warning
    Image.new("RGB", (4, 4)).save(plan_dir / "capitoli" / "immagini" / "logo.png")
    result, problems = run(plan_dir)
    assert located(plan_dir, problems) == [("capitoli/bozze", 0, 0, "file-ignorato"),
                                           ("schede/sub", 0, 0, "file-ignorato")]
    assert [s.scheda.codice for s in result.plan.schede] == ["A.1"]


@pytest.mark.parametrize("folder", ["schede", "capitoli"])
def test_folder_linked_out_of_the_plan_is_refused_unlisted(plan_dir: Path, tmp_path: Path, folder: str):
    outside = tmp_path / "fuori"
    (plan_dir / folder).rename(outside)
    (outside / "segreto.txt").write_text("non leggere")
    (plan_dir / folder).symlink_to(outside)
    result, problems = run(plan_dir)
    assert (folder, 0, 0, "percorso-esterno") in located(plan_dir, problems)
    assert not any("fuori" in p.loc.file or "segreto" in p.message for p in problems)
    assert not (result.plan.schede if folder == "schede" else result.plan.capitoli)


def test_hidden_files_are_not_read(plan_dir: Path):
    second_chapter(plan_dir / "capitoli", ".20-cap2.md")
    (plan_dir / "capitoli" / "._10-cap1.md").write_bytes(b"\x00\x05\x16\x07 Mac OS X metadata")
    (plan_dir / "schede" / "._A.1.yaml").write_bytes(b"\x00\x05\x16\x07 Mac OS X metadata")
    result, problems = run(plan_dir)
    assert located(plan_dir, problems) == []
    assert [c.meta.id for c in result.plan.capitoli] == ["cap1"]
    assert len(result.plan.schede) == 1


# --- characters that reorder or hide text -----------------------------------------------------

@pytest.mark.parametrize("old, new, col", [
    ("  - denominazione: Segretariato sociale", '  - denominazione: "Segr\\u202eetariato"', 20),
    ("  - Accesso semplice per tutti", "  - Accesso semplice\u202e per tutti", 21),
    ("operatori: [Assistente sociale]", "operatori: [Assistente\u2067 sociale]", 27),
    ("  leps:", "  \u200fleps:", 3),
])
def test_bidi_controls_in_card_fields(plan_dir: Path, old: str, new: str, col: int):
    edit(plan_dir / CARD, old, new)
    _, problems = run(plan_dir)
    line = line_of(plan_dir / CARD, new.strip()[:6])
    assert located(plan_dir, problems) == [(str(CARD), line, col, "carattere-non-ammesso")]


def test_bidi_and_zero_width_in_chapter_body(plan_dir: Path):
    path = plan_dir / CHAPTER
    edit(path, "L'Ambito conta", "L'Ambito\u202e conta")
    edit(path, "## Lo \"stato", "## Lo \"st\u200bato")
    _, problems = run(plan_dir)
    assert located(plan_dir, problems) == [(str(CHAPTER), line_of(path, "conta"), 9, "carattere-non-ammesso"),
                                           (str(CHAPTER), line_of(path, "## Lo \"st"), 10, "carattere-invisibile")]
    assert [p.severity for p in problems if p.code == "carattere-invisibile"] == ["avviso"]


def test_hidden_characters_in_file_names(plan_dir: Path):
    second_chapter(plan_dir / "capitoli", "20-cap\u202egpj.md")
    Image.new("RGB", (4, 4)).save(plan_dir / "capitoli" / "lo\u2066go.png")
    edit(plan_dir / CHAPTER, "## Lo \"stato", "![Logo](lo%E2%81%A6go.png)\n\n## Lo \"stato")
    result, problems = run(plan_dir)
    assert located(plan_dir, problems) == [(str(CHAPTER), line_of(plan_dir / CHAPTER, "Logo"), 9,
                                            "carattere-non-ammesso"),
                                           ("capitoli/20-cap\\u202egpj.md", 0, 0, "carattere-non-ammesso")]
    assert [c.meta.id for c in result.plan.capitoli] == ["cap1"]
    assert not any(ch in p.format() for p in problems for ch in "\u202e\u2066")


# --- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("second, code", [("Alf’a", "comune-duplicato"), ("Alfʼa", "comune-duplicato"),
                                          ("\u0410lfa", "carattere-non-ammesso"),
                                          ("Al\u03bfa", "carattere-non-ammesso")])
def test_comuni_differing_by_apostrophe_or_alphabet(plan_dir: Path, second: str, code: str):
    edit(plan_dir / "piano.yaml", "  - nome: Alfa", "  - nome: Alf'a")
    edit(plan_dir / "piano.yaml", "capofila: Alfa", "capofila: Alf'a")
    edit(plan_dir / "piano.yaml", "  - nome: Beta", f"  - nome: {second}")
    for name, new in (("Alfa", "Alf'a"), ("Beta", second)):
        edit(plan_dir / "finanza.yaml", f"    {name}: €", f'    "{new}": €')
    _, problems = run(plan_dir)
    assert located(plan_dir, problems) == [("piano.yaml", line_of(plan_dir / "piano.yaml", second), 11, code)]
    with pytest.raises(OptionError, match="compare due volte" if code == "comune-duplicato" else "alfabeto latino"):
        parse_options("Prova", "Lecce", f"Alf'a,{second}", None, "2022-2024")
    # a title, unlike a name, may hold a letter of another alphabet
    edit(plan_dir / "piano.yaml", f"  - nome: {second}", "  - nome: Beta")
    edit(plan_dir / "finanza.yaml", f'    "{second}": €', "    Beta: €")
    edit(plan_dir / CARD, "titolo: Segretariato sociale", f"titolo: Indice {second} di accesso")
    assert located(plan_dir, run(plan_dir)[1]) == []


def test_two_chapters_with_one_number(plan_dir: Path):
    path = second_chapter(plan_dir / "capitoli", "20-cap2.md", numero=1)
    _, problems = run(plan_dir)
    assert located(plan_dir, problems) == [("capitoli/20-cap2.md", line_of(path, "numero:"), 9, "capitolo-duplicato")]


# --- the folders named on the command line ---------------------------------------------------

def test_check_of_a_file_says_it_is_a_file(plan_dir: Path):
    r = pdz("check", str(plan_dir / "piano.yaml"))
    assert r.returncode == 1
    assert "è un file, non la cartella del piano" in r.stderr and "non esiste" not in r.stderr


def test_output_in_a_special_folder(plan_dir: Path):
    r = pdz("build", str(plan_dir), "-o", "/proc/self", "--format", "html")
    assert r.returncode == 1
    assert "«/proc/self» non accetta nuovi file" in r.stderr and ".pdz-build.lock" not in r.stderr
