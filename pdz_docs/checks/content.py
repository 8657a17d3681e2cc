"""Content checks on chapters: paragraph size, images, links and table width, each refusal at its line.

The rules live in `load/refs.py` and `load/media.py`, which the renderer applies too:
what is reported here is exactly what the document would leave out. Every image is
decoded completely here (and its normalised picture cached), so the build never meets
a file it cannot read.
"""

from __future__ import annotations

import re
from pathlib import Path

from pdz_docs.checks.glyphs import check_glyphs
from pdz_docs.limits import quoted
from pdz_docs.load.habits import habit_notes
from pdz_docs.load.media import Refusal, load_picture
from pdz_docs.limits import MAX_TABLE_COLUMNS
from pdz_docs.model import Capitolo, Plan
from pdz_docs.load.refs import link_kind, link_refusal, paragraph_refusals, references, resolve_image
from pdz_docs.problems import Loc, Problem, avviso, errore


def _loc(cap: Capitolo, offset: int) -> Loc:
    body = cap.body
    line = body.count("\n", 0, offset)
    col = offset - (body.rfind("\n", 0, offset) + 1) + 1
    return Loc(cap.file, cap.body_line + line, col)


def _readable(cap: Capitolo) -> bool:
    # Addresses are looked for only in chapters within the paragraph limits (the search is linear there).
    return not paragraph_refusals(cap.body)


def check_chapter_paragraphs(plan: Plan) -> list[Problem]:
    return [errore(_loc(cap, offset), "paragrafo-troppo-lungo", why)
            for cap in plan.capitoli for offset, why in paragraph_refusals(cap.body)]


def check_chapter_images(plan: Plan) -> list[Problem]:
    out = []
    for cap in plan.capitoli:
        if "![" not in cap.body or not _readable(cap):
            continue
        base = plan.root / "capitoli"
        for ref in references(cap.body):
            if ref.kind == "img":
                image = resolve_image(ref.url, base, Path(plan.root))
                if image.path is None:
                    out.append(errore(_loc(cap, ref.offset), image.code, image.message))
                    continue
                picture = load_picture(image.path)
                if isinstance(picture, Refusal):
                    out.append(errore(_loc(cap, ref.offset), picture.code,
                                      f"immagine «{quoted(ref.url)}»: {picture.message}"))
    return out


_NO_DESCRIPTION = re.compile(r"!\[\s*\]\s*[(\[]")


def check_image_descriptions(plan: Plan) -> list[Problem]:
    """An image says what it shows to those who cannot see it (PDF/UA-1, WCAG 1.1.1)."""
    return [avviso(_loc(cap, m.start()), "immagine-senza-descrizione",
                   "l'immagine non ha una descrizione: scriverla tra le parentesi quadre, "
                   "es. ![Mappa dei Comuni dell'Ambito](../immagini/mappa.png); senza, il documento dice solo "
                   "«Immagine» e il nome del file")
            for cap in plan.capitoli if "![" in cap.body for m in _NO_DESCRIPTION.finditer(cap.body)]


def check_chapter_links(plan: Plan) -> list[Problem]:
    out = []
    for cap in plan.capitoli:
        if "](" not in cap.body and "]:" not in cap.body and "<" not in cap.body or not _readable(cap):
            continue
        for ref in references(cap.body):
            why = link_refusal(ref.url) if ref.kind == "link" else None
            if why:
                out.append(errore(_loc(cap, ref.offset), "link-non-ammesso", why))
            elif ref.kind == "link" and link_kind(ref.url) == "relativo":
                out.append(avviso(_loc(cap, ref.offset), "link-relativo",
                                  f"collegamento a «{quoted(ref.url)}»: un percorso non porta da nessuna parte in un "
                                  "documento stampato o inviato, e il collegamento è tolto (resta il testo); "
                                  "scrivere l'indirizzo completo (https://…) o un rimando a un punto del documento (#…)"))
    return out


def check_chapter_markdown(plan: Plan) -> list[Problem]:
    """Markdown a CommonMark preview would show otherwise, or whose intent is ambiguous (load/habits.py)."""
    return [avviso(Loc(cap.file, cap.body_line + note.line, 1), note.code, note.message)
            for cap in plan.capitoli if _readable(cap) for note in habit_notes(cap.body)]


# The line under a Markdown table's header: «| --- | :---: |»
_DELIMITER_ROW = re.compile(r" {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*")


def check_chapter_tables(plan: Plan) -> list[Problem]:
    """A table written in Markdown fits in Word, which opens no table of more than 63 columns."""
    out = []
    for cap in plan.capitoli:
        offset = 0
        for line in cap.body.split("\n"):
            if _DELIMITER_ROW.fullmatch(line):
                columns = line.strip().strip("|").count("|") + 1
                if columns > MAX_TABLE_COLUMNS:
                    out.append(errore(_loc(cap, offset), "tabella-troppo-larga",
                                      f"la tabella ha {columns} colonne: Word ne ammette al più {MAX_TABLE_COLUMNS}; "
                                      "dividerla in più tabelle"))
            offset += len(line) + 1
    return out


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")   # the line under a «sottolineato» title: = level 1, - level 2
_NOT_PARAGRAPH = re.compile(r"^(?: {4}|\t| {0,3}(?:>|[-*+](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)))")   # code, quote, item
_CARDS = re.compile(r"\{\{-?\s*schede\s*\(\s*\)\s*-?\}\}")   # the cards: each titled at level 3


def check_heading_levels(plan: Plan) -> list[Problem]:
    """Headings that skip a level: screen readers and the PDF/UA outline need 1, 2, 3 in order.

    The chapter title is level 1, so a chapter's `##` are level 2 and its first heading cannot be `###`.
    """
    out = []
    for cap in plan.capitoli:
        if paragraph_refusals(cap.body):   # a chapter the document cannot read is one error of its own
            continue
        level, fence, text = 1, "", False   # text: the previous line is a line of a paragraph
        for n, line in enumerate(cap.body.split("\n")):
            f = _FENCE.match(line)
            if fence or f:
                if fence and line.strip().startswith(fence):
                    fence = ""
                elif not fence:
                    fence = f.group(1)
                text = False
                continue
            h = _ATX.match(line)
            s = _SETEXT.match(line) if text else None
            text = (bool(line.strip()) and h is None and s is None and "|" not in line
                    and not _NOT_PARAGRAPH.match(line))
            if s is not None:   # «Titolo» underlined: a heading at the line of its words
                found, n = (1 if s.group(1)[0] == "=" else 2), n - 1
            elif h is None:
                if _CARDS.search(line):
                    if level < 2:
                        out.append(avviso(Loc(cap.file, cap.body_line + n, 1), "titolo-salta-livello",
                                          "le schede hanno titoli di livello 3 e qui seguono il titolo del "
                                          "capitolo: mettere prima un titolo «##»"))
                    level = 3
                continue
            else:
                found = len(h.group(1))
            loc = Loc(cap.file, cap.body_line + n, 1)
            if found == 1:
                written = "sottolineato con «===»" if s is not None else "«#»"
                out.append(avviso(loc, "titolo-salta-livello",
                                  f"titolo {written} nel testo: il livello 1 è il titolo del capitolo; "
                                  "i titoli del testo iniziano da «##»"))
            elif found > level + 1:
                wanted = "#" * (level + 1)
                out.append(avviso(loc, "titolo-salta-livello",
                                  f"titolo «{'#' * found}» dopo un titolo di livello {level}: salta un livello "
                                  f"e chi usa un lettore di schermo perde l'ordine del testo; scrivere «{wanted}»"))
            level = found
    return out


CHECKS = [
    check_chapter_paragraphs,
    check_chapter_images,
    check_chapter_links,
    check_image_descriptions,
    check_chapter_markdown,
    check_glyphs,
    check_chapter_tables,
    check_heading_levels,
]
