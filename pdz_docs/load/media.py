"""Images of the chapters, normalised once for every format.

A chapter's image (a PNG, JPEG or GIF file of the plan, found by `load/refs.py`) is
decoded completely here, at check time, so that a file no renderer could read is a
located problem and never a failure of the build. What every renderer then embeds is
one normalised picture, the same bytes in the PDF, the DOCX and the HTML:

- upright: the EXIF orientation of a phone photo is applied to the pixels;
- sRGB: CMYK, palette, grey, 16-bit and the rest become RGB (RGBA when transparent),
  through the embedded ICC profile when there is one, so the PDF/A output intent
  (sRGB) holds for every image;
- no larger than print needs: 300 dpi at the size it is printed (an image is printed
  at 96 dpi, the CSS pixel, and never wider than the text nor taller than the page),
  so a scanned A0 map is reduced, not refused;
- no metadata (EXIF, GPS, ICC, comments), with the same bytes for the same file:
  photos (JPEG files) stay JPEG, quality 90, because as PNG they would be ten times
  larger; everything else (logos, diagrams, maps, screenshots, transparency) is PNG.

Normalising a phone photo takes about a third of a second, so results are kept in a
cache folder of the user (`$XDG_CACHE_HOME/pdz-docs/immagini`, by default
`~/.cache/pdz-docs/immagini`), named by the SHA-256 of the original file: a rebuild,
or the build after `pdz check`, only hashes the file. The cache is outside the plan
(nothing to commit, nothing a received plan can plant in it); a cache that cannot be
used (read-only home, a link in its place) is simply not used.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
import stat
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pdz_docs.limits import MAX_IMAGE_PIXELS

# The largest printed size, in CSS pixels (1/96 inch): the text width of a portrait page
# of templates/piano.css (210 − 20 − 18 mm) and, as height, most of its text height.
PRINT_WIDTH_CSS = 650    # 172 mm
PRINT_HEIGHT_CSS = 900   # 238 mm
PRINT_DPI = 300
CSS_DPI = 96
JPEG_QUALITY = 90
# Bumped whenever the output of `normalise` changes: older cache entries are then ignored.
VERSION = "1"
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}
_ORIENTATION = 0x0112
_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF"}


@dataclass(frozen=True)
class Picture:
    """A normalised image: its bytes and the size at which it is printed, in CSS pixels."""

    data: bytes
    mime: str          # image/png | image/jpeg
    width: int         # printed size, CSS pixels (1/96 inch)
    height: int

    @property
    def uri(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True)
class Refusal:
    """Why an image file cannot be printed: a problem code and an Italian message (without the file name)."""

    code: str
    message: str


def load_picture(path: Path) -> Picture | Refusal:
    """The normalised picture of the image file at `path` (already checked to be inside the plan)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return Refusal("immagine-mancante", "il file non si può leggere")
    key = f"{hashlib.sha256(raw).hexdigest()}-{VERSION}"
    expected = FORMATS.get(path.suffix.lower(), "")
    cached = _cache_read(key, expected)
    if cached is not None:
        try:
            return _picture(cached, expected, _print_size(_open(raw)))
        except Exception:  # noqa: BLE001 - a damaged cache entry: normalise again
            pass
    result = normalise(raw, expected)
    if isinstance(result, Picture):
        _cache_write(key, expected, result.data)
    return result


def normalise(raw: bytes, expected: str) -> Picture | Refusal:
    """Decode `raw` fully (it must be an image of format `expected`) and normalise it."""
    from PIL import Image

    try:
        probe = _open(raw)
        probe.verify()   # chunk checksums of a PNG
        im = _open(raw)
    except Image.DecompressionBombError:
        return _too_many_pixels()
    except Exception:  # noqa: BLE001 - any decoder error of untrusted bytes is the same problem to a writer
        return Refusal("immagine-illeggibile", "il file è danneggiato o incompleto e non si può leggere come "
                                               "immagine: esportarlo di nuovo dal programma che l'ha prodotto")
    if im.format != expected:
        return Refusal("immagine-formato",
                       f"il file è un'immagine {_NAMES.get(im.format, im.format)} ma il suo nome finisce come "
                       f"un'immagine {expected}: correggere l'estensione del nome")
    if im.width * im.height > MAX_IMAGE_PIXELS:
        return _too_many_pixels()
    width, height = _print_size(im)
    orientation = _orientation(im)
    # The pixels print needs, in the orientation the file stores them (turned upright last, when fewer).
    stored = (_pixels(height), _pixels(width)) if orientation in (5, 6, 7, 8) else (_pixels(width), _pixels(height))
    try:
        if im.format == "JPEG":  # decode directly at a reduced scale when print needs fewer pixels
            im.draft(im.mode, stored)
        with _strict_decoding():
            im.load()
        if im.mode in ("1", "P", "PA") or im.mode.startswith(("I", "F")):
            im = _srgb(im)   # resampling needs 8-bit channels without a palette
        im = _upright(_srgb(_reduced(im, stored)), orientation)
        return _picture(_encode(im, expected), expected, (width, height))
    except Image.DecompressionBombError:
        return _too_many_pixels()
    except Exception:  # noqa: BLE001
        return Refusal("immagine-illeggibile", "il file è danneggiato o incompleto e non si può leggere come "
                                               "immagine: esportarlo di nuovo dal programma che l'ha prodotto")


@contextmanager
def _strict_decoding():
    """A truncated file is an error while decoding. WeasyPrint, once imported, tells Pillow to pad such
    files silently (a process-wide switch, ImageFile.LOAD_TRUNCATED_IMAGES): turned off for this decoding."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _too_many_pixels() -> Refusal:
    return Refusal("immagine-troppo-grande",
                   f"l'immagine ha più di {MAX_IMAGE_PIXELS // 1_000_000} milioni di pixel: ridurla (per la stampa "
                   "bastano 300 punti per pollice alla larghezza della pagina, circa 2.000 pixel)")


def _open(raw: bytes):
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the pixel limit is ours (MAX_IMAGE_PIXELS), checked after opening
        return Image.open(io.BytesIO(raw), formats=("PNG", "JPEG", "GIF"))


def _orientation(im) -> int:
    try:
        return int(im.getexif().get(_ORIENTATION, 1))
    except Exception:  # noqa: BLE001 - an unreadable EXIF block: the picture as stored
        return 1


def _print_size(im) -> tuple[int, int]:
    """The printed size in CSS pixels: one CSS pixel per image pixel, within the text width and page height."""
    w, h = im.size
    if _orientation(im) in (5, 6, 7, 8):
        w, h = h, w
    scale = min(1.0, PRINT_WIDTH_CSS / w, PRINT_HEIGHT_CSS / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _pixels(css: int) -> int:
    return math.ceil(css * PRINT_DPI / CSS_DPI)




def _srgb(im):
    """RGB, or RGBA when the image has transparency; through its ICC profile when it has one."""
    if im.mode in ("RGB", "RGBA") and "icc_profile" not in im.info and "transparency" not in im.info:
        return im
    from PIL import ImageCms

    alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    if im.mode.startswith("I") or im.mode == "F":   # 16-bit or wider grey: scaled to 8 bits
        top = 65535 if im.mode.startswith("I;16") or (im.getextrema()[1] or 0) > 255 else 255
        im = im.convert("I").point(lambda v: v * (255 / top)).convert("L")
    icc = im.info.get("icc_profile")
    if icc and im.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            target = ImageCms.createProfile("sRGB")
            return ImageCms.profileToProfile(im, source, target, renderingIntent=ImageCms.Intent.PERCEPTUAL,
                                             outputMode="RGBA" if im.mode == "RGBA" else "RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass   # a broken profile: the numbers are read as they are, as a viewer without colour management would
    return im.convert("RGBA" if alpha else "RGB")


def _upright(im, orientation: int):
    """The picture turned as its EXIF orientation says (the table of PIL.ImageOps.exif_transpose), once it
    is small: turning the full-size picture first would cost as much as decoding it."""
    from PIL.Image import Transpose as T

    turn = {2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE, 6: T.ROTATE_270,
            7: T.TRANSVERSE, 8: T.ROTATE_90}.get(orientation)
    return im.transpose(turn) if turn is not None else im


def _reduced(im, target: tuple[int, int]):
    """At most `target` pixels (PRINT_DPI at the printed size); never enlarged."""
    from PIL import Image

    if im.width <= target[0] and im.height <= target[1]:
        return im
    # reducing_gap: a fast integer reduction first, then Lanczos; no visible difference at 3
    return im.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(im, expected: str) -> bytes:
    im.info = {}   # EXIF, ICC, text chunks, dpi: nothing of the original is written back
    out = io.BytesIO()
    if expected == "JPEG":
        im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False)
    else:
        im.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _picture(data: bytes, expected: str, size: tuple[int, int]) -> Picture:
    return Picture(data, "image/jpeg" if expected == "JPEG" else "image/png", *size)


# --- the cache --------------------------------------------------------------------

def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pdz-docs" / "immagini"


def _usable_cache(create: bool) -> Path | None:
    """The cache folder when it is a real folder of this user (no link anywhere on the last two steps)."""
    folder = cache_dir()
    try:
        if create:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        for d in (folder.parent, folder):
            st = os.lstat(d)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                return None
    except OSError:
        return None
    return folder


def _entry(folder: Path, key: str, expected: str) -> Path:
    return folder / f"{key}.{'jpg' if expected == 'JPEG' else 'png'}"


def _cache_read(key: str, expected: str) -> bytes | None:
    folder = _usable_cache(create=False)
    if folder is None:
        return None
    try:
        fd = os.open(_entry(folder, key, expected), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read() or None


def _cache_write(key: str, expected: str, data: bytes) -> None:
    folder = _usable_cache(create=True)
    if folder is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, _entry(folder, key, expected))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass   # a full or read-only disk: the next build normalises again
