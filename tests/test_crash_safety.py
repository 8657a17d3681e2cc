"""Nothing lost: killed, terminated and concurrent builds leave complete outputs; warnings found while
laying out the PDF; several plans at once."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import CAPITOLO_1, edit, line_of

FMT = "pdf,docx,xlsx"


def cmd(plan: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(out), "--format", FMT, *extra]


def build(plan: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd(plan, out, *extra), capture_output=True, text=True)


def snapshot(out: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in out.iterdir() if not f.name.startswith(".")}


def assert_complete(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        if name.endswith(".pdf"):
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), name
        else:
            assert zipfile.ZipFile(__import__("io").BytesIO(data)).testzip() is None, name


@pytest.fixture
def two_versions(plan_dir: Path, tmp_path: Path):
    """Outputs of the plan before and after a change of amount, and the plan left at the changed state."""
    old, new = tmp_path / "old", tmp_path / "new"
    t = time.monotonic()
    assert build(plan_dir, old).returncode == 0
    duration = time.monotonic() - t
    edit(plan_dir / "schede" / "A.1.yaml", "PdZ: € 40.000,00", "PdZ: € 41.000,00")
    assert build(plan_dir, new).returncode == 0
    a, b = snapshot(old), snapshot(new)
    assert a.keys() == b.keys() and all(a[k] != b[k] for k in a)
    return plan_dir, a, b, duration


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_build_leaves_complete_files(two_versions, tmp_path: Path, sig):
    plan, old, new, duration = two_versions
    out = tmp_path / "out"
    for fraction in (0.2, 0.5, 0.8, 0.95, 1.05):
        out.mkdir(exist_ok=True)
        for name, data in old.items():
            (out / name).write_bytes(data)
        proc = subprocess.Popen(cmd(plan, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        got = snapshot(out)
        assert got.keys() == old.keys()
        for name, data in got.items():
            assert data in (old[name], new[name]), f"{name}: half-written after kill at {fraction:.0%}"
        assert_complete(got)
        if sig == signal.SIGTERM:  # unwound: its temporary files are gone at once
            assert not list(out.glob(".*.tmp"))
    # The next build removes what a SIGKILL left behind and writes the new version.
    assert build(plan, out).returncode == 0
    assert not list(out.glob(".*.tmp"))
    assert snapshot(out) == new


def test_concurrent_builds_do_not_corrupt(plan_dir: Path, tmp_path: Path):
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert build(plan_dir, ref).returncode == 0
    procs = [subprocess.Popen(cmd(plan_dir, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    assert snapshot(out) == snapshot(ref)
    assert not list(out.glob(".*.tmp"))


def test_outputs_readable_by_others(plan_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        assert build(plan_dir, out).returncode == 0
    finally:
        os.umask(old)
    for f in snapshot(out):
        assert stat.S_IMODE((out / f).stat().st_mode) == 0o644, f


def _wide_table(plan: Path) -> None:
    cols = 24
    table = ("| " + " | ".join(f"Colonna {i}" for i in range(cols)) + " |\n|" + "---|" * cols + "\n| "
             + " | ".join("1.234.567,89" for _ in range(cols)) + " |\n")
    path = plan / "capitoli" / "10-cap1.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + table, encoding="utf-8")


def test_table_wider_than_page_is_a_warning(plan_dir: Path, tmp_path: Path):
    _wide_table(plan_dir)
    r = build(plan_dir, tmp_path / "out")
    assert r.returncode == 0
    chapter = plan_dir / "capitoli" / "10-cap1.md"
    assert (f"{chapter}:{line_of(chapter, 'Colonna 0')}:1: avviso: una tabella scritta in Markdown nel capitolo "
            f"«{CAPITOLO_1}» è più larga della pagina") in r.stdout
    assert "[tabella-troppo-larga]" in r.stdout
    strict = build(plan_dir, tmp_path / "strict", "--strict")
    assert strict.returncode == 1 and "Nessun file scritto" in strict.stderr
    assert not (tmp_path / "strict").exists() or not snapshot(tmp_path / "strict")


def test_default_tables_fit(plan_dir: Path, tmp_path: Path):
    r = build(plan_dir, tmp_path / "out")
    assert "tabella-troppo-larga" not in r.stdout


def test_several_plans_in_parallel(plan_dir: Path, tmp_path: Path):
    import shutil

    good2 = tmp_path / "secondo"
    shutil.copytree(plan_dir, good2)
    broken = tmp_path / "rotto"
    shutil.copytree(plan_dir, broken)
    edit(broken / "schede" / "A.1.yaml", "codice: A.1", "codice: A.9")
    args = [str(plan_dir), str(broken), str(good2)]
    check = subprocess.run([sys.executable, "-m", "pdz_docs", "check", *args], capture_output=True, text=True)
    assert check.returncode == 1 and "Traceback" not in check.stdout + check.stderr
    assert "[codice-sconosciuto]" in check.stdout
    assert "2 su 3 piani senza errori." in check.stdout
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", *args, "-o", str(out), "--format", "docx"],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["piano", "secondo"]
    assert [f.suffix for f in (out / "piano").iterdir() if not f.name.startswith(".")] == [".docx"]
    import re

    assert re.search(rf"{re.escape(str(broken))} +da correggere\n", r.stdout)
    assert "2 su 3 piani senza errori." in r.stdout
