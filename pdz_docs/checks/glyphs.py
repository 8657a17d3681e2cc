"""Every printed character has a glyph: a located warning instead of an empty box.

The PDF and the DOCX draw text with the fonts the stylesheet names
(`templates/piano.css`: DejaVu Serif and Sans, Liberation Serif and Sans). A character
none of them has is printed as an empty box, or drawn from whatever other font the
machine happens to have. Each such character of a chapter or of a printed YAML text
is reported once per file, at its first place, named by its code and Unicode name.

The fonts are found as WeasyPrint finds them, through fontconfig (one `fc-list`), and
their character maps are read with fontTools once per process. Where no font can be
found (no fontconfig) nothing is reported: a check that cannot know stays silent.
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
    out = []
    for cap in plan.capitoli:
        for c, offset in missing(cap.body, points).items():
            out.append(avviso(_chapter_loc(cap, offset), "carattere-senza-glifo", describe(c, cap.body.count(c))))
    docs = [d for name, d in plan.docs.items() if name != "regole"] + [s.doc for s in plan.schede]
    for doc in docs:
        seen: dict[str, list] = {}
        for path, text in _strings(doc.data):
            for c in missing(text, points):
                seen.setdefault(c, [doc.loc(*path), 0])[1] += text.count(c)
        out += [avviso(loc, "carattere-senza-glifo", describe(c, n)) for c, (loc, n) in seen.items()]
    return out
