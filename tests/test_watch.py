"""`pdz watch`: the preview server reloads after a save, keeps the last good page on errors, serves no file
from outside the plan and templates, listens on 127.0.0.1 only and exits cleanly."""

from __future__ import annotations

import html
import http.client
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT, edit, line_of, program_everything
from pdz_docs.cli import main
from pdz_docs.watch import Preview, make_server

TIMEOUT = 30


class Running:
    def __init__(self, plan: Path):
        self.preview = Preview(plan, out=io.StringIO())
        self.preview.rebuild()
        self.server = make_server(self.preview, 0)
        self.port = self.server.server_address[1]
        self.stop = threading.Event()
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        threading.Thread(target=self.preview.watch, args=(self.stop, 0.05), daemon=True).start()

    def get(self, path: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def next_generation(self, after: int) -> int:
        status, body = self.get(f"/stato?dopo={after}")
        assert status == 200
        gen = json.loads(body)["generazione"]
        assert gen != after, "nessuna ricostruzione dopo la modifica"
        return gen

    def close(self) -> None:
        self.stop.set()
        self.preview.close()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def running(plan_dir: Path):
    program_everything(plan_dir)
    r = Running(plan_dir)
    yield r
    r.close()


def test_bound_to_localhost(running: Running):
    assert running.server.server_address[0] == "127.0.0.1"


def test_reload_after_save(running: Running, plan_dir: Path):
    status, page = running.get("/")
    assert status == 200
    assert "Ambito Territoriale Sociale di Prova" in page and "L'Ambito conta 4.000 abitanti" in page
    assert '<script src="/anteprima.js" data-generazione="1"></script>' in page and "pdz-watch-problemi" not in page
    gen = running.preview.generation
    edit(plan_dir / "capitoli" / "10-cap1.md", "L'Ambito conta", "Nel nuovo testo l'Ambito conta")
    running.next_generation(gen)
    status, page = running.get("/")
    assert "Nel nuovo testo l'Ambito conta 4.000 abitanti" in page


def test_error_keeps_last_good_page(running: Running, plan_dir: Path):
    chapter = plan_dir / "capitoli" / "10-cap1.md"
    edit(chapter, "L'Ambito conta", "Ultima versione buona: l'Ambito conta")
    gen = running.next_generation(running.preview.generation)
    edit(chapter, "{{ cifre.popolazione.totale }}", "{{ cifre.popolazione.totalx }}")
    line = line_of(chapter, "totalx")
    gen = running.next_generation(gen)
    status, page = running.get("/")
    assert status == 200
    assert "Ultima versione buona: l'Ambito conta 4.000 abitanti" in page   # the last good content stays
    assert 'id="pdz-watch-problemi"' in page
    banner = page[page.index('id="pdz-watch-problemi"'):]
    banner = html.unescape(banner[:banner.index("</div>")])
    assert f"10-cap1.md:{line}:" in banner and "cifra-sconosciuta" in banner and "totalx" in banner
    assert "ultima senza errori" in banner
    edit(chapter, "totalx", "totale")
    running.next_generation(gen)
    assert "pdz-watch-problemi" not in running.get("/")[1]


def test_first_build_with_errors(plan_dir: Path):
    edit(plan_dir / "piano.yaml", "capofila: Alfa", "capofila: Gamma")
    r = Running(plan_dir)
    try:
        status, page = r.get("/")
        page = html.unescape(page)
        assert status == 200 and "pdz-watch-problemi" in page and "comune-sconosciuto" in page
        assert "piano.yaml:3:" in page and "Non c'è ancora un'anteprima senza errori" in page
    finally:
        r.close()


def test_static_files_only_from_inside(running: Running, plan_dir: Path, tmp_path: Path):
    status, css = running.get("/piano.css")
    assert status == 200 and "@page" in css
    secret = tmp_path / "segreto.css"
    secret.write_text("segreto")
    (plan_dir / "fuori.css").symlink_to(secret)
    (plan_dir / "immagine.png").write_bytes(b"\x89PNG")
    assert running.get("/immagine.png")[0] == 200
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                 "/%2E%2E/segreto.css", "/../segreto.css", "//etc/passwd", "/fuori.css", "/piano.yaml",
                 "/capitoli/10-cap1.md", "/.vscode/settings.json", "/%00", "/..\\segreto.css", "/nulla.css"):
        status, body = running.get(path)
        assert status == 404, path
        assert "segreto" not in body and "root:" not in body


def test_other_host_refused(running: Running):
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/", headers={"Host": "attacker.example:80"})
        assert conn.getresponse().status == 403
    finally:
        conn.close()


def test_port_in_use(plan_dir: Path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["watch", str(plan_dir), "--porta", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"la porta {port} è già in uso" in err and "Traceback" not in err


def test_missing_plan(tmp_path: Path, capsys):
    assert main(["watch", str(tmp_path / "manca"), "--porta", "0"]) == 1
    assert "non esiste" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_exits_cleanly(plan_dir: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "pdz_docs", "watch", str(plan_dir), "--porta", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)
    reader.start()
    try:
        seen = ""
        while f"http://127.0.0.1:{port}/" not in seen:
            seen += lines.get(timeout=TIMEOUT)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=TIMEOUT)
    while not lines.empty():
        seen += lines.get()
    assert "Anteprima chiusa" in seen and "Traceback" not in seen


def test_plan_images_served(running: Running, plan_dir: Path):
    from test_hostile import png

    (plan_dir / "immagini").mkdir()
    (plan_dir / "immagini" / "logo.png").write_bytes(png())
    gen = running.preview.generation
    edit(plan_dir / "capitoli" / "10-cap1.md", "L'Ambito conta", "![Logo](../immagini/logo.png)\n\nL'Ambito conta")
    running.next_generation(gen)
    status, page = running.get("/")
    # the normalised picture (pdz_docs/load/media.py), inline: the same bytes as in the PDF and the DOCX
    assert status == 200 and '<img src="data:image/png;base64,' in page and "file://" not in page
    status, body = running.get("/immagini/logo.png")
    assert status == 200 and body.startswith("\ufffdPNG")


def fetch(running: Running, path: str, method: str = "GET", host: str | None = None):
    """(status, headers, body) of one request to the preview server."""
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=TIMEOUT)
    try:
        conn.request(method, path, headers={"Host": host} if host else {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_plan_files_served_only_as_raster_images(running: Running, plan_dir: Path, tmp_path: Path):
    from test_hostile import png

    folder = plan_dir / "immagini"
    folder.mkdir()
    (folder / "logo.png").write_bytes(png())
    (folder / "foto.JPG").write_bytes(b"\xff\xd8\xff\xe0")
    (folder / "anim.gif").write_bytes(b"GIF89a")
    for name, ctype in (("logo.png", "image/png"), ("foto.JPG", "image/jpeg"), ("anim.gif", "image/gif")):
        status, headers, body = fetch(running, f"/immagini/{name}")
        assert (status, headers["content-type"]) == (200, ctype), name
        assert body == (folder / name).read_bytes()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
    (folder / "disegno.svg").write_bytes(svg)
    (folder / "pagina.html").write_bytes(b"<script>alert(1)</script>")
    (folder / "pagina.htm").write_bytes(b"<script>alert(1)</script>")
    (folder / "foto.webp").write_bytes(b"RIFF")
    (folder / "foglio.css").write_bytes(b"body{}")
    (folder / "note.txt").write_bytes(b"appunti")
    outside = tmp_path / "fuori.png"
    outside.write_bytes(png())
    (folder / "fuori.png").symlink_to(outside)
    for path in ("/immagini/disegno.svg", "/immagini/DISEGNO.SVG", "/immagini/pagina.html", "/immagini/pagina.htm",
                 "/immagini/foto.webp", "/immagini/foglio.css", "/immagini/note.txt", "/immagini/fuori.png",
                 "/immagini/%2e%2e/%2e%2e/fuori.png", "/..%2ffuori.png", f"/{outside}", "/piano.yaml",
                 "/capitoli/10-cap1.md"):
        status, headers, body = fetch(running, path)
        assert status == 404, path
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert body.decode().startswith("File non trovato: l'anteprima mostra solo"), path


def test_security_headers_on_every_response(running: Running, plan_dir: Path):
    (plan_dir / "immagine.png").write_bytes(b"\x89PNG")
    answers = [fetch(running, path) for path in ("/", "/anteprima.js", "/stato?dopo=-1", "/piano.css",
                                                 "/immagine.png", "/nulla.svg")]
    answers.append(fetch(running, "/", host="attacker.example"))
    answers.append(fetch(running, "/", method="POST"))
    assert [a[0] for a in answers] == [200, 200, 200, 200, 200, 404, 403, 501]
    for status, headers, body in answers:
        csp = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
        assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'" and csp["connect-src"] == "'self'"
        assert csp["img-src"] == "'self' data:" and csp["frame-ancestors"] == "'none'"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
    assert answers[1][1]["content-type"] == "text/javascript; charset=utf-8"
    assert b"/stato?dopo=" in answers[1][2]
    page = answers[0][2].decode()
    # The page runs no inline script (the CSP would block it): only the served one.
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/anteprima.js" data-generazione="1">']
    assert answers[7][2].decode() == "Metodo non ammesso: l'anteprima si legge soltanto."
