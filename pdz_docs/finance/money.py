"""Money: parsing writers' amounts, the one rounding rule, allocation, Italian formatting.

Amounts are `Decimal`, built from text. A YAML float such as `1.234` never becomes
money: an Italian writer may have meant one thousand two hundred thirty-four.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from babel.dates import format_date
from babel.numbers import format_decimal

from pdz_docs.limits import MAX_IMPORTO, quoted

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
LOCALE = "it_IT"


class YamlFloat(str):
    """The source text of a YAML float, kept as text so that it is never read as money."""


class AmountError(ValueError):
    """An amount a writer typed that cannot be read safely; `code` is a stable problem code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ASCII digits only: Python's \d would also take Arabic-Indic or full-width digits.
_IT_GROUPED = re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$")
_IT_PLAIN = re.compile(r"^[0-9]+(,[0-9]+)?$")
_DOT_DECIMAL = re.compile(r"^[0-9]+\.[0-9]{2}$")
_SPACES = re.compile(r"[ \u00a0\u2009\u202f]+")  # space, no-break space, thin spaces


def parse_importo(value: object, what: str = "importo", allow_negative: bool = False) -> Decimal:
    """Read an amount: YAML int, "1234.56", "1.234,56", "€ 1.234.567,89".

    Raises AmountError with a stable code and an Italian message naming the fix.
    """
    if isinstance(value, bool):
        raise AmountError("importo-non-valido", f"{what}: «{'si' if value else 'no'}» non è un importo")
    if value is None:  # «~» or nothing after the colon
        raise AmountError("importo-non-valido", f"{what}: manca l'importo")
    if isinstance(value, YamlFloat) or isinstance(value, float):
        text = str(value)
        if not re.fullmatch(r"[-+]?[0-9.]+", text):  # .nan, .inf, 1.5e3
            raise AmountError("importo-non-valido", f"{what}: «{quoted(text)}» non è un importo")
        raise AmountError(
            "importo-ambiguo",
            f"{what}: «{quoted(text)}» è ambiguo (punto delle migliaia o dei decimali?); "
            f"scrivere l'importo tra virgolette all'italiana, es. \"{quoted(_suggest(text))}\"",
        )
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        amount = _parse_text(value, what)
    elif isinstance(value, dict) and set(value) & _VOCE_KEYS:   # an amount in its state, where only a figure goes
        raise AmountError("importo-non-valido", f"{what}: qui va scritta solo la cifra, es. \"€ 1.234,56\" "
                                                f"(non «{quoted(next(str(k) for k in value if k in _VOCE_KEYS))}»)")
    elif isinstance(value, (list, dict)):
        raise AmountError("importo-non-valido", f"{what}: atteso un importo, trovato un elenco o una mappa")
    else:
        raise AmountError("importo-non-valido", f"{what}: «{quoted(value)}» non è un importo")
    if amount.is_signed() and amount != 0 and not allow_negative:
        raise AmountError("importo-negativo", f"{what}: l'importo «{quoted(value)}» è negativo")
    if amount.is_signed() and amount == 0:
        amount = abs(amount)  # "-0,00" is zero, printed without a sign
    if abs(amount) >= MAX_IMPORTO:
        raise AmountError("importo-non-valido", f"{what}: l'importo «{quoted(value)}» è fuori scala")
    return amount.quantize(CENT)


def _suggest(text: str) -> str:
    if re.fullmatch(r"[0-9]+\.[0-9]{3}", text):
        return f"€ {text},00"
    return "€ " + text.replace(".", ",")


def _parse_text(raw: str, what: str) -> Decimal:
    shown = quoted(raw)
    text = _SPACES.sub(" ", raw).strip().replace("€", "").strip()
    negative = text.startswith("-")
    if negative or text.startswith("+"):
        text = text[1:].strip()
    # A space inside the number can only separate thousands, as a dot would
    spaced = " " in text
    text = text.replace(" ", ".")
    if len(re.split(r"[.,]", text)[0]) > len(str(MAX_IMPORTO)):  # Decimal itself would overflow
        raise AmountError("importo-non-valido", f"{what}: l'importo «{shown}» è fuori scala")
    if _IT_GROUPED.match(text) or _IT_PLAIN.match(text):
        number = text.replace(".", "").replace(",", ".")
    elif _DOT_DECIMAL.match(text) and not spaced:  # «12 34» is not 12,34
        number = text
    elif re.fullmatch(r"[0-9]+\.[0-9]{3}", text):
        raise AmountError(
            "importo-ambiguo",
            f"{what}: «{shown}» è ambiguo (punto delle migliaia o dei decimali?); "
            f"scrivere es. \"€ {text},00\" oppure \"€ {text.replace('.', ',')}\"",
        )
    elif re.fullmatch(r"[0-9.,]+", text):
        digits = text.split(",")[-1] if "," in text else text.split(".")[-1]
        # «1 0000» is a misplaced thousands space, not four decimals
        if re.fullmatch(r"[0-9]+([.,][0-9]+)", text) and len(digits) > 2 and not spaced:
            raise AmountError("importo-decimali", f"{what}: «{shown}» ha più di due decimali")
        raise AmountError(
            "importo-non-valido",
            f"{what}: «{shown}» non è un importo leggibile (separatori delle migliaia fuori posto?); "
            "scrivere es. \"€ 1.234.567,89\"",
        )
    else:
        raise AmountError("importo-non-valido", f"{what}: «{shown}» non è un importo")
    try:
        amount = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the patterns above exclude it
        raise AmountError("importo-non-valido", f"{what}: «{shown}» non è un importo")
    if -amount.as_tuple().exponent > 2 and amount != amount.quantize(CENT):
        raise AmountError("importo-decimali", f"{what}: «{shown}» ha più di due decimali")
    return -amount if negative else amount


# --- the three states of an amount ---------------------------------------------------

IN_ATTESA = "in attesa di assegnazione"
NON_INDICATO = "non indicato dalla fonte"
_VOCE_KEYS = {"importo", "nota", "in_attesa", "previsto", "condizionato", "quota"}
DA_SCHEDE = "da_schede"


@dataclass(frozen=True)
class Voce:
    """An amount as a source gives it, in one of three states.

    Known (`importo` set), pending assignment by the Region (`in_attesa`, perhaps with an
    expected figure `previsto`), or not given by the source (`~`: neither). Any of them
    may carry the writer's `nota`; a card may mark its amount `condizionato` (programmed
    on resources that are still pending) and the FNPS quota (a key of the rules' `quote_fnps`) it is spent on.
    """

    importo: Decimal | None = None
    in_attesa: bool = False
    previsto: Decimal | None = None
    nota: str | None = None
    condizionato: bool = False
    da_schede: bool = False          # budget only: the total is what the cards program
    quota: str | None = None         # cards only: the FNPS quota the amount is spent on

    @property
    def stato(self) -> str:
        return "noto" if self.importo is not None else ("in_attesa" if self.in_attesa else "non_indicato")


def _flag(value: object, key: str, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("si", "sì", "no"):
        return value.strip().lower() != "no"
    raise AmountError("importo-non-valido", f"{what}: «{key}» deve essere «si» o «no»")


def parse_voce(value: object, what: str = "importo", keys: frozenset[str] = frozenset(_VOCE_KEYS)) -> Voce:
    """Read an amount in any of its states: "€ 1.234,56", ~, {importo: …, nota: …},
    {in_attesa: si, previsto: …, nota: …}, and in cards {importo: …, condizionato: si, quota: …}.

    `keys` are the mapping keys this place admits. Raises AmountError in Italian.
    """
    if value is None:
        return Voce()
    if isinstance(value, str) and value.strip() == DA_SCHEDE and DA_SCHEDE in keys:
        return Voce(da_schede=True)
    if isinstance(value, str) and "attesa" in value.lower() and "in_attesa" in keys:   # as the Region prints it
        raise AmountError("importo-non-valido", f"{what}: «{quoted(value)}» non è un importo; un importo in attesa "
                                                "di assegnazione si scrive {in_attesa: si}")
    if not isinstance(value, dict):
        return Voce(parse_importo(value, what))
    unknown = [str(k) for k in value if k not in keys or k == DA_SCHEDE]
    if unknown:
        raise AmountError("importo-non-valido", f"{what}: chiave «{quoted(unknown[0])}» non ammessa in un importo "
                                                f"(ammesse: {', '.join(sorted(_VOCE_KEYS & keys))})")
    nota = value.get("nota")
    if nota is not None and (not isinstance(nota, str) or not nota.strip()):
        raise AmountError("importo-non-valido", f"{what}: «nota» deve essere un testo")
    quota = value.get("quota")
    if quota is not None and (not isinstance(quota, str) or not quota.strip()):
        raise AmountError("importo-non-valido", f"{what}: «quota» deve essere il nome di una quota del FNPS")
    pending = _flag(value["in_attesa"], "in_attesa", what) if "in_attesa" in value else False
    conditional = _flag(value["condizionato"], "condizionato", what) if "condizionato" in value else False
    if pending:
        if "importo" in value:
            raise AmountError("importo-non-valido", f"{what}: un importo in attesa di assegnazione non ha «importo»; "
                                                    "la cifra attesa, se nota, va in «previsto»")
        previsto = value.get("previsto")
        return Voce(None, True, None if previsto is None else parse_importo(previsto, what), nota, quota=quota)
    if "previsto" in value:
        raise AmountError("importo-non-valido", f"{what}: «previsto» vale solo con «in_attesa: si»")
    if "importo" not in value:
        raise AmountError("importo-non-valido", f"{what}: manca «importo» (oppure «in_attesa: si»)")
    amount = value["importo"]
    return Voce(None if amount is None else parse_importo(amount, what), False, None, nota, conditional, quota=quota)


def round_cent(amount: Decimal) -> Decimal:
    """The one rounding rule of the project: half up, to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: list[Decimal | int]) -> list[Decimal]:
    """Split `total` in parts proportional to `weights`, to the cent, summing exactly to `total`.

    Largest-remainder method: every part is first rounded down to the cent; the cents
    left over go one each to the parts with the largest remainders (ties: first part).
    When every weight is zero (no data yet) the parts are equal.
    """
    if not weights:
        return []
    w = [Decimal(x) for x in weights]
    if not any(w):
        w = [Decimal(1)] * len(w)
    total_w = sum(w)
    cents = int((total / CENT).to_integral_value(rounding=ROUND_HALF_UP))
    exact = [Decimal(cents) * x / total_w for x in w]
    floors = [int(e) for e in exact]
    left = cents - sum(floors)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole as a percentage rounded half up to two decimals; None when whole is 0."""
    if not whole:
        return None
    return _div_cent(Decimal(part) * 100, Decimal(whole))


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole rounded half up to two decimals (averages such as household size)."""
    if not whole:
        return None
    return _div_cent(Decimal(part), Decimal(whole))


def _div_cent(num: Decimal, den: Decimal) -> Decimal:
    """num / den rounded half up to the cent, exact however large the figures (no InvalidOperation)."""
    with localcontext() as ctx:
        ctx.prec = 30 + max(num.adjusted(), 0) + max(-den.adjusted(), 0)
        return (num / den).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Italian formatting: the one place every renderer uses -------------------------

MINUS = "\u2212"   # the typographic minus: every negative figure printed by the program uses it


def _format(n: int | Decimal, pattern: str, signed: bool = False) -> str:
    """`n` in the pattern with Italian separators; a negative figure with «−» (U+2212), a positive
    one with «+» when `signed`; a figure that prints as zero («−0,00») never has a sign."""
    # babel rounds in the current decimal context: give it room for any number of digits
    with localcontext() as ctx:
        ctx.prec = max(28, len(str(n)) + 4)
        digits = format_decimal(abs(n), format=pattern, locale=LOCALE)
    if digits.strip("0.,") == "":
        return digits
    return (MINUS if n < 0 else "+" if signed else "") + digits


def fmt_euro(amount: Decimal | None) -> str:
    if amount is None:
        return "€ ________"
    return "€ " + _format(amount, "#,##0.00")


def fmt_voce(voce: Voce) -> str:
    """An amount in its state, as every table prints it: never a blank that looks like a typo."""
    if voce.importo is not None:
        return fmt_euro(voce.importo)
    if voce.in_attesa:
        return IN_ATTESA + (f" (previsto {fmt_euro(voce.previsto)})" if voce.previsto is not None else "")
    return NON_INDICATO


def fmt_int(n: int | Decimal | None, signed: bool = False) -> str:
    """1234 → «1.234»; a variation (`signed`) shows its sign either way: «+300», «−1.529»."""
    if n is None:
        return "—"
    return _format(n, "#,##0", signed)


def fmt_dec(n: Decimal | None) -> str:
    if n is None:
        return "—"
    return _format(n, "#,##0.00")


def fmt_pct(p: Decimal | None, signed: bool = False) -> str:
    """47.14 → «47,14%»; a variation (`signed`) as «+1,81%», «−2,13%», like `fmt_int(…, signed=True)`."""
    if p is None:
        return "—"
    return _format(p, "#,##0.00", signed) + "%"


def fmt_date(d: date | None) -> str:
    if d is None:
        return "________"
    return format_date(d, format="d MMMM y", locale=LOCALE)
