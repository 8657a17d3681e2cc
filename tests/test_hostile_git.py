"""A plan received with its `.git` folder: the repository's config, hooks and attributes run nothing.

The repository below is built hostile on purpose: every setting that could start a program
(fsmonitor, clean/smudge filters, textconv, aliases, ssh, external diff, pager, signature
verification, hooks) creates a marker file. The fixture first shows that plain git does run
them; then `pdz check`, `pdz build`, `pdz watch` and `pdz diff` must leave no marker.
"""

from __future__ import annotations

import builtins
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, UNPROGRAMMED, edit
from pdz_docs.cli import main
from pdz_docs.watch import Preview
from test_diff import commit, git
from test_hostile import png
from test_os_faults import mount, tmpfs  # noqa: F401 (mount is a fixture)

HOOKS = ("post-index-change", "pre-commit", "post-checkout", "reference-transaction", "pre-auto-gc",
         "fsmonitor-watchman", "post-rewrite", "pre-push")


def hostile_config(marks: Path) -> str:
    def run(name: str) -> str:
        return f'"touch {marks}/{name}; false"'

    return f"""
[core]
\tfsmonitor = {run("fsmonitor")}
\tsshCommand = {run("ssh")}
\tpager = {run("pager")}
\taskPass = {run("askpass")}
[filter "x"]
\tclean = {run("clean")}
\tsmudge = {run("smudge")}
[diff "x"]
\ttextconv = {run("textconv")}
[diff]
\texternal = {run("external-diff")}
[alias]
\tstatus = !{run("alias-status")}
\tarchive = !{run("alias-archive")}
\tls-tree = !{run("alias-ls-tree")}
\tcat-file = !{run("alias-cat-file")}
[log]
\tshowSignature = true
[gpg]
\tprogram = {run("gpg")}
"""


@pytest.fixture(params=["direct", "include"])
def hostile(request, tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """(repository, marker folder): tag `approvato` committed cleanly, then the config made hostile."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    marks = tmp_path / "segni"
    marks.mkdir()
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "rules", repo / "rules")
    shutil.copytree(FIXTURES / "minimo", repo / "content")
    (repo / ".gitattributes").write_text("* filter=x diff=x\n")
    (repo / ".gitignore").write_text("*.bak\n")
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Ufficio di Piano")
    git(repo, "config", "user.email", "udp@example.org")
    commit(repo, "approvato")
    config = hostile_config(marks)
    if request.param == "include":   # the settings in a file the repository's config includes
        (repo / ".git" / "ostile.inc").write_text(config)
        config = "[include]\n\tpath = ostile.inc\n"
    with open(repo / ".git" / "config", "a") as f:
        f.write(config)
    for name in HOOKS:
        hook = repo / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch {marks}/hook-{name}\n")
        hook.chmod(0o755)
    # A received copy: every file's timestamps differ from the index, so git would re-read (clean) them.
    later = time.time() + 5
    for path in (repo / "content").rglob("*"):
        os.utime(path, (later, later))
    # Plain git does run them: the markers below prove the repository is hostile.
    subprocess.run(["git", "status"], cwd=repo, capture_output=True)
    subprocess.run(["git", "archive", "HEAD"], cwd=repo, capture_output=True)
    assert {"fsmonitor", "clean", "smudge"} <= {p.name for p in marks.iterdir()}
    for p in marks.iterdir():
        p.unlink()
    return repo, marks


def ran(marks: Path) -> list[str]:
    return sorted(p.name for p in marks.iterdir())


def test_check_and_build_run_nothing(hostile, tmp_path: Path, capsys):
    repo, marks = hostile
    plan = repo / "content"
    edit(plan / "capitoli" / "10-cap1.md", "abitanti.", "abitanti residenti.")
    assert main(["check", str(plan)]) == 0
    assert main(["build", str(plan), "-o", str(tmp_path / "out"), "--format", "html"]) == 0
    assert ran(marks) == []
    page = next((tmp_path / "out").glob("*.html")).read_text()
    short = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=repo, capture_output=True,
                           text=True, env={"PATH": os.environ["PATH"]}).stdout.strip()
    assert f'name="PdzRevisione" content="{short}"' in page
    assert 'name="PdzModificheNonRegistrate" content="sì"' in page
    assert ran(marks) == []


CHANGES = {   # what is done to the plan folder → whether the document says "modifiche non registrate"
    "nessuna": (lambda plan: None, "no"),
    "capitolo-modificato": (lambda plan: edit(plan / "capitoli" / "10-cap1.md", "abitanti.", "abitanti!"), "sì"),
    "capitolo-nuovo": (lambda plan: (plan / "capitoli" / "20-cap2.md").write_text(
        "---\nid: cap2\ntitolo: Due\nordine: 20\n---\nTesto.\n"), "sì"),
    # Only the files the plan reads count: notes and links beside them are not part of the document.
    "file-estraneo": (lambda plan: (plan / "note.txt").write_text("appunti\n"), "no"),
    "file-ignorato": (lambda plan: (plan / "piano.yaml.bak").write_text("copia\n"), "no"),
    "file-tolto": (lambda plan: (plan / "schede" / "A.1.yaml").rename(plan / "A.1.yaml.bak"), "sì"),
    "collegamento-estraneo": (lambda plan: (plan / "zero").symlink_to("/dev/zero"), "no"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_uncommitted_changes_seen_without_running_anything(hostile, tmp_path: Path, change: str):
    repo, marks = hostile
    plan = repo / "content"
    do, expected = CHANGES[change]
    do(plan)
    if change == "file-tolto":   # the card is gone: the plan must still build without it
        edit(plan / "capitoli" / "10-cap1.md", "{{ schede() }}", "")
    assert main(["build", str(plan), "-o", str(tmp_path / "out"), "--format", "html"]) == 0
    page = next((tmp_path / "out").glob("*.html")).read_text()
    assert f'name="PdzModificheNonRegistrate" content="{expected}"' in page
    assert ran(marks) == []


def test_watch_runs_nothing(hostile):
    repo, marks = hostile
    preview = Preview(repo / "content", out=io.StringIO())
    preview.rebuild()
    assert [p for p in preview.problems if p.code != UNPROGRAMMED] == [] and b"PdzRevisione" in preview.page
    assert b'name="PdzModificheNonRegistrate" content="no"' in preview.page   # new timestamps, same bytes
    edit(repo / "content" / "capitoli" / "10-cap1.md", "abitanti.", "abitanti residenti.")
    preview.rebuild()
    assert 'name="PdzModificheNonRegistrate" content="sì"'.encode() in preview.page
    assert ran(marks) == []


def test_diff_runs_nothing(hostile, capsys):
    repo, marks = hostile
    plan = repo / "content"
    edit(plan / "schede" / "A.1.yaml", "    PdZ: € 50.000,00", "    PdZ: € 55.000,00")
    assert main(["diff", "approvato", str(plan)]) == 0
    out = capsys.readouterr().out
    assert "€ 55.000,00" in out and "copia di lavoro" in out
    assert main(["diff", "approvato", "approvato", str(plan)]) == 0
    assert "Nessuna variazione tra le due versioni." in capsys.readouterr().out
    assert ran(marks) == []


# --- what pdz diff refuses in a revision -------------------------------------------------------

@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "rules", root / "rules")
    shutil.copytree(FIXTURES / "minimo", root / "content")
    git(root, "init", "-q")
    git(root, "config", "user.name", "Ufficio di Piano")
    git(root, "config", "user.email", "udp@example.org")
    commit(root, "approvato")
    return root


def test_diff_refuses_symlinks_and_submodules(repo: Path, capsys):
    (repo / "content" / "immagini").mkdir()
    (repo / "content" / "immagini" / "logo.png").symlink_to("/etc/passwd")
    (repo / "content" / "capitoli" / "20-copia.md").symlink_to("10-cap1.md")
    git(repo, "add", "-A")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},content/modulo")
    git(repo, "commit", "-q", "-m", "collegamenti")
    git(repo, "tag", "collegamenti")
    shutil.rmtree(repo / "content" / "immagini")
    (repo / "content" / "capitoli" / "20-copia.md").unlink()

    assert main(["diff", "collegamenti", str(repo / "content")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert "pdz: errore: la revisione collegamenti contiene file che pdz diff non legge" in err
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert [line.split(": errore: ")[0] for line in lines] == [
        "collegamenti:content/capitoli/20-copia.md", "collegamenti:content/immagini/logo.png",
        "collegamenti:content/modulo"]
    assert "è un collegamento simbolico" in lines[1] and lines[1].endswith("[revisione-file-non-ammesso]")
    assert "è un sottomodulo git" in lines[2]


# --- provenance reads only the plan's own files -------------------------------------------------

def test_provenance_reads_only_the_files_the_plan_uses(plan_dir: Path, tmp_path: Path, monkeypatch):
    (plan_dir / "immagini").mkdir()
    (plan_dir / "immagini" / "logo.png").write_bytes(png())
    edit(plan_dir / "capitoli" / "10-cap1.md", "L'Ambito conta", "![Logo](../immagini/logo.png)\n\nL'Ambito conta")
    outside = tmp_path / "enorme.yaml"
    outside.write_text("x: 1\n")
    (plan_dir / "vecchio").mkdir()
    (plan_dir / "vecchio" / "dati.yaml").symlink_to(outside)
    (plan_dir / "vecchio" / "appunti.md").write_text("note che il piano non usa\n")

    opened: list[Path] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)):
            opened.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    first = contenuto(plan_dir, tmp_path / "a")
    monkeypatch.undo()
    assert outside not in opened and (plan_dir / "vecchio" / "appunti.md").resolve() not in opened
    assert (plan_dir / "immagini" / "logo.png").resolve() in opened

    # Unused files do not change the hash; the image the chapter shows does.
    (plan_dir / "vecchio" / "appunti.md").write_text("altre note\n")
    outside.write_text("x: 2\n")
    assert contenuto(plan_dir, tmp_path / "b") == first
    (plan_dir / "immagini" / "logo.png").write_bytes(png(5, 2))
    assert contenuto(plan_dir, tmp_path / "c") != first


def contenuto(plan: Path, out: Path) -> str:
    """The content hash recorded in the HTML that `pdz build` writes."""
    assert main(["build", str(plan), "-o", str(out), "--format", "html"]) == 0
    page = next(out.glob("*.html")).read_text()
    return re.search(r'name="PdzContenuto" content="([0-9a-f]{16})"', page).group(1)


# --- a repository git will not read, or that points git elsewhere --------------------------------

def html_meta(out: Path, name: str) -> str:
    page = next(out.glob("*.html")).read_text()
    return re.search(rf'name="{name}" content="([^"]*)"', page).group(1)


def test_plan_owned_by_another_user(repo: Path, tmp_path: Path, capsys):
    """A plan unzipped from a USB stick, owned by another user: git refuses it, pdz says so in Italian."""
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, 1234, 1234)
    plan = repo / "content"
    assert main(["build", str(plan), "-o", str(tmp_path / "out"), "--format", "html"]) == 0
    out, err = capsys.readouterr()
    assert (f"{plan}: nota: la cartella del piano appartiene a un altro utente: git non la legge per sicurezza "
            "(copiarla in una cartella propria perché git la legga); la revisione non è registrata nel documento "
            "[git-non-leggibile]") in out.splitlines()
    assert html_meta(tmp_path / "out", "PdzRevisione") == "fuori da git"

    assert main(["diff", "approvato", str(plan)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == ("pdz: errore: la cartella del piano appartiene a un altro utente: git non la legge "
                                 "per sicurezza (copiarla in una cartella propria perché git la legga); "
                                 "pdz diff non può confrontarne le revisioni\n")


def test_core_worktree_in_the_config_is_ignored(repo: Path, tmp_path: Path, capsys):
    git(repo, "config", "core.worktree", "/")
    plan = repo / "content"
    edit(plan / "schede" / "A.1.yaml", "    PdZ: € 50.000,00", "    PdZ: € 55.000,00")
    assert main(["diff", "approvato", str(plan)]) == 0
    assert "€ 55.000,00" in capsys.readouterr().out
    assert main(["build", str(plan), "-o", str(tmp_path / "out"), "--format", "html"]) == 0
    short = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=repo, capture_output=True,
                           text=True).stdout.strip()
    assert html_meta(tmp_path / "out", "PdzRevisione") == short
    assert html_meta(tmp_path / "out", "PdzModificheNonRegistrate") == "sì"


def test_unrelated_committed_file_is_never_opened(repo: Path, tmp_path: Path, monkeypatch, capsys):
    """A 50 MB video committed beside the plan: neither build nor diff opens or extracts it."""
    (repo / "content" / "extra").mkdir()
    with open(repo / "content" / "extra" / "video.bin", "wb") as f:
        f.truncate(50 << 20)
    commit(repo, "video")
    opened: list[str] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)):
            opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    assert main(["build", str(repo / "content"), "-o", str(tmp_path / "out"), "--format", "html"]) == 0
    assert main(["diff", "approvato", "video", str(repo / "content")]) == 0
    assert main(["diff", "video", str(repo / "content")]) == 0
    monkeypatch.undo()
    assert [f for f in opened if f.endswith("video.bin")] == []
    assert any(f.endswith("piano.yaml") and "pdz-diff-" in f for f in opened)   # the spy sees extractions
    assert html_meta(tmp_path / "out", "PdzModificheNonRegistrate") == "no"


def test_temporary_folder_full(repo: Path, tmp_path: Path, mount, monkeypatch, capsys):  # noqa: F811
    disk = tmpfs(mount, tmp_path / "tmp", "4k")
    (disk / "pieno").write_bytes(b"x" * os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize)
    monkeypatch.setattr(tempfile, "tempdir", str(disk))
    assert main(["diff", "approvato", str(repo / "content")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert re.fullmatch(rf"pdz: errore: spazio esaurito sul disco: impossibile scrivere «{disk}/pdz-diff-\w+/a»: "
                        r"è la cartella temporanea in cui pdz diff estrae la revisione approvato "
                        r"\(liberare spazio o indicarne un'altra con la variabile TMPDIR\)\n", err), err
