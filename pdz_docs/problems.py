"""Problems as data: every stage returns a list of located, Italian-worded problems."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ERRORE = "errore"
AVVISO = "avviso"
NOTA = "nota"


@dataclass(frozen=True, order=True)
class Loc:
    """A place in a writer's file (1-based line and column)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col or 1}"
        return self.file


@dataclass(frozen=True)
class Problem:
    loc: Loc
    code: str
    message: str
    severity: str = ERRORE

    def format(self, base: Path | None = None) -> str:
        return f"{self.loc}: {self.severity}: {self.message} [{self.code}]"

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(d.pop("loc"))
        return d


def errore(loc: Loc, code: str, message: str) -> Problem:
    return Problem(loc, code, message, ERRORE)


def avviso(loc: Loc, code: str, message: str) -> Problem:
    return Problem(loc, code, message, AVVISO)


def nota(loc: Loc, code: str, message: str) -> Problem:
    return Problem(loc, code, message, NOTA)


def has_errors(problems: list[Problem], strict: bool = False) -> bool:
    bad = {ERRORE, AVVISO} if strict else {ERRORE}
    return any(p.severity in bad for p in problems)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """The problems in the order of their place, each once (two citations of one missing name on a
    line are one problem at that place)."""
    return sorted(dict.fromkeys(problems), key=lambda p: (p.loc.file, p.loc.line, p.loc.col, p.code))


def summary(problems: list[Problem]) -> str:
    n_err = sum(p.severity == ERRORE for p in problems)
    n_avv = sum(p.severity == AVVISO for p in problems)
    if not n_err and not n_avv:
        return "Nessun problema trovato."
    parts = []
    if n_err:
        parts.append(f"{n_err} {'errore' if n_err == 1 else 'errori'}")
    if n_avv:
        parts.append(f"{n_avv} {'avviso' if n_avv == 1 else 'avvisi'}")
    verb = "Trovato" if n_err + n_avv == 1 else "Trovati"
    return f"{verb} " + " e ".join(parts) + "."


def to_json(problems: list[Problem]) -> str:
    return json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=2)


def report(problems: list[Problem], out=None, err=None) -> None:
    """Print problems as editors read them: errors on standard error, warnings and notes on standard output."""
    out, err = out or sys.stdout, err or sys.stderr
    for p in problems:
        print(p.format(), file=err if p.severity == ERRORE else out)
