"""`pdz build`: check, compute, render, then write every output atomically.

Outputs are written only when the whole plan has no errors (and, with --strict, no
warnings, including those found while laying out the PDF). The PDF — the slow part —
is laid out in a separate process while this one composes the DOCX, the XLSX and the
HTML. Each file goes to a temporary name in the output folder and is renamed over the
old one under a lock on the folder, so a failed, interrupted or concurrent build never
leaves a half-written file where a complete one was.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import tempfile
import time
import unicodedata
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

from pdz_docs.problems import ERRORE, Loc, Problem, avviso, has_errors, summary
from pdz_docs.provenance import provenance

FORMATS = ("pdf", "docx", "html", "xlsx")
LOCK_NAME = ".pdz-build.lock"


def slug(text: str) -> str:
    """«Sant'Agata di Puglia» → «sant-agata-di-puglia»: a file name safe everywhere."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "piano"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a unique temporary file in the same folder, flush it to disk, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def output_lock(out_dir: Path):
    """One build at a time writes into a folder; leftovers of a killed build are removed first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in out_dir.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, flush=True)


def build(plan_dir: Path, out_dir: Path, formats: list[str], strict: bool = False,
          pdf_variant: str | None = None, parallel: bool = True, quiet: bool = False) -> int:
    from pdz_docs.pipeline import run
    from pdz_docs.render.document import build_document
    from pdz_docs.render.html import DEFAULT_PDF_VARIANT, TEMPLATES, layout_pdf, render_html

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
    doc = build_document(result, provenance(result.plan))
    html = render_html(doc) if {"html", "pdf"} & set(formats) else ""
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
        if "docx" in formats:
            from pdz_docs.render.docx import render_docx

            t = time.perf_counter()
            outputs["docx"] = (out_dir / f"{name}.docx", render_docx(doc))
            _progress(quiet, f"  DOCX composto in {time.perf_counter() - t:.1f} s")
        if "xlsx" in formats:
            from pdz_docs.render.xlsx import render_xlsx

            outputs["xlsx"] = (out_dir / f"{name}.xlsx", render_xlsx(result))
            _progress(quiet, "  XLSX composto")
        if "pdf" in formats:
            pdf, wide = pdf_job.result() if pdf_job else layout_pdf(*pdf_args)
            outputs["pdf"] = (out_dir / f"{name}.pdf", pdf)
            _progress(quiet, f"  PDF impaginato ({time.perf_counter() - start:.1f} s dall'avvio)")
            late = wide_table_problems(wide, result)
            _print_problems(late)
            problems = problems + late
            if has_errors(problems, strict):
                print(f"{summary(problems)} Nessun file scritto (--strict).", file=sys.stderr)
                return 1
    finally:
        if pdf_job:
            pdf_job.stop()
    order = [f for f in ("pdf", "docx", "xlsx", "html") if f in outputs]
    with output_lock(out_dir):
        for fmt in order:
            write_atomic(*outputs[fmt])
    print(f"{summary(problems)} File scritti in {time.perf_counter() - start:.1f} s:")
    for fmt in order:
        path, data = outputs[fmt]
        print(f"  {path}  ({_describe(path, data)})")
    return 0


class _Background:
    """A function run in a forked process (the PDF layout is CPU-bound); stopped at once if the build is."""

    def __init__(self, func, args: tuple):
        ctx = get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=self._child, args=(send, func, args), daemon=True)
        self._proc.start()
        send.close()

    @staticmethod
    def _child(conn, func, args) -> None:
        try:
            conn.send((True, func(*args)))
        except BaseException as exc:  # noqa: BLE001 - reported by the parent as its own failure
            conn.send((False, exc))

    def result(self):
        ok, value = self._recv.recv()
        self._proc.join()
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()


def _print_problems(problems: list[Problem]) -> None:
    for p in problems:
        print(p.format(), file=sys.stderr if p.severity == ERRORE else sys.stdout)


def wide_table_problems(wide: list[tuple[str, str]], result) -> list[Problem]:
    """A table cut at the right edge of its page is a warning naming the table and where it is."""
    chapters = {cap.meta.id: cap for cap, _ in result.chapters}
    out = []
    for table_id, section in wide:
        cap = chapters.get(section)
        where = f"nel capitolo «{cap.meta.titolo}»" if cap else "negli allegati"
        loc = cap.loc if cap else Loc(str(Path(result.plan.root) / "piano.yaml"), 1, 1)
        tid = table_id.removeprefix("tab-")
        table = result.computed.tables.get(tid)
        what = f"la tabella «{table.title}»" if table else "una tabella scritta in Markdown"
        out.append(avviso(loc, "tabella-troppo-larga",
                          f"{what} {where} è più larga della pagina e nel PDF risulta tagliata a destra: "
                          "ridurre le colonne o spezzarla in due tabelle"))
    return out


def _describe(path: Path, data: bytes) -> str:
    size = f"{len(data) / 1024:.0f} KB"
    if path.suffix == ".pdf":
        pages = re.search(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)
        if pages:
            return f"{pages.group(1).decode()} pagine, {size}"
    return size

