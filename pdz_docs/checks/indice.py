"""The regional index (`indice:` of the rules file) and the plan's headings: which heading stands for which
line of the index, and where the plan words it differently.

A chapter is the index's entry of its number (or of its id, when it has no number). Its «##» headings are
its sections in order: the first «##» is section 1, and so on; the «###» headings of a section whose index
entry lists sub-items (the areas of II.1, the items of IV.1 and IV.2) are those sub-items, in order. A plan
may add sections after the regional ones, and «###» headings after a section's sub-items: they are its own
and nobody compares them. The document builder reads the same pairing to make the table of contents
(document/builder.py); this module warns where a heading's words differ from the index's
[titolo-non-regionale], spaces, quotes and capitals aside.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TypeVar

from markdown_it import MarkdownIt

from pdz_docs.load.habits import intent
from pdz_docs.load.refs import paragraph_refusals
from pdz_docs.model import Capitolo, CapitoloIndice, Plan, Regole
from pdz_docs.problems import Loc, Problem, avviso

T = TypeVar("T")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'",
                         "“": '"', "”": '"', "«": '"', "»": '"', "„": '"'})


def same_words(a: str, b: str) -> bool:
    """Whether two titles say the same, spaces (invisible ones too), quotes («», “”, ’) and capitals aside."""
    def key(text: str) -> str:
        visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")   # reported by checks/glyphs.py
        return " ".join(visible.translate(_QUOTES).casefold().split())
    return key(a) == key(b)


def heading_level(written: int, previous: int) -> int:
    """The level a heading prints at: «#» is a section like «##» (the chapter's title is level 1), and no
    heading skips a level (PDF/UA-1 §7.4.2). The builder and this check apply the same rule."""
    return min(max(written, 2), previous + 1)


def index_lines(regole: Regole, entry: CapitoloIndice | None,
                headings: Iterable[tuple[int, str, T]]) -> list[tuple[int, str | None, T | None]]:
    """A chapter's lines of the table of contents, from its headings (printed level, title, what stands for
    it) in order: each «##» heading (level 2) and, under a section whose index entry lists sub-items, each
    sub-item (level 3). Each line has the index's wording (None for a section the index does not list: the
    plan's own) and the heading that stands for it (None for a sub-item with no «###» heading of its own)."""
    out: list[tuple[int, str | None, T | None]] = []
    sections = entry.sezioni if entry is not None else []
    pending: list[str] = []   # the current section's sub-items no «###» heading has met yet
    count = 0
    for level, title, heading in headings:
        if level == 2 and title:
            out.extend((3, voce, None) for voce in pending)
            count += 1
            sezione = sections[count - 1] if count <= len(sections) else None
            out.append((2, sezione.titolo if sezione else None, heading))
            pending = regole.voci(sezione) if sezione else []
        elif level == 3 and title and pending:
            out.append((3, pending.pop(0), heading))
    out.extend((3, voce, None) for voce in pending)
    return out


def _outline(cap: Capitolo) -> list[tuple[int, str, tuple[str, int]]]:
    """The chapter's headings as printed: (level, plain title, (plain title, 0-based body line))."""
    tokens = MarkdownIt("commonmark", {"html": False}).parse(intent(cap.body))
    out, previous = [], 1
    for i, t in enumerate(tokens):
        if t.type != "heading_open":
            continue
        level = previous = heading_level(int(t.tag[1]), previous)
        words = [c.content if c.type in ("text", "code_inline") else " " if c.type in ("softbreak", "hardbreak")
                 else "" for c in tokens[i + 1].children or []]
        title = re.sub(r"\s+", " ", "".join(words)).strip()
        out.append((level, title, (title, t.map[0] if t.map else 0)))
    return out


def check_titoli_regionali(plan: Plan) -> list[Problem]:
    """Chapter titles, section and sub-item headings worded as the regional index words them."""
    regole = plan.regole
    if regole is None or not regole.indice:
        return []
    out, seen = [], set()
    for cap in plan.capitoli:
        entry = regole.capitolo_indice(cap.meta.numero, cap.meta.id)
        key = cap.meta.numero or cap.meta.id
        # a second chapter of the same number is an error of its own (capitolo-duplicato); a chapter beyond
        # the paragraph limits is not parsed (checks/content.py)
        if entry is None or key in seen or paragraph_refusals(cap.body):
            continue
        seen.add(key)
        if not same_words(cap.meta.titolo, entry.titolo):
            out.append(_differs(cap.doc.loc("titolo"), "il titolo del capitolo", entry.titolo))
        for level, wording, heading in index_lines(regole, entry, _outline(cap)):
            if heading is not None and wording is not None and not same_words(heading[0], wording):
                what = "il titolo della sezione" if level == 2 else "il titolo della voce"
                out.append(_differs(Loc(cap.file, cap.body_line + heading[1], 1), what, wording))
    return out


def _differs(loc: Loc, what: str, wording: str) -> Problem:
    return avviso(loc, "titolo-non-regionale", f"{what} è diverso da quello dell'indice regionale "
                  f"(file delle regole, «indice»): scrivere «{wording}»")


CHECKS = [check_titoli_regionali]
