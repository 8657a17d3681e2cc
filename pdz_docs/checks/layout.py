"""Checks of the laid-out PDF: a table wider than its page, warned at the table's own line."""

from __future__ import annotations

from pdz_docs.document import nodes as n
from pdz_docs.problems import Problem, avviso


def _tables(blocks, chapter: str):
    """(HTML id, node, chapter id) of every table among `blocks`, nested ones included."""
    for b in blocks:
        if isinstance(b, (n.ComputedTable, n.MarkdownTable)):
            yield b.anchor, b, chapter
        elif isinstance(b, (n.Quote, n.Orientation)):
            yield from _tables(b.blocks, chapter)
        elif isinstance(b, n.List):
            for item in b.items:
                yield from _tables(item.blocks, chapter)


def check_table_width(doc: n.Document, wide: list[tuple[str, str]]) -> list[Problem]:
    """`wide`: (table's HTML id, id of its section) of the tables cut at the right edge of their page."""
    found = {(key, chapter): (node, chapter) for ch in doc.chapters for key, node, chapter in _tables(ch.blocks, ch.id)}
    found.update({(t.anchor, doc.annex.anchor): (t, "") for t in doc.annex.tables})
    titles = {ch.id: ch.title for ch in doc.chapters}
    out = []
    for key, section in wide:
        if (key, section) not in found:
            continue
        node, chapter = found[(key, section)]
        where = f"nel capitolo «{titles[chapter]}»" if chapter else "negli allegati"
        what = (f"la tabella «{node.table.title}»" if isinstance(node, n.ComputedTable)
                else "una tabella scritta in Markdown")
        out.append(avviso(node.loc, "tabella-troppo-larga",
                          f"{what} {where} è più larga della pagina e nel PDF risulta tagliata a destra: "
                          "ridurre le colonne o spezzarla in due tabelle"))
    return out
