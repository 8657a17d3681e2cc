"""Every git call of the package: a plan's repository is someone else's input, read with a fixed configuration.

A plan received from someone else may come with its `.git` folder, whose config, hooks and
`.gitattributes` are the sender's. So git runs here
- without the system and global config and without any GIT_* variable of the caller
  (GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_EXTERNAL_DIFF, …);
- with every setting that could start a program fixed on the command line, which wins over
  the repository's config and the files it includes (fsmonitor, hooks, pager, ssh, transports);
- only for plumbing that reads names and objects: trees with `ls-tree`, blobs raw with
  `cat-file --batch` (no smudge or clean filter, no textconv). Whether the plan's files differ
  from HEAD is decided here by comparing sizes and then streamed hashes, not by `git status`,
  which runs clean filters and the fsmonitor; files the plan does not read are never opened.
- with the work tree given on the command line: the folder holding `.git`, whatever the
  repository's `core.worktree` says (the folder git runs in is that folder, see `toplevel`).

git refuses a repository owned by another user (a plan unzipped from a USB stick, as root): that
refusal is kept, never lifted with `safe.directory`, and told in Italian (`GitError`).
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.sshCommand=false",
    "core.askPass=false",
    "core.attributesFile=/dev/null",
    "core.excludesFile=/dev/null",
    "diff.external=false",
    "protocol.allow=never",
    "gc.auto=0",
    "maintenance.auto=false",
    # what the browser editor writes (pdz_docs/studio/versions.py) is never signed, and no signature is checked
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "log.showSignature=false",
)
# The caller's variables git may keep: only the one that stops the search for a repository.
KEPT_GIT_VARIABLES = {"GIT_CEILING_DIRECTORIES"}
TIMEOUT = 120


class GitError(Exception):
    """git is missing or did not answer in time (the message is in Italian)."""


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in KEPT_GIT_VARIABLES}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null", GIT_TERMINAL_PROMPT="0",
               GIT_LITERAL_PATHSPECS="1", LC_ALL="C")
    return env


def _argv(*args: str) -> list[str]:
    argv = ["git", "--no-pager", "--no-optional-locks", "--work-tree=."]
    for setting in SAFE_CONFIG:
        argv += ["-c", setting]
    return argv + list(args)


def git(cwd: Path, *args: str, input: bytes | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `git ARGS` in `cwd` with the fixed configuration; output as bytes. `input` is its standard
    input; `env` adds variables of our own (an author, a temporary index), never the caller's."""
    try:
        return subprocess.run(_argv(*args), cwd=cwd, input=input, capture_output=True,
                              stdin=None if input is not None else subprocess.DEVNULL,
                              env={**environment(), **(env or {})}, timeout=TIMEOUT)
    except FileNotFoundError:
        raise GitError("il programma git non è installato") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} non ha risposto in tempo") from None


def output(cwd: Path, *args: str) -> str:
    """What git printed, without the final newline; "" when it failed."""
    r = git(cwd, *args)
    return r.stdout.decode("utf-8", "replace").strip() if r.returncode == 0 else ""


FOREIGN = ("la cartella del piano appartiene a un altro utente: git non la legge per sicurezza "
           "(copiarla in una cartella propria perché git la legga)")


def toplevel(folder: Path) -> Path | None:
    """The top folder of the repository holding `folder`, None outside git.

    git only says whether there is a repository; its top is the nearest folder holding `.git`,
    so a `core.worktree` in the repository's config cannot point git elsewhere. Raises
    `GitError` when git refuses the repository because another user owns it.
    """
    r = git(folder, "rev-parse", "--absolute-git-dir")
    if r.returncode != 0:
        # git's messages are in English (LC_ALL=C): only this stable phrase is looked at, never shown.
        if b"dubious ownership" in r.stderr:
            raise GitError(FOREIGN)
        return None
    here = folder.resolve()
    return next((d for d in (here, *here.parents) if os.path.lexists(d / ".git")), None)


@dataclass(frozen=True)
class Entry:
    """One row of `git ls-tree`: mode (100644, 100755, 120000 symlink, 160000 submodule), object, size, path."""

    mode: str
    oid: str
    size: int | None
    path: str          # relative to the repository's top folder, with "/"

    @property
    def is_file(self) -> bool:
        return self.mode in ("100644", "100755")


def tree(top: Path, commit: str, paths: list[str]) -> list[Entry]:
    """Every file under `paths` (relative to `top`) in `commit`, submodules and symlinks included."""
    r = git(top, "ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--", *paths)
    if r.returncode != 0:
        return []
    out = []
    for row in r.stdout.split(b"\0"):
        if not row:
            continue
        meta, _, path = row.partition(b"\t")
        mode, _kind, oid, size = meta.decode().split(None, 3)
        out.append(Entry(mode, oid, int(size) if size.strip().isdigit() else None,
                         path.decode("utf-8", "surrogateescape")))
    return out


def safe_path(path: str) -> bool:
    """Whether a path read from a tree stays inside the folder it is written to."""
    return not any(p in ("", ".", "..") or "\\" in p for p in path.split("/"))


def write_blobs(top: Path, entries: list[Entry], dest: Path) -> None:
    """Write the regular files among `entries` under `dest`, raw, streamed from `git cat-file --batch`.

    One object is asked for at a time (git flushes after each), so no pipe can fill up.
    """
    files = [e for e in entries if e.is_file]
    if not all(safe_path(e.path) for e in files):
        raise ValueError("path outside the destination")   # callers refuse these first
    try:
        proc = subprocess.Popen(_argv("cat-file", "--batch"), cwd=top, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environment())
    except FileNotFoundError:
        raise GitError("il programma git non è installato") from None
    try:
        for e in files:
            proc.stdin.write(e.oid.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise GitError(f"git non ha restituito il file {e.path}")
            left = int(header[2])
            target = dest.joinpath(*e.path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as f:
                while left:
                    chunk = proc.stdout.read(min(left, 1 << 20))
                    if not chunk:
                        raise GitError(f"git si è interrotto leggendo il file {e.path}")
                    f.write(chunk)
                    left -= len(chunk)
            proc.stdout.read(1)   # the newline after each object
    except BrokenPipeError:
        raise GitError("git si è interrotto leggendo la revisione") from None
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait(timeout=TIMEOUT)


def _same(path: Path, entry: Entry) -> bool:
    """Whether the regular file `path` holds what `entry` holds in HEAD: sizes first, then a streamed hash."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or not entry.is_file or st.st_size != entry.size:
            return False
        h = hashlib.new("sha256" if len(entry.oid) == 64 else "sha1", b"blob %d\0" % st.st_size)
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except OSError:
        return False
    return h.hexdigest() == entry.oid


def changed(top: Path, folders: list[str], files: list[str], kept) -> bool:
    """Whether the plan's `files` (relative to `top`) differ from HEAD, or a file of HEAD under
    `folders` that `kept(path)` counts as the plan's is gone from the working tree.

    Only the files the plan reads are opened (sizes compared first, then a streamed hash); a
    removed file is seen by its name alone. Other files in the folders are not looked at.
    """
    head = {e.path: e for e in tree(top, "HEAD", folders + files)}
    if any(not os.path.lexists(top / p) for p in head if kept(p)):
        return True
    return not all(p in head and _same(top / p, head[p]) for p in files)
