"""How wide a table's words are, in the font both formats set tables in: DejaVu Sans, as embedded in
templates/riferimento.docx.

Two decisions rest on it. The document tree turns a table onto landscape pages when its widest words,
one column beside the other, do not fit the portrait text width: the PDF and the DOCX then turn the same
tables and paginate alike. The DOCX translator sizes each column so that no word and no amount breaks
inside itself. Widths are the advance widths of the very font files Word and LibreOffice draw the DOCX
with (embedded obfuscated by scripts/riferimento_docx.py, ECMA-376 Part 1 §17.8.1), not an average
letter width.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

REFERENCE = Path(__file__).resolve().parents[2] / "templates" / "riferimento.docx"
SANS = "DejaVu Sans"
# Twentieths of a point. A cell's margins (the DOCX table style's 1.5 mm a side), its rules and a little
# air; the portrait text width (A4 less 20 + 18 mm margins, in the PDF and the DOCX alike).
CELL_PAD = 2 * 85 + 40
PORTRAIT_WIDTH = 9751


def table_size(ncols: int) -> float:
    """The point size of a computed table's cells: seven or more columns (many money columns) are set
    smaller, in the PDF (piano.css, `colonne-7`…) and in the DOCX («Testo tabella fitto»); a table written
    in a chapter is always at 8.5 points."""
    return 7.5 if ncols >= 7 else 8.5


def _deobfuscate(data: bytes, key: str) -> bytes:
    """The font file of an embedded part: its first 32 bytes XOR the key's 16 bytes in reverse order."""
    k = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    return bytes(b ^ k[i % 16] for i, b in enumerate(data[:32])) + data[32:]


@cache
def _advances(bold: bool) -> tuple[dict[int, int], int, int]:
    """(character → advance width, the width of a character the font lacks, units per em) of the
    regular or bold DejaVu Sans embedded in the reference document."""
    with zipfile.ZipFile(REFERENCE) as z:
        table = z.read("word/fontTable.xml").decode()
        rels = z.read("word/_rels/fontTable.xml.rels").decode()
        font = re.search(rf'<w:font w:name="{SANS}">(.*?)</w:font>', table, re.S).group(1)
        rid, key = re.search(rf'<w:embed{"Bold" if bold else "Regular"} r:id="(\w+)" w:fontKey="([^"]+)"',
                             font).groups()
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels).group(1)
        data = _deobfuscate(z.read(f"word/{target}"), key)
    tt = TTFont(io.BytesIO(data))
    metrics = tt["hmtx"]
    widths = {code: metrics[glyph][0] for code, glyph in tt.getBestCmap().items()}
    return widths, metrics[".notdef"][0], tt["head"].unitsPerEm


def text_width(text: str, size: float, bold: bool = False) -> int:
    """The advance width of `text` set in DejaVu Sans at `size` points, in twentieths of a point (rounded up)."""
    widths, missing, upem = _advances(bold)
    units = sum(widths.get(ord(ch), missing) for ch in text)
    return -(-int(units * size * 20) // upem)


def words(text: str) -> list[str]:
    """The pieces a cell's text may break into: its lines' words (never at a no-break space)."""
    return [w for line in text.split("\n") for w in line.split(" ")]


def too_wide_for_portrait(rows: Iterable[Sequence[tuple[str, bool, bool]]], ncols: int, size: float) -> bool:
    """Whether a table's widest words at `size` points, one column beside the other, are wider than a
    portrait page's text. `rows`: cells as (text, bold, whole); a `whole` cell (a figure) never breaks."""
    low = [CELL_PAD] * ncols
    for cells in rows:
        for j, (text, bold, whole) in enumerate(list(cells)[:ncols]):
            pieces = text.split("\n") if whole else words(text)
            low[j] = max([low[j], *(CELL_PAD + text_width(p, size, bold) for p in pieces)])
    return sum(low) > PORTRAIT_WIDTH
