"""`pdz diff`: what changed in a plan between two git revisions, as a "Prospetto delle variazioni".

Each revision's plan is read from git's objects (`git.py`), the working tree in place; both
are checked and computed by the same `build` as `pdz build`, and the two results compared
(`compare.py`) into a document of nodes (`document/nodes.Report`), which the plan's own
translators lay out: render/text.py (terminal text, Markdown), render/docx.py (DOCX, the
plan's Word styles), render/html.py (the PDF, through `pdz build`'s PDF writer). Nothing is
printed here.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from pdz_docs.build import build
from pdz_docs.diff.compare import compare
from pdz_docs.diff.git import DiffError, Versione, commit_of, extract, relabel, toplevel, working_tree
from pdz_docs.document.nodes import Report
from pdz_docs.faults import describe
from pdz_docs.pipeline import Result
from pdz_docs.problems import ERRORE

DEFAULT_PLAN = Path("content")
FORMATS = ("testo", "md", "docx", "pdf")


@dataclass(frozen=True)
class Prospetto:
    """The comparison: its document, the two versions compared, whether nothing changed."""

    documento: Report
    prima: Versione
    dopo: Versione
    vuoto: bool

    def render(self, fmt: str) -> bytes:
        """The document in one of `FORMATS`, laid out by the plan's translators; same content, same bytes."""
        if fmt in ("testo", "md"):
            from pdz_docs.render.text import render_text

            return render_text(self.documento, markdown=fmt == "md").encode("utf-8")
        if fmt == "docx":
            from pdz_docs.render.docx import render_docx

            return render_docx(self.documento)
        from pdz_docs.build import render_pdf
        from pdz_docs.render.html import TEMPLATES, render_html

        return render_pdf(render_html(self.documento), [TEMPLATES], TEMPLATES)


def prospetto(revisioni: list[str]) -> Prospetto:
    """REV_A [REV_B] [PLAN_DIR] → the comparison; REV_B defaults to the working tree."""
    revs = list(revisioni)
    if not 1 <= len(revs) <= 3:
        raise DiffError("indicare REV_A [REV_B] [CARTELLA]: da una a tre voci", exit_code=2)
    plan_dir = DEFAULT_PLAN
    if len(revs) > 1 and Path(revs[-1]).is_dir():
        plan_dir = Path(revs.pop())
    elif len(revs) == 3:
        raise DiffError(f"la cartella del piano «{revs[-1]}» non esiste")
    if not plan_dir.is_dir():
        raise DiffError(f"la cartella del piano «{plan_dir}» non esiste: indicarla come ultimo argomento")
    top = toplevel(plan_dir)
    try:
        rel = plan_dir.resolve().relative_to(top)
    except ValueError:
        raise DiffError(f"la cartella «{plan_dir}» non è dentro il repository git {top}")
    for rev in revs:            # every revision name is checked before any plan is loaded
        commit_of(top, rev)
    try:
        temporary = tempfile.TemporaryDirectory(prefix="pdz-diff-")
    except OSError as e:
        raise DiffError(f"{describe(e, tempfile.gettempdir())}: pdz diff non può creare la sua cartella temporanea "
                        "(indicarne un'altra con la variabile TMPDIR)") from None
    with temporary as tmp:
        prima, a = _at_revision(top, rel, plan_dir, revs[0], Path(tmp) / "a")
        if len(revs) == 2:
            dopo, b = _at_revision(top, rel, plan_dir, revs[1], Path(tmp) / "b")
        else:
            b = _built(plan_dir, "nella copia di lavoro")
            dopo = working_tree(top, b.plan)
        report, empty = compare(prima, a, dopo, b)
        return Prospetto(report, prima, dopo, empty)


def _at_revision(top: Path, rel: Path, named: Path, rev: str, dest: Path) -> tuple[Versione, Result]:
    version = extract(top, rel, named, rev, dest)
    return version, _built(dest / rel, f"nella revisione {rev}", lambda p: relabel(p, dest, rev))


def _built(plan_dir: Path, where: str, name=lambda p: p) -> Result:
    """The plan checked and computed by `pdz build`'s own build; an error stops the comparison."""
    outputs, problems = build(plan_dir, ())
    errors = [name(p) for p in problems if p.severity == ERRORE]
    if outputs is None or errors:
        n = len(errors)
        raise DiffError(f"il piano {where} ha {n} {'errore' if n == 1 else 'errori'}: "
                        "correggerlo o confrontare un'altra revisione", details=tuple(p.format() for p in errors))
    return outputs.result
