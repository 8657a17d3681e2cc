"""Markdown as office writers type it: the habits of CommonMark previews, read as meant.

Python-Markdown (the project's reader) follows the original Markdown rules, which differ
from the previews writers know (GitHub, GitLab, VS Code: CommonMark with GFM tables):

- a list or a table right under a line of text, with no blank line, is a list or a table
  (CommonMark 0.31 §5.2–5.3: a list may interrupt a paragraph, an ordered one only when it
  starts at 1; GFM §4.10: a table may too);
- sub-items are nested when indented under their parent by 2 or 3 spaces, not only 4;
- `##Titolo` without a space is read as a heading (CommonMark would print the «##»).

`normalise` rewrites a chapter so that Python-Markdown reads these as CommonMark does
(inserting blank lines, re-indenting nested items to four spaces a level); it is applied
by the renderer only, after the checks, so the writer's line numbers never move.
`habit_notes` lists, with their lines, the constructs whose intent is ambiguous or that a
CommonMark preview would show differently: the checks turn them into located warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING_NOSPACE = re.compile(r"^(#{1,6})([^#\s].*)$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_ATX_ONE = re.compile(r"^ {0,3}#(?=[ \t])")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.M)
_LINK_DEF = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:", re.M)
_LINK_REF = re.compile(r"(?<![\]\\])\[([^\]\[^][^\]\[]*)\]\[([^\]\[]*)\]")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_DELIMITER = re.compile(r"^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Note:
    """A construct worth a warning: 0-based line of the chapter body, problem code, Italian message."""

    line: int
    code: str
    message: str


def _cells(line: str) -> int:
    """How many cells a table row has (GFM: outer pipes optional, «\\|» is not a separator)."""
    row = re.sub(r"\\\|", "", line.strip())
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") else row
    return row.count("|") + 1


def _is_text(line: str) -> bool:
    """A line of paragraph text (what a list or a table may follow without a blank line)."""
    s = line.strip()
    return bool(s) and not s.startswith(("#", ">", "|")) and _ITEM.match(line) is None and not _FENCE.match(line)


def _can_interrupt(m: re.Match) -> bool:
    marker, content = m.group(2), m.group(4)
    if not content.strip():
        return False
    return not marker[0].isdigit() or int(marker[:-1]) == 1


def _scan(lines: list[str]) -> tuple[list[str], list[Note]]:
    out: list[str] = []
    notes: list[Note] = []
    stack: list[tuple[int, int]] = []   # open list items: (marker indent, content offset)
    fence, fence_line = "", 0
    skip = False                        # the line is the underline of a setext heading already written
    prev = ""                           # the previous source line
    in_item_paragraph = False           # the previous line continued a further paragraph of an item
    in_footnote = False                 # inside a footnote definition, whose further paragraphs are indented
    for n, raw in enumerate(lines):
        line = raw.expandtabs(4) if raw.startswith("\t") and not fence else raw
        nxt = lines[n + 1] if n + 1 < len(lines) else ""
        if skip:
            skip = False
            out.append("")
            prev = ""
            continue
        if fence:
            out.append(raw)
            if line.strip().startswith(fence):
                fence = ""
            prev = raw
            continue
        f = _FENCE.match(line)
        if f:
            fence, fence_line, stack = f.group(1), n, []
            out.append(raw)
            prev = raw
            continue
        if not line.strip():
            out.append(raw)
            prev = raw
            continue
        item = _ITEM.match(line)
        was_item_paragraph, in_item_paragraph = in_item_paragraph, False
        if item and stack and was_item_paragraph and prev.strip():
            out.append("")                     # Python-Markdown would read the item as more of the paragraph
        if item:
            indent = len(item.group(1))
            offset = indent + len(item.group(2)) + max(1, min(len(item.group(3).expandtabs(4)), 4))
            if not stack:
                if _is_text(prev) and not (indent >= 4 and not prev.strip()):
                    if not _can_interrupt(item):
                        out.append(raw)
                        prev = raw
                        continue
                    out.append("")
                stack = [(indent, offset)]
            elif indent >= stack[-1][0] + 2:
                if indent < stack[-1][1]:
                    notes.append(Note(n, "lista-rientro",
                                      f"sotto-voce rientrata di {indent} spazi: è letta come sotto-voce della voce "
                                      f"precedente, ma altri programmi la leggono come un nuovo elenco; rientrarla "
                                      f"di {stack[-1][1]} spazi"))
                stack.append((indent, offset))
            else:
                while len(stack) > 1 and indent < stack[-1][0]:
                    stack.pop()
                stack[-1] = (indent, offset)
            marker = item.group(2)[:-1] + "." if item.group(2).endswith(")") else item.group(2)
            out.append("    " * (len(stack) - 1) + marker + " " + _hard(item.group(4), nxt))
            prev = raw
            continue
        indent = len(line) - len(line.lstrip(" "))
        if stack:
            if prev.strip():
                out.append(_hard(line.lstrip(), nxt))   # lazy continuation of the item's paragraph
                in_item_paragraph = was_item_paragraph
                prev = raw
                continue
            owners = [i for i, (_, offset) in enumerate(stack) if indent >= offset]
            if owners:                                # a further paragraph of an item
                out.append("    " * (owners[-1] + 1) + _hard(line.lstrip(), nxt))
                in_item_paragraph = True
                prev = raw
                continue
            stack = []
        if _FOOTNOTE_DEF.match(line):
            in_footnote = True
        elif indent < 4:
            in_footnote = False
        if indent >= 4 and not prev.strip() and not in_footnote:
            notes.append(Note(n, "paragrafo-rientrato",
                              "paragrafo rientrato (tabulazione o 4 spazi): è stampato come codice, in carattere "
                              "a larghezza fissa e senza andare a capo; togliere il rientro"))
        if _SETEXT.match(nxt) and _is_text(line) and not _is_text(prev) and indent < 4 and "|" not in line:
            line, skip = "## " + line.strip(), True     # «Titolo» over «----» or «====»: a section, numbered
        elif _ATX_ONE.match(line):
            line = "#" + line.lstrip()                    # the chapter title is level 1: «#» in the text is a section
        h = _HEADING_NOSPACE.match(line)
        if h and len(h.group(1)) == 1:
            notes.append(Note(n, "titolo-senza-spazio",
                              f"«#{h.group(2)[:30]}» all'inizio della riga è stampato come testo; "
                              f"se è un titolo, scrivere «## {h.group(2)[:30]}»"))
            line, h = "\\" + line, None
        if h:
            notes.append(Note(n, "titolo-senza-spazio",
                              f"manca lo spazio dopo «{h.group(1)}»: il titolo è letto come tale, ma altri programmi "
                              f"lo mostrano come testo; scrivere «{h.group(1)} {h.group(2)[:30]}»"))
            line = f"{h.group(1)} {h.group(2)}"
        if "|" in line and n + 1 < len(lines) and _DELIMITER.match(lines[n + 1]) and "|" in lines[n + 1]:
            if _is_text(prev):
                out.append("")
            header = _cells(line)
            if _cells(lines[n + 1]) == header:
                for k in range(n + 2, len(lines)):
                    if not lines[k].strip() or "|" not in lines[k]:
                        break
                    if _cells(lines[k]) > header:
                        notes.append(Note(k, "tabella-celle-in-piu",
                                          f"la riga ha {_cells(lines[k])} celle ma l'intestazione {header}: "
                                          f"le celle in più non sono stampate; aggiungere colonne all'intestazione "
                                          f"o scrivere «\\|» per una barra dentro una cella"))
        out.append(_hard(line, nxt) if indent < 4 else line)
        prev = raw
    if fence:
        notes.append(Note(fence_line, "codice-non-chiuso",
                          f"blocco di codice aperto con «{fence}» e mai chiuso: chiuderlo con «{fence}» "
                          "su una riga a sé"))
    return out, notes


def _hard(line: str, nxt: str) -> str:
    """A line ending with «\\» before more text of its paragraph: a hard line break, as CommonMark reads it."""
    if line.endswith("\\") and not line.endswith("\\\\") and nxt.strip():
        return line[:-1] + "  "
    return line


def normalise(text: str) -> str:
    """The chapter rewritten so that Python-Markdown reads it as a CommonMark preview would.

    Headings never skip a level in the document (PDF/UA-1, ISO 14289-1 §7.4.2): a «####» right
    under a «##» is printed as a «###»; the checks warn about it at its line (titolo-salta-livello).
    """
    return "\n".join(_clamp_headings(_scan(text.split("\n"))[0]))


def _clamp_headings(lines: list[str]) -> list[str]:
    level, fence = 1, ""          # the chapter title is level 1
    out = []
    for line in lines:
        f = _FENCE.match(line)
        if fence:
            fence = "" if line.strip().startswith(fence) else fence
        elif f:
            fence = f.group(1)
        else:
            h = re.match(r"(#{1,6})(?=[ \t])", line)
            if h:
                wanted = min(len(h.group(1)), level + 1)
                line, level = "#" * wanted + line[len(h.group(1)):], wanted
        out.append(line)
    return out


def habit_notes(text: str) -> list[Note]:
    """The constructs of a chapter that deserve a warning, with their 0-based lines.

    `text` is the chapter as written: its Jinja comments ({# … #}) are blanked first, line
    count kept, since they never reach the document.
    """
    text = _JINJA_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    notes = _scan(text.split("\n"))[1]
    defined = set(_FOOTNOTE_DEF.findall(text))
    seen: set[str] = set()
    for m in _FOOTNOTE_DEF.finditer(text):
        if m.group(1) in seen:
            notes.append(Note(text.count("\n", 0, m.start()), "nota-ripetuta",
                              f"il testo della nota «[^{m.group(1)}]» è scritto due volte: si stampa solo "
                              "l'ultimo; dare un nome diverso a ciascuna nota"))
        seen.add(m.group(1))
    labels = {m.group(1).strip().lower() for m in _LINK_DEF.finditer(text)}
    for m in _LINK_REF.finditer(text):
        label = (m.group(2) or m.group(1)).strip().lower()
        if label not in labels:
            notes.append(Note(text.count("\n", 0, m.start()), "link-senza-indirizzo",
                              f"il collegamento «[{m.group(1)}][{m.group(2)}]» non ha la riga "
                              f"«[{m.group(2) or m.group(1)}]: https://…» con l'indirizzo: è stampato così com'è"))
    for m in _FOOTNOTE_REF.finditer(text):
        if m.group(1) not in defined:
            notes.append(Note(text.count("\n", 0, m.start()), "nota-senza-testo",
                              f"il richiamo di nota «[^{m.group(1)}]» non ha il testo della nota: aggiungere una "
                              f"riga «[^{m.group(1)}]: testo della nota», altrimenti è stampato così com'è"))
    return sorted(notes, key=lambda note: note.line)
