"""Checks while typing: the pipeline run on a shadow copy of the plan with the unsaved edit applied.

There is no second validator. The shadow folder mirrors the plan: a regular file, or a link to a file
inside the plan, is copied; a link leading out of the plan stays a link (to the same place, never read
here), so the pipeline refuses it as `pdz check` does. Nothing is ever written through a link: a
shadow file is removed before it is written. The shadow is brought up to date before every check from the files' modification times,
receives the edited text of one file, and `pdz_docs.build.check` checks and computes it exactly as
`pdz check` does (the chapters built into the document tree too). Problems come back located in the plan's own relative paths.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

from pdz_docs.build import check as check_plan
from pdz_docs.pipeline import Result
from pdz_docs.problems import Loc, Problem
from pdz_docs.watch import snapshot


def plan_files(root: Path) -> dict[str, tuple[int, int]]:
    """Relative path → (mtime, size) of the plan's files (a link: of the file it leads to): hidden and
    output folders, hidden files and special files (a FIFO would block the copy) are left out."""
    return {os.path.relpath(path, root): (mtime, size) for path, mtime, size in snapshot([root])
            if not os.path.basename(path).startswith(".") and os.path.isfile(path)}


def _outside(path: Path, root: Path) -> bool:
    return path.is_symlink() and not path.resolve().is_relative_to(root.resolve())


class Shadow:
    """A private copy of the plan where unsaved edits are checked; one check at a time."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.dir = Path(tempfile.mkdtemp(prefix="pdz-studio-"))
        self.seen: dict[str, tuple[int, int]] = {}
        self.lock = threading.Lock()
        self.regole = None     # the rules of the last check that read them (the forms' choices)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def _sync(self) -> None:
        now = plan_files(self.root)
        for rel in set(self.seen) - set(now):
            (self.dir / rel).unlink(missing_ok=True)
        for rel, sig in now.items():
            if self.seen.get(rel) != sig:
                source, dest = self.root / rel, self.dir / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.unlink(missing_ok=True)
                if _outside(source, self.root):
                    dest.symlink_to(source.resolve())
                else:
                    shutil.copyfile(source, dest)
        self.seen = now

    def check(self, rel: str | None = None, text: str | None = None) -> tuple[Result | None, list[Problem]]:
        """Run the pipeline on the plan as it would be with `text` saved as `rel`."""
        with self.lock:
            self._sync()
            target = self.dir / rel if rel else None
            if target is not None and text is not None:
                target.unlink(missing_ok=True)
                target.write_text(text, encoding="utf-8")
                self.seen.pop(rel, None)       # next sync restores the saved file
            try:
                result, problems = check_plan(self.dir)
            finally:
                if target is not None and text is not None:
                    self._sync()
        if result is not None:
            self.regole = result.plan.regole
        return result, [self._relabel(p) for p in problems]

    def _relabel(self, p: Problem) -> Problem:
        path = Path(p.loc.file)
        if not path.is_absolute():
            path = Path.cwd() / path
        try:
            rel = (path.parent.resolve() / path.name).relative_to(self.dir.resolve())   # a link is not followed
        except ValueError:
            return p
        return Problem(Loc(rel.as_posix(), p.loc.line, p.loc.col), p.code, p.message, p.severity)
