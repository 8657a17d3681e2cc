"""Money: parsing writers' amounts, the one rounding rule, allocation, Italian formatting.

Amounts are `Decimal`, built from text. A YAML float such as `1.234` never becomes
money: an Italian writer may have meant one thousand two hundred thirty-four.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.dates import format_date
from babel.numbers import format_decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
LOCALE = "it_IT"
MAX_IMPORTO = Decimal("1000000000000")  # one thousand billion euro: beyond is a typo


class YamlFloat(str):
    """The source text of a YAML float, kept as text so that it is never read as money."""


class AmountError(ValueError):
    """An amount a writer typed that cannot be read safely; `code` is a stable problem code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


_IT_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_IT_PLAIN = re.compile(r"^\d+(,\d+)?$")
_DOT_DECIMAL = re.compile(r"^\d+\.\d{2}$")


def parse_importo(value: object, what: str = "importo", allow_negative: bool = False) -> Decimal:
    """Read an amount: YAML int, "1234.56", "1.234,56", "€ 1.234.567,89".

    Raises AmountError with a stable code and an Italian message naming the fix.
    """
    if isinstance(value, bool):
        raise AmountError("importo-non-valido", f"{what}: «{value}» non è un importo")
    if isinstance(value, YamlFloat) or isinstance(value, float):
        text = str(value)
        raise AmountError(
            "importo-ambiguo",
            f"{what}: «{text}» è ambiguo (punto delle migliaia o dei decimali?); "
            f"scrivere l'importo tra virgolette all'italiana, es. \"{_suggest(text)}\"",
        )
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        amount = _parse_text(value, what)
    else:
        raise AmountError("importo-non-valido", f"{what}: atteso un importo, trovato un elenco o una mappa")
    if amount.is_signed() and amount != 0 and not allow_negative:
        raise AmountError("importo-negativo", f"{what}: l'importo «{value}» è negativo")
    if amount.is_signed() and amount == 0:
        amount = abs(amount)
    if abs(amount) >= MAX_IMPORTO:
        raise AmountError("importo-non-valido", f"{what}: l'importo «{value}» è fuori scala")
    return amount.quantize(CENT)


def _suggest(text: str) -> str:
    if re.fullmatch(r"\d+\.\d{3}", text):
        return f"€ {text},00"
    return "€ " + text.replace(".", ",")


def _parse_text(raw: str, what: str) -> Decimal:
    text = raw.strip().replace("€", "").replace("\u00a0", " ").strip().replace(" ", "")
    negative = text.startswith("-")
    if negative or text.startswith("+"):
        text = text[1:]
    if _IT_GROUPED.match(text) or _IT_PLAIN.match(text):
        number = text.replace(".", "").replace(",", ".")
    elif _DOT_DECIMAL.match(text):
        number = text
    elif re.fullmatch(r"\d+\.\d{3}", text):
        raise AmountError(
            "importo-ambiguo",
            f"{what}: «{raw}» è ambiguo (punto delle migliaia o dei decimali?); "
            f"scrivere es. \"€ {text},00\" oppure \"€ {text.replace('.', ',')}\"",
        )
    elif re.fullmatch(r"[\d.,]+", text):
        digits = text.split(",")[-1] if "," in text else text.split(".")[-1]
        if re.fullmatch(r"\d+([.,]\d+)", text) and len(digits) > 2:
            raise AmountError("importo-decimali", f"{what}: «{raw}» ha più di due decimali")
        raise AmountError(
            "importo-non-valido",
            f"{what}: «{raw}» non è un importo leggibile (separatori delle migliaia fuori posto?); "
            "scrivere es. \"€ 1.234.567,89\"",
        )
    else:
        raise AmountError("importo-non-valido", f"{what}: «{raw}» non è un importo")
    try:
        amount = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the patterns above exclude it
        raise AmountError("importo-non-valido", f"{what}: «{raw}» non è un importo")
    if -amount.as_tuple().exponent > 2 and amount != amount.quantize(CENT):
        raise AmountError("importo-decimali", f"{what}: «{raw}» ha più di due decimali")
    return -amount if negative else amount


def round_cent(amount: Decimal) -> Decimal:
    """The one rounding rule of the project: half up, to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: list[Decimal | int]) -> list[Decimal]:
    """Split `total` in parts proportional to `weights`, to the cent, summing exactly to `total`.

    Largest-remainder method: every part is first rounded down to the cent; the cents
    left over go one each to the parts with the largest remainders (ties: first part).
    """
    if not weights:
        return []
    w = [Decimal(x) for x in weights]
    total_w = sum(w)
    cents = int((total / CENT).to_integral_value(rounding=ROUND_HALF_UP))
    if total_w == 0:
        raise ValueError("pesi tutti nulli")
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
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole rounded half up to two decimals (averages such as household size)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Italian formatting: the one place every renderer uses -------------------------

def fmt_euro(amount: Decimal | None) -> str:
    if amount is None:
        return "€ ________"
    return "€ " + format_decimal(amount, format="#,##0.00", locale=LOCALE)


def fmt_int(n: int | Decimal | None, signed: bool = False) -> str:
    if n is None:
        return "—"
    s = format_decimal(n, format="#,##0", locale=LOCALE)
    if signed and n > 0:
        s = "+" + s
    return s.replace("-", "−") if signed else s


def fmt_dec(n: Decimal | None) -> str:
    if n is None:
        return "—"
    return format_decimal(n, format="#,##0.00", locale=LOCALE)


def fmt_pct(p: Decimal | None) -> str:
    if p is None:
        return "—"
    return format_decimal(p, format="#,##0.00", locale=LOCALE) + "%"


def fmt_date(d: date | None) -> str:
    if d is None:
        return "________"
    return format_date(d, format="d MMMM y", locale=LOCALE)
