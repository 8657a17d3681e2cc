"""The orchestrator: load → check → compute → expand chapters, returning (result, problems).

Nothing is written here; renderers run only on a result without errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pdz_docs import figures
from pdz_docs.checks import finance as finance_checks
from pdz_docs.checks import completeness, content, indice, structure
from pdz_docs.finance.compute import ANNEX_TABLES, Computed, compute
from pdz_docs.load.plan import load_plan
from pdz_docs.model import Capitolo, Plan
from pdz_docs.problems import Problem, sort_problems


@dataclass(frozen=True)
class Result:
    plan: Plan
    computed: Computed
    chapters: tuple[tuple[Capitolo, str], ...]   # each chapter with its expanded Markdown
    definitivo: bool = False                     # the definitive document: nothing may be missing
    da_completare: tuple[completeness.Elemento, ...] = ()   # what is still missing (a draft lists it)


def run(plan_dir: Path, definitivo: bool = False) -> tuple[Result | None, list[Problem]]:
    """`definitivo` (pdz --definitivo) treats the plan as definitive whatever its `stato` says."""
    plan, problems = load_plan(Path(plan_dir))
    if plan is None:
        return None, sort_problems(problems)
    for check in structure.CHECKS + content.CHECKS + indice.CHECKS:
        problems.extend(check(plan))
    if plan.piano is None or plan.regole is None or plan.finanza is None:
        return None, sort_problems(problems)
    computed = compute(plan)
    for check in finance_checks.CHECKS:
        problems.extend(check(plan, computed))
    chapters = []
    budget = figures.Budget({tid: len(t.header) + len(t.rows) + len(t.totals) for tid, t in computed.tables.items()})
    for cap in plan.capitoli:
        text, probs = figures.expand(cap, computed.cifre, set(computed.tables), budget)
        problems.extend(probs)
        chapters.append((cap, text))
    annexed = tuple(t for t in ANNEX_TABLES if t in computed.tables)
    problems.extend(budget.unplaced(annexed) + budget.printed_twice(annexed))
    definitivo = definitivo or plan.piano.stato == "definitivo"
    items = completeness.da_completare(plan, problems)
    if definitivo:
        problems = completeness.as_errors(items, problems)
    return Result(plan, computed, tuple(chapters), definitivo, items), sort_problems(problems)
