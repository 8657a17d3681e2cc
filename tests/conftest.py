"""Shared fixtures: a minimal valid plan copied into a temporary folder for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# Property tests draw the same examples on every run, so CI's verdict depends on the code alone;
# `bash run test --hypothesis-profile=esplora` draws new ones (and a failure prints its seed).
settings.register_profile("ripetibile", derandomize=True)
settings.register_profile("esplora", derandomize=False)
settings.load_profile("ripetibile")
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "piano"
    shutil.copytree(FIXTURES / "minimo", dst)
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not found in {path}")


@pytest.fixture(autouse=True, scope="session")
def _image_cache(tmp_path_factory):
    """Normalised images are cached per user (pdz_docs/load/media.py): the tests, and the builds they start,
    use a cache folder of their own."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
@pytest.fixture(scope="session")
def default_outputs(tmp_path_factory) -> dict[str, Path]:
    """The default plan (content/) built once in every format, for the tests that only read the outputs:
    {"pdf": …, "docx": …, "html": …, "xlsx": …}. A test must not change these files."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("predefinito")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(ROOT / "content"), "-o", str(out),
                        "--format", "pdf,docx,html,xlsx"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    return {f.suffix[1:]: f for f in out.iterdir() if not f.name.startswith(".")}


def line_at(path: Path, text: str) -> int:
    """The line of `text`; for a needle of several lines, the line of its last part."""
    if "\n" in text:
        whole = path.read_text(encoding="utf-8")
        return whole[: whole.index(text)].count("\n") + text.count("\n") + 1
    return line_of(path, text)


# The minimal plan's chapter and sections, worded as the regional index words them (rules file, «indice»)
CAPITOLO_1 = "Analisi del contesto socio-demografico e del sistema di offerta dei servizi"
SEZIONE_1 = ("Un profilo di comunità dell'Ambito territoriale (caratteristiche socio demografiche, principali bisogni, "
             "fenomeni sociali emergenti, etc.)")
SEZIONE_2 = ('Lo "stato di salute" del sistema di welfare locale ed una valutazione del precedente ciclo di '
             "programmazione (punti di forza e di debolezza, rischi da evitare ed opportunità da cogliere)")


# Resources left unprogrammed are a warning (da-programmare); the minimal plan leaves most of its
# budget unprogrammed, so tests about other checks set that warning aside.
UNPROGRAMMED = "da-programmare"


def program_everything(plan: Path) -> None:
    """Make the minimal plan's card program all of its ordinary budget (no da-programmare warning)."""
    card = plan / "schede" / "A.1.yaml"
    edit(card, "PdZ: € 40.000,00", "PdZ: € 450.000,00")
    edit(card, "PdZ: € 50.000,00", "PdZ: € 350.000,00\n  2024:\n    PdZ: € 350.000,00")
