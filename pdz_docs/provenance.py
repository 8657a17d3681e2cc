"""Which version of the plan a document was printed from: git revision, uncommitted changes, content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pdz_docs import gitsafe
from pdz_docs.load.plan import Plan
from pdz_docs.load.refs import references, resolve_image


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


def content_hash(plan: Plan) -> str:
    h = hashlib.sha256()
    for name, path in plan_files(plan).items():
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def provenance(plan: Plan) -> Provenance:
    """The revision of the repository holding the plan, whether its folder has uncommitted changes, the hash."""
    folder = Path(plan.root)
    rev, dirty = "", False
    try:
        top = gitsafe.toplevel(folder)
        if top is not None and folder.resolve().is_relative_to(top):
            rev = gitsafe.output(top, "rev-parse", "--short=12", "--verify", "--quiet", "HEAD^{commit}")
            dirty = bool(rev) and gitsafe.changed(top, [folder.resolve().relative_to(top).as_posix()])
    except gitsafe.GitError:   # no git on this machine: the document says "fuori da git"
        pass
    return Provenance(rev, dirty, content_hash(plan))
