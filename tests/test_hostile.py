"""Broken and hostile plans: each refused (or accepted) with the exact problem, fast, without a traceback.

Every case starts from a copy of tests/fixtures/minimo with one thing broken, runs
`pdz check` (and for some `pdz build`) through `pdz_docs.cli.main`, and asserts the exit
code, the exact problems as printed (file, line, code), that no traceback was printed
and that the run took at most a few seconds. Binary and special files (a 50 MB file,
a FIFO, symlinks, UTF-16) are made here, in the temporary copy.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import struct
import time
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import pytest

from conftest import CAPITOLO_1, FIXTURES, ROOT, UNPROGRAMMED, edit, line_of
from pdz_docs.cli import main
from pdz_docs.limits import MAX_CITATIONS, MAX_PROBLEMS_PER_FILE, MAX_YAML_NODES
from pdz_docs.pipeline import run
from pdz_docs.provenance import provenance
from pdz_docs.document.builder import build_document
from pdz_docs.render.html import render_html

SECONDS = 5.0         # generous: most cases take a few hundredths of a second
CARD = "schede/A.1.yaml"
CAP = "capitoli/10-cap1.md"
AMOUNT = "PdZ: € 50.000,00"        # the 2023 amount of the card
CITATION = "L'Ambito conta {{ cifre.popolazione.totale }} abitanti."
_LINE = re.compile(r"^(?P<loc>.+?): (?P<sev>errore|avviso|nota): (?P<msg>.*) \[(?P<code>[a-z0-9-]+)\]$")


# --- what a case does to the plan ---------------------------------------------------

def replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda plan: edit(plan / rel, old, new)


def write(rel: str, data: str | bytes) -> Callable[[Path], None]:
    def go(plan: Path) -> None:
        path = plan / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return go


def symlink(rel: str, target: str | Callable[[Path], Path]) -> Callable[[Path], None]:
    def go(plan: Path) -> None:
        path = plan / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        os.symlink(target(plan) if callable(target) else target, path)
    return go


def steps(*fns: Callable[[Path], None]) -> Callable[[Path], None]:
    def go(plan: Path) -> None:
        for fn in fns:
            fn(plan)
    return go


def chapter(body: str) -> Callable[[Path], None]:
    return replace(CAP, CITATION, body)


def amount(text: str) -> Callable[[Path], None]:
    return replace(CARD, AMOUNT, "PdZ: " + text)


def amount_case(case_id: str, text: str, code: str) -> "Case":
    """The card's 2023 amount written as `text`: refused with `code` on its line."""
    return Case(case_id, amount(text), [(CARD, "PdZ: " + text[:12], code)])


def png(width: int = 4, height: int = 2) -> bytes:
    """A real PNG file, built by hand (no imaging library needed)."""
    raw = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def outside_dir(plan: Path) -> Path:
    """A folder next to the plan (so outside it), made on demand."""
    d = plan.parent / "fuori"
    d.mkdir(exist_ok=True)
    return d


def outside_card(plan: Path) -> Path:
    path = outside_dir(plan) / "B.1.yaml"
    path.write_text((FIXTURES / "minimo" / CARD).read_text(encoding="utf-8").replace("A.1", "B.1"), encoding="utf-8")
    return path


def outside_chapters(plan: Path) -> Path:
    d = outside_dir(plan) / "capitoli"
    d.mkdir(exist_ok=True)
    (d / "10-cap1.md").write_text("---\nid: cap1\ntitolo: Fuori\nordine: 10\n---\nTesto.\n", encoding="utf-8")
    return d


def laughs() -> str:
    lines = ["codice: A.1", "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


def crlf(plan: Path) -> None:
    for path in plan.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def bom(rel: str) -> Callable[[Path], None]:
    return lambda plan: (plan / rel).write_bytes(b"\xef\xbb\xbf" + (plan / rel).read_bytes())


def recode(rel: str, encoding: str, old: str = "", new: str = "") -> Callable[[Path], None]:
    def go(plan: Path) -> None:
        text = (plan / rel).read_text(encoding="utf-8").replace(old, new, 1)
        (plan / rel).write_bytes(text.encode(encoding))
    return go


def sparse(rel: str, size: int) -> Callable[[Path], None]:
    def go(plan: Path) -> None:
        with open(plan / rel, "r+b") as f:
            f.truncate(size)
    return go


# --- the cases ------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    setup: Callable[[Path], None]
    # (file, line: an int, a text on the expected line, or None for a problem about the whole file, code)
    expected: list[tuple[str, int | str | None, str]] = field(default_factory=list)
    exit: int = 1
    notes: list[str] = field(default_factory=list)   # the «nota» codes printed too


CHECK_CASES = [
    # YAML
    Case("yaml-billion-laughs", write(CARD, laughs()), [(CARD, 3, "yaml-alias")]),
    Case("yaml-alias-once", replace(CARD, "titolo: Segretariato sociale", "x: &t Segretariato\ntitolo: *t"),
         [(CARD, "titolo: *t", "yaml-alias")]),
    Case("yaml-deep-flow", write(CARD, "codice: A.1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n"),
         [(CARD, 2, "yaml-annidamento")]),
    Case("yaml-deep-block", write(CARD, "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x: 1\n"),
         [(CARD, 41, "yaml-annidamento")]),
    Case("yaml-too-many-values", write(CARD, "codice: A.1\nx:\n" + "- 1\n" * (MAX_YAML_NODES + 10)),
         # nodes: the document map, «codice», «A.1», «x», the list, then one per item
         [(CARD, MAX_YAML_NODES - 5 + 3, "file-troppo-grande")]),
    Case("yaml-50-mb", sparse(CARD, 50 * 1024 * 1024), [(CARD, None, "file-troppo-grande")]),
    Case("binary-png", write(CARD, png()), [(CARD, 3, "file-binario")]),  # the first NUL byte is on «line» 3
    Case("binary-no-nul", write(CARD, bytes(range(0x80, 0x100))), [(CARD, 1, "file-non-utf8")]),
    Case("binary-nul", write(CARD, b"codice: A.1\ntitolo: x\x00\x01\x02\n"), [(CARD, 2, "file-binario")]),
    Case("binary-control", replace(CARD, "titolo: Segretariato sociale", "titolo: Segretariato\x07 sociale"),
         [(CARD, "titolo:", "file-binario")]),
    Case("bom-accepted", steps(bom("piano.yaml"), bom(CARD), bom(CAP)), [], exit=0),
    Case("bom-keeps-locations", steps(bom(CARD), replace(CARD, "codice: A.1", "codice: A.9")),
         [(CARD, 1, "codice-sconosciuto")]),
    Case("crlf-accepted", crlf, [], exit=0),
    Case("crlf-keeps-locations", steps(replace(CARD, "aree: [accesso]", "aree: [acesso]"), crlf),
         [(CARD, "aree:", "area-sconosciuta")]),
    Case("latin-1", recode("piano.yaml", "latin-1", "provincia: Lecce", "provincia: Lecce (Salentò)"),
         [("piano.yaml", "provincia:", "file-non-utf8")]),
    Case("windows-1252", recode(CARD, "cp1252", "Segretariato sociale", "Attività sociale"),
         [(CARD, "titolo:", "file-non-utf8")]),
    Case("utf-16", recode(CARD, "utf-16"), [(CARD, 1, "file-non-utf8")]),
    Case("utf-16-chapter", recode(CAP, "utf-16"), [(CAP, 1, "file-non-utf8")]),
    Case("utf-16-no-bom", recode(CARD, "utf-16-le"), [(CARD, 1, "file-binario")]),
    Case("tag-python-apply", replace(CARD, "titolo: Segretariato sociale",
                                     'titolo: !!python/object/apply:os.system ["touch PWNED"]'),
         [(CARD, "titolo:", "yaml-tag")]),
    Case("tag-python-name", replace(CARD, "titolo: Segretariato sociale", "titolo: !!python/name:os.system"),
         [(CARD, "titolo:", "yaml-tag")]),
    Case("tag-custom", replace(CARD, "titolo: Segretariato sociale", "titolo: !foo Segretariato"),
         [(CARD, "titolo:", "yaml-tag")]),
    Case("tag-on-key", replace(CARD, "titolo: Segretariato sociale", "titolo: Segretariato\n!!python/name:os.system : x"),
         [(CARD, "python/name", "yaml-tag")]),
    Case("merge-key", replace(CARD, "titolo: Segretariato sociale", "titolo: Segretariato\n<<: {aree: [accesso]}"),
         [(CARD, "<<:", "yaml-chiave")]),
    Case("duplicate-key", replace(CARD, "titolo: Segretariato sociale", "titolo: Segretariato\ntitolo: Altro"),
         [(CARD, "titolo: Altro", "yaml-chiave-duplicata")]),
    Case("tab-indent", replace(CARD, "  leps:", "\tleps:"), [(CARD, "leps:", "yaml-tab")]),
    Case("two-documents", replace(CARD, "aree: [accesso]", "aree: [accesso]\n---\naree: [poverta]"),
         [(CARD, 7, "yaml-sintassi")]),
    Case("many-mistakes-capped", replace("piano.yaml", "provincia: Lecce",
                                         "provincia: Lecce\n" + "".join(f"k{i}: {i}\n" for i in range(5000))),
         # the first MAX_PROBLEMS_PER_FILE, then a note (not an error) counting the others
         [("piano.yaml", 3 + i, "chiave-sconosciuta") for i in range(MAX_PROBLEMS_PER_FILE)]),
    Case("leading-zeros-decimal", replace("piano.yaml", "popolazione: 1000", "popolazione: 01000"), [], exit=0),
    Case("hex-count", replace("piano.yaml", "popolazione: 1000", "popolazione: 0x3E8"),
         [("piano.yaml", "0x3E8", "tipo-errato")]),
    Case("huge-count", replace("piano.yaml", "famiglie: 400", "famiglie: " + "9" * 40),
         [("piano.yaml", "famiglie: 999", "valore-non-valido")]),
    Case("count-beyond-int-digits", replace("piano.yaml", "famiglie: 400", "famiglie: " + "9" * 5000),
         [("piano.yaml", "famiglie: 999", "valore-non-valido")]),
    # paths
    Case("card-symlink-etc-passwd", symlink("schede/B.1.yaml", "/etc/passwd"),
         [("schede/B.1.yaml", None, "percorso-esterno")]),
    Case("card-symlink-outside", symlink("schede/B.1.yaml", outside_card), [("schede/B.1.yaml", None, "percorso-esterno")]),
    Case("piano-symlink-etc-passwd", symlink("piano.yaml", "/etc/passwd"), [("piano.yaml", None, "percorso-esterno")]),
    Case("rules-symlink-etc-passwd", steps(lambda p: (p / "rules").mkdir(),
                                           symlink("rules/prps-2022-2024.yaml", "/etc/passwd")),
         [("rules/prps-2022-2024.yaml", None, "percorso-esterno")]),
    Case("chapters-dir-symlink", symlink("capitoli", outside_chapters), [("capitoli", None, "percorso-esterno")]),
    Case("chapter-listed-outside", replace("piano.yaml", "superficie_km2", "capitoli: [../../../../etc/passwd]\n"
                                           "superficie_km2"), [("piano.yaml", "capitoli:", "percorso-esterno")]),
    Case("symlink-loop", steps(symlink("schede/C.1.yaml", lambda p: p / "schede" / "C.2.yaml"),
                               symlink("schede/C.2.yaml", lambda p: p / "schede" / "C.1.yaml")),
         [("schede/C.1.yaml", None, "file-illeggibile"), ("schede/C.2.yaml", None, "file-illeggibile")]),
    Case("card-is-fifo", lambda p: os.mkfifo(p / "schede" / "C.1.yaml"), [("schede/C.1.yaml", None, "file-illeggibile")]),
    Case("card-is-directory", lambda p: (p / "schede" / "C.1.yaml").mkdir(), [("schede/C.1.yaml", None, "file-illeggibile")]),
    Case("card-name-disagrees", lambda p: (p / CARD).rename(p / "schede" / "A.2.yaml"),
         [("schede/A.2.yaml", "codice:", "nome-file-scheda")], exit=0),
    # numbers
    amount_case("amount-1e30", "€ 1" + ".000" * 10 + ",00", "importo-non-valido"),
    amount_case("amount-400-digits", "1" + "0" * 400, "importo-non-valido"),
    amount_case("amount-million-digits", '"' + "9" * 1_000_000 + '"', "importo-non-valido"),
    amount_case("amount-many-decimals", "€ 1,123456789012345678901234567890", "importo-decimali"),
    Case("amount-negative-zero", steps(amount('"-0"'), replace(CARD, "PAIS: € 10.000,00", "PAIS: € -0,00")), [], exit=0),
    amount_case("amount-yaml-nan", ".nan", "importo-non-valido"),
    amount_case("amount-yaml-inf", "-.inf", "importo-non-valido"),
    amount_case("amount-text-nan", '"NaN"', "importo-non-valido"),
    amount_case("amount-text-infinity", "Infinity", "importo-non-valido"),
    amount_case("amount-text-inf", "€ inf", "importo-non-valido"),
    amount_case("amount-separators-1.23.456", '"1.23.456,00"', "importo-non-valido"),
    amount_case("amount-separators-12.34", '"12.34,00"', "importo-non-valido"),
    amount_case("amount-separators-swapped", '"1,234.56"', "importo-non-valido"),
    amount_case("amount-arabic-digits", '"١٢٣"', "importo-non-valido"),
    amount_case("amount-hex", "0x1F", "importo-non-valido"),
    Case("population-zero-everywhere", steps(replace("piano.yaml", "popolazione: 3000", "popolazione: 0"),
                                             replace("piano.yaml", "popolazione: 1000", "popolazione: 0")),
         [("piano.yaml", "fasce_eta: {0-3: 100", "popolazione-incoerente"),
          ("piano.yaml", "fasce_eta: {0-3: 30", "popolazione-incoerente")], exit=0,
         notes=["campo-vuoto", "campo-vuoto"]),   # a population of 0 is an element to complete
    # citations in chapters
    Case("jinja-str-class", chapter("{{ ''.__class__ }}"), [(CAP, "__class__", "cifre-non-ammesso")]),
    Case("jinja-cifre-init", chapter("{{ cifre.__init__ }}"), [(CAP, "__init__", "cifre-non-ammesso")]),
    Case("jinja-mro", chapter("{{ cifre.__class__.__mro__ }}"), [(CAP, "__mro__", "cifre-non-ammesso")]),
    Case("jinja-globals", chapter("{{ tabella.__globals__ }}"), [(CAP, "__globals__", "cifre-non-ammesso")]),
    Case("jinja-subscript-dunder", chapter("{{ cifre['__class__'] }}"), [(CAP, "__class__", "cifre-non-ammesso")]),
    Case("jinja-attr-filter", chapter("{{ cifre|attr('__class__') }}"), [(CAP, "attr(", "cifre-non-ammesso")]),
    Case("jinja-method-call", chapter("{{ cifre.items() }}"), [(CAP, "items()", "cifre-non-ammesso")]),
    Case("jinja-import", chapter("{% import 'x' as y %}"), [(CAP, "import", "cifre-non-ammesso")]),
    Case("jinja-include", chapter("{% include '/etc/passwd' %}"), [(CAP, "include", "cifre-non-ammesso")]),
    Case("jinja-extends", chapter("{% extends 'base.html' %}"), [(CAP, "extends", "cifre-non-ammesso")]),
    Case("jinja-huge-loop", chapter("{% for i in range(10**9) %}x{% endfor %}"), [(CAP, "range", "cifre-non-ammesso")]),
    Case("jinja-string-times", chapter("{{ 'a' * 10**9 }}"), [(CAP, "10**9", "cifre-non-ammesso")]),
    Case("jinja-macro-recursion", chapter("{% macro f(n) %}{{ f(n) }}{% endmacro %}\n{{ f(0) }}"),
         [(CAP, "macro", "cifre-non-ammesso"), (CAP, "{{ f(0) }}", "cifre-non-ammesso")]),
    Case("jinja-lipsum", chapter("{{ lipsum(10**6) }}"), [(CAP, "lipsum", "cifre-non-ammesso")]),
    Case("jinja-deep-brackets", chapter("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"),
         [(CAP, "(((", "cifre-non-ammesso")]),
    Case("jinja-too-many-citations", chapter("{{ cifre.popolazione.totale }}\n\n" * (MAX_CITATIONS + 1)),
         [(CAP, 9 + 2 * MAX_CITATIONS, "capitolo-troppo-lungo")]),
    Case("jinja-unclosed", chapter("{{ cifre.popolazione.totale "), [(CAP, "{{ cifre.popolazione.totale", "cifre-sintassi")]),
    # Markdown: images, links, sizes
    Case("image-etc-passwd", chapter("![x](file:///etc/passwd)"), [(CAP, "![x]", "immagine-esterna")]),
    Case("image-http", chapter("![x](http://example.org/x.png)"), [(CAP, "![x]", "immagine-esterna")]),
    Case("image-https-reference", chapter("![logo][l]\n\n[l]: https://example.org/x.png"),
         [(CAP, "[l]:", "immagine-esterna")]),
    Case("image-data-uri", chapter("![x](data:image/png;base64,iVBORw0KGgo=)"), [(CAP, "![x]", "immagine-esterna")]),
    Case("image-dotdot", chapter("![x](../../../../../../etc/passwd)"), [(CAP, "![x]", "percorso-esterno")]),
    Case("image-absolute", chapter("![x](/etc/passwd)"), [(CAP, "![x]", "percorso-esterno")]),
    Case("image-symlink-outside", steps(lambda p: (p / "immagini").mkdir(),
                                        symlink("immagini/logo.png", "/etc/passwd"),
                                        chapter("![x](../immagini/logo.png)")), [(CAP, "![x]", "percorso-esterno")]),
    Case("image-missing", chapter("![x](../immagini/manca.png)"), [(CAP, "![x]", "immagine-mancante")]),
    Case("image-svg", steps(write("immagini/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>"),
                            chapter("![x](../immagini/logo.svg)")), [(CAP, "![x]", "immagine-formato")]),
    Case("image-not-really-png", steps(write("immagini/logo.png", "non sono un'immagine"),
                                       chapter("![x](../immagini/logo.png)")), [(CAP, "![x]", "immagine-formato")]),
    Case("link-javascript", chapter("[clic](javascript:alert(1))"), [(CAP, "[clic]", "link-non-ammesso")]),
    Case("link-javascript-mixed-case", chapter("[clic](JaVaScRiPt:alert(1))"), [(CAP, "[clic]", "link-non-ammesso")]),
    Case("link-javascript-entity", chapter("[clic](jav&#x61;script:alert(1))"), [(CAP, "[clic]", "link-non-ammesso")]),
    Case("link-data", chapter("[clic](data:text/html;base64,PHNjcmlwdD4=)"), [(CAP, "[clic]", "link-non-ammesso")]),
    Case("link-vbscript", chapter("[clic](vbscript:msgbox(1))"), [(CAP, "[clic]", "link-non-ammesso")]),
    Case("link-reference", chapter("[clic][x]\n\n[x]: javascript:alert(1)"), [(CAP, "[x]:", "link-non-ammesso")]),
    Case("markdown-brackets", chapter("[" * 8000), [(CAP, "[[[", "paragrafo-troppo-lungo")]),
    Case("markdown-setext-lines", chapter("a\n=\n" * 2000), [(CAP, 9, "paragrafo-troppo-lungo")]),
    Case("markdown-deep-lists", chapter("".join("  " * i + "- x\n" for i in range(60))),
         [(CAP, 9, "paragrafo-troppo-lungo")]),
    Case("markdown-chapter-too-big", chapter("Testo di prova.\n\n" * 20_000), [(CAP, None, "file-troppo-grande")]),
]


def pdz(capsys, *args: str) -> tuple[int, str, float]:
    start = time.monotonic()
    code = main(list(args))
    seconds = time.monotonic() - start
    out = capsys.readouterr()
    return code, out.out + out.err, seconds


def printed_problems(output: str) -> list[tuple[str, int | None, str, str]]:
    """(file, line, severity, code) of each problem line `path:line:col: gravità: messaggio [codice]`."""
    found = []
    for line in output.splitlines():
        m = _LINE.match(line)
        if m:
            loc = m.group("loc")
            parts = re.fullmatch(r"(.*):(\d+):(\d+)", loc)
            file, lineno = (parts.group(1), int(parts.group(2))) if parts else (loc, None)
            found.append((os.path.abspath(file), lineno, m.group("sev"), m.group("code")))
    return found


def expected_problems(plan: Path, expected) -> list[tuple[str, int | None, str]]:
    out = []
    for rel, at, code in expected:
        path = plan / rel
        line = line_of(path, at) if isinstance(at, str) else at
        out.append((os.path.abspath(path), line, code))
    return sorted(out, key=lambda x: (x[0], x[1] or 0, x[2]))


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"tentativo di connessione: {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("case", CHECK_CASES, ids=[c.id for c in CHECK_CASES])
def test_check(case: Case, plan_dir: Path, capsys, monkeypatch, no_network):
    monkeypatch.chdir(plan_dir.parent)  # so that a «touch PWNED» would land where it is looked for
    case.setup(plan_dir)
    code, output, seconds = pdz(capsys, "check", str(plan_dir))
    assert "Traceback" not in output
    assert seconds < SECONDS, f"{case.id}: {seconds:.1f} s"
    assert code == case.exit, output
    problems = [p for p in printed_problems(output) if p[3] != UNPROGRAMMED]
    found = sorted(((f, line, c) for f, line, sev, c in problems if sev != "nota"), key=lambda x: (x[0], x[1] or 0, x[2]))
    assert found == expected_problems(plan_dir, case.expected), output
    notes = [c for _, _, sev, c in problems if sev == "nota"]
    assert notes == (["altri-problemi"] if len(case.expected) == MAX_PROBLEMS_PER_FILE else case.notes)
    assert not (plan_dir.parent / "PWNED").exists()


# --- what reaches the HTML --------------------------------------------------------------

SAFE_TAGS = {"html", "head", "body", "meta", "title", "style", "header", "footer", "section", "nav", "div", "span",
             "p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "a", "em", "strong", "code", "pre", "blockquote", "hr",
             "br", "sup", "del", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "img",
             "small", "b", "i", "main", "article", "aside", "figure", "figcaption",
             "svg", "rect", "path"}   # the cards' tick boxes: drawn by the template, with their text alternative


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str, plan: Path) -> None:
    """Nothing in the HTML can run, and nothing points outside the plan or to the network."""
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in SAFE_TAGS, f"<{tag}> nel documento"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"<{tag} {name}=…>"
            assert "javascript:" not in (value or "").lower().replace(" ", "")
        if tag == "a" and "href" in attrs:
            assert re.match(r"(https?:|mailto:|#)", attrs["href"]), attrs["href"]
        if tag == "img":   # the plan's own picture, normalised and inline (load/media.py)
            assert re.match(r"data:image/(png|jpeg);base64,[A-Za-z0-9+/=]+$", attrs["src"]), attrs["src"][:80]
    # the one <style> is the project's own style sheet, in the head (the page is self-contained)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert [s.strip() for s in styles] == [(ROOT / "templates" / "piano.css").read_text(encoding="utf-8").strip()]
    assert html.index("<style>") < html.index("</head>") and "<link" not in html


def html_of(plan: Path) -> str:
    result, _ = run(plan)
    return render_html(build_document(result, provenance(result.plan))[0])


HTML_CASES = [
    ("script", "<script>alert(1)</script>", 0, "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("script-block", "\n<script>\nalert(1)\n</script>\n", 0, "&lt;script&gt;"),
    ("iframe", "<iframe src='http://example.org'></iframe>", 0, "&lt;iframe"),
    ("style", "<style>body{background:url(http://example.org/x)}</style>", 0, "&lt;style&gt;"),
    ("object", "<object data='x.swf'></object>", 0, "&lt;object"),
    ("img-onerror", '<img src=x onerror="alert(1)">', 0, "&lt;img src=x onerror="),
    ("event-attribute", 'testo <b onmouseover="alert(1)">x</b>', 0, "&lt;b onmouseover="),
    ("svg-onload", "<svg onload=alert(1)>", 0, "&lt;svg onload=alert(1)&gt;"),
    ("html-in-link-text", "[<img src=x onerror=alert(1)>](https://example.org)", 0, "&lt;img src=x onerror"),
    ("link-javascript", "[clic](javascript:alert(1))", 1, "<p>clic</p>"),
    ("link-data", "[clic](data:text/html;base64,PHNjcmlwdD4=)", 1, "<p>clic</p>"),
    ("link-vbscript", "[clic](vbscript:msgbox(1))", 1, "<p>clic</p>"),
    ("link-in-table", "| a |\n|---|\n| [l](javascript:x) |", 1, "<td>l</td>"),
    ("image-http", "![x](http://example.org/x.png)", 1, "<p></p>"),
    ("image-file", "![x](file:///etc/passwd)", 1, "<p></p>"),
    ("link-http-kept", "[sito](https://example.org/a?b=1&c=2)", 0, '<a href="https://example.org/a?b=1&amp;c=2">sito</a>'),
    ("heading-long-spaces", "## titolo" + " " * 5000 + "x", 0, "titolo"),
]


@pytest.mark.parametrize("name,body,exit,shown", HTML_CASES, ids=[c[0] for c in HTML_CASES])
def test_nothing_executable_reaches_html(name, body, exit, shown, plan_dir: Path, capsys, no_network):
    chapter("INIZIO\n\n" + body + "\n\nFINE")(plan_dir)
    code, output, seconds = pdz(capsys, "check", str(plan_dir))
    assert "Traceback" not in output and seconds < SECONDS
    assert code == exit, output
    start = time.monotonic()
    html = html_of(plan_dir)
    assert time.monotonic() - start < SECONDS
    assert_inert(html, plan_dir)
    assert shown in html[html.index("INIZIO"):html.index("FINE")]
    assert "alert(1)</" not in html and "<script" not in html


def test_yaml_text_is_never_a_template(plan_dir: Path, capsys):
    """Braces in YAML fields, and HTML in them, are text: shown literally and escaped."""
    edit(plan_dir / CARD, "titolo: Segretariato sociale", 'titolo: "{{ cifre.popolazione.totale }} <b>x</b>"')
    edit(plan_dir / CARD, "azioni: [Informare, Orientare]", 'azioni: ["{% for x in cifre %}ciclo{% endfor %}", Orientare]')
    edit(plan_dir / CAP, f"titolo: {CAPITOLO_1}", 'titolo: "Analisi {{ 7 * 7 }}"')
    edit(plan_dir / "piano.yaml", "ambito: Prova", 'ambito: "Prova <script>alert(1)</script>"')
    edit(plan_dir / CAP, CITATION, "Ambito: {{ cifre.ambito.nome }}.")
    code, output, _ = pdz(capsys, "check", str(plan_dir))
    assert code == 0, output
    html = html_of(plan_dir)
    assert_inert(html, plan_dir)
    assert "{{ cifre.popolazione.totale }} &lt;b&gt;x&lt;/b&gt;" in html
    assert "{% for x in cifre %}ciclo{% endfor %}" in html
    assert "Analisi {{ 7 * 7 }}" in html and "49" not in html
    assert "Ambito: Prova &lt;script&gt;alert(1)&lt;/script&gt;." in html


def test_figure_text_cannot_fake_a_table(plan_dir: Path, capsys):
    """A figure from YAML containing the reserved marker cannot place a table: a name cannot hold it."""
    edit(plan_dir / "piano.yaml", "ambito: Prova", 'ambito: "Prova\\uE000TABELLA:nessuna\\uE000"')
    edit(plan_dir / CAP, CITATION, "Ambito: {{ cifre.ambito.nome }}.")
    code, output, _ = pdz(capsys, "check", str(plan_dir))
    assert code == 1 and "Traceback" not in output
    assert "piano.yaml:1:9: errore: ambito:" in output and "[carattere-non-ammesso]" in output


def test_negative_zero_is_printed_as_zero(plan_dir: Path):
    amount('"-0,00"')(plan_dir)
    html = html_of(plan_dir)
    assert "-0,00" not in html and "−0,00" not in html


def test_image_inside_plan_renders(plan_dir: Path, tmp_path: Path, capsys, no_network):
    (plan_dir / "immagini").mkdir()
    (plan_dir / "immagini" / "logo.png").write_bytes(png(40, 20))
    chapter("![Logo dell'Ambito](../immagini/logo.png)\n\n" + CITATION)(plan_dir)
    code, output, _ = pdz(capsys, "check", str(plan_dir))
    assert code == 0, output
    html = html_of(plan_dir)
    assert_inert(html, plan_dir)
    assert '<img src="data:image/png;base64,' in html and 'width="40" height="20" alt="Logo dell&#39;Ambito"' in html
    if shutil.which("pdftotext") is None:  # the PDF build needs the same system libraries as test_build
        pytest.skip("poppler-utils non installato")
    out = tmp_path / "out"
    code, output, seconds = build_cli(capsys, plan_dir, out, "pdf")
    assert code == 0, output
    from pypdf import PdfReader
    reader = PdfReader(str(next(out.glob("*.pdf"))))
    assert sum(len(page.images) for page in reader.pages) >= 1


# --- pdz build: refused, previous outputs untouched ----------------------------------------

def build_cli(capsys, plan: Path, out: Path, fmt: str) -> tuple[int, str, float]:
    handler = signal.getsignal(signal.SIGTERM)  # `pdz build` installs its own
    try:
        return pdz(capsys, "build", str(plan), "-o", str(out), "--format", fmt)
    finally:
        signal.signal(signal.SIGTERM, handler)


BUILD_CASES = [c for c in CHECK_CASES if c.id in {
    "yaml-billion-laughs", "yaml-50-mb", "tag-python-apply", "card-symlink-etc-passwd", "piano-symlink-etc-passwd",
    "amount-million-digits", "jinja-macro-recursion", "jinja-huge-loop", "image-etc-passwd", "image-http",
    "link-javascript", "markdown-brackets"}]


@pytest.mark.parametrize("case", BUILD_CASES, ids=[c.id for c in BUILD_CASES])
def test_build_refused_outputs_untouched(case: Case, plan_dir: Path, tmp_path: Path, capsys, monkeypatch, no_network):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    old = {out / f"piano-sociale-di-zona-prova-2022-2024.{ext}": f"versione precedente {ext}".encode()
           for ext in ("pdf", "docx", "html")}
    for path, data in old.items():
        path.write_bytes(data)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    case.setup(plan_dir)
    code, output, seconds = build_cli(capsys, plan_dir, out, "pdf,docx,html")
    assert code == 1, output
    assert "Traceback" not in output
    assert seconds < SECONDS, f"{case.id}: {seconds:.1f} s"
    assert "Nessun file scritto" in output
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before
    codes = {c for _, _, sev, c in printed_problems(output) if sev == "errore"}
    assert codes == {code for _, _, code in case.expected}
    assert not (tmp_path / "PWNED").exists()
