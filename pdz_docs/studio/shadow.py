"""Checks while typing: the pipeline run on a shadow copy of the plan with the unsaved edit applied.

There is no second validator. The shadow folder mirrors the plan as the pipeline reads it: a regular
file, or a file reached through a link (to a file or a folder) inside the plan, is copied at the path
it is read by; a link leading out of the plan, to a file or a folder, stays a link (to the same place,
never read here), so the pipeline refuses it as `pdz check` does. Nothing is ever written through a
link: a shadow file is removed before it is written. The shadow is brought up to date before every
check from the files' modification times, receives the edited text of one file, and
`pdz_docs.build.check` checks and computes it exactly as `pdz check` does (the chapters built into
the document tree too). Problems come back located in the plan's own relative paths.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

from pdz_docs.build import check as check_plan
from pdz_docs.pipeline import Result
from pdz_docs.problems import Loc, Problem
from pdz_docs.watch import SKIPPED_DIRS


def plan_files(root: Path) -> dict[str, tuple]:
    """What the shadow mirrors, by relative path, as the pipeline reads the plan: each file (through
    links that stay inside the plan, file or folder) → (mtime, size); a link leading out of the plan
    (file or folder) → ("fuori", its target), never read. Hidden and output folders, hidden files,
    special files (a FIFO would block the copy) and a folder link looping back on itself are left out."""
    root = Path(os.path.realpath(root))
    found: dict[str, tuple] = {}

    def out(path: str) -> bool:
        if not os.path.islink(path):
            return False
        target = Path(os.path.realpath(path))
        if target.is_relative_to(root):
            return False
        found[os.path.relpath(path, root)] = ("fuori", str(target))
        return True

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(os.path.realpath(dirpath))
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SKIPPED_DIRS
                       and not out(os.path.join(dirpath, d))
                       and not here.is_relative_to(os.path.realpath(os.path.join(dirpath, d)))]   # a loop
        for name in filenames:
            path = os.path.join(dirpath, name)
            if name.startswith(".") or out(path):
                continue
            try:
                st = os.stat(path)
            except OSError:   # removed meanwhile, or a broken link: the next check sees it
                continue
            if stat.S_ISREG(st.st_mode):
                found[os.path.relpath(path, root)] = (st.st_mtime_ns, st.st_size)
    return found


class Shadow:
    """A private copy of the plan where unsaved edits are checked; one check at a time."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.dir = Path(tempfile.mkdtemp(prefix="pdz-studio-"))
        self.seen: dict[str, tuple[int, int]] = {}
        self.lock = threading.Lock()
        self.regole = None     # the rules of the last check that read them (the forms' choices)
        self.capitoli: dict = {}   # relative path → front matter of each chapter, from the last check that read them

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
                if dest.is_dir() and not dest.is_symlink():
                    shutil.rmtree(dest)
                dest.unlink(missing_ok=True)
                if sig[0] == "fuori":
                    dest.symlink_to(sig[1])
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
            self.capitoli = {self._rel(c.file) or c.file: c.meta for c in result.plan.capitoli}
        return result, [self._relabel(p) for p in problems]

    def _rel(self, file: str) -> str | None:
        """The plan's relative path of a file the pipeline named in the shadow, None for another file."""
        path = Path(file)
        if not path.is_absolute():
            path = Path.cwd() / path
        try:
            # the folder resolved, the file's own name kept: a link is not followed
            return (path.parent.resolve() / path.name).relative_to(self.dir.resolve()).as_posix()
        except ValueError:
            return None

    def _relabel(self, p: Problem) -> Problem:
        rel = self._rel(p.loc.file)
        return p if rel is None else Problem(Loc(rel, p.loc.line, p.loc.col), p.code, p.message, p.severity)
