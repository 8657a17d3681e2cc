"""`pdz build`: check, compute, render, then replace the whole output set at once.

Outputs are written only when the whole plan has no errors (and, with --strict, no
warnings, including those found while laying out the PDF). The PDF — the slow part —
is laid out in a separate process while this one composes the DOCX, the XLSX and the
HTML.

The output folder holds one complete set of files from one revision of the plan, never
a mix of two, whatever fails (design of `replace_together`):

1. Under a lock on the folder (one build at a time), every file of the new set is written
   to a hidden temporary file `.NAME.XXXX.tmp` beside its final name and flushed to disk.
   A failure here (disk full, read-only folder, Ctrl-C) removes the temporary files and
   leaves the folder as it was, modification times included.
2. Only when all of them are written, a journal `.pdz-build.journal` listing the new set
   is made durable; then each old file is renamed to a hidden backup `.NAME.pdz-prev`
   and its new file renamed into place. SIGINT and SIGTERM are held back during these
   renames. If a rename fails, the renames done so far are undone from the backups (a
   name that had no previous file is removed) and the journal is deleted.
3. When every rename is done, the journal is deleted — that is the moment the new set
   becomes the current one — and then the backups.

Only a build killed outright (SIGKILL, power cut) within the few milliseconds of step 2
can leave a mix of old and new files; its journal marks the folder as half-changed, and
the next build into it, once it holds the lock, puts the previous set back from the
backups before anything else. Without a journal, leftover temporary files and backups
are simply removed (the set in place is complete). Until step 2, someone reading the
folder while a build runs sees the old set.

A build stopped by SIGINT (Ctrl-C) or SIGTERM kills its PDF worker and removes its
temporary files; the worker itself dies with its parent (`_Background`).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import pickle
import re
import signal
import sys
import tempfile
import threading
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path

from pdz_docs.faults import TERMINATED, Failure, describe, shown
from pdz_docs.problems import ERRORE, Problem, has_errors, summary
from pdz_docs.provenance import provenance

FORMATS = ("pdf", "docx", "html", "xlsx")
LOCK_NAME = ".pdz-build.lock"
JOURNAL_NAME = ".pdz-build.journal"
BACKUP_SUFFIX = ".pdz-prev"


def slug(text: str) -> str:
    """«Sant'Agata di Puglia» → «sant-agata-di-puglia»: a file name safe everywhere."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "piano"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_temp(path: Path, data: bytes) -> Path:
    """`data` in a new hidden temporary file beside `path`, flushed to disk; OS errors name `path`."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        if exc.errno not in (errno.ENOTDIR, errno.EEXIST):  # those name the file in the way: keep it
            exc.filename = str(path)
        raise
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            exc.filename = str(path)
        raise
    return Path(tmp)


def _fsync_dir(folder: Path) -> None:
    """Make the renames in `folder` durable (not every file system allows it; then they are not)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace(src: Path, dst: Path, named: Path | None = None) -> None:
    """os.replace, whose errors name the file the writer knows (`named`, else `dst`), not a hidden one."""
    try:
        os.replace(src, dst)
    except OSError as exc:
        exc.filename, exc.filename2 = str(named or dst), None
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a unique temporary file in the same folder, flush it to disk, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, data)
    try:
        _replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _signals_held():
    """SIGINT and SIGTERM wait until the block is over (only the main thread can hold them)."""
    held = {signal.SIGINT, signal.SIGTERM}
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _backup(out_dir: Path, name: str) -> Path:
    return out_dir / f".{name}{BACKUP_SUFFIX}"


def _roll_back(out_dir: Path, entries: list[tuple[str, bool]]) -> None:
    """Put the previous set back from the backups: `entries` are (name, had a previous file)."""
    for name, had_old in entries:
        backup = _backup(out_dir, name)
        if backup.exists():
            _replace(backup, out_dir / name)
        elif not had_old:
            (out_dir / name).unlink(missing_ok=True)
    _fsync_dir(out_dir)
    (out_dir / JOURNAL_NAME).unlink(missing_ok=True)
    _fsync_dir(out_dir)


def _recover(out_dir: Path) -> None:
    """Undo what a build killed during its renames left (see the module docstring), then tidy up."""
    journal = out_dir / JOURNAL_NAME
    if journal.exists():
        try:
            entries = [(str(n), bool(h)) for n, h in json.loads(journal.read_text(encoding="utf-8"))]
        except (ValueError, TypeError):  # cannot happen with a durable journal; restore every backup then
            entries = [(b.name[1:-len(BACKUP_SUFFIX)], True) for b in out_dir.glob(f".*{BACKUP_SUFFIX}")]
        _roll_back(out_dir, entries)
    for stale in [*out_dir.glob(".*.tmp"), *out_dir.glob(f".*{BACKUP_SUFFIX}")]:
        stale.unlink(missing_ok=True)


@contextmanager
def output_lock(out_dir: Path):
    """One build at a time writes into a folder; what a killed build left is undone first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _recover(out_dir)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def replace_together(out_dir: Path, files: dict[str, bytes]) -> None:
    """Make `files` (name → content) the files in `out_dir`, all of them or none (module docstring)."""
    for name in files:
        if (out_dir / name).is_dir():
            raise IsADirectoryError(errno.EISDIR, "", str(out_dir / name))
    with output_lock(out_dir):
        temps: dict[str, Path] = {}
        try:
            for name, data in files.items():
                temps[name] = _write_temp(out_dir / name, data)
            _rename_all(out_dir, temps)
        finally:
            for tmp in temps.values():
                tmp.unlink(missing_ok=True)


def _rename_all(out_dir: Path, temps: dict[str, Path]) -> None:
    """Steps 2 and 3 of the module docstring: journal, backups and renames, undone on failure."""
    with _signals_held():
        entries = [(name, os.path.lexists(out_dir / name)) for name in temps]
        journal = out_dir / JOURNAL_NAME
        write_atomic(journal, json.dumps(entries).encode("utf-8"))
        _fsync_dir(out_dir)
        try:
            for name, had_old in entries:
                target = out_dir / name
                if had_old:
                    _replace(target, _backup(out_dir, name), named=target)
                _replace(temps[name], target)
            _fsync_dir(out_dir)
        except BaseException:
            try:
                _roll_back(out_dir, entries)
            except OSError:  # the journal stays: the next build restores the previous set
                pass
            raise
        journal.unlink()
        _fsync_dir(out_dir)
        for name, _ in entries:
            _backup(out_dir, name).unlink(missing_ok=True)


def prepare_output(out_dir: Path) -> None:
    """Make sure the output folder exists and can be written, before the slow rendering."""
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with open(out_dir / LOCK_NAME, "a"):
            pass
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES):  # the folder is what cannot be written, not the lock
            exc.filename = str(out_dir)
        elif exc.errno == errno.ENOENT:  # a special folder of the system (/proc/…) takes no new files
            raise Failure(f"la cartella {shown(out_dir)} non accetta nuovi file (è una cartella speciale del "
                          "sistema): indicare un'altra cartella con -o") from exc
        raise


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, flush=True)


def build(plan_dir: Path, out_dir: Path, formats: list[str], strict: bool = False,
          pdf_variant: str | None = None, parallel: bool = True, quiet: bool = False) -> int:
    from pdz_docs.pipeline import run
    from pdz_docs.checks.layout import check_table_width
    from pdz_docs.document.builder import build_document
    from pdz_docs.render.html import DEFAULT_PDF_VARIANT, TEMPLATES, layout_pages, layout_pdf, render_html

    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        print(f"pdz: errore: formato non previsto: {', '.join(unknown) or '(nessuno)'} "
              f"(ammessi: {', '.join(FORMATS)})", file=sys.stderr)
        return 2
    plan_dir, out_dir = Path(plan_dir), Path(out_dir)
    # Fixed timestamps inside embedded fonts (fontTools reads it): same content, same bytes.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "946684800")
    start = time.perf_counter()
    _progress(quiet, f"Verifica del piano {plan_dir}…")
    result, problems = run(plan_dir)
    _print_problems(problems)
    if result is None or has_errors(problems, strict):
        print(f"{summary(problems)} Nessun file scritto: correggere i problemi e rilanciare.", file=sys.stderr)
        return 1
    try:
        prepare_output(out_dir)
    except OSError as exc:
        print(f"pdz: errore: {describe(exc)}. Nessun file scritto.", file=sys.stderr)
        return 1
    prov = provenance(result.plan)
    _print_problems(prov.problems(plan_dir))
    doc, built = build_document(result, prov)
    _print_problems(built)
    problems = problems + built
    html = render_html(doc) if {"html", "pdf", "docx"} & set(formats) else ""
    name = f"piano-sociale-di-zona-{slug(doc.ambito)}-{slug(doc.ciclo)}"
    outputs: dict[str, tuple[Path, bytes]] = {}
    pdf_args = (html, [plan_dir, TEMPLATES], TEMPLATES, pdf_variant or DEFAULT_PDF_VARIANT)

    pdf_job: _Background | None = None
    if "pdf" in formats:
        _progress(quiet, f"Impaginazione del PDF ({pdf_args[3]})…")
        if parallel and (os.cpu_count() or 1) > 1 and len(set(formats) - {"pdf", "html"}) > 0:
            pdf_job = _Background(layout_pdf, pdf_args)
    try:
        if "html" in formats:
            outputs["html"] = (out_dir / f"{name}.html", html.encode("utf-8"))
        if "xlsx" in formats:
            from pdz_docs.render.xlsx import render_xlsx

            outputs["xlsx"] = (out_dir / f"{name}.xlsx", render_xlsx(result))
            _progress(quiet, "  XLSX composto")
        pages: dict[str, int] = {}
        if "pdf" in formats:
            pdf, wide, pages = pdf_job.result() if pdf_job else layout_pdf(*pdf_args)
            outputs["pdf"] = (out_dir / f"{name}.pdf", pdf)
            _progress(quiet, f"  PDF impaginato ({time.perf_counter() - start:.1f} s dall'avvio)")
            late = check_table_width(doc, wide)
            _print_problems(late)
            problems = problems + late
            if has_errors(problems, strict):
                print(f"{summary(problems)} Nessun file scritto (--strict).", file=sys.stderr)
                return 1
        if "docx" in formats:
            # the DOCX index prints the page of each heading: the PDF's pages, or a layout of its own
            from pdz_docs.render.docx import render_docx

            t = time.perf_counter()
            pages = pages or layout_pages(*pdf_args[:3])
            outputs["docx"] = (out_dir / f"{name}.docx", render_docx(doc, pages))
            _progress(quiet, f"  DOCX composto in {time.perf_counter() - t:.1f} s")
    finally:
        if pdf_job:
            pdf_job.stop()
    order = [f for f in ("pdf", "docx", "xlsx", "html") if f in outputs]
    try:
        replace_together(out_dir, {outputs[f][0].name: outputs[f][1] for f in order})
    except OSError as exc:
        kept = ("il prossimo pdz build ripristinerà i file precedenti" if (out_dir / JOURNAL_NAME).exists()
                else f"la cartella {shown(out_dir)} è rimasta com'era")
        print(f"pdz: errore: {describe(exc)}. Nessun file scritto: {kept}.", file=sys.stderr)
        return 1
    print(f"{summary(problems)} File scritti in {time.perf_counter() - start:.1f} s:")
    for fmt in order:
        path, data = outputs[fmt]
        print(f"  {path}  ({_describe(path, data)})")
    return 0


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


def worker_dies_with_parent(parent: int) -> None:
    """Start of a worker of `pdz build`/`check` on several plans: the parent handles Ctrl-C and stops
    the workers with SIGTERM, on which a worker unwinds its build (removing its temporary files)."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(TERMINATED))


class _Background:
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


def _print_problems(problems: list[Problem]) -> None:
    for p in problems:
        print(p.format(), file=sys.stderr if p.severity == ERRORE else sys.stdout)


def _describe(path: Path, data: bytes) -> str:
    size = f"{len(data) / 1024:.0f} KB"
    if path.suffix == ".pdf":
        pages = re.search(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)
        if pages:
            return f"{pages.group(1).decode()} pagine, {size}"
    return size

