"""The package's layers: every import of `pdz_docs` (also those inside functions) runs down, never up.

The order is the pipeline's: what a stage reads sits below it. `Problem`/`Loc` and the money
rules are at the bottom; the plan's types (`pdz_docs.model`) above them; the computation of the
figures reads only the model; loading builds the model; checks, figures and provenance read
what was loaded and computed; the pipeline joins them; the document tree is made of its result
and the renderers lay that out; the commands (build, watch, diff, new) drive the pipeline and
the renderers; the CLI prints.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pdz_docs"

# Lowest first. A module belongs to the layer of the longest prefix naming it; the package's own
# __init__ ("pdz_docs") only to the bottom layer, by its exact name.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("pdz_docs", "pdz_docs.problems", "pdz_docs.limits", "pdz_docs.faults", "pdz_docs.argparse_it",
              "pdz_docs.gitsafe", "pdz_docs.names", "pdz_docs.finance.money", "pdz_docs.processes")),
    ("model", ("pdz_docs.model",)),
    ("finance", ("pdz_docs.finance",)),
    ("load", ("pdz_docs.load",)),
    ("checks", ("pdz_docs.checks", "pdz_docs.figures", "pdz_docs.provenance")),
    ("pipeline", ("pdz_docs.pipeline",)),
    # the typed document tree built from the pipeline's result, and the checks made on its layout
    ("document", ("pdz_docs.document", "pdz_docs.checks.layout")),
    ("render", ("pdz_docs.render",)),
    ("commands", ("pdz_docs.build", "pdz_docs.watch", "pdz_docs.diff", "pdz_docs.skeleton", "pdz_docs.schema",
                  "pdz_docs.studio")),
    ("cli", ("pdz_docs.cli", "pdz_docs.__main__")),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(package.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """The `pdz_docs` modules a file imports, anywhere in it; `from pkg import sub` counts as `pkg.sub`."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])])
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.add(sub if sub in known else base)
    return {m for m in found if m == "pdz_docs" or m.startswith("pdz_docs.")}


def layer(module: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            matches = module == p if p == "pdz_docs" else module == p or module.startswith(p + ".")
            if matches and len(p) > best:
                best, rank = len(p), i
    assert rank is not None, f"{module} is in no layer: declare it in tests/test_layers.py"
    return rank


def upward_imports(package: Path = PACKAGE) -> list[str]:
    mods = modules(package)
    out = []
    for name, path in mods.items():
        for dep in sorted(imports(path, set(mods))):
            if layer(dep) > layer(name):
                out.append(f"{name} ({LAYERS[layer(name)][0]}) imports {dep} ({LAYERS[layer(dep)][0]})")
    return out


def cycles(package: Path = PACKAGE) -> list[list[str]]:
    mods = modules(package)
    graph = {name: sorted(imports(path, set(mods)) & set(mods)) for name, path in mods.items()}
    found, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for dep in graph[node]:
            if dep == node:
                continue
            if state.get(dep) == "open":
                found.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])
    return found


def test_every_module_is_in_a_declared_layer():
    for name in modules():
        layer(name)


def test_no_import_runs_up_the_layers():
    assert upward_imports() == []


def test_the_import_graph_has_no_cycle():
    assert cycles() == []


def test_the_plans_source_types_live_in_the_model():
    """Finance computes from the plan's types without loading anything."""
    from pdz_docs import model

    for name in ("Plan", "Capitolo", "SchedaSrc", "YamlDoc"):
        assert getattr(model, name).__module__ == "pdz_docs.model.plan"
    assert not {m for m in imports(PACKAGE / "finance" / "compute.py", set(modules()))
                if m.startswith("pdz_docs.load")}


def test_every_module_says_its_job():
    for name, path in modules().items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and doc.splitlines()[0].strip(), f"{name} has no module docstring"
