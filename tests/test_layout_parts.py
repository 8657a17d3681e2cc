"""The PDF laid out part by part (render/pdf.py): the same bytes whether the parts are laid out one after
the other, at once, or taken from the cache; page numbers, the index, links and bookmarks right in the
joined file; a damaged or deleted cache only costs time; an edited chapter is the only part laid out again."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from conftest import ROOT, edit
from pdz_docs.build import build

PLAN = ROOT / "tests" / "fixtures" / "minimo"


def _pdf(plan: Path, **kwargs) -> bytes:
    outputs, problems = build(plan, ["pdf"], **kwargs)
    assert outputs is not None, problems
    return outputs.files[0].data


def _pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("PDZ_CACHE", str(folder))
    return folder


def test_serial_parallel_and_cached_builds_are_the_same_bytes(cache: Path):
    serial = _pdf(PLAN, parallel=False, cache=False)
    parallel = _pdf(PLAN, parallel=True, cache=False)
    assert not cache.exists()
    cold = _pdf(PLAN, parallel=True)
    assert sorted(cache.glob("*.parte"))
    warm = _pdf(PLAN, parallel=False)
    assert serial == parallel == cold == warm


def test_a_damaged_or_deleted_cache_only_costs_time(cache: Path):
    first = _pdf(PLAN)
    entries = sorted(cache.glob("*.parte"))
    for i, entry in enumerate(entries):
        data = entry.read_bytes()
        # cut short, a flipped byte in the PDF, garbage
        entry.write_bytes([data[: len(data) // 2], data[:-10] + b"X" + data[-9:], b"\x00not an entry"][i % 3])
    assert _pdf(PLAN) == first
    assert all(entry.read_bytes() != b"\x00not an entry" for entry in cache.glob("*.parte"))
    shutil.rmtree(cache)
    assert _pdf(PLAN) == first


def test_only_the_edited_chapter_is_laid_out_again(plan_dir: Path, cache: Path):
    """The edited chapter, and the cover and the closing, which name the plan's revision (one page each)."""
    from pdz_docs.build import Listener

    class Heard(Listener):
        def __init__(self):
            self.stages: list[str] = []

        def stage(self, message: str) -> None:
            self.stages.append(message)

    def laid_out(**kwargs) -> str:
        heard = Heard()
        build(plan_dir, ["pdf"], listener=heard, **kwargs)
        return next(s for s in heard.stages if "PDF impaginato" in s)

    assert re.search(r"\((\d+) parti impaginate, 0 dalla cache", laid_out())
    edit(plan_dir / "capitoli" / "10-cap1.md", "L'Ambito conta", "L'Ambito territoriale conta")
    stage = laid_out()
    assert re.search(r"\(3 parti impaginate, 4 dalla cache", stage), stage


def test_page_numbers_index_links_and_bookmarks_of_the_joined_pdf(tmp_path: Path, cache: Path):
    pdf = _pdf(ROOT / "content")
    pages = _pages_text(pdf, tmp_path)
    total = len(pages)
    # every page but the cover says which page it is, of how many
    for number, text in enumerate(pages[1:], start=2):
        assert f"pag. {number} di {total}" in text, number
    assert "pag." not in pages[0]

    document = pikepdf.open(io.BytesIO(pdf))
    where = {page.obj.objgen: i for i, page in enumerate(document.pages)}
    names = document.Root.Names.Dests.Names
    dests = {str(names[i]): where[names[i + 1][0].objgen] for i in range(0, len(names), 2)}

    # the index: each entry's number is the page its heading is on, and its link lands there
    index = "\n".join(p for p in pages[1:4] if "Indice" in p or "Capitolo" in p)
    entries = re.findall(r"^\s*(Capitolo [IVX]+ – .{10,40}?)\s.*?\.{3,}\s*(\d+)$", index, re.M)
    assert len(entries) >= 3
    for title, number in entries:
        assert title.split(" – ")[1] in re.sub(r"\s+", " ", pages[int(number) - 1]), (title, number)
    toc_links = [a for page in document.pages[1:3] for a in page.obj.get("/Annots", []) if "/Dest" in a]
    assert len(toc_links) > 40
    for link in toc_links:
        assert str(link.Dest) in dests, str(link.Dest)   # every link lands on a real anchor

    # every bookmark points at the page where its title is printed
    with document.open_outline() as outline:
        items = list(outline.root)
        flat = []
        while items:
            item = items.pop(0)
            flat.append(item)
            items[:0] = list(item.children)
    assert len(flat) > 40
    for item in flat:
        page = where[item.destination[0].objgen]
        first = re.sub(r"^Capitolo [IVX]+ (– )?", "", re.sub(r"\s+", " ", item.title))[:20]
        assert first in re.sub(r"\s+", " ", pages[page]), (item.title, page + 1)


def test_the_cache_is_never_in_the_plan_folder(plan_dir: Path, cache: Path, tmp_path: Path):
    """A plan received from someone else cannot bring pages laid out by someone else."""
    before = sorted(p.relative_to(plan_dir) for p in plan_dir.rglob("*"))
    _pdf(plan_dir)
    assert sorted(p.relative_to(plan_dir) for p in plan_dir.rglob("*")) == before
    assert list(cache.glob("*.parte"))


def test_the_cache_stays_within_its_limit(tmp_path: Path):
    from pdz_docs.render.pdf import Laid, LayoutCache

    cache = LayoutCache(tmp_path, limit=25_000)
    for i in range(10):
        cache.put(f"{i:064x}", Laid(bytes([i]) * 10_000, [], []))
    cache.trim()
    kept = sorted(p.name for p in tmp_path.glob("*.parte"))
    assert kept == [f"{i:064x}.parte" for i in (8, 9)]
    assert cache.get(f"{9:064x}").pdf == bytes([9]) * 10_000
    assert cache.get(f"{1:064x}") is None


def test_joined_file_never_has_a_stream_ending_with_cr():
    """QPDF packs the joined file's objects into compressed object streams; one whose data ends with CR is
    read by a PDF/A validator as a wrong /Length (ISO 19005-2, 6.1.7.1): the file is written again."""
    from pdz_docs.render.pdf import _save

    def plain(n: int) -> pikepdf.Pdf:
        pdf = pikepdf.new()
        pdf.add_blank_page()
        pdf.Root.Prova = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(N=i, Testo=f"voce {i}"))
                                        for i in range(n)])
        return pdf

    def first_save(pdf: pikepdf.Pdf) -> bytes:
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()

    bad = [n for n in range(100, 1500, 7) if b"\r\nendstream" in first_save(plain(n))]
    assert bad, "no case found: the test would prove nothing"
    for n in bad[:5]:
        data = _save(plain(n))
        assert b"\r\nendstream" not in data
        assert len(pikepdf.open(io.BytesIO(data)).Root.Prova) == n


def test_a_stream_whose_compressed_data_would_end_with_cr_reads_back_the_same():
    """Compressed data ends with a checksum of its content: 1 stream in 256 would end with CR. Such a stream
    is written as a predictor row, which QPDF keeps as it is and every reader decodes to the same bytes."""
    import zlib

    from pdz_docs.render.pdf import _stream

    import hashlib

    texts = (f"BT /F1 10 Tf ({hashlib.sha256(str(i).encode()).hexdigest()}) Tj ET".encode() for i in range(3000))
    found = [d for d in texts if zlib.compress(d, 9).endswith(b"\r")]
    assert found, "no case found: the test would prove nothing"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.Prova = pikepdf.Array([pdf.make_indirect(_stream(pdf, d)) for d in found])
    out = io.BytesIO()
    pdf.save(out, compress_streams=True, stream_decode_level=pikepdf.StreamDecodeLevel.none,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert b"\r\nendstream" not in out.getvalue()
    again = pikepdf.open(io.BytesIO(out.getvalue()))
    assert [bytes(s.read_bytes()) for s in again.Root.Prova] == found


def test_streams_made_while_joining_never_end_with_cr():
    """A frame page becomes a form XObject whose content QPDF holds decoded, to compress when it writes the
    file: `_save` compresses such streams itself, so none ends with CR, and each reads back the same."""
    import hashlib
    import zlib

    from pdz_docs.render.pdf import _save

    texts = (f"BT /F1 10 Tf ({hashlib.sha256(str(i).encode()).hexdigest()}) Tj ET".encode() for i in range(3000))
    found = [d for d in texts if zlib.compress(d).endswith(b"\r") or zlib.compress(d, 9).endswith(b"\r")]
    assert found, "no case found: the test would prove nothing"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.Prova = pikepdf.Array([pdf.make_indirect(pikepdf.Stream(pdf, d)) for d in found])
    data = _save(pdf)
    assert b"\r\nendstream" not in data
    again = pikepdf.open(io.BytesIO(data))
    assert [bytes(s.read_bytes()) for s in again.Root.Prova] == found


def test_a_cache_entry_loads_only_under_its_own_key_and_unchanged(tmp_path: Path):
    """Entries swapped between keys, an edited page list, a pipe or a link to a device in the cache: each
    is laid out again (None), never used and never waited for."""
    import os

    from pdz_docs.render.pdf import Laid, LayoutCache

    cache = LayoutCache(tmp_path / "c")
    a = Laid(b"%PDF-a", [{"w": 1, "h": 2, "anchors": ["uno"], "bookmarks": []}])
    b = Laid(b"%PDF-b", [{"w": 1, "h": 2, "anchors": ["due"], "bookmarks": []}])
    cache.put("a" * 64, a)
    cache.put("b" * 64, b)
    assert cache.get("a" * 64) == a
    fa, fb = (cache.folder / f"{k * 64}.parte" for k in "ab")
    data_a, data_b = fa.read_bytes(), fb.read_bytes()
    fa.write_bytes(data_b)
    fb.write_bytes(data_a)
    assert cache.get("a" * 64) is None and cache.get("b" * 64) is None
    fa.write_bytes(data_a.replace(b'"uno"', b'"tre"'))
    assert cache.get("a" * 64) is None
    fa.unlink()
    os.mkfifo(fa)
    assert cache.get("a" * 64) is None
    fa.unlink()
    fa.symlink_to("/dev/zero")
    assert cache.get("a" * 64) is None
    assert sorted(p.name for p in cache.folder.iterdir() if p.name.endswith(".tmp")) == []


def test_a_cache_that_cannot_be_written_is_said_once(tmp_path: Path, monkeypatch):
    """The document is the same; a note names the cache folder and why, in Italian (every build would be cold)."""
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o500)
    monkeypatch.setenv("PDZ_CACHE", str(folder))
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("l'utente scrive anche in una cartella senza permesso di scrittura (root)")
        outputs, problems = build(PLAN, ["pdf"], parallel=False)
    finally:
        folder.chmod(0o700)
    assert outputs is not None
    notes = [p for p in problems if p.code == "cache-non-scrivibile"]
    assert len(notes) == 1 and notes[0].loc.file == str(folder)
    assert "permesso negato" in notes[0].message and "Permission" not in notes[0].message
    assert outputs.files[0].data == _pdf(PLAN, parallel=False, cache=False)


def test_a_full_cache_folder_is_said_too(tmp_path: Path, monkeypatch):
    """Where even root cannot write (a path through a file), the note is there as well."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PDZ_CACHE", str(blocker / "cache"))
    outputs, problems = build(PLAN, ["pdf"], parallel=False)
    assert outputs is not None
    notes = [p for p in problems if p.code == "cache-non-scrivibile"]
    assert len(notes) == 1 and "non una cartella" in notes[0].message, notes


def test_body_parts_are_parts_of_the_structure_tree(cache: Path):
    """Every chapter's title is inside a /Part element (the <main> of the whole page), as a single layout tags it."""
    document = pikepdf.open(io.BytesIO(_pdf(ROOT / "content")))
    titles, inside = 0, 0

    def walk(element, in_part: bool) -> None:
        nonlocal titles, inside
        kind = str(element.get("/S", ""))
        if kind == "/H1":
            titles += 1
            inside += in_part
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                walk(kid, in_part or kind == "/Part")

    walk(document.Root.StructTreeRoot, False)
    assert titles >= 8 and inside == titles - 2          # all but the cover's and the index's


def test_a_chapter_inserted_before_the_others_leaves_them_in_the_cache(plan_dir: Path, cache: Path):
    """A part's cache entry does not depend on its place: after a new first chapter, the chapters that
    were there come from the cache (laid out again: the new chapter, the cover and closing, which name the
    revision, the index and the frame, whose numbers change)."""
    from pdz_docs.build import Listener

    class Heard(Listener):
        def __init__(self):
            self.stages: list[str] = []

        def stage(self, message: str) -> None:
            self.stages.append(message)

    def counts() -> tuple[int, int]:
        heard = Heard()
        build(plan_dir, ["pdf"], listener=heard)
        stage = next(s for s in heard.stages if "PDF impaginato" in s)
        return tuple(map(int, re.search(r"\((\d+) parti impaginate, (\d+) dalla cache", stage).groups()))

    laid, cached = counts()
    assert cached == 0
    (plan_dir / "capitoli" / "05-nuovo.md").write_text(
        "---\nid: nuovo\ntitolo: Un capitolo nuovo\nordine: 5\n---\nUn paragrafo nuovo.\n",
        encoding="utf-8")
    assert counts() == (6, laid - 5)


def test_the_cache_key_covers_fontconfig_and_every_library(monkeypatch):
    """Another fontconfig configuration, or another version of any installed package (Pillow, fontTools…),
    lays the parts out again: their glyphs or images could differ."""
    import importlib.metadata

    from pdz_docs.render import pdf

    def salt() -> str:
        monkeypatch.setattr(pdf, "_SALT", [])
        return pdf._salt()

    first = salt()
    assert salt() == first
    monkeypatch.setenv("FONTCONFIG_FILE", "/tmp/altro-fonts.conf")
    assert salt() != first
    monkeypatch.delenv("FONTCONFIG_FILE")
    real = list(importlib.metadata.distributions())

    class Older:
        def __init__(self, dist):
            self.metadata, self.version = dist.metadata, dist.version + ".vecchia" \
                if dist.metadata["Name"].lower() == "pillow" else dist.version

    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [Older(d) for d in real])
    assert salt() != first
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: real)
    assert salt() == first
