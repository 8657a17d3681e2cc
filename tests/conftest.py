"""Shared fixtures: a minimal valid plan copied into a temporary folder for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "piano"
    shutil.copytree(FIXTURES / "minimo", dst)
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not found in {path}")


@pytest.fixture(autouse=True, scope="session")
def _image_cache(tmp_path_factory):
    """Normalised images are cached per user (pdz_docs/load/media.py): the tests, and the builds they start,
    use a cache folder of their own."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
