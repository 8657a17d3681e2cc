"""The plan's PDF, laid out part by part on every core, parts kept in a cache, then joined into one file.

WeasyPrint lays out a document on one core, all of it every time. The plan falls apart into parts
that each start a page (HtmlTranslator.parts: cover, index, each chapter, cut where a run of landscape
pages starts or ends, the annexes, the closing) and whose layout depends on nothing outside them,
except for two things that need every part's pages:

- the index prints the page of each heading: it is laid out after the others, with the numbers
  written in (an index with placeholder numbers, laid out beside the others, tells how many pages it
  takes; if the real numbers change that, it is laid out once more);
- the page margins (running title, «pag. N di M», BOZZA) depend on the page's number and the total:
  the parts are laid out without them, and the margins of all pages are laid out apart, as a *frame*
  (cornice.html.j2: a document of empty pages of the same kinds), then laid over the parts' pages,
  tagged as pagination artifacts (ISO 32000-1, 14.8.2.2; PDF/UA-1 7.8).

So no part waits for another: the parts are laid out at once in forked processes (`jobs` of them),
and a part whose HTML has not changed since the last build (same program, templates, fonts) comes
from the cache (`LayoutCache`) without being laid out. A part's entry depends on its content, not on
its place: a chapter added before it leaves it in the cache. The pieces are joined with pikepdf (QPDF):
the pages in order, one structure tree (every part's Document children under the first part's Document),
the parent tree renumbered, the named destinations, the outline built from every part's bookmarks by
WeasyPrint's own rules, the metadata and output intent of the first part. A link into another part
points, in its part, at an empty target (parte.html.j2 `altrove`) that WeasyPrint keeps by name; the
joined file names only the real target, so the link lands on it.

Serial, parallel and cached builds join the same part files in the same way: the same bytes.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

from pdz_docs.document import nodes as n
from pdz_docs.render.html import HtmlTranslator, overflowing_tables, weasyprint_layout

SCALE = 0.75                 # PDF points per CSS pixel (WeasyPrint's page matrix)
PLACEHOLDER_PAGE = "888"
MAX_ENTRY = 64 * 2**20       # bytes: the largest cache entry read (a part is well under 1 MB)     # the page number the first, counting layout of the index prints


@dataclass
class Laid:
    """One laid-out part: its PDF (no page margins) and what the join needs to know of its pages.

    pages: for each page, {"w", "h": size in CSS px, "anchors": [ids starting on it],
    "bookmarks": [[level, label, x, y, state]] (CSS px from the top left, as WeasyPrint's Page.bookmarks)};
    wide: the tables wider than their page, as (table id, section id).
    """
    pdf: bytes
    pages: list[dict]
    wide: list[list[str]] = field(default_factory=list)

    def dump(self, key: str) -> bytes:
        """The cache entry of this part under `key`: a JSON line, then the PDF; its checksum covers the
        key, what the line says of the pages and the PDF, so an entry read under another key, or changed
        in any byte, does not load."""
        meta = {"pages": self.pages, "wide": self.wide}
        head = json.dumps({**meta, "sha256": _entry_sum(key, meta, self.pdf)}, ensure_ascii=True)
        return head.encode("ascii") + b"\n" + self.pdf

    @classmethod
    def load(cls, data: bytes, key: str) -> "Laid":
        """Raises ValueError when `data` is not a whole entry written by `dump` under `key`."""
        head, _, pdf = data.partition(b"\n")
        meta = json.loads(head)
        if _entry_sum(key, {"pages": meta["pages"], "wide": meta["wide"]}, pdf) != meta["sha256"]:
            raise ValueError("checksum")
        return cls(pdf, meta["pages"], meta["wide"])


def _entry_sum(key: str, meta: dict, pdf: bytes) -> str:
    return hashlib.sha256(key.encode() + b"\0" + json.dumps(meta, sort_keys=True).encode() + b"\0" + pdf).hexdigest()


class LayoutCache:
    """Laid-out parts on disk, by the hash of everything their layout depends on.

    Where: `$PDZ_CACHE`, else `$XDG_CACHE_HOME/pdz-docs/impaginazione`, else
    `~/.cache/pdz-docs/impaginazione`: the user's, never the plan folder's (a plan received from
    someone else could carry laid-out pages that say something other than its text). Safe to delete;
    an entry that is unreadable or does not match its checksum is laid out again. At most `limit`
    bytes (the least recently used entries go first).
    """

    def __init__(self, folder: Path | None = None, limit: int = 400 * 2**20):
        self.folder = Path(folder) if folder else default_cache_folder()
        self.limit = limit
        self.hits = 0
        self.fault = ""     # why an entry could not be written (Italian, faults.describe), "" while all went well

    def get(self, key: str) -> Laid | None:
        path = self.folder / f"{key}.parte"
        try:
            # only a regular file of sensible size (not a pipe, a device, a link to one)
            with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW | os.O_NONBLOCK)) as f:
                st = os.fstat(f.fileno())
                if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY:
                    return None
                laid = Laid.load(f.read(MAX_ENTRY + 1), key)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        try:
            os.utime(path)   # recently used (a read-only cache is still read)
        except OSError:
            pass
        self.hits += 1
        return laid

    def put(self, key: str, laid: Laid) -> None:
        """Store an entry (atomically); a cache that cannot be written only costs time next build."""
        temp = self.folder / f".{key}.{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp.write_bytes(laid.dump(key))
            os.replace(temp, self.folder / f"{key}.parte")
        except OSError as e:
            if not self.fault:
                from pdz_docs.faults import describe

                self.fault = describe(e, temp)
            try:
                temp.unlink()
            except OSError:
                pass

    def trim(self) -> None:
        try:
            entries = [(e.stat().st_mtime_ns, e.stat().st_size, e) for e in os.scandir(self.folder)
                       if e.name.endswith(".parte")]
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        for _, size, entry in sorted(entries, key=lambda e: (e[0], e[2].name)):
            if total <= self.limit:
                break
            try:
                os.unlink(entry.path)
            except OSError:
                pass
            total -= size


def default_cache_folder() -> Path:
    if os.environ.get("PDZ_CACHE"):
        return Path(os.environ["PDZ_CACHE"])
    home = os.environ.get("HOME", "").strip()
    base = os.environ.get("XDG_CACHE_HOME") or (str(Path(home) / ".cache") if home not in ("", "/") else
                                                str(Path(tempfile.gettempdir()) / f"pdz-docs-{os.getuid()}"))
    return Path(base) / "pdz-docs" / "impaginazione"


_SALT: list[str] = []


# the native libraries that shape, lay out and compress the text (by the files this process has loaded)
NATIVE = ("libpango", "libharfbuzz", "libfontconfig", "libfreetype", "libfribidi", "libz.", "libqpdf")


def _salt() -> str:
    """What every part's layout depends on besides its HTML: this program's code, the versions of every
    Python package installed beside it (WeasyPrint, pydyf, fontTools, Pillow, pikepdf…), the native
    libraries they load (`NATIVE`, by file), the fontconfig rules and the fonts installed on the machine
    (by file)."""
    if not _SALT:
        import importlib.metadata

        import pikepdf  # noqa: F401  (loads libqpdf)
        import weasyprint  # noqa: F401  (loads Pango, HarfBuzz, fontconfig)

        h = hashlib.sha256()
        package = Path(__file__).resolve().parents[1]
        for path in sorted(package.rglob("*.py")):
            h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
        h.update(" ".join(sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
                                 if d.metadata["Name"])).encode())
        try:
            maps = Path("/proc/self/maps").read_text()
        except OSError:
            maps = ""
        native = sorted({line.split(None, 5)[-1] for line in maps.splitlines()
                         if any(f"/{lib}" in line for lib in NATIVE)})
        h.update(f"{os.environ.get('FONTCONFIG_FILE')} {os.environ.get('FONTCONFIG_PATH')}\n".encode())
        for folder in ("/etc/fonts", Path.home() / ".config/fontconfig", "/usr/share/fonts", "/usr/local/share/fonts",
                       Path.home() / ".fonts", Path.home() / ".local/share/fonts"):
            for root, dirs, files in sorted(os.walk(folder)):
                dirs.sort()
                for name in sorted(files):
                    try:
                        st = os.stat(os.path.join(root, name))
                    except OSError:
                        continue
                    h.update(f"{root}/{name} {st.st_size} {st.st_mtime_ns}\n".encode())
        for path in map(Path, native):
            try:
                st = path.stat()
            except OSError:
                continue
            h.update(f"{path} {st.st_size} {st.st_mtime_ns}\n".encode())
        _SALT.append(h.hexdigest())
    return _SALT[0]


def _key(html: str, variant: str | None, prefix: str) -> str:
    return hashlib.sha256(f"{_salt()}\0{variant}\0{prefix}\0".encode() + html.encode("utf-8")).hexdigest()


class _Ids(HTMLParser):
    """The ids an HTML part defines and the internal links (#id) it makes."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            elif name == "href" and value and value.startswith("#") and len(value) > 1:
                self.links.append(value[1:])


def lay_out_part(html: str, allowed: list[Path], folder: Path, variant: str | None, prefix: str) -> Laid:
    """Lay one part out (in the calling process) and write it as a PDF of its own."""
    from pdz_docs.render.accessibility import finisher, streams_only

    document = weasyprint_layout(html, allowed, folder)
    pdf = document.write_pdf(pdf_variant=variant, pdf_identifier=b"pdz-docs", uncompressed_pdf=False,
                             custom_metadata=True, finisher=finisher(variant, prefix) or streams_only)
    pages = [{"w": p.width, "h": p.height, "anchors": list(p.anchors),
              "bookmarks": [[level, label, x, y, state] for level, label, (x, y), state in p.bookmarks]}
             for p in document.pages]
    return Laid(pdf, pages, [list(w) for w in overflowing_tables(document)])


def _lay_out_all(jobs: list[tuple[str, str, str | None, str]], allowed: list[Path], folder: Path) -> list[Laid]:
    """In a worker process: lay out `jobs` (key, html, variant, prefix) one after the other."""
    from pdz_docs.processes import FIXED_EPOCH

    os.environ["SOURCE_DATE_EPOCH"] = FIXED_EPOCH   # font timestamps inside the PDF (fontTools reads it)
    # WeasyPrint allocates millions of short-lived objects and no cycles worth collecting mid-layout:
    # the cyclic garbage collector is paused while a part is laid out (about 15% faster) and run between
    # parts, on what the part left (the objects the process was forked with are frozen out of it).
    gc.disable()
    gc.freeze()
    laid = []
    for _, html, variant, prefix in jobs:
        laid.append(lay_out_part(html, allowed, folder, variant, prefix))
        gc.collect()
    return laid


def _run(jobs: list[tuple[str, str, str | None, str]], cache: LayoutCache | None, workers: int,
         allowed: list[Path], folder: Path, counts: list[int]) -> dict[str, Laid]:
    """Every job's layout, by key: from the cache, or laid out in up to `workers` forked processes
    (the longest parts first, each to the least loaded process). Adds to `counts` [laid out, from the cache]."""
    from pdz_docs.processes import Background

    done: dict[str, Laid] = {}
    todo = []
    for job in jobs:
        if job[0] in done or any(job[0] == t[0] for t in todo):
            continue
        laid = cache.get(job[0]) if cache else None
        if laid is None:
            todo.append(job)
        else:
            done[job[0]] = laid
    counts[0] += len(todo)
    counts[1] += len(done)
    bins: list[list] = [[] for _ in range(min(workers, len(todo)))]
    loads = [0] * len(bins)
    for job in sorted(todo, key=lambda j: -len(j[1])):
        i = loads.index(min(loads))
        bins[i].append(job)
        loads[i] += len(job[1])
    running = [Background(_lay_out_all, (b, allowed, folder)) for b in bins]
    try:
        for b, job in zip(bins, running):
            for (key, *_), laid in zip(b, job.result()):
                done[key] = laid
                if cache:
                    cache.put(key, laid)
    finally:
        for job in running:
            job.stop()
    return done


@dataclass
class LaidOutPdf:
    """The joined PDF, its too-wide tables (table id, section id), the printed page of every anchor."""
    pdf: bytes
    wide: list[tuple[str, str]]
    pages: dict[str, int]
    laid_out: int = 0      # pieces laid out in this build (parts, the index, the frame)
    from_cache: int = 0    # pieces taken from the cache
    alongside: object = None   # what `alongside` made of `pages`


def lay_out_document(doc: n.Document, allowed: list[Path], folder: Path, variant: str | None, *,
                     jobs: int = 1, cache: LayoutCache | None = None, pages_only: bool = False,
                     alongside=None) -> LaidOutPdf:
    """The plan's PDF (module docstring); `jobs`: processes that lay out at once (1: one after the other).
    `pages_only`: only the page of every anchor and the too-wide tables (a DOCX without the PDF): no
    frame, no joined file (`pdf` is empty). `alongside`: a function of the anchors' pages (the DOCX),
    called in this process while another one joins the PDF; its result is `alongside`."""
    variant = None if variant in (None, "nessuna") else variant
    translator = HtmlTranslator(folder)
    parts = translator.parts(doc, pieces=True)
    names = [name for name, _ in parts]
    toc_at = names.index("indice")
    defined = [_Ids(str(html)) for _, html in parts]
    everywhere = set().union(*(d.ids for d in defined))

    # each part's links to anchors of other parts: empty targets in its page, names the join drops
    elsewhere = [(set(d.links) & everywhere) - d.ids for d in defined]

    def page_of(i: int, html) -> str:
        return translator.part_page(doc, html, sorted(elsewhere[i]), cover=i == 0, body=i > toc_at)

    # each part's structure IDs under a prefix of its own, from its name, not its place: a part moved
    # (a chapter inserted before it) is the same cache entry
    # (a name met again, which no anchor should be, gets its count: «indice~1-»)
    prefixes = [f"{name}~{names[:i].count(name)}-" if name in names[:i] else f"{name}-" for i, name in enumerate(names)]

    def job(i: int, html: str) -> tuple[str, str, str | None, str]:
        prefix = prefixes[i]
        return (_key(html, variant, prefix), html, variant, prefix)

    placeholders = {e.anchor: PLACEHOLDER_PAGE for e in doc.toc.entries if e.anchor}
    content = {i: job(i, page_of(i, html)) for i, (_, html) in enumerate(parts) if i != toc_at}
    counting_toc = job(toc_at, page_of(toc_at, translator.toc_with_pages(doc.toc, placeholders)))
    counts = [0, 0]
    laid = _run([*content.values(), counting_toc], cache, jobs, allowed, folder, counts)
    toc = laid[counting_toc[0]]
    for _ in range(4):
        # the pages as they are with an index of as many pages as the last one laid out: the index with
        # its numbers and the frame are laid out at once; if the numbers lengthen the index by a page,
        # both again
        ordered = [toc if i == toc_at else laid[content[i][0]] for i in range(len(parts))]
        numbers = _anchor_pages(ordered, elsewhere)
        toc_job = job(toc_at, page_of(toc_at, translator.toc_with_pages(doc.toc, {
            e.anchor: str(numbers[e.anchor]) for e in doc.toc.entries if e.anchor})))
        frame_job = None
        if not pages_only:
            kinds = [("copertina" if i == 0 else "orizzontale" if p["w"] > p["h"] else "")
                     for i, part in enumerate(ordered) for p in part.pages]
            frame_html = translator.frame_page(doc, kinds)
            frame_job = (_key(frame_html, None, ""), frame_html, None, "")
        laid.update(_run([toc_job, *([frame_job] if frame_job else [])], cache, jobs, allowed, folder, counts))
        pages_before, toc = len(toc.pages), laid[toc_job[0]]
        if len(toc.pages) == pages_before:
            break
    ordered[toc_at] = toc
    wide = list(dict.fromkeys(tuple(w) for part in ordered for w in part.wide))
    if cache:
        cache.trim()
    from pdz_docs.processes import Background

    # the join in a process of its own (when there are several), `alongside` meanwhile in this one
    joining = None if pages_only or jobs == 1 else Background(join, (ordered, laid[frame_job[0]], elsewhere))
    try:
        made = alongside(numbers) if alongside else None
        pdf = b"" if pages_only else joining.result() if joining else join(ordered, laid[frame_job[0]], elsewhere)
        return LaidOutPdf(pdf, wide, numbers, *counts, made)
    finally:
        if joining:
            joining.stop()


def _anchor_pages(parts: list[Laid], elsewhere: list[set[str]]) -> dict[str, int]:
    """Anchor → printed page number; `parts` in order; `elsewhere`: each part's empty targets, which
    stand for anchors of other parts."""
    pages: dict[str, int] = {}
    offset = 0
    for part, skip in zip(parts, elsewhere):
        for number, page in enumerate(part.pages, start=offset + 1):
            for anchor in page["anchors"]:
                if anchor not in skip:
                    pages.setdefault(anchor, number)
        offset += len(part.pages)
    return pages


ARTIFACT = "Q\n/Artifact <</Type /Pagination>> BDC\nq /{name} Do Q\nEMC\n"


def join(parts: list[Laid], frame: Laid, elsewhere: list[set[str]]) -> bytes:
    """One PDF of the parts' pages in order, with the frame's page margins laid over them (module docstring).

    `elsewhere`: for each part, the anchors its empty targets stand for (their names are dropped,
    so that the links land on the real targets).
    """
    import pikepdf
    from pikepdf import Array, Dictionary

    out = pikepdf.open(io.BytesIO(parts[0].pdf))
    tree = out.Root.get("/StructTreeRoot")
    document = tree.K[0] if tree is not None else None
    nums = list(tree.ParentTree.Nums) if tree is not None else []
    next_key = max((int(k) for k in nums[::2]), default=-1) + 1
    dests: dict[str, object] = {}
    ids: list = list(tree.IDTree.Names) if tree is not None and "/IDTree" in tree else []

    def add_dests(pdf, skip: set[str], first: int) -> None:
        """The part's named destinations, [page /XYZ x y 0], pointed at its pages in `out`."""
        at = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        names = pdf.Root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
        for i in range(0, len(names), 2):
            name = str(names[i])
            if name not in skip and name not in dests:
                page, *where = names[i + 1]
                dests[name] = Array([out.pages[first + at[page.objgen]].obj, *where])

    add_dests(out, elsewhere[0], 0)
    for index, part in enumerate(parts[1:], start=1):
        src = pikepdf.open(io.BytesIO(part.pdf))
        first = len(out.pages)
        for page in src.pages:
            out.pages.append(page)
        add_dests(src, elsewhere[index], first)
        theirs = src.Root.get("/StructTreeRoot")
        if theirs is None or document is None:
            continue
        theirs = out.copy_foreign(theirs)   # the part's whole structure tree in one copy (QPDF follows every reference)
        base = next_key
        for page in out.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + base
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + base
        their_nums = theirs.ParentTree.Nums
        for i in range(0, len(their_nums), 2):
            nums += [int(their_nums[i]) + base, their_nums[i + 1]]
            next_key = max(next_key, int(their_nums[i]) + base + 1)
        for kid in theirs.K[0].K:
            if not _has_content(kid):   # the empty targets of links into other parts
                continue
            kid.P = document
            document.K.append(kid)
        if "/IDTree" in theirs:
            their_ids = theirs.IDTree.Names
            for i in range(0, len(their_ids), 2):
                ids += [their_ids[i], their_ids[i + 1]]

    if tree is not None:
        document.K = Array([kid for kid in document.K if _has_content(kid)])
        tree.ParentTree = out.make_indirect(Dictionary(Nums=Array(nums)))
        tree.ParentTreeNextKey = next_key
        if ids:
            pairs = sorted(((str(ids[i]), ids[i + 1]) for i in range(0, len(ids), 2)), key=lambda p: p[0])
            tree.IDTree = Dictionary(Names=Array([x for k, ref in pairs for x in (pikepdf.String(k), ref)]))
    if dests:
        names = out.Root.get("/Names") or Dictionary()
        names.Dests = out.make_indirect(Dictionary(Names=Array(
            [x for name in sorted(dests) for x in (pikepdf.String(name), dests[name])])))
        out.Root.Names = names
    _outline(out, [page for part in parts for page in part.pages])
    _lay_frame_over(out, frame)
    return _save(out)


def _has_content(element) -> bool:
    """Whether a structure element holds marked content or an annotation, itself or below."""
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return False
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if not isinstance(kid, pikepdf.Dictionary):
            return True                      # a marked-content id
        if kid.get("/Type") in ("/MCR", "/OBJR") or _has_content(kid):
            return True
    return False


def _save(out) -> bytes:
    """The joined file, its objects packed in compressed object streams.

    No compressed stream may end with a carriage return: before the line feed that precedes
    `endstream` a PDF/A validator reads it as a CR LF end of line and finds /Length one byte too long
    (ISO 19005-2, 6.1.7.1). The parts' streams are kept as they were written (render/accessibility.py
    sees to theirs, as `_stream` to ours, in a way QPDF keeps); QPDF packs the objects into some 160 object
    streams, whose compressed data ends with the checksum of their content, so about one in 256
    ends with CR. Then an empty graphics state more on the first page, early in the file, moves every
    object after it into another object stream, and the file is written again (about one build in two).
    """
    import pikepdf
    from pikepdf import Dictionary, Name

    from pdz_docs.render.accessibility import flate

    # the streams QPDF would compress itself: those made while joining (a frame page made a form
    # XObject holds the page's content decoded), compressed here with `flate`; the XMP metadata
    # stays as it is, uncompressed
    for obj in out.objects:
        if isinstance(obj, pikepdf.Stream) and "/Filter" not in obj and obj.get("/Type") != "/Metadata":
            packed, parms = flate(obj.read_bytes())
            obj.write(packed, filter=Name.FlateDecode, decode_parms=Dictionary({f"/{k}": v for k, v in parms.items()})
                      if parms else None)
    for attempt in range(64):
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True, compress_streams=True,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        data = buffer.getvalue()
        if b"\r\nendstream" not in data:
            return data
        out.pages[0].add_resource(out.make_indirect(Dictionary()), Name.ExtGState, Name(f"/PdzVuoto{attempt}"))
    raise RuntimeError("PDF: flussi compressi che finiscono con CR")


def _outline(out, pages: list[dict]) -> None:
    """The bookmarks of all pages as one outline, nested by WeasyPrint's own rules."""
    import pikepdf
    from weasyprint.document import Document

    stand_in = SimpleNamespace(pages=[SimpleNamespace(
        height=p["h"], bookmarks=[(level, label, (x, y), state) for level, label, x, y, state in p["bookmarks"]])
        for p in pages])
    tree = Document.make_bookmark_tree(stand_in, scale=SCALE, transform_pages=True)

    def items(nodes):
        for label, (page, x, y), children, state in nodes:
            item = pikepdf.OutlineItem(label, page, pikepdf.PageLocation.XYZ, left=x, top=y, zoom=0)
            item.children.extend(items(children))
            item.is_closed = state == "closed"
            yield item

    if "/Outlines" in out.Root:
        del out.Root.Outlines
    if tree:
        with out.open_outline() as outline:
            outline.root.extend(items(tree))


def _lay_frame_over(out, frame: Laid) -> None:
    """Draw page i of the frame on page i of `out`, as a pagination artifact over the page's content."""
    import pikepdf
    from pikepdf import Name

    src = pikepdf.open(io.BytesIO(frame.pdf))
    if len(src.pages) != len(out.pages):
        raise RuntimeError(f"cornice di {len(src.pages)} pagine per {len(out.pages)} pagine")
    for number, (page, margins) in enumerate(zip(out.pages, src.pages), start=1):
        # the pages of a part share one resource dictionary: each page's frame has a name of its own
        name = f"PdzCornice{number}"
        page.add_resource(out.copy_foreign(margins.as_form_xobject()), Name.XObject, Name("/" + name))
        page.contents_add(_stream(out, b"q\n"), prepend=True)
        page.contents_add(_stream(out, ARTIFACT.format(name=name).encode("ascii")), prepend=False)


def _stream(out, data: bytes):
    """A content stream compressed here (render/accessibility.py `flate`: never ending with CR)."""
    import pikepdf
    from pikepdf import Dictionary, Name

    from pdz_docs.render.accessibility import flate

    packed, parms = flate(data)
    stream = pikepdf.Stream(out, b"")
    stream.write(packed, filter=Name.FlateDecode, decode_parms=Dictionary({f"/{k}": v for k, v in parms.items()}) if parms else None)
    return stream
