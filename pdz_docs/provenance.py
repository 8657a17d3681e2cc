"""Which version of the plan a document was printed from: git revision, uncommitted changes, content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pdz_docs import gitsafe
from pdz_docs.model import Plan
from pdz_docs.problems import Loc, Problem, nota
from pdz_docs.load.refs import IMAGE_TYPES, references, resolve_image

# The kinds of file a plan is made of (piano.yaml, finanza.yaml, cards, chapters, rules, images):
# `pdz diff` extracts only these from a revision, and only these count as a plan's file removed.
PLAN_SUFFIXES = frozenset({".yaml", ".yml", ".md", *IMAGE_TYPES})


def plan_kind(path: str) -> bool:
    """Whether a file (a path with "/") is of a kind a plan reads, by its suffix."""
    return Path(path.rsplit("/", 1)[-1]).suffix.lower() in PLAN_SUFFIXES


@dataclass(frozen=True)
class Provenance:
    revisione: str          # short git commit of the plan, "" outside git
    modifiche: bool         # the work tree had uncommitted changes in the plan folder
    contenuto: str          # SHA-256 (first 16 hex digits) of the plan's files
    motivo: str = ""        # why git could not tell the revision (Italian), "" when it could or outside git

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

    def problems(self, folder: Path) -> list[Problem]:
        """A note on the plan folder saying why the revision is not recorded, when git could not tell it."""
        if not self.motivo:
            return []
        return [nota(Loc(str(folder)), "git-non-leggibile",
                     f"{self.motivo}; la revisione non è registrata nel documento")]


def plan_files(plan: Plan) -> dict[str, Path]:
    """The files the loaded plan was read from, by the name they are hashed under.

    Exactly what the loader and the renderers read: piano.yaml, finanza.yaml, the rules file,
    the cards, the chapters and the images they show (each already checked to be inside the
    plan folder, or the rules folder). Nothing else in the folder is opened.
    """
    root = Path(plan.root).resolve()
    found = [Path(doc.file) for doc in plan.docs.values()]
    found += [Path(s.file) for s in plan.schede] + [Path(c.file) for c in plan.capitoli]
    for cap in plan.capitoli:
        for ref in references(cap.body) if "![" in cap.body else ():
            if ref.kind == "img" and (image := resolve_image(ref.url, root / "capitoli", root).path) is not None:
                found.append(image)
    files = {}
    for path in found:
        real = path.resolve()
        # A rules file outside the plan (rules/ next to it, or the program's) is named by its file name only,
        # so the hash does not depend on where the program is installed.
        name = real.relative_to(root).as_posix() if real.is_relative_to(root) else f"regole:{real.name}"
        files[name] = real
    return dict(sorted(files.items()))


def content_hash(files: dict[str, Path]) -> str:
    h = hashlib.sha256()
    for name, path in files.items():
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def provenance(plan: Plan) -> Provenance:
    """The revision of the repository holding the plan, whether the plan's files have uncommitted
    changes (only the files it reads, see `gitsafe.changed`), the hash."""
    folder = Path(plan.root).resolve()
    files = plan_files(plan)
    rev, dirty, why = "", False, ""
    try:
        top = gitsafe.toplevel(folder)
        if top is not None and folder.is_relative_to(top):
            rev = gitsafe.output(top, "rev-parse", "--short=12", "--verify", "--quiet", "HEAD^{commit}")
            inside = [p.relative_to(top).as_posix() for p in files.values() if p.is_relative_to(top)]
            dirty = bool(rev) and gitsafe.changed(top, [folder.relative_to(top).as_posix()], inside, plan_kind)
    except gitsafe.GitError as e:   # no git here, or a repository git refuses: the document says "fuori da git"
        why = str(e)
    return Provenance(rev, dirty, content_hash(files), why)
