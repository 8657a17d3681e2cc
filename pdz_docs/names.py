"""Names of places and titles: the one rule shared by `pdz new` and `pdz check`.

A name (Ambito, Provincia, Comune, capofila, a fund, a title) is printed on the cover, in
headings, file properties and spreadsheet cells, and compared with other names. So it must
not carry characters a reader cannot see — control characters, tabs and line breaks,
bidirectional overrides (U+202A–U+202E, U+2066–U+2069), zero-width characters
(U+200B–U+200D, U+FEFF), private-use or unassigned code points — which would make two
different names look alike or reorder what is shown; and two names that differ only in
case or accents («Casarano», «CASARANO», «Casaranò») are the same place.
"""

from __future__ import annotations

import unicodedata

from pdz_docs.limits import MAX_NAME_CHARS

# Unicode categories refused in a name: controls, format characters (bidi, zero-width),
# surrogates, private use, unassigned, line and paragraph separators.
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def shown(text: str) -> str:
    """`text` with each forbidden character spelt as its code (\\u202e), so a message shows it."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in FORBIDDEN_CATEGORIES else ch for ch in text)


def name_problem(text: str, max_chars: int = MAX_NAME_CHARS) -> str | None:
    """Why `text` cannot be a name, in Italian (to follow «il nome …»), or None when it can."""
    if any(unicodedata.category(ch) in FORBIDDEN_CATEGORIES for ch in text):
        return (f"«{shown(text)[:max_chars]}» contiene caratteri non ammessi "
                "(a capo, tabulazioni o caratteri invisibili)")
    if len(text) > max_chars:
        return f"«{text[:40]}…» supera {max_chars} caratteri"
    return None


def name_key(text: str) -> str:
    """What two names must differ in to be different: not case, accents or spacing."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
