"""Work in forked processes that never outlive the process that started them.

The PDF is laid out in processes of its own (render/pdf.py): the layout is CPU-bound, and a
process can be killed at once when the build is stopped (Ctrl-C, SIGTERM) or fails.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys

from pdz_docs.faults import Failure

FIXED_EPOCH = "946684800"   # 2000-01-01, the fonts' timestamp in every PDF (fontTools reads SOURCE_DATE_EPOCH)

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a forked child: be killed when `parent` ends, however it ends (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent ended before prctl took effect
        os._exit(1)


class Background:
    """A function run in a forked process (the PDF layout is CPU-bound); stopped at once if the build is.

    The child dies with the parent (`die_with_parent`) and holds only the writing end of the result
    pipe, so if the parent is gone its write fails instead of waiting forever for a reader.
    """

    def __init__(self, func, args: tuple):
        parent = os.getpid()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the parent's code
            code = 1
            try:
                os.close(read)
                die_with_parent(parent)
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent does the cleaning
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                try:
                    outcome = (True, func(*args))
                except Exception as exc:  # noqa: BLE001 - reported by the parent as its own failure
                    outcome = (False, exc)
                try:
                    payload = pickle.dumps(outcome)
                except Exception:  # noqa: BLE001 - an exception that cannot travel is described instead
                    payload = pickle.dumps((False, RuntimeError(repr(outcome[1]))))
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(payload)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid: int | None = pid
        self._read = read

    def result(self):
        fd, self._read = self._read, None
        with os.fdopen(fd, "rb") as pipe:
            payload = pipe.read()
        self._reap()
        try:
            ok, value = pickle.loads(payload)
        except (pickle.UnpicklingError, EOFError):  # nothing or half a result: the worker was killed
            raise Failure("l'impaginazione del PDF si è interrotta (il suo processo è stato chiuso dal sistema)")
        if not ok:
            raise value
        return value

    def _reap(self) -> None:
        if self._pid is not None:
            os.waitpid(self._pid, 0)
            self._pid = None

    def stop(self) -> None:
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()
        if self._read is not None:
            os.close(self._read)
            self._read = None
