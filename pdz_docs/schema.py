"""JSON Schema of the plan's YAML files, for editors (completion and red squiggles while typing)."""

from __future__ import annotations

import json
from pathlib import Path

from pdz_docs.model import Finanza, Piano, Scheda

SCHEMAS = {"piano": Piano, "finanza": Finanza, "scheda": Scheda}


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"pdz-docs: {name}"
        path = folder / f"{name}.schema.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
