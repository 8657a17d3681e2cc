"""The DOCX's typography as Word and LibreOffice lay it out: «€», «n.», «art.» stay with what follows them,
and a card's «Programmazione economica» is kept on one page, as in the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import FIXTURES, edit

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def xml(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("tipografia")
    shutil.copytree(FIXTURES / "minimo", root / "piano")
    edit(root / "piano" / "capitoli" / "10-cap1.md", "abitanti.",
         "abitanti. L'assegnazione 2022, pari a € 208.235,20, segue l'art. 30 del D.Lgs. n. 267/2000.")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(root / "piano"), "-o", str(root / "out"),
                        "--format", "docx"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return zipfile.ZipFile(next((root / "out").glob("*.docx"))).read("word/document.xml").decode()


def test_signs_and_abbreviations_are_tied_to_what_follows_in_chapter_text(xml):
    text = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))
    assert f"pari a €{NBSP}208.235,20, segue l'art.{NBSP}30 del D.Lgs.{NBSP}n.{NBSP}267/2000." in text


def test_amounts_in_table_cells_never_break_after_the_euro_sign(xml):
    cells = re.findall(r"<w:tc>.*?</w:tc>", xml)
    amounts = [t for c in cells for t in re.findall(r"<w:t[^>]*>([^<]*€[^<]*)</w:t>", c)]
    assert f"€{NBSP}40.000,00 PdZ + €{NBSP}10.000,00 PAIS" in amounts      # the card's sources of 2022
    assert f"€{NBSP}90.000,00" in amounts                                  # the card's total
    assert not [a for a in amounts if re.search(r"€ ", a)]


def test_programming_table_of_a_card_is_kept_on_one_page(xml):
    table = re.search(r'<w:tblCaption w:val="Programmazione economica"/>.*?</w:tbl>', xml)[0]
    rows = re.findall(r"<w:tr>.*?</w:tr>", table)
    assert len(rows) == 4                                      # header, 2022, 2023, total
    for row in rows[:-1]:                                      # each row keeps with the next: one block
        paras = re.findall(r"<w:p>.*?</w:p>", row)
        assert paras and all("<w:keepNext/>" in p for p in paras)
    assert "<w:keepNext/>" not in rows[-1]
