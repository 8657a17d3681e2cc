"""HTML (Jinja templates) and PDF (WeasyPrint) rendering of the document model."""

from __future__ import annotations

import functools
import gc
from pathlib import Path

import jinja2

from pdz_docs.render import DEFAULT_PDF_VARIANT
from pdz_docs.render.accessibility import finisher
from pdz_docs.render.document import Document

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@functools.lru_cache(maxsize=8)
def template_env(folder: Path = TEMPLATES) -> jinja2.Environment:
    """One environment per template folder: compiled templates are reused (and reloaded when edited)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(doc: Document, folder: Path = TEMPLATES) -> str:
    return template_env(folder).get_template("piano.html.j2").render(doc=doc)




def render_pdf(html: str, allowed: list[Path], folder: Path = TEMPLATES, variant: str | None = None) -> bytes:
    return layout_pdf(html, allowed, folder, variant)[0]


def layout_pdf(html: str, allowed: list[Path], folder: Path = TEMPLATES,
               variant: str | None = DEFAULT_PDF_VARIANT) -> tuple[bytes, list[tuple[str, str]], dict[str, int]]:
    """Lay out the HTML with WeasyPrint; only files inside `allowed` folders can be fetched.

    Returns the PDF, the tables wider than their page, as (table id or chapter id, kind), and the page
    of every anchor (the DOCX index prints them).
    """
    variant = None if variant in (None, "nessuna") else variant
    # WeasyPrint allocates millions of short-lived objects and no cycles worth collecting mid-layout:
    # pausing the cyclic garbage collector saves about 15% of the time for some 70 MB more memory.
    collecting = gc.isenabled()
    gc.disable()
    try:
        document = _layout(html, allowed, folder)
        wide = overflowing_tables(document)
        pdf = document.write_pdf(pdf_variant=variant, pdf_identifier=b"pdz-docs", uncompressed_pdf=False,
                                 custom_metadata=True, finisher=finisher(variant))
    finally:
        if collecting:
            gc.enable()
    return pdf, wide, anchor_pages(document)


def layout_pages(html: str, allowed: list[Path], folder: Path = TEMPLATES) -> dict[str, int]:
    """The page of every anchor, laying the HTML out without writing a PDF (a build without the PDF)."""
    return anchor_pages(_layout(html, allowed, folder))


def anchor_pages(document) -> dict[str, int]:
    """Anchor (an element's id) → the number of the page it starts on, as printed in the footer."""
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    return pages


def _layout(html: str, allowed: list[Path], folder: Path):
    import weasyprint

    roots = [p.resolve() for p in allowed]

    class Fetcher(weasyprint.urls.URLFetcher):
        """Only local files inside the plan and template folders, and inline pictures; nothing from the network."""

        def fetch(self, url, headers=None):
            if url.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")):
                return super().fetch(url, headers)   # the normalised pictures of the plan (load/media.py)
            if url.startswith("file:"):
                path = Path(weasyprint.urls.request.url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
                if any(path == r or r in path.parents for r in roots) and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"risorsa esterna non ammessa: {url}")

    fetcher = Fetcher(allowed_protocols=["file", "data"])
    return weasyprint.HTML(string=html, base_url=str(folder) + "/", url_fetcher=fetcher).render()


def overflowing_tables(document) -> list[tuple[str, str]]:
    """Tables whose laid-out width goes past the right edge of their page's content area."""
    found: list[tuple[str, str]] = []

    def walk(box, right: float, section: str) -> None:
        element = getattr(box, "element", None)
        if getattr(box, "element_tag", None) == "section" and element is not None and element.get("id"):
            section = element.get("id")
        if getattr(box, "element_tag", None) == "table" and element is not None:
            if box.position_x + box.margin_width() > right + 1:
                key = (element.get("id") or "", section)
                if key not in found:
                    found.append(key)
            return
        for child in getattr(box, "children", ()):
            walk(child, right, section)

    for page in document.pages:
        box = page._page_box
        walk(box, box.content_box_x() + box.width, "")
    return found
