"""Every printed character has a glyph: a located warning instead of an empty box.

The PDF and the DOCX draw text with the fonts the stylesheet names
(`templates/piano.css`: DejaVu Serif and Sans, Liberation Serif and Sans). A character
none of them has is printed as an empty box, or drawn from whatever other font the
machine happens to have. Each such character of a chapter or of a printed YAML text
is reported once per file, at its first place, named by its code and Unicode name.

The fonts are found as WeasyPrint finds them, through fontconfig (one `fc-list`), and
their character maps are read with fontTools once per process. Where no font can be
found (no fontconfig) nothing is reported: a check that cannot know stays silent.

The DOCX embeds the faces of the reference document (`templates/riferimento.docx`), subset
to the characters a plan uses: a character the PDF draws but those faces lack would be an
empty box in Word and LibreOffice, and is reported too.
"""

from __future__ import annotations

import functools
import re
import subprocess
import unicodedata
from pathlib import Path

from pdz_docs.model import Capitolo, Plan
from pdz_docs.problems import Loc, Problem, avviso

STYLESHEET = Path(__file__).resolve().parents[2] / "templates" / "piano.css"
REFERENCE_DOCX = STYLESHEET.with_name("riferimento.docx")
FALLBACK = ("DejaVu Sans",)   # named last in piano.css for the signs the serif fonts lack
# Not drawn, so not looked for: line ends, tabs, format characters (soft hyphen, joiners).
_NOT_DRAWN = {"Cc", "Cf", "Zl", "Zp"}


def families(css: Path = STYLESHEET) -> tuple[str, ...]:
    """The font families the stylesheet names, in order, then the fallback."""
    names: list[str] = []
    for decl in re.findall(r"font(?:-family)?\s*:([^;}]*)", css.read_text(encoding="utf-8")):
        names += [n for n in re.findall(r'"([^"]+)"', decl) if n not in names]
    return tuple(names) + tuple(n for n in FALLBACK if n not in names)


def font_files(names: tuple[str, ...]) -> list[str]:
    """The regular face of each installed family of `names`, from one call of fontconfig's `fc-list`."""
    try:
        done = subprocess.run(["fc-list", "--format=%{family[0]}\t%{style[0]}\t%{file}\n"],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    best: dict[str, tuple[bool, str]] = {}
    for line in sorted(done.stdout.splitlines()):
        family, _, rest = line.partition("\t")
        style, _, file = rest.partition("\t")
        regular = style in ("Regular", "Book", "Roman")
        if family in names and file and (family not in best or regular and not best[family][0]):
            best[family] = (regular, file)
    return [best[n][1] for n in names if n in best]


@functools.lru_cache(maxsize=1)
def covered() -> frozenset[int] | None:
    """The code points some font of the document draws; None when no font can be found."""
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for file in font_files(families()):
        try:
            with TTFont(file, lazy=True, fontNumber=0) as font:
                points.update(font.getBestCmap() or {})
        except Exception:  # noqa: BLE001 - an unreadable font file draws nothing
            continue
    return frozenset(points) if points else None


@functools.lru_cache(maxsize=1)
def embedded(docx: Path = REFERENCE_DOCX) -> frozenset[int] | None:
    """The code points the faces embedded in the reference DOCX draw; None when it embeds none."""
    import io
    import zipfile

    from fontTools.ttLib import TTFont

    try:
        with zipfile.ZipFile(docx) as z:
            table = z.read("word/fontTable.xml").decode("utf-8")
            rels = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"',
                                   z.read("word/_rels/fontTable.xml.rels").decode("utf-8")))
            points: set[int] = set()
            for rid, key in re.findall(r'<w:embed\w+ r:id="(rId\d+)" w:fontKey="\{([0-9A-Fa-f-]+)\}"', table):
                data = bytearray(z.read("word/" + rels[rid]))
                k = bytes.fromhex(key.replace("-", ""))[::-1]
                for i in range(32):           # ECMA-376 Part 1 §17.8.1: the font part's obfuscation, undone
                    data[i] ^= k[i % 16]
                points.update(TTFont(io.BytesIO(bytes(data)), lazy=True).getBestCmap() or {})
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return frozenset(points) or None


def missing(text: str, points: frozenset[int]) -> dict[str, int]:
    """Each character of `text` no font draws, with the offset of its first occurrence."""
    found = {c: text.index(c) for c in set(text)
             if ord(c) > 0x7e and ord(c) not in points and unicodedata.category(c) not in _NOT_DRAWN}
    return dict(sorted(found.items(), key=lambda item: item[1]))


def describe(c: str, count: int) -> str:
    name = unicodedata.name(c, "")
    what = f"«{c}» (U+{ord(c):04X} {name})" if name else f"U+{ord(c):04X} (area a uso privato)"
    more = {1: "", 2: ", qui e un'altra volta nel file"}.get(count, f", qui e altre {count - 1} volte nel file")
    return (f"il carattere {what} non è in nessuno dei caratteri tipografici del documento{more}: nel PDF "
            "apparirebbe come un quadratino vuoto; sostituirlo con un carattere comune o toglierlo")


def describe_docx(c: str, count: int) -> str:
    return describe(c, count).replace("non è in nessuno dei caratteri tipografici del documento",
                                      "non è nei caratteri tipografici incorporati nel DOCX") \
        .replace("nel PDF apparirebbe", "in Word apparirebbe")


def _strings(data, path=()):
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _strings(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _strings(v, path + (i,))


def _chapter_loc(cap: Capitolo, offset: int) -> Loc:
    line = cap.body.count("\n", 0, offset)
    col = offset - (cap.body.rfind("\n", 0, offset) + 1) + 1
    return Loc(cap.file, cap.body_line + line, col)


def check_glyphs(plan: Plan) -> list[Problem]:
    points = covered()
    if points is None:
        return []
    word = embedded()

    def lacking(text: str) -> dict[str, tuple[int, bool]]:
        """Each character no font draws (False) or only the PDF's (True), with the offset of its first place."""
        found = {c: (offset, False) for c, offset in missing(text, points).items()}
        if word is not None:
            found.update({c: (offset, True) for c, offset in missing(text, word).items() if c not in found})
        return dict(sorted(found.items(), key=lambda item: item[1][0]))

    out = []
    for cap in plan.capitoli:
        for c, (offset, docx) in lacking(cap.body).items():
            out.append(avviso(_chapter_loc(cap, offset), "carattere-senza-glifo",
                              (describe_docx if docx else describe)(c, cap.body.count(c))))
    docs = [d for name, d in plan.docs.items() if name != "regole"] + [s.doc for s in plan.schede]
    for doc in docs:
        seen: dict[str, list] = {}
        for path, text in _strings(doc.data):
            for c, (_, docx) in lacking(text).items():
                seen.setdefault(c, [doc.loc(*path), 0, docx])[1] += text.count(c)
        out += [avviso(loc, "carattere-senza-glifo", (describe_docx if docx else describe)(c, n))
                for c, (loc, n, docx) in seen.items()]
    return out
