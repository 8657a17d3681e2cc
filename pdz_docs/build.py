"""The one build: check, compute and render a plan (`build`), then replace the whole output set at once.

`build(plan_dir, formats)` returns `(outputs, problems)` and neither prints nor writes; the
CLI (`pdz build`), `pdz watch` and `pdz diff` share it. Outputs exist only when the plan has no
errors (and, with strict, no warnings, including those found while laying out the PDF). The PDF
— the slow part — is laid out in a separate process, while this one composes the DOCX, the
XLSX and the HTML; `write_outputs` then makes them the set in the output folder.

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
temporary files; the worker itself dies with its parent (`pdz_docs.processes.Background`).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pdz_docs.faults import TERMINATED, Failure, shown
from pdz_docs.pipeline import Result
from pdz_docs.problems import Loc, Problem, has_errors, nota
from pdz_docs.processes import FIXED_EPOCH, Background, die_with_parent
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


@dataclass(frozen=True)
class Output:
    """One file of the output set: its format, its name in the output folder, its content."""

    format: str
    name: str
    data: bytes


@dataclass(frozen=True)
class Outputs:
    """What a build made: the checked and computed plan, and its files in the order pdf, docx, xlsx, html."""

    result: Result
    files: tuple[Output, ...]


class Listener:
    """What a build tells while it runs, as it happens; this one keeps it to itself (the CLI's prints it)."""

    def stage(self, message: str) -> None:
        """A step has started or ended ("Impaginazione del PDF…")."""

    def problems(self, problems: list[Problem]) -> None:
        """Problems just found; `build` returns them all again at the end."""


def check(plan_dir: Path, definitivo: bool = False) -> tuple[Result | None, list[Problem]]:
    """What `pdz check` and the studio's checks report: the pipeline's problems and, when it found no
    error, those of building the chapters into the document tree as `pdz build` does (a construct the
    document cannot print, `costrutto-non-supportato`), without laying anything out."""
    from pdz_docs.document.builder import build_chapters
    from pdz_docs.pipeline import run
    from pdz_docs.problems import sort_problems

    result, problems = run(plan_dir, definitivo)
    if result is None or has_errors(problems):
        return result, problems
    return result, sort_problems(problems + build_chapters(result)[2])


def build(plan_dir: Path, formats: list[str] | tuple[str, ...], *, strict: bool = False,
          pdf_variant: str | None = None, parallel: bool = True, out_dir: Path | None = None,
          templates: Path | None = None, listener: Listener | None = None,
          definitivo: bool = False, cache: bool = True) -> tuple[Outputs | None, list[Problem]]:
    """Check, compute and render the plan in `formats`: (what was made, every problem found).

    The outputs are None when problems stop the build (errors; warnings too with `strict`). Nothing
    is written or printed here: `out_dir`, when given, is made ready before the slow rendering (an
    OSError tells why it cannot be), and `listener` hears of every step and problem as it happens.
    With no format the plan is only checked and computed (what `pdz diff` compares). `definitivo`
    treats the plan as the one submitted (checks/completeness.py: whatever is missing is an error).
    """
    from pdz_docs.pipeline import run
    from pdz_docs.checks.layout import check_table_width
    from pdz_docs.document.builder import build_document
    from pdz_docs.render.html import DEFAULT_PDF_VARIANT, TEMPLATES, render_html

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown formats {unknown}")
    listener = listener or Listener()
    plan_dir = Path(plan_dir)
    templates = Path(templates or TEMPLATES)
    start = time.perf_counter()
    listener.stage(f"Verifica del piano {plan_dir}…")
    result, problems = run(plan_dir, definitivo)
    listener.problems(problems)
    if result is None or has_errors(problems, strict):
        return None, problems
    if not formats:
        return Outputs(result, ()), problems
    if out_dir is not None:
        prepare_output(Path(out_dir))
    prov = provenance(result.plan)
    late = prov.problems(plan_dir)
    doc, built = build_document(result, prov)
    late = late + built
    listener.problems(late)
    problems = problems + late
    html = render_html(doc, templates) if "html" in formats else ""
    name = f"piano-sociale-di-zona-{slug(doc.ambito)}-{slug(doc.ciclo)}"
    outputs: dict[str, Output] = {}
    if "html" in formats:
        outputs["html"] = Output("html", f"{name}.html", html.encode("utf-8"))
    if "xlsx" in formats:
        from pdz_docs.render.xlsx import render_xlsx

        outputs["xlsx"] = Output("xlsx", f"{name}.xlsx", render_xlsx(result))
        listener.stage("  XLSX composto")
    if {"pdf", "docx"} & set(formats):
        # the DOCX index prints the page of each heading: the pages of the PDF's layout; the DOCX is
        # composed while another process joins the PDF (render/pdf.py)
        from pdz_docs.render.docx import render_docx
        from pdz_docs.render.pdf import LayoutCache, lay_out_document

        variant = pdf_variant or DEFAULT_PDF_VARIANT
        listener.stage(f"Impaginazione del PDF ({variant})…" if "pdf" in formats else "Impaginazione…")
        jobs = (os.cpu_count() or 1) if parallel else 1
        # never a cache inside the plan folder: a plan received from someone else could carry one
        store = LayoutCache() if cache else None
        if store and store.folder.resolve().is_relative_to(plan_dir.resolve()):
            store = None
        laid = lay_out_document(doc, [plan_dir, templates], templates, variant, jobs=jobs,
                                cache=store, pages_only="pdf" not in formats,
                                alongside=(lambda pages: render_docx(doc, pages)) if "docx" in formats else None)
        parts = f"{laid.laid_out} parti impaginate, {laid.from_cache} dalla cache"
        if store and store.fault:   # a cache that cannot be written is not silent: every build would be cold
            late_cache = [nota(Loc(str(store.folder)), "cache-non-scrivibile",
                               f"la cache di impaginazione non si può aggiornare ({store.fault}); il documento è "
                               "corretto, ma ogni produzione impagina di nuovo tutte le parti (cartella della "
                               "cache: variabile PDZ_CACHE)")]
            listener.problems(late_cache)
            problems = problems + late_cache
        if "pdf" in formats:
            outputs["pdf"] = Output("pdf", f"{name}.pdf", laid.pdf)
            listener.stage(f"  PDF impaginato ({parts}; {time.perf_counter() - start:.1f} s dall'avvio)")
        late = check_table_width(doc, laid.wide)
        listener.problems(late)
        problems = problems + late
        if has_errors(problems, strict):
            return None, problems
        if "docx" in formats:
            outputs["docx"] = Output("docx", f"{name}.docx", laid.alongside)
            listener.stage("  DOCX composto")
    return Outputs(result, tuple(outputs[f] for f in ("pdf", "docx", "xlsx", "html") if f in outputs)), problems


def _layout_in_worker(html: str, allowed: list[Path], folder: Path,
                      variant: str | None) -> tuple[bytes, list[tuple[str, str]]]:
    """A PDF laid out in one piece in the process of its own that `render_pdf` forks for it (a report).

    Its environment is its own too: fixed timestamps inside the embedded fonts (fontTools reads
    SOURCE_DATE_EPOCH) give the same bytes for the same content, without changing the caller's.
    """
    from pdz_docs.render.html import layout_pdf as layout

    os.environ.setdefault("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    return layout(html, allowed, folder, variant)


def render_pdf(html: str, allowed: list[Path], folder: Path) -> bytes:
    """A PDF laid out as `build` lays out the plan's (own process, fixed font timestamps)."""
    job = Background(_layout_in_worker, (html, allowed, folder, None))
    try:
        return job.result()[0]
    finally:
        job.stop()


def write_outputs(out_dir: Path, outputs: Outputs) -> None:
    """Make the built files the set in `out_dir`, all of them or none (module docstring)."""
    replace_together(Path(out_dir), {o.name: o.data for o in outputs.files})


def worker_dies_with_parent(parent: int) -> None:
    """Start of a worker of `pdz build`/`check` on several plans: the parent handles Ctrl-C and stops
    the workers with SIGTERM, on which a worker unwinds its build (removing its temporary files)."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(TERMINATED))
