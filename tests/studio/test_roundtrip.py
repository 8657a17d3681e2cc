"""Saving from the browser keeps the writer's file: one changed value changes its own lines only,
an unchanged file is saved byte for byte, and a file changed on disk meanwhile is never overwritten."""

from __future__ import annotations

import atexit
import copy
import difflib
import shutil
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pdz_docs.cli import main
from pdz_docs.finance.money import fmt_euro
from pdz_docs.pipeline import run
from pdz_docs.problems import ERRORE
from pdz_docs.studio import roundtrip as rt

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


def _skeleton() -> Path:
    """A fresh plan made by `pdz new` (the files its templates give), removed when the tests end."""
    top = tempfile.mkdtemp(prefix="pdz-skeleton-")
    atexit.register(shutil.rmtree, top, True)
    folder = Path(top) / "piano"
    assert main(["new", str(folder), "--ambito", "Prova", "--provincia", "Lecce",
                 "--comuni", "Alfa,Beta: Gamma,Sant'Agata"]) == 0
    return folder


SKELETON = _skeleton()
FILES = sorted(CONTENT.rglob("*.yaml")) + sorted(SKELETON.rglob("*.yaml"))


def entries(text: str) -> list[tuple[tuple, yaml.Node, yaml.Node]]:
    """Every mapping entry and list item below the top (path, first node: key or item, value node)."""
    out = []

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                sub = path + (yaml.safe_load(k.value) if k.style is None else k.value,)
                out.append((sub, k, v))
                walk(v, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out.append((path + (i,), v, v))
                walk(v, path + (i,))
    walk(yaml.compose(text), ())
    return out


def scalar_fields(text: str) -> list[tuple[tuple, yaml.Node]]:
    """Every scalar value of a YAML text (not keys), with its path."""
    return [(keys, value) for keys, _first, value in entries(text) if isinstance(value, yaml.ScalarNode)]


def lookup(data, path):
    for key in path:
        data = data[key] if isinstance(data, list) else next(v for k, v in data.items() if str(k) == str(key))
    return data


def replaced(data, path, value):
    data = copy.deepcopy(data)
    parent = lookup(data, path[:-1])
    if isinstance(parent, list):
        parent[path[-1]] = value
    else:
        parent[next(k for k in parent if str(k) == str(path[-1]))] = value
    return data


def copy_of(path: Path, folder: Path) -> Path:
    dst = folder / path.name
    shutil.copyfile(path, dst)
    return dst


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(p.parents[1]).as_posix())
def test_unchanged_save_is_byte_identical(tmp_path: Path, path: Path):
    f = copy_of(path, tmp_path)
    rt.save(rt.load(f))
    assert f.read_bytes() == path.read_bytes()


TEXTS = st.text(alphabet=st.sampled_from(list("aèéìòù AZ09:#,-'\"{}[]&*!|>%@`€.\\\n")), max_size=40)
VALUES = st.one_of(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
                   TEXTS, st.integers(-10**6, 10**9), st.none(), st.dates(date(1990, 1, 1), date(2040, 1, 1)))


def native(value):
    return fmt_euro(value) if isinstance(value, Decimal) else value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_changed_field_changes_only_its_lines(data):
    path = data.draw(st.sampled_from(FILES), label="file")
    old = path.read_text(encoding="utf-8")
    fields = scalar_fields(old)
    keys, node = fields[data.draw(st.integers(0, len(fields) - 1), label="field")]
    value = data.draw(VALUES, label="value")
    windows = data.draw(st.booleans(), label="CRLF and BOM")
    with tempfile.TemporaryDirectory() as tmp:
        f = copy_of(path, Path(tmp))
        if windows:
            f.write_bytes(b"\xef\xbb\xbf" + old.replace("\n", "\r\n").encode("utf-8"))
        yf = rt.load(f)
        yf.set(keys, value)
        rt.save(yf)
        raw = f.read_bytes()
    if windows:   # still a Windows file: a BOM, and every line ending is CRLF
        assert raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
        raw = raw[3:].replace(b"\r\n", b"\n")
    new = raw.decode("utf-8")
    # the file reads back as before, with only that value changed
    assert yaml.safe_load(new) == replaced(yaml.safe_load(old), keys, native(value))
    # and only that value's lines differ
    first = node.start_mark.line
    last = old.count("\n", 0, node.start_mark.index + len(old[node.start_mark.index:node.end_mark.index].rstrip()))
    assert only_lines(old, new, set(range(first, last + 1))), (keys, value)


def removed(data, path):
    data = copy.deepcopy(data)
    parent = lookup(data, path[:-1])
    if isinstance(parent, list):
        del parent[path[-1]]
    elif len(parent) == 1:
        return replaced(data, path[:-1], {})
    else:
        del parent[next(k for k in parent if str(k) == str(path[-1]))]
    return data


def only_lines(old: str, new: str, allowed: set[int]) -> bool:
    """Whether `new` differs from `old` only in the lines `allowed` of `old` (from 0; a line where
    lines are inserted counts as changed). Repeated lines can be matched in several ways: the change
    is within `allowed` when difflib's matching, or the one that keeps the longest common start and
    end, or (for lines removed) some run of `allowed` lines whose removal gives `new`, says so."""
    a, b = old.splitlines(True), new.splitlines(True)
    k = len(a) - len(b)
    if k > 0 and any(a[:i] + a[i + k:] == b for i in sorted(allowed) if set(range(i, i + k)) <= allowed):
        return True
    by_difflib = set()
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            by_difflib |= set(range(i1, i2)) or {i1}
    head = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    tail = next((i for i, (x, y) in enumerate(zip(reversed(a[head:]), reversed(b[head:]))) if x != y),
                min(len(a), len(b)) - head)
    by_ends = set(range(head, len(a) - tail)) or {head}
    return by_difflib <= allowed or by_ends <= allowed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_removing_an_entry_removes_its_lines(data):
    path = data.draw(st.sampled_from(FILES), label="file")
    old = path.read_text(encoding="utf-8")
    found = entries(old)
    keys, first, value = found[data.draw(st.integers(0, len(found) - 1), label="entry")]
    yf = rt.load(path)
    yf.remove(keys)
    expected = removed(yaml.safe_load(old), keys)
    if lookup(expected, keys[:-1]) == []:
        expected = replaced(expected, keys[:-1], [])
    assert yaml.safe_load(yf.text) == expected
    last = old.count("\n", 0, value.start_mark.index + len(old[value.start_mark.index:value.end_mark.index].rstrip()))
    # its own lines, and the next line when a comment moves up after a list's dash; the last entry of
    # a mapping or list leaves it empty ("{}", "[]" after its key)
    allowed = set(range(first.start_mark.line, last + 2))
    if lookup(expected, keys[:-1]) in ({}, []):
        allowed |= {next(f.start_mark.line for k, f, _v in entries(old) if k == keys[:-1])}
    assert only_lines(old, yf.text, allowed), keys


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_appending_to_a_list_adds_one_item(data):
    path = data.draw(st.sampled_from(FILES), label="file")
    old = path.read_text(encoding="utf-8")
    lists = [(k, v) for k, _first, v in entries(old) if isinstance(v, yaml.SequenceNode)]
    if not lists:
        return
    keys, node = lists[data.draw(st.integers(0, len(lists) - 1), label="list")]
    value = data.draw(st.one_of(TEXTS, st.dictionaries(st.sampled_from(["nome", "nota", "2022"]), TEXTS,
                                                       min_size=1, max_size=3)), label="value")
    yf = rt.load(path)
    yf.append(keys, value)
    before = yaml.safe_load(old)
    assert yaml.safe_load(yf.text) == replaced(before, keys, lookup(before, keys) + [value])
    last = old.count("\n", 0, node.start_mark.index + len(old[node.start_mark.index:node.end_mark.index].rstrip()))
    assert only_lines(old, yf.text, set(range(node.start_mark.line, last + 2))), keys


def test_amount_is_written_as_the_plan_writes_it(tmp_path: Path):
    scheda = copy_of(CONTENT / "schede" / "B.2.yaml", tmp_path)
    finanza = copy_of(CONTENT / "finanza.yaml", tmp_path)
    yf = rt.load(scheda)
    assert yf.get(("programmazione", 2022, "PdZ")) == "€ 45.600,00"
    yf.set(("programmazione", 2022, "PdZ"), Decimal("45700"))
    rt.save(yf)
    assert "    PdZ: € 45.700,00\n" in scheda.read_text(encoding="utf-8")
    yf = rt.load(finanza)
    yf.set(("budget", "FNPS", 2023), Decimal("1234.5"))     # inside a flow mapping: quoted as the others
    rt.save(yf)
    assert ('  FNPS: {2022: "€ 462.459,91", 2023: "€ 1.234,50", 2024: "€ 335.721,94"}\n'
            in finanza.read_text(encoding="utf-8"))


def test_new_keys_are_appended_at_the_end_of_their_mapping(tmp_path: Path):
    scheda = copy_of(CONTENT / "schede" / "B.2.yaml", tmp_path)
    finanza = copy_of(CONTENT / "finanza.yaml", tmp_path)
    before = scheda.read_text(encoding="utf-8")
    yf = rt.load(scheda)
    yf.set(("programmazione", 2024, "QFP"), Decimal("10"))
    rt.save(yf)
    assert scheda.read_text(encoding="utf-8") == before.replace(
        "  2024:\n    PdZ: € 0,00\n", "  2024:\n    PdZ: € 0,00\n    QFP: € 10,00\n")
    before = finanza.read_text(encoding="utf-8")
    yf = rt.load(finanza)
    yf.set(("budget", "FNA", 2023), Decimal("5"))
    yf.set(("budget", "AUT-COM-DIS"), "da_schede")                   # an existing key, same value
    yf.set(("budget", "NUOVA", "ciclo"), Decimal("7"))
    rt.save(yf)
    assert finanza.read_text(encoding="utf-8") == before.replace(
        '  FNA: {2022: "€ 208.235,20"}', '  FNA: {2022: "€ 208.235,20", 2023: "€ 5,00"}').replace(
        "  AUT-COM-DIS: da_schede\n", "  AUT-COM-DIS: da_schede\n  NUOVA:\n    ciclo: € 7,00\n")


def test_crlf_bom_comments_and_tilde_are_kept(tmp_path: Path):
    f = tmp_path / "B.1.yaml"
    original = (CONTENT / "schede" / "B.1.yaml").read_text(encoding="utf-8")
    assert "REGIONE: ~" in original
    f.write_bytes(b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode("utf-8"))
    yf = rt.load(f)
    rt.save(yf)
    assert f.read_bytes() == b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode("utf-8")
    yf.set(("programmazione", 2022, "PdZ"), Decimal("1"))
    yf.set(("programmazione", 2025), {"PdZ": Decimal("2")})
    rt.save(yf)
    raw = f.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
    text = raw[3:].decode("utf-8").replace("\r\n", "\n")
    assert [ln for ln in original.splitlines() if ln.lstrip().startswith("#")] == \
           [ln for ln in text.splitlines() if ln.lstrip().startswith("#")]
    assert text.count("REGIONE: ~") == original.count("REGIONE: ~")
    assert yaml.safe_load(text)["programmazione"][2025] == {"PdZ": "€ 2,00"}


def test_changed_on_disk_is_a_conflict_and_nothing_is_overwritten(tmp_path: Path):
    f = copy_of(CONTENT / "schede" / "B.2.yaml", tmp_path)
    first, second = rt.load(f), rt.load(f)
    first.set(("titolo",), "Prima versione")
    rt.save(first)
    second.set(("titolo",), "Seconda versione")
    with pytest.raises(rt.Conflitto, match="modificato da un'altra persona o da un altro programma"):
        rt.save(second)
    assert rt.load(f).get(("titolo",)) == "Prima versione"
    # a text editor writing the file is caught the same way
    third = rt.load(f)
    f.write_text(f.read_text(encoding="utf-8") + "# nota\n", encoding="utf-8")
    third.set(("titolo",), "Terza")
    with pytest.raises(rt.Conflitto):
        rt.save(third)
    assert f.read_text(encoding="utf-8").endswith("# nota\n") and rt.load(f).get(("titolo",)) == "Prima versione"


def test_permissions_are_kept(tmp_path: Path):
    f = copy_of(CONTENT / "piano.yaml", tmp_path)
    f.chmod(0o640)
    yf = rt.load(f)
    yf.set(("presidente",), "Maria Rossi")
    rt.save(yf)
    assert f.stat().st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name != "piano.yaml"]   # no temporary file left


def test_markdown_saved_with_its_line_endings_and_conflicts(tmp_path: Path):
    f = tmp_path / "10-cap1.md"
    original = (CONTENT / "capitoli" / "10-cap1.md").read_bytes().replace(b"\n", b"\r\n")
    f.write_bytes(original)
    tf = rt.load_text(f)
    assert "\r" not in tf.text
    assert rt.save_text(f, tf.text, tf.hash) == tf.hash
    assert f.read_bytes() == original
    new_hash = rt.save_text(f, tf.text.replace("\n", "\r\n") + "Nuovo paragrafo.\r\n", rt.digest(original))
    assert f.read_bytes() == original + b"Nuovo paragrafo.\r\n"
    with pytest.raises(rt.Conflitto):
        rt.save_text(f, "vecchio", tf.hash)
    assert rt.digest(f.read_bytes()) == new_hash
    with pytest.raises(rt.Conflitto, match="esiste già"):      # a new file must not exist yet
        rt.save_text(f, "altro", None)
    f2 = tmp_path / "20-cap2.md"
    f.rename(f2)
    tf2 = rt.load_text(f2)
    f2.unlink()
    with pytest.raises(rt.Conflitto, match="rimosso o rinominato"):
        rt.save_text(f2, tf2.text, tf2.hash)
    assert not f2.exists()
    rt.save_text(tmp_path / "nuovo.md", "# Nuovo\n", None)
    assert (tmp_path / "nuovo.md").read_bytes() == b"# Nuovo\n"


def test_broken_or_foreign_files_are_told_in_italian(tmp_path: Path):
    bad = tmp_path / "rotto.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(rt.ErroreFile, match="non è un file YAML valido"):
        rt.load(bad)
    link = tmp_path / "link.yaml"
    link.symlink_to(CONTENT / "piano.yaml")
    with pytest.raises(rt.ErroreFile, match="collegamento simbolico"):
        rt.load(link)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("a: perché\n".encode("latin-1"))
    with pytest.raises(rt.ErroreFile, match="UTF-8"):
        rt.load(latin)
    with pytest.raises(rt.ErroreFile, match="non esiste"):
        rt.load(tmp_path / "manca.yaml")


def test_saved_plan_passes_the_loader(tmp_path: Path):
    plan = tmp_path / "piano"
    shutil.copytree(CONTENT, plan)
    _result, before = run(plan)
    yf = rt.load(plan / "schede" / "B.2.yaml")
    yf.set(("programmazione", 2022, "PdZ"), Decimal("45000"))
    yf.set(("servizi", 0, "numero_utenti"), 46)
    rt.save(yf)
    result, after = run(plan)
    assert [p for p in after if p.severity == ERRORE] == []
    assert len(after) == len(before)
    b2 = next(s.scheda for s in result.plan.schede if s.scheda.codice == "B.2")
    assert b2.programmazione[2022]["PdZ"].importo == Decimal("45000.00")
    assert b2.servizi[0].numero_utenti == 46


def test_repeatable_groups_append_and_remove(tmp_path: Path):
    scheda = copy_of(CONTENT / "schede" / "B.2.yaml", tmp_path)
    before = scheda.read_text(encoding="utf-8")
    yf = rt.load(scheda)
    yf.append(("servizi", 0, "operatori"), "Sociologo")
    yf.append(("aree",), "anziani")
    yf.append(("servizi",), {"denominazione": "Nuovo servizio", "operatori": ["A", "B"]})
    yf.remove(("servizi", 1, "operatori", 0))
    yf.remove(("servizi", 0, "denominazione"))     # the first key after a dash: its comment stays
    yf.remove(("programmazione", 2024, "PdZ"))     # the only entry: an empty mapping is left
    rt.save(yf)
    after = scheda.read_text(encoding="utf-8")
    assert after == before.replace(
        "aree: [famiglie-minori]", "aree: [famiglie-minori, anziani]").replace(
        "      - Animatore\n      - Terapista occupazionale\n",
        "      - Animatore\n      - Terapista occupazionale\n      - Sociologo\n").replace(
        "  - denominazione: Assistenza Educativa Domiciliare (ADE)\n    # Art. 87 bis",
        "  - # Art. 87 bis").replace(
        "  2024:\n    PdZ: € 0,00\n", "  2024: {}\n").replace(
        "      - Assistente sociale (SSP)\n", "").replace(
        "      - percorsi di educazione alla legalità e all'affettività per gli alunni\n",
        "      - percorsi di educazione alla legalità e all'affettività per gli alunni\n"
        "  - denominazione: Nuovo servizio\n    operatori:\n      - A\n      - B\n")
    with pytest.raises(rt.ErroreFile, match="non è un elenco"):
        yf.append(("titolo",), "x")
    with pytest.raises(rt.ErroreFile, match="non c'è"):
        yf.remove(("servizi", 9))
