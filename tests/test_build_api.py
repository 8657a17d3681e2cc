"""`build(plan_dir, formats) -> (outputs, problems)`: the one build the CLI, `pdz watch` and `pdz diff` share.

It writes nothing, prints nothing and leaves the process's environment as it found it; the
files it returns are read back here.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from conftest import edit
from pdz_docs.build import build
from pdz_docs.problems import ERRORE

NAME = "piano-sociale-di-zona-prova-2022-2024"


def _listing(folder: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def test_build_returns_the_files_and_neither_prints_nor_writes(plan_dir: Path, capsys):
    before = _listing(plan_dir)
    outputs, problems = build(plan_dir, ["html", "xlsx", "docx"])
    assert capsys.readouterr() == ("", "")
    assert _listing(plan_dir) == before
    assert [p for p in problems if p.severity == ERRORE] == []
    assert [(f.format, f.name) for f in outputs.files] == [
        ("docx", f"{NAME}.docx"), ("xlsx", f"{NAME}.xlsx"), ("html", f"{NAME}.html")]
    files = {f.format: f.data for f in outputs.files}
    assert "Ambito Territoriale Sociale di Prova" in files["html"].decode("utf-8")
    document = zipfile.ZipFile(io.BytesIO(files["docx"])).read("word/document.xml").decode("utf-8")
    assert "Prova" in document
    assert "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(files["xlsx"])).namelist()
    assert outputs.result.plan.piano.ambito == "Prova"


def test_a_plan_with_errors_builds_nothing_and_says_where(plan_dir: Path, capsys):
    edit(plan_dir / "piano.yaml", "popolazione: 3000", "popolazione: tremila")
    outputs, problems = build(plan_dir, ["html"])
    assert capsys.readouterr() == ("", "")
    assert outputs is None
    line = (plan_dir / "piano.yaml").read_text(encoding="utf-8").splitlines().index("    popolazione: tremila") + 1
    assert [(Path(p.loc.file).name, p.loc.line) for p in problems if p.severity == ERRORE] == [("piano.yaml", line)]


def test_the_pdf_is_the_same_bytes_and_the_environment_is_left_alone(plan_dir: Path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = dict(os.environ)
    first, _ = build(plan_dir, ["pdf"], parallel=False)
    assert dict(os.environ) == before
    second, _ = build(plan_dir, ["pdf", "docx"])
    pdf = [f.data for f in first.files]
    assert pdf[0].startswith(b"%PDF-") and [f.data for f in second.files if f.format == "pdf"] == pdf
