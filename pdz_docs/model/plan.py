"""The plan as loaded: its validated files, each with the YAML document it came from.

Every later stage (checks, finance, rendering) reads these types; keeping the YAML
documents lets a check that runs after computing still point at the writer's line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdz_docs.limits import MAX_ANNO, MIN_ANNO
from pdz_docs.model.types import Finanza, FrontMatter, Piano, Regole, Scheda
from pdz_docs.problems import Loc

Path_ = tuple  # a path of keys/indexes from the document root


@dataclass
class YamlDoc:
    """A loaded YAML file: its data and where every value (and key) stands."""

    file: str
    data: Any = None
    locs: dict[Path_, Loc] = field(default_factory=dict)
    key_locs: dict[Path_, Loc] = field(default_factory=dict)
    written: dict[Path_, str] = field(default_factory=dict)   # yes/no and date values, as typed

    def loc(self, *path: Any) -> Loc:
        """The location of the value at `path`, or of its nearest ancestor that exists. A year is found
        whether its key was written 2023 or '2023' (the models read both as the year)."""
        p = tuple(path)
        while p:
            for q in (p, _years_as_written(p)):
                if q in self.locs:
                    return self.locs[q]
            p = p[:-1]
        return self.locs.get((), Loc(self.file, 1, 1))

    def key_loc(self, *path: Any) -> Loc:
        p = tuple(path)
        return self.key_locs.get(p) or self.key_locs.get(_years_as_written(p)) or self.loc(*p)


def _years_as_written(path: Path_) -> Path_:
    """`path` with its years as quoted keys ('2023'): a list index never reaches a year."""
    return tuple(str(x) if type(x) is int and MIN_ANNO <= x <= MAX_ANNO else x for x in path)



@dataclass(frozen=True)
class Capitolo:
    meta: FrontMatter
    body: str
    file: str
    body_line: int  # line of the file where the body starts (1-based)
    doc: YamlDoc | None = None  # the front matter, so checks can point at its lines

    @property
    def loc(self) -> Loc:
        return Loc(self.file, 1, 1)


@dataclass(frozen=True)
class SchedaSrc:
    """A card with the YAML document it came from, so checks can point at its lines."""

    scheda: Scheda
    doc: YamlDoc

    @property
    def file(self) -> str:
        return self.doc.file


@dataclass(frozen=True)
class Plan:
    root: Path
    piano: Piano | None
    finanza: Finanza | None
    regole: Regole | None
    schede: tuple[SchedaSrc, ...]
    capitoli: tuple[Capitolo, ...]
    docs: dict[str, YamlDoc] = field(default_factory=dict)  # "piano", "finanza", "regole"

    def loc(self, which: str, *path) -> Loc:
        doc = self.docs.get(which)
        return doc.loc(*path) if doc else Loc(which)

    def key_loc(self, which: str, *path) -> Loc:
        doc = self.docs.get(which)
        return doc.key_loc(*path) if doc else Loc(which)
