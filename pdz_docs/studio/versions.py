"""Versions of the plan without git commands: its history, «Salva versione», «Segna come approvata».

Everything goes through `gitsafe` (no system or global config, no hooks, no pager, no signing, no
fsmonitor), and only through plumbing that runs no program of the repository's:
- a version is made in a temporary index: the plan's files (exactly those `provenance` hashes: the
  ones the loader and the renderers read) are stored raw with `hash-object --no-filters` (no clean
  filter from .gitattributes), the plan's files removed since are dropped, then `write-tree`,
  `commit-tree` authored by the person logged in, and `update-ref HEAD NEW OLD`, which fails instead
  of overwriting a version someone else saved meanwhile. Other changes staged in the repository are
  left alone; the repository's own index is then told about the plan's files, so `git status` agrees.
- an approval is an annotated tag made with `mktag` (who approved, when, with what note) on the last
  saved version, refused while the plan has changes that are not saved as a version.
A plan outside any repository gets one of its own, in its folder, at its first version.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pdz_docs import gitsafe
from pdz_docs.load.plan import Plan, load_plan
from pdz_docs.provenance import plan_files, plan_kind, provenance

EMPTY_OID = "0" * 40   # "no object" for update-ref: the ref must not exist yet (a new repository is SHA-1)
_IDENTITY_BAD = re.compile(r"[<>\x00-\x1f\x7f]")
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class ErroreVersioni(Exception):
    """A version cannot be read or saved; the message is Italian."""


@dataclass(frozen=True)
class Versione:
    hash: str
    autore: str
    email: str
    data: datetime
    messaggio: str
    approvazioni: tuple[str, ...] = ()   # the tags on this version

    @property
    def breve(self) -> str:
        return self.hash[:12]


def _run(top: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
    """git's output; ErroreVersioni (Italian) when git failed, its own English text never shown."""
    try:
        r = gitsafe.git(top, *args, input=input, env=env)
    except gitsafe.GitError as exc:
        raise ErroreVersioni(str(exc)) from None
    if r.returncode != 0:
        command = next(a for a in args if not a.startswith("-"))
        raise ErroreVersioni(f"git non è riuscito a eseguire «{command}» nel repository del piano "
                             f"(codice {r.returncode})")
    return r.stdout.decode("utf-8", "replace")


def _top(folder: Path) -> Path | None:
    try:
        return gitsafe.toplevel(folder)
    except gitsafe.GitError as exc:
        raise ErroreVersioni(str(exc)) from None


def _head(top: Path) -> str:
    r = gitsafe.git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    return r.stdout.decode().strip() if r.returncode == 0 else ""


def _tags(top: Path) -> dict[str, list[str]]:
    """Commit → the tags that point at it (lightweight or annotated)."""
    out: dict[str, list[str]] = {}
    listing = _run(top, "for-each-ref", "--format=%(objectname) %(*objectname) %(refname:strip=2)", "refs/tags")
    for line in listing.splitlines():
        oid, peeled, name = line.split(" ", 2)
        out.setdefault(peeled or oid, []).append(name)
    return out


def storia(plan_dir: Path, limite: int = 500) -> list[Versione]:
    """The versions that changed the plan's folder, newest first; [] outside git or before the first."""
    folder = Path(plan_dir).resolve()
    top = _top(folder)
    if top is None or not _head(top):
        return []
    tags = _tags(top)
    rel = folder.relative_to(top).as_posix()
    log = _run(top, "log", "-z", f"--max-count={limite}", "--no-show-signature", "--no-color",
               "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%B", "HEAD", "--", rel)
    versions = []
    for record in filter(None, log.split("\0")):
        oid, name, email, when, message = record.split("\x1f", 4)
        versions.append(Versione(oid, name, email, datetime.fromisoformat(when), message.strip(),
                                 tuple(sorted(tags.get(oid, ())))))
    return versions


def _identity(autore: str, email: str) -> tuple[str, str]:
    autore, email = autore.strip(), email.strip()
    if not autore or _IDENTITY_BAD.search(autore) or _IDENTITY_BAD.search(email):
        raise ErroreVersioni("nome o e-mail dell'autore non validi: il nome è obbligatorio, e nessuno dei due "
                             "può contenere < > o caratteri di controllo")
    return autore, email


def _load(folder: Path) -> Plan:
    plan, problems = load_plan(folder)
    if plan is None:
        reason = problems[0].message if problems else "cartella non leggibile"
        raise ErroreVersioni(f"il piano non si può leggere ({reason}): nessuna versione salvata")
    return plan


def _index_lines(top: Path, folder: Path, plan: Plan, head: str) -> bytes:
    """`update-index --index-info` lines: the plan's files as they are now, its removed files dropped."""
    files = sorted({p for p in plan_files(plan).values() if p.is_relative_to(top)})
    rels = [p.relative_to(top).as_posix() for p in files]
    oids = _run(top, "hash-object", "-w", "--no-filters", "--stdin-paths",
                input="".join(f"{r}\n" for r in rels).encode()).split() if rels else []
    lines = [f"{'100755' if p.stat().st_mode & 0o111 else '100644'} {oid}\t{r}"
             for p, oid, r in zip(files, oids, rels)]
    if head:
        gone = [e.path for e in gitsafe.tree(top, head, [folder.relative_to(top).as_posix()])
                if plan_kind(e.path) and not (top / e.path).exists() and not (top / e.path).is_symlink()]
        lines += [f"0 {'0' * len(head)}\t{path}" for path in gone]
    return "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")


def salva_versione(plan_dir: Path, messaggio: str, autore: str, email: str = "") -> Versione:
    """Record the plan's files as a new version authored by `autore`; refused when nothing changed."""
    messaggio = messaggio.strip()
    if not messaggio:
        raise ErroreVersioni("scrivere una breve descrizione della versione (che cosa è cambiato)")
    autore, email = _identity(autore, email)
    folder = Path(plan_dir).resolve()
    plan = _load(folder)
    top = _top(folder)
    if top is None:   # a plan outside git gets a repository of its own
        _run(folder, "--git-dir=.git", "init", "-q", "--template=", "--initial-branch=main")
        top = folder
    head = _head(top)
    lines = _index_lines(top, folder, plan, head)
    scratch = Path(tempfile.mkdtemp(prefix="pdz-versione-"))
    try:
        index = {"GIT_INDEX_FILE": str(scratch / "index")}
        _run(top, "read-tree", *([head] if head else ["--empty"]), env=index)
        _run(top, "update-index", "--index-info", input=lines, env=index)
        tree = _run(top, "write-tree", env=index).strip()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if head and tree == _run(top, "rev-parse", f"{head}^{{tree}}").strip():
        raise ErroreVersioni("nessuna modifica da salvare: il piano è uguale all'ultima versione salvata")
    people = {"GIT_AUTHOR_NAME": autore, "GIT_AUTHOR_EMAIL": email,
              "GIT_COMMITTER_NAME": autore, "GIT_COMMITTER_EMAIL": email}
    commit = _run(top, "commit-tree", "--no-gpg-sign", tree, *(["-p", head] if head else []),
                  input=(messaggio + "\n").encode("utf-8"), env=people).strip()
    r = gitsafe.git(top, "update-ref", "-m", "pdz studio: salva versione", "HEAD", commit, head or EMPTY_OID)
    if r.returncode != 0:
        raise ErroreVersioni("nel frattempo è stata salvata un'altra versione del piano: ricaricare la pagina "
                             "e salvare di nuovo")
    gitsafe.git(top, "update-index", "--index-info", input=lines)   # git status agrees with the new version
    return storia(folder, limite=1)[0]


def approva(plan_dir: Path, nome: str, autore: str, email: str = "", messaggio: str = "") -> None:
    """Mark the last saved version as approved: an annotated tag `nome` by `autore`."""
    nome = nome.strip()
    if not _TAG.fullmatch(nome) or ".." in nome or nome.endswith((".", ".lock")):
        raise ErroreVersioni(f"nome dell'approvazione non valido «{nome}»: usare lettere senza accenti, cifre, "
                             "punti, trattini e trattini bassi, senza spazi (per esempio approvato-2023-03-15)")
    autore, email = _identity(autore, email)
    folder = Path(plan_dir).resolve()
    plan = _load(folder)
    top = _top(folder)
    head = _head(top) if top is not None else ""
    if not head:
        raise ErroreVersioni("il piano non ha ancora versioni salvate: salvare prima una versione")
    if provenance(plan).modifiche:
        raise ErroreVersioni("il piano ha modifiche non salvate come versione: salvare prima una versione, "
                             "poi segnarla come approvata")
    if gitsafe.git(top, "rev-parse", "--verify", "--quiet", f"refs/tags/{nome}").returncode == 0:
        raise ErroreVersioni(f"esiste già un'approvazione (etichetta) di nome «{nome}»: sceglierne un altro")
    now = datetime.now().astimezone()
    text = messaggio.strip() or f"Approvato: {nome}"
    tag = (f"object {head}\ntype commit\ntag {nome}\ntagger {autore} <{email}> {int(now.timestamp())} {now:%z}\n\n"
           f"{text}\n")
    oid = _run(top, "mktag", input=tag.encode("utf-8")).strip()
    r = gitsafe.git(top, "update-ref", "-m", "pdz studio: approva", f"refs/tags/{nome}", oid, "0" * len(oid))
    if r.returncode != 0:
        raise ErroreVersioni(f"esiste già un'approvazione (etichetta) di nome «{nome}»: sceglierne un altro")
