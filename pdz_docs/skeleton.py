"""`pdz new`: create the skeleton of a new plan that passes `pdz check` from the first minute.

The skeleton's files are templates in templates/nuovo-piano/, rendered with Jinja using
`[[ ]]` and `[% %]` delimiters so that the chapters keep their own `{{ cifre… }}`
untouched. Names typed on the command line reach YAML only through `yaml_scalar`,
which quotes a name whenever its plain form would not read back as the same text.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from pdz_docs.load.plan import PACKAGE_RULES, find_rules
from pdz_docs.load.validate import validate
from pdz_docs.load.yamlsrc import load_yaml
from pdz_docs.model import Regole
from pdz_docs.names import name_key, name_problem, province_of
from pdz_docs.render.html import TEMPLATES

SKELETON = TEMPLATES / "nuovo-piano"
OUTPUT_NAMES = {"gitignore": ".gitignore"}   # dotfiles are kept visible in the templates folder
_RULES_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_PLAIN = re.compile(r"[^\W\d_](?:[\w'’ .()-]*[\w.'’)])?")


class OptionError(Exception):
    """A command-line value that cannot make a plan; the message is Italian."""


@dataclass(frozen=True)
class Options:
    ambito: str
    provincia: str
    comuni: tuple[str, ...]
    capofila: str
    ciclo: str


def _name(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise OptionError(f"{what}: il nome è vuoto")
    problem = name_problem(text)
    if problem:
        raise OptionError(f"{what}: {problem[1]}")
    return " ".join(text.split())


def parse_options(ambito: str, provincia: str, comuni: str, capofila: str | None, ciclo: str) -> Options:
    names: list[str] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate((comuni or "").split(","), 1):
        if not raw.strip():
            raise OptionError(f"--comuni: il Comune n. {i} è vuoto (due virgole di seguito, o una virgola "
                              "all'inizio o in fondo?)")
        name = _name(raw, "--comuni")
        if name_key(name) in seen:
            raise OptionError(f"--comuni: il Comune «{name}» compare due volte")
        seen[name_key(name)] = name
        names.append(name)
    if capofila is None:
        head = names[0]
    else:
        wanted = _name(capofila, "--capofila")
        if name_key(wanted) not in seen:
            raise OptionError(f"--capofila: «{wanted}» non è tra i Comuni indicati in --comuni "
                              f"({', '.join(names)})")
        head = seen[name_key(wanted)]
    m = re.fullmatch(r"(\d{4})-(\d{4})", (ciclo or "").strip())
    if not m or int(m.group(2)) <= int(m.group(1)):
        raise OptionError(f"--ciclo: «{ciclo}» non è un ciclo valido: scrivere l'anno iniziale e quello finale, "
                          "per esempio 2022-2024")
    return Options(_name(ambito, "--ambito"), _name(provincia, "--provincia"), tuple(names), head, m.group(0))


def yaml_scalar(text: str) -> str:
    """`text` as a YAML scalar that reads back as exactly `text`: plain when safe, else double-quoted."""
    if _PLAIN.fullmatch(text):
        doc, problems = load_yaml(Path("nome"), "nome", text=f"k: {text}\n")
        if not problems and doc.data == {"k": text}:
            return text
    return json.dumps(text, ensure_ascii=False)   # a JSON string is a valid YAML double-quoted scalar


def available_rules(plan_dir: Path) -> dict[str, Path]:
    """Cycle → rules file, among the files `find_rules` would find from `plan_dir` (first one wins)."""
    out: dict[str, Path] = {}
    names: set[str] = set()
    for base in (plan_dir / "rules", plan_dir.parent / "rules", PACKAGE_RULES):
        if not base.is_dir():
            continue
        for path in sorted(base.glob("*.yaml")):
            if path.stem in names or not _RULES_NAME.fullmatch(path.stem) or ".." in path.stem:
                continue
            names.add(path.stem)
            doc, problems = load_yaml(path, str(path))
            ciclo = doc.data.get("ciclo") if isinstance(doc.data, dict) else None
            if ciclo is not None and not problems:
                out.setdefault(str(ciclo), path)
    return out


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(SKELETON)), undefined=jinja2.StrictUndefined, autoescape=False,
        variable_start_string="[[", variable_end_string="]]", block_start_string="[%", block_end_string="%]",
        comment_start_string="[#", comment_end_string="#]", keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True)


def skeleton_files(opts: Options, rules_name: str, regole: Regole) -> dict[str, str]:
    """Relative path → text of every file of the skeleton (schemas excluded). Pure and deterministic."""
    years = regole.anni
    storica = regole.vincoli.spesa_storica_anni or [years[0] - 4, years[0] - 2]
    context = {
        "ambito": opts.ambito, "provincia": opts.provincia, "capofila": opts.capofila,
        "comuni": list(opts.comuni), "uno": len(opts.comuni) == 1,   # one Comune: singular wording
        "ciclo": opts.ciclo, "regole": rules_name,
        "anni": years, "primo_anno": years[0], "anno_dati": years[0] - 1, "anno_confronto": years[0] - 4,
        "fasce": regole.fasce_eta,
        "fonti_a": [{"id": k, "nome": f.nome, "residui": k.startswith("RES-")}
                    for k, f in regole.fonti.items() if f.scheda == "A" and k != "COM"],
        "fonti_c": [{"id": k, "nome": f.nome} for k, f in regole.fonti.items() if f.scheda == "C"],
        "quote_fnps": [{"id": k, "nome": v} for k, v in regole.vincoli.quote_fnps.items()],
        "anno_vincolo": regole.vincoli.cofinanziamento_minimo.anno,
        "periodo_spesa_storica": f"{storica[0]}-{storica[-1]}",
        "anni_precedenti": list(range(storica[0], years[0])),
        "periodo_rendiconto": f"{storica[0]}-{years[0] - 1}",
        "aree": [{"titolo": a.titolo, "obiettivi": list(a.obiettivi.items())} for a in regole.aree.values()],
    }
    env = _environment()
    env.filters["yq"] = yaml_scalar
    env.globals["indice"] = lambda chapter, section=0, item=0: regional_title(regole, chapter, section, item)
    files: dict[str, str] = {}
    for path in sorted(p for p in SKELETON.rglob("*") if p.is_file()):
        rel = path.relative_to(SKELETON)
        out = rel.with_name(OUTPUT_NAMES.get(rel.name, rel.name)).as_posix()
        files[out] = env.get_template(rel.as_posix()).render(context)
    files[".vscode/settings.json"] = json.dumps({
        "yaml.schemas": {
            "./schema/piano.schema.json": "piano.yaml",
            "./schema/finanza.schema.json": "finanza.yaml",
            "./schema/scheda.schema.json": "schede/*.yaml",
        },
        "[yaml]": {"editor.insertSpaces": True, "editor.tabSize": 2},
    }, indent=2, ensure_ascii=False) + "\n"
    files[".vscode/extensions.json"] = json.dumps({"recommendations": ["redhat.vscode-yaml"]}, indent=2) + "\n"
    return files


def regional_title(regole: Regole, chapter: int | str, section: int = 0, item: int = 0) -> str:
    """The wording of the rules' regional index: a chapter's title, its section's (1-based), a section's sub-item.

    The skeleton's headings are written with it, so a new plan is worded as its cycle's index."""
    entry = regole.indice.get(chapter)
    if entry is not None and not section:
        return entry.titolo
    if entry is not None and section <= len(entry.sezioni):
        sezione = entry.sezioni[section - 1]
        voci = regole.voci(sezione)
        if not item:
            return sezione.titolo
        if item <= len(voci):
            return voci[item - 1]
    where = f"capitolo {chapter}" + (f", sezione {section}" if section else "") + (f", voce {item}" if item else "")
    raise OptionError(f"il file di regole non ha nell'indice regionale («indice») il titolo del {where}: "
                      "completarlo per creare lo scheletro del piano")


def _empty(folder: Path, remove: bool) -> None:
    """Remove what was written into `folder` (empty before), and `folder` itself when it was made here."""
    import shutil

    if remove:
        shutil.rmtree(folder, ignore_errors=True)
    elif folder.is_dir():
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def _fail(message: str, code: int) -> int:
    print(f"pdz new: errore: {message}", file=sys.stderr)
    return code


def main(args) -> int:
    from pdz_docs.faults import describe
    from pdz_docs.pipeline import run
    from pdz_docs.problems import ERRORE, report, summary
    from pdz_docs.schema import write_schemas

    try:
        opts = parse_options(args.ambito, args.provincia, args.comuni, args.capofila, args.ciclo)
    except OptionError as exc:
        return _fail(str(exc), 2)
    plan_dir: Path = args.piano
    try:
        if plan_dir.exists() and not plan_dir.is_dir():
            return _fail(f"«{plan_dir}» esiste già ed è un file: indicare una cartella nuova", 1)
        if plan_dir.is_dir() and any(plan_dir.iterdir()):
            return _fail(f"la cartella «{plan_dir}» esiste già e non è vuota: pdz new non sovrascrive nulla, "
                         "indicare una cartella nuova o vuota", 1)
    except OSError as exc:
        return _fail(describe(exc), 1)
    cycles = available_rules(plan_dir)
    if opts.ciclo not in cycles:
        listed = ", ".join(f"{c} ({p})" for c, p in sorted(cycles.items())) or "nessuno"
        return _fail(f"non c'è un file di regole per il ciclo {opts.ciclo}. Cicli disponibili: {listed}. "
                     "Per un nuovo ciclo va preparato il suo file di regole nella cartella rules/", 1)
    rules_path = cycles[opts.ciclo]
    doc, problems = load_yaml(rules_path, str(rules_path))
    regole, more = validate(Regole, doc, "regole") if not problems else (None, [])
    if regole is None or more or find_rules(plan_dir, rules_path.stem) != rules_path:
        return _fail(f"il file di regole {rules_path} non è valido: verificarlo con pdz check", 1)

    if regole.province:   # by its name, as the cover prints it: «LE» or «lecce» is written «Lecce»
        provincia = province_of(opts.provincia, regole.province)
        if provincia is None:
            accepted = ", ".join(dict.fromkeys(regole.province.values()))
            return _fail(f"--provincia: «{opts.provincia}» non è tra le province della Regione (ammesse: {accepted})", 2)
        opts = replace(opts, provincia=provincia)
    try:
        files = skeleton_files(opts, rules_path.stem, regole)
    except OptionError as exc:
        return _fail(str(exc), 1)
    existed = plan_dir.is_dir()
    try:
        try:
            plan_dir.mkdir(parents=True, exist_ok=True)
            for rel, text in files.items():
                path = plan_dir / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="\n")
            schemas = write_schemas(plan_dir / "schema")
        except BaseException:  # a half skeleton would be refused by the next pdz new: the folder goes back
            _empty(plan_dir, remove=not existed)
            raise
    except OSError as exc:
        return _fail(describe(exc, plan_dir), 1)

    print(f"Creato il piano dell'Ambito di {opts.ambito} ({len(opts.comuni)} "
          f"{'Comune' if len(opts.comuni) == 1 else 'Comuni'}, ciclo {opts.ciclo}) in {plan_dir}:")
    for rel in sorted([*files, *(p.relative_to(plan_dir).as_posix() for p in schemas)]):
        print(f"  {rel}")
    result, problems = run(plan_dir)
    report(problems)
    print(f"Verifica del nuovo piano: {summary(problems)}")
    if result is None or any(p.severity == ERRORE for p in problems):
        return 1
    print(f"\nPer continuare:\n  pdz watch {plan_dir}    anteprima nel browser, aggiornata a ogni salvataggio\n"
          f"  pdz check {plan_dir}    verifica completa\n  pdz build {plan_dir}    produce il PDF e il DOCX")
    return 0
