"""Chapters cite computed figures by name: `{{ cifre.popolazione.totale }}`, `{{ tabella("budget") }}`.

Chapters pass through a sandboxed Jinja environment that sees only the documented
namespace (`cifre`, `tabella`, `schede`); an unknown name, a syntax error or an
attempt to reach anything else is a located problem, never a crash. Text in YAML
fields is never evaluated.
"""

from __future__ import annotations

import difflib
import re
import traceback

import jinja2
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pdz_docs.load.plan import Capitolo
from pdz_docs.problems import Loc, Problem, errore

MARK = "\ue000"          # private-use character: cannot be typed by accident
TABLE_RE = re.compile(MARK + r"(TABELLA|SCHEDE):([a-z0-9_]*)" + MARK)
MAX_OUTPUT = 2_000_000


class _Undefined(jinja2.StrictUndefined):
    def _fail_with_undefined_error(self, *args, **kwargs):
        name = self._undefined_name
        parent = self._undefined_obj
        hint = ""
        if isinstance(parent, dict):
            match = difflib.get_close_matches(str(name), [str(k) for k in parent], n=1, cutoff=0.5)
            hint = f": forse «{match[0]}»?" if match else f" (nomi disponibili: {', '.join(map(str, parent))})"
        raise UndefinedError(f"nome sconosciuto «{name}»{hint}")

    __str__ = __iter__ = __len__ = __eq__ = __hash__ = __bool__ = _fail_with_undefined_error  # type: ignore


class _Env(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**", "+"])

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("potenza troppo grande")
        if operator == "*":
            for a, b in ((left, right), (right, left)):
                if isinstance(a, (str, list, tuple)) and isinstance(b, int) and len(a) * b > 10_000:
                    raise SecurityError("testo troppo lungo")
        if operator == "+" and isinstance(left, str) and isinstance(right, str) and len(left) + len(right) > MAX_OUTPUT:
            raise SecurityError("testo troppo lungo")
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj, attr, value):
        # Only the figures' own data is reachable: no methods, no dunder, nothing callable.
        return not attr.startswith("_") and not callable(value) and super().is_safe_attribute(obj, attr, value)


def make_env() -> _Env:
    env = _Env(undefined=_Undefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()
    env.filters = {k: v for k, v in env.filters.items() if k in ("upper", "lower", "capitalize", "title", "trim")}
    env.tests = {k: v for k, v in env.tests.items() if k in ("defined", "undefined", "none")}
    return env


def expand(cap: Capitolo, cifre: dict, table_ids: set[str]) -> tuple[str, list[Problem]]:
    """Expand a chapter's Jinja; return Markdown with table markers, and problems."""
    problems: list[Problem] = []
    env = make_env()

    def tabella(table_id: str = "") -> str:
        if table_id not in table_ids:
            match = difflib.get_close_matches(str(table_id), sorted(table_ids), n=1, cutoff=0.5)
            raise UndefinedError(f"tabella sconosciuta «{table_id}»" + (f": forse «{match[0]}»?" if match else ""))
        return f"\n\n{MARK}TABELLA:{table_id}{MARK}\n\n"

    def schede() -> str:
        return f"\n\n{MARK}SCHEDE:{MARK}\n\n"

    try:
        template = env.from_string(cap.body)
        template.name = cap.file
        text = template.render(cifre=cifre, tabella=tabella, schede=schede)
    except TemplateSyntaxError as exc:
        line = cap.body_line + (exc.lineno or 1) - 1
        return "", [errore(Loc(cap.file, line, 1), "cifre-sintassi",
                           f"espressione {{{{ … }}}} non valida: {_it(exc.message or '')}")]
    except (UndefinedError, SecurityError, TemplateError, TypeError, ValueError, RecursionError) as exc:
        lineno = _template_line(exc, cap.file)
        line = cap.body_line + lineno - 1
        col = _column(cap.body, lineno, exc)
        code = "cifra-sconosciuta" if isinstance(exc, UndefinedError) else "cifre-non-ammesso"
        msg = str(exc) if isinstance(exc, UndefinedError) else (
            f"espressione non ammessa nel capitolo: nei capitoli si possono solo citare cifre e tabelle ({_it(str(exc))})")
        return "", [errore(Loc(cap.file, line, col), code, msg)]
    if len(text) > MAX_OUTPUT:
        return "", [errore(cap.loc, "capitolo-troppo-lungo", "il capitolo espanso è troppo lungo")]
    if MARK in cap.body:
        problems.append(errore(cap.loc, "carattere-non-ammesso", "il capitolo contiene un carattere riservato (U+E000)"))
    return text, problems


def _it(msg: str) -> str:
    return msg.replace("access to attribute", "accesso all'attributo").replace("is unsafe", "non consentito")


def _template_line(exc: BaseException, name: str) -> int:
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == name or frame.filename == "<template>":
            return frame.lineno or 1
    return getattr(exc, "lineno", None) or 1


def _column(body: str, lineno: int, exc: BaseException) -> int:
    lines = body.splitlines()
    if not 1 <= lineno <= len(lines):
        return 1
    line = lines[lineno - 1]
    m = re.search(r"«([^»]+)»", str(exc))
    if m and m.group(1) in line:
        return line.index(m.group(1)) + 1
    i = line.find("{")
    return i + 1 if i >= 0 else 1


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
