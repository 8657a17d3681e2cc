"""Faults of the machine, not of the plan: a full disk, a read-only folder, a file where the output
folder should be, a name too long, a failed rename, an interruption or a kill. Each is one Italian
message with exit code 1 (130 for Ctrl-C, 143 for SIGTERM), never a traceback; the output folder keeps
the complete previous set of files, modification times included; no process of the build survives it.

Disk-full and read-only cases use a real tmpfs or read-only bind mount (the tests run as root); they
are skipped where `mount` is not allowed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, edit
from pdz_docs.cli import main

NAME = "piano-sociale-di-zona-prova-2022-2024"
OLD_MTIME = 1_600_000_000_000_000_000  # 13 September 2020, in ns
PDZ = [sys.executable, "-m", "pdz_docs"]


def pdz(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*PDZ, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def state(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the folder (hidden ones too) with its content and modification time."""
    return {f.name: (f.read_bytes(), f.stat().st_mtime_ns) for f in sorted(out.iterdir()) if f.is_file()}


def no_traceback(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stdout + r.stderr, r.stderr


@pytest.fixture
def previous(plan_dir: Path, tmp_path: Path):
    """A folder holding a complete set built from the plan (mtimes set in the past); the plan is then
    changed, so a new build would produce different bytes."""
    def make(out: Path, formats: str = "docx,xlsx,html") -> dict[str, tuple[bytes, int]]:
        r = pdz("build", plan_dir, "-o", out, "--format", formats)
        assert r.returncode == 0, r.stderr
        for f in out.iterdir():
            os.utime(f, ns=(OLD_MTIME, OLD_MTIME))
        edit(plan_dir / "schede" / "A.1.yaml", "PdZ: € 40.000,00", "PdZ: € 41.000,00")
        return state(out)
    return make


@pytest.fixture
def mount(tmp_path: Path):
    """mount(target, *options): a real mount for this test, undone afterwards; skips if not allowed."""
    done: list[Path] = []

    def do(target: Path, *options: str) -> Path:
        target.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["mount", *options, str(target)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"mount not permitted here: {r.stderr.strip()}")
        done.append(target)
        return target

    yield do
    for target in reversed(done):
        subprocess.run(["umount", "-l", str(target)], check=True)


def tmpfs(mount, target: Path, size: str) -> Path:
    return mount(target, "-t", "tmpfs", "-o", f"size={size}", "tmpfs")


def read_only(mount, target: Path) -> Path:
    mount(target, "--bind", str(target))
    subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True, capture_output=True)
    return target


# --- pdz build ----------------------------------------------------------------------------------

def test_output_is_an_existing_file(plan_dir: Path, tmp_path: Path):
    somefile = tmp_path / "consegna.pdf"
    somefile.write_bytes(b"%PDF- vecchio")
    for out in (somefile, somefile / "sotto"):
        r = pdz("build", plan_dir, "-o", out, "--format", "docx")
        assert r.returncode == 1
        no_traceback(r)
        assert f"pdz: errore: «{somefile}» esiste ed è un file, non una cartella. Nessun file scritto." in r.stderr
    assert somefile.read_bytes() == b"%PDF- vecchio"


def test_name_too_long(plan_dir: Path, tmp_path: Path):
    out = tmp_path / ("x" * 300)
    r = pdz("build", plan_dir, "-o", out, "--format", "docx")
    assert r.returncode == 1
    no_traceback(r)
    assert "pdz: errore: nome troppo lungo: «" in r.stderr
    assert "(il sistema ammette al massimo 255 caratteri per nome). Nessun file scritto." in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["piano"]


def test_read_only_folder(previous, tmp_path: Path, mount):
    out = tmp_path / "out"
    before = previous(out)
    read_only(mount, out)
    r = pdz("build", tmp_path / "piano", "-o", out, "--format", "docx,xlsx,html")
    assert r.returncode == 1
    no_traceback(r)
    assert f"pdz: errore: cartella non scrivibile (disco in sola lettura): impossibile scrivere «{out}»" in r.stderr
    assert state(out) == before


def test_disk_full_on_the_third_file_keeps_the_previous_set(previous, tmp_path: Path, mount):
    """The DOCX and the XLSX fit, the HTML does not: nothing of the new set replaces the old one."""
    disk = tmpfs(mount, tmp_path / "disco", "1m")
    out = disk / "out"
    before = previous(out)
    disk_stat = os.statvfs(disk)
    page = disk_stat.f_frsize                            # tmpfs counts whole pages
    pages = {name[-4:]: -(-len(data) // page) for name, (data, _) in before.items() if not name.startswith(".")}
    assert pages["html"] >= 2                             # the HTML needs more than the one page left below
    free = disk_stat.f_bavail * page
    (disk / "riempitivo").write_bytes(b"\0" * (free - (pages["docx"] + pages["xlsx"] + 1) * page))
    r = pdz("build", tmp_path / "piano", "-o", out, "--format", "docx,xlsx,html")
    assert r.returncode == 1
    no_traceback(r)
    assert (f"pdz: errore: spazio esaurito sul disco: impossibile scrivere «{out / NAME}.html». "
            f"Nessun file scritto: la cartella «{out}» è rimasta com'era.") in r.stderr
    assert state(out) == before
    (disk / "riempitivo").unlink()
    r = pdz("build", tmp_path / "piano", "-o", out, "--format", "docx,xlsx,html")
    assert r.returncode == 0, r.stderr
    after = state(out)
    assert after.keys() == before.keys() and all(after[n][0] != before[n][0] for n in after if n[0] != ".")


def _build_in_process(plan: Path, out: Path, capsys, monkeypatch) -> tuple[int, str]:
    from pdz_docs.cli import build_one

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")
    capsys.readouterr()
    code = build_one(plan, out, ["docx", "xlsx", "html"], parallel=False, quiet=True)
    return code, capsys.readouterr().err


def test_failed_rename_restores_the_previous_set(previous, tmp_path: Path, capsys, monkeypatch):
    """The DOCX is already in place when renaming the XLSX fails: the old DOCX comes back."""
    out = tmp_path / "out"
    before = previous(out)
    real_replace, renamed = os.replace, []

    def replace(src, dst):
        if not Path(dst).name.startswith(".") and Path(dst).parent == out:   # not the layout cache's files
            renamed.append(Path(dst).name)
            if len(renamed) == 2:
                raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code, err = _build_in_process(tmp_path / "piano", out, capsys, monkeypatch)
    assert code == 1
    assert renamed[:2] == [f"{NAME}.docx", f"{NAME}.xlsx"]
    assert (f"pdz: errore: errore di lettura o scrittura del disco su «{out / NAME}.xlsx». "
            f"Nessun file scritto: la cartella «{out}» è rimasta com'era.") in err
    assert state(out) == before


def _killed_build(plan: Path, out: Path, kill_at: str) -> None:
    """Build in a process that kills itself (as SIGKILL would, no unwinding) at `kill_at`:
    "renames" between the second and third rename of a final file, "journal" right after the
    journal is deleted (the new set complete, its backups not yet deleted)."""
    script = textwrap.dedent(f"""
        import os, pathlib
        from pdz_docs.cli import build_one
        real_replace, real_unlink, renamed = os.replace, os.unlink, []
        def replace(src, dst):
            if not pathlib.Path(dst).name.startswith(".") and pathlib.Path(dst).parent == pathlib.Path({str(out)!r}):
                renamed.append(dst)
                if {kill_at!r} == "renames" and len(renamed) == 2:
                    os._exit(9)
            real_replace(src, dst)
        def unlink(path, *args, **kwargs):
            real_unlink(path, *args, **kwargs)
            if {kill_at!r} == "journal" and pathlib.Path(path).name == ".pdz-build.journal":
                os._exit(9)
        os.replace, os.unlink = replace, unlink
        build_one(pathlib.Path({str(plan)!r}), pathlib.Path({str(out)!r}), ["docx", "xlsx", "html"])
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == 9, r.stderr


def test_build_killed_during_the_renames_is_undone_by_the_next(previous, tmp_path: Path):
    """A build killed between two renames leaves a mixed folder; the next build puts the old set back
    before writing its own files (here only the HTML: the DOCX and XLSX must be the old ones)."""
    out = tmp_path / "out"
    before = previous(out)
    _killed_build(tmp_path / "piano", out, "renames")
    assert (out / ".pdz-build.journal").exists()
    assert (out / f"{NAME}.docx").read_bytes() != before[f"{NAME}.docx"][0]  # the mixed state
    r = pdz("build", tmp_path / "piano", "-o", out, "--format", "html")
    assert r.returncode == 0, r.stderr
    after = state(out)
    assert sorted(after) == sorted(before)
    for ext in ("docx", "xlsx"):
        assert after[f"{NAME}.{ext}"] == before[f"{NAME}.{ext}"]
    assert after[f"{NAME}.html"][0] != before[f"{NAME}.html"][0]


def test_build_killed_after_the_renames_keeps_the_new_set(previous, tmp_path: Path):
    """Killed once the journal is gone: the new set is complete and stays; the next build only
    removes the hidden backups of the old one."""
    out = tmp_path / "out"
    before = previous(out)
    _killed_build(tmp_path / "piano", out, "journal")
    new = state(out)
    assert sorted(n for n in new if n.endswith(".pdz-prev")) == sorted(
        f".{n}.pdz-prev" for n in before if not n.startswith("."))
    r = pdz("build", tmp_path / "piano", "-o", out, "--format", "html")
    assert r.returncode == 0, r.stderr
    after = state(out)
    assert sorted(after) == sorted(before)
    for ext in ("docx", "xlsx"):
        assert after[f"{NAME}.{ext}"] == new[f"{NAME}.{ext}"] != before[f"{NAME}.{ext}"]


# --- interruptions and processes ----------------------------------------------------------------

def forks(pid: int) -> list[int]:
    """The children of `pid` that are forks of it (same command line), not programs it runs, such as git."""
    def cmdline(p) -> bytes:
        try:
            return Path(f"/proc/{p}/cmdline").read_bytes()
        except OSError:
            return b""
    try:
        kids = [int(c) for task in os.listdir(f"/proc/{pid}/task")
                for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        return []
    return [k for k in kids if cmdline(k) == cmdline(pid)]


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has ended; only its exit status waits to be collected)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for_forks(proc: subprocess.Popen, count: int = 1) -> list[int]:
    """The workers forked by `proc`, once there are `count` (a fork still there after 0.2 s is a worker,
    not a program being started)."""
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, "the worker never started"
        if len(forks(proc.pid)) >= count:
            time.sleep(0.2)
            if len(kids := forks(proc.pid)) >= count:
                return kids
        time.sleep(0.01)


def _long_plan(plan: Path) -> None:
    """Enough text for a layout of a few seconds and a PDF larger than a pipe's buffer."""
    text = ("Il servizio di assistenza domiciliare raggiunge le famiglie dei Comuni dell'Ambito "
            "con operatori qualificati e un piano individuale concordato con i servizi sociali. ") * 6
    path = plan / "capitoli" / "10-cap1.md"
    path.write_text(path.read_text(encoding="utf-8") + "".join(
        f"\n## Paragrafo {i}\n\n{text}\n" for i in range(120)), encoding="utf-8")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("sig, code, message", [
    (signal.SIGINT, 130, "Interrotto (Ctrl-C): nessun file lasciato a metà."),
    (signal.SIGTERM, 143, "Interrotto (segnale di terminazione): nessun file lasciato a metà."),
    (signal.SIGKILL, -signal.SIGKILL, ""),
], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_interrupted_during_the_pdf(previous, tmp_path: Path, sig, code, message):
    out = tmp_path / "out"
    plan = tmp_path / "piano"
    _long_plan(plan)
    before = previous(out, "docx")
    proc = subprocess.Popen([*PDZ, "build", str(plan), "-o", str(out), "--format", "pdf,docx", "--senza-cache"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = wait_for_forks(proc)
    time.sleep(0.3)  # into the layout
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stdout + stderr
    assert stderr.endswith(f"\n{message}\n" if message else "")
    time.sleep(2)
    assert [pid for pid in workers if running(pid)] == []
    after = state(out)
    if sig == signal.SIGKILL:  # killed outright: its temporary files stay until the next build removes them
        after = {n: v for n, v in after.items() if not n.endswith(".tmp")}
    assert after == before


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
def test_pdf_worker_killed_by_the_system(previous, tmp_path: Path):
    """The layout worker alone is killed (as the out-of-memory killer would): a message, not a traceback."""
    out = tmp_path / "out"
    plan = tmp_path / "piano"
    _long_plan(plan)
    before = previous(out, "docx")
    proc = subprocess.Popen([*PDZ, "build", str(plan), "-o", str(out), "--format", "pdf,docx", "--senza-cache"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    worker = wait_for_forks(proc)[0]
    os.kill(worker, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in stdout + stderr
    assert stderr.endswith("\npdz: errore: l'impaginazione del PDF si è interrotta "
                           "(il suo processo è stato chiuso dal sistema)\n")
    assert state(out) == before


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_several_plans_leave_no_worker(plan_dir: Path, tmp_path: Path, sig):
    _long_plan(plan_dir)    # builds of a few seconds: the signal always arrives while they run
    second = tmp_path / "secondo"
    shutil.copytree(plan_dir, second)
    proc = subprocess.Popen([*PDZ, "build", str(plan_dir), str(second), "-o", str(tmp_path / "out"),
                             "--format", "pdf,docx", "--senza-cache"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = wait_for_forks(proc, 2 if (os.cpu_count() or 1) > 1 else 1)
    time.sleep(1)  # into the builds
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stdout + stderr
    if sig == signal.SIGTERM:
        assert proc.returncode == 143
        assert stderr.endswith("\nInterrotto (segnale di terminazione): nessun file lasciato a metà.\n")
    time.sleep(2)
    assert [pid for pid in workers if running(pid)] == []
    if sig == signal.SIGTERM:  # the workers unwound their builds: no temporary file left
        assert list((tmp_path / "out").rglob("*.tmp")) == []


# --- pdz new and pdz diff -o -----------------------------------------------------------------------

def new(plan: Path) -> list[str]:
    return ["new", str(plan), "--ambito", "Prova", "--provincia", "Lecce", "--comuni", "Alfa,Beta"]


def test_new_on_a_full_disk_leaves_nothing(tmp_path: Path, mount, capsys):
    disk = tmpfs(mount, tmp_path / "disco", "16k")
    assert main(new(disk / "piano")) == 1
    err = capsys.readouterr().err
    assert err.startswith("pdz new: errore: spazio esaurito sul disco: impossibile scrivere «"), err
    assert list(disk.iterdir()) == []
    empty = disk / "vuota"
    empty.mkdir()
    assert main(new(empty)) == 1
    assert list(empty.iterdir()) == []


def test_new_in_a_read_only_folder(tmp_path: Path, mount, capsys):
    folder = read_only(mount, tmp_path / "ro")
    assert main(new(folder / "piano")) == 1
    assert capsys.readouterr().err == (f"pdz new: errore: cartella non scrivibile (disco in sola lettura): "
                                       f"impossibile scrivere «{folder / 'piano'}»\n")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """A git repository with the plan in content/ committed as `approvato`, the current folder."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "rules", root / "rules")
    shutil.copytree(FIXTURES / "minimo", root / "content")
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Ufficio di Piano",
           "GIT_AUTHOR_EMAIL": "udp@example.org", "GIT_COMMITTER_NAME": "Ufficio di Piano",
           "GIT_COMMITTER_EMAIL": "udp@example.org"}
    for args in (["init", "-q"], ["add", "-A"], ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "approvato"],
                 ["tag", "approvato"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)
    edit(root / "content" / "schede" / "A.1.yaml", "PdZ: € 40.000,00", "PdZ: € 41.000,00")
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize("where, message", [
    ("cartella", "«{target}» è una cartella, non un file: indicare il nome di un file"),
    ("file/variazioni.md", "«{tmp}/file» esiste ed è un file, non una cartella"),
    ("y" * 300 + ".md", "nome troppo lungo: «"),
], ids=["cartella", "file", "nome-lungo"])
def test_diff_output_faults(repo: Path, tmp_path: Path, capsys, where: str, message: str):
    (tmp_path / "cartella").mkdir()
    (tmp_path / "file").write_text("appunti")
    target = tmp_path / where
    assert main(["diff", "approvato", "--format", "md", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pdz: errore: " + message.format(target=target, tmp=tmp_path)), err
    assert (tmp_path / "file").read_text() == "appunti" and list((tmp_path / "cartella").iterdir()) == []


def test_diff_output_on_a_read_only_folder(repo: Path, tmp_path: Path, mount, capsys):
    folder = read_only(mount, tmp_path / "ro")
    assert main(["diff", "approvato", "--format", "md", "-o", str(folder / "variazioni.md")]) == 1
    assert capsys.readouterr().err == (f"pdz: errore: cartella non scrivibile (disco in sola lettura): "
                                       f"impossibile scrivere «{folder / 'variazioni.md'}»\n")
