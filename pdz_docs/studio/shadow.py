"""Checks while typing: the pipeline run on a shadow copy of the plan with the unsaved edit applied.

There is no second validator. The shadow folder mirrors the plan (regular files only: a link is never
followed out of the plan), is brought up to date before every check from the files' modification times,
receives the edited text of one file, and `pdz_docs.pipeline.run` checks and computes it exactly as
`pdz check` would. Problems come back located in the plan's own relative paths.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

from pdz_docs.pipeline import Result, run
from pdz_docs.problems import Loc, Problem
from pdz_docs.watch import snapshot


def plan_files(root: Path) -> dict[str, tuple[int, int]]:
    """Relative path → (mtime, size) of the plan's regular files: hidden and output folders, hidden
    files, links and special files (a FIFO would block the copy) are left out."""
    return {os.path.relpath(path, root): (mtime, size) for path, mtime, size in snapshot([root])
            if not os.path.basename(path).startswith(".") and not os.path.islink(path) and os.path.isfile(path)}


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
                dest = self.dir / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.root / rel, dest, follow_symlinks=False)
        self.seen = now

    def check(self, rel: str | None = None, text: str | None = None) -> tuple[Result | None, list[Problem]]:
        """Run the pipeline on the plan as it would be with `text` saved as `rel`."""
        with self.lock:
            self._sync()
            target = self.dir / rel if rel else None
            if target is not None and text is not None:
                target.write_text(text, encoding="utf-8")
                self.seen.pop(rel, None)       # next sync restores the saved file
            try:
                result, problems = run(self.dir)
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
            rel = path.resolve().relative_to(self.dir.resolve())
        except ValueError:
            return p
        return Problem(Loc(rel.as_posix(), p.loc.line, p.loc.col), p.code, p.message, p.severity)
