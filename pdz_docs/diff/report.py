"""The «Prospetto delle variazioni»: its model of already formatted rows, and its layouts.

`compare` fills the model; the renderers here (terminal text, Markdown, DOCX, PDF) only lay
it out, with the builders the plan's own document uses (render/docx.py's WordBuilder, the
Jinja templates and the PDF layout of `pdz build`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pdz_docs.finance.money import fmt_date

LAVORO = "copia di lavoro"
NESSUNA = "Nessuna variazione."


@dataclass(frozen=True)
class Versione:
    nome: str              # the revision as typed, or LAVORO
    commit: str            # short hash ('' for a working tree without commits)
    data: date | None      # commit date
    modificata: bool = False   # working tree with changes not yet committed

    @property
    def descrizione(self) -> str:
        if self.nome == LAVORO:
            if not self.commit:
                return LAVORO
            state = "con modifiche non registrate" if self.modificata else "senza modifiche"
            return f"{LAVORO} (commit {self.commit} {state})"
        when = f" del {fmt_date(self.data)}" if self.data else ""
        name = "" if self.nome == self.commit else f"{self.nome} – "
        return f"{name}commit {self.commit}{when}"

    @property
    def slug(self) -> str:
        return "lavoro" if self.nome == LAVORO else re.sub(r"[^A-Za-z0-9._-]+", "-", self.nome).strip("-.") or "rev"


@dataclass(frozen=True)
class CapitoloVariato:
    titolo: str                          # "Analisi del contesto (capitoli/10-cap1.md)"
    stato: str                           # modificato | aggiunto | rimosso
    coppie: tuple[tuple[str, str], ...]  # (previous text, new text) excerpts; one side may be ""
    altre: int                           # changed lines not shown


@dataclass(frozen=True)
class Sezione:
    titolo: str
    colonne: tuple[str, ...] = ()
    righe: tuple[tuple[str, ...], ...] = ()
    numeriche: tuple[int, ...] = ()      # right-aligned columns
    capitoli: tuple[CapitoloVariato, ...] = ()
    nota: str = ""

    @property
    def vuota(self) -> bool:
        return not self.righe and not self.capitoli


@dataclass(frozen=True)
class Prospetto:
    ambito: str
    provincia: str
    piano: str                 # "Piano Sociale di Zona 2022-2024"
    prima: Versione
    dopo: Versione
    sezioni: tuple[Sezione, ...]

    @property
    def vuoto(self) -> bool:
        return all(s.vuota for s in self.sezioni)


# --- renderers ----------------------------------------------------------------------------------

def as_text(p: Prospetto) -> str:
    out = [f"Prospetto delle variazioni – Ambito Territoriale Sociale di {p.ambito} – {p.piano}",
           f"  prima: {p.prima.descrizione}",
           f"  dopo:  {p.dopo.descrizione}", ""]
    for i, s in enumerate(p.sezioni, 1):
        out.append(f"{i}. {s.titolo}")
        if s.vuota:
            out.append(f"   {NESSUNA}")
        for c in s.capitoli:
            out.append(f"   {c.titolo}: {c.stato}")
            for old, new in c.coppie:
                out += ([f"     − {old}"] if old else []) + ([f"     + {new}"] if new else [])
            if c.altre:
                out.append(f"     … e {_altre(c.altre)}")
        if s.righe:
            widths = [max(len(r[j]) for r in (s.colonne, *s.righe)) for j in range(len(s.colonne))]
            line = lambda r: "   " + "  ".join(  # noqa: E731
                (v.rjust(w) if j in s.numeriche else v.ljust(w)) for j, (v, w) in enumerate(zip(r, widths))).rstrip()
            out += [line(s.colonne), "   " + "  ".join("─" * w for w in widths)] + [line(r) for r in s.righe]
        out.append("")
    if p.vuoto:
        out.append("Nessuna variazione tra le due versioni.")
    return "\n".join(out).rstrip("\n") + "\n"


def _altre(n: int) -> str:
    return "un'altra riga modificata" if n == 1 else f"altre {n} righe modificate"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def as_markdown(p: Prospetto) -> str:
    out = ["# Prospetto delle variazioni", "",
           f"**Ambito Territoriale Sociale di {p.ambito}** (Provincia di {p.provincia}) – {p.piano}", "",
           f"- **Versione precedente:** {p.prima.descrizione}",
           f"- **Versione aggiornata:** {p.dopo.descrizione}", ""]
    for i, s in enumerate(p.sezioni, 1):
        out += [f"## {i}. {s.titolo}", ""]
        if s.vuota:
            out += [NESSUNA, ""]
            continue
        if s.nota:
            out += [f"*{s.nota}*", ""]
        for c in s.capitoli:
            out += [f"### {_md_cell(c.titolo)}", "", f"Capitolo {c.stato}.", ""]
            if c.coppie:
                out += ["| Testo precedente | Testo nuovo |", "|---|---|"]
                out += [f"| {_md_cell(o)} | {_md_cell(n)} |" for o, n in c.coppie] + [""]
            if c.altre:
                out += [f"… e {_altre(c.altre)}.", ""]
        if s.righe:
            out.append("| " + " | ".join(s.colonne) + " |")
            out.append("|" + "|".join("---:" if j in s.numeriche else "---" for j in range(len(s.colonne))) + "|")
            out += ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in s.righe] + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def as_docx(p: Prospetto) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    from pdz_docs.render.docx import WordBuilder, WordCell, header_row

    w = WordBuilder()
    d = w.d

    def table(header: tuple[str, ...], rows, numeric=()) -> None:
        w.add_table([header_row(*header)] + [(False, [WordCell(v, right=j in numeric) for j, v in enumerate(r)])
                                              for r in rows])
        d.add_paragraph()

    def small(text: str, italic: bool = False) -> None:
        run = d.add_paragraph().add_run(text)
        run.font.size, run.italic = Pt(8.5), italic or None

    w.page_frame(f"Ambito Territoriale Sociale di {p.ambito} – Prospetto delle variazioni del {p.piano}")
    attach = d.add_paragraph("Allegato alla deliberazione n. ______ del ______________")
    attach.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for text, size, bold in ((f"Ambito Territoriale Sociale di {p.ambito}", 14, True),
                             (f"Provincia di {p.provincia}", 11, False)):
        par = d.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = par.add_run(text)
        run.bold, run.font.size = bold, Pt(size)
    w.para("Prospetto delle variazioni", "Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = d.add_paragraph(p.piano)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table(("Versione", "Revisione"), (("Precedente", p.prima.descrizione), ("Aggiornata", p.dopo.descrizione)))
    for i, s in enumerate(p.sezioni, 1):
        w.heading(f"{i}. {s.titolo}", 1)
        if s.vuota:
            d.add_paragraph(NESSUNA)
            continue
        if s.nota:
            small(s.nota, italic=True)
        for c in s.capitoli:
            w.heading(c.titolo, 2)
            d.add_paragraph(f"Capitolo {c.stato}.")
            if c.coppie:
                table(("Testo precedente", "Testo nuovo"), c.coppie)
            if c.altre:
                small(f"… e {_altre(c.altre)}.")
        if s.righe:
            table(s.colonne, s.righe, s.numeriche)
    small("Prospetto prodotto con pdz-docs confrontando i file del piano nelle due versioni indicate.")
    return w.save(f"Prospetto delle variazioni – {p.piano} – Ambito Territoriale Sociale di {p.ambito}",
                  f"Ambito Territoriale Sociale di {p.ambito}",
                  f"Variazioni tra {p.prima.descrizione} e {p.dopo.descrizione}")


def as_pdf(p: Prospetto) -> bytes:
    from pdz_docs.build import render_pdf as layout
    from pdz_docs.render.html import TEMPLATES, template_env

    html = template_env().get_template("variazioni.html.j2").render(p=p, nessuna=NESSUNA, altre=_altre)
    return layout(html, [TEMPLATES], TEMPLATES)


LAYOUTS = {"testo": lambda p: as_text(p).encode("utf-8"), "md": lambda p: as_markdown(p).encode("utf-8"),
             "docx": as_docx, "pdf": as_pdf}
