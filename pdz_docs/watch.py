"""`pdz watch`: an HTML preview of the plan on 127.0.0.1 that reloads after every save.

A background thread polls the modification times of the plan, its rules and the
templates; on a change the whole pipeline runs again and, without errors, the page
is rendered exactly as `pdz build --format html` renders it. The served page is that
HTML with a problem banner and a small script injected: the script long-polls
/stato and reloads the page when the build generation changes. Besides the page the
server sends only that script, the templates' style sheets and the plan's PNG, JPEG and
GIF images, every response with a Content-Security-Policy that lets nothing else run. A save with errors
keeps the last good preview on screen, with the problems listed on top.
"""

from __future__ import annotations

import errno
import html
import json
import os
import re
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from pdz_docs.load.plan import PACKAGE_RULES, label
from pdz_docs.problems import AVVISO, ERRORE, Loc, Problem, errore, summary
from pdz_docs.render.html import TEMPLATES

HOST = "127.0.0.1"
POLL_SECONDS = 0.3
LONG_POLL_SECONDS = 20.0
SKIPPED_DIRS = {"output", "__pycache__", "node_modules"}
SCRIPT_PATH = "/anteprima.js"
# What the server sends besides the page: the program's style sheets, and the plan's raster images (the only
# images a chapter may show, load/refs.py). Never SVG, HTML or any other file of the plan: a received plan's
# files are someone else's, and a browser would run the scripts inside them.
TEMPLATE_TYPES = {".css": "text/css; charset=utf-8"}
PLAN_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
# Sent with every response: only our own script (for the reload), style and images from this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}
NOT_FOUND = ("File non trovato: l'anteprima mostra solo la pagina del piano, i suoi fogli di stile e le "
             "immagini PNG, JPEG e GIF della cartella del piano.")
HTTP_ERRORS = {400: "Richiesta non valida.", 403: "Host non ammesso.", 404: NOT_FOUND,
               405: "Metodo non ammesso: l'anteprima si legge soltanto.", 414: "Indirizzo troppo lungo.",
               431: "Intestazioni troppo lunghe.", 501: "Metodo non ammesso: l'anteprima si legge soltanto."}

# The page reloads itself when the build generation (written in the tag that loads this script) changes.
_SCRIPT = """(function () {
  var generazione = Number(document.currentScript.getAttribute("data-generazione"));
  var y = sessionStorage.getItem("pdz-watch-y");
  if (y !== null) { sessionStorage.removeItem("pdz-watch-y"); window.scrollTo(0, Number(y)); }
  function attendi() {
    fetch("/stato?dopo=" + generazione, {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.generazione !== generazione) {
          sessionStorage.setItem("pdz-watch-y", String(window.scrollY));
          location.reload();
        } else { attendi(); }
      })
      .catch(function () { setTimeout(attendi, 1000); });
  }
  attendi();
})();
"""

_BANNER_STYLE = ("position:sticky;top:0;z-index:1000;margin:0;padding:8px 14px;font:13px/1.45 sans-serif;"
                 "border-bottom:2px solid {border};background:{bg};color:#222;max-height:40vh;overflow:auto")


def snapshot(folders: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Path, mtime and size of every file under `folders` (hidden and output folders skipped)."""
    entries = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SKIPPED_DIRS]
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:   # deleted between listing and stat: the next poll sees it
                    continue
                entries.append((path, st.st_mtime_ns, st.st_size))
    return tuple(sorted(entries))


def inject(page_html: str | None, problems: list[Problem], generation: int, good_time: str | None) -> bytes:
    """The served page: the last good HTML (if any) with the problem banner and the reload script."""
    shown = [p for p in problems if p.severity in (ERRORE, AVVISO)]
    has_err = any(p.severity == ERRORE for p in shown)
    banner = ""
    if shown:
        if has_err and good_time:
            title = (f"{summary(shown)} L'anteprima qui sotto è l'ultima senza errori (delle {good_time}): "
                     "correggere e salvare.")
        elif has_err:
            title = f"{summary(shown)} Non c'è ancora un'anteprima senza errori: correggere e salvare."
        else:
            title = summary(shown)
        items = "".join(f"<li><code>{html.escape(str(p.loc))}</code> {html.escape(p.severity)}: "
                        f"{html.escape(p.message)} [{html.escape(p.code)}]</li>" for p in shown)
        colors = {"bg": "#fde8e8", "border": "#b42318"} if has_err else {"bg": "#fff6db", "border": "#b7791f"}
        banner = (f'<div id="pdz-watch-problemi" style="{_BANNER_STYLE.format(**colors)}">'
                  f"<strong>{html.escape(title)}</strong><ul style=\"margin:4px 0 0 18px;padding:0\">{items}</ul></div>\n")
    script = f'<script src="{SCRIPT_PATH}" data-generazione="{generation}"></script>\n'
    if page_html is None:
        page_html = ('<!DOCTYPE html>\n<html lang="it">\n<head><meta charset="utf-8">'
                     "<title>Anteprima del piano – pdz watch</title></head>\n<body>\n"
                     "<p>Nessuna anteprima disponibile.</p>\n</body>\n</html>\n")
    m = re.search(r"<body[^>]*>", page_html)
    at = m.end() if m else 0
    page_html = page_html[:at] + "\n" + banner + page_html[at:]
    end = page_html.rfind("</body>")
    end = end if end >= 0 else len(page_html)
    return (page_html[:end] + script + page_html[end:]).encode("utf-8")


class Preview:
    """The state of the preview: the page to serve, its generation, the last problems."""

    def __init__(self, plan_dir: Path, templates: Path = TEMPLATES, out=None):
        self.plan_dir = Path(plan_dir)
        self.templates = Path(templates)
        self.out = out or sys.stdout
        folders = [self.plan_dir, self.plan_dir.parent / "rules", PACKAGE_RULES, self.templates]
        seen: set[Path] = set()
        self.folders = []
        for f in folders:
            if f.is_dir() and f.resolve() not in seen:
                seen.add(f.resolve())
                self.folders.append(f)
        self.generation = 0
        self.page = inject(None, [], 0, None)
        self.problems: list[Problem] = []
        self.seconds = 0.0            # duration of the last rebuild
        self._good_html: str | None = None
        self._good_time: str | None = None
        self._seen: tuple = ()
        self._closed = False
        self._cond = threading.Condition()

    def rebuild(self) -> None:
        from pdz_docs.provenance import provenance
        from pdz_docs.pipeline import run
        from pdz_docs.document.builder import build_document
        from pdz_docs.render.html import render_html

        start = time.perf_counter()
        # Taken before building: a save made during the build is seen by the next poll.
        self._seen = snapshot(self.folders)
        new_html = None
        try:
            result, problems = run(self.plan_dir)
            if result is not None and not any(p.severity == ERRORE for p in problems):
                prov = provenance(result.plan)
                problems = problems + prov.problems(self.plan_dir)   # e.g. a folder git will not read
                doc, built = build_document(result, prov)
                problems = problems + built
                new_html = render_html(doc, self.templates)
                # A page served over http cannot show file:// images: the plan's own files are served here.
                new_html = new_html.replace(f'src="{self.plan_dir.resolve().as_uri()}/', 'src="/')
        except Exception as exc:  # a bug in the program: report it and keep the last good preview
            traceback.print_exc(file=sys.stderr)
            problems = [errore(Loc(label(self.plan_dir)), "errore-interno",
                               f"errore interno del programma ({type(exc).__name__}: {exc}); "
                               "l'anteprima resta all'ultima versione riuscita")]
        self.seconds = time.perf_counter() - start
        now = time.strftime("%H:%M:%S")
        with self._cond:
            if new_html is not None:
                self._good_html, self._good_time = new_html, now
            self.problems = problems
            self.generation += 1
            self.page = inject(self._good_html, problems, self.generation, self._good_time)
            self._cond.notify_all()
        for p in problems:
            print(p.format(), file=self.out)
        state = ("Anteprima aggiornata" if new_html is not None
                 else "Anteprima non aggiornata: il browser mostra l'ultima senza errori")
        print(f"[{now}] {state} ({self.seconds:.2f} s). {summary(problems)}", file=self.out, flush=True)

    def changed(self) -> bool:
        return snapshot(self.folders) != self._seen

    def watch(self, stop: threading.Event, interval: float = POLL_SECONDS) -> None:
        while not stop.wait(interval):
            if self.changed():
                self.rebuild()

    def wait(self, generation: int, timeout: float) -> int:
        """Block until the generation differs from `generation` (or `timeout`); return the current one."""
        with self._cond:
            self._cond.wait_for(lambda: self.generation != generation or self._closed, timeout)
            return self.generation

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def static_file(self, url_path: str) -> tuple[Path, str] | None:
        """A file the page references, with its type: a style sheet of the templates, a raster image of the plan."""
        rel = unquote(url_path)
        parts = rel.split("/")
        if "\\" in rel or "\x00" in rel or any(p.startswith(".") for p in parts if p):
            return None   # "..", ".", hidden files: never
        rel = rel.lstrip("/")
        suffix = Path(rel).suffix.lower()
        for root, types in ((self.templates, TEMPLATE_TYPES), (self.plan_dir, PLAN_TYPES)):
            if not rel or suffix not in types:
                continue
            base = root.resolve()
            path = (base / rel).resolve()
            if path.is_relative_to(base) and path.is_file():
                return path, types[suffix]
        return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "pdz-watch"
    preview: Preview   # set on the subclass made by make_server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in (HOST, "localhost"):   # DNS rebinding: only pages opened as 127.0.0.1/localhost
            return self.send_error(403)
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            return self._send(200, self.preview.page, "text/html; charset=utf-8")
        if url.path == SCRIPT_PATH:
            return self._send(200, _SCRIPT.encode(), "text/javascript; charset=utf-8")
        if url.path == "/stato":
            try:
                after = int(parse_qs(url.query).get("dopo", ["-1"])[0])
            except ValueError:
                after = -1
            gen = self.preview.wait(after, LONG_POLL_SECONDS)
            return self._send(200, json.dumps({"generazione": gen}).encode(), "application/json")
        found = self.preview.static_file(url.path)
        if found is None:
            return self.send_error(404)
        path, ctype = found
        try:
            body = path.read_bytes()
        except OSError:
            return self.send_error(404)
        return self._send(200, body, ctype)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every refusal in Italian, as plain text, with the same security headers (http.server's own is English)."""
        self.close_connection = True
        text = HTTP_ERRORS.get(code, "Richiesta non servita.")
        self._send(code, text.encode("utf-8"), "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):   # the browser went away (reload, closed tab)
            pass

    def log_message(self, format: str, *args) -> None:   # keep the terminal for the plan's problems
        pass


def make_server(preview: Preview, port: int) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1 only; port 0 picks a free port."""
    handler = type("Handler", (_Handler,), {"preview": preview})
    server = ThreadingHTTPServer((HOST, port), handler)
    server.daemon_threads = True
    return server


def main(args) -> int:
    plan_dir: Path = args.piano
    if not plan_dir.is_dir():
        print(f"pdz watch: errore: la cartella del piano «{plan_dir}» non esiste", file=sys.stderr)
        return 1
    if not 0 <= args.porta <= 65535:
        print(f"pdz watch: errore: porta {args.porta} non valida (da 1 a 65535)", file=sys.stderr)
        return 2
    preview = Preview(plan_dir)
    try:
        server = make_server(preview, args.porta)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"pdz watch: errore: la porta {args.porta} è già in uso (forse un altro «pdz watch» è aperto): "
                  "chiuderlo oppure scegliere un'altra porta, per esempio --porta "
                  f"{args.porta + 1 if args.porta < 65535 else 8001}", file=sys.stderr)
        else:
            print(f"pdz watch: errore: impossibile aprire la porta {args.porta} ({exc.strerror or exc})",
                  file=sys.stderr)
        return 1
    stop = threading.Event()
    try:
        preview.rebuild()
        port = server.server_address[1]
        print(f"\nAnteprima del piano su http://{HOST}:{port}/ — si aggiorna a ogni salvataggio. "
              "Ctrl-C per chiudere.", flush=True)
        threading.Thread(target=preview.watch, args=(stop,), daemon=True, name="pdz-watch").start()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        preview.close()
        server.server_close()
    print("\nAnteprima chiusa.")
    return 0
