"""Faults of the machine rather than of the plan: OS errors and interruptions, told in Italian.

Every command reports a failed file operation (disk full, read-only folder, a file where a folder
should be, a name too long…) with `describe(exc)`, one sentence naming the file, and stops with
exit code 1; Ctrl-C stops it with 130 and SIGTERM with 143, without a traceback. `main()` in
cli.py is the one place that turns these into messages; commands that can say more (for example
that the previous outputs are intact) catch them first.
"""

from __future__ import annotations

import errno
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

INTERRUPTED = 130   # 128 + SIGINT, what shells report for Ctrl-C
TERMINATED = 143    # 128 + SIGTERM


class Failure(Exception):
    """A fault outside the plan, already told in Italian: printed as it is, exit code 1."""


class Terminated(BaseException):
    """Raised by the SIGTERM handler: unwinds like Ctrl-C, so temporary files are removed."""


def _raise_once(exc: type[BaseException]):
    def handler(signum, frame):
        # Further signals are ignored while the command unwinds, so its cleaning up is not cut short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise exc
    return handler


@contextmanager
def signals_unwind():
    """Within the block SIGINT raises KeyboardInterrupt and SIGTERM `Terminated`, once, so the command
    unwinds (the default SIGTERM would end it without removing its temporary files); the previous
    handlers come back afterwards. Only the main thread can set handlers: elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, _raise_once(KeyboardInterrupt))
    signal.signal(signal.SIGTERM, _raise_once(Terminated))
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def shown(path: str | os.PathLike | None, limit: int = 200) -> str:
    """A path as printed in a message: very long ones keep their start and their end."""
    text = os.fsdecode(path) if path is not None else ""
    if len(text) > limit:
        text = text[: limit // 2 - 1] + "…" + text[-(limit // 2):]
    return f"«{text}»"


def _blocking_file(path: Path) -> Path:
    """The nearest existing part of `path` that is not a folder (what stops a folder being made there)."""
    for part in [path, *path.parents]:
        try:
            if part.exists() or part.is_symlink():
                return path if part.is_dir() else part
        except OSError:
            continue
    return path


_TEXTS = {
    errno.ENOSPC: "spazio esaurito sul disco: impossibile scrivere {file}",
    errno.EDQUOT: "spazio esaurito (quota del disco superata): impossibile scrivere {file}",
    errno.EROFS: "cartella non scrivibile (disco in sola lettura): impossibile scrivere {file}",
    errno.EACCES: "cartella non scrivibile (permesso negato): impossibile scrivere {file}",
    errno.EPERM: "operazione non permessa su {file}",
    errno.ENAMETOOLONG: "nome troppo lungo: {file} (il sistema ammette al massimo 255 caratteri per nome)",
    errno.ENOENT: "{file} non esiste",
    errno.EISDIR: "{file} è una cartella, non un file: indicare il nome di un file",
    errno.EIO: "errore di lettura o scrittura del disco su {file}",
    errno.EMFILE: "troppi file aperti insieme scrivendo {file}",
    errno.ELOOP: "{file} è un collegamento simbolico che rimanda a sé stesso",
}


def describe(exc: OSError, where: str | os.PathLike | None = None) -> str:
    """One Italian sentence for a failed file operation, naming the file, or `where` when the error
    does not say (no English system text)."""
    path = exc.filename if exc.filename is not None else where
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and path is not None:
        return f"{shown(_blocking_file(Path(os.fsdecode(path))))} esiste ed è un file, non una cartella"
    where = shown(path) if path is not None else "il file"
    text = _TEXTS.get(exc.errno)
    if text:
        return text.format(file=where)
    code = errno.errorcode.get(exc.errno or 0, str(exc.errno))
    return f"errore del sistema operativo ({code}) su {where}"
