"""Safe YAML reading that keeps the file:line:col of every value.

The result is plain Python data (dict, list, str, int, bool, date, None, and
`YamlFloat` for floats, kept as text) plus a map from each value's path to its
location. Duplicate keys, explicit non-standard tags, anchors/aliases, too deep
nesting, non-UTF-8 text and oversized files are problems, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent

from pdz_docs.finance.money import YamlFloat
from pdz_docs.problems import Loc, Problem, errore

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40
STD_TAG = "tag:yaml.org,2002:"
ALLOWED_TAGS = {STD_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}

Path_ = tuple  # a path of keys/indexes from the document root


@dataclass
class YamlDoc:
    """A loaded YAML file: its data and where every value (and key) stands."""

    file: str
    data: Any = None
    locs: dict[Path_, Loc] = field(default_factory=dict)
    key_locs: dict[Path_, Loc] = field(default_factory=dict)

    def loc(self, *path: Any) -> Loc:
        """The location of the value at `path`, or of its nearest ancestor that exists."""
        p = tuple(path)
        while p:
            if p in self.locs:
                return self.locs[p]
            p = p[:-1]
        return self.locs.get((), Loc(self.file, 1, 1))

    def key_loc(self, *path: Any) -> Loc:
        p = tuple(path)
        return self.key_locs.get(p) or self.loc(*p)


class _Loader(yaml.SafeLoader):
    """A safe loader that refuses aliases (no 'billion laughs' expansion)."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "alias YAML («*nome») non ammessi: ripetere il contenuto", event.start_mark
            )
        return super().compose_node(parent, index)


def read_text(path: Path, label: str) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 text file (BOM and CRLF accepted), with problems for anything else."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, [errore(Loc(label), "file-troppo-grande",
                                 f"il file supera il limite di {MAX_BYTES // (1024 * 1024)} MB")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [errore(Loc(label), "file-illeggibile", f"impossibile leggere il file ({exc.strerror})")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [errore(Loc(label, line, col), "file-non-utf8",
                             "il file non è in codifica UTF-8: salvarlo come UTF-8 dall'editor")]
    if "\x00" in text:
        return None, [errore(Loc(label, 1, 1), "file-binario", "il file contiene dati binari, non testo")]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


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
    except yaml.MarkedYAMLError as exc:
        return doc, [_yaml_error(exc, label, line_offset)]
    except RecursionError:
        return doc, [errore(Loc(label, 1, 1), "yaml-annidamento", "struttura YAML troppo annidata")]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML always marks its errors
        return doc, [errore(Loc(label, 1, 1), "yaml-sintassi", f"YAML non valido: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return doc, [errore(Loc(label, 1, 1), "file-vuoto", "il file è vuoto")]
    problems: list[Problem] = []
    conv = _Converter(doc, loader, problems, line_offset)
    doc.data = conv.convert(node, (), 0)
    return doc, problems


def _yaml_error(exc: yaml.MarkedYAMLError, label: str, offset: int) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    loc = Loc(label, mark.line + 1 + offset, mark.column + 1) if mark else Loc(label, 1, 1)
    problem = (exc.problem or "").strip()
    if "'\\t'" in problem or "\\t" in problem:
        return errore(loc, "yaml-tab", "carattere di tabulazione: per l'indentazione usare solo spazi")
    if "alias" in problem and "non ammessi" in problem:
        return errore(loc, "yaml-alias", problem)
    if problem.startswith("found unacceptable character") or "special characters are not allowed" in problem:
        return errore(loc, "file-binario", "il file contiene caratteri non ammessi (dati binari?)")
    hints = {
        "mapping values are not allowed here": "«:» inatteso: un testo che contiene «: » va scritto tra virgolette, "
                                               "oppure l'indentazione è sbagliata",
        "could not find expected ':'": "manca «:» dopo una chiave, oppure l'indentazione è sbagliata",
        "did not find expected key": "indentazione sbagliata: le chiavi di uno stesso livello devono essere allineate",
        "did not find expected '-' indicator": "indentazione sbagliata in un elenco: "
                                               "le voci «- » devono essere allineate",
        "found undefined alias": "alias YAML («*nome») non ammessi",
        "found unexpected end of stream": "il file finisce prima del previsto (virgolette o parentesi non chiuse?)",
        "found unknown escape character": "sequenza «\\» non valida in un testo tra virgolette doppie",
    }
    for key, msg in hints.items():
        if problem.startswith(key):
            return errore(loc, "yaml-sintassi", msg)
    return errore(loc, "yaml-sintassi", f"YAML non valido ({problem or exc})")


class _Converter:
    def __init__(self, doc: YamlDoc, loader: _Loader, problems: list[Problem], offset: int):
        self.doc, self.loader, self.problems, self.offset = doc, loader, problems, offset

    def loc(self, node: yaml.Node) -> Loc:
        m = node.start_mark
        return Loc(self.doc.file, m.line + 1 + self.offset, m.column + 1)

    def convert(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.doc.locs[path] = self.loc(node)
        if depth > MAX_DEPTH:
            self.problems.append(errore(self.loc(node), "yaml-annidamento",
                                        f"struttura YAML troppo annidata (oltre {MAX_DEPTH} livelli)"))
            return None
        if node.tag not in ALLOWED_TAGS:
            self.problems.append(errore(self.loc(node), "yaml-tag",
                                        f"tag YAML «{node.tag.replace(STD_TAG, '!!')}» non ammesso"))
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(errore(self.loc(key_node), "yaml-chiave",
                                                "una chiave deve essere un testo semplice"))
                    continue
                key = self.scalar(key_node)
                if isinstance(key, YamlFloat):
                    key = str(key)
                if key in out:
                    first = self.doc.key_locs.get(path + (key,))
                    self.problems.append(errore(self.loc(key_node), "yaml-chiave-duplicata",
                                                f"chiave «{key}» ripetuta (già presente alla riga {first.line if first else '?'})"))
                    continue
                if (node.flow_style and isinstance(key, int) and isinstance(value_node, yaml.ScalarNode)
                        and value_node.value == "" and out and isinstance(list(out.values())[-1], (str, int))):
                    self.problems.append(errore(self.loc(key_node), "yaml-virgola",
                                                "tra parentesi graffe la virgola separa le voci: scrivere l'importo "
                                                "tra virgolette, es. \"€ 1.234,56\", oppure una voce per riga"))
                    continue
                self.doc.key_locs[path + (key,)] = self.loc(key_node)
                out[key] = self.convert(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == STD_TAG + "float":
            return YamlFloat(node.value)
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError):
            self.problems.append(errore(self.loc(node), "yaml-valore", f"valore «{node.value}» non valido"))
            return node.value
