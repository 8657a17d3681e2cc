"""Images of the chapters: decoded at check time, normalised once, the same picture in the PDF and the DOCX.

The images are made here with Pillow, as a print shop, a scanner or a phone makes them:
a CMYK JPEG, a photo stored on its side with an EXIF orientation, a truncated PNG, a
map far larger than print needs.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from conftest import edit, line_of
from pdz_docs.cli import main
from pdz_docs.load import media

CAP = "capitoli/10-cap1.md"
ANCHOR = "L'Ambito conta"
RED, BLUE = (220, 20, 20), (20, 40, 200)


def cite(plan: Path, *names: str) -> int:
    """Cite images in the chapter, one paragraph each, before the population sentence; the first one's line."""
    text = "".join(f"![Immagine {n}](../immagini/{n})\n\n" for n in names)
    edit(plan / CAP, ANCHOR, text + ANCHOR)
    return line_of(plan / CAP, f"![Immagine {names[0]}]")


def put(plan: Path, name: str, data: bytes) -> None:
    (plan / "immagini").mkdir(exist_ok=True)
    (plan / "immagini" / name).write_bytes(data)


def landscape() -> Image.Image:
    """400×200, blue with a red top-left corner: how the photo must look when upright."""
    im = Image.new("RGB", (400, 200), BLUE)
    im.paste(RED, (0, 0, 100, 50))
    return im


def rotated_photo() -> bytes:
    """The landscape photo as a phone stores it: pixels turned on their side, EXIF orientation 6 to undo it."""
    stored = landscape().transpose(Image.Transpose.ROTATE_90)   # 200×400
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (300, 240), (0, 200, 200, 0)).save(out, "JPEG", quality=95)
    return out.getvalue()


def png_bytes(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width`×`height` pixels (a decompression bomb's first bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def pdz(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def is_corner_red(im: Image.Image) -> bool:
    """The top-left corner is red and the top-right one blue (the photo upright, not mirrored)."""
    im = im.convert("RGB")
    w, h = im.size
    left, right = im.getpixel((w // 16, h // 16)), im.getpixel((w - 1 - w // 16, h // 16))
    return left[0] > 150 and left[2] < 100 and right[2] > 150 and right[0] < 100


# --- the build -------------------------------------------------------------------------

@pytest.fixture
def photos_built(plan_dir: Path, tmp_path: Path, capsys):
    put(plan_dir, "stampa.jpg", cmyk_jpeg())
    put(plan_dir, "foto.jpg", rotated_photo())
    cite(plan_dir, "stampa.jpg", "foto.jpg")
    out = tmp_path / "out"
    code, output = pdz(capsys, "build", str(plan_dir), "-o", str(out), "--format", "pdf,docx")
    assert code == 0, output
    return out


def test_cmyk_jpeg_is_not_cmyk_in_the_pdf(photos_built: Path):
    from pypdf import PdfReader

    reader = PdfReader(str(next(photos_built.glob("*.pdf"))))
    spaces = {}   # every image object of the file, once (pages share their resources)
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                spaces[ref.idnum] = str(obj.get("/ColorSpace"))
    spaces = list(spaces.values())
    assert len(spaces) == 2, spaces
    assert not any("CMYK" in s for s in spaces), spaces


def test_rotated_photo_is_upright_in_the_pdf(photos_built: Path):
    from pypdf import PdfReader

    found = {img.data: img.image for page in PdfReader(str(next(photos_built.glob("*.pdf")))).pages
             for img in page.images}   # pages share their resources: each image once
    images = list(found.values())
    photo = [im for im in images if im.size == (400, 200)]
    assert len(photo) == 1, [im.size for im in images]
    assert is_corner_red(photo[0])


def test_rotated_photo_is_upright_in_the_docx(photos_built: Path):
    docx = zipfile.ZipFile(next(photos_built.glob("*.docx")))
    media_files = [n for n in docx.namelist() if n.startswith("word/media/")]
    pictures = [Image.open(io.BytesIO(docx.read(n))) for n in media_files]
    assert sorted(im.size for im in pictures) == [(300, 240), (400, 200)]
    assert all(im.mode == "RGB" for im in pictures)
    assert is_corner_red(next(im for im in pictures if im.size == (400, 200)))
    # printed landscape: the drawing's extent is twice as wide as high (400×200 CSS pixels)
    extents = re.findall(r'<wp:extent cx="(\d+)" cy="(\d+)"/>', docx.read("word/document.xml").decode())
    assert (str(400 * 9525), str(200 * 9525)) in extents


def test_same_picture_in_pdf_and_docx(photos_built: Path):
    from pypdf import PdfReader

    docx = zipfile.ZipFile(next(photos_built.glob("*.docx")))
    in_docx = sorted(docx.read(n) for n in docx.namelist() if n.startswith("word/media/"))
    in_pdf = set()
    for page in PdfReader(str(next(photos_built.glob("*.pdf")))).pages:
        for ref in (page["/Resources"].get("/XObject") or {}).values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                assert obj.get("/Filter") == "/DCTDecode"
                in_pdf.add(obj.get_data())   # a JPEG stream is the JPEG file itself
    assert in_docx == sorted(in_pdf)


# --- refused at check time, located, nothing written -------------------------------------

@pytest.mark.parametrize("name, data, code", [
    ("rotta.png", png_bytes(landscape())[:700], "immagine-illeggibile"),
    ("rotta.jpg", rotated_photo()[:-300], "immagine-illeggibile"),
    ("foto.png", rotated_photo(), "immagine-formato"),   # a JPEG with a PNG's name
    ("mappa.png", png_header_only(10_000, 10_000), "immagine-troppo-grande"),
    ("bomba.png", png_header_only(40_000, 40_000), "immagine-troppo-grande"),
])
def test_unreadable_image_is_a_located_error(plan_dir: Path, tmp_path: Path, capsys, name, data, code):
    import weasyprint  # noqa: F401 - imported, it tells Pillow to accept truncated files: not ours
    put(plan_dir, name, data)
    line = cite(plan_dir, name)
    rc, output = pdz(capsys, "check", str(plan_dir))
    assert rc == 1
    assert re.search(rf"{re.escape(CAP)}:{line}:\d+: errore: immagine «\.\./immagini/{re.escape(name)}»: .*\[{code}\]",
                     output), output
    assert "Traceback" not in output
    out = tmp_path / "out"
    rc, output = pdz(capsys, "build", str(plan_dir), "-o", str(out), "--format", "pdf,docx,html")
    assert rc == 1 and "Traceback" not in output and f"[{code}]" in output
    assert not out.exists() or not any(out.iterdir())


# --- normalisation ------------------------------------------------------------------------

def test_large_map_is_reduced_to_print_resolution(plan_dir: Path, capsys):
    from test_hostile import html_of

    put(plan_dir, "mappa.png", png_bytes(Image.new("RGB", (6000, 1500), BLUE)))
    cite(plan_dir, "mappa.png")
    rc, output = pdz(capsys, "check", str(plan_dir))
    assert rc == 0, output
    img = re.search(r'<img src="data:image/png;base64,([^"]+)" width="(\d+)" height="(\d+)"', html_of(plan_dir))
    assert img and (img.group(2), img.group(3)) == ("650", "162")   # the text width, 172 mm
    import base64
    assert Image.open(io.BytesIO(base64.b64decode(img.group(1)))).size == (2032, 507)   # 300 dpi at 172 mm


@pytest.mark.parametrize("im", [
    Image.new("P", (40, 20), 3),
    Image.new("LA", (40, 20), (100, 128)),
    Image.new("I;16", (40, 20), 40000),
    Image.new("L", (40, 20), 90),
], ids=lambda im: im.mode)
def test_every_mode_becomes_srgb(im: Image.Image):
    picture = media.normalise(png_bytes(im), "PNG")
    assert isinstance(picture, media.Picture)
    out = Image.open(io.BytesIO(picture.data))
    assert out.mode in ("RGB", "RGBA") and out.size == (40, 20)
    if im.mode == "I;16":
        assert abs(out.getpixel((0, 0))[0] - 40000 * 255 / 65535) <= 1


def test_metadata_is_stripped_and_bytes_are_stable():
    from PIL import ImageCms

    src = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Telefono"   # Make
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    landscape().save(src, "JPEG", exif=exif, icc_profile=srgb, comment=b"segreto")
    first = media.normalise(src.getvalue(), "JPEG")
    second = media.normalise(src.getvalue(), "JPEG")
    assert first.data == second.data
    out = Image.open(io.BytesIO(first.data))
    assert not out.getexif() and "icc_profile" not in out.info and b"segreto" not in first.data


def test_rebuild_reads_the_cache(plan_dir: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    put(plan_dir, "foto.jpg", rotated_photo())
    cite(plan_dir, "foto.jpg")
    assert pdz(capsys, "check", str(plan_dir))[0] == 0
    assert len(list(media.cache_dir().iterdir())) == 1
    first = media.load_picture(plan_dir / "immagini" / "foto.jpg")

    def fail(*args):
        raise AssertionError("normalised again")
    monkeypatch.setattr(media, "normalise", fail)
    assert media.load_picture(plan_dir / "immagini" / "foto.jpg") == first


def test_cache_behind_a_link_is_not_used(plan_dir: Path, tmp_path: Path, monkeypatch):
    elsewhere = tmp_path / "altrove"
    elsewhere.mkdir()
    (tmp_path / "cache" / "pdz-docs").mkdir(parents=True)
    (tmp_path / "cache" / "pdz-docs" / "immagini").symlink_to(elsewhere)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    put(plan_dir, "foto.jpg", rotated_photo())
    assert isinstance(media.load_picture(plan_dir / "immagini" / "foto.jpg"), media.Picture)
    assert not any(elsewhere.iterdir())
