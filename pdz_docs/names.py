"""Names and texts of the plan as the outputs can hold them: the one rule shared by `pdz new` and `pdz check`.

A name (Ambito, Provincia, Comune, capofila, a fund, a title) is printed on the cover, in
headings, file properties and spreadsheet cells, and compared with other names. So it must
not carry characters a reader cannot see — control characters, tabs and line breaks,
bidirectional overrides (U+202A–U+202E, U+2066–U+2069), zero-width characters
(U+200B–U+200D, U+FEFF), private-use or unassigned code points — which would make two
different names look alike or reorder what is shown; and two names that differ only in
case, accents, spacing or the shape of the apostrophe («Casarano», «CASARANO»; «Sant'Agata»,
«Sant’Agata») are the same place. A name (not a title) is written in Latin letters: a letter of
another alphabet that looks like a Latin one (Cyrillic «А», Greek «Ο») would make two different
names of the same place.

Any other text may hold tabs and line breaks, but not what a text file of the plan may not
(yamlsrc refuses it in the file): a YAML escape such as "\\x07" would otherwise bring into the
DOCX and XLSX a character their XML cannot hold.
"""

from __future__ import annotations

import re
import unicodedata

from pdz_docs.limits import MAX_NAME_CHARS

# What YAML calls printable, for every text file of the plan (load/yamlsrc.py) and any text: tab,
# newlines and the printable Unicode ranges. Anything else is binary data or a broken encoding.
NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Unicode categories refused in a name: controls, format characters (bidi, zero-width),
# surrogates, private use, unassigned, line and paragraph separators.
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _shown(text: str, bad) -> str:
    """`text` with each refused character spelt as its code (\\u202e), so a message shows it."""
    return "".join(f"\\u{ord(ch):04x}" if bad(ch) else ch for ch in text)


# The apostrophes word processors type, read as the straight one when names are compared.
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# Letters that are not Latin by their Unicode name, yet belong to Latin-script names («n° 1», «nº»).
_LATIN_EXTRA = {"\u00aa", "\u00ba"}


def _foreign_letter(text: str) -> str | None:
    """The first letter of `text` that is not of the Latin alphabet (apostrophes aside), if any."""
    for ch in text.translate(APOSTROPHES):
        if (unicodedata.category(ch).startswith("L") and ch not in _LATIN_EXTRA
                and not unicodedata.name(ch, "").startswith("LATIN ")):
            return ch
    return None


def name_problem(text: str, max_chars: int = MAX_NAME_CHARS, latin: bool = True) -> tuple[str, str] | None:
    """(problem code, Italian message) when `text` cannot be a name (with `latin`, a place's or the
    plan's name, in Latin letters only), else None."""
    def bad(ch: str) -> bool:
        return unicodedata.category(ch) in FORBIDDEN_CATEGORIES

    if any(bad(ch) for ch in text):
        return ("carattere-non-ammesso", f"«{_shown(text[:max_chars], bad)}» contiene caratteri non ammessi "
                "(a capo, tabulazioni o caratteri invisibili)")
    if len(text) > max_chars:
        return "valore-non-valido", f"«{text[:40]}…» supera {max_chars} caratteri"
    foreign = _foreign_letter(text) if latin else None
    if foreign:
        return ("carattere-non-ammesso", f"«{text}» contiene la lettera «{foreign}» (U+{ord(foreign):04X}), che "
                "non è dell'alfabeto latino: riscriverla con la tastiera (una lettera di un altro alfabeto "
                "incollata da un documento sembra uguale ma rende il nome diverso)")
    return None


def text_problem(text: str) -> tuple[str, str] | None:
    """(problem code, Italian message) when a free text holds a character no output can print, else None."""
    if not NOT_PRINTABLE.search(text):
        return None
    return ("carattere-non-ammesso", f"«{_shown(text[:60], NOT_PRINTABLE.fullmatch)}» contiene caratteri di "
            "controllo, che non si possono stampare")


def province_of(value: str, province: dict[str, str]) -> str | None:
    """The province `value` names, spelt as `province` (sigla → name) spells it: its name in any case,
    accents, spacing or hyphens («barletta andria trani»), or its sigla («LE»); None if it names none."""
    key = name_key(value.replace("-", " "))
    for sigla, name in province.items():
        if key in (name_key(name.replace("-", " ")), name_key(sigla)):
            return name
    return None


def name_key(text: str) -> str:
    """What two names must differ in to be different: not case, accents, spacing or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.translate(APOSTROPHES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
