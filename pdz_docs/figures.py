"""Chapters cite computed figures by name: `{{ cifre.popolazione.totale }}`, `{{ tabella("budget") }}`.

A chapter is never run as a template. Jinja's lexer and parser read it; the parsed tree
is walked here, and only the documented forms are evaluated:

    {{ cifre.gruppo.nome }}        a computed figure (also `cifre["gruppo"]["nome"]`)
    {{ tabella("id") }}            a computed table, placed here (once in the document)
    {{ tabella_n("id") }}          its number, «Tabella n. 3» (the document tree numbers the tables)
    {{ schede() }}                 all the cards
    {{ … | upper }}                and the case filters upper, lower, capitalize, title, trim

Anything else — loops, conditions, macros, set, import, include, extends, arithmetic,
literals, any name or attribute starting with "_" — is a located problem, before any of
it is evaluated. So a chapter can neither run code, nor read a file, nor take long: the
work is proportional to its length, and the limits in `pdz_docs.limits` bound that.
Text in YAML fields is never parsed at all.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import jinja2
import jinja2.parser
from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError

from pdz_docs.finance.demografia import NEEDS
from pdz_docs.finance.money import IN_ATTESA, NON_INDICATO
from pdz_docs.limits import MAX_CHAPTER_CHARS, MAX_CITATION_TOKENS, MAX_CITATIONS, MAX_CITED_ROWS, quoted
from pdz_docs.model import Capitolo
from pdz_docs.load.yamlsrc import cap_problems
from pdz_docs.problems import Loc, Problem, avviso, errore

MAX_OUTPUT = MAX_CHAPTER_CHARS

FILTERS: dict[str, Callable[[str], str]] = {
    "upper": str.upper, "lower": str.lower, "capitalize": str.capitalize, "title": str.title, "trim": str.strip,
}
_NOT_ALLOWED = "espressione non ammessa nel capitolo: nei capitoli si possono solo citare cifre e tabelle"
_STATEMENTS = {
    nodes.For: "i cicli «{% for %}»", nodes.If: "le condizioni «{% if %}»", nodes.Macro: "le macro",
    nodes.CallBlock: "«{% call %}»", nodes.FilterBlock: "«{% filter %}»", nodes.With: "«{% with %}»",
    nodes.Assign: "«{% set %}»", nodes.AssignBlock: "«{% set %}»", nodes.Include: "«{% include %}»",
    nodes.Import: "«{% import %}»", nodes.FromImport: "«{% import %}»", nodes.Extends: "«{% extends %}»",
    nodes.Block: "«{% block %}»",
}
_CITATION = re.compile(r"\{\{|\{%")


class _Place(str):
    """Where a table (`kind` "tabella", `table_id`) or the cards ("schede") are cited: no text of its own;
    or a table's number cited in the text (`kind` "tabella_n"), «tabella «id»» until the document numbers it.

    The expanded text (read by `pdz diff`) leaves a table out; the document builder makes each a node.
    """

    def __new__(cls, kind: str, table_id: str = "") -> "_Place":
        place = super().__new__(cls, f"tabella «{table_id}»" if kind == "tabella_n" else "")
        place.kind, place.table_id = kind, table_id
        return place


@dataclass
class _Refused(Exception):
    """A citation that cannot be evaluated; `near` is text on its line, for the column."""

    code: str
    message: str
    lineno: int
    near: str = ""


@dataclass
class Budget:
    """What the document's citations have expanded so far, across its chapters in document order.

    Each citation is short, but `{{ schede() }}` or a long table cited a thousand times would make
    a small chapter take minutes to lay out: the cards are cited at most once, and the rows of the
    tables cited in the whole document are bounded (limits.MAX_CITED_ROWS). The citation that goes
    past a limit is the one reported.
    """

    table_rows: dict[str, int]           # rows of each table, header and totals included
    rows: int = 0
    cards_at: str = ""                   # file:line of the first schede()
    placed: dict[str, str] = field(default_factory=dict)              # table id → file:line of its tabella()
    numbers: list[tuple[str, Loc]] = field(default_factory=list)      # the tabella_n() citations

    def charge(self, place: _Place, where: str, lineno: int) -> None:
        table_id = place.table_id
        if place.kind == "tabella_n":
            return
        if place.kind == "schede":
            if self.cards_at:
                raise _Refused("citazione-ripetuta", f"le schede sono già citate con schede() in {self.cards_at}: "
                               "nel documento compaiono una volta sola", lineno, "{{")
            self.cards_at = where
            return
        if table_id in self.placed:   # its number and its place in the document would be two
            raise _Refused("citazione-ripetuta", f"la tabella «{table_id}» è già inserita con tabella() in "
                           f"{self.placed[table_id]}: nel documento compare una volta sola; per richiamarla nel "
                           f"testo si scrive {{{{ tabella_n(\"{table_id}\") }}}}", lineno, "{{")
        self.placed[table_id] = where
        before, self.rows = self.rows, self.rows + self.table_rows.get(table_id, 0)
        if before <= MAX_CITED_ROWS < self.rows:  # reported once, where the limit is crossed
            raise _Refused("documento-troppo-lungo", f"con la tabella «{table_id}» le tabelle citate nel documento "
                           f"superano {MAX_CITED_ROWS:,} righe: citare ogni tabella una volta sola".replace(",", "."),
                           lineno, "{{")

    def printed_twice(self, shown: tuple[str, ...]) -> list[Problem]:
        """The tabella() insertions of a table the annexes print anyway (`shown`: Schede A and C): two
        copies under two numbers. A warning, not an error (plans made by earlier versions of `pdz new`
        insert them in chapter III)."""
        out = []
        for table_id in shown:
            if table_id in self.placed:
                file, line = self.placed[table_id].rsplit(":", 1)
                out.append(avviso(Loc(file, int(line), 1), "tabella-negli-allegati",
                                  f"la tabella «{table_id}» è già stampata negli allegati finanziari: inserita anche "
                                  f"qui compare due volte, con due numeri; per richiamarla nel testo si scrive "
                                  f"{{{{ tabella_n(\"{table_id}\") }}}}"))
        return out

    def unplaced(self, shown: tuple[str, ...] = ()) -> list[Problem]:
        """The tabella_n() citations of a table that no tabella() inserts (nor the annexes, `shown`, print):
        the number they would print is no table's."""
        return [errore(loc, "tabella-non-inserita", f"la tabella «{table_id}» è citata con tabella_n() ma non è "
                       f"inserita nel documento: inserirla con {{{{ tabella(\"{table_id}\") }}}} nel capitolo in "
                       "cui va stampata") for table_id, loc in self.numbers
                if table_id not in self.placed and table_id not in shown]


@functools.lru_cache(maxsize=1)
def _parser() -> jinja2.Environment:
    # Used only to lex and parse: nothing is ever compiled or rendered (so one serves every chapter).
    return jinja2.Environment(autoescape=False, keep_trailing_newline=True)


def expand(cap: Capitolo, cifre: dict, table_ids: set[str], budget: Budget | None = None) -> tuple[str, list[Problem]]:
    """Check a chapter's citations and fill in its figures; return the text (tables and cards left out), problems.

    `budget`, shared by all the chapters of a document, bounds the tables and cards they cite.
    """
    body = cap.body

    def loc(lineno: int, near: str = "") -> Loc:
        return Loc(cap.file, cap.body_line + lineno - 1, _column(body, lineno, near))

    def problem(code: str, message: str, lineno: int, near: str = "") -> Problem:
        return errore(loc(lineno, near), code, message)

    citations = list(_CITATION.finditer(body))
    if len(citations) > MAX_CITATIONS:
        lineno = body.count("\n", 0, citations[MAX_CITATIONS].start()) + 1
        return "", [problem("capitolo-troppo-lungo",
                            f"il capitolo contiene più di {MAX_CITATIONS:,} citazioni {{{{ … }}}}".replace(",", "."),
                            lineno, "{")]
    env = _parser()
    try:
        # Jinja's parser recurses on brackets and operators, and so would the evaluator on a
        # long chain: a citation longer than any real one is refused before parsing.
        tokens, inside = 0, False
        for lineno, kind, _ in env.lex(body):
            if kind == "raw_begin":   # its content would pass as text, unread: refused like every {% %}
                return "", [problem("cifre-non-ammesso", f"{_NOT_ALLOWED}: i comandi «{{% raw %}}» non sono ammessi",
                                    lineno, "{%")]
            if kind in ("variable_begin", "block_begin"):
                tokens, inside = 0, True
            elif kind in ("variable_end", "block_end"):
                inside = False
            elif inside and kind != "whitespace":
                tokens += 1
                if tokens > MAX_CITATION_TOKENS:
                    return "", [problem("cifre-non-ammesso", f"{_NOT_ALLOWED} (citazione troppo lunga)",
                                        lineno, "{")]
        tree = env.parse(body)
    except TemplateSyntaxError as exc:
        code, message, offset = _syntax_error(env, body, exc.lineno or 1)
        line = body.count("\n", 0, offset) + 1
        return "", [errore(Loc(cap.file, cap.body_line + line - 1, offset - (body.rfind("\n", 0, offset) + 1) + 1),
                           code, message)]
    evaluator = _Evaluator(cifre, table_ids)
    out: list[str] = []
    problems: list[Problem] = []
    # One Output node holds every citation between two statements: each citation is its own item
    items = [child for node in tree.body for child in (node.nodes if isinstance(node, nodes.Output) else [node])]
    for item in items:
        try:
            if isinstance(item, nodes.TemplateData):
                out.append(item.data)
            elif isinstance(item, nodes.Stmt):
                raise _refuse_statement(item)
            else:
                text = evaluator.cite(item)
                if budget is not None and isinstance(text, _Place):
                    budget.charge(text, f"{cap.file}:{cap.body_line + item.lineno - 1}", item.lineno)
                    if text.kind == "tabella_n":
                        budget.numbers.append((text.table_id, loc(item.lineno, text.table_id)))
                out.append(text)
        except _Refused as exc:
            problems.append(problem(exc.code, exc.message, exc.lineno, exc.near))
        except RecursionError:  # pragma: no cover - citations are short (MAX_CITATION_TOKENS)
            problems.append(problem("cifre-non-ammesso", f"{_NOT_ALLOWED} (citazione troppo complessa)", item.lineno))
    if problems:
        return "", cap_problems(problems, cap.file)
    text = "".join(out)
    if len(text) > MAX_OUTPUT:
        return "", [problem("capitolo-troppo-lungo", f"il capitolo, con le cifre inserite, supera "
                            f"{MAX_OUTPUT:,} caratteri".replace(",", "."), 1)]
    return text, []


@dataclass(frozen=True)
class Cited:
    """What one citation stands for: a figure (its name and printed text), a table (its id) or the cards."""

    kind: str   # cifra | tabella | schede
    name: str   # "cifre.gruppo.nome", the table's id, or ""
    text: str = ""


def cite(source: str, cifre: dict, table_ids: set[str]) -> Cited:
    """The value of one citation `{{ … }}` of a chapter that `expand` accepted (the document builder reads them)."""
    tree = _parser().parse(source)
    expr = tree.body[0].nodes[0]
    value, name = _Evaluator(cifre, table_ids).value(expr)
    if isinstance(value, _Place):
        return Cited(value.kind, value.table_id)
    return Cited("cifra", name, in_sentence(value))


def in_sentence(value) -> str:
    """A figure as a sentence prints it; an amount in a state instead of a figure («non indicato dalla
    fonte», «in attesa di assegnazione») in brackets, a placeholder in the sentence («un budget di […]»)."""
    text = str(value)
    return f"[{text}]" if text.startswith((NON_INDICATO, IN_ATTESA)) else text


def _refuse_statement(node: nodes.Node) -> _Refused:
    what = next((name for kind, name in _STATEMENTS.items() if isinstance(node, kind)), "i comandi «{% … %}»")
    return _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: {what} non sono ammessi", node.lineno, "{%")


class _Evaluator:
    """Evaluates the allowed citation forms against the figures; refuses everything else."""

    def __init__(self, cifre: dict, table_ids: set[str]):
        self.cifre, self.table_ids = cifre, table_ids

    def cite(self, expr: nodes.Expr) -> str:
        value, name = self.value(expr)
        if isinstance(value, dict):
            raise _Refused("cifra-sconosciuta", f"«{name}» è un gruppo di cifre, non una cifra: scegliere fra "
                           f"{', '.join(f'{name}.{k}' for k in value)}", expr.lineno, name.rsplit(".", 1)[-1])
        if isinstance(value, _Place):
            return value
        return in_sentence(value)

    def value(self, expr: nodes.Expr) -> tuple[Any, str]:
        """The value of an allowed expression and how it is spelt (for messages)."""
        if isinstance(expr, nodes.Name):
            if expr.name == "cifre":
                return self.cifre, "cifre"
            if expr.name in ("tabella", "tabella_n", "schede"):
                raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: si scrive {expr.name}(…)", expr.lineno,
                               expr.name)
            self.private(expr.name, expr.lineno)
            hint = f": forse «cifre.{expr.name}…»?" if expr.name in self.cifre else \
                _hint(expr.name, ["cifre", "tabella", "tabella_n", "schede"])
            raise _Refused("cifra-sconosciuta", f"nome sconosciuto «{quoted(expr.name)}»{hint}", expr.lineno,
                           expr.name)
        if isinstance(expr, nodes.Getattr):
            return self.member(expr.node, expr.attr, expr.lineno)
        if isinstance(expr, nodes.Getitem):
            if not isinstance(expr.arg, nodes.Const) or not isinstance(expr.arg.value, (str, int)):
                raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: tra [ ] va il nome di una cifra "
                               "tra virgolette", expr.lineno, "[")
            return self.member(expr.node, str(expr.arg.value), expr.lineno)
        if isinstance(expr, nodes.Call):
            return self.call(expr)
        if isinstance(expr, nodes.Filter) and expr.node is not None:
            if expr.name not in FILTERS:
                raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: il filtro «{quoted(expr.name)}» non è ammesso "
                               f"(ammessi: {', '.join(FILTERS)})", expr.lineno, expr.name)
            if expr.args or expr.kwargs or expr.dyn_args or expr.dyn_kwargs:
                raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: i filtri non hanno argomenti, si scrive "
                               f"«| {expr.name}» senza parentesi", expr.lineno, expr.name)
            value, name = self.value(expr.node)
            if isinstance(value, dict):
                return value, name  # cite() explains that a group is not a figure
            if isinstance(value, _Place):
                raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: i filtri si applicano alle cifre, non a "
                               f"{name}", expr.lineno, expr.name)
            return FILTERS[expr.name](str(value)), name
        raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED} (trovato: {_describe(expr)})", expr.lineno, "{{")

    def member(self, base_expr: nodes.Expr, key: str, lineno: int) -> tuple[Any, str]:
        self.private(key, lineno)
        base, name = self.value(base_expr)
        if isinstance(base, dict) and key in base:
            return base[key], f"{name}.{key}"
        if isinstance(base, dict) and name == "cifre" and key in NEEDS:
            raise _Refused("cifra-sconosciuta", f"le cifre «{key}» mancano: per calcolarle occorre indicare "
                           f"{NEEDS[key]}", lineno, key)
        if isinstance(base, dict):
            names = [str(k) for k in base]
            match = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
            hint = f": forse «{match[0]}»?" if match else f" (nomi disponibili: {', '.join(names)})"
            raise _Refused("cifra-sconosciuta", f"nome sconosciuto «{quoted(key)}»{hint}", lineno, key)
        raise _Refused("cifra-sconosciuta", f"nome sconosciuto «{quoted(key)}»: «{name}» è già una cifra",
                       lineno, key)

    @staticmethod
    def private(name: str, lineno: int) -> None:
        if name.startswith("_"):
            raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: «{quoted(name)}» non è il nome di una cifra "
                           "(i nomi che iniziano con «_» non sono accessibili)", lineno, name)

    def call(self, expr: nodes.Call) -> tuple[Any, str]:
        fn = expr.node.name if isinstance(expr.node, nodes.Name) else ""
        if fn not in ("tabella", "tabella_n", "schede") or expr.kwargs or expr.dyn_args or expr.dyn_kwargs:
            raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: si possono chiamare solo tabella(\"nome\"), "
                           "tabella_n(\"nome\") e schede()", expr.lineno, "(")
        if fn == "schede":
            if expr.args:
                raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: schede() si scrive senza nulla fra le "
                               "parentesi", expr.lineno, "schede")
            return _Place("schede"), "schede()"
        if len(expr.args) != 1 or not isinstance(expr.args[0], nodes.Const):
            raise _Refused("cifre-non-ammesso", f"{_NOT_ALLOWED}: si scrive {fn}(\"nome\"), con il nome di una "
                           "tabella tra virgolette", expr.lineno, fn)
        table_id = str(expr.args[0].value)
        if table_id not in self.table_ids and table_id in NEEDS:
            raise _Refused("cifra-sconosciuta", f"la tabella «{table_id}» manca: per calcolarla occorre indicare "
                           f"{NEEDS[table_id]}", expr.lineno, table_id)
        if table_id not in self.table_ids:
            match = difflib.get_close_matches(table_id, sorted(self.table_ids), n=1, cutoff=0.5)
            raise _Refused("cifra-sconosciuta", f"tabella sconosciuta «{quoted(table_id)}»"
                           + (f": forse «{match[0]}»?" if match else ""), expr.lineno, table_id)
        return _Place(fn, table_id), f'{fn}("{table_id}")'


def _describe(expr: nodes.Expr) -> str:
    if isinstance(expr, (nodes.BinExpr, nodes.UnaryExpr, nodes.Compare, nodes.Concat)):
        return "un calcolo"
    if isinstance(expr, (nodes.Const, nodes.List, nodes.Tuple, nodes.Dict, nodes.TemplateData)):
        return "un valore scritto a mano"
    if isinstance(expr, nodes.CondExpr):
        return "una condizione"
    if isinstance(expr, nodes.Test):
        return "un test «is»"
    if isinstance(expr, nodes.Filter):
        return "un filtro"
    return expr.__class__.__name__


def _hint(value: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    return f": forse «{match[0]}»?" if match else ""


_CLOSE = {"variable_begin": "}}", "block_begin": "%}", "comment_begin": "#}"}
_SYNTAX = "citazione {{ … }} non valida"


def _syntax_error(env: jinja2.Environment, body: str, lineno: int) -> tuple[str, str, int]:
    """(code, Italian message, offset in `body`) for a chapter Jinja cannot read.

    Jinja's own message is English and not structured; the cause is found again here from
    the tokens (which, whitespace included, spell the chapter exactly) and from the token
    the parser stopped at. `lineno` (Jinja's line) places a cause not recognised.
    """
    tokens: list[tuple[int, str, str, int]] = []   # (offset, kind, text, line)
    offset, opened = 0, None
    try:
        for line, kind, value in env.lex(body):
            tokens.append((offset, kind, value, line))
            if kind in _CLOSE or kind == "raw_begin":
                opened = (offset, kind)
            elif kind.endswith("_end"):
                opened = None
            offset += len(value)
    except TemplateSyntaxError:
        return _lex_error(body, offset, opened)
    blocks = [i for i, t in enumerate(tokens) if t[1] == "block_begin"]
    if blocks:  # any «{% … %}» is refused anyway: that is what to fix
        at = blocks[0]
        name = next((t[2] for t in tokens[at + 1:] if t[1] != "whitespace"), "")
        return "cifre-non-ammesso", f"{_NOT_ALLOWED}: i comandi «{{% {quoted(name)} %}}» non sono ammessi", \
            tokens[at][0]
    parser = jinja2.parser.Parser(env, body)
    try:
        parser.parse()
    except TemplateSyntaxError:
        pass
    current = parser.stream.current
    if current.type == "eof" and opened:
        return _unclosed(opened)
    significant = [t for t in tokens if t[1] != "whitespace"]
    at = next((i for i, (_, kind, value, line) in enumerate(significant)
               if line == current.lineno and value == str(current.value) and kind not in ("data", "variable_begin")),
              None)
    if at is None:
        line_start = sum(len(t) + 1 for t in body.split("\n")[:lineno - 1])
        return "cifre-sintassi", f"{_SYNTAX}: controllare le parentesi {{{{ }}}} di questa riga", line_start
    off, kind, value, _ = significant[at]
    tag = max((t for t in tokens if t[1] in _CLOSE and t[0] < off), default=None)
    if tag and _is_unclosed(body, tag[0], tag[1]):
        return _unclosed((tag[0], tag[1]))
    before = significant[at - 1]
    if kind == "variable_end" and before[1] == "variable_begin":
        return "cifre-sintassi", f"{_SYNTAX}: fra {{{{ e }}}} non c'è nulla", before[0]
    if kind == "variable_end":
        return "cifre-sintassi", f"{_SYNTAX}: la citazione finisce a metà, dopo «{quoted(before[2])}»", off
    hint = f": forse manca un punto, «{before[2]}.{value}»?" if kind == before[1] == "name" else ""
    return "cifre-sintassi", f"{_SYNTAX}: «{quoted(value)}» non può stare dopo «{quoted(before[2])}»{hint}", off


def _lex_error(body: str, offset: int, opened: tuple[int, str] | None) -> tuple[str, str, int]:
    """The cause of an error of Jinja's lexer, which stopped at `offset` inside the tag `opened`."""
    if opened is None or opened[1] in ("comment_begin", "raw_begin"):
        start = opened[0] if opened else offset
        if body.startswith("{#", start):
            return "cifre-sintassi", "commento «{#» senza la chiusura «#}»", start
        return "cifre-non-ammesso", f"{_NOT_ALLOWED}: i comandi «{{% … %}}» non sono ammessi", start
    if _is_unclosed(body, *opened):
        return _unclosed(opened)
    ch = body[offset] if offset < len(body) else ""
    if ch in "'\"":
        return "cifre-sintassi", f"{_SYNTAX}: le virgolette «{ch}» non sono chiuse", offset
    if ch in ")]}":
        return "cifre-sintassi", f"{_SYNTAX}: la parentesi «{ch}» non corrisponde a nessuna parentesi aperta", offset
    return "cifre-sintassi", f"{_SYNTAX}: il carattere «{quoted(ch)}» non può stare in una citazione", offset


def _is_unclosed(body: str, start: int, kind: str) -> bool:
    """Whether the tag opened at `start` has no closing mark before the next tag opens."""
    close = body.find(_CLOSE[kind], start)
    following = _CITATION.search(body, start + 2)
    return close < 0 or bool(following and following.start() < close)


def _unclosed(opened: tuple[int, str]) -> tuple[str, str, int]:
    start, kind = opened
    begin = {"variable_begin": "{{", "block_begin": "{%", "comment_begin": "{#"}.get(kind, "{%")
    return "cifre-sintassi", f"«{begin}» senza la chiusura «{_CLOSE.get(kind, '%}')}»", start


def _column(body: str, lineno: int, near: str) -> int:
    lines = body.split("\n")
    if not 1 <= lineno <= len(lines):
        return 1
    line = lines[lineno - 1]
    for needle in (near, "{"):
        if needle and needle in line:
            return line.index(needle) + 1
    return 1


def flatten(cifre: dict, prefix: str = "cifre") -> list[tuple[str, str]]:
    """Every citable name with its current value, for `pdz cifre`."""
    out = []
    for key, value in cifre.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            out.extend(flatten(value, name))
        else:
            out.append((name, str(value)))
    return out
