"""The browser editor's web application (Flask): pages rendered on the server, htmx for live checks.

Every page edits one file of the plan: piano.yaml, finanza.yaml, a card (schede/*.yaml) through a form
generated from the content model (fields.py), a chapter (capitoli/*.md) through a text editor with its
rendered preview. While the writer types, the form is sent to /verifica and checked by the pipeline on a
shadow copy (shadow.py); saving goes through the round-trip writer, which changes only the edited lines
and refuses to overwrite a file changed on disk since the page was loaded.
"""

from __future__ import annotations

import hmac
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from flask import Flask, abort, current_app, redirect, render_template, request, send_file, session, url_for
from jinja2 import StrictUndefined
from markupsafe import Markup
from werkzeug.exceptions import Forbidden

from pdz_docs.document.builder import roman
from pdz_docs.finance.money import fmt_euro
from pdz_docs.load.yamlsrc import load_yaml
from pdz_docs.model import Finanza, Piano, Scheda
from pdz_docs.problems import AVVISO, ERRORE, NOTA, Loc, Problem, summary
from pdz_docs.studio import accounts, roundtrip
from pdz_docs.studio import fields as F
from pdz_docs.studio.roundtrip import digest
from pdz_docs.studio.shadow import Shadow

HERE = Path(__file__).resolve().parent
MODELS = {"piano.yaml": Piano, "finanza.yaml": Finanza}
# the files as the pipeline reads them: a card «B.2.yml» or «B.2.YAML», a chapter «10-cap1.MD» (saved by Windows)
EDITABLE = re.compile(r"^(piano\.yaml|finanza\.yaml|schede/[A-Za-z0-9._-]+\.(?i:ya?ml)|capitoli/[A-Za-z0-9._-]+\.(?i:md))$")
SEVERITY_ORDER = {ERRORE: 0, AVVISO: 1, NOTA: 2}
FORMATS = ("pdf", "docx", "xlsx")
MIME = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
ERRORS = {400: "Richiesta non valida.", 403: "Operazione non permessa.", 404: "Pagina o file non trovato.",
          405: "Metodo non ammesso.", 413: "Richiesta troppo grande.", 429: "Troppi tentativi: riprovare fra poco."}


class PaginaScaduta(Forbidden):
    """A change sent without this server's token for the session: a page opened before pdz studio was
    started again (its tokens are drawn at start), after logging out, or by another site."""

    description = ("La modifica non è stata salvata: la pagina è scaduta (pdz studio è stato riavviato, oppure "
                   "si è usciti) o non è stata aperta da pdz studio. Tornare indietro con il browser, copiare "
                   "le modifiche fatte, ricaricare la pagina e ripeterle.")


@dataclass
class Config:
    plan: Path
    accounts: Path | None = None       # the users file (accounts.py) when login is required
    allowed_hosts: tuple[str, ...] = ()


def create_app(config: Config) -> Flask:
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"),
                static_url_path="/static")
    app.jinja_env.undefined = StrictUndefined
    app.config.update(SECRET_KEY=secrets.token_bytes(32), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_NAME="pdz_studio",
                      MAX_CONTENT_LENGTH=4 * 1024 * 1024)
    plan = config.plan.resolve()
    shadow = Shadow(plan)
    csrf = accounts.Csrf()
    throttle = accounts.Limitatore()
    downloads = Path(tempfile.mkdtemp(prefix="pdz-studio-out-"))

    def close() -> None:
        """Remove what the app keeps in temporary folders (the shadow copy, the documents built)."""
        shadow.close()
        shutil.rmtree(downloads, ignore_errors=True)

    app.extensions["pdz_studio"] = {"shadow": shadow, "plan": plan, "downloads": downloads, "close": close}

    # --- guards --------------------------------------------------------------------------------
    @app.before_request
    def guard():
        if config.allowed_hosts and request.host not in config.allowed_hosts:
            abort(403)   # another site's name pointing at this address (DNS rebinding)
        if config.accounts is not None and request.endpoint not in ("accesso", "static") and not session.get("utente"):
            return redirect(url_for("accesso"))
        if request.method == "POST":
            token = request.headers.get("X-CSRF-Token") or request.form.get("csrf", "")
            if "sid" not in session or not csrf.check(session["sid"], token):
                raise PaginaScaduta()
            if request.endpoint not in ("accesso", "esci", "verifica") and not can_edit():
                abort(403)

    @app.after_request
    def headers(response):
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    @app.errorhandler(429)
    def error(exc):
        code = getattr(exc, "code", 400)
        message = PaginaScaduta.description if isinstance(exc, PaginaScaduta) else ERRORS.get(code, "Errore.")
        return render_template("errore.html", messaggio=message, **common()), code

    @app.errorhandler(roundtrip.ErroreFile)
    def file_error(exc):
        return render_template("errore.html", messaggio=f"Il file non si può modificare dal browser: {exc}.",
                               **common()), 409

    @app.errorhandler(500)
    def internal(exc):
        return render_template("errore.html", messaggio="Errore interno del programma: la modifica non è stata "
                               "salvata. Segnalarlo a chi cura pdz-docs.", **common()), 500

    def csrf_token() -> str:
        if "sid" not in session:
            session["sid"] = secrets.token_urlsafe(32)
        return csrf.make(session["sid"])

    def can_edit() -> bool:
        return config.accounts is None or session.get("ruolo") == "editor"

    def common() -> dict:
        # before login, where login is required, the page shows nothing of the plan (not even its files)
        outside = config.accounts is not None and not session.get("utente")
        return {"stati": F.STATI, "csrf": csrf_token(), "utente": session.get("utente"), "editor": can_edit(),
                "fuori": outside, "files": [] if outside else plan_index(plan, shadow.capitoli)}

    # --- pages ---------------------------------------------------------------------------------
    @app.get("/")
    def indice():
        result, problems = shadow.check()
        return render_template("indice.html", problems=listed(problems), riepilogo=summary(problems),
                               pannello=panel(result, problems), **common())

    @app.get("/modifica/<path:rel>")
    def modifica(rel: str):
        path = plan_file(plan, rel)
        result, problems = shadow.check()
        if is_chapter(rel):
            tf = roundtrip.load_text(path)
            return chapter_page(rel, tf.text, result, problems, impronta=tf.hash)
        data = path.read_bytes()
        form = yaml_form(rel, data, result)
        attach(form, [p for p in problems if p.loc.file == rel], data.decode("utf-8", errors="replace"))
        return render_template("modulo.html", rel=rel, titolo=page_title(rel, form, shadow.capitoli), form=form,
                               sezioni=layout(form), impronta=digest(data),
                               problems=listed(problems, form), riepilogo=summary(problems), pannello=panel(result, problems),
                               messaggio=None, conflitto=False, salvato=bool(request.args.get("salvato")), **common())

    @app.post("/verifica/<path:rel>")
    def verifica(rel: str):
        path = plan_file(plan, rel)
        data = path.read_bytes()
        if is_chapter(rel):
            text = request.form.get("testo", "")
            result, problems = shadow.check(rel, text)
            return render_template("_verifica.html", problems=listed(problems), riepilogo=summary(problems),
                                   pannello=panel(result, problems), form=None, stati=F.STATI, capitolo=True,
                                   anteprima=preview(rel, result, problems))
        form = yaml_form(rel, data, None)
        try:
            text, errors = edited_text(path, rel, form, request.form)
        except roundtrip.ErroreFile:   # a file the forms cannot change: its problems as saved
            text, errors = data.decode("utf-8", errors="replace"), None
        result, problems = shadow.check(rel, text) if errors == [] else shadow.check()
        problems = (errors or []) + problems
        attach(form, [p for p in problems if p.loc.file == rel], text)
        return render_template("_verifica.html", problems=listed(problems, form), riepilogo=summary(problems),
                               pannello=panel(result, problems), form=form, stati=F.STATI, capitolo=False)

    @app.post("/salva/<path:rel>")
    def salva(rel: str):
        path = plan_file(plan, rel)
        data = path.read_bytes()
        expected = request.form.get("impronta", "")
        conflict = not hmac.compare_digest(digest(data), expected)
        message = None
        if is_chapter(rel):
            text = request.form.get("testo", "")
            if not conflict:
                try:
                    roundtrip.save_text(path, text, expected)
                except roundtrip.Conflitto:
                    conflict = True
                except roundtrip.ErroreFile as exc:   # a text the file cannot hold: refused, kept on the page
                    message = "Non salvato: " + str(exc).split(": ", 1)[-1]
                else:
                    return redirect(url_for("modifica", rel=rel, salvato=1))
            result, problems = shadow.check(rel, text)
            return chapter_page(rel, text, result, problems, conflict=conflict, impronta=expected,
                                messaggio=message), 409 if conflict else 200
        form = yaml_form(rel, data, None)
        if not conflict:
            yf, errors = edited(path, rel, form, request.form, expected)
            if errors:
                message = "Non salvato: " + "; ".join(p.message for p in errors)
            else:
                try:
                    roundtrip.save(yf)
                except roundtrip.Conflitto:
                    conflict = True
                else:
                    return redirect(url_for("modifica", rel=rel, salvato=1))
        text, errors = edited_text(path, rel, form, request.form)
        result, problems = shadow.check(rel, text) if not errors else shadow.check()
        attach(form, errors + [p for p in problems if p.loc.file == rel], text)
        for f in form:   # the writer's unsaved values stay on screen (a list as its lines, a new item's fields)
            typed = typed_value(f, request.form)
            if f.kind == "aggiungi":
                for part in f.parts:
                    part.value = request.form.get(part.name, "")
            else:
                f.value = typed.splitlines() if f.kind == "elenco" else typed
        return render_template("modulo.html", rel=rel, titolo=page_title(rel, form, shadow.capitoli), form=form,
                               sezioni=layout(form), impronta=expected, problems=listed(problems, form),
                               riepilogo=summary(problems), pannello=panel(result, problems), messaggio=message,
                               conflitto=conflict, salvato=False, **common()), 409 if conflict else 200

    @app.route("/accesso", methods=["GET", "POST"])
    def accesso():
        message = None
        if request.method == "POST":
            name, password = request.form.get("nome", ""), request.form.get("password", "")
            address = request.remote_addr or ""
            wait = throttle.prova(name, address)   # counted as failed until the password is right
            if wait > 0:
                return render_template("accesso.html", messaggio=accounts.messaggio_attesa(wait), **common()), 429
            user = accounts.verify(name, password, config.accounts) if config.accounts is not None else None
            if user is not None:
                throttle.riuscito(name, address)
                session.clear()
                session.update(sid=secrets.token_urlsafe(32), utente=user.nome, ruolo=user.ruolo)
                return redirect(url_for("indice"))
            message = "Nome o password errati."
        return render_template("accesso.html", messaggio=message, **common()), 401 if message else 200

    @app.post("/esci")
    def esci():
        session.clear()
        return redirect(url_for("accesso") if config.accounts is not None else url_for("indice"))

    @app.get("/versioni")
    def versioni():
        from pdz_docs.studio import versions

        ok, note = session.pop("esito", (True, None))   # the outcome of the last action, told once
        try:
            history = versions.storia(plan)
        except versions.ErroreVersioni as exc:
            history, ok, note = [], False, f"Storia non disponibile: {exc}."
        return render_template("versioni.html", storia=history, messaggio=note, riuscito=ok,
                               oggi=date.today().isoformat(),
                               prodotti=sorted(p.name for p in downloads.iterdir()
                                               if not p.name.startswith(".") and p.suffix[1:] in MIME), **common())

    @app.post("/versioni")
    def salva_versione():
        from pdz_docs.studio import versions

        try:
            versions.salva_versione(plan, request.form.get("messaggio", ""), author())
            return outcome(True, "Versione salvata.")
        except versions.ErroreVersioni as exc:
            return outcome(False, f"Versione non salvata: {exc}.")

    @app.post("/approva")
    def approva():
        from pdz_docs.studio import versions

        name = request.form.get("nome", "")
        try:
            versions.approva(plan, name, author(), messaggio=request.form.get("nota", ""))
            return outcome(True, f"L'ultima versione è segnata come approvata («{name.strip()}»).")
        except versions.ErroreVersioni as exc:
            return outcome(False, f"Non segnata come approvata: {exc}.")

    def outcome(ok: bool, note: str):
        """Back to the versions page, which tells the outcome once (kept in the session, never in the
        address: a link cannot make the page say something)."""
        session["esito"] = (ok, note)
        return redirect(url_for("versioni"))

    def author() -> str:
        return session.get("utente") or "pdz studio"

    @app.post("/produci")
    def produci():
        from pdz_docs.build import build, write_outputs

        formats = [f for f in request.form.getlist("formato") if f in FORMATS] or ["pdf"]
        outputs, _ = build(plan, formats, out_dir=downloads)
        if outputs is not None:
            write_outputs(downloads, outputs)
        return outcome(outputs is not None, "Documenti prodotti." if outputs is not None
                       else "Documenti non prodotti: correggere i problemi segnalati.")

    @app.get("/scarica/<name>")
    def scarica(name: str):
        path = downloads / name
        if "/" in name or name.startswith(".") or not path.is_file() or path.suffix[1:] not in MIME:
            abort(404)
        return send_file(path, mimetype=MIME[path.suffix[1:]], as_attachment=True, download_name=name)

    # --- helpers bound to this plan --------------------------------------------------------------
    def yaml_form(rel: str, data: bytes, result) -> list[F.Field]:
        doc, _ = load_yaml(plan / rel, rel, text=data.decode("utf-8", errors="replace"))
        regole = result.plan.regole if result is not None else shadow_rules()
        return F.fields_of(MODELS.get(rel, Scheda), doc.data, regole, doc.written)

    def shadow_rules():
        if shadow.regole is None:
            shadow.check()
        return shadow.regole

    def chapter_page(rel, text, result, problems, conflict=False, impronta=None, messaggio=None):
        cifre = []   # (text inserted, what the picker shows): the citable figures with their value, the tables
        if result is not None:
            from pdz_docs.figures import flatten

            cifre = [(f"{{{{ {name} }}}}", f"{name} = {value}") for name, value in flatten(result.computed.cifre)]
            cifre += [(f'{{{{ tabella("{tid}") }}}}', f"tabella «{t.title}»") for tid, t in sorted(result.computed.tables.items())]
            cifre += [(f'{{{{ tabella_n("{tid}") }}}}', f"numero della tabella «{t.title}»")
                      for tid, t in sorted(result.computed.tables.items())]
        return render_template("capitolo.html", rel=rel, titolo=page_title(rel, None, shadow.capitoli), testo=text,
                               problems=listed(problems), riepilogo=summary(problems), pannello=panel(result, problems),
                               anteprima=preview(rel, result, problems), cifre=cifre,
                               impronta=impronta or digest((plan / rel).read_bytes()),
                               conflitto=conflict, messaggio=messaggio, salvato=bool(request.args.get("salvato")),
                               **common())

    return app


# --- plain functions ------------------------------------------------------------------------------

def plan_file(plan: Path, rel: str) -> Path:
    """The plan file a route names; anything else (../, absolute, links, other files) is refused."""
    if not editable(plan, rel):
        abort(404)
    return plan / rel


def is_chapter(rel: str) -> bool:
    return rel.lower().endswith(".md")


def editable(plan: Path, rel: str) -> bool:
    """Whether `rel` names a file a page edits: piano.yaml, finanza.yaml, a card or a chapter, a regular
    file inside the plan (its folder may be a link inside the plan, as the pipeline reads it; never a
    link itself: nothing is written through one)."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel or not EDITABLE.match(rel):
        return False
    path = plan / rel
    return not path.is_symlink() and path.is_file() and path.resolve().is_relative_to(plan)


def page_of(plan: Path, rel: str) -> str | None:
    """The file whose page corrects a problem located in `rel`: `rel` itself, or the plan file a link
    there leads to; None when no page edits it (a link to a file of another folder, or out of the plan)."""
    if editable(plan, rel):
        return rel
    try:
        target = (plan / rel).resolve(strict=True).relative_to(plan).as_posix()
    except (OSError, RuntimeError, ValueError):
        return None
    return target if editable(plan, target) else None


TITLES = {"piano.yaml": "Dati generali e Comuni", "finanza.yaml": "Risorse finanziarie"}


def plan_index(plan: Path, capitoli: dict) -> list[tuple[str, str]]:
    """(relative path, label) of the editable files, for the navigation: a chapter by its number or
    its title (`capitoli`: relative path → front matter, as last read), else by its file name."""
    items = [(n, TITLES[n]) for n in ("piano.yaml", "finanza.yaml") if (plan / n).is_file()]
    for folder in ("schede", "capitoli"):
        for p in sorted((plan / folder).glob("*")) if (plan / folder).is_dir() else []:
            rel = f"{folder}/{p.name}"
            if editable(plan, rel):
                items.append((rel, f"Scheda {p.stem}" if folder == "schede" else chapter_label(rel, capitoli)[0]))
    return items


def chapter_label(rel: str, capitoli: dict) -> tuple[str, str]:
    """A chapter's short name («Capitolo I», or its title when it has no number) and its title."""
    meta = capitoli.get(rel)
    if meta is None:
        return f"Capitolo {PurePosixPath(rel).stem}", ""
    return (f"Capitolo {roman(meta.numero)}" if meta.numero else meta.titolo), meta.titolo


def page_title(rel: str, form: list[F.Field] | None, capitoli: dict) -> str:
    """The heading of a file's page: what the file is to its writer, not its path."""
    if rel in TITLES:
        return TITLES[rel]
    if is_chapter(rel):
        label, title = chapter_label(rel, capitoli)
        return f"{label} – {title}" if title and title != label else label
    title = next((str(f.value) for f in form or [] if f.keys == ("titolo",) and f.value), "")
    return f"Scheda {PurePosixPath(rel).stem}" + (f" – {title}" if title else "")


def typed_value(f: F.Field, form) -> object:
    if f.kind == "scelte":
        return form.getlist(f.name)
    if f.kind == "aggiungi":   # the «Aggiungi» button of this group was the one pressed
        return form.get("aggiungi") == f.name
    if f.kind in ("voce", "nuovo"):
        return {k: form.get(f"{f.name}.{k}", "") for k in ("stato", "importo", "previsto", "nota", "anno", "fonte")}
    return form.get(f.name, "")


def edited(path: Path, rel: str, form: list[F.Field], posted, expected: str | None = None):
    """The file loaded for saving with the form's changed fields set; (yf, problems of the typed values).

    `expected` is the hash of the bytes the page was made from: saving then refuses a file changed since."""
    yf = roundtrip.load(path)
    if expected is not None:
        yf.hash = expected
    errors: list[Problem] = []
    lines = None
    for f in form:
        if sent_name(f) not in posted:
            continue    # a field the page did not send is left as it is
        typed = typed_value(f, posted)
        if F.unchanged(f, typed):
            continue
        try:
            if f.kind == "aggiungi":
                item = {part.keys[-1]: F.to_yaml(part, posted.get(part.name, "")) for part in f.parts}
                if any(v is None for v in item.values()):
                    raise F.InputError("compilare i campi del nuovo elemento, poi premere «Aggiungi»")
                yf.append(f.keys, item)
            elif f.kind == "nuovo":
                keys, value = F.new_entry(f, typed)
                yf.set(keys, value)
            else:
                yf.set(f.keys, F.to_yaml(f, typed))
        except (F.InputError, roundtrip.ErroreFile) as exc:
            lines = lines if lines is not None else field_lines(form, yf.text)
            message = str(exc).split(": ", 1)[-1] if isinstance(exc, roundtrip.ErroreFile) else str(exc)
            where = " – ".join(F.label(k) for k in f.keys[1:]) or f.label
            errors.append(Problem(Loc(rel, lines.get(f.keys, 0), 1), "valore-modulo", f"{where}: {message}", ERRORE))
    removed = posted.get("rimuovi")   # the «Rimuovi» button of one item of a group
    items = {F.key_name(f.keys[:len(f.group) + 1]): f.keys[:len(f.group) + 1] for f in form if f.group}
    if removed in items:
        yf.remove(items[removed])
    return yf, errors


def sent_name(f: F.Field) -> str:
    """The form key that tells the page sent this field (an unticked checkbox sends nothing)."""
    return {"scelte": f"{f.name}.presente", "voce": f"{f.name}.stato", "nuovo": f"{f.name}.importo",
            "aggiungi": "aggiungi"}.get(f.kind, f.name)


def edited_text(path: Path, rel: str, form: list[F.Field], posted) -> tuple[str, list[Problem]]:
    yf, errors = edited(path, rel, form, posted)
    return yf.text, errors


def attach(form: list[F.Field], problems: list[Problem], text: str) -> None:
    """Each problem of this file beside its field: the field whose value stands on the problem's line,
    else the last field above it."""
    lines = field_lines(form, text)
    for f in form:
        f.problems = []
    for p in problems:
        target = None
        if p.loc.line:
            above = [(ln, i) for i, f in enumerate(form) for ln in [lines.get(f.keys)] if ln and ln <= p.loc.line]
            if above:
                target = form[max(above)[1]]
        if target is not None:
            target.problems.append(p)


def layout(form: list[F.Field]) -> list[dict]:
    """The form in sections (one per top-level key); a list of objects with plain fields is a grid
    (a row per item, like a spreadsheet), one with lists inside is a group of fieldsets."""
    sections: list[dict] = []
    for i, f in enumerate(form):
        top = f.keys[0]
        if not sections or sections[-1]["chiave"] != top:
            sections.append({"chiave": top, "titolo": F.label(top), "voci": []})
        items = sections[-1]["voci"]
        if not f.group:
            rest = f.keys[1:]
            items.append({"tipo": "campo", "i": i, "f": f, "etichetta": f.path_label if rest else f.label})
            continue
        members = [(j, g) for j, g in enumerate(form) if g.group == f.group]
        if items and items[-1].get("gruppo") == f.group:
            continue
        grid = all(g.kind not in ("elenco", "scelte", "voce") for _, g in members)
        depth = len(f.group)
        indexes = sorted({g.keys[depth] for _, g in members})
        if grid:
            columns = list(dict.fromkeys(g.keys[depth + 1:] for _, g in members))
            cell = {(g.keys[depth], g.keys[depth + 1:]): (j, g) for j, g in members}
            items.append({"tipo": "griglia", "gruppo": f.group,
                          "colonne": [" ".join(F.label(k) for k in c) for c in columns],
                          "somme": [all(g.kind == "intero" for (_, c2), (_, g) in cell.items() if c2 == c)
                                    for c in columns],
                          "righe": [[cell.get((n, c)) for c in columns] for n in indexes],
                          "chiavi": [F.key_name(f.group + (n,)) for n in indexes]})
        else:
            items.append({"tipo": "gruppi", "gruppo": f.group, "elementi": [
                {"titolo": f"{F.item_names(f.group[-1])[0]} {n + 1}", "chiave": F.key_name(f.group + (n,)),
                 "rimuovi": f"Rimuovi {F.item_names(f.group[-1])[1]} {n + 1}",
                 "campi": [{"i": j, "f": g, "etichetta": " – ".join(F.label(k) for k in g.keys[depth + 1:])}
                           for j, g in members if g.keys[depth] == n]} for n in indexes]})
    for s in sections:   # a lone field needs no heading of its own: its label says it
        if len(s["voci"]) == 1 and s["voci"][0]["tipo"] == "campo" and len(s["voci"][0]["f"].keys) == 1:
            s["titolo"] = None
    return sections


def field_lines(form: list[F.Field], text: str) -> dict:
    doc, _ = load_yaml(Path("x.yaml"), "x.yaml", text=text)
    return {f.keys: doc.loc(*f.keys).line for f in form if tuple(f.keys) in doc.locs}


def listed(problems: list[Problem], form: list[F.Field] | None = None) -> list[tuple[Problem, str | None]]:
    """The "Verifica" list: each problem with a link to its field on this page, or to its file's page."""
    anchors = {id(p): f"#campo-{i}" for i, f in enumerate(form or []) for p in f.problems}
    plan = current_app.extensions["pdz_studio"]["plan"]
    pages: dict[str, str | None] = {}
    out = []
    for p in sorted(shown(problems), key=lambda p: id(p) not in anchors):   # this page's problems first
        href = anchors.get(id(p))
        if href is None and p.loc.file:
            if p.loc.file not in pages:
                pages[p.loc.file] = page_of(plan, p.loc.file)
            href = url_for("modifica", rel=pages[p.loc.file]) if pages[p.loc.file] else None
        out.append((p, href))
    return out


def shown(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (SEVERITY_ORDER.get(p.severity, 3), p.loc.file, p.loc.line))


def panel(result, problems: list[Problem]) -> dict | None:
    """The fund panel: the computed tables as the documents print them (no arithmetic here), and the
    problems the checks locate at the budget (a fund over-programmed, pending resources)."""
    if result is None:
        return None
    tables = result.computed.tables
    return {"tabelle": [tables[t] for t in ("fonti_residuo", "cofinanziamento_minimo") if t in tables],
            "problemi": [p for p in shown(problems) if p.loc.file == "finanza.yaml" and p.severity == ERRORE],
            "minimo": fmt_euro(result.computed.minimo["cofinanziamento_minimo"])
            if "cofinanziamento_minimo" in result.computed.minimo else None}


def preview(rel: str, result, problems: list[Problem]) -> Markup | None:
    """The chapter as the documents show it (the document tree's HTML translator), or None when it cannot
    be built: the plan has errors that stop the computing, or this chapter has errors (a citation of a
    figure that does not exist, perhaps half typed)."""
    if result is None or any(p.severity == ERRORE and p.loc.file == rel for p in problems):
        return None
    from pdz_docs.document.builder import build_body
    from pdz_docs.render.html import HtmlTranslator

    for (cap, _), chapter in zip(result.chapters, build_body(result)[0]):   # its tables numbered as in the document
        if cap.file.endswith(rel):
            return HtmlTranslator().render(chapter)
    return None
