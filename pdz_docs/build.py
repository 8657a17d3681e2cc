"""`pdz build`: check, compute, render, then write every output atomically.

Outputs are written only when the whole plan has no errors; each file goes to a
temporary name in the output folder and is renamed over the old one, so a failed
or interrupted build leaves the previous outputs untouched.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pdz_docs.problems import ERRORE, has_errors, summary

FORMATS = ("pdf", "docx", "html", "xlsx")


def plan_revision(plan_dir: Path) -> str:
    """The git revision of the plan and whether it had uncommitted changes; plus a content hash."""
    digest = content_hash(plan_dir)
    try:
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=plan_dir, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=plan_dir, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev, dirty = "", ""
    if not rev:
        return f"fuori da git, contenuto {digest}"
    return f"{rev}{' con modifiche non registrate' if dirty else ''}, contenuto {digest}"


def content_hash(plan_dir: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in Path(plan_dir).rglob("*") if p.is_file() and ".git" not in p.parts):
        h.update(str(path.relative_to(plan_dir)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(plan_dir: Path, out_dir: Path, formats: list[str], strict: bool = False) -> int:
    from pdz_docs.pipeline import run
    from pdz_docs.render.document import build_document
    from pdz_docs.render.docx import render_docx
    from pdz_docs.render.html import TEMPLATES, render_html, render_pdf

    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        print(f"pdz: errore: formato non previsto: {', '.join(unknown) or '(nessuno)'} "
              f"(ammessi: {', '.join(FORMATS)})", file=sys.stderr)
        return 2
    # Fixed timestamps inside embedded fonts (fontTools reads it): same content, same bytes.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "946684800")
    start = time.perf_counter()
    result, problems = run(plan_dir)
    for p in problems:
        print(p.format(), file=sys.stderr if p.severity == ERRORE else sys.stdout)
    if result is None or has_errors(problems, strict):
        print(f"{summary(problems)} Nessun file scritto: correggere i problemi e rilanciare.", file=sys.stderr)
        return 1
    doc = build_document(result, plan_revision(Path(plan_dir)))
    outputs: dict[Path, bytes] = {}
    html = render_html(doc)
    name = f"piano-sociale-di-zona-{doc.ambito.lower().replace(' ', '-')}-{doc.ciclo}"
    if "html" in formats:
        outputs[out_dir / f"{name}.html"] = html.encode("utf-8")
    if "pdf" in formats:
        print("Impaginazione del PDF…", flush=True)
        outputs[out_dir / f"{name}.pdf"] = render_pdf(html, [Path(plan_dir), TEMPLATES])
    if "docx" in formats:
        print("Composizione del DOCX…", flush=True)
        outputs[out_dir / f"{name}.docx"] = render_docx(doc)
    if "xlsx" in formats:
        from pdz_docs.render.xlsx import render_xlsx

        outputs[out_dir / f"{name}.xlsx"] = render_xlsx(result)
    for path, data in outputs.items():
        write_atomic(path, data)
    print(f"{summary(problems)} File scritti in {time.perf_counter() - start:.1f} s:")
    for path, data in outputs.items():
        print(f"  {path}  ({_describe(path, data)})")
    return 0


def _describe(path: Path, data: bytes) -> str:
    size = f"{len(data) / 1024:.0f} KB"
    if path.suffix == ".pdf":
        import re
        pages = re.search(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)
        if pages:
            return f"{pages.group(1).decode()} pagine, {size}"
    return size
