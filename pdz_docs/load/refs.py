"""What a chapter's Markdown may contain: the one Markdown reader, images, links, paragraph size.

Shared by the content checks (`checks/content.py`), which report every refused image,
link or oversized paragraph at its line, and by the document builder (`document/builder.py`),
which on its own keeps only what these rules allow, whatever the checks said:

- raw HTML is never passed through: it is shown as text;
- a link goes to an http(s) or mailto address, or to a place in the document (#…);
  `javascript:`, `data:`, `vbscript:`, `file:` and any other scheme are refused;
- an image is a PNG, JPEG or GIF file inside the plan folder, written as a path
  relative to the chapter (`immagini/logo.png`); nothing is fetched from the network;
- paragraphs are bounded (limits in `pdz_docs.limits`), because Python-Markdown takes
  quadratic time on some shapes of text, such as thousands of «[» or of header lines
  in one paragraph.
"""

from __future__ import annotations

import html
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import markdown
from markdown.inlinepatterns import SimpleTagInlineProcessor
import markdown.treeprocessors

from pdz_docs.limits import (MAX_BRACKET_WORK, MAX_IMAGE_BYTES, MAX_MARKDOWN_NESTING, MAX_PARAGRAPH_CHARS,
                             MAX_PARAGRAPH_LINES, quoted)
from pdz_docs.load.yamlsrc import char_name, hidden_in_name, shown_hidden

MARKDOWN_EXTENSIONS = ["tables", "footnotes", "sane_lists", "fenced_code"]
LINK_SCHEMES = ("http", "https", "mailto")
IMAGE_TYPES = {  # suffix: how the file starts
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
}
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")  # browsers ignore these inside a scheme: "java\tscript:"


def markdown_reader() -> markdown.Markdown:
    # The footnotes' link back to the text is titled in Italian (the extension's default is English).
    md = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html",
                           extension_configs={"footnotes": {"BACKLINK_TITLE": "Torna al richiamo della nota %d"}})
    # Raw HTML in chapters is never passed through: it is shown as text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # ~~barrato~~, as GitHub and VS Code show it
    md.inlinePatterns.register(SimpleTagInlineProcessor(r"(~~)(?=\S)(.+?)(?<=\S)~~", "del"), "barrato", 65)
    return md


# --- links -----------------------------------------------------------------------

def _plain(href: str) -> str:
    """An address as written: Python-Markdown hides an e-mail autolink behind placeholders and entities."""
    from markdown.util import AMP_SUBSTITUTE

    return html.unescape(href.replace(AMP_SUBSTITUTE, "&")) if AMP_SUBSTITUTE in href else href


def link_kind(href: str) -> str:
    """"ok" (kept), "relativo" (a path: meaningless in a printed document, dropped) or "vietato"."""
    compact = _INVISIBLE.sub("", html.unescape(href))
    if compact.startswith("#"):
        return "ok"
    m = _SCHEME.match(compact)
    if m:
        return "ok" if m.group(1).lower() in LINK_SCHEMES else "vietato"
    return "relativo"


def link_refusal(href: str) -> str | None:
    """Why a link is refused, in Italian; None when it is not."""
    if link_kind(href) != "vietato":
        return None
    scheme = _SCHEME.match(_INVISIBLE.sub("", html.unescape(href))).group(1)
    return (f"collegamento «{quoted(scheme)}:» non ammesso: nei capitoli i collegamenti vanno solo a indirizzi "
            "http://, https:// o mailto:")


# --- images ----------------------------------------------------------------------

@dataclass(frozen=True)
class Image:
    """An image address as the rules read it: the file, or why it is refused."""

    path: Path | None
    code: str = ""
    message: str = ""


def resolve_image(src: str, base: Path, root: Path) -> Image:
    """Where image `src`, written in a chapter of folder `base`, points inside plan `root`."""
    compact = _INVISIBLE.sub("", html.unescape(src))
    if _SCHEME.match(compact) or compact.startswith("//"):
        return Image(None, "immagine-esterna",
                     f"immagine «{quoted(src)}»: le immagini devono essere file nella cartella del piano, indicati "
                     "con un percorso come immagini/logo.png; nulla viene scaricato da Internet o letto da altri "
                     "indirizzi")
    if not compact:
        return Image(None, "immagine-mancante", "immagine senza indirizzo")
    path = base / unquote(html.unescape(src).strip())
    hiding = hidden_in_name(str(path))
    if hiding:
        return Image(None, "carattere-non-ammesso",
                     f"immagine «{quoted(shown_hidden(src))}»: il nome del file contiene {char_name(hiding)}, che "
                     "nasconde o rovescia parte del nome: rinominare il file e correggere il riferimento")
    try:
        real = path.resolve()
        real.relative_to(root.resolve())
    except ValueError:
        return Image(None, "percorso-esterno",
                     f"immagine «{quoted(src)}»: il file è fuori dalla cartella del piano; copiarlo nella cartella "
                     "del piano (per esempio in immagini/)")
    except (OSError, RuntimeError):  # a symlink loop
        return Image(None, "immagine-mancante", f"immagine «{quoted(src)}»: il file non si può leggere")
    try:
        st = os.stat(real)
    except OSError:
        return Image(None, "immagine-mancante", f"immagine «{quoted(src)}»: il file non esiste")
    if not stat.S_ISREG(st.st_mode):
        return Image(None, "immagine-mancante", f"immagine «{quoted(src)}»: non è un file")
    starts = IMAGE_TYPES.get(real.suffix.lower())
    if starts is None:
        return Image(None, "immagine-formato",
                     f"immagine «{quoted(src)}»: formato non ammesso (ammessi: PNG, JPEG, GIF)")
    if st.st_size > MAX_IMAGE_BYTES:
        return Image(None, "file-troppo-grande",
                     f"immagine «{quoted(src)}»: il file supera il limite di {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    try:
        with open(real, "rb") as f:
            head = f.read(8)
    except OSError:
        return Image(None, "immagine-mancante", f"immagine «{quoted(src)}»: il file non si può leggere")
    if not head.startswith(starts):
        return Image(None, "immagine-formato",
                     f"immagine «{quoted(src)}»: il contenuto del file non è un'immagine {real.suffix[1:].upper()}")
    return Image(real)


# --- where images and links are written ------------------------------------------

@dataclass(frozen=True)
class Ref:
    kind: str      # "img" | "link"
    url: str
    offset: int    # position of the address in the chapter body


class _Collect(markdown.treeprocessors.Treeprocessor):
    """Records every link and image of a parsed chapter, in document order, as the renderer gets them."""

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self.found: list[tuple[str, str]] = []

    def run(self, root) -> None:
        self.found = [("img", el.get("src", "")) if el.tag == "img" else ("link", _plain(el.get("href", "")))
                      for el in root.iter() if el.tag in ("a", "img")]


def references(body: str) -> list[Ref]:
    """Images and links as Python-Markdown reads them, each placed at its address in the chapter.

    Read from the parsed tree, so that a link whose text, address or reference definition
    spans lines is found exactly as the renderer finds it. The tree does not know where
    things were written: each address is looked for in the chapter from the previous one
    on (a reference definition may come earlier, a footnote later: then from the start).
    """
    md = markdown_reader()
    collect = _Collect(md)
    md.treeprocessors.register(collect, "pdz-refs", -1)  # after every other one: the final tree
    md.convert(body)
    refs: list[Ref] = []
    cursor = 0
    for kind, url in collect.found:
        at = body.find(url, cursor) if url else -1
        if at < 0 and url:
            at = body.find(url)
        if at >= 0:
            cursor = at + len(url)
        refs.append(Ref(kind, url, at if at >= 0 else cursor))
    return sorted(set(refs), key=lambda r: (r.offset, r.kind, r.url))


# --- paragraph size ----------------------------------------------------------------

def paragraphs(body: str) -> list[tuple[int, str]]:
    """(offset, text) of each paragraph: lines between blank lines."""
    out: list[tuple[int, str]] = []
    start, offset = None, 0
    for line in body.split("\n"):
        if line.strip():
            if start is None:
                start = offset
        elif start is not None:
            out.append((start, body[start:offset - 1]))
            start = None
        offset += len(line) + 1
    if start is not None:
        out.append((start, body[start:]))
    return out


def paragraph_refusals(body: str) -> list[tuple[int, str]]:
    """(offset, message) for each paragraph beyond the limits; at most one per paragraph."""
    out: list[tuple[int, str]] = []
    work = 0
    for offset, para in paragraphs(body):
        why = _paragraph_refusal(para)
        if why is None:
            # Python-Markdown scans from each «[» to the end of the paragraph (in a table: of the row)
            rows = para.split("\n") if para.lstrip().startswith("|") else [para]
            work += sum(row.count("[") * len(row) for row in rows)
            if work > MAX_BRACKET_WORK:
                why = ("troppe parentesi quadre «[» nel capitolo, fino a questo paragrafo: il programma "
                       "impiegherebbe troppo tempo a leggerlo; togliere quelle che non servono")
                work = 0
        if why:
            out.append((offset, why))
    return out


def _paragraph_refusal(para: str) -> str | None:
    lines = para.split("\n")
    if len(lines) > MAX_PARAGRAPH_LINES:
        return (f"paragrafo di {len(lines):,} righe (al massimo {MAX_PARAGRAPH_LINES:,}): separarlo con righe "
                "vuote").replace(",", ".")
    if len(para) > MAX_PARAGRAPH_CHARS:
        return (f"paragrafo di {len(para):,} caratteri (al massimo {MAX_PARAGRAPH_CHARS:,}): separarlo con "
                "righe vuote").replace(",", ".")
    for line in lines:
        prefix = re.match(r"[ \t>]*", line).group()
        depth = prefix.count(">") + len(prefix.replace(">", "").expandtabs(4)) // 4
        if depth > MAX_MARKDOWN_NESTING:
            return f"elenchi o citazioni annidati oltre {MAX_MARKDOWN_NESTING} livelli"
    return None
