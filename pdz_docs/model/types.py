"""Pydantic models of the plan files (piano.yaml, finanza.yaml, schede/*.yaml, rules, front matter)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, PlainValidator,
                      WithJsonSchema)
from pydantic_core import PydanticCustomError

from pdz_docs.finance.money import AmountError, Voce, YamlFloat, parse_importo, parse_voce
from pdz_docs.limits import MAX_ANNO, MAX_NAME_CHARS, MAX_TITLE_CHARS, MIN_ANNO, quoted
from pdz_docs.names import name_problem, text_problem


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_si_no(value: Any, code: str, wanted: str) -> None:
    """A yes/no (YAML's true, yes, on) where a number goes: refused, and quoted back as written by validate."""
    if isinstance(value, bool):
        raise PydanticCustomError(code, f"deve essere {wanted}")


def _importo(value: Any) -> Decimal:
    _not_si_no(value, "importo-non-valido", "un importo")
    try:
        return parse_importo(value)
    except AmountError as exc:
        raise PydanticCustomError(exc.code, exc.message.split(": ", 1)[-1])


def _importo_opt(value: Any) -> Decimal | None:
    return None if value is None else _importo(value)


def _superficie(value: Any) -> Decimal | None:
    """An area in km², written like an amount without «€»: 123,45 (a decimal comma)."""
    if value is None:
        return None
    _not_si_no(value, "tipo-errato", "una superficie in km², es. \"123,45\"")
    text = str(value)
    if isinstance(value, YamlFloat) and re.fullmatch(r"[0-9]+\.[0-9]+", text):
        example = f"{text},00" if re.fullmatch(r"[0-9]+\.[0-9]{3}", text) else text.replace(".", ",")
        raise PydanticCustomError("numero-ambiguo", f"«{text}» è ambiguo (punto delle migliaia o dei decimali?): "
                                  f"scrivere la superficie in km² tra virgolette, es. \"{example}\"")
    try:
        return parse_importo(value, "superficie")
    except AmountError:
        raise PydanticCustomError("valore-non-valido", f"«{quoted(value)}» non è una superficie in km²: scrivere un "
                                  "numero con al massimo due decimali, es. \"123,45\"")


def _voce(keys: frozenset[str]):
    def read(value: Any) -> Voce:
        _not_si_no(value, "importo-non-valido", "un importo")
        try:
            return parse_voce(value, keys=keys)
        except AmountError as exc:
            raise PydanticCustomError(exc.code, exc.message.split(": ", 1)[-1])
    return read


def _fonte_budget(value: Any) -> Any:
    """A fund's budget: ~, a map period → amount, or one amount (perhaps "da_schede") for the whole cycle."""
    if isinstance(value, dict) and value and all(k in ("importo", "nota", "in_attesa", "previsto") for k in value):
        return {"ciclo": value}
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return {"ciclo": value}
    return value


def _intero(value: Any) -> Any:
    _not_si_no(value, "tipo-errato", "un numero intero")   # pydantic would read it as 1 or 0
    return value


def _conteggio(value: Any) -> Any:
    if isinstance(value, YamlFloat) and not re.fullmatch(r"[-+]?[0-9.]+", value):   # .inf, .nan, 1e3
        raise PydanticCustomError("tipo-errato", f"«{value}» non è un numero intero: scrivere le cifre senza punti, "
                                  "es. 1200")
    if isinstance(value, YamlFloat) or (isinstance(value, str) and re.fullmatch(r"\d{1,3}(\.\d{3})+", value)):
        digits = str(value).replace(".", "")
        raise PydanticCustomError(
            "numero-ambiguo", f"«{value}» è ambiguo: scrivere il numero intero senza punti, es. {digits}"
        )
    return value


def _codice(value: Any) -> Any:
    if isinstance(value, (str, YamlFloat)):
        m = re.fullmatch(r"\s*([A-Fa-f])\s*\.?\s*(\d+)\s*", str(value))
        if m:
            return f"{m.group(1).upper()}.{m.group(2)}"
        return str(value).strip()
    return value


def _si_no(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("si", "sì"):
        return True
    if isinstance(value, str) and value.strip().lower() == "no":
        return False
    return value


def _periodo(value: Any) -> Any:
    return str(value) if isinstance(value, (int, YamlFloat)) and not isinstance(value, bool) else value


def _periodo_ordinato(value: str) -> str:
    """A period «2020-2022» runs forward, between plausible years; one year is written alone."""
    if re.fullmatch(r"\d{4}-\d{4}", value):
        start, end = (int(y) for y in value.split("-"))
        if start == end:
            raise PydanticCustomError("valore-non-valido", f"il periodo «{value}» è un solo anno: scrivere {start}")
        if start > end:
            raise PydanticCustomError("valore-non-valido", f"il periodo «{value}» va dall'anno iniziale a quello "
                                      f"finale: scrivere {end}-{start}")
        if start < MIN_ANNO or end > MAX_ANNO:
            raise PydanticCustomError("valore-non-valido", f"il periodo «{value}» è fuori dagli anni ammessi "
                                      f"({MIN_ANNO}–{MAX_ANNO})")
    return value


STATI = ("bozza", "definitivo")


def _stato(value: Any) -> str:
    """The plan's state: a draft (the default) or the definitive document to submit."""
    if isinstance(value, str) and value.strip().lower() in STATI:
        return value.strip().lower()
    found = f" (trovato «{quoted(value)}»)" if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    raise PydanticCustomError("valore-non-valido", f"deve essere «bozza» o «definitivo»{found}")


def _data(value: Any) -> Any:
    # pydantic would read an integer (or a string of digits) as seconds since 1970: «data: 0» is not a date
    if isinstance(value, datetime):   # even at midnight: a time is not part of a date
        raise PydanticCustomError("date_from_datetime_inexact", "deve essere una data senza ora")
    if isinstance(value, date) or (isinstance(value, str) and not isinstance(value, YamlFloat)
                                   and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip())):
        return value
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}[ T]\d", value.strip()):
        raise PydanticCustomError("date_from_datetime_inexact", "deve essere una data senza ora")
    raise PydanticCustomError("date_type", "deve essere una data nella forma AAAA-MM-GG")


def _data_plausibile(value: date) -> date:
    if not MIN_ANNO <= value.year <= MAX_ANNO:
        raise PydanticCustomError("valore-non-valido", f"la data {value.isoformat()} è fuori dagli anni ammessi "
                                  f"({MIN_ANNO}–{MAX_ANNO})")
    return value


def _anno_plausibile(value: int) -> int:
    if not MIN_ANNO <= value <= MAX_ANNO:
        raise PydanticCustomError("valore-non-valido", f"l'anno {value} è fuori dagli anni ammessi ({MIN_ANNO}–{MAX_ANNO})")
    return value


def _nome(max_chars: int, latin: bool) -> AfterValidator:
    def check(value: str) -> str:
        problem = name_problem(value, max_chars, latin)
        if problem:
            raise PydanticCustomError(*problem)
        return value
    return AfterValidator(check)


def _testo(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise PydanticCustomError(*problem)
    return value


_IMPORTO_SCHEMA = {"type": ["string", "integer"], "pattern": r"^(€\s?)?-?(\d{1,3}(\.\d{3})+|\d+)(,\d{1,2})?$|^\d+(\.\d{2})?$",
                   "description": "Importo in euro, es. \"€ 1.234,56\" (tra virgolette se dentro { })"}
Importo = Annotated[Decimal, BeforeValidator(_importo), WithJsonSchema(_IMPORTO_SCHEMA)]
ImportoOpt = Annotated[Decimal | None, BeforeValidator(_importo_opt),
                       WithJsonSchema({"anyOf": [_IMPORTO_SCHEMA, {"type": "null"}]})]
Superficie = Annotated[Decimal | None, BeforeValidator(_superficie),
                       WithJsonSchema({"type": ["string", "integer", "null"], "pattern": r"^(\d{1,3}(\.\d{3})+|\d+)(,\d{1,2})?$",
                                       "description": "Superficie in km², es. \"123,45\""})]
_VOCE_SCHEMA = {"anyOf": [_IMPORTO_SCHEMA, {"type": "null"}, {
    "type": "object", "additionalProperties": False,
    "description": "Importo con nota, oppure in attesa di assegnazione: {in_attesa: si, previsto: \"€ …\", nota: …}",
    "properties": {"importo": {"anyOf": [_IMPORTO_SCHEMA, {"type": "null"}]}, "nota": {"type": "string"},
                   "in_attesa": {"type": ["string", "boolean"]}, "previsto": _IMPORTO_SCHEMA,
                   "condizionato": {"type": ["string", "boolean"]},
                   "quota": {"type": "string", "description": "quota del FNPS su cui la scheda spende l'importo"}}}]}
# An amount of the budget or of the co-financing: known, pending (in_attesa) or not given (~), with a note
_DA_SCHEDE_SCHEMA = {"const": "da_schede", "description": "l'importo complessivo è quanto programmato nelle schede"}
_VOCE_BUDGET_SCHEMA = {"anyOf": _VOCE_SCHEMA["anyOf"] + [_DA_SCHEDE_SCHEMA]}
ImportoVoce = Annotated[Voce, PlainValidator(_voce(frozenset({"importo", "nota", "in_attesa", "previsto",
                                                                "da_schede"}))),
                        PlainSerializer(dataclasses.asdict), WithJsonSchema(_VOCE_BUDGET_SCHEMA)]
# An amount in its state, where the budget's "da_schede" has no meaning (co-financing parts, FNPS quotas)
ImportoStato = Annotated[Voce, PlainValidator(_voce(frozenset({"importo", "nota", "in_attesa", "previsto"}))),
                         PlainSerializer(dataclasses.asdict), WithJsonSchema(_VOCE_SCHEMA)]
# An amount a card programs: known, pending or not given, with a note, perhaps conditional on pending resources
ImportoScheda = Annotated[Voce, PlainValidator(_voce(frozenset({"importo", "nota", "condizionato", "in_attesa", "previsto",
                                                                  "quota"}))),
                          PlainSerializer(dataclasses.asdict), WithJsonSchema(_VOCE_SCHEMA)]
Intero = Annotated[int, BeforeValidator(_intero)]   # a whole number, never a yes/no
Conteggio = Annotated[Intero, BeforeValidator(_conteggio), Field(ge=0)]
Codice = Annotated[str, BeforeValidator(_codice)]
Testo = Annotated[str, Field(min_length=1), AfterValidator(_testo)]
# Names (Ambito, Provincia, Comuni, the plan's title: in file properties and headings, compared with
# each other) and titles (cards, chapters, funds): one rule for both, in pdz_docs.names
Nome = Annotated[str, Field(min_length=1), _nome(MAX_NAME_CHARS, latin=True)]
Titolo = Annotated[str, Field(min_length=1), _nome(MAX_TITLE_CHARS, latin=False)]
Periodo = Annotated[str, BeforeValidator(_periodo), Field(pattern=r"^(\d{4}|\d{4}-\d{4}|ciclo)$"),
                    AfterValidator(_periodo_ordinato)]
PeriodoAnni = Annotated[str, Field(pattern=r"^\d{4}-\d{4}$"), AfterValidator(_periodo_ordinato)]
Data = Annotated[date, BeforeValidator(_data), AfterValidator(_data_plausibile)]
Anno = Annotated[Intero, AfterValidator(_anno_plausibile)]   # a past year (cycle years are checked against the rules)
SiNo = Annotated[bool | None, BeforeValidator(_si_no)]


# --- piano.yaml --------------------------------------------------------------------

class Delibera(Model):
    numero: Intero | Testo
    data: Data


class Comune(Model):
    nome: Nome
    popolazione: Conteggio
    fasce_eta: dict[str, Conteggio] = {}
    famiglie: Conteggio | None = None
    emigrazioni: Conteggio | None = None
    immigrazioni: Conteggio | None = None
    superficie_km2: Superficie = None
    delibera: Delibera | None = None


class Confronto(Model):
    anno: Anno
    popolazione: Conteggio | None = None
    minori: Conteggio | None = None
    anziani: Conteggio | None = None
    famiglie: Conteggio | None = None


class Passo(Model):
    data: Data | None
    fase: Testo
    incontro: Testo
    oggetto: Testo


class ServizioPrecedente(Model):
    denominazione: Testo
    ente: Testo | None = None
    attivo: SiNo = None


class Piano(Model):
    ambito: Nome
    provincia: Nome
    capofila: Nome
    ciclo: PeriodoAnni
    regole: Testo
    titolo: Nome = "Piano Sociale di Zona"
    sede_udp: Testo | None = None
    presidente: Testo | None = None
    data_riferimento: Data | None = None
    fonte_dati: Testo | None = None
    superficie_km2: Superficie = None
    comuni: Annotated[list[Comune], Field(min_length=1)]
    confronto: Confronto | None = None
    percorso: list[Passo] = []
    servizi_precedenti: list[ServizioPrecedente] = []
    capitoli: list[Testo] | None = None
    # Quadro sinottico entries with no detail card: code → priority level → interventions
    quadro_sinottico: dict[Codice, dict[str, list[Testo]]] = {}
    # bozza: what is still missing is listed in the document; definitivo: it is an error (checks/completeness.py)
    stato: Annotated[str, PlainValidator(_stato), WithJsonSchema({"enum": list(STATI)})] = "bozza"


# --- finanza.yaml ------------------------------------------------------------------

class Cofinanziamento(Model):
    annualita: dict[Intero, ImportoVoce]
    per_comune: dict[str, dict[Intero, ImportoStato]] = {}
    motivazione: Testo | None = None
    per_area: dict[str, dict[Intero, ImportoStato]] = {}   # area of spending (free label) → year → amount


# The past figures (historical spending, the previous plan's report and co-financing) are known or not
# given yet (~, as `pdz new` writes them): nothing of the past awaits an assignment.
class SpesaStorica(Model):
    periodo: PeriodoAnni
    comuni: dict[str, ImportoOpt]


class Rendiconto(Model):
    periodo: PeriodoAnni
    budget: ImportoOpt
    impegnato: ImportoOpt


class FontePiano(Model):
    """A funding source the plan declares itself, beside the rules file's catalogue."""

    nome: Testo
    scheda: Annotated[str, Field(pattern=r"^[AC]$")] = "C"
    gruppo: Testo | None = None
    atto: Testo | None = None              # act of assignment, e.g. "A.D. 1330/2021"
    in_definizione: SiNo = None


class Finanza(Model):
    budget: dict[str, Annotated[dict[Periodo, ImportoVoce] | None, BeforeValidator(_fonte_budget),
                                WithJsonSchema({"anyOf": [{"type": "object", "additionalProperties": _VOCE_BUDGET_SCHEMA},
                                                          *_VOCE_BUDGET_SCHEMA["anyOf"]]})]] = {}
    fnps_quote: dict[Periodo, dict[str, ImportoStato]] = {}
    fna_destinazione: dict[Periodo, dict[Codice, Importo]] = {}
    cofinanziamento: Cofinanziamento | None = None
    spesa_storica: SpesaStorica | None = None
    cofinanziamento_precedente: dict[str, dict[Anno, ImportoOpt]] = {}
    rendiconto_precedente: Rendiconto | None = None
    fonti: dict[str, FontePiano] = {}


# --- schede/*.yaml -------------------------------------------------------------------

class Obiettivo(Model):
    area: Testo
    lettera: Annotated[str, Field(pattern=r"^[A-Z]$")]


class Servizio(Model):
    denominazione: Testo
    articoli_rr: list[Intero | Testo] = []
    altro_riferimento: Testo | None = None
    utenza: Testo | None = None
    numero_utenti: Conteggio | None = None
    documenti: list[Testo] = []
    operatori: list[Testo] = []
    azioni: list[Testo] = []


class Scheda(Model):
    codice: Codice
    titolo: Titolo
    livelli_priorita: dict[str, list[Testo]] = {}
    aree: list[Testo] = []
    obiettivi: list[Obiettivo] = []
    risultati_attesi: list[Testo] = []
    valenza_territoriale: list[Testo] = []
    valenza_altro: Testo | None = None
    gestione: list[Testo] = []
    gestione_altro: Testo | None = None
    # year → {source id: amount}; the reserved key "importo" is a year total the writer chose to type
    programmazione: dict[Intero, dict[str, ImportoScheda]] = {}
    totale: ImportoOpt = None
    servizi: list[Servizio] = []


# --- front matter of a chapter -------------------------------------------------------

class FrontMatter(Model):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    titolo: Titolo
    numero: Annotated[Intero, Field(ge=1, le=20)] | None = None
    ordine: Intero


# --- rules/<ciclo>.yaml --------------------------------------------------------------

class AreaRegole(Model):
    titolo: Testo
    obiettivi: dict[str, Testo]


class FonteRegole(Model):
    nome: Titolo
    scheda: Annotated[str, Field(pattern=r"^[AC]$")]
    gruppo: str | None = None


class VincoloCofinanziamento(Model):
    quota: Importo
    fonti: list[str]
    anno: Intero
    ripartizione: str
    parti: dict[str, Importo]


class Vincoli(Model):
    cofinanziamento_minimo: VincoloCofinanziamento
    spesa_storica_anni: list[Intero]
    quote_fnps: dict[str, Testo]


VOCI_AREE = "aree"   # the sub-items of a section are the strategic areas, with the titles of `aree`


def _sezione(value: Any) -> Any:
    """A section of the regional index is its title alone, or its title with the sub-items listed under it."""
    return {"titolo": value} if isinstance(value, str) else value


def _voci(value: Any) -> Any:
    if isinstance(value, str) and value != VOCI_AREE:
        raise PydanticCustomError("valore-non-valido", f"le voci sono un elenco di titoli, oppure «{VOCI_AREE}» "
                                  f"(le aree strategiche); trovato «{quoted(value)}»")
    return value


class SezioneIndice(Model):
    titolo: Testo
    voci: Annotated[list[Testo] | str, BeforeValidator(_voci)] = []


class CapitoloIndice(Model):
    """A chapter of the regional index: its title and its sections, in the order of the plan's «##» headings."""

    titolo: Testo
    sezioni: list[Annotated[SezioneIndice, BeforeValidator(_sezione)]] = []


def _indice_key(value: Any) -> Any:
    """A chapter's number (1–20, «numero» in its front matter) or, for a chapter without number, its id."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 20:
        return value
    if isinstance(value, str) and re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value) and not value.isdigit():
        return value
    raise PydanticCustomError("valore-non-valido", f"«{quoted(value)}» non è un capitolo: la chiave è il numero del "
                              "capitolo (da 1 a 20) o l'id di un capitolo senza numero (es. introduzione)")


class Regole(Model):
    ciclo: str
    anni: list[Intero]
    riferimento: Testo
    livelli_priorita: dict[str, Testo]
    valenze_territoriali: dict[str, Testo]
    modalita_gestione: dict[str, Testo]
    aree: dict[str, AreaRegole]
    macro_attivita: dict[str, Testo]
    nomenclatore: dict[str, Testo]
    gruppi_fonti: dict[str, Testo]
    fonti: dict[str, FonteRegole]
    vincoli: Vincoli
    fasce_eta: list[str]
    fasce_minori: list[str]
    fasce_anziani: list[str]
    # the Region's provinces, sigla → name (piano.yaml's «provincia» is one of the names); none: not checked
    province: dict[str, Nome] = {}
    # the regional index: chapter number (or id of an unnumbered chapter) → its title and sections
    indice: dict[Annotated[int | str, PlainValidator(_indice_key)], CapitoloIndice] = {}

    def capitolo_indice(self, numero: int | None, id: str) -> CapitoloIndice | None:
        """The regional index's entry of a chapter: by its number, or by its id when it has none."""
        return self.indice.get(numero if numero else id)

    def voci(self, sezione: SezioneIndice) -> list[str]:
        """The sub-items listed under a section of the index (the areas' titles for «voci: aree»)."""
        if sezione.voci == VOCI_AREE:
            return [a.titolo for a in self.aree.values()]
        return list(sezione.voci)

    def in_nomenclature_order(self, codes) -> list[str]:
        """Card codes in the order of the regional nomenclatore; codes it does not list come last, by code."""
        order = {c: i for i, c in enumerate(self.nomenclatore)}
        return sorted(codes, key=lambda c: (order.get(c, len(order)), c))
