"""Every limit that keeps a hostile or broken plan from exhausting time or memory, in one place.

Each is far beyond a real plan (the default plan: chapters up to 50 KB, YAML files up to
12 KB, 5 levels deep, under 600 values; at most 49 citations of figures in a chapter,
paragraphs up to 2,200 characters and 11 lines); going past one is a located problem,
never a hang or a traceback. README («Sicurezza») lists them.
"""

from __future__ import annotations

from decimal import Decimal

# Files of the plan (YAML; chapters have their own limit below): read whole, so refused
# by size before reading.
MAX_FILE_BYTES = 2 * 1024 * 1024
# YAML: nesting levels and values (scalars, lists, maps) per file, counted while parsing.
MAX_YAML_DEPTH = 40
MAX_YAML_NODES = 50_000
# Problems reported per file: after that one line says how many more there are.
MAX_PROBLEMS_PER_FILE = 100
# Chapters: citations ({{ … }} and {% … %}) per chapter, words and signs inside one
# citation ({{ cifre.popolazione.totale }} has 5), characters of the chapter once the
# figures are filled in.
MAX_CITATIONS = 2_000
MAX_CITATION_TOKENS = 40
MAX_CHAPTER_CHARS = 2_000_000
# The whole document: rows (header and totals included) of the tables cited in its chapters,
# summed over every citation: the one that goes past the limit is reported. The default plan
# cites 21 tables once, about 300 rows; 2,000 more rows make its DOCX a few seconds longer
# (and its PDF some 60 pages), where a table cited a thousand times would take many minutes.
# `{{ schede() }}` is cited at most once.
MAX_CITED_ROWS = 2_000
# Chapters' Markdown: Python-Markdown takes quadratic time on some shapes of text, so a
# chapter file, a paragraph (lines between blank lines), the nesting of lists and quotes,
# and the «[» (each one makes it scan to the end of its paragraph: their count times the
# paragraph's length, summed over the chapter) are bounded; within these a chapter is
# read in at most a few seconds.
MAX_CHAPTER_BYTES = 256 * 1024
MAX_PARAGRAPH_LINES = 300
MAX_PARAGRAPH_CHARS = 16_000
MAX_MARKDOWN_NESTING = 20
MAX_BRACKET_WORK = 3_000_000
# Images in chapters: size of one image file, and its pixels (decoded in memory: 80 million
# pixels are an A0 map scanned at about 230 dpi, some 320 MB while it is being reduced).
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 80_000_000
# Numbers: an amount from one thousand billion euro up is a typo; so is a count
# (inhabitants, households…) from one billion up.
MAX_IMPORTO = Decimal("1000000000000")
MAX_CONTEGGIO = 1_000_000_000
# Names (Ambito, Provincia, Comuni, the plan's title) and other titles (cards, chapters,
# funds). Names go into the DOCX core properties and the XLSX page header, which hold at
# most 255 characters: the longest, «Prospetto delle variazioni – <titolo> <ciclo> – Ambito
# Territoriale Sociale di <ambito>» (pdz diff), stays within that with names of up to 80.
MAX_NAME_CHARS = 80
MAX_TITLE_CHARS = 300
OUTPUT_PROPERTY_CHARS = 255
# Columns of a table written in Markdown: Word opens no table wider than 63 columns.
MAX_TABLE_COLUMNS = 63
# Years of dates and periods: «data: 0» or «2200-01-01» is a typo, not a date.
MIN_ANNO = 1990
MAX_ANNO = 2100
# Characters of a writer's value quoted back in a message.
MAX_QUOTED_CHARS = 60


def quoted(value: object) -> str:
    """A writer's value as it is quoted in a message: shortened when very long."""
    text = str(value)
    return text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 1] + "…"
