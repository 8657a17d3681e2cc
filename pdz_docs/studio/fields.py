"""Form fields generated from the content model: the JSON schema of the pydantic models walked beside a file's data.

No field is written by hand: the kind of every input (text, whole number, amount, amount with its state,
list, choice) comes from the model's schema, the choices from the rules file (nomenclature, areas,
objectives, funds, management modes, territorial scope). A field knows its key path in the file, so a
change becomes one `YamlFile.set(keys, value)` and a problem located on its line is shown beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pdz_docs.finance.money import AmountError, parse_importo
from pdz_docs.limits import MAX_YAML_NODES
from pdz_docs.model import Regole

# Which rules catalogue offers the choices of a field, by the field's name in the model.
CHOICES = {
    "codice": "nomenclatore", "aree": "aree", "area": "aree", "valenza_territoriale": "valenze_territoriali",
    "gestione": "modalita_gestione", "lettera": "lettere",
}
# Dictionaries whose keys are rules ids, and which catalogue names them (for labels and "add" selects).
KEY_CHOICES = {"programmazione": "fonti", "budget": "fonti", "livelli_priorita": "livelli_priorita"}
# Maps a writer adds entries to, and the rules catalogues their two levels of keys come from.
NEW_ENTRY = {"programmazione": ("anni", "fonti")}
STATI = {"noto": "importo noto", "in_attesa": "in attesa di assegnazione", "non_indicato": "non indicato dalla fonte",
         "da_schede": "quanto programmato nelle schede"}
LABELS = {"articoli_rr": "Articoli del R.R.", "numero_utenti": "Numero di utenti", "superficie_km2": "Superficie (km²)",
          "fasce_eta": "Fasce d'età", "livelli_priorita": "Livelli di priorità", "sede_udp": "Sede dell'Ufficio di Piano",
          "data_riferimento": "Data di riferimento", "fonte_dati": "Fonte dei dati", "valenza_territoriale":
          "Valenza territoriale", "gestione": "Modalità di gestione", "risultati_attesi": "Risultati attesi",
          "per_comune": "Per Comune", "annualita": "Annualità", "fnps_quote": "Quote del FNPS",
          "fna_destinazione": "Destinazione del FNA", "spesa_storica": "Spesa storica", "obiettivi": "Obiettivi",
          "valenza_altro": "Altra valenza territoriale (quale)", "gestione_altro": "Altra modalità di gestione (quale)"}

# One item of a repeatable group, as a writer names it: its heading, with its article, and a new one
ITEMS = {"servizi": ("Servizio", "il servizio", "Nuovo servizio"),
         "obiettivi": ("Obiettivo", "l'obiettivo", "Nuovo obiettivo"),
         "comuni": ("Comune", "il Comune", "Nuovo Comune"),
         "percorso": ("Passo", "il passo", "Nuovo passo del percorso"),
         "servizi_precedenti": ("Servizio precedente", "il servizio precedente", "Nuovo servizio precedente")}


def item_names(key) -> tuple[str, str, str]:
    """(heading, with its article, new one) of an item of the group `key`."""
    title = label(key)
    return ITEMS.get(str(key), (title, title.lower(), f"Aggiungi a {title.lower()}"))

class InputError(ValueError):
    """A value typed in a form that cannot be written to the file (message in Italian)."""


@dataclass
class Field:
    keys: tuple                      # path of keys/indexes in the file
    label: str
    kind: str                        # testo, intero, importo, voce, scelta, scelte, elenco, data
    value: Any                       # what the input shows (a string, a list for scelte, a dict for voce)
    choices: list[tuple[str, str]] = field(default_factory=list)
    group: tuple = ()                # the enclosing list-of-objects (for grids), or ()
    voce_keys: tuple[str, ...] = ()  # voce: the states the place admits
    years: list[str] = field(default_factory=list)   # nuovo: the years an entry may be added for
    parts: list["Field"] = field(default_factory=list)  # aggiungi: the required fields of the new item
    types: frozenset[str] = frozenset({"string"})   # the JSON types the value (a list: each item) may have
    problems: list = field(default_factory=list)
    path_label: str = ""             # the label of keys[1:] (walk fills it in)

    @property
    def name(self) -> str:
        return key_name(self.keys)


def key_name(keys: tuple) -> str:
    """The form name of a key path: «f» and the keys as JSON, e.g. f["programmazione",2022,"PdZ"]."""
    return "f" + json.dumps(list(keys), ensure_ascii=False, separators=(",", ":"))


def label(key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    text = str(key)
    return LABELS.get(text) or (text[:1].upper() + text[1:]).replace("_", " ")


def catalogue(regole: Regole | None, which: str, context: dict | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs of a rules catalogue; the objective letters are those of the item's area."""
    if regole is None:
        return []
    if which == "lettere":
        area = regole.aree.get(str((context or {}).get("area", "")))
        areas = [area] if area else list(regole.aree.values())
        return sorted({(k, f"{k} – {v}") for a in areas for k, v in a.obiettivi.items()})
    items = getattr(regole, which)
    return [(k, f"{k} – {getattr(v, 'titolo', None) or getattr(v, 'nome', None) or v}") for k, v in items.items()]


def _resolve(schema: dict, defs: dict) -> dict:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_amount(schema: dict) -> bool:
    return str(schema.get("description", "")).startswith("Importo in euro")


def _alternatives(schema: dict, defs: dict) -> list[dict]:
    schema = _resolve(schema, defs)
    if "anyOf" in schema:
        return [a for alt in schema["anyOf"] for a in _alternatives(alt, defs)]
    return [schema]


def _shown(value: Any, written: str | None = None) -> str:
    if written is not None:
        return written
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sì" if value else "no"
    return str(value)


class Walker:
    """Walks one file's data beside its model's schema and lists its fields."""

    def __init__(self, model, regole: Regole | None, written: dict | None = None):
        self.schema = model.model_json_schema()
        self.defs = self.schema.get("$defs", {})
        self.regole = regole
        self.written = written or {}
        self.fields: list[Field] = []
        self.mappings: dict = {}

    def walk(self, data: Any) -> list[Field]:
        self.mappings = _dicts(data)
        self._object(self.schema, data if isinstance(data, dict) else {}, (), (), show_missing=True)
        for f in self.fields:
            f.path_label = self.path_label(f.keys[1:], f.keys[0] if f.keys else None)
        return self.fields

    def path_label(self, keys: tuple, parent: Any) -> str:
        """The label of a key path: a key of a map the rules name (a priority level) by the rules' name
        («specificita» → «Specificità territoriale»), any other by its own label."""
        parts = []
        for key in keys:
            which = KEY_CHOICES.get(str(parent))
            names = getattr(self.regole, which, {}) if which and self.regole is not None else {}
            name = names.get(str(key))
            parts.append(name if isinstance(name, str) else label(key))
            parent = key
        return " – ".join(parts)

    def _object(self, schema: dict, data: dict, keys: tuple, group: tuple, show_missing: bool) -> None:
        props = schema.get("properties", {})
        for name, sub in props.items():
            if name in data or (show_missing and (self._simple(sub, name) or name in NEW_ENTRY)):
                self._value(sub, data.get(name), keys + (name,), name, group)
        if schema.get("additionalProperties") not in (None, False):
            extra = schema["additionalProperties"]
            for key, value in data.items():
                if key not in props:
                    self._value(extra, value, keys + (key,), key, group)

    def _simple(self, schema: dict, name: str) -> bool:
        """A field shown even when the file does not have it yet (it can then be filled in)."""
        alts = [a for a in _alternatives(schema, self.defs) if a.get("type") != "null"]
        return bool(alts) and all(str(a.get("type")) in ("string", "integer", "array") for a in alts) \
            and not any(a.get("type") == "array" and _resolve(a.get("items", {}), self.defs).get("type") == "object"
                        for a in alts)

    def _value(self, schema: dict, value: Any, keys: tuple, name: Any, group: tuple) -> None:
        if name in NEW_ENTRY and not group:
            if isinstance(value, dict):
                self._object(_alternatives(schema, self.defs)[0], value, keys, group, show_missing=False)
            years, sources = NEW_ENTRY[name]
            self.fields.append(Field(keys, f"Aggiungi a {label(name).lower()}", "nuovo",
                                     {"anno": "", "fonte": "", "importo": ""}, catalogue(self.regole, sources),
                                     years=[str(y) for y in getattr(self.regole, years, [])]))
            return
        alts = _alternatives(schema, self.defs)
        title = label(name)
        objects = [a for a in alts if a.get("type") == "object"]
        amounts = [a for a in alts if _is_amount(a)]
        arrays = [a for a in alts if a.get("type") == "array"]
        voce_obj = next((o for o in objects if "importo" in o.get("properties", {})), None)
        maps = [o for o in objects if isinstance(o.get("additionalProperties"), dict)]
        if maps and isinstance(value, dict) and not set(value) <= set(voce_obj["properties"] if voce_obj else ()):
            self._object(maps[0], value, keys, group, show_missing=False)
            return
        if amounts and voce_obj is not None:
            states = tuple(k for k in ("noto", "in_attesa", "non_indicato")
                           if k != "in_attesa" or "in_attesa" in voce_obj["properties"])
            da_schede = any(a.get("const") == "da_schede" for a in alts)
            self.fields.append(Field(keys, title, "voce", voce_value(value), group=group,
                                     voce_keys=states + (("da_schede",) if da_schede else ())))
            return
        if amounts:
            self.fields.append(Field(keys, title, "importo", _shown(value), group=group))
            return
        if objects and isinstance(value, dict):
            self._object(objects[0], value, keys, group, show_missing=False)
            return
        if arrays:
            items = _resolve(arrays[0].get("items", {}), self.defs)
            if items.get("type") == "object":
                for i, item in enumerate(value or []):
                    if isinstance(item, dict):
                        self._object(items, item, keys + (i,), keys, show_missing=False)
                if not group:   # a new item: its required fields, filled in before «Aggiungi»
                    new = Walker.__new__(Walker)
                    new.__dict__.update(self.__dict__, fields=[])
                    for prop in items.get("required", []):
                        new._value(items["properties"][prop], None, keys + (len(value or []), prop), prop, ())
                    self.fields.append(Field(keys, item_names(name)[2], "aggiungi", "", parts=new.fields))
                return
            which = CHOICES.get(str(name))
            if which:
                self.fields.append(Field(keys, title, "scelte", [str(v) for v in value or []],
                                         catalogue(self.regole, which), group=group))
            else:
                self.fields.append(Field(keys, title, "elenco", [_shown(v) for v in value or []], group=group,
                                         types=_types(_alternatives(items, self.defs))))
            return
        if isinstance(value, (dict, list)):
            return   # a shape the model does not expect here: the checks report it, the text editor fixes it
        which = CHOICES.get(str(name))
        kinds = _types(alts)
        kind = "scelta" if which else ("intero" if kinds & {"integer"} and "string" not in kinds
                                       else "data" if any(a.get("format") == "date" for a in alts) else "testo")
        choices = catalogue(self.regole, which, self.mappings.get(keys[:-1])) if which else []
        self.fields.append(Field(keys, title, kind, _shown(value, self.written.get(keys)), choices, group=group,
                                 types=_types(alts)))


def _types(alts: list[dict]) -> frozenset[str]:
    """The JSON types a value may have, from its schema's alternatives."""
    return frozenset(t for a in alts for t in (a["type"] if isinstance(a.get("type"), list) else [a.get("type")]) if t)


def fields_of(model, data: Any, regole: Regole | None, written: dict | None = None) -> list[Field]:
    return Walker(model, regole, written).walk(data)


def _dicts(data: Any, keys: tuple = ()) -> dict:
    """Every mapping in the data by its key path (an objective's letters depend on its area)."""
    found = {}
    if isinstance(data, dict):
        found[keys] = data
        for k, v in data.items():
            found.update(_dicts(v, keys + (k,)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found.update(_dicts(v, keys + (i,)))
    return found


def voce_value(value: Any) -> dict:
    """An amount in any state as the voce widget shows it: stato, importo, previsto, nota."""
    if isinstance(value, dict):
        if _flag(value.get("in_attesa")):
            return {"stato": "in_attesa", "importo": "", "previsto": _shown(value.get("previsto")),
                    "nota": _shown(value.get("nota"))}
        amount = value.get("importo")
        return {"stato": "noto" if amount is not None else "non_indicato", "importo": _shown(amount),
                "previsto": "", "nota": _shown(value.get("nota"))}
    if value is None:
        return {"stato": "non_indicato", "importo": "", "previsto": "", "nota": ""}
    if str(value).strip() == "da_schede":
        return {"stato": "da_schede", "importo": "", "previsto": "", "nota": ""}
    return {"stato": "noto", "importo": _shown(value), "previsto": "", "nota": ""}


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("si", "sì"))


def amount(typed: str) -> Decimal:
    """An amount typed the Italian way ("45600", "45.600,00", "€ 45.600"); written back as "€ 45.600,00"."""
    try:
        return parse_importo(typed.strip())
    except AmountError as exc:
        raise InputError(exc.message.split(": ", 1)[-1]) from exc   # without the leading «importo: »


def same_amount(a: str, b: str) -> bool:
    try:
        return parse_importo(a.strip()) == parse_importo(b.strip())
    except AmountError:
        return a.strip() == b.strip()


def to_yaml(f: Field, typed: Any) -> Any:
    """The value to write for a field from what the form sent (raises InputError in Italian)."""
    if f.kind == "importo":
        return amount(typed) if typed.strip() else None
    if f.kind == "intero":
        text = typed.strip()
        if not text:
            return None
        if not text.isdigit():
            raise InputError(f"«{text}» non è un numero intero: scrivere le cifre senza punti, es. 1200")
        return int(text)
    if f.kind == "elenco":
        lines = [line for line in typed.splitlines() if line.strip()]
        if len(lines) > MAX_YAML_NODES:   # a file cannot hold them: refused before the costly writing
            raise InputError(f"troppe voci ({len(lines):,}): un file ne contiene al massimo "
                             f"{MAX_YAML_NODES:,}".replace(",", "."))
        return [_scalar(line.strip(), f.types) for line in lines]
    if f.kind == "scelte":
        return list(typed)
    if f.kind == "voce":
        return _voce_yaml(typed, f.voce_keys)
    return _scalar(_text(typed), f.types) or None


def _text(typed: str) -> str:
    """A typed text with the line endings YAML reads (a browser sends a text area's lines ended by CRLF)."""
    return typed.replace("\r\n", "\n").replace("\r", "\n").strip()


def new_entry(f: Field, typed: dict) -> tuple[tuple, Any] | None:
    """The keys and amount a «nuovo» field adds (year, source), or None when left empty."""
    if not typed.get("importo", "").strip():
        return None
    year, source = typed.get("anno", ""), typed.get("fonte", "")
    if year not in f.years or source not in {v for v, _ in f.choices}:
        raise InputError("scegliere l'anno e la fonte dell'importo da aggiungere")
    return f.keys + (int(year), source), amount(typed["importo"])


def _scalar(text: str, types: frozenset[str]) -> Any:
    """A typed text as the model expects it: a whole number where it takes one (written as a number
    reads it: «0831» stays a text), else the text itself, which the file then quotes when YAML would
    read it as a number, a date or a yes/no (a CAP, a year in a list of texts)."""
    if "integer" in types and text.isascii() and text.isdigit() and str(int(text)) == text:
        return int(text)
    return text


def _voce_yaml(typed: dict, keys: tuple[str, ...]) -> Any:
    stato, nota = typed.get("stato", "noto"), typed.get("nota", "").strip()
    if stato not in keys:
        raise InputError(f"stato dell'importo non previsto qui: «{stato}»")
    if stato == "da_schede":
        return "da_schede"
    if stato == "in_attesa":
        out: dict = {"in_attesa": "si"}
        if typed.get("previsto", "").strip():
            out["previsto"] = amount(typed["previsto"])
        if nota:
            out["nota"] = nota
        return out
    known = amount(typed["importo"]) if stato == "noto" and typed.get("importo", "").strip() else None
    if stato == "noto" and known is None:
        raise InputError("scrivere l'importo, oppure scegliere «non indicato dalla fonte»")
    return {"importo": known, "nota": nota} if nota else known


def unchanged(f: Field, typed: Any) -> bool:
    """Whether the form's value says the same as the file (then the file is not touched)."""
    if f.kind == "importo":
        return same_amount(typed, f.value) if typed.strip() and f.value else typed.strip() == f.value.strip()
    if f.kind == "voce":
        old = f.value
        if typed.get("stato") != old["stato"] or typed.get("nota", "").strip() != old["nota"].strip():
            return False
        return all(same_amount(typed.get(k, ""), old[k]) if typed.get(k, "").strip() and old[k] else
                   typed.get(k, "").strip() == old[k].strip() for k in ("importo", "previsto"))
    if f.kind == "elenco":
        return [ln.strip() for ln in typed.splitlines() if ln.strip()] == [v.strip() for v in f.value]
    if f.kind == "scelte":
        return list(typed) == list(f.value)
    if f.kind == "nuovo":
        return not typed.get("importo", "").strip()
    if f.kind == "aggiungi":
        return not typed
    return _text(typed) == str(f.value).strip()

