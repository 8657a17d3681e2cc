"""Versions from the browser editor: a plan without git gets a repository, a version holds exactly
the plan's files authored by the person logged in, approvals are tags, and a repository's hooks,
filters and signing programs never run."""

from __future__ import annotations

import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from pdz_docs.load.plan import load_plan
from pdz_docs.provenance import plan_files
from pdz_docs.studio import roundtrip, versions
from pdz_docs.studio.versions import ErroreVersioni

MARIA = ("Maria Rossi", "maria.rossi@example.org")


def git(repo: Path, *args: str) -> str:
    """Plain git, as a person at the terminal would run it (only for looking, and for building fixtures)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
               GIT_CEILING_DIRECTORIES=os.environ.get("GIT_CEILING_DIRECTORIES", ""))
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def plan(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    dst = tmp_path / "piano"
    shutil.copytree(FIXTURES / "minimo", dst)
    (dst / "appunti.txt").write_text("non fa parte del piano\n")
    return dst


def change_amount(plan: Path, amount: str) -> None:
    yf = roundtrip.load(plan / "schede" / "A.1.yaml")
    yf.set(("programmazione", 2022, "PdZ"), Decimal(amount))
    roundtrip.save(yf)


def test_first_version_creates_the_repository_with_exactly_the_plans_files(plan: Path):
    assert versions.storia(plan) == []
    v = versions.salva_versione(plan, "Prima stesura", *MARIA)
    assert (plan / ".git").is_dir()
    assert (v.autore, v.email, v.messaggio) == (MARIA[0], MARIA[1], "Prima stesura")
    committed = sorted(git(plan, "ls-tree", "-r", "--name-only", "HEAD").split())
    loaded, _ = load_plan(plan)
    # the rules file read from the program's folder is outside the plan, so not in its repository
    assert committed == sorted(n for n in plan_files(loaded) if not n.startswith("regole:"))
    assert "appunti.txt" not in committed and "schede/A.1.yaml" in committed
    assert git(plan, "log", "-1", "--format=%an <%ae>|%cn|%s") == f"{MARIA[0]} <{MARIA[1]}>|{MARIA[0]}|Prima stesura\n"
    assert not list(plan.glob(".git/hooks/*"))
    # git status agrees: only the file that is not the plan's is left out
    assert git(plan, "status", "--porcelain") == "?? appunti.txt\n"


def test_nothing_changed_is_refused_and_a_change_is_one_file(plan: Path):
    versions.salva_versione(plan, "Prima stesura", *MARIA)
    with pytest.raises(ErroreVersioni, match="nessuna modifica da salvare"):
        versions.salva_versione(plan, "Di nuovo", *MARIA)
    with pytest.raises(ErroreVersioni, match="breve descrizione"):
        versions.salva_versione(plan, "  ", *MARIA)
    change_amount(plan, "51000")
    v = versions.salva_versione(plan, "Importo PdZ 2022", "Luca Bianchi", "luca@example.org")
    assert git(plan, "diff", "--name-only", "HEAD~1", "HEAD") == "schede/A.1.yaml\n"
    assert [x.messaggio for x in versions.storia(plan)] == ["Importo PdZ 2022", "Prima stesura"]
    assert versions.storia(plan)[0] == v and v.autore == "Luca Bianchi"
    assert git(plan, "status", "--porcelain") == "?? appunti.txt\n"


def test_a_removed_card_is_removed_from_the_version(plan: Path):
    shutil.copy(plan / "schede" / "A.1.yaml", plan / "schede" / "A.2.yaml")
    roundtrip.save_text(plan / "schede" / "A.2.yaml",
                        (plan / "schede" / "A.2.yaml").read_text().replace("codice: A.1", "codice: A.2"),
                        roundtrip.load_text(plan / "schede" / "A.2.yaml").hash)
    versions.salva_versione(plan, "Due schede", *MARIA)
    assert "schede/A.2.yaml" in git(plan, "ls-tree", "-r", "--name-only", "HEAD")
    (plan / "schede" / "A.2.yaml").unlink()
    versions.salva_versione(plan, "Tolta la scheda A.2", *MARIA)
    assert "schede/A.2.yaml" not in git(plan, "ls-tree", "-r", "--name-only", "HEAD")
    assert git(plan, "status", "--porcelain") == "?? appunti.txt\n"


def test_plan_inside_a_larger_repository_commits_only_its_files(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "rules", repo / "rules")
    shutil.copytree(FIXTURES / "minimo", repo / "content")
    (repo / "altro.txt").write_text("uno\n")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "--allow-empty", "-m", "inizio")
    (repo / "altro.txt").write_text("due\n")
    git(repo, "add", "altro.txt")          # someone's staged work outside the plan stays staged
    versions.salva_versione(repo / "content", "Il piano", *MARIA)
    files = git(repo, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert "altro.txt" not in files and "content/piano.yaml" in files
    assert git(repo, "status", "--porcelain").splitlines() == ["A  altro.txt"]
    assert [v.messaggio for v in versions.storia(repo / "content")] == ["Il piano"]   # not "inizio"


def test_approval_is_an_annotated_tag_on_a_saved_version(plan: Path):
    with pytest.raises(ErroreVersioni, match="non ha ancora versioni"):
        versions.approva(plan, "approvato", *MARIA)
    versions.salva_versione(plan, "Prima stesura", *MARIA)
    change_amount(plan, "52000")
    with pytest.raises(ErroreVersioni, match="modifiche non salvate"):
        versions.approva(plan, "approvato", *MARIA)
    versions.salva_versione(plan, "Definitiva", *MARIA)
    versions.approva(plan, "approvato-2023-03-15", *MARIA, messaggio="Delibera n. 12 del 15 marzo 2023")
    assert git(plan, "cat-file", "-t", "approvato-2023-03-15") == "tag\n"
    assert git(plan, "for-each-ref", "--format=%(taggername) %(taggeremail)|%(contents:subject)",
               "refs/tags") == f"{MARIA[0]} <{MARIA[1]}>|Delibera n. 12 del 15 marzo 2023\n"
    assert versions.storia(plan)[0].approvazioni == ("approvato-2023-03-15",)
    assert versions.storia(plan)[1].approvazioni == ()
    with pytest.raises(ErroreVersioni, match="esiste già"):
        versions.approva(plan, "approvato-2023-03-15", *MARIA)
    with pytest.raises(ErroreVersioni, match="non valido"):
        versions.approva(plan, "approvato il 15", *MARIA)
    with pytest.raises(ErroreVersioni, match="autore non validi"):
        versions.salva_versione(plan, "x", "Maria <evil>", "")


def test_broken_repository_is_told_in_italian(plan: Path):
    (plan / ".git").write_text("gitdir: /non/esiste\n")
    with pytest.raises(ErroreVersioni, match="git non è riuscito"):
        versions.salva_versione(plan, "Prima", *MARIA)
    assert versions.storia(plan) == []


HOOKS = ("pre-commit", "commit-msg", "post-commit", "prepare-commit-msg", "reference-transaction",
         "post-index-change", "post-checkout", "pre-auto-gc")


def test_hooks_filters_and_signing_programs_never_run(plan: Path, tmp_path: Path):
    from test_hostile_git import hostile_config

    marks = tmp_path / "segni"
    marks.mkdir()
    git(plan, "init", "-q")
    git(plan, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-q", "--allow-empty", "-m", "inizio")
    (plan / ".gitattributes").write_text("* filter=x diff=x\n")
    with open(plan / ".git" / "config", "a") as f:
        f.write(hostile_config(marks) + f'[commit]\n\tgpgSign = true\n[tag]\n\tgpgSign = true\n'
                f'[gpg]\n\tprogram = "touch {marks}/gpg-firma; false"\n')
    for name in HOOKS:
        hook = plan / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch {marks}/hook-{name}\n")
        hook.chmod(0o755)
    # plain git does run them: the repository is hostile
    subprocess.run(["git", "-c", "commit.gpgSign=false", "-c", "user.name=x", "-c", "user.email=x@x",
                    "commit", "-q", "--allow-empty", "-m", "prova"], cwd=plan, capture_output=True,
                   env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    assert "hook-pre-commit" in {p.name for p in marks.iterdir()}
    for p in marks.iterdir():
        p.unlink()

    versions.salva_versione(plan, "Prima stesura", *MARIA)
    change_amount(plan, "53000")
    versions.salva_versione(plan, "Seconda", *MARIA)
    versions.approva(plan, "approvato", *MARIA)
    assert [v.messaggio for v in versions.storia(plan)][:2] == ["Seconda", "Prima stesura"]
    assert sorted(p.name for p in marks.iterdir()) == []
    # the files were stored as they are, not through the repository's clean filter
    assert git(plan, "show", "HEAD:schede/A.1.yaml") == (plan / "schede" / "A.1.yaml").read_text()
