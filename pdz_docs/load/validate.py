"""Validate loaded YAML data against a model, turning pydantic errors into located problems."""

from __future__ import annotations

import difflib
import types
import typing
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from pdz_docs.limits import MAX_PROBLEMS_PER_FILE, quoted
from pdz_docs.load.yamlsrc import omitted
from pdz_docs.model import YamlDoc
from pdz_docs.problems import Problem, errore

# Every error type the plan's models can produce (pydantic's `type`, never its English `msg`),
# as (problem code, Italian text); `{…}` are filled from the error's context.
_MESSAGES: dict[str, tuple[str, str]] = {
    "string_type": ("tipo-errato", "deve essere un testo"),
    "string_too_short": ("tipo-errato", "non può essere vuoto"),
    "string_pattern_mismatch": ("valore-non-valido", "valore non nel formato atteso"),
    "int_type": ("tipo-errato", "deve essere un numero intero"),
    "int_parsing": ("tipo-errato", "deve essere un numero intero"),
    "int_from_float": ("tipo-errato", "deve essere un numero intero"),
    "int_parsing_size": ("valore-non-valido", "numero fuori scala"),
    "greater_than_equal": ("tipo-errato", "deve essere almeno {ge}"),
    "less_than_equal": ("tipo-errato", "deve essere al massimo {le}"),
    "list_type": ("tipo-errato", "deve essere un elenco (righe che iniziano con «- »)"),
    "too_short": ("tipo-errato", "l'elenco non può essere vuoto"),
    "dict_type": ("tipo-errato", "deve essere una mappa di chiavi e valori"),
    "model_type": ("tipo-errato", "deve essere una mappa di chiavi e valori"),
    "model_attributes_type": ("tipo-errato", "deve essere una mappa di chiavi e valori"),
    "invalid_key": ("tipo-errato", "una chiave deve essere un testo"),
    "date_type": ("tipo-errato", "deve essere una data nella forma AAAA-MM-GG"),
    "date_parsing": ("tipo-errato", "deve essere una data nella forma AAAA-MM-GG"),
    "date_from_datetime_parsing": ("tipo-errato", "deve essere una data nella forma AAAA-MM-GG"),
    "date_from_datetime_inexact": ("tipo-errato", "deve essere una data senza ora, nella forma AAAA-MM-GG"),
    "bool_type": ("tipo-errato", "deve essere «si» o «no»"),
    "bool_parsing": ("tipo-errato", "deve essere «si» o «no»"),
    "decimal_type": ("tipo-errato", "deve essere un importo"),
}
_UNKNOWN = ("valore-non-valido", "valore non valido")


def _shown(value: Any, written: str | None) -> str:
    """The writer's value quoted back as typed (never Python's None/True/False or a datetime)."""
    if isinstance(value, (dict, list)):
        return ""
    if value is None:
        return " (il valore è vuoto)"
    if isinstance(value, bool):
        return f" (trovato «{quoted(written or ('si' if value else 'no'))}», che vale come sì/no)"
    if isinstance(value, date):
        return f" (trovato «{quoted(written or value.isoformat())}»)"
    return f" (trovato «{quoted(value)}»)"


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's union/validator markers, keep keys and indexes."""
    out = []
    for part in loc:
        if isinstance(part, str) and (part in ("[key]",) or part.startswith("function-") or "[" in part
                                      or part in ("int", "str", "constrained-str", "none", "list[...]", "dict[...]")):
            continue
        out.append(part)
    return tuple(out)


def _fields_at(model: type, path: tuple) -> list[str]:
    """The keys the model accepts at `path` (for 'did you mean' suggestions)."""
    t: Any = model
    for part in path:
        t = _unwrap(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            f = t.model_fields.get(part) if isinstance(part, str) else None
            if f is None:
                return []
            t = f.annotation
        else:
            args = typing.get_args(t)
            t = args[-1] if args else None
            if t is None:
                return []
    t = _unwrap(t)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return list(t.model_fields)
    return []


def _unwrap(t: Any) -> Any:
    while True:
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(t) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if models or len(args) == 1:
                t = (models or args)[0]
                continue
        return t


def _label(path: tuple) -> str:
    return ".".join(str(p) for p in path) if path else "documento"


def validate(model: type[BaseModel], doc: YamlDoc, what: str) -> tuple[Any, list[Problem]]:
    """Validate `doc.data` as `model`; every error becomes a problem at the writer's line."""
    if doc.data is None:
        return None, []
    if not isinstance(doc.data, dict):
        return None, [errore(doc.loc(), "tipo-errato", f"{what}: il file deve contenere una mappa di chiavi e valori")]
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        problems = []
        seen = set()
        errors = [e for e in exc.errors() if e["type"] != "none_required"]
        for i, err in enumerate(errors):
            if len(problems) == MAX_PROBLEMS_PER_FILE:
                # the rest is only counted: suggestions for thousands of bad keys take seconds
                problems.append(omitted(doc.file, len(errors) - i))
                break
            path = _clean_loc(err["loc"])
            p = _problem(model, doc, path, err, at_key="[key]" in err["loc"])
            if (p.loc, p.code) not in seen:
                seen.add((p.loc, p.code))
                problems.append(p)
        return None, problems


def _problem(model: type, doc: YamlDoc, path: tuple, err: dict, at_key: bool = False) -> Problem:
    kind = err["type"]
    field = _label(path)
    where = doc.key_loc(*path) if at_key else doc.loc(*path)   # a key of the wrong kind: at the key
    if kind == "missing":
        parent = path[:-1]
        return errore(doc.loc(*parent), "campo-mancante", f"manca il campo obbligatorio «{path[-1]}» in {_label(parent)}"
                      if parent else f"manca il campo obbligatorio «{path[-1]}»")
    if kind == "extra_forbidden":
        key = path[-1]
        allowed = _fields_at(model, path[:-1])
        hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        msg = f"chiave sconosciuta «{quoted(key)}»"
        if hint:
            msg += f": forse «{hint[0]}»?"
        elif allowed:
            msg += f" (chiavi ammesse: {', '.join(allowed)})"
        return errore(doc.key_loc(*path), "chiave-sconosciuta", msg)
    value = err.get("input")
    shown = _shown(value, doc.written.get(path))
    if "-" in kind:
        # our own validators (model/types.py) raise errors named by a problem code, worded in Italian;
        # they quote the value themselves, except a yes/no they refuse
        return errore(where, kind, f"{field}: {err['msg']}{shown if isinstance(value, bool) else ''}")
    code, text = _MESSAGES.get(kind, _UNKNOWN)
    ctx = err.get("ctx") or {}
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        text = "non può essere negativo"
    return errore(where, code, f"{field}: {text.format(**ctx)}{shown}")
