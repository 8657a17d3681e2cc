"""Saving a plan's files from the browser editor so that they stay as their writer wrote them.

A change to a YAML file is a splice. The text is parsed only to learn where each value is written
(PyYAML's nodes carry their start and end offsets); setting a value replaces exactly the characters
of that value, a new key or list item is inserted after the last entry of its mapping or list, and a
removed entry takes its own lines with it (the comments around it stay). Everything else —
comments, key order, quoting, blank lines, alignment, indentation, `~`, CRLF line endings, a BOM —
stays the writer's bytes. A round-trip emitter (ruamel.yaml) was measured first and not kept: it
writes the whole file again, and on the default plan it changed 29 files of 29 with its default
settings and still 3 with the best ones (the aligned columns of finanza.yaml, `~` written as nothing).

Every new text is read back before it is kept: the forms a value can take (the style it had, plain,
a literal block, double quotes) are tried in that order, and the first one with which the whole file
reads as the old data with only that value changed wins. So a value can never change another one,
and an amount is written as the plan writes amounts (`€ 45.600,00`, quoted where YAML needs it).

Saving refuses to overwrite a file whose bytes changed since they were read (`Conflitto`: another
writer, a text editor) and replaces the file atomically (a temporary file beside it, renamed over
it, its permissions kept). Saves made by this process are serialised, so two browser sessions
cannot both pass the check; a program outside it could only slip in within the microseconds between
the check and the rename.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pdz_docs.build import _replace, _write_temp
from pdz_docs.faults import describe, shown
from pdz_docs.finance.money import fmt_euro
from pdz_docs.limits import MAX_FILE_BYTES

BOM = "\ufeff"
Key = str | int
_SAVING = threading.Lock()   # one save at a time in this process: check and rename are one step
# libyaml's offsets count characters, as the pure-Python reader's do, once the BOM is removed (it is)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ErroreFile(Exception):
    """A file that cannot be read, changed or written here; the message is Italian."""


class Conflitto(ErroreFile):
    """The file changed on disk since it was loaded: the save is refused, nothing is overwritten."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_bytes(path: Path) -> bytes | None:
    """The bytes of the regular file `path`, None when it does not exist; never through a link."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ErroreFile(describe(exc, path)) from None
    if stat.S_ISLNK(st.st_mode):
        raise ErroreFile(f"{shown(path)} è un collegamento simbolico: non viene modificato dal browser")
    if not stat.S_ISREG(st.st_mode):
        raise ErroreFile(f"{shown(path)} non è un file di testo (è una cartella o un file speciale)")
    if st.st_size > MAX_FILE_BYTES:
        raise ErroreFile(f"{shown(path)} supera il limite di {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        with open(path, "rb") as f:
            return f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ErroreFile(describe(exc, path)) from None


def _decode(path: Path, raw: bytes) -> tuple[str, bool]:
    """The text of `raw` without its BOM, and whether it had one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ErroreFile(f"{shown(path)} non è in codifica UTF-8: salvarlo come UTF-8 dall'editor") from None
    return (text[1:], True) if text.startswith(BOM) else (text, False)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _write(path: Path, expected: str | None, data: bytes) -> str:
    """Replace `path` by `data` if its bytes still hash to `expected` (None: it must not exist yet)."""
    with _SAVING:
        current = _read_bytes(path)
        if (digest(current) if current is not None else None) != expected:
            if expected is None:
                raise Conflitto(f"{shown(path)} esiste già: scegliere un altro nome, oppure ricaricare la pagina "
                                "per modificare il file che c'è")
            if current is None:
                raise Conflitto(f"{shown(path)} è stato rimosso o rinominato dopo che è stato aperto: "
                                "le modifiche non sono state salvate. Ricaricare la pagina per vedere "
                                "lo stato attuale del piano.")
            raise Conflitto(f"{shown(path)} è stato modificato da un'altra persona o da un altro programma "
                            "dopo che è stato aperto: le modifiche non sono state salvate, per non "
                            "cancellare le sue. Ricaricare il file per vedere la versione attuale e "
                            "ripetere le modifiche.")
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode) if current is not None else None
            tmp = _write_temp(path, data)
            try:
                if mode is not None:
                    os.chmod(tmp, mode)
                _replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise ErroreFile(describe(exc, path)) from None
    return digest(data)


# --- Markdown and other text files -------------------------------------------------------

@dataclass
class TextFile:
    """A text file as the editor shows it: lines ending in "\\n", no BOM; `hash` of the bytes read."""

    path: Path
    text: str
    hash: str


def load_text(path: Path) -> TextFile:
    raw = _read_bytes(path)
    if raw is None:
        raise ErroreFile(f"{shown(path)} non esiste")
    text, _bom = _decode(path, raw)
    return TextFile(path, text.replace("\r\n", "\n"), digest(raw))


def save_text(path: Path, text: str, expected_hash: str | None) -> str:
    """Write `text` to `path` unless the file changed since `expected_hash` was read (None: a new file).

    The file keeps its BOM and its line endings, whatever the browser sent ("\\r\\n" from a form):
    saving the text that `load_text` gave is byte-identical. Returns the new hash.
    """
    raw = _read_bytes(path)
    newline, bom = "\n", False
    if raw is not None:
        old, bom = _decode(path, raw)
        newline = _newline(old)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline)
    data = ((BOM if bom else "") + text).encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(path)
    return _write(path, expected_hash, data)


def _too_big(path: Path) -> ErroreFile:
    """The file would be larger than the pipeline reads, and could not be opened again."""
    return ErroreFile(f"{shown(path)}: il file supererebbe il limite di {MAX_FILE_BYTES // (1024 * 1024)} MB; "
                      "scrivere un testo più breve")


# --- YAML: reading where each value is written ----------------------------------------------

def _parse(path: Path, text: str) -> tuple[Node | None, Any]:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    except yaml.YAMLError:
        raise ErroreFile(f"{shown(path)} non è un file YAML valido: correggerlo (pdz check indica dove) "
                         "prima di modificarlo dal browser") from None
    finally:
        loader.dispose()


def _construct(node: Node) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _same_key(a: Any, b: Key) -> bool:
    """Keys are compared as written: `2022:` and `"2022":` are the key 2022."""
    return str(a) == str(b)


def _native(value: Any) -> Any:
    """`value` as YAML will read it back: amounts as the plan writes them, yes/no as «si»/«no»."""
    if isinstance(value, bool):
        return "si" if value else "no"
    if isinstance(value, Decimal):
        return fmt_euro(value)
    if isinstance(value, (list, tuple)):
        return [_native(v) for v in value]
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, date)):
        return value
    raise TypeError(f"value of type {type(value).__name__} cannot be written to YAML")


def _lookup(data: Any, keys: tuple) -> tuple[bool, Any]:
    for key in keys:
        if isinstance(data, dict):
            found = [v for k, v in data.items() if _same_key(k, key)]
            if not found:
                return False, None
            data = found[0]
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return False, None
    return True, data


def _without(data: Any, keys: tuple) -> Any:
    """A copy of `data` without the entry at `keys` (a list item becomes None, so indexes stay)."""
    data = copy.deepcopy(data)
    found, parent = _lookup(data, keys[:-1])
    if found and isinstance(parent, dict):
        for k in [k for k in parent if _same_key(k, keys[-1])]:
            del parent[k]
    elif found and isinstance(parent, list) and isinstance(keys[-1], int) and 0 <= keys[-1] < len(parent):
        parent[keys[-1]] = None
    return data


def _removed(data: Any, keys: tuple) -> Any:
    """A copy of `data` without the key or list item at `keys` (the following items move up)."""
    data = copy.deepcopy(data)
    _found, parent = _lookup(data, keys[:-1])
    if isinstance(parent, list):
        del parent[keys[-1]]
    else:
        for k in [k for k in parent if _same_key(k, keys[-1])]:
            del parent[k]
    return data


def _assigned(data: Any, keys: tuple, value: Any) -> Any:
    """A copy of `data` with the existing entry at `keys` set to `value`."""
    data = copy.deepcopy(data)
    _found, parent = _lookup(data, keys[:-1])
    if isinstance(parent, list):
        parent[keys[-1]] = value
    else:
        parent[next(k for k in parent if _same_key(k, keys[-1]))] = value
    return data


def _nested(keys: tuple, value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


# --- YAML: writing one value ----------------------------------------------------------------

def _double(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)   # a JSON string is a valid YAML double-quoted scalar


def _plain_ok(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or "\n" in text or "\r" in text:
        return False
    probe = f"k: [{text}]" if flow else f"k: {text}"
    try:
        return yaml.load(probe, Loader=_Loader) == {"k": [text] if flow else text}
    except yaml.YAMLError:
        return False


def _inline(value: Any, flow: bool = True) -> str:
    """`value` (native) written on one line: plain where it reads back the same, else quoted."""
    if value is None:
        return "~"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_inline(k)}: {_inline(v)}" for k, v in value.items()) + "}"
    return value if _plain_ok(value, flow) else _double(value)


def _block(value: Any, indent: int) -> list[str]:
    """A non-empty mapping or list in block style, each line indented by `indent` spaces."""
    pad, lines = " " * indent, []
    items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for key, item in items:
        head = f"{pad}{_inline(key, False)}:" if isinstance(value, dict) else f"{pad}-"
        if isinstance(item, dict) and item and key is None:     # a mapping as a list item: "- k: v"
            sub = _block(item, indent + 2)
            lines += [f"{head} {sub[0].lstrip()}", *sub[1:]]
        elif isinstance(item, (dict, list)) and item and key is not None:
            lines += [head, *_block(item, indent + 2)]
        else:
            lines.append(f"{head} {_inline(item, False)}")
    return lines


def _literal(text: str, indent: int, newline: str) -> str:
    body = newline.join((" " * indent + line) if line else "" for line in text.split("\n"))
    return ("|" if text.endswith("\n") else "|-") + newline + body


def _forms(value: Any, old: Node | None, flow: bool, indent: int, newline: str) -> list[str]:
    """The texts `value` may be written as in place of `old`, best first (read back before use)."""
    if isinstance(value, (dict, list)):
        forms = []
        if value and not flow and isinstance(old, (MappingNode, SequenceNode)) and not old.flow_style:
            col = old.start_mark.column
            forms.append(newline.join(_block(value, col))[col:])   # the first line starts where old did
        return forms + [_inline(value)]
    if not isinstance(value, str):
        return [_inline(value)]
    style = old.style if isinstance(old, ScalarNode) else None
    forms = []
    if style == '"':
        forms.append(_double(value))
    elif style == "'" and "\n" not in value:
        forms.append("'" + value.replace("'", "''") + "'")
    elif style == ">" and not flow and "\n" not in value:
        forms.append(">-" + newline + " " * indent + value)
    elif style == "|" and not flow:
        forms.append(_literal(value, indent, newline))
    if _plain_ok(value, flow):
        forms.append(value)
    if not flow and "\n" in value:
        forms.append(_literal(value, indent, newline))
    return forms + [_double(value)]


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag.endswith(":null")


@dataclass
class _Place:
    """A node found along a path, with what writing there needs to know."""

    node: Node
    flow: bool          # inside a flow collection: no block forms
    indent: int         # indentation for a block scalar written there
    key: Node | None    # the key node when the node is a mapping's value


def _content_end(node: Node, text: str) -> int:
    """Where the node's own text ends: without the blank lines and comments a block collection
    or a block scalar runs on to."""
    if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end(last[1] if isinstance(last, tuple) else last, text)
    end = node.end_mark.index
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        while end > node.start_mark.index and text[end - 1] in " \t\r\n":
            end -= 1
    return end


@dataclass
class YamlFile:
    """A YAML file of the plan as read: its text (BOM removed, line endings as written), the hash
    of its bytes, and the data. Change it with `set`, write it with `save`."""

    path: Path
    text: str
    hash: str
    bom: bool = False
    data: Any = None
    _root: Node | None = field(default=None, repr=False)

    def get(self, keys: tuple, default: Any = None) -> Any:
        """The value at `keys` (mapping keys and list indexes), `default` when there is none."""
        found, value = _lookup(self.data, tuple(keys))
        return value if found else default

    def _walk(self, keys: tuple) -> tuple[list[_Place], int]:
        """The places along `keys` that exist, and how many keys were found."""
        place = _Place(self._root, bool(getattr(self._root, "flow_style", False)), 2, None)
        places = [place]
        for key in keys:
            node, child = place.node, None
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    if isinstance(k, ScalarNode) and _same_key(_construct(k), key):
                        child = _Place(v, place.flow or bool(node.flow_style), k.start_mark.column + 2, k)
                        break
            elif isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
                item = node.value[key]
                child = _Place(item, place.flow or bool(node.flow_style), item.start_mark.column, None)
            if child is None:
                break
            places.append(child)
            place = child
        return places, len(places) - 1

    def set(self, keys: tuple, value: Any) -> None:
        """Write `value` at `keys`: in place of the value there, or as a new key at the end of its
        mapping (with the mappings that lead to it). Decimal amounts are written `€ 1.234,56`,
        booleans «si»/«no». Raises ErroreFile (Italian) when the value cannot be written there."""
        keys, native = tuple(keys), _native(value)
        if self._root is None:
            raise ErroreFile(f"{shown(self.path)} è vuoto: scriverne il contenuto dall'editor di testo")
        places, found = self._walk(keys)
        place, newline = places[-1], _newline(self.text)
        node = place.node
        if found == len(keys) or not isinstance(node, MappingNode):
            if found < len(keys) and (found == 0 or not _is_null(node)):
                raise ErroreFile(f"{shown(self.path)}: «{'.'.join(map(str, keys[:found + 1]))}» non si può "
                                 "aggiungere qui (la voce che lo contiene non è un elenco di chiavi)")
            new = _nested(keys[found:], native)
            start, end = node.start_mark.index, _content_end(node, self.text)
            forms = _forms(new, node, place.flow, place.indent, newline)
            block = isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style
            if place.key is not None and (start == end or (block and not (isinstance(new, (dict, list)) and new))):
                # "key:" with nothing after, or a block list or mapping that becomes "[]", "{}" or a text:
                # written after the colon
                start = self.text.index(":", place.key.end_mark.index) + 1
                end = max(end, start)
                forms = [" " + _inline(new, place.flow)] if block else [" " + f for f in forms]
            cut = found   # the whole value found is replaced
        else:   # a new key at the end of an existing mapping
            key, rest = keys[found], _nested(keys[found + 1:], native)
            key_text = _inline(key, bool(node.flow_style))
            if node.flow_style:
                start = end = _content_end(node.value[-1][1], self.text) if node.value else node.end_mark.index - 1
                lead = ", " if node.value else ""
                forms = [f"{lead}{key_text}: {_inline(rest)}"]
            else:
                # after the last entry's line, and the comment that may end it
                start = end = self._line_end(_content_end(node, self.text))
                col = node.start_mark.column
                lead = newline + " " * col + key_text + ":"
                if isinstance(rest, (dict, list)) and rest:
                    forms = [lead + newline + newline.join(_block(rest, col + 2)), lead + " " + _inline(rest)]
                else:
                    forms = [lead + " " + f for f in _forms(rest, None, False, col + 2, newline)]
            cut = found + 1
        unchanged = _without(self.data, keys[:cut])
        self._splice([(start, end, f) for f in forms], keys,
                     lambda data: _lookup(data, keys) == (True, native) and _without(data, keys[:cut]) == unchanged)

    def append(self, keys: tuple, value: Any) -> None:
        """Add `value` as the last item of the list at `keys` (a new list where there is none yet)."""
        keys, native = tuple(keys), _native(value)
        places, found = self._walk(keys)
        node, newline = places[-1].node, _newline(self.text)
        if found < len(keys) or _is_null(node):
            return self.set(keys, [value])
        if not isinstance(node, SequenceNode):
            raise ErroreFile(f"{shown(self.path)}: «{'.'.join(map(str, keys))}» non è un elenco")
        if node.flow_style or not node.value:
            start = _content_end(node.value[-1], self.text) if node.value else node.end_mark.index - 1
            forms = [(", " if node.value else "") + _inline(native)]
        else:
            first = node.value[0].start_mark.index
            dash = self.text.rindex("-", 0, first)
            col = dash - self._line_start(dash)
            start = self._line_end(_content_end(node.value[-1], self.text))
            lead = newline + " " * col + self.text[dash:first]   # the dash and its spaces, as the first item has
            if isinstance(native, dict) and native:
                lines = _block(native, col + first - dash)
                forms = [lead + newline.join(lines).lstrip(" "), lead + _inline(native)]
            else:
                forms = [lead + _inline(native, False)]
        expected = _lookup(self.data, keys)[1] + [native]
        self._splice([(start, start, f) for f in forms], keys, lambda data: _lookup(data, keys) == (True, expected)
                     and _without(data, keys) == _without(self.data, keys))

    def remove(self, keys: tuple) -> None:
        """Remove the key or the list item at `keys`, with the lines it takes (a list's items move up)."""
        keys = tuple(keys)
        places, found = self._walk(keys)
        if found < len(keys) or not keys:
            raise ErroreFile(f"{shown(self.path)}: «{'.'.join(map(str, keys))}» non c'è")
        parent, place = places[-2].node, places[-1]
        entries = parent.value
        i = next(j for j, e in enumerate(entries) if (e[1] if isinstance(e, tuple) else e) is place.node)

        def head(entry) -> int:    # where a mapping entry's key, or a list item, starts
            return (entry[0] if isinstance(entry, tuple) else entry).start_mark.index

        def end_of(entry) -> int:
            return _content_end(entry[1] if isinstance(entry, tuple) else entry, self.text)

        begin = head(entries[i])
        if not parent.flow_style and isinstance(parent, SequenceNode):
            begin = self.text.rindex("-", 0, begin)
        after = self._after_newline(self._line_end(end_of(entries[i])))
        own_line = not self.text[self._line_start(begin):begin].strip()
        empty = {} if isinstance(parent, MappingNode) else []
        if len(entries) == 1:   # the last entry: the collection stays, empty, and so do the comments in it
            key = places[-2].key
            if key is None or parent.flow_style or not own_line:
                return self.set(keys[:-1], empty)
            colon = self.text.index(":", key.end_mark.index) + 1
            text = (self.text[:colon] + " " + _inline(empty) + self.text[colon:self._line_start(begin)]
                    + self.text[after:])
            return self._accept([text], keys, lambda data: data == _assigned(self.data, keys[:-1], empty))
        if parent.flow_style:
            regions = [(end_of(entries[i - 1]), end_of(entries[i])) if i else (begin, head(entries[1]))]
        elif own_line:
            regions = [(self._line_start(begin), after)]
        else:   # "- key: …": the next key moves up after the dash, or a comment before it does
            rest = len(self.text[after:]) - len(self.text[after:].lstrip(" "))
            regions = [(begin, head(entries[i + 1])), (begin, after + rest)] if i + 1 < len(entries) else []
            regions.sort(key=lambda r: "#" in self.text[r[0]:r[1]])   # keep the comments in between
        expected = _removed(self.data, keys)
        self._splice([(a, b, "") for a, b in regions], keys, lambda data: data == expected)

    def _splice(self, candidates: list[tuple[int, int, str]], keys: tuple, accept) -> None:
        """Replace text[start:end] by form, for the first candidate with which the file reads as `accept` wants."""
        self._accept([self.text[:start] + form + self.text[end:] for start, end, form in candidates], keys, accept)

    def _line_start(self, i: int) -> int:
        return self.text.rfind("\n", 0, i) + 1

    def _line_end(self, i: int) -> int:
        """Where the line holding position `i` ends, before its line break."""
        j = self.text.find("\n", i)
        return len(self.text) if j < 0 else j - (1 if self.text[j - 1:j] == "\r" else 0)

    def _after_newline(self, i: int) -> int:
        if self.text.startswith("\r\n", i):
            return i + 2
        return i + 1 if self.text.startswith("\n", i) else i

    def _accept(self, texts: list[str], keys: tuple, accept) -> None:
        """Take the first of `texts` that reads as `accept` wants; none: ErroreFile, the file unchanged."""
        if min(len(text.encode("utf-8")) for text in texts) > MAX_FILE_BYTES:   # it could not be opened again
            raise _too_big(self.path)
        for text in texts:
            try:
                root, data = _parse(self.path, text)
            except ErroreFile:
                continue
            if accept(data):
                self.text, self.data, self._root = text, data, root
                return
        raise ErroreFile(f"{shown(self.path)}: «{'.'.join(map(str, keys))}» non si può modificare "
                         "senza cambiare altre voci del file; modificarlo dall'editor di testo")

    def encoded(self) -> bytes:
        return ((BOM if self.bom else "") + self.text).encode("utf-8")


def load(path: Path) -> YamlFile:
    """Read a YAML file of the plan for editing. Raises ErroreFile (Italian) when it cannot be."""
    path = Path(path)
    raw = _read_bytes(path)
    if raw is None:
        raise ErroreFile(f"{shown(path)} non esiste")
    text, bom = _decode(path, raw)
    root, data = _parse(path, text)
    return YamlFile(path, text, digest(raw), bom, data, root)


def save(yf: YamlFile) -> None:
    """Write `yf` atomically, unless its file changed since it was loaded (`Conflitto`).
    Saving a file that was not changed rewrites the same bytes."""
    yf.hash = _write(yf.path, yf.hash, yf.encoded())
