"""Characters pasted from Word and web pages: named, at their exact line and column.

Invisible characters and typographic quotes in the YAML files, where YAML expects its
own spaces and quotes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import UNPROGRAMMED, edit, line_of
from pdz_docs.cli import main

CARD = "schede/A.1.yaml"
PAIS = "PAIS: € 10.000,00"   # line 16 of the card; the value starts at column 11


def problems(capsys, plan: Path) -> tuple[int, list[str]]:
    code = main(["check", str(plan)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return code, [line.split(f"{plan}/", 1)[1] for line in text.splitlines()
                  if f"{plan}/" in line and f"[{UNPROGRAMMED}]" not in line]


@pytest.mark.parametrize("written, where, severity, code, named", [
    # the case of the issue: a no-break space after «PAIS:» was reported on the next line as a missing «:»
    ("PAIS:\u00a0€ 10.000,00", "16:10", "errore", "carattere-invisibile", "spazio non separabile (U+00A0)"),
    ("PAIS:\u202f€ 10.000,00", "16:10", "errore", "carattere-invisibile", "spazio stretto non separabile (U+202F)"),
    ("PAIS\u00a0: € 10.000,00", "16:9", "errore", "carattere-invisibile", "spazio non separabile (U+00A0) nella chiave"),
    ("\u200bPAIS: € 10.000,00", "16:5", "errore", "carattere-invisibile", "spazio a larghezza zero (U+200B)"),
    ("\u2060PAIS: € 10.000,00", "16:5", "errore", "carattere-invisibile", "(U+2060)"),
    ("\u00a0PAIS: € 10.000,00", "16:5", "errore", "carattere-invisibile", "spazio non separabile (U+00A0)"),
    ("PAIS: € 10\ufeff.000,00", "16:15", "avviso", "carattere-invisibile", "(U+FEFF)"),
    ("PAIS: “€ 10.000,00: PdZ”", "16:11", "errore", "virgolette-tipografiche", "«“» (U+201C)"),
    ('PAIS: "€ 10.000,00”', "16:23", "errore", "virgolette-tipografiche", "«”» (U+201D)"),
])
def test_pasted_character_is_named_where_it_is(plan_dir: Path, capsys, written, where, severity, code, named):
    edit(plan_dir / CARD, PAIS, written)
    rc, found = problems(capsys, plan_dir)
    assert rc == 1
    mine = [p for p in found if p.endswith(f"[{code}]")]
    assert len(mine) == 1, found
    assert mine[0].startswith(f"{CARD}:{where}: {severity}: ") and named in mine[0], found
    if severity == "errore":   # one cause, one problem: no second message about the same line
        assert len(found) == 1, found


def test_no_break_space_inside_a_text_is_fine(plan_dir: Path, capsys):
    edit(plan_dir / CARD, "titolo: Segretariato sociale", "titolo: Segretariato\u00a0sociale «per tutti»")
    assert problems(capsys, plan_dir) == (0, [])


@pytest.mark.parametrize("data, code", [
    (b"\xef\xbb\xbf" + b"codice: A.1\r\n", None),          # a BOM and CRLF: still read
    (b"codice: A.1\x07\n", "file-binario"),                 # a control character: still refused
])
def test_existing_good_cases_still_hold(plan_dir: Path, capsys, data, code):
    card = plan_dir / CARD
    card.write_bytes(data + card.read_bytes().split(b"\n", 1)[1].replace(b"\n", b"\r\n" if b"\r" in data else b"\n"))
    rc, found = problems(capsys, plan_dir)
    if code is None:
        assert rc == 0, found
    else:
        assert found == [f"{CARD}:1:12: errore: il file contiene il carattere di controllo U+0007, non ammesso in un "
                         f"file di testo (dati binari?) [{code}]"]


# --- characters the fonts of the document do not have -------------------------------------

CAP = "capitoli/10-cap1.md"
SENTENCE = "L'Ambito conta"


def html_of(plan: Path) -> str:
    from test_hostile import html_of as render

    return render(plan)


def test_word_bullets_become_a_list(plan_dir: Path, capsys):
    edit(plan_dir / CAP, SENTENCE, "I servizi sono due:\n\n\uf0b7 segretariato\n\uf0b7\tsportello fatto \uf0fc\n\n" + SENTENCE)
    assert problems(capsys, plan_dir) == (0, [])
    html = html_of(plan_dir)
    assert "<li>segretariato</li>" in html and "<li>sportello fatto \u2713</li>" in html
    assert "\uf0b7" not in html and "\uf0fc" not in html


def test_word_symbol_in_yaml_is_its_unicode_sign(plan_dir: Path, capsys):
    edit(plan_dir / CARD, "- Accesso semplice per tutti", "- Accesso semplice per tutti \uf0fc")
    assert problems(capsys, plan_dir) == (0, [])
    assert "Accesso semplice per tutti \u2713" in html_of(plan_dir)


def test_word_bullet_pasted_with_a_card_item_is_not_printed_twice(plan_dir: Path, capsys):
    edit(plan_dir / CARD, "- Accesso semplice per tutti", '- "\uf0b7 Accesso semplice per tutti"')
    assert problems(capsys, plan_dir) == (0, [])
    page = html_of(plan_dir)
    assert "<li>Accesso semplice per tutti</li>" in page and "\u2022 Accesso" not in page and "- Accesso" not in page


def test_character_without_glyph_is_a_located_warning(plan_dir: Path, capsys):
    from pdz_docs.checks.glyphs import covered

    if covered() is None:
        pytest.skip("fontconfig non disponibile")
    edit(plan_dir / CAP, SENTENCE, "Sportello \u4e2d e \u4e2d, poi \U0001F642.\n\n" + SENTENCE)
    edit(plan_dir / CARD, "titolo: Segretariato sociale", "titolo: Segretariato \U0001F642")
    rc, found = problems(capsys, plan_dir)
    assert rc == 0, found
    line = line_of(plan_dir / CAP, "Sportello")
    assert found == [
        f"{CAP}:{line}:11: avviso: il carattere «\u4e2d» (U+4E2D CJK UNIFIED IDEOGRAPH-4E2D) non è in nessuno dei "
        "caratteri tipografici del documento, qui e un'altra volta nel file: nel PDF apparirebbe come un quadratino "
        "vuoto; sostituirlo con un carattere comune o toglierlo [carattere-senza-glifo]",
        f"{CAP}:{line}:22: avviso: il carattere «\U0001F642» (U+1F642 SLIGHTLY SMILING FACE) non è in nessuno dei "
        "caratteri tipografici del documento: nel PDF apparirebbe come un quadratino vuoto; sostituirlo con un "
        "carattere comune o toglierlo [carattere-senza-glifo]",
        f"{CARD}:2:9: avviso: il carattere «\U0001F642» (U+1F642 SLIGHTLY SMILING FACE) non è in nessuno dei "
        "caratteri tipografici del documento: nel PDF apparirebbe come un quadratino vuoto; sostituirlo con un "
        "carattere comune o toglierlo [carattere-senza-glifo]",
    ]


def test_character_the_word_fonts_lack_is_a_located_warning(plan_dir: Path, capsys):
    """The PDF draws «☺» (DejaVu has it) but the DOCX embeds DejaVu subset to the characters a plan uses: in
    Word and LibreOffice it was an empty box, with no warning. «≥», «α», «⅓» are in the subset: no warning."""
    from pdz_docs.checks.glyphs import covered

    if covered() is None or 0x263A not in covered():
        pytest.skip("fontconfig o DejaVu Sans non disponibili")
    edit(plan_dir / CAP, SENTENCE, "Utenti \u2265 65 anni, \u03b1, \u2153 e \u263a.\n\n" + SENTENCE)
    rc, found = problems(capsys, plan_dir)
    assert rc == 0, found
    line = line_of(plan_dir / CAP, "Utenti")
    assert found == [
        f"{CAP}:{line}:26: avviso: il carattere «\u263a» (U+263A WHITE SMILING FACE) non è nei caratteri tipografici "
        "incorporati nel DOCX: in Word apparirebbe come un quadratino vuoto; sostituirlo con un carattere comune o "
        "toglierlo [carattere-senza-glifo]"]


def test_the_signs_word_bullets_are_read_as_are_in_the_docx_fonts():
    """A pasted Wingdings arrowhead is read as «➢» (load/pasted.py): Word must be able to draw it too."""
    from pdz_docs.checks.glyphs import embedded
    from pdz_docs.load.pasted import WORD_SYMBOLS

    assert [c for c in WORD_SYMBOLS.values() if ord(c) not in embedded()] == []
