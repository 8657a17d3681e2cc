"""A table wider than its PDF page is warned at the line where the table is written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import CAPITOLO_1

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_wide_markdown_table_is_warned_at_its_line(tmp_path: Path):
    plan = tmp_path / "piano"
    shutil.copytree(FIXTURES / "minimo", plan)
    chapter = plan / "capitoli" / "10-cap1.md"
    cols = 24
    table = ("| " + " | ".join(f"Colonna {i}" for i in range(cols)) + " |\n|" + "---|" * cols + "\n| "
             + " | ".join("1.234.567,89" for _ in range(cols)) + " |\n")
    text = chapter.read_text(encoding="utf-8") + "\nUna tabella in un elenco:\n\n- voce\n\n  " + table.replace("\n", "\n  ")
    chapter.write_text(text, encoding="utf-8")
    line = text.split("\n").index("  " + table.split("\n")[0]) + 1
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(tmp_path / "out"),
                        "--format", "pdf"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    warned = [x for x in r.stdout.splitlines() if x.endswith("[tabella-troppo-larga]")]
    assert warned == [f"{chapter}:{line}:1: avviso: una tabella scritta in Markdown nel capitolo «{CAPITOLO_1}» "
                      "è più larga della pagina e nel PDF risulta tagliata a destra: ridurre le colonne o "
                      "spezzarla in due tabelle [tabella-troppo-larga]"]
