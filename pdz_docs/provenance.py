"""Which version of the plan a document was printed from: git revision, uncommitted changes, content hash."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The files a plan is made of; anything else in the folder (outputs, editor files) does not change it.
PLAN_SUFFIXES = {".yaml", ".yml", ".md", ".png", ".jpg", ".jpeg", ".gif", ".svg"}


@dataclass(frozen=True)
class Provenance:
    revisione: str          # short git commit of the plan, "" outside git
    modifiche: bool         # the work tree had uncommitted changes in the plan folder
    contenuto: str          # SHA-256 (first 16 hex digits) of the plan's files

    @property
    def text(self) -> str:
        if not self.revisione:
            return f"fuori da git, contenuto {self.contenuto}"
        dirty = " con modifiche non registrate" if self.modifiche else ""
        return f"{self.revisione}{dirty}, contenuto {self.contenuto}"

    @property
    def properties(self) -> dict[str, str]:
        """The document properties that record the provenance (PDF metadata, DOCX custom properties)."""
        return {"PdzRevisione": self.revisione or "fuori da git",
                "PdzModificheNonRegistrate": "sì" if self.modifiche else "no",
                "PdzContenuto": self.contenuto}

    def __str__(self) -> str:
        return self.text


def plan_files(plan_dir: Path) -> list[Path]:
    root = Path(plan_dir)
    return sorted(p for p in root.rglob("*")
                  if p.suffix.lower() in PLAN_SUFFIXES and p.is_file()
                  and not any(part.startswith(".") or part == "output" for part in p.relative_to(root).parts[:-1]))


def content_hash(plan_dir: Path) -> str:
    h = hashlib.sha256()
    for path in plan_files(plan_dir):
        h.update(path.relative_to(plan_dir).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def _git(plan_dir: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=plan_dir, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def provenance(plan_dir: Path) -> Provenance:
    plan_dir = Path(plan_dir)
    rev = _git(plan_dir, "rev-parse", "--short=12", "HEAD")
    dirty = bool(rev) and bool(_git(plan_dir, "status", "--porcelain", "--", "."))
    return Provenance(rev, dirty, content_hash(plan_dir))
