"""`pdz diff`: what changed in a plan between two git revisions, as a "Prospetto delle variazioni".

Each revision's plan folder (with the `rules/` folder next to it) is read from git's objects
(`pdz_docs.gitsafe`: raw blobs, no filters; symlinks and submodules refused) into a temporary
folder, only the files of the kinds a plan reads (`provenance.plan_kind`: YAML, Markdown, images);
the working tree is read in place. Both go
through the same pipeline as `pdz check`, and the two results are compared: cards
added and removed, each card's amounts per year and source, each fund's available,
programmed and remaining totals, the chapters' text, the per-Comune figures, and an
index of the parts of each file that changed. The comparison is gathered into a
neutral `Prospetto` of already formatted rows; the renderers (terminal text, Markdown,
DOCX, PDF) only lay it out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from difflib import SequenceMatcher
from itertools import zip_longest
from pathlib import Path

from pdz_docs import gitsafe
from pdz_docs.faults import describe
from pdz_docs.finance.money import fmt_date, fmt_dec, fmt_euro, fmt_int
from pdz_docs.pipeline import Result, run
from pdz_docs.provenance import plan_kind, provenance
from pdz_docs.problems import ERRORE, Loc, Problem, errore

DEFAULT_PLAN = Path("content")
LAVORO = "copia di lavoro"
NESSUNA = "Nessuna variazione."
MAX_PAIRS = 4        # changed lines shown per chapter
CONTEXT = 60         # characters of unchanged text kept around a change
MAX_EXCERPT = 240


class DiffError(Exception):
    """A reason why the comparison cannot be made, in Italian, with the exit code."""

    def __init__(self, message: str, exit_code: int = 1, details: tuple[str, ...] = ()):
        super().__init__(message)
        self.message, self.exit_code, self.details = message, exit_code, details


# --- the neutral report --------------------------------------------------------------------

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


# --- formatting of compared values ------------------------------------------------------------

class _Absent:
    """A value the revision does not have at all (no card, no source that year, no field)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()
_FMT = {"euro": fmt_euro, "int": fmt_int, "dec": fmt_dec}


def _fmt(kind: str, v) -> str:
    if v is ABSENT:
        return "—"
    if v is None:
        return "non indicato"
    return str(v) if kind == "text" else _FMT[kind](v)


def _signed(kind: str, old, new) -> str:
    """new − old with its sign ("+ € 1.000,00", "− € 500,00"); a missing value counts as zero."""
    if kind == "text":
        return ""
    if old is None or new is None:
        return "—"
    d = (0 if new is ABSENT else new) - (0 if old is ABSENT else old)
    if d == 0:
        return _FMT[kind](abs(d))
    return ("+ " if d > 0 else "− ") + _FMT[kind](abs(d))


def _changed(kind: str, old, new) -> tuple[str, str, str] | None:
    if old is new or (old is not ABSENT and new is not ABSENT and old == new):
        return None
    return _fmt(kind, old), _fmt(kind, new), _signed(kind, old, new)


def _union(first, second) -> list:
    """Keys of `first` (the newer revision) in order, then those only in `second`."""
    return list(first) + [k for k in second if k not in first]


# --- comparing two results ----------------------------------------------------------------------

def compare(prima: Versione, a: Result, dopo: Versione, b: Result) -> Prospetto:
    piano = b.plan.piano
    order = {c: i for i, c in enumerate(b.plan.regole.nomenclatore)}
    codes = sorted(_union(b.computed.schede, a.computed.schede), key=lambda c: (order.get(c, len(order)), c))
    return Prospetto(piano.ambito, piano.provincia, f"{piano.titolo} {piano.ciclo}", prima, dopo, (
        _schede(a, b, codes),
        _programmazione(a, b, codes),
        _fonti(a, b),
        _capitoli(a, b),
        _comuni(a, b),
        _file(a, b, codes),
    ))


def _titles(r: Result) -> dict[str, str]:
    return {s.scheda.codice: s.scheda.titolo for s in r.plan.schede}


def _schede(a: Result, b: Result, codes: list[str]) -> Sezione:
    rows = []
    for code in codes:
        if code in a.computed.schede and code in b.computed.schede:
            continue
        r, state = (b, "aggiunta") if code in b.computed.schede else (a, "rimossa")
        rows.append((code, _titles(r)[code], state, _fmt("euro", r.computed.schede[code].totale)))
    return Sezione("Schede aggiunte e rimosse", ("Scheda", "Titolo", "Variazione", "Totale programmato"),
                   tuple(rows), (3,))


def _amounts(r: Result) -> dict[str, dict[int, dict[str, Decimal | None]]]:
    return {code: {y.anno: {f.fonte: f.importo for f in y.fonti} for y in p.anni}
            for code, p in r.computed.schede.items()}


def _programmazione(a: Result, b: Result, codes: list[str]) -> Sezione:
    old_all, new_all = _amounts(a), _amounts(b)
    rows = []
    for code in codes:
        old, new = old_all.get(code, {}), new_all.get(code, {})
        for year in sorted(set(old) | set(new)):
            o, n = old.get(year, {}), new.get(year, {})
            for fonte in _union(n, o):
                ch = _changed("euro", o.get(fonte, ABSENT), n.get(fonte, ABSENT))
                if ch:
                    rows.append((code, str(year), fonte, *ch))
        tot = [r.computed.schede[code].totale if code in r.computed.schede else ABSENT for r in (a, b)]
        ch = _changed("euro", *tot)
        if ch:
            rows.append((code, "Totale", "", *ch))
    return Sezione("Programmazione economica delle schede",
                   ("Scheda", "Annualità", "Fonte", "Prima", "Dopo", "Differenza"), tuple(rows), (3, 4, 5),
                   nota="Importi per scheda, annualità e fonte; «—» indica una voce assente nella versione.")


def _fonti(a: Result, b: Result) -> Sezione:
    rows = []
    fa, fb = a.computed.fondi, b.computed.fondi
    for fid in _union(fb, fa):
        o, n = fa.get(fid), fb.get(fid)
        for voce, attr in (("Disponibile", "disponibile_ciclo"), ("Programmato", "programmato_ciclo"),
                           ("Da programmare", "residuo_ciclo")):
            ch = _changed("euro", getattr(o, attr) if o else ABSENT, getattr(n, attr) if n else ABSENT)
            if ch:
                rows.append((fid, voce, *ch))
    return Sezione("Fonti di finanziamento", ("Fonte", "Voce", "Prima", "Dopo", "Differenza"), tuple(rows),
                   (2, 3, 4), nota="Totali del ciclo; i gruppi (PdZ, QFP) comprendono le loro fonti.")


def _capitoli(a: Result, b: Result) -> Sezione:
    """Chapters compared as the document reads them: figures filled in, cited tables and cards left out."""
    old = {c.meta.id: (c, text) for c, text in a.chapters}
    new = {c.meta.id: (c, text) for c, text in b.chapters}
    out = []
    for cid in _union(new, old):
        (o, o_text), (n, n_text) = old.get(cid, (None, "")), new.get(cid, (None, ""))
        cap = n or o
        title = f"{cap.meta.titolo} (capitoli/{Path(cap.file).name})"
        if o is None or n is None:
            out.append(CapitoloVariato(title, "aggiunto" if o is None else "rimosso", (), 0))
            continue
        pairs = []
        if o.meta.titolo != n.meta.titolo:
            pairs.append((f"Titolo: {o.meta.titolo}", f"Titolo: {n.meta.titolo}"))
        pairs.extend(_excerpts(o_text, n_text))
        if pairs:
            out.append(CapitoloVariato(title, "modificato", tuple(pairs[:MAX_PAIRS]), max(0, len(pairs) - MAX_PAIRS)))
    return Sezione("Testo dei capitoli", capitoli=tuple(out),
                   nota="Per ogni capitolo modificato, alcune righe cambiate, con le cifre inserite: "
                        "il testo precedente e quello nuovo.")


def _excerpts(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.splitlines(), new.splitlines()
    pairs = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        olds = [x.strip() for x in a[i1:i2] if x.strip()]
        news = [x.strip() for x in b[j1:j2] if x.strip()]
        pairs.extend(_window(o, n) for o, n in zip_longest(olds, news, fillvalue=""))
    return pairs


def _window(old: str, new: str) -> tuple[str, str]:
    """The changed part of two versions of a line, with a little unchanged text around it."""
    if not old or not new:
        return _cut(old, 0, len(old)), _cut(new, 0, len(new))
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    s = 0
    while s < min(len(old), len(new)) - p and old[-1 - s] == new[-1 - s]:
        s += 1
    start = max(0, p - CONTEXT)
    return _cut(old, start, len(old) - s + CONTEXT), _cut(new, start, len(new) - s + CONTEXT)


def _cut(text: str, start: int, end: int) -> str:
    if start > 0:
        start = text.rfind(" ", 0, start) + 1
    end = min(end, start + MAX_EXCERPT)
    if end < len(text):
        k = text.find(" ", end)
        end = len(text) if k == -1 or k - end > 20 else k
    return ("… " if start > 0 else "") + text[start:end].strip() + (" …" if end < len(text) else "")


def _comune_data(r: Result) -> dict[str, dict[str, tuple[str, object]]]:
    """Every per-Comune figure, by Comune and label: (kind, value); a missing optional value is ABSENT."""
    p, f = r.plan.piano, r.plan.finanza
    opt = lambda v: ABSENT if v is None else v  # noqa: E731
    out: dict[str, dict[str, tuple[str, object]]] = {}
    for c in p.comuni:
        d = out.setdefault(c.nome, {})
        d["Popolazione"] = ("int", c.popolazione)
        for band, n in c.fasce_eta.items():
            d[f"Fascia d'età {band}"] = ("int", n)
        for label, v in (("Famiglie", c.famiglie), ("Emigrazioni", c.emigrazioni), ("Immigrazioni", c.immigrazioni)):
            d[label] = ("int", opt(v))
        d["Superficie (km²)"] = ("dec", opt(c.superficie_km2))
        d["Delibera"] = ("text", f"n. {c.delibera.numero} del {fmt_date(c.delibera.data)}" if c.delibera else ABSENT)
    if f.spesa_storica:
        for name, v in f.spesa_storica.comuni.items():
            out.setdefault(name, {})[f"Spesa sociale storica {f.spesa_storica.periodo}"] = ("euro", v)
    if f.cofinanziamento:
        for name, years in f.cofinanziamento.per_comune.items():
            for y, v in sorted(years.items()):
                out.setdefault(name, {})[f"Cofinanziamento {y}"] = ("euro", v)
    for name, years in f.cofinanziamento_precedente.items():
        for y, v in sorted(years.items()):
            out.setdefault(name, {})[f"Cofinanziamento precedente {y}"] = ("euro", v)
    for name, v in r.computed.minimo.get("cofinanziamento_minimo_comuni", {}).items():
        out.setdefault(name, {})["Cofinanziamento minimo"] = ("euro", v)
    return out


def _comuni(a: Result, b: Result) -> Sezione:
    old, new = _comune_data(a), _comune_data(b)
    rows = []
    for name in _union(new, old):
        o, n = old.get(name, {}), new.get(name, {})
        for label in _union(n, o):
            kind = (n.get(label) or o.get(label))[0]
            ch = _changed(kind, o.get(label, (kind, ABSENT))[1], n.get(label, (kind, ABSENT))[1])
            if ch:
                rows.append((name, label, *ch))
    return Sezione("Dati dei Comuni", ("Comune", "Dato", "Prima", "Dopo", "Differenza"), tuple(rows), (2, 3, 4),
                   nota="Dati di piano.yaml e finanza.yaml per Comune; il cofinanziamento minimo è calcolato.")


def _fields(old, new) -> list[str]:
    """Top-level fields of two model objects whose values differ."""
    o, n = old.model_dump(), new.model_dump()
    return [k for k in _union(n, o) if o.get(k) != n.get(k)]


def _file(a: Result, b: Result, codes: list[str]) -> Sezione:
    rows = []
    pa, pb = a.plan, b.plan
    for name, o, n in (("piano.yaml", pa.piano, pb.piano), ("finanza.yaml", pa.finanza, pb.finanza)):
        if fields := _fields(o, n):
            rows.append((name, ", ".join(fields)))
    old = {s.scheda.codice: s for s in pa.schede}
    new = {s.scheda.codice: s for s in pb.schede}
    for code in codes:
        o, n = old.get(code), new.get(code)
        label = f"schede/{Path((n or o).file).name}"
        if o is None or n is None:
            rows.append((label, "scheda aggiunta" if o is None else "scheda rimossa"))
        elif fields := _fields(o.scheda, n.scheda):
            rows.append((label, ", ".join(fields)))
    old_c = {c.meta.id: c for c in pa.capitoli}
    new_c = {c.meta.id: c for c in pb.capitoli}
    for cid in _union(new_c, old_c):
        o, n = old_c.get(cid), new_c.get(cid)
        label = f"capitoli/{Path((n or o).file).name}"
        if o is None or n is None:
            rows.append((label, "capitolo aggiunto" if o is None else "capitolo rimosso"))
            continue
        parts = (["intestazione"] if o.meta != n.meta else []) + (["testo"] if o.body != n.body else [])
        if parts:
            rows.append((label, ", ".join(parts)))
    if pa.regole != pb.regole:
        rows.append((f"regole {pb.piano.regole}", ", ".join(_fields(pa.regole, pb.regole)) or "file di regole"))
    return Sezione("Parti modificate dei file del piano", ("File", "Parti modificate"), tuple(rows),
                   nota="Elenco di controllo: le chiavi cambiate in ogni file, commenti e impaginazione esclusi.")


# --- git and the two plans ----------------------------------------------------------------------

def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return gitsafe.git(cwd, *args)
    except gitsafe.GitError as e:
        raise DiffError(str(e))


def _toplevel(plan_dir: Path) -> Path:
    try:
        top = gitsafe.toplevel(plan_dir)
    except gitsafe.GitError as e:
        raise DiffError(f"{e}; pdz diff non può confrontarne le revisioni")
    if top is None:
        raise DiffError(f"la cartella «{plan_dir}» non è in un repository git")
    return top


def _commit(top: Path, rev: str) -> tuple[str, Versione]:
    r = None if rev.startswith("-") else _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if r is None or r.returncode != 0:
        raise DiffError(f"revisione sconosciuta: {rev}")
    full = r.stdout.decode().strip()
    short = _git(top, "rev-parse", "--short", full).stdout.decode().strip()
    # The committer line of the raw commit: "committer Name <mail> SECONDS +HHMM" (no pretty-printing,
    # which could verify signatures with a program named in the repository's config).
    raw = _git(top, "cat-file", "commit", full).stdout.decode("utf-8", "replace")
    seconds, offset = re.search(r"^committer .*> (\d+) ([+-]\d{4})$", raw, re.M).groups()
    zone = timezone((-1 if offset[0] == "-" else 1) * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:])))
    return full, Versione(rev, short, datetime.fromtimestamp(int(seconds), zone).date())


def _checked(result: Result | None, problems: list[Problem], where: str) -> Result:
    errors = [p for p in problems if p.severity == ERRORE]
    if result is None or errors:
        n = len(errors)
        raise DiffError(f"il piano {where} ha {n} {'errore' if n == 1 else 'errori'}: "
                        "correggerlo o confrontare un'altra revisione", details=tuple(p.format() for p in errors))
    return result


def _at_revision(top: Path, rel: Path, named: Path, rev: str, dest: Path) -> tuple[Versione, Result]:
    commit, version = _commit(top, rev)
    path = rel.as_posix() if rel != Path(".") else ""
    piano = f"{path}/piano.yaml" if path else "piano.yaml"
    if _git(top, "cat-file", "-t", f"{commit}:{piano}").stdout.decode().strip() != "blob":
        raise DiffError(f"il piano «{named}» non esiste nella revisione {rev} (manca {piano})")
    paths = [path or "."]
    rules = (rel.parent / "rules").as_posix()
    if path and _git(top, "cat-file", "-t", f"{commit}:{rules}").stdout.decode().strip() == "tree":
        paths.append(rules)   # the plan may find its rules file next to it (load.plan.find_rules)
    try:
        entries = gitsafe.tree(top, commit, paths)
        refused = [_refusal(e, rev) for e in entries if not e.is_file or not gitsafe.safe_path(e.path)]
        if refused:
            raise DiffError(f"la revisione {rev} contiene file che pdz diff non legge",
                            details=tuple(p.format() for p in refused))
        dest.mkdir(parents=True)
        gitsafe.write_blobs(top, [e for e in entries if plan_kind(e.path)], dest)
    except gitsafe.GitError as e:
        raise DiffError(f"impossibile leggere la revisione {rev}: {e}")
    except OSError as e:
        raise DiffError(f"{describe(e, dest)}: è la cartella temporanea in cui pdz diff estrae la revisione "
                        f"{rev} (liberare spazio o indicarne un'altra con la variabile TMPDIR)") from None
    result, problems = run(dest / rel)
    problems = [_relabel(p, dest, rev) for p in problems]
    return version, _checked(result, problems, f"nella revisione {rev}")


def _refusal(e: gitsafe.Entry, rev: str) -> Problem:
    """A symlink, a submodule or a strange path in a revision: named, never followed or written."""
    what = {"120000": "è un collegamento simbolico", "160000": "è un sottomodulo git"}.get(
        e.mode, "ha un percorso non ammesso")
    return errore(Loc(f"{rev}:{e.path}"), "revisione-file-non-ammesso",
                  f"nella revisione {rev} questo elemento {what}: pdz diff legge dalle revisioni solo file "
                  "normali dentro la cartella del piano; registrare al suo posto una copia del file")


def _relabel(p: Problem, root: Path, rev: str) -> Problem:
    """Name a file of an extracted revision as git does: REV:path/in/the/repository."""
    try:
        rel = Path(os.path.abspath(p.loc.file)).relative_to(root)
    except ValueError:
        return p
    return replace(p, loc=replace(p.loc, file=f"{rev}:{rel.as_posix()}"))


def _working_tree(top: Path, rel: Path, plan_dir: Path) -> tuple[Versione, Result]:
    head = _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    short = ""
    if head.returncode == 0:
        short = _git(top, "show", "-s", "--format=%h", head.stdout.decode().strip()).stdout.decode().strip()
    result = _checked(*run(plan_dir), "nella copia di lavoro")
    dirty = head.returncode == 0 and provenance(result.plan).modifiche
    return Versione(LAVORO, short, None, dirty), result


def prospetto(revisioni: list[str]) -> Prospetto:
    """REV_A [REV_B] [PLAN_DIR] → the comparison; REV_B defaults to the working tree."""
    revs = list(revisioni)
    if not 1 <= len(revs) <= 3:
        raise DiffError("indicare REV_A [REV_B] [CARTELLA]: da una a tre voci", exit_code=2)
    plan_dir = DEFAULT_PLAN
    if len(revs) > 1 and Path(revs[-1]).is_dir():
        plan_dir = Path(revs.pop())
    elif len(revs) == 3:
        raise DiffError(f"la cartella del piano «{revs[-1]}» non esiste")
    if not plan_dir.is_dir():
        raise DiffError(f"la cartella del piano «{plan_dir}» non esiste: indicarla come ultimo argomento")
    top = _toplevel(plan_dir)
    try:
        rel = plan_dir.resolve().relative_to(top)
    except ValueError:
        raise DiffError(f"la cartella «{plan_dir}» non è dentro il repository git {top}")
    for rev in revs:            # every revision name is checked before any plan is loaded
        _commit(top, rev)
    try:
        temporary = tempfile.TemporaryDirectory(prefix="pdz-diff-")
    except OSError as e:
        raise DiffError(f"{describe(e, tempfile.gettempdir())}: pdz diff non può creare la sua cartella temporanea "
                        "(indicarne un'altra con la variabile TMPDIR)") from None
    with temporary as tmp:
        prima, a = _at_revision(top, rel, plan_dir, revs[0], Path(tmp) / "a")
        if len(revs) == 2:
            dopo, b = _at_revision(top, rel, plan_dir, revs[1], Path(tmp) / "b")
        else:
            dopo, b = _working_tree(top, rel, plan_dir)
        return compare(prima, a, dopo, b)


# --- renderers ----------------------------------------------------------------------------------

def render_testo(p: Prospetto) -> str:
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


def render_md(p: Prospetto) -> str:
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


def render_docx(p: Prospetto) -> bytes:
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


def render_pdf(p: Prospetto) -> bytes:
    from pdz_docs.render.html import TEMPLATES, render_pdf as layout, template_env

    # Fixed timestamps inside embedded fonts, as `pdz build` does: same content, same bytes.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "946684800")
    html = template_env().get_template("variazioni.html.j2").render(p=p, nessuna=NESSUNA, altre=_altre)
    return layout(html, [TEMPLATES])


RENDERERS = {"testo": lambda p: render_testo(p).encode("utf-8"), "md": lambda p: render_md(p).encode("utf-8"),
             "docx": render_docx, "pdf": render_pdf}


# --- the command --------------------------------------------------------------------------------

def main(args) -> int:
    from pdz_docs.build import write_atomic

    try:
        p = prospetto(args.revisioni)
    except DiffError as e:
        print(f"pdz: errore: {e.message}", file=sys.stderr)
        for line in e.details:
            print(f"  {line}", file=sys.stderr)
        return e.exit_code
    if args.format == "testo" and args.output is None:
        print(render_testo(p), end="")
        return 0
    data = RENDERERS[args.format](p)
    ext = "txt" if args.format == "testo" else args.format
    path = args.output or Path("output") / f"variazioni-{p.prima.slug}-{p.dopo.slug}.{ext}"
    try:
        write_atomic(path, data)
    except OSError as e:
        print(f"pdz: errore: {describe(e, path)}", file=sys.stderr)
        return 1
    print(f"Prospetto delle variazioni scritto in {path}"
          + (" (nessuna variazione)" if p.vuoto else ""))
    return 0
