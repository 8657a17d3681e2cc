"""Print typography of the rendered text: abbreviations and signs tied to what follows them.

Italian typesetting never leaves «€», «n.», «L.», «art.», «D.Lgs.» (and the like) at the end of a
line with their figure or number on the next one. `tie` replaces the space after them with a
no-break space (U+00A0): the same text, the same words for a screen reader or a search, only the
line break is gone. It applies to everything printed, whoever wrote it: amounts from the
formatters, chapter text, card fields, table cells. `tie_html` applies it to the text of a whole
HTML document (the HTML output and the PDF laid out from it), holds a figure glued to its
abbreviation («L.328/2000») and a code joined by hyphens («BUONI-MIN», «REACT-EU») on one line,
and leaves markup, styles and preformatted code alone.
The DOCX builder calls `tie` on the text of its runs and table cells.
"""

from __future__ import annotations

import re

# Signs and abbreviations that stay on the line of the word or figure after them. Each is a whole
# word: «art.» but not the end of «Mozart.»; «L.» and «n.» also when capitalised («N.», «Art.»).
_TIED = (r"€", r"[nN]\.", r"[nN]°", r"L\.", r"[aA]rtt?\.", r"D\.\s?Lgs\.", r"D\.L\.", r"D\.P\.R\.",
         r"L\.R\.", r"R\.R\.", r"[cC]o\.", r"DGR", r"[pP]rot\.")
# The space (or line end of a Markdown paragraph) after one of them, followed by a word or figure.
_TIE = re.compile(r"(?<![\w.])(" + "|".join(_TIED) + r")[ \t\n]+(?=[\w(«\"'−+\-])")
# The same signs written with no space before the figure («L.328/2000», «art.22»): the line may break
# after the point (Unicode line breaking), so the HTML holds abbreviation and figure in one unbreakable span.
_GLUED = re.compile(r"(?<![\w.])((?:" + "|".join(_TIED) + r")\d[^\s<]*)"
                    # a code in capitals joined by hyphens (a funding source, a programme): a line may break
                    # after a hyphen, which would print «Totale BUONI-» over «MIN»
                    r"|\b([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\b(?![-\w])")
# Text between tags; <style>, <script>, <pre>, <code> and <title> (plain text only) are kept as they are.
_VERBATIM = re.compile(r"(<(style|script|pre|code|title)\b.*?</\2>|<[^>]*>)", re.S | re.I)
NBSP = "\u00a0"


# A hyphen written as the sign of a figure («-5%», «-€ 500,00», «-2» in a cell): not inside a word, a
# range or a date («2018-2020», «12-03-2022», «3-bis»), and straight before the figure or «€».
# A figure then a space then «-12» is a range written loosely («ore 10 -12»): left as it is.
_SIGN = re.compile(r"(?<![\w.,/)\]\-\u2212])(?<!\d )-(?=€|\d)")
# «€» after its amount («6.000 €») stays with it, as it does before it.
_AFTER = re.compile(r"(?<=\d) (?=€)")
MINUS = "\u2212"


def tie(text: str) -> str:
    """«pari a € 1.000 (art. 30 D.Lgs. n. 267/2000)» with no-break spaces after «€», «art.», «D.Lgs.», «n.»;
    a negative figure the writer typed with a hyphen («-5%») takes the minus sign (U+2212) of the computed
    figures, one sign in the whole document."""
    return _AFTER.sub(NBSP, _SIGN.sub(MINUS, _TIE.sub(lambda m: m.group(1) + NBSP, text)))


def tie_html(html: str) -> str:
    """`tie` applied to the text of an HTML document, never inside a tag or verbatim element."""
    parts = _VERBATIM.split(html)
    # split() with two groups yields: text, whole match, tag name, text, …
    out = []
    for i in range(0, len(parts), 3):
        out.append(_GLUED.sub(lambda m: f'<span class="unito">{m[0]}</span>', tie(parts[i])))
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    return "".join(out)
