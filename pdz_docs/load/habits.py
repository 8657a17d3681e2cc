"""Markdown as office writers type it: the habits of CommonMark previews, read as meant.

The document builder reads chapters as CommonMark with GFM tables (markdown-it-py), as the
previews writers know do (GitHub, GitLab, VS Code). Where a writer's intent is plain but
CommonMark reads it otherwise, `intent` rewrites the line in place (the line numbers never
move): `##Titolo` without a space is a heading, a sub-item indented by 2 spaces under
«1. » is nested, a line starting with a pasted bullet («• ») is a list item. `habit_notes` lists, with their lines, the constructs whose intent is
ambiguous or that a CommonMark preview would show differently: the checks turn them into
located warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$")
# a bullet typed, or pasted from an email or a web page, where Markdown has «- » (Word's own bullets, in
# the private-use area, are list items already: load/pasted.py)
_PASTED_BULLET = re.compile(r"^( *)([•◦▪●■‣⁃·])[ \t]+(\S.*)$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING_NOSPACE = re.compile(r"^(#{1,6})([^#\s].*)$")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.M)
_LINK_DEF = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:", re.M)
_LINK_REF = re.compile(r"(?<![\]\\])\[([^\]\[^][^\]\[]*)\]\[([^\]\[]*)\]")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_HTML = re.compile(r"<!--|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_CODE_SPAN = re.compile(r"(`+).*?\1")
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


def _scan(lines: list[str]) -> tuple[dict[int, str], list[Note]]:
    """Line rewrites that spell the writer's intent (line numbers kept) and the notes worth a warning."""
    fixes: dict[int, str] = {}
    notes: list[Note] = []
    stack: list[tuple[int, int]] = []   # open list items: (marker indent, content offset)
    fence, fence_line = "", 0
    prev = ""                           # the previous source line
    in_footnote = False                 # inside a footnote definition, whose further paragraphs are indented
    for n, raw in enumerate(lines):
        line = raw.expandtabs(4) if raw.startswith("\t") and not fence else raw
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            prev = raw
            continue
        f = _FENCE.match(line)
        if f:
            fence, fence_line, stack = f.group(1), n, []
            prev = raw
            continue
        if not line.strip():
            prev = raw
            continue
        html = _HTML.search(_CODE_SPAN.sub("", line))
        if html:
            notes.append(Note(n, "html-come-testo",
                              f"«{html.group(0)[:30]}» è HTML: nel documento è stampato così com'è, come testo; "
                              "per il grassetto scrivere **testo**, per una nota che non si stampa {# … #}"))
        pasted = _PASTED_BULLET.match(line)
        if pasted:
            line = fixes[n] = f"{pasted.group(1)}- {pasted.group(3)}"
            notes.append(Note(n, "elenco-incollato",
                              f"«{pasted.group(2)}» all'inizio della riga (un elenco incollato da Word o da una "
                              "email) è letto come voce di elenco, ma altri programmi lo mostrano come testo "
                              "unito alla riga sopra: scrivere «- » al suo posto"))
        item = _ITEM.match(line)
        if item:
            indent = len(item.group(1))
            # a tab after the marker goes to the next tab stop, as CommonMark counts it («-\t» is 4 columns)
            gap = len(line[:item.end(3)].expandtabs(4)) - indent - len(item.group(2))
            offset = indent + len(item.group(2)) + max(1, min(gap, 4))
            if not stack:
                if _is_text(prev) and not _can_interrupt(item):
                    prev = raw
                    continue
                stack = [(indent, offset)]
            elif indent >= stack[-1][0] + 2:
                if indent < stack[-1][1]:
                    notes.append(Note(n, "lista-rientro",
                                      f"sotto-voce rientrata di {indent} spazi: è letta come sotto-voce della voce "
                                      f"precedente, ma altri programmi la leggono come un nuovo elenco; rientrarla "
                                      f"di {stack[-1][1]} spazi"))
                    fixes[n] = " " * stack[-1][1] + line.lstrip(" ")
                    offset += stack[-1][1] - indent
                    indent = stack[-1][1]
                stack.append((indent, offset))
            else:
                while len(stack) > 1 and indent < stack[-1][0]:
                    stack.pop()
                stack[-1] = (indent, offset)
            prev = raw
            continue
        indent = len(line) - len(line.lstrip(" "))
        if stack:
            if prev.strip() or any(indent >= offset for _, offset in stack):
                prev = raw                    # more of an item: lazy continuation or a further paragraph
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
        h = _HEADING_NOSPACE.match(line)
        if h and len(h.group(1)) == 1:
            notes.append(Note(n, "titolo-senza-spazio",
                              f"«#{h.group(2)[:30]}» all'inizio della riga è stampato come testo; "
                              f"se è un titolo, scrivere «## {h.group(2)[:30]}»"))
        elif h:
            notes.append(Note(n, "titolo-senza-spazio",
                              f"manca lo spazio dopo «{h.group(1)}»: il titolo è letto come tale, ma altri programmi "
                              f"lo mostrano come testo; scrivere «{h.group(1)} {h.group(2)[:30]}»"))
            fixes[n] = f"{h.group(1)} {h.group(2)}"
        if "|" in line and n + 1 < len(lines) and _DELIMITER.match(lines[n + 1]) and "|" in lines[n + 1]:
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
        prev = raw
    if fence:
        notes.append(Note(fence_line, "codice-non-chiuso",
                          f"blocco di codice aperto con «{fence}» e mai chiuso: chiuderlo con «{fence}» "
                          "su una riga a sé"))
    return fixes, notes


def blank_comments(text: str) -> str:
    """The chapter without its Jinja comments ({# … #}), which never reach the document; line count kept."""
    return _JINJA_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def intent(text: str) -> str:
    """The chapter as the document reads it, line for line: comments blanked, «##Titolo» and under-indented
    sub-items spelt as CommonMark needs them (the writer's line numbers never move)."""
    lines = blank_comments(text).split("\n")
    for n, line in _scan(lines)[0].items():
        lines[n] = line
    return "\n".join(lines)


def habit_notes(text: str) -> list[Note]:
    """The constructs of a chapter that deserve a warning, with their 0-based lines.

    `text` is the chapter as written: its Jinja comments ({# … #}) are blanked first, line
    count kept, since they never reach the document.
    """
    text = blank_comments(text)
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
