"""Validate loaded YAML data against a model, turning pydantic errors into located problems."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from pdz_docs.limits import MAX_PROBLEMS_PER_FILE, quoted
from pdz_docs.load.yamlsrc import YamlDoc, omitted
from pdz_docs.problems import Problem, errore

_TYPE_MESSAGES = {
    "string_type": "deve essere un testo",
    "string_too_short": "non può essere vuoto",
    "int_type": "deve essere un numero intero",
    "int_parsing": "deve essere un numero intero",
    "int_from_float": "deve essere un numero intero",
    "greater_than_equal": "non può essere negativo",
    "less_than_equal": "valore troppo grande",
    "list_type": "deve essere un elenco (righe che iniziano con «- »)",
    "dict_type": "deve essere una mappa di chiavi e valori",
    "model_type": "deve essere una mappa di chiavi e valori",
    "model_attributes_type": "deve essere una mappa di chiavi e valori",
    "date_type": "deve essere una data nella forma AAAA-MM-GG",
    "date_parsing": "deve essere una data nella forma AAAA-MM-GG",
    "date_from_datetime_parsing": "deve essere una data nella forma AAAA-MM-GG",
    "bool_type": "deve essere «si» o «no»",
    "bool_parsing": "deve essere «si» o «no»",
    "too_short": "l'elenco non può essere vuoto",
    "decimal_type": "deve essere un importo",
}


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's union/validator markers, keep keys and indexes."""
    out = []
    for part in loc:
        if isinstance(part, str) and (part in ("[key]",) or part.startswith("function-") or "[" in part
                                      or part in ("int", "str", "none", "list[...]", "dict[...]")):
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
            p = _problem(model, doc, path, err)
            if (p.loc, p.code) not in seen:
                seen.add((p.loc, p.code))
                problems.append(p)
        return None, problems


def _problem(model: type, doc: YamlDoc, path: tuple, err: dict) -> Problem:
    kind = err["type"]
    field = _label(path)
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
    loc = doc.loc(*path)
    value = err.get("input")
    if "-" in kind:  # a problem code raised by model/types.py, with its Italian message (pydantic's have "_")
        return errore(loc, kind, f"{field}: {err['msg']}")
    if kind == "string_pattern_mismatch":
        return errore(loc, "valore-non-valido", f"{field}: valore «{quoted(value)}» non nel formato atteso")
    if kind == "int_parsing_size":
        return errore(loc, "valore-non-valido", f"{field}: numero fuori scala")
    msg = _TYPE_MESSAGES.get(kind)
    if msg:
        shown = "" if isinstance(value, (dict, list)) else f" (trovato «{quoted(value)}»)"
        return errore(loc, "tipo-errato", f"{field}: {msg}{shown}")
    return errore(loc, "valore-non-valido", f"{field}: valore non valido ({err['msg']})")
