"""Fixtures of the browser editor's tests: the default plan in a git repository, the app, a live server.

A module the tests import (not a second conftest.py: test modules import names from tests/conftest.py,
and two modules named «conftest» would shadow each other)."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import ROOT
GIT = ["git", "-c", "user.name=Prova", "-c", "user.email=prova@example.invalid", "-c", "commit.gpgsign=false"]


def git(plan: Path, *args: str) -> str:
    return subprocess.run(GIT + list(args), cwd=plan, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    """The default plan, copied and committed in a new repository."""
    dst = tmp_path / "piano"
    shutil.copytree(ROOT / "content", dst, ignore=shutil.ignore_patterns("output"))
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "commit", "-q", "-m", "piano iniziale")
    return dst


@pytest.fixture
def app(plan: Path):
    from pdz_docs.studio.app import Config, create_app

    application = create_app(Config(plan))
    yield application
    application.extensions["pdz_studio"]["close"]()


@pytest.fixture
def client(app):
    return app.test_client()


def form_of(html: str) -> dict[str, str]:
    """The hidden fields a page's form carries (CSRF token, hash of the file as loaded)."""
    return {name: value for name, value in re.findall(r'<input type="hidden" name="(csrf|impronta)" value="([^"]*)"', html)}


@pytest.fixture
def live(app):
    """The app served on a free port of 127.0.0.1, as `pdz studio` serves it."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
