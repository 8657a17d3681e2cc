"""Symbols pasted from Word, read as what they show.

Word draws the bullets of its lists with the Symbol and Wingdings fonts, whose signs
sit in the Unicode private-use area (U+F0B7 is Symbol's «•»): pasted elsewhere they
are codes no other font draws, an empty box in the PDF. They are read here as the
Unicode sign they stand for; a line of a chapter that starts with one of them
followed by a space is what the writer meant as a list item, so it becomes a Markdown
item «- …» (a real list, in every format, and for a screen reader). Every replacement
keeps the text's length, so every line and column stays where the writer sees it.
"""

from __future__ import annotations

import re

# The bullets Word offers (Symbol F0B7; Wingdings F0A7 F0A8 F076 F0D8 F0FC …) and a few
# more signs of those fonts found in pasted lists.
WORD_SYMBOLS = {
    "\uf0b7": "\u2022",   # •  Symbol bullet
    "\uf0a7": "\u25aa",   # ▪  Wingdings small square
    "\uf0a8": "\u25fb",   # ◻  Wingdings white square
    "\uf076": "\u2756",   # ❖  Wingdings diamond of four
    "\uf0d8": "\u27a2",   # ➢  Wingdings arrowhead
    "\uf0fc": "\u2713",   # ✓  Wingdings check mark
    "\uf0e8": "\u2794",   # ➔  Wingdings arrow
    "\uf06e": "\u25a0",   # ■  Wingdings black square
    "\uf071": "\u2751",   # ❑  Wingdings shadowed square
    "\uf0a4": "\u25c9",   # ◉  Wingdings fisheye
}
_TABLE = str.maketrans(WORD_SYMBOLS)
_LEADING = re.compile("^[ \t]*[" + "".join(WORD_SYMBOLS) + "][ \t]+")
_ITEM = re.compile("^([ \t]*)[" + "".join(WORD_SYMBOLS) + "](?=[ \t])", re.M)


def read_word_symbols(text: str, markdown: bool = True) -> str:
    """`text` with Word's private-use symbols as Unicode signs; in Markdown, the lines they start as list items.

    A YAML text is printed as written, so there the bullet stays a «•»: a «-» would be a sign
    the writer never typed.
    """
    if not any(c in text for c in WORD_SYMBOLS):
        return text
    if markdown:
        return _ITEM.sub(r"\1-", text).translate(_TABLE)
    # a list item of a card pasted with its bullet: the card draws its own
    return _LEADING.sub("", text).translate(_TABLE)
