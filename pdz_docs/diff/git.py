"""Reading a plan at a git revision, through `gitsafe` (raw blobs, no filters, nothing run).

The revision's plan folder (with the `rules/` folder next to it) is written from git's objects
into a temporary folder, only the files of the kinds a plan reads (`provenance.plan_kind`: YAML,
Markdown, images); symlinks, submodules and strange paths are refused, and the problems of an
extracted plan name their files as git does (REV:path).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from pdz_docs import gitsafe
from pdz_docs.faults import describe
from pdz_docs.finance.money import fmt_date
from pdz_docs.model import Plan
from pdz_docs.problems import Loc, Problem, errore
from pdz_docs.provenance import plan_kind, provenance


LAVORO = "copia di lavoro"


@dataclass(frozen=True)
class Versione:
    """One side of the comparison: a revision, or the working tree."""

    nome: str              # the revision as typed, or LAVORO
    commit: str            # short hash ('' for a working tree without commits)
    data: date | None      # commit date
    modificata: bool = False   # working tree with changes not yet committed

    @property
    def descrizione(self) -> str:
        if self.nome == LAVORO:
            if not self.commit:
                return LAVORO
            state = "con modifiche non registrate" if self.modificata else "senza modifiche"
            return f"{LAVORO} (commit {self.commit} {state})"
        when = f" del {fmt_date(self.data)}" if self.data else ""
        name = "" if self.nome == self.commit else f"{self.nome} – "
        return f"{name}commit {self.commit}{when}"

    @property
    def slug(self) -> str:
        return "lavoro" if self.nome == LAVORO else re.sub(r"[^A-Za-z0-9._-]+", "-", self.nome).strip("-.") or "rev"


class DiffError(Exception):
    """A reason why the comparison cannot be made, in Italian, with the exit code."""

    def __init__(self, message: str, exit_code: int = 1, details: tuple[str, ...] = ()):
        super().__init__(message)
        self.message, self.exit_code, self.details = message, exit_code, details


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return gitsafe.git(cwd, *args)
    except gitsafe.GitError as e:
        raise DiffError(str(e))


def toplevel(plan_dir: Path) -> Path:
    try:
        top = gitsafe.toplevel(plan_dir)
    except gitsafe.GitError as e:
        raise DiffError(f"{e}; pdz diff non può confrontarne le revisioni")
    if top is None:
        raise DiffError(f"la cartella «{plan_dir}» non è in un repository git")
    return top


def commit_of(top: Path, rev: str) -> tuple[str, Versione]:
    r = None if rev.startswith("-") else _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if r is None or r.returncode != 0:
        raise DiffError(f"revisione sconosciuta: {rev}")
    full = r.stdout.decode().strip()
    short = _git(top, "rev-parse", "--short", full).stdout.decode().strip()
    # The committer line of the raw commit: "committer Name <mail> SECONDS +HHMM" (no pretty-printing,
    # which could verify signatures with a program named in the repository's config).
    raw = _git(top, "cat-file", "commit", full).stdout.decode("utf-8", "replace")
    seconds, offset = re.search(r"^committer .*> (\d+) ([+-]\d{4})$", raw, re.M).groups()
    zone = timezone((-1 if offset[0] == "-" else 1) * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:])))
    return full, Versione(rev, short, datetime.fromtimestamp(int(seconds), zone).date())


def extract(top: Path, rel: Path, named: Path, rev: str, dest: Path) -> Versione:
    """Write the plan folder `rel` of revision `rev` (and the rules next to it) into `dest`."""
    commit, version = commit_of(top, rev)
    path = rel.as_posix() if rel != Path(".") else ""
    piano = f"{path}/piano.yaml" if path else "piano.yaml"
    if _git(top, "cat-file", "-t", f"{commit}:{piano}").stdout.decode().strip() != "blob":
        raise DiffError(f"il piano «{named}» non esiste nella revisione {rev} (manca {piano})")
    paths = [path or "."]
    rules = (rel.parent / "rules").as_posix()
    if path and _git(top, "cat-file", "-t", f"{commit}:{rules}").stdout.decode().strip() == "tree":
        paths.append(rules)   # the plan may find its rules file next to it (load.plan.find_rules)
    try:
        entries = gitsafe.tree(top, commit, paths)
        refused = [_refusal(e, rev) for e in entries if not e.is_file or not gitsafe.safe_path(e.path)]
        if refused:
            raise DiffError(f"la revisione {rev} contiene file che pdz diff non legge",
                            details=tuple(p.format() for p in refused))
        dest.mkdir(parents=True)
        gitsafe.write_blobs(top, [e for e in entries if plan_kind(e.path)], dest)
    except gitsafe.GitError as e:
        raise DiffError(f"impossibile leggere la revisione {rev}: {e}")
    except OSError as e:
        raise DiffError(f"{describe(e, dest)}: è la cartella temporanea in cui pdz diff estrae la revisione "
                        f"{rev} (liberare spazio o indicarne un'altra con la variabile TMPDIR)") from None
    return version


def _refusal(e: gitsafe.Entry, rev: str) -> Problem:
    """A symlink, a submodule or a strange path in a revision: named, never followed or written."""
    what = {"120000": "è un collegamento simbolico", "160000": "è un sottomodulo git"}.get(
        e.mode, "ha un percorso non ammesso")
    return errore(Loc(f"{rev}:{e.path}"), "revisione-file-non-ammesso",
                  f"nella revisione {rev} questo elemento {what}: pdz diff legge dalle revisioni solo file "
                  "normali dentro la cartella del piano; registrare al suo posto una copia del file")


def relabel(p: Problem, root: Path, rev: str) -> Problem:
    """Name a file of an extracted revision as git does: REV:path/in/the/repository."""
    try:
        rel = Path(os.path.abspath(p.loc.file)).relative_to(root)
    except ValueError:
        return p
    return replace(p, loc=replace(p.loc, file=f"{rev}:{rel.as_posix()}"))


def working_tree(top: Path, plan: Plan) -> Versione:
    """The working tree as a version: the commit it started from, and whether it has changes since."""
    head = _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    short = ""
    if head.returncode == 0:
        short = _git(top, "show", "-s", "--format=%h", head.stdout.decode().strip()).stdout.decode().strip()
    dirty = head.returncode == 0 and provenance(plan).modifiche
    return Versione(LAVORO, short, None, dirty)
