"""The document tree: small frozen nodes, each with the file:line it came from.

After computing, the whole plan becomes one `Document` (cover, table of contents,
chapters of blocks, cards, annexes). Every renderer is a visitor over these nodes:
semantics live here (a tick box knows its label and whether it is selected, a heading
its level and regional number, a line break is a node), appearance in the renderers.
A renderer meeting a node kind it does not know raises: `KINDS` lists them all, so a
test walks every kind through every renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, Union

from pdz_docs.finance.table import Table
from pdz_docs.load.media import Picture
from pdz_docs.problems import Loc
from pdz_docs.provenance import Provenance

NOWHERE = Loc("")
# A table of at most this many body rows is kept on one page (PDF and DOCX): split, a short table leaves
# a row or two, often its total, alone on the next page.
SHORT_TABLE = 8
# The cover lists the Comuni one a line up to this many (the Casarano plan has 7); more go in wrapping lines.
COVER_COMUNI = 12


@dataclass(frozen=True)
class Node:
    """Every node knows where it came from (Markdown or YAML file, 1-based line)."""

    loc: Loc = field(default=NOWHERE, kw_only=True)


# --- inline runs -------------------------------------------------------------------

@dataclass(frozen=True)
class Text(Node):
    text: str


@dataclass(frozen=True)
class Emphasis(Node):
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Strong(Node):
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Strike(Node):
    """~~barrato~~, as GitHub and VS Code show it."""

    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Code(Node):
    text: str


@dataclass(frozen=True)
class Link(Node):
    """A link kept by the rules of load/refs.py: http(s), mailto or a place in the document (#…); its
    title, if written (`[testo](url "titolo")`), is a tooltip as in CommonMark."""

    href: str
    children: tuple[Inline, ...]
    title: str = ""


@dataclass(frozen=True)
class Image(Node):
    """A picture of the plan, normalised (load/media.py), with the text a screen reader speaks and its
    title, if written (`![testo](file.png "titolo")`: a tooltip, as in CommonMark)."""

    picture: Picture
    alt: str
    title: str = ""


@dataclass(frozen=True)
class FigureRef(Node):
    """A cited computed figure, `{{ cifre.gruppo.nome }}`: its name and its text as printed."""

    name: str
    text: str


def table_label(number: int) -> str:
    """How a numbered table is named, in its caption and where the text cites it."""
    return f"Tabella n. {number}"


@dataclass(frozen=True)
class TableRef(Node):
    """`{{ tabella_n("id") }}`: the number of a table placed in the document, and the anchor of its caption."""

    table_id: str
    number: int = 0
    anchor: str = ""

    @property
    def text(self) -> str:
        return table_label(self.number) if self.number else f"tabella «{self.table_id}»"


@dataclass(frozen=True)
class FootnoteRef(Node):
    """A footnote call: its number in the chapter, the anchor of its note, which call of that note it is (1, 2…)."""

    number: int
    anchor: str
    call: int = 1


@dataclass(frozen=True)
class LineBreak(Node):
    """A hard line break (two spaces or «\\» at the end of a line)."""


Inline = Union[Text, Emphasis, Strong, Strike, Code, Link, Image, FigureRef, TableRef, FootnoteRef, LineBreak]


def plain(runs: tuple[Inline, ...]) -> str:
    """The text of inline runs, without their markup (for tables of contents, bookmarks)."""
    out = []
    for r in runs:
        if isinstance(r, (Text, Code)):
            out.append(r.text)
        elif isinstance(r, (FigureRef, TableRef)):
            out.append(r.text)
        elif isinstance(r, LineBreak):
            out.append(" ")
        elif isinstance(r, (Emphasis, Strong, Strike, Link)):
            out.append(plain(r.children))
    return "".join(out)


# --- blocks ------------------------------------------------------------------------

@dataclass(frozen=True)
class Heading(Node):
    """A heading inside a chapter: level 2 is a numbered section («1.2»), deeper levels are not numbered."""

    level: int
    number: str
    title: str
    anchor: str
    runs: tuple[Inline, ...] = ()


@dataclass(frozen=True)
class Paragraph(Node):
    runs: tuple[Inline, ...]


@dataclass(frozen=True)
class ListItem(Node):
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class List(Node):
    ordered: bool
    start: int
    items: tuple[ListItem, ...]
    tight: bool = True


@dataclass(frozen=True)
class Quote(Node):
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class CodeBlock(Node):
    text: str
    language: str = ""


@dataclass(frozen=True)
class Rule(Node):
    """A thematic break (---)."""


@dataclass(frozen=True)
class MarkdownTable(Node):
    """A table written in the chapter: header cells, alignments (left/center/right/""), rows of runs.

    A caption written after it («: Titolo» or «Tabella: Titolo») gives it a title and a number (0: none);
    `anchor` is unique in the document (its chapter and the line where it starts)."""

    header: tuple[tuple[Inline, ...], ...]
    alignments: tuple[str, ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]
    caption: tuple[Inline, ...] = ()
    number: int = 0
    anchor: str = ""

    @property
    def label(self) -> str:
        return table_label(self.number) if self.number else ""

    @property
    def whole(self) -> bool:
        """Short enough to be kept on one page (`SHORT_TABLE` rows at most)."""
        return len(self.rows) <= SHORT_TABLE


@dataclass(frozen=True)
class ComputedTable(Node):
    """A computed table (finance/table.py declares its row kinds, column formats and sums), with its number
    in the document (0: a table without title) and an anchor unique in the document."""

    table: Table
    number: int = 0
    anchor: str = ""

    @property
    def label(self) -> str:
        return table_label(self.number) if self.number else ""

    @property
    def whole(self) -> bool:
        """Short enough to be kept on one page (`SHORT_TABLE` rows at most)."""
        return len(self.table.body) <= SHORT_TABLE


@dataclass(frozen=True)
class TickBox(Node):
    """An option of the regional card and whether it is selected (each format draws and says it)."""

    label: str
    selected: bool


@dataclass(frozen=True)
class CardLabels:
    """The words of the regional detail card: its rows' labels, its tables' headers and caption. Every format
    prints these (`Card.labels`, `Service.labels`), so a card reads the same in the PDF and in the DOCX."""

    scheda: str = "Scheda di progettazione di dettaglio"
    titolo: str = "Titolo"
    priorita: str = "Livello di priorità"
    aree: str = "Area strategica (PRPS)"
    obiettivi: tuple[str, str, str] = ("Obiettivo tematico – area", "Lett.", "Titolo")
    risultati: str = "Risultati attesi"
    servizi: tuple[str, str] = ("Denominazione dei servizi e/o degli interventi", "Riferimento normativo")
    valenza: str = "Valenza territoriale"
    gestione: str = "Modalità di gestione"
    riferimento: str = "Riferimento alla programmazione"
    macro: str = "Macro-attività"
    intervento: str = "Interventi e servizi"
    programmazione: str = "Programmazione economica"
    colonne: tuple[str, str, str] = ("Annualità", "Importo programmato", "Fonti di finanziamento")
    totale: str = "Totale"
    utenza: str = "Utenza"
    documenti: str = "Documenti collegati"
    operatori: str = "Profilo degli operatori"
    azioni: str = "Azioni da realizzare"


CARD_LABELS = CardLabels()


@dataclass(frozen=True)
class Service(Node):
    """One service of a card, with its details."""

    labels: ClassVar[CardLabels] = CARD_LABELS

    name: str
    reference: str                          # legal reference (articles of R.R. 4/2007, other)
    utenza: str
    numero_utenti: int | None
    documenti: tuple[str, ...]
    operatori: tuple[str, ...]
    azioni: tuple[str, ...]


@dataclass(frozen=True)
class Objective(Node):
    area: str
    letter: str
    title: str


@dataclass(frozen=True)
class Funding(Node):
    """One year of a card's economic programming: amount and sources as printed."""

    year: str
    amount: str
    sources: str


@dataclass(frozen=True)
class Card(Node):
    """A detail card (scheda di progettazione), located at its YAML file."""

    labels: ClassVar[CardLabels] = CARD_LABELS

    codice: str
    titolo: str
    anchor: str
    priorita: tuple[TickBox, ...]
    aree: tuple[TickBox, ...]
    obiettivi: tuple[Objective, ...]
    risultati: tuple[str, ...]
    servizi: tuple[Service, ...]
    valenza: tuple[TickBox, ...]
    valenza_altro: str
    gestione: tuple[TickBox, ...]
    gestione_altro: str
    macro: tuple[str, str]                  # (letter, title)
    intervento: tuple[str, str]             # (code, title)
    programmazione: tuple[Funding, ...]
    totale: str


@dataclass(frozen=True)
class Cards(Node):
    """Where a chapter cites `{{ schede() }}`: all the cards, in the order of the nomenclature."""

    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Footnote(Node):
    number: int
    anchor: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Footnotes(Node):
    """A chapter's notes, printed at its end."""

    notes: tuple[Footnote, ...]


@dataclass(frozen=True)
class Orientation(Node):
    """A section laid out on landscape pages (tables too wide for portrait)."""

    landscape: bool
    blocks: tuple[Block, ...]


Block = Union[Heading, Paragraph, List, Quote, CodeBlock, Rule, MarkdownTable, ComputedTable, Cards, Footnotes,
              Orientation]


# --- the document ------------------------------------------------------------------

@dataclass(frozen=True)
class Chapter(Node):
    """A chapter: its number (0: not numbered), roman label («Capitolo I» or ""), title and blocks."""

    id: str
    number: int
    label: str
    title: str
    anchor: str
    blocks: tuple[Block, ...]

    @property
    def outline(self) -> tuple[Heading, ...]:
        """The headings of levels 2 and 3 in order, for the table of contents: those written inside a
        quote or a list item too, since they are numbered like the others."""
        def walk(blocks):
            for b in blocks:
                if isinstance(b, Heading) and b.level in (2, 3):
                    yield b
                elif isinstance(b, (Quote, ListItem)):
                    yield from walk(b.blocks)
                elif isinstance(b, List):
                    yield from walk(b.items)
        return tuple(walk(self.blocks))

    @property
    def sections(self) -> tuple[Heading, ...]:
        """The numbered sections (level-2 headings)."""
        return tuple(h for h in self.outline if h.level == 2)

    @property
    def heading(self) -> str:
        return f"{self.label} – {self.title}" if self.label else self.title


@dataclass(frozen=True)
class Annex(Node):
    """The financial annexes (Schede A and C), on landscape pages."""

    title: str
    anchor: str
    tables: tuple[ComputedTable, ...]


@dataclass(frozen=True)
class Cover(Node):
    title: str
    ambito: str
    provincia: str
    ciclo: str
    comuni: tuple[str, ...]
    bozza: bool = False          # a draft: the cover carries the «BOZZA» mark that every page repeats

    @property
    def running_title(self) -> str:
        return f"Ambito Territoriale Sociale di {self.ambito} – {self.title} {self.ciclo}"

    @property
    def comuni_in_line(self) -> str:
        """The Comuni as one line that wraps («CASARANO · MATINO · …»), where one a line would not leave the
        cover room for the Ambito and the title (more than `COVER_COMUNI`); "" where they stand one a line."""
        if len(self.comuni) <= COVER_COMUNI:
            return ""
        # a name of a few words is not broken between lines; a line never starts with the «·» after a name
        names = [c.replace(" ", "\u00a0") if len(c) <= 30 else c for c in self.comuni]
        return "\u00a0· ".join(names)


@dataclass(frozen=True)
class TocEntry(Node):
    level: int        # 1: chapter or annex, 2: section, 3: a sub-item the regional index lists under a section
    text: str
    anchor: str       # "": a sub-item the plan has no heading for (no link, no page)


# The draft's closing section (templates/da_completare.html.j2, the DOCX's `da_completare`): its heading and
# anchor, which a draft's index lists after the annexes
DA_COMPLETARE_TITLE = "Elementi da completare"
DA_COMPLETARE_ANCHOR = "elementi-da-completare"


@dataclass(frozen=True)
class Toc(Node):
    entries: tuple[TocEntry, ...]


@dataclass(frozen=True)
class Document(Node):
    cover: Cover
    toc: Toc
    chapters: tuple[Chapter, ...]
    annex: Annex
    cards: tuple[Card, ...]
    provenance: Provenance
    keywords: str
    date: date | None = None
    # a draft carries the BOZZA mark and ends with what is still missing (checks/completeness.py)
    bozza: bool = False
    da_completare: tuple = ()

    # the closing section of a draft, as the template names it
    da_completare_title = DA_COMPLETARE_TITLE
    da_completare_anchor = DA_COMPLETARE_ANCHOR

    # the cover's fields, as the templates and the DOCX name them
    @property
    def title(self) -> str:
        return self.cover.title

    @property
    def ambito(self) -> str:
        return self.cover.ambito

    @property
    def provincia(self) -> str:
        return self.cover.provincia

    @property
    def ciclo(self) -> str:
        return self.cover.ciclo

    @property
    def comuni(self) -> tuple[str, ...]:
        return self.cover.comuni


@dataclass(frozen=True)
class Report(Node):
    """A document on the plan that is not the plan (`pdz diff`'s «Prospetto delle variazioni»): the
    Ambito's heading, a title and subtitle, blocks, and the lines that make it an attachment."""

    title: str
    subtitle: str
    ambito: str
    provincia: str
    blocks: tuple[Block, ...]
    attachment: str = ""     # «Allegato alla deliberazione n. … del …», completed by hand
    closing: str = ""        # how the document was made, under its last block
    description: str = ""    # its subject, in the document's properties

    @property
    def running_title(self) -> str:
        return f"Ambito Territoriale Sociale di {self.ambito} – {self.title} del {self.subtitle}"


# Every node kind, for the renderers' exhaustiveness test.
KINDS: tuple[type[Node], ...] = (
    Text, Emphasis, Strong, Strike, Code, Link, Image, FigureRef, TableRef, FootnoteRef, LineBreak,
    Heading, Paragraph, ListItem, List, Quote, CodeBlock, Rule, MarkdownTable, ComputedTable, TickBox, Service,
    Objective, Funding, Card, Cards, Footnote, Footnotes, Orientation, Chapter, Annex, Cover, TocEntry, Toc, Document,
    Report,
)
