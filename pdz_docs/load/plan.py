"""Load a plan directory: piano.yaml, finanza.yaml, schede/*.yaml, capitoli/*.md and the rules file."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pdz_docs.limits import MAX_CHAPTER_BYTES, quoted
from pdz_docs.load.pasted import read_word_symbols
from pdz_docs.load.refs import IMAGE_TYPES
from pdz_docs.load.validate import validate
from pdz_docs.load.yamlsrc import (char_name, hidden_in_name, load_yaml, read_text,
                                   running_text_characters, shown_hidden)
from pdz_docs.model import Capitolo, Finanza, FrontMatter, Piano, Plan, Regole, Scheda, SchedaSrc, YamlDoc
from pdz_docs.problems import Loc, Problem, avviso, errore

# Problems after which a file's data is incomplete: validating it would only add noise.
UNREADABLE = {"yaml-tag", "yaml-annidamento", "yaml-valore", "yaml-chiave"}
PLAN_SUFFIXES = (".yaml", ".yml", ".md")  # the files of a plan: cards, chapters
PACKAGE_RULES = Path(__file__).resolve().parents[2] / "rules"


def label(path: Path) -> str:
    """How a file is named in messages: relative to the working directory when inside it."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def load_plan(root: Path) -> tuple[Plan | None, list[Problem]]:
    problems: list[Problem] = []
    root = Path(root)
    if not root.is_dir():
        what = ("è un file, non la cartella del piano: indicare la cartella che contiene piano.yaml"
                if root.exists() else "la cartella del piano non esiste")
        return None, [errore(Loc(label(root)), "piano-mancante", what)]
    docs: dict[str, YamlDoc] = {}

    def load_model(name: str, model, path: Path, what: str, required: bool = True, inside: Path = root):
        if not path.exists() and not path.is_symlink():
            if required:
                near = [other.name for other in sorted(path.parent.iterdir())
                        if other.stem.lower() == path.stem and other.suffix.lower() in (".yaml", ".yml")]
                hint = f" (c'è «{quoted(near[0])}»: rinominarlo in {path.name})" if near else ""
                problems.append(errore(Loc(label(path)), "file-mancante", f"manca il file {path.name}{hint}"))
            return None
        if not _inside(path, inside):
            problems.append(_outside(path))
            return None
        doc, probs = load_yaml(path, label(path))
        problems.extend(probs)
        docs[name] = doc
        if any(p.code in UNREADABLE for p in probs):
            return None
        obj, probs = validate(model, doc, what)
        problems.extend(probs)
        return obj

    piano = load_model("piano", Piano, root / "piano.yaml", "piano.yaml")
    finanza = load_model("finanza", Finanza, root / "finanza.yaml", "finanza.yaml")
    regole = None
    if piano is not None:
        rules_path = find_rules(root, piano.regole)
        if rules_path is None:
            problems.append(errore(docs["piano"].loc("regole"), "regole-sconosciute",
                                   f"file di regole «{piano.regole}» non trovato (cercato in rules/)"))
        else:
            regole = load_model("regole", Regole, rules_path, "regole", inside=rules_path.parent)
    if regole is not None and finanza is not None and finanza.fonti:
        regole = _merge_fonti(regole, finanza, docs["finanza"], problems)
    schede = _load_schede(root, problems)
    capitoli = _load_capitoli(root, piano, docs.get("piano"), problems)
    return Plan(root, piano, finanza, regole, tuple(schede), tuple(capitoli), docs), problems


def _merge_fonti(regole: Regole, finanza: Finanza, doc: YamlDoc, problems: list[Problem]) -> Regole:
    """The rules' catalogue of sources plus the plan's own (finanza.yaml «fonti»); a clash is an error."""
    added = {}
    for code, fonte in finanza.fonti.items():
        if code in regole.fonti or code in regole.gruppi_fonti:
            name = regole.fonti[code].nome if code in regole.fonti else regole.gruppi_fonti[code]
            problems.append(errore(doc.key_loc("fonti", code), "fonte-duplicata",
                                   f"la fonte «{quoted(code)}» è già definita nel file delle regole ({name}): "
                                   "usare un altro codice"))
        elif fonte.gruppo is not None and fonte.gruppo not in regole.gruppi_fonti:
            problems.append(errore(doc.loc("fonti", code, "gruppo"), "gruppo-sconosciuto",
                                   f"fonte «{quoted(code)}»: il gruppo «{quoted(fonte.gruppo)}» non esiste (gruppi: "
                                   f"{', '.join(regole.gruppi_fonti)})"))
        else:
            added[code] = fonte
    return regole.model_copy(update={"fonti": {**regole.fonti, **added}})


def find_rules(root: Path, name: str) -> Path | None:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or ".." in name:
        return None
    for base in (root / "rules", root.parent / "rules", PACKAGE_RULES):
        path = base / f"{name}.yaml"
        if path.is_file():
            return path
    return None


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, once every symlink is followed, is inside `root`."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False
    except (OSError, RuntimeError):  # a symlink loop: reading the file reports it
        return True


def _outside(path: Path) -> Problem:
    return errore(Loc(label(path)), "percorso-esterno",
                  "il file è un collegamento a un percorso fuori dalla cartella del piano: "
                  "copiare il file nella cartella invece di collegarlo")


def _ignored(path: Path, why: str, expected=()) -> list[Problem]:
    """A warning naming a file the program does not read where it reads the plan (not folders or dotfiles)."""
    if path.name.startswith(".") or path.suffix.lower() in expected or not path.is_file():
        return []
    return [avviso(Loc(label(path)), "file-ignorato", f"il file «{quoted(path.name)}» non viene letto: {why}")]


def _listing(root: Path, name: str, problems: list[Problem]) -> list[Path] | None:
    """The files the plan's folder `name` (schede/, capitoli/) holds, or None when it is refused.

    Hidden files (.gitkeep, the «._» copies macOS leaves on USB sticks) are left out silently. A
    subfolder holding files of the plan (.yaml, .md) is named in a warning: they are
    not read there. A folder that leads out of the plan is refused and never listed; a file name
    with characters that hide or reorder what it shows is refused."""
    folder = root / name
    if not folder.is_dir():
        return []
    if not _inside(folder, root):
        problems.append(errore(Loc(label(folder)), "percorso-esterno",
                               f"la cartella {name}/ è un collegamento a un percorso fuori dalla cartella del piano: "
                               "copiare i file nella cartella invece di collegarla"))
        return None
    out = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix.lower() in PLAN_SUFFIXES and hidden_in_name(path.name):  # images: load/refs.py
            problems.append(errore(Loc(label(path.parent / shown_hidden(path.name))), "carattere-non-ammesso",
                                   f"il nome del file contiene {char_name(hidden_in_name(path.name))}, che nasconde "
                                   "o rovescia parte del nome: rinominare il file"))
        elif path.is_dir() and not path.is_symlink() and path.suffix.lower() not in PLAN_SUFFIXES:
            if _holds(path, PLAN_SUFFIXES):
                problems.append(avviso(Loc(label(path)), "file-ignorato",
                                       f"la cartella «{quoted(path.name)}» non viene letta: i file di {name}/ "
                                       "non si leggono nelle sottocartelle; spostarli direttamente in "
                                       f"{name}/"))
        else:
            out.append(path)
    return out


def _holds(folder: Path, suffixes: tuple[str, ...]) -> bool:
    """Whether `folder` or a folder in it (links not followed) holds a visible file ending in `suffixes`."""
    for _, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if any(f.lower().endswith(suffixes) and not f.startswith(".") for f in files):
            return True
    return False


def _load_schede(root: Path, problems: list[Problem]) -> list[SchedaSrc]:
    out: list[SchedaSrc] = []
    for path in _listing(root, "schede", problems) or []:
        if path.suffix.lower() not in (".yaml", ".yml"):  # «A.1.YAML» saved by Windows is a card too
            problems.extend(_ignored(path, "schede/ contiene solo le schede, file .yaml"))
            continue
        if not _inside(path, root):
            problems.append(_outside(path))
            continue
        doc, probs = load_yaml(path, label(path))
        problems.extend(probs)
        if any(p.code in UNREADABLE for p in probs):
            continue
        scheda, probs = validate(Scheda, doc, "scheda")
        problems.extend(probs)
        if scheda is not None:
            out.append(SchedaSrc(scheda, doc))
    return out


_FRONT = re.compile(r"\A---[ \t]*\n(.*?)^---[ \t]*\n?", re.S | re.M)


def _load_capitoli(root: Path, piano: Piano | None, piano_doc: YamlDoc | None,
                   problems: list[Problem]) -> list[Capitolo]:
    folder = root / "capitoli"
    files = _listing(root, "capitoli", problems)
    if files is None:
        return []
    chapters = [path for path in files if path.suffix.lower() == ".md"]  # «10-cap1.MD» too
    for path in files:
        if path not in chapters:
            problems.extend(_ignored(path, "capitoli/ contiene i capitoli, file .md, e le loro immagini",
                                     IMAGE_TYPES))
    if piano is not None and piano.capitoli is not None:
        paths = []
        for i, name in enumerate(piano.capitoli):
            path = folder / name
            if not _inside(path, root):
                problems.append(errore(piano_doc.loc("capitoli", i), "percorso-esterno",
                                       f"il capitolo «{quoted(name)}» è fuori dalla cartella del piano: "
                                       "i capitoli stanno in capitoli/"))
            elif not path.exists():
                problems.append(errore(piano_doc.loc("capitoli", i), "file-mancante",
                                       f"il capitolo «{quoted(name)}» elencato in piano.yaml non esiste in capitoli/"))
            else:
                paths.append(path)
    else:
        paths = chapters
    out: list[Capitolo] = []
    for path in paths:
        if not _inside(path, root):
            problems.append(_outside(path))
            continue
        cap = load_capitolo(path, problems)
        if cap is not None:
            out.append(cap)
    out.sort(key=lambda c: (c.meta.ordine, c.file))
    return out


def load_capitolo(path: Path, problems: list[Problem]) -> Capitolo | None:
    name = label(path)
    text, probs = read_text(path, name, MAX_CHAPTER_BYTES)
    problems.extend(probs)
    if text is None:
        return None
    if not text.strip():
        problems.append(errore(Loc(name, 1, 1), "file-vuoto", "il capitolo è vuoto"))
        return None
    m = _FRONT.match(text)
    if not m:
        problems.append(errore(Loc(name, 1, 1), "front-matter",
                               "manca l'intestazione del capitolo: il file deve iniziare con «---», "
                               "le righe id/titolo/ordine e di nuovo «---»"))
        return None
    doc, probs = load_yaml(path, name, text=m.group(1) or "#", line_offset=1)
    if probs and probs[0].code == "file-vuoto":
        probs = [errore(Loc(name, 2, 1), "front-matter", "l'intestazione del capitolo è vuota")]
    problems.extend(probs)
    meta, probs = validate(FrontMatter, doc, "intestazione del capitolo")
    problems.extend(probs)
    if meta is None:
        return None
    body_line = text[: m.end()].count("\n") + 1
    body = text[m.end():]
    problems.extend(running_text_characters(body, name, body_line))
    return Capitolo(meta, read_word_symbols(body), name, body_line, doc)
