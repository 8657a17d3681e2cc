"""Everything the writer reads is Italian: usage errors of every command, and every problem of the corpus.

Two sweeps look for English (and Python's None/True/False) in what `pdz` prints:
- every command run with wrong arguments (unknown command, missing or unknown argument,
  a value of the wrong type or outside its choices) and with --help;
- `pdz check` on every broken plan of the problem corpus: the cases of test_hostile.py,
  test_check_fixtures.py, test_finance_checks.py and test_probe_inputs.py (imported, not copied, so a case
  added there is swept here too) and the cases below.
Quoted writer's text («…»), file paths, option names and [codici] are not read.

The cases below also place each problem: multi-line Markdown links and images (reported
like their single-line forms, at the line of the address), chapter syntax errors, and
values the validation library refuses.
"""

from __future__ import annotations

import re
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import test_check_fixtures
import test_finance_checks
import test_probe_inputs
from conftest import UNPROGRAMMED, edit
from pdz_docs.cli import main
from pdz_docs.finance.money import YamlFloat
from pdz_docs.load import validate
from pdz_docs.model.types import Finanza, FrontMatter, Piano, Regole, Scheda
from pdz_docs.pipeline import run
from test_hostile import CAP, CHECK_CASES, Case, chapter, replace
from test_hostile import no_network  # noqa: F401  (fixture used by test_located)
from test_hostile import test_check as check_case

ENGLISH_WORDS = """
    the a an is are was be been this that these of to in on at by for from with without and or not no
    expected got should have has must required invalid input value values field fields string none true
    false error errors warning usage options option arguments argument choose choice choices unrecognized
    unexpected unknown missing token statement print end template encountered looking following ambiguous
    allowed ignored explicit show help message exit version number provided zero time dates datetimes
    valid parsing type list dict int float bool decimal less greater than equal least most character char
    key keys object extra forbidden permitted match pattern jump back footnote line column errno traceback
    exception permission denied directory such unsafe access attribute undefined call can't cannot could
    please only which
""".split()
# Words English shares with Italian, as they appear in our messages: never a sign of English.
ITALIAN_TOO = {"a", "in", "no", "non", "file", "data", "date", "tag"}
_ENGLISH = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in ENGLISH_WORDS if w not in ITALIAN_TOO) + r")\b",
                      re.IGNORECASE)


def english_in(text: str) -> list[str]:
    """English words in `text`, leaving out quoted writer's text, paths, options and problem codes."""
    text = re.sub(r"«[^»\n]*»", " ", text)
    text = re.sub(r"\[[a-z0-9-]+\]$", " ", text, flags=re.M)
    text = re.sub(r"\S*/\S*", " ", text)
    text = re.sub(r"(?<![\w-])--?[a-z][\w-]*", " ", text)
    return sorted({m.group(0) for m in _ENGLISH.finditer(text)})


# --- the command line ------------------------------------------------------------------

COMMANDS = ["check", "cifre", "schema", "build", "new", "watch", "diff"]
WRONG_ARGUMENTS = [
    [],
    ["foo"],
    ["chek", "content"],
    ["--bogus"],
    ["check", "--bogus"],
    ["check", "--strict=3"],
    ["cifre", "uno", "due"],
    ["schema", "-o"],
    ["build", "--format"],
    ["build", "--pdf-variant", "pdf/z"],
    ["build", "-o"],
    ["new"],
    ["new", "piano-nuovo"],
    ["new", "piano-nuovo", "--ambito"],
    ["watch", "--porta", "ottanta"],
    ["watch", "--porta"],
    ["watch", "uno", "due"],
    ["diff"],
    ["diff", "--format", "odt", "HEAD"],
    ["diff", "HEAD", "-o"],
]


def pdz(capsys, args: list[str]) -> tuple[int, str]:
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("args", WRONG_ARGUMENTS, ids=[" ".join(a) or "(nulla)" for a in WRONG_ARGUMENTS])
def test_usage_errors_are_italian(args: list[str], capsys, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, output = pdz(capsys, args)
    assert code == 2, output
    assert output.strip() and "Traceback" not in output
    assert english_in(output) == [], output


@pytest.mark.parametrize("command", [None] + COMMANDS)
def test_help_is_italian(command: str | None, capsys):
    code, output = pdz(capsys, [command, "--help"] if command else ["--help"])
    assert code == 0
    assert output.startswith("uso: pdz"), output
    assert "opzioni:" in output
    assert english_in(output) == [], output


def test_bad_format_value_is_italian(plan_dir: Path, tmp_path: Path, capsys):
    code, output = pdz(capsys, ["build", str(plan_dir), "-o", str(tmp_path / "out"), "--format", "odt"])
    assert code == 2, output
    assert "odt" in output and english_in(output) == [], output


def test_unknown_command_names_it(capsys):
    code, output = pdz(capsys, ["chek"])
    assert code == 2
    assert "«chek»" in output and "'check'" in output, output


# --- located problems: multi-line Markdown, chapter syntax, refused values --------------------

FINANZA_2023 = "    2023: € 250.000,00"
LOCATED = [
    # a link or an image whose text, address or definition continues on the next line
    Case("link-text-two-lines", chapter("[clic\nqui](javascript:alert(1))"), [(CAP, "qui](", "link-non-ammesso")]),
    Case("link-address-next-line", chapter("[clic](\njavascript:alert(1))"), [(CAP, "javascript:", "link-non-ammesso")]),
    Case("link-definition-next-line", chapter("[clic][x]\n\n[x]:\n  javascript:alert(1)"),
         [(CAP, "javascript:", "link-non-ammesso")]),
    Case("link-quote-two-lines", chapter("> [clic\n> qui](vbscript:msgbox(1))"), [(CAP, "qui](", "link-non-ammesso")]),
    Case("image-alt-two-lines", chapter("![a\nb](/etc/passwd)"), [(CAP, "b](", "percorso-esterno")]),
    Case("image-definition-next-line", chapter("![logo][l]\n\n[l]:\n  https://example.org/x.png"),
         [(CAP, "https:", "immagine-esterna")]),
    Case("link-two-lines-allowed", chapter("[il sito\ndella Regione](https://www.regione.puglia.it)"), [], exit=0),
    # citations Jinja cannot read: placed where the fix goes
    Case("jinja-missing-dot", chapter("{{ cifre.popolazione totale }}"), [(CAP, "popolazione totale", "cifre-sintassi")]),
    Case("jinja-empty", chapter("Abitanti: {{ }}."), [(CAP, "Abitanti", "cifre-sintassi")]),
    Case("jinja-ends-halfway", chapter("{{ cifre.popolazione. }}"), [(CAP, "{{ cifre", "cifre-sintassi")]),
    Case("jinja-unclosed-then-text", chapter("{{ cifre.popolazione.totale\n\nAltro {{ cifre.popolazione.totale }}"),
         [(CAP, "{{ cifre.popolazione.totale", "cifre-sintassi")]),
    Case("jinja-bracket", chapter("{{ cifre.popolazione.totale) }}"), [(CAP, "totale)", "cifre-sintassi")]),
    Case("jinja-quote", chapter("{{ tabella('fasce_eta) }}"), [(CAP, "tabella(", "cifre-sintassi")]),
    Case("jinja-character", chapter("{{ cifre.popolazione.totale € }}"), [(CAP, "totale €", "cifre-sintassi")]),
    Case("jinja-comment", chapter("{# da rivedere"), [(CAP, "{# da", "cifre-sintassi")]),
    Case("jinja-unknown-tag", chapter("{% cifra totale %}"), [(CAP, "{% cifra", "cifre-non-ammesso")]),
    Case("jinja-unclosed-block", chapter("{% for c in cifre %}"), [(CAP, "{% for", "cifre-non-ammesso")]),
    # values the validation library refuses
    Case("date-with-time", replace("piano.yaml", "data_riferimento: 2021-12-31", "data_riferimento: 2022-05-20 10:30"),
         [("piano.yaml", "data_riferimento:", "tipo-errato")]),
    Case("text-empty", replace("piano.yaml", "provincia: Lecce", "provincia: ~"), [("piano.yaml", "provincia:", "tipo-errato")]),
    Case("text-yes", replace("piano.yaml", "provincia: Lecce", "provincia: yes"), [("piano.yaml", "provincia:", "tipo-errato")]),
    Case("amount-empty", replace("finanza.yaml", "fnps_quote:", "fna_destinazione:\n  2022:\n    A.1: ~\nfnps_quote:"),
         [("finanza.yaml", "A.1: ~", "importo-non-valido")]),
    Case("number-too-big", replace(CAP, "numero: 1\n", "numero: 25\n"), [(CAP, "numero:", "tipo-errato")]),
    Case("year-not-a-number", replace("finanza.yaml", FINANZA_2023, "    duemila: € 250.000,00"),
         [("finanza.yaml", "duemila:", "tipo-errato")]),
    Case("yes-no-wrong", replace("piano.yaml", "provincia: Lecce",
                                 "provincia: Lecce\nservizi_precedenti: [{denominazione: Centro, attivo: forse}]"),
         [("piano.yaml", "servizi_precedenti:", "tipo-errato")]),
    Case("list-expected", replace("piano.yaml", "provincia: Lecce", "provincia: Lecce\ncapitoli: tutti"),
         [("piano.yaml", "capitoli:", "tipo-errato")]),
]


@pytest.mark.parametrize("case", LOCATED, ids=[c.id for c in LOCATED])
def test_located(case: Case, plan_dir: Path, capsys, monkeypatch, no_network):  # noqa: F811
    check_case(case, plan_dir, capsys, monkeypatch, no_network)


@pytest.mark.parametrize("edit_from,edit_to,message", [
    ("data_riferimento: 2021-12-31", "data_riferimento: 2022-05-20 10:30",
     "data_riferimento: deve essere una data senza ora, nella forma AAAA-MM-GG (trovato «2022-05-20 10:30»)"),
    ("provincia: Lecce", "provincia: ~", "provincia: deve essere un testo (il valore è vuoto)"),
    ("provincia: Lecce", "provincia: true", "provincia: deve essere un testo (trovato «true», che vale come sì/no)"),
])
def test_refused_values_quoted_as_written(plan_dir: Path, edit_from: str, edit_to: str, message: str):
    edit(plan_dir / "piano.yaml", edit_from, edit_to)
    _, problems = run(plan_dir)
    assert [p.message for p in problems] == [message]


def test_empty_amount_says_so(plan_dir: Path):
    # where an amount has no «not given» state (the FNA's destination to a card), «~» is a missing amount, said so
    edit(plan_dir / "finanza.yaml", "fnps_quote:", "fna_destinazione:\n  2022:\n    A.1: ~\nfnps_quote:")
    _, problems = run(plan_dir)
    assert [p.message for p in problems if p.code != UNPROGRAMMED] == ["fna_destinazione.2022.A.1: manca l'importo"]


def test_missing_dot_is_suggested(plan_dir: Path):
    edit(plan_dir / CAP, "{{ cifre.popolazione.totale }}", "{{ cifre.popolazione totale }}")
    _, problems = run(plan_dir)
    assert [p.message for p in problems if p.code != UNPROGRAMMED] == [
        "citazione {{ … }} non valida: «totale» non può stare dopo «popolazione»: forse manca un punto, "
        "«popolazione.totale»?"]


def _annotations(model: type[BaseModel], seen: set) -> list:
    """The annotation of every field of `model` and of the models inside it."""
    if model in seen:
        return []
    seen.add(model)
    out = []
    for f in model.model_fields.values():
        annotation = f.rebuild_annotation()
        out.append(annotation)
        stack = [f.annotation]
        while stack:
            t = stack.pop()
            if isinstance(t, type) and issubclass(t, BaseModel):
                out.extend(_annotations(t, seen))
            stack.extend(typing.get_args(t))
    return out


PROBES = [None, True, "x", "", 25, -5, 10**40, YamlFloat("1.5"), [], {}, {1: 1}, {"x": 1},
          datetime(2022, 5, 20, 10, 30), "2022-05-20 10:30", date(2022, 5, 20)]


def test_every_validation_error_type_has_italian_text():
    """Each error type the plan's models can give, probed field by field, is worded by us."""
    seen: set = set()
    kinds = set()
    for model in (Piano, Finanza, Scheda, FrontMatter, Regole):
        for annotation in _annotations(model, seen):
            adapter = TypeAdapter(annotation)
            for value in PROBES + [[p] for p in PROBES] + [{p: 1} for p in PROBES if p.__hash__]:
                try:
                    adapter.validate_python(value)
                except ValidationError as exc:
                    kinds.update(e["type"] for e in exc.errors())
    assert {"date_from_datetime_inexact", "string_type", "int_parsing", "less_than_equal"} <= kinds
    ours = {k for k in kinds if "-" in k}  # our validators' problem codes, worded in Italian
    assert kinds - ours - {"missing", "extra_forbidden", "none_required"} <= set(validate._MESSAGES)


# --- the whole corpus, swept for English ------------------------------------------------

def _edits(edits) -> Callable[[Path], None]:
    def go(plan: Path) -> None:
        for file, old, new in edits:
            edit(plan / file, old, new)
    return go


CORPUS: dict[str, Callable[[Path], None]] = {
    **{f"hostile-{c.id}": c.setup for c in CHECK_CASES},
    **{f"fixtures-{c[0]}": _edits([c[1:4]]) for c in test_check_fixtures.CASES},
    **{f"finance-{name}": _edits(edits) for name, (edits, _) in test_finance_checks.CASES.items()},
    **{f"messages-{c.id}": c.setup for c in LOCATED},
    **{f"probe-{c.id}": c.setup for c in test_probe_inputs.PROBES},
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_no_english_in_check_output(name: str, plan_dir: Path, capsys, monkeypatch):
    monkeypatch.chdir(plan_dir.parent)
    CORPUS[name](plan_dir)
    code, output = pdz(capsys, ["check", str(plan_dir)])
    assert "Traceback" not in output
    assert english_in(output.replace(str(plan_dir), "")) == [], output
