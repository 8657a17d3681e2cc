"""The locked install: what runs the tests is exactly what requirements.lock pins."""

from __future__ import annotations

import os
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {_norm(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", text, re.M)}


def test_every_locked_requirement_has_hashes():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z])", text.split("\n", 1)[1])
    pinned = [e for e in entries if "==" in e.split("\n")[0]]
    assert pinned and all("--hash=sha256:" in e for e in pinned)


def test_every_declared_dependency_is_locked():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = meta["project"]["dependencies"] + meta["project"]["optional-dependencies"]["test"]
    declared += meta["build-system"]["requires"]
    names = {_norm(re.match(r"[A-Za-z0-9_.-]+", d)[0]) for d in declared}
    assert names - set(_locked()) == set()


@pytest.mark.skipif(os.environ.get("PDZ_LATEST") == "1", reason="bash run test-latest: newest versions on purpose")
def test_installed_versions_are_the_locked_ones():
    wrong = {}
    for name, pinned in _locked().items():
        try:
            got = version(name)
        except PackageNotFoundError:
            got = "assente"
        if got != pinned:
            wrong[name] = (pinned, got)
    assert wrong == {}
