"""Safe YAML reading that keeps the file:line:col of every value.

The result is plain Python data (dict, list, str, int, bool, date, None, and
`YamlFloat` for floats, kept as text) plus a map from each value's path to its
location. A key is a name: one that YAML would read as yes/no, empty or a date
(`yes:`, `~:`, `2021-01-01:`) is kept as the text written. Duplicate keys (two keys
the models read alike, such as `2023:`, `"2023":` and `2_023:`, included), explicit
non-standard tags, anchors/aliases, too deep nesting, too many values, non-UTF-8
text, control characters, oversized files and anything that is not a regular file
are problems, never exceptions. Limits are in `pdz_docs.limits`.

Parsing uses libyaml's event parser when PyYAML has it (about ten times faster than
the pure-Python scanner) and always composes nodes in Python, so that aliases, depth
and size are refused while composing, before anything is built.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent

from pdz_docs.finance.money import YamlFloat
from pdz_docs.limits import (MAX_FILE_BYTES, MAX_PROBLEMS_PER_FILE, MAX_YAML_DEPTH, MAX_YAML_NODES,
                             quoted)
from pdz_docs.load.pasted import read_word_symbols
from pdz_docs.model.plan import Path_, YamlDoc
from pdz_docs.names import NOT_PRINTABLE as _NOT_PRINTABLE
from pdz_docs.problems import Loc, Problem, avviso, errore, nota

try:
    from yaml.cyaml import CParser as _EventParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _EventParser = None

MAX_BYTES = MAX_FILE_BYTES   # older names, kept for callers
MAX_DEPTH = MAX_YAML_DEPTH
STD_TAG = "tag:yaml.org,2002:"
ALLOWED_TAGS = {STD_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
# Characters pasted from word processors and web pages that look like a space, or like
# nothing, but that YAML does not read as a space: named in the message that they cause.
INVISIBLE = {
    "\u00a0": "spazio non separabile", "\u202f": "spazio stretto non separabile", "\u2007": "spazio per cifre",
    "\u200b": "spazio a larghezza zero", "\u200c": "separatore a larghezza zero",
    "\u200d": "unione a larghezza zero", "\u2060": "unione di parola", "\ufeff": "segno BOM fuori dall'inizio del file",
}
# Typographic quotes, which YAML reads as ordinary letters, not as quotes around a text.
TYPOGRAPHIC_QUOTES = "\u201c\u201d\u201e\u2018\u2019\u201a\u00ab\u00bb"
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# Bidirectional controls change the order in which a text is shown, so that what a reader sees is
# not what is written: refused in every text of the plan and in its file names.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI}]")
_HIDING = re.compile(f"[{BIDI}\u200b\u200c\u200d\u2060\ufeff]")
_DECIMAL_INT = re.compile(r"[-+]?[0-9][0-9_]*")
# A key the models read as a whole number (pydantic accepts spaces, a sign, «_» and «.0»)
_INT_KEY = re.compile(r"\s*([-+]?[0-9][0-9_]*)(?:\.0*)?\s*")
# Scalars whose value is not the text written (yes → True, 2021-12-31T10:00 → datetime): the
# text is kept to quote it back, and a key of these kinds stays that text.
_AS_WRITTEN = {STD_TAG + t for t in ("bool", "null", "timestamp")}
_MAX_INT_DIGITS = 100  # longer integers stay text: the field's own check refuses them

class _Refused(yaml.MarkedYAMLError):
    """A construct refused while composing; `code` is the problem code."""

    def __init__(self, code: str, message: str, mark):
        super().__init__(None, None, message, mark)
        self.code = code


class _Composer(yaml.composer.Composer):
    """Composition that refuses aliases ('billion laughs'), deep nesting and too many values."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise _Refused("yaml-alias", "alias YAML («*nome») non ammessi: ripetere il contenuto", event.start_mark)
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise _Refused("file-troppo-grande", f"il file contiene più di {MAX_YAML_NODES:,} valori".replace(",", "."),
                           event.start_mark)
        collection = isinstance(event, (MappingStartEvent, SequenceStartEvent))
        if collection:
            self._depth += 1
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused("yaml-annidamento", f"struttura YAML troppo annidata (oltre {MAX_YAML_DEPTH} livelli)",
                               event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            if collection:
                self._depth -= 1


class _PyLoader(_Composer, yaml.SafeLoader):
    """Pure-Python scanner and parser (when libyaml is missing)."""


if _EventParser is not None:
    class _CLoader(_Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver, _EventParser):
        """libyaml's event parser, composed and constructed in Python."""

        def __init__(self, stream: str):
            _EventParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _Loader: type = _CLoader
else:  # pragma: no cover
    _Loader = _PyLoader


def read_text(path: Path, label: str, max_bytes: int = MAX_FILE_BYTES) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 text file (BOM and CRLF accepted), with problems for anything else."""
    try:
        st = os.stat(path)  # follows symlinks; a loop is an OSError too
        if not stat.S_ISREG(st.st_mode):
            return None, [errore(Loc(label), "file-illeggibile",
                                 "non è un file di testo (è una cartella o un file speciale)")]
        if st.st_size > max_bytes:
            return None, [_too_big(label, max_bytes)]
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)  # the file may have grown since
    except OSError as exc:
        return None, [errore(Loc(label), "file-illeggibile", f"impossibile leggere il file{_os_reason(exc)}")]
    if len(raw) > max_bytes:
        return None, [_too_big(label, max_bytes)]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [errore(Loc(label, 1, 1), "file-non-utf8",
                             "il file è in codifica UTF-16: salvarlo come UTF-8 dall'editor")]
    nul = raw.find(b"\x00")
    if nul >= 0:  # no text encoding but UTF-16/32 has NUL bytes: binary data
        line = raw.count(b"\n", 0, nul) + 1
        return None, [errore(Loc(label, line, nul - raw.rfind(b"\n", 0, nul)), "file-binario",
                             "il file contiene dati binari, non testo")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1: exc.start].decode("utf-8", "replace")) + 1
        return None, [errore(Loc(label, line, col), "file-non-utf8",
                             "il file non è in codifica UTF-8: salvarlo come UTF-8 dall'editor")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        return None, [errore(Loc(label, line, col), "file-binario",
                             f"il file contiene il carattere di controllo U+{ord(bad.group()):04X}, "
                             "non ammesso in un file di testo (dati binari?)")]
    return text, []


_OS_REASONS = {  # the operating system's reason, which it gives in English
    errno.ELOOP: "collegamento simbolico che rimanda a se stesso",
    errno.EACCES: "permesso negato",
    errno.EPERM: "permesso negato",
    errno.ENOENT: "il file non esiste",
    errno.ENAMETOOLONG: "nome troppo lungo",
    errno.EIO: "errore di lettura del disco",
}


def _os_reason(exc: OSError) -> str:
    reason = _OS_REASONS.get(exc.errno)
    return f" ({reason})" if reason else ""


def _too_big(label: str, max_bytes: int) -> Problem:
    size = f"{max_bytes // (1024 * 1024)} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
    return errore(Loc(label), "file-troppo-grande", f"il file supera il limite di {size}")


def load_yaml(path: Path, label: str, text: str | None = None, line_offset: int = 0) -> tuple[YamlDoc, list[Problem]]:
    """Load one YAML document; `line_offset` shifts lines (front matter inside Markdown)."""
    doc = YamlDoc(label)
    if text is None:
        text, problems = read_text(path, label)
        if text is None:
            return doc, problems
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return doc, [errore(Loc(label, 1, 1), "file-vuoto", "il file è vuoto")]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        return doc, [errore(_mark_loc(exc.problem_mark, label, line_offset), exc.code, exc.problem)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and _flow_depth(text[:mark.index]) > MAX_YAML_DEPTH:
            # libyaml stops deep flow nesting on its own, before composition reaches our limit
            return doc, [errore(_mark_loc(mark, label, line_offset), "yaml-annidamento",
                                f"struttura YAML troppo annidata (oltre {MAX_YAML_DEPTH} livelli)")]
        return doc, [_yaml_error(exc, label, line_offset, text)]
    except RecursionError:  # pragma: no cover - depth is refused while composing
        return doc, [errore(Loc(label, 1, 1), "yaml-annidamento", "struttura YAML troppo annidata")]
    except yaml.YAMLError as exc:  # pragma: no cover - control characters are refused by read_text
        return doc, [errore(Loc(label, 1, 1), "yaml-sintassi", "YAML non valido")]
    finally:
        loader.dispose()
    if node is None:
        return doc, [errore(Loc(label, 1, 1), "file-vuoto", "il file è vuoto")]
    problems: list[Problem] = []
    conv = _Converter(doc, loader, problems, line_offset)
    doc.data = conv.convert(node, ())
    return doc, cap_problems(problems, label)


def cap_problems(problems: list[Problem], label: str) -> list[Problem]:
    """At most MAX_PROBLEMS_PER_FILE problems of one file, then a note saying how many more."""
    if len(problems) <= MAX_PROBLEMS_PER_FILE:
        return problems
    return problems[:MAX_PROBLEMS_PER_FILE] + [omitted(label, len(problems) - MAX_PROBLEMS_PER_FILE)]


def omitted(label: str, n: int) -> Problem:
    return nota(Loc(label), "altri-problemi",
                f"altri {n} problemi in questo file non sono mostrati: correggere i primi e rilanciare")


def _mark_loc(mark, label: str, offset: int) -> Loc:
    return Loc(label, mark.line + 1 + offset, mark.column + 1) if mark else Loc(label, 1, 1)


def char_name(c: str) -> str:
    """«spazio non separabile (U+00A0)»: how a message names a pasted character."""
    if c in BIDI:  # never printed itself: it would reorder the message
        return f"un carattere di controllo della direzione del testo (U+{ord(c):04X})"
    return f"{INVISIBLE[c]} (U+{ord(c):04X})" if c in INVISIBLE else f"«{c}» (U+{ord(c):04X})"


def _bidi_problem(loc: Loc, c: str) -> Problem:
    return errore(loc, "carattere-non-ammesso",
                  f"{char_name(c)}: cambia l'ordine in cui il testo è mostrato, così ciò che si legge non è ciò "
                  "che è scritto; cancellarlo")


def hidden_in_name(name: str) -> str | None:
    """The first character of a file name that hides or reorders part of it (bidi, zero width), if any."""
    m = _HIDING.search(name)
    return m.group() if m else None


def shown_hidden(name: str) -> str:
    """`name` with its hiding characters spelt as codes (\\u202e), safe to print."""
    return _HIDING.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def running_text_characters(text: str, label: str, first_line: int) -> list[Problem]:
    """In a running text (a chapter's body, starting at `first_line` of its file): each bidirectional
    control is an error and a zero-width character a warning, at its line and column (one per line)."""
    out: list[Problem] = []
    last = 0
    for m in _HIDING.finditer(text):
        line = first_line + text.count("\n", 0, m.start())
        if line == last:
            continue
        last = line
        loc = Loc(label, line, m.start() - text.rfind("\n", 0, m.start()))
        if m.group() in BIDI:
            out.append(_bidi_problem(loc, m.group()))
        else:
            out.append(avviso(loc, "carattere-invisibile",
                              f"{char_name(m.group())} nel testo: non si vede, ma divide la parola o il numero in "
                              "cui si trova; cancellarlo"))
    return cap_problems(out, label)


def _pasted_characters(line: str) -> list[tuple[int, str]]:
    """(column, character) of the pasted characters of a YAML line that stand where YAML expects
    its own signs: in the indentation, in a key, around the «:» after it, after a «-», or a
    typographic quote opening a value."""
    found = []
    colon = line.find(":")
    # a line without «:» (an item of a list, a text going on): only its indentation and «- » count
    key_end = colon if colon >= 0 else len(line) - len(line.lstrip(" -" + "".join(INVISIBLE)))
    after = colon + 1
    while 0 <= colon and after < len(line) and (line[after] in INVISIBLE or line[after] == " "):
        after += 1
    for i, c in enumerate(line):
        if c in INVISIBLE and (i < key_end or i < after):
            found.append((i, c))
    value = re.match(r"[ ]*(?:-[ ]+)*", line).end()
    if 0 <= colon and value <= colon:
        value = after
    if value < len(line) and line[value] in TYPOGRAPHIC_QUOTES:
        found.append((value, line[value]))
    return sorted(found)


def _pasted_character_problem(text: str, mark, label: str, offset: int) -> Problem | None:
    """A syntax error at `mark` explained by a pasted character on its line or the few lines before it."""
    lines = text.split("\n")
    last = min(mark.line, len(lines) - 1)
    for n in range(last, max(-1, last - 4), -1):
        hits = [h for h in _pasted_characters(lines[n]) if n < mark.line or h[0] <= mark.column]
        if hits:
            col, c = hits[0]
            loc = Loc(label, n + 1 + offset, col + 1)
            if c in TYPOGRAPHIC_QUOTES:
                return errore(loc, "virgolette-tipografiche",
                              f"virgolette tipografiche {char_name(c)}: YAML non le riconosce come virgolette; "
                              "per racchiudere un testo usare le virgolette diritte \" oppure '")
            return errore(loc, "carattere-invisibile",
                          f"{char_name(c)}: YAML non lo riconosce come spazio né come separatore; cancellarlo "
                          "(e, se serve, scrivere al suo posto uno spazio normale)")
    return None


def _yaml_error(exc: yaml.MarkedYAMLError, label: str, offset: int, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    loc = _mark_loc(mark, label, offset)
    opened = exc.context_mark if "quoted scalar" in (exc.context or "") else None
    if opened is not None:   # a text opened with a straight quote and closed with a typographic one
        line = text.split("\n")[opened.line]
        close = next((i for i in range(len(line) - 1, opened.column, -1) if line[i] in TYPOGRAPHIC_QUOTES), -1)
        if close >= 0:
            return errore(Loc(label, opened.line + 1 + offset, close + 1), "virgolette-tipografiche",
                          f"il testo aperto con le virgolette {line[opened.column]} è chiuso con le virgolette "
                          f"tipografiche {char_name(line[close])}, che YAML non riconosce: usare {line[opened.column]} "
                          "anche in chiusura")
    if mark is not None:
        pasted = _pasted_character_problem(text, mark, label, offset)
        if pasted is not None:
            return pasted
    problem = (exc.problem or "").strip()
    at = ""
    if mark is not None:
        lines = text.split("\n")
        if mark.line < len(lines) and mark.column < len(lines[mark.line]):
            at = lines[mark.line][mark.column]
    if "\\t" in problem or "tab character" in problem or at == "\t":
        return errore(loc, "yaml-tab", "carattere di tabulazione: per l'indentazione usare solo spazi")
    if problem.startswith("found unacceptable character") or "special characters are not allowed" in problem:
        return errore(loc, "file-binario", "il file contiene caratteri non ammessi (dati binari?)")
    # PyYAML's and libyaml's wordings of the same mistakes
    hints = {
        "mapping values are not allowed": "«:» inatteso: un testo che contiene «: » va scritto tra virgolette, "
                                          "oppure l'indentazione è sbagliata",
        "could not find expected ':'": "manca «:» dopo una chiave, oppure l'indentazione è sbagliata",
        "did not find expected key": "indentazione sbagliata: le chiavi di uno stesso livello devono essere allineate",
        "did not find expected '-' indicator": "indentazione sbagliata in un elenco: "
                                               "le voci «- » devono essere allineate",
        "did not find expected ',' or": "parentesi [ ] o { } non chiusa, oppure manca una virgola fra le voci",
        "expected ',' or": "parentesi [ ] o { } non chiusa, oppure manca una virgola fra le voci",
        "found undefined alias": "alias YAML («*nome») non ammessi",
        "found unexpected end of stream": "il file finisce prima del previsto (virgolette o parentesi non chiuse?)",
        "found unknown escape character": "sequenza «\\» non valida in un testo tra virgolette doppie",
        "but found another document": "il file contiene più documenti separati da «---»: ne è ammesso uno solo",
        "found character that cannot start any token": f"un valore non può iniziare con «{at}»: "
                                                       "scrivere il testo tra virgolette",
        "block sequence entries are not allowed": "elenco «- » fuori posto: controllare l'indentazione",
    }
    for key, msg in hints.items():
        if problem.startswith(key) or key in problem:
            return errore(loc, "yaml-sintassi", msg)
    return errore(loc, "yaml-sintassi", "YAML non valido a questo punto: controllare indentazione, «:», "
                                        "virgolette e parentesi")


def _flow_depth(text: str) -> int:
    """The deepest nesting of flow brackets ([ ], { }) in `text`, outside quoted scalars and comments."""
    depth = deepest = 0
    quote = ""
    for line in text.split("\n"):
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"" and (i == 0 or line[i - 1] in " \t[{,:"):
                quote = ch
            elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
                break
            elif ch in "[{":
                depth += 1
                deepest = max(deepest, depth)
            elif ch in "]}":
                depth = max(depth - 1, 0)
    return deepest


class _Converter:
    def __init__(self, doc: YamlDoc, loader, problems: list[Problem], offset: int):
        self.doc, self.loader, self.problems, self.offset = doc, loader, problems, offset

    def loc(self, node: yaml.Node) -> Loc:
        m = node.start_mark
        return Loc(self.doc.file, m.line + 1 + self.offset, m.column + 1)

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.doc.locs[path] = self.loc(node)
        if node.tag not in ALLOWED_TAGS:
            self.problems.append(self.bad_tag(node))
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            seen: dict = {}   # the key as the models read it → the key as written
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(errore(self.loc(key_node), "yaml-chiave",
                                                "una chiave deve essere un testo semplice"))
                    continue
                if key_node.tag == STD_TAG + "merge":
                    self.problems.append(errore(self.loc(key_node), "yaml-chiave",
                                                "la chiave «<<» (unione di mappe YAML) non è ammessa: "
                                                "scrivere le chiavi una per una"))
                    continue
                if key_node.tag not in ALLOWED_TAGS:
                    self.problems.append(self.bad_tag(key_node))
                    continue
                key = key_node.value if key_node.tag in _AS_WRITTEN else self.scalar(key_node, key=True)
                if isinstance(key, YamlFloat):
                    key = str(key)
                if isinstance(key, str) and any(c in INVISIBLE for c in key):
                    # Reported once, here, at the character; the key is then read without it.
                    i, c = next((i, c) for i, c in enumerate(key) if c in INVISIBLE)
                    at = self.loc(key_node)
                    self.problems.append(errore(Loc(at.file, at.line, at.col + i if not key_node.style else at.col),
                                                "carattere-invisibile",
                                                f"{char_name(c)} nella chiave «{quoted(key.strip(''.join(INVISIBLE)))}»: "
                                                "cancellarlo"))
                    key = "".join(ch for ch in key if ch not in INVISIBLE).strip()
                if _same_key(key) in seen:
                    other = seen[_same_key(key)]
                    first = self.doc.key_locs.get(path + (other,))
                    line = first.line if first else "?"
                    written = key if isinstance(key, str) else key_node.value
                    alike = "" if str(other) == written else f"vale come «{quoted(other)}», "
                    self.problems.append(errore(self.loc(key_node), "yaml-chiave-duplicata",
                                                f"chiave «{quoted(written)}» ripetuta ({alike}già presente alla riga {line})"))
                    continue
                if (node.flow_style and isinstance(key, int) and isinstance(value_node, yaml.ScalarNode)
                        and value_node.value == "" and out and isinstance(list(out.values())[-1], (str, int))):
                    self.problems.append(errore(self.loc(key_node), "yaml-virgola",
                                                "tra parentesi graffe la virgola separa le voci: scrivere l'importo "
                                                "tra virgolette, es. \"€ 1.234,56\", oppure una voce per riga"))
                    continue
                self.doc.key_locs[path + (key,)] = self.loc(key_node)
                seen[_same_key(key)] = key
                out[key] = self.convert(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag in _AS_WRITTEN:
            self.doc.written[path] = node.value
        return self.scalar(node)

    def at(self, node: yaml.ScalarNode, index: int) -> Loc:
        """Where character `index` of a scalar's value stands: exact for a plain text on one line, else
        the start of the value (quotes, escapes and folded lines move the characters)."""
        at = self.loc(node)
        one_line = not node.style and node.start_mark.line == node.end_mark.line
        return Loc(at.file, at.line, at.col + index) if one_line else at

    def zero_width(self, node: yaml.ScalarNode, value: str) -> Problem:
        """A character of zero width in a text: invisible, yet it splits a word or an amount."""
        m = _ZERO_WIDTH.search(value)
        return avviso(self.at(node, m.start()), "carattere-invisibile",
                      f"{char_name(m.group())} nel testo «{quoted(_ZERO_WIDTH.sub('', value))}»: "
                      "non si vede, ma divide la parola o il numero in cui si trova; cancellarlo")

    def bad_tag(self, node: yaml.Node) -> Problem:
        return errore(self.loc(node), "yaml-tag", f"tag YAML «{quoted(node.tag.replace(STD_TAG, '!!'))}» non ammesso")

    def scalar(self, node: yaml.ScalarNode, key: bool = False) -> Any:
        if node.tag == STD_TAG + "float":
            return YamlFloat(node.value)
        if node.tag == STD_TAG + "int":
            # Always base ten: YAML 1.1 would read 0300 as octal 192, 0x1F as 31, 1:30 as 90.
            text = node.value
            if _DECIMAL_INT.fullmatch(text) and len(text) <= _MAX_INT_DIGITS:
                return int(text.replace("_", ""), 10)
            return text
        try:
            value = self.loader.construct_object(node, deep=True)
            bidi = _BIDI.search(value) if isinstance(value, str) else None
            if bidi:  # reported once, here, at the character; the text is then read without it
                self.problems.append(_bidi_problem(self.at(node, bidi.start()), bidi.group()))
                value = _BIDI.sub("", value)
            if not key and isinstance(value, str) and _ZERO_WIDTH.search(value):   # keys: see convert
                self.problems.append(self.zero_width(node, value))
            return read_word_symbols(value, markdown=False) if isinstance(value, str) else value
        except (yaml.constructor.ConstructorError, ValueError, OverflowError):
            self.problems.append(errore(self.loc(node), "yaml-valore", f"valore «{quoted(node.value)}» non valido"))
            return node.value


def _same_key(key: Any) -> Any:
    """A key as the models compare it: 2023, "2023", 2_023, +2023 and 2023.0 are one year."""
    if isinstance(key, str) and len(key) <= _MAX_INT_DIGITS:
        m = _INT_KEY.fullmatch(key)
        if m:
            return int(m.group(1).replace("_", ""), 10)
    return key
