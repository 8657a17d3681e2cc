"""`pdz diff`: what changed in a plan between two git revisions, as a "Prospetto delle variazioni".

Each revision's plan is read from git's objects (`git.py`), the working tree in place; both
are checked and computed by the same `build` as `pdz build`, and the two results compared
(`compare.py`) into a neutral `Prospetto` of already formatted rows that the renderers
(`report.py`: terminal text, Markdown, DOCX, PDF) only lay out. Nothing is printed here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pdz_docs.build import build
from pdz_docs.diff.compare import compare
from pdz_docs.diff.git import DiffError, commit_of, extract, relabel, toplevel, working_tree
from pdz_docs.diff.report import Prospetto, Versione
from pdz_docs.faults import describe
from pdz_docs.pipeline import Result
from pdz_docs.problems import ERRORE

DEFAULT_PLAN = Path("content")


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
        return compare(prima, a, dopo, b)


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
