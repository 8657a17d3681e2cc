"""The browser editor through Flask's test client: generated forms, checks while typing, saving, conflicts, security."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from studio_fixtures import app, client, form_of, git, plan  # noqa: F401 (fixtures)

CARD = "/modifica/schede/B.2.yaml"
PDZ_2022 = 'f["programmazione",2022,"PdZ"]'


def voce(name: str, importo: str, stato: str = "noto") -> dict[str, str]:
    return {f"{name}.stato": stato, f"{name}.importo": importo, f"{name}.previsto": "", f"{name}.nota": ""}


def test_card_form_is_generated_from_the_model_and_the_rules(client):
    html = client.get(CARD).get_data(as_text=True)
    # nomenclature code, areas, objective letters, territorial scope, management: choices of the rules file
    assert re.search(r'<option value="B.2" selected>B.2 – ', html)
    assert re.search(r'name="f\[&#34;aree&#34;\]" value="famiglie-minori" checked', html)
    assert re.search(r'name="f\[&#34;obiettivi&#34;,0,&#34;lettera&#34;\]"', html)
    assert re.search(r'name="f\[&#34;valenza_territoriale&#34;\]" value="ambito" checked', html)
    assert 'name="f[&#34;gestione&#34;]"' in html
    # an amount with its state, shown as the plan writes it; a repeatable group per service
    assert 'value="€ 45.600,00"' in html and '<option value="noto" selected>importo noto</option>' in html
    assert "<legend>Servizio 2</legend>" in html


def test_over_programmed_amount_is_shown_beside_the_field_in_the_list_and_in_the_funds_panel(client):
    page = client.get(CARD).get_data(as_text=True)
    r = client.post("/verifica/schede/B.2.yaml", data={**form_of(page), **voce(PDZ_2022, "4000000")})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    beside = re.search(r'id="msg-(\d+)" class="messaggi" hx-swap-oob="true"><p class="errore">scheda B.2: programma '
                       r'€ 4.000.000,00 della fonte PdZ nel 2022', html)
    assert beside, "the error is not beside the field"
    assert f'id="campo-{beside.group(1)}"' in page and f'name="{PDZ_2022.replace(chr(34), "&#34;")}.stato"' in \
        page.split(f'id="campo-{beside.group(1)}"', 1)[1][:600]
    listed = re.search(r'<a href="#campo-' + beside.group(1) + r'">schede/B.2.yaml:\d+:\d+</a>', html)
    assert listed, "the Verifica list does not link to the field"
    panel = html.split('id="pannello-box"', 1)[1]
    assert "la fonte PdZ è programmata nel 2022 per € 5.709.100,39" in unescape(panel)
    assert "[fonte-eccedente]" in panel
    # the same text, fixed: no error left
    r = client.post("/verifica/schede/B.2.yaml", data={**form_of(page), **voce(PDZ_2022, "45.600,00")})
    assert "fonte-eccedente" not in r.get_data(as_text=True)


def test_saving_one_field_changes_one_line_and_keeps_every_comment(client, plan: Path):
    card = plan / "schede" / "B.2.yaml"
    comments = [ln for ln in card.read_text(encoding="utf-8").splitlines() if ln.lstrip().startswith("#")]
    page = client.get(CARD).get_data(as_text=True)
    r = client.post("/salva/schede/B.2.yaml", data={**form_of(page), **voce(PDZ_2022, "50000")})
    assert r.status_code == 302
    assert git(plan, "diff", "--numstat") == "1\t1\tschede/B.2.yaml\n"
    assert "+    PdZ: € 50.000,00\n" in git(plan, "diff")
    assert [ln for ln in card.read_text(encoding="utf-8").splitlines() if ln.lstrip().startswith("#")] == comments


def test_an_amount_typed_another_way_is_not_a_change(client, plan: Path):
    page = client.get(CARD).get_data(as_text=True)
    r = client.post("/salva/schede/B.2.yaml", data={**form_of(page), **voce(PDZ_2022, "45600")})
    assert r.status_code == 302
    assert git(plan, "status", "--porcelain") == ""


def test_second_session_saving_the_same_card_gets_the_conflict_message(app, plan: Path):
    first, second = app.test_client(), app.test_client()
    page1 = first.get(CARD).get_data(as_text=True)
    page2 = second.get(CARD).get_data(as_text=True)
    assert second.post("/salva/schede/B.2.yaml", data={**form_of(page2), **voce(PDZ_2022, "50000")}).status_code == 302
    r = first.post("/salva/schede/B.2.yaml", data={**form_of(page1), **voce(PDZ_2022, "60000")})
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 409
    assert "Non salvato: il file è stato modificato da un'altra persona" in html
    assert '>Ricarica</a>' in html
    assert 'value="60000"' in html            # the writer's unsaved value is still in the form
    assert "PdZ: € 50.000,00" in (plan / "schede" / "B.2.yaml").read_text(encoding="utf-8")   # nothing lost


def test_a_change_without_csrf_token_is_refused(client, plan: Path):
    page = client.get(CARD).get_data(as_text=True)
    data = {**form_of(page), **voce(PDZ_2022, "50000")}
    del data["csrf"]
    r = client.post("/salva/schede/B.2.yaml", data=data)
    assert r.status_code == 403
    assert "La modifica non è stata salvata: la pagina è scaduta (pdz studio è stato riavviato" in unescape(r.get_data(as_text=True))
    assert client.post("/salva/schede/B.2.yaml", data={**data, "csrf": "falso"}).status_code == 403
    assert client.post("/versioni", data={"messaggio": "x"}).status_code == 403
    assert git(plan, "status", "--porcelain") == ""


@pytest.mark.parametrize("url", ["/modifica/../piano.yaml", "/modifica/schede/../../segreto.yaml",
                                 "/modifica//etc/passwd", "/modifica/%2Fetc%2Fpasswd", "/modifica/schede/..%2F..%2Fsegreto.yaml",
                                 "/modifica/schede/fuori.yaml", "/modifica/.git/config", "/scarica/..%2Fsegreto.yaml",
                                 "/verifica/../segreto.yaml"])
def test_paths_outside_the_plan_are_refused(client, plan: Path, url: str):
    secret = plan.parent / "segreto.yaml"
    secret.write_text("segreto: non-leggere\n", encoding="utf-8")
    (plan / "schede" / "fuori.yaml").symlink_to(secret)
    page = client.get(CARD).get_data(as_text=True)
    r = (client.post(url, data=form_of(page)) if url.startswith("/verifica")
         else client.get(url, follow_redirects=True))   # «//» is first merged into «/» (a redirect)
    assert r.status_code == 404
    assert "non-leggere" not in r.get_data(as_text=True)


def test_a_card_title_with_a_script_is_shown_as_text(client, plan: Path):
    card = plan / "schede" / "B.2.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace(
        "titolo: Sostegno socio-educativo territoriale o domiciliare", 'titolo: "<script>alert(1)</script>"'), encoding="utf-8")
    html = client.get(CARD).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_chapter_preview_and_figures_picker(client):
    page = client.get("/modifica/capitoli/10-cap1.md").get_data(as_text=True)
    assert '<textarea id="testo" name="testo"' in page
    assert '<option value="{{ cifre.popolazione.totale }}">cifre.popolazione.totale = 70.275</option>' in page
    assert '<option value="{{ tabella(&#34;territorio&#34;) }}">tabella «Territorio e popolazione residente»</option>' in page
    assert ('<option value="{{ tabella_n(&#34;territorio&#34;) }}">numero della tabella «Territorio e popolazione '
            'residente»</option>') in page
    text = "---\nid: cap1\ntitolo: Prova\nordine: 30\nnumero: 1\n---\n\n## Sezione\n\nResidenti: {{ cifre.popolazione.totale }}.\n"
    html = client.post("/verifica/capitoli/10-cap1.md", data={**form_of(page), "testo": text}).get_data(as_text=True)
    preview = html.split('id="anteprima"', 1)[1]
    assert '<span class="num">1.1</span> Sezione</h2>' in preview and "<p>Residenti: 70.275.</p>" in preview
    # the preview numbers the chapter's tables as the document does, counting those of the chapters before it
    text += '\nCome nella {{ tabella_n("territorio") }}:\n\n{{ tabella("territorio") }}\n'
    html = client.post("/verifica/capitoli/10-cap1.md", data={**form_of(page), "testo": text}).get_data(as_text=True)
    preview = html.split('id="anteprima"', 1)[1]
    cited = re.search(r'<a class="rif-tabella" href="#tab-territorio">Tabella n\. (\d+)</a>', preview)
    caption = re.search(r'<caption><span class="numero-tabella">Tabella n\. (\d+)</span> – Territorio', preview)
    assert cited and caption and cited[1] == caption[1] and int(caption[1]) > 1



def test_a_chapter_citing_a_figure_that_does_not_exist_is_checked_without_its_preview(client, plan: Path):
    page = client.get("/modifica/capitoli/10-cap1.md").get_data(as_text=True)
    text = "---\nid: cap1\ntitolo: Prova\nordine: 30\nnumero: 1\n---\n\nResidenti: {{ cifre.popolazione.tot }}.\n"
    r = client.post("/verifica/capitoli/10-cap1.md", data={**form_of(page), "testo": text})   # half typed
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 200
    assert "capitoli/10-cap1.md:8:" in html and "nome sconosciuto «tot»" in html
    assert 'id="anteprima" class="anteprima" hx-swap-oob="true"><p>Anteprima non disponibile' in html
    chapter = plan / "capitoli" / "10-cap1.md"
    chapter.write_text(text, encoding="utf-8")
    r = client.get("/modifica/capitoli/10-cap1.md")
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 200
    assert "nome sconosciuto «tot»" in html and "Anteprima non disponibile finché restano errori" in html


def test_a_value_that_is_not_an_amount_is_shown_beside_its_field_and_not_saved(client, plan: Path):
    page = client.get(CARD).get_data(as_text=True)
    data = {**form_of(page), **voce(PDZ_2022, "45,600.00")}
    html = unescape(client.post("/verifica/schede/B.2.yaml", data=data).get_data(as_text=True))
    beside = re.search(r'id="msg-(\d+)" class="messaggi" hx-swap-oob="true"><p class="errore">2022 – PdZ: '
                       r'«45,600.00» non è un importo leggibile [^<]*<span class="codice">\[valore-modulo\]', html)
    assert beside and f'<a href="#campo-{beside.group(1)}">schede/B.2.yaml:37:1</a>' in html
    r = client.post("/salva/schede/B.2.yaml", data=data)
    assert r.status_code == 200 and "Non salvato:" in unescape(r.get_data(as_text=True))
    assert git(plan, "status", "--porcelain") == ""


def test_an_amount_is_added_for_a_year_and_a_funding_source_chosen_from_the_rules(client, plan: Path):
    page = client.get(CARD).get_data(as_text=True)
    assert '<option value="FGSA">FGSA – Fondo Globale Socio-Assistenziale</option>' in page
    new = 'f["programmazione"]'
    data = {**form_of(page), f"{new}.anno": "2023", f"{new}.fonte": "FGSA", f"{new}.importo": "1.000"}
    assert client.post("/salva/schede/B.2.yaml", data=data).status_code == 302
    diff = git(plan, "diff", "-U0")
    assert "+    FGSA: € 1.000,00\n" in diff
    assert git(plan, "diff", "--numstat") == "1\t0\tschede/B.2.yaml\n"


def test_non_local_host_without_accounts_refuses_to_start(plan: Path, tmp_path: Path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "studio", str(plan), "--host", "0.0.0.0", "--port", "0"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1
    assert "servono gli utenti" in r.stderr and "pdz studio utenti aggiungi NOME" in r.stderr
    assert "Traceback" not in r.stderr


def test_another_host_name_is_refused_on_loopback(plan: Path):
    from pdz_docs.studio.app import Config, create_app

    app = create_app(Config(plan, None, ("127.0.0.1:8700",)))
    try:
        c = app.test_client()
        assert c.get("/", headers={"Host": "127.0.0.1:8700"}).status_code == 200
        assert c.get("/", headers={"Host": "attaccante.example:8700"}).status_code == 403
    finally:
        app.extensions["pdz_studio"]["close"]()


@pytest.fixture
def office(plan: Path, tmp_path: Path):
    """The app as served on the office network: accounts in a users file outside the plan."""
    from pdz_docs.studio import accounts
    from pdz_docs.studio.app import Config, create_app

    users = tmp_path / "utenti.json"
    accounts.aggiungi("maria", "password-di-maria", "editor", users)
    accounts.aggiungi("luca", "password-di-luca", "lettore", users)
    app = create_app(Config(plan, users))
    yield app
    app.extensions["pdz_studio"]["close"]()


def login(client, name: str, password: str):
    page = client.get("/accesso").get_data(as_text=True)
    return client.post("/accesso", data={**form_of(page), "nome": name, "password": password})


def test_office_network_requires_login_with_safe_cookies(office):
    c = office.test_client()
    r = c.get(CARD)
    assert r.status_code == 302 and r.headers["Location"].endswith("/accesso")
    r = login(c, "maria", "password-di-maria")
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert c.get(CARD).status_code == 200


def test_wrong_passwords_are_rate_limited(office):
    c = office.test_client()
    codes = [login(c, "maria", f"sbagliata-{i}").status_code for i in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    r = login(c, "maria", "password-di-maria")   # even the right password waits now
    assert r.status_code == 429
    assert "Troppi tentativi di accesso non riusciti: riprovare tra" in unescape(r.get_data(as_text=True))


def test_a_reader_cannot_save(office, plan: Path):
    c = office.test_client()
    assert "/modifica/" not in c.get("/accesso").get_data(as_text=True)   # before login, nothing of the plan
    login(c, "luca", "password-di-luca")
    page = c.get(CARD).get_data(as_text=True)
    assert 'id="salva"' not in page
    assert "Sola lettura: con il proprio ruolo si può leggere il piano, non modificarlo." in unescape(page)
    assert '<fieldset class="sola-lettura" disabled>' in page and 'value="€ 45.600,00"' in page
    r = c.post("/salva/schede/B.2.yaml", data={**form_of(page), **voce(PDZ_2022, "50000")})
    assert r.status_code == 403
    assert git(plan, "status", "--porcelain") == ""


def test_users_command_is_reached_through_pdz_studio(tmp_path: Path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "studio", "utenti", "elenco"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0
    assert "Nessun utente" in r.stdout


def test_versions_page_saves_a_version_authored_by_the_person_and_approves_it(office, plan: Path):
    c = office.test_client()
    login(c, "maria", "password-di-maria")
    page = c.get(CARD).get_data(as_text=True)
    c.post("/salva/schede/B.2.yaml", data={**form_of(page), **voce(PDZ_2022, "50000")})
    page = c.get("/versioni").get_data(as_text=True)
    r = c.post("/versioni", data={**form_of(page), "messaggio": "PdZ 2022 della B.2"}, follow_redirects=True)
    assert "Versione salvata." in r.get_data(as_text=True)
    assert git(plan, "log", "-1", "--format=%an|%s") == "maria|PdZ 2022 della B.2\n"
    r = c.post("/approva", data={**form_of(page), "nome": "approvato-2023-03-15", "nota": "Delibera n. 5"},
               follow_redirects=True)
    html = unescape(r.get_data(as_text=True))
    assert "segnata come approvata («approvato-2023-03-15»)" in html
    assert "<td>maria</td><td>PdZ 2022 della B.2</td><td>approvato-2023-03-15</td>" in html
    assert git(plan, "tag") == "approvato-2023-03-15\n"


class _Form(HTMLParser):
    """What a browser would send for the page's form #modulo, untouched."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: list[tuple[str, str]] = []
        self.inside = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.first_option: str | None = None
        self.chosen = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "modulo"
        if not self.inside or "name" not in a and tag != "option":
            return
        if tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            # a browser drops the line breaks of a one-line field's value (HTML value sanitization)
            self.data.append((a["name"], re.sub(r"[\r\n]", "", a.get("value", ""))))
        elif tag == "select":
            self.select, self.first_option, self.chosen = a["name"], None, False
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
            if "selected" in a:
                self.data.append((self.select, a.get("value", "")))
                self.chosen = True
        elif tag == "textarea":
            self.textarea = a["name"]
            self.data.append((a["name"], ""))

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            if not self.chosen and self.first_option is not None:
                self.data.append((self.select, self.first_option))
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self.textarea:
            name, value = self.data[-1]
            self.data[-1] = (name, value + data)


def untouched(html: str) -> MultiDict:
    parser = _Form()
    parser.feed(html)
    # a textarea's first newline is not part of its value, as browsers read it; they send its lines
    # ended by CRLF
    return MultiDict([(k, re.sub(r"\r?\n", "\r\n", v[1:] if v.startswith("\n") and k.startswith("f") and k != "testo"
                                 else v)) for k, v in parser.data])


def open_and_save_every_file(client) -> int:
    pages = list(dict.fromkeys(re.findall(r'<a href="(/modifica/[^"#]+)"', client.get("/").get_data(as_text=True))))
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        r = client.post(url.replace("/modifica/", "/salva/"), data=untouched(html))
        assert r.status_code == 302, (url, unescape(r.get_data(as_text=True))[:2000])
    return len(pages)


def test_every_file_of_the_default_plan_opens_and_saves_untouched_byte_for_byte(client, plan: Path):
    assert open_and_save_every_file(client) == 2 + len(list((plan / "schede").glob("*.yaml"))) \
        + len(list((plan / "capitoli").glob("*.md")))
    assert git(plan, "status", "--porcelain") == ""


def test_every_file_of_a_new_plan_opens_and_saves_untouched(tmp_path: Path):
    from pdz_docs.studio.app import Config, create_app

    new = tmp_path / "nuovo"
    subprocess.run([sys.executable, "-m", "pdz_docs", "new", str(new), "--ambito", "Prova", "--provincia", "Lecce",
                    "--comuni", "Alfa,Beta"], check=True, capture_output=True)
    before = {p: p.read_bytes() for p in new.rglob("*") if p.is_file()}
    app = create_app(Config(new))
    try:
        assert open_and_save_every_file(app.test_client()) >= 3
    finally:
        app.extensions["pdz_studio"]["close"]()
    assert {p: p.read_bytes() for p in new.rglob("*") if p.is_file()} == before


def test_a_budget_amount_becomes_pending_with_its_expected_figure_in_one_line(client, plan: Path):
    page = client.get("/modifica/finanza.yaml").get_data(as_text=True)
    fna = 'f["budget","FNA",2022]'
    r = client.post("/salva/finanza.yaml", data={**form_of(page), f"{fna}.stato": "in_attesa", f"{fna}.importo": "",
                                                f"{fna}.previsto": "200.000", f"{fna}.nota": "decreto atteso"})
    assert r.status_code == 302
    assert git(plan, "diff", "--numstat") == "1\t1\tfinanza.yaml\n"
    assert '+  FNA: {2022: {in_attesa: si, previsto: "€ 200.000,00", nota: decreto atteso}}\n' in git(plan, "diff")
    page = client.get("/modifica/finanza.yaml").get_data(as_text=True)
    assert '<option value="in_attesa" selected>in attesa di assegnazione</option>' in page


def test_a_card_with_a_yaml_error_is_reported_and_never_overwritten(client, plan: Path):
    card = plan / "schede" / "B.2.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("codice: B.2", "codice: [B.2", 1), encoding="utf-8")
    before = card.read_bytes()
    page = client.get(CARD).get_data(as_text=True)
    assert "[yaml-" in page
    r = client.post("/salva/schede/B.2.yaml", data={**form_of(page), "f[\"titolo\"]": "Nuovo titolo"})
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 409 and "Il file non si può modificare dal browser" in html and "Traceback" not in html
    assert card.read_bytes() == before
    assert "[yaml-" in client.post("/verifica/schede/B.2.yaml", data=form_of(page)).get_data(as_text=True)


def test_the_spreadsheet_is_built_from_the_page_and_downloaded(client):
    page = client.get(CARD).get_data(as_text=True)
    r = client.post("/produci", data={**form_of(page), "formato": "xlsx"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "Documenti prodotti." in html
    name = re.search(r'href="/scarica/([^"]+\.xlsx)"', html).group(1)
    r = client.get(f"/scarica/{name}")
    assert r.status_code == 200 and r.data.startswith(b"PK")
    assert r.headers["Content-Disposition"].startswith("attachment")


def test_the_browser_is_opened_only_where_there_is_a_display(monkeypatch):
    from pdz_docs.studio import server

    monkeypatch.setattr(server.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not server.has_display()
    monkeypatch.setenv("DISPLAY", ":0")
    assert server.has_display()


def test_a_chapter_is_saved_as_typed_and_a_stale_page_gets_the_conflict(app, plan: Path):
    chapter = plan / "capitoli" / "10-cap1.md"
    first, second = app.test_client(), app.test_client()
    page1 = first.get("/modifica/capitoli/10-cap1.md").get_data(as_text=True)
    page2 = second.get("/modifica/capitoli/10-cap1.md").get_data(as_text=True)
    old = chapter.read_text(encoding="utf-8")
    new = old.replace("I dati demografici sono", "I dati demografici del 2021 sono", 1)
    r = first.post("/salva/capitoli/10-cap1.md", data={**form_of(page1), "testo": new.replace("\n", "\r\n")})
    assert r.status_code == 302
    assert git(plan, "diff", "--numstat") == "1\t1\tcapitoli/10-cap1.md\n"
    r = second.post("/salva/capitoli/10-cap1.md", data={**form_of(page2), "testo": old + "\nAltro.\n"})
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 409
    assert "Non salvato: il file è stato modificato da un'altra persona" in html and "Altro." in html
    assert chapter.read_text(encoding="utf-8") == new



def test_a_chapter_too_big_to_open_again_is_refused_and_its_text_stays_on_the_page(client, plan: Path):
    chapter = plan / "capitoli" / "10-cap1.md"
    page = client.get("/modifica/capitoli/10-cap1.md").get_data(as_text=True)
    text = chapter.read_text(encoding="utf-8") + "parola " * 400_000
    r = client.post("/salva/capitoli/10-cap1.md", data={**form_of(page), "testo": text})
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 200
    assert "Non salvato: il file supererebbe il limite di 2 MB; scrivere un testo più breve" in html
    assert html.count("parola ") >= 400_000              # what was typed is still on the page
    assert git(plan, "status", "--porcelain") == ""
    assert client.get("/modifica/capitoli/10-cap1.md").status_code == 200


def test_a_new_item_and_a_new_amount_typed_stay_on_a_page_that_was_not_saved(app, plan: Path):
    first, second = app.test_client(), app.test_client()
    page1 = first.get(CARD).get_data(as_text=True)
    page2 = second.get(CARD).get_data(as_text=True)
    assert second.post("/salva/schede/B.2.yaml", data={**form_of(page2), **voce(PDZ_2022, "50000")}).status_code == 302
    new_amount = 'f["programmazione"]'
    r = first.post("/salva/schede/B.2.yaml", data={**form_of(page1), 'f["servizi",2,"denominazione"]': "Sportello famiglie",
                                                    "aggiungi": 'f["servizi"]', f"{new_amount}.anno": "2024",
                                                    f"{new_amount}.fonte": "PAIS", f"{new_amount}.importo": "1.500"})
    html = unescape(r.get_data(as_text=True))
    assert r.status_code == 409 and "Non salvato: il file è stato modificato da un'altra persona" in html
    assert 'value="Sportello famiglie"' in html                    # the new service as typed
    assert '<option value="2024" selected>' in html and '<option value="PAIS" selected>' in html and 'value="1.500"' in html


def test_a_service_is_added_to_a_card_with_its_required_fields(client, plan: Path):
    page = client.get(CARD).get_data(as_text=True)
    assert '<legend>Nuovo servizio</legend>' in page
    data = {**form_of(page), 'f["servizi",2,"denominazione"]': "Sportello famiglie", "aggiungi": 'f["servizi"]'}
    assert client.post("/salva/schede/B.2.yaml", data=data).status_code == 302
    diff = git(plan, "diff", "-U0")
    assert "+  - denominazione: Sportello famiglie\n" in diff
    assert git(plan, "diff", "--numstat") == "1\t0\tschede/B.2.yaml\n"
    assert "<legend>Servizio 3</legend>" in client.get(CARD).get_data(as_text=True)
    page = client.get(CARD).get_data(as_text=True)
    # «Salva» comes first in the form, so Enter in a field saves and never adds an item
    assert page.index('id="salva-su"') < page.index('name="aggiungi"')
    r = client.post("/salva/schede/B.2.yaml", data={**form_of(page), "aggiungi": 'f["servizi"]'})
    assert r.status_code == 200 and "compilare i campi del nuovo elemento" in unescape(r.get_data(as_text=True))


def test_an_objective_is_removed_with_its_own_line_only(client, plan: Path):
    page = client.get(CARD).get_data(as_text=True)
    r = client.post("/salva/schede/B.2.yaml", data={**form_of(page), "rimuovi": 'f["obiettivi",1]'})
    assert r.status_code == 302
    assert git(plan, "diff", "-U0").count("\n-  ") == 1
    assert "-  - {area: famiglie-minori, lettera: C}\n" in git(plan, "diff")
    assert git(plan, "diff", "--numstat") == "0\t1\tschede/B.2.yaml\n"


def test_a_text_written_on_several_lines_is_kept_when_another_field_is_saved(client, plan: Path):
    card = plan / "schede" / "A.1.yaml"
    one_line = "    utenza: Cittadini residenti nell'Ambito Territoriale Sociale di Casarano\n"
    two_lines = "    utenza: |\n      Cittadini residenti nell'Ambito\n      Territoriale Sociale di Casarano\n"
    card.write_text(card.read_text(encoding="utf-8").replace(one_line, two_lines, 1), encoding="utf-8")
    before = card.read_text(encoding="utf-8")
    html = client.get("/modifica/schede/A.1.yaml").get_data(as_text=True)
    data = untouched(html)
    data["f[\"programmazione\",2024,\"PdZ\"].importo"] = "1.234,50"
    assert client.post("/salva/schede/A.1.yaml", data=data).status_code == 302
    after = card.read_text(encoding="utf-8")
    assert after == before.replace("PdZ: € 0,00", "PdZ: € 1.234,50", 1)


def test_a_page_refused_for_a_wrong_amount_keeps_the_lists_as_typed_and_saves_them_after_the_fix(client, plan: Path):
    field = 'f["programmazione",2024,"PdZ"].importo'
    data = untouched(client.get("/modifica/schede/A.1.yaml").get_data(as_text=True))
    data[field] = "45,600.00"
    refused = client.post("/salva/schede/A.1.yaml", data=data)
    assert refused.status_code == 200 and "Non salvato:" in unescape(refused.get_data(as_text=True))
    again = untouched(refused.get_data(as_text=True))
    assert again['f["livelli_priorita","leps"]'] == "Rete di Segretariato Sociale\r\nRete per l'accesso integrato (PUA-UVM)"
    again[field] = "45.600,00"
    assert client.post("/salva/schede/A.1.yaml", data=again).status_code == 302
    assert git(plan, "diff", "--numstat") == "1\t1\tschede/A.1.yaml\n"


def test_a_list_longer_than_a_file_can_hold_is_refused_beside_its_field(client, plan: Path):
    data = untouched(client.get("/modifica/schede/A.1.yaml").get_data(as_text=True))
    data['f["risultati_attesi"]'] = "voce\r\n" * 60_000
    html = unescape(client.post("/salva/schede/A.1.yaml", data=data).get_data(as_text=True))
    assert "Non salvato: Risultati attesi: troppe voci (60.000): un file ne contiene al massimo 50.000" in html
    assert git(plan, "status", "--porcelain") == ""


def test_a_text_that_would_make_the_file_too_big_to_open_again_is_refused_beside_its_field(client, plan: Path):
    data = untouched(client.get("/modifica/schede/A.1.yaml").get_data(as_text=True))
    data['f["titolo"]'] = "x" * 2_500_000
    html = unescape(client.post("/salva/schede/A.1.yaml", data=data).get_data(as_text=True))
    assert "Non salvato: Titolo: il file supererebbe il limite di 2 MB; scrivere un testo più breve" in html
    assert git(plan, "status", "--porcelain") == ""


def test_a_chapter_linked_from_outside_the_plan_is_reported_as_pdz_check_does(client, plan: Path, tmp_path: Path):
    outside = tmp_path / "fuori.md"
    outside.write_text("Testo di un'altra cartella.\n", encoding="utf-8")
    (plan / "capitoli" / "95-collegato.md").symlink_to(outside)
    html = " ".join(unescape(client.get("/").get_data(as_text=True)).split())
    assert ('<span class="luogo">capitoli/95-collegato.md</span>: il file è un collegamento a un percorso fuori '
            "dalla cartella del piano") in html   # no page edits it: no link
    assert "Testo di un'altra cartella" not in html
    assert outside.read_text(encoding="utf-8") == "Testo di un'altra cartella.\n"


def test_a_list_entry_made_of_digits_is_saved_as_the_text_the_model_expects(client, plan: Path):
    card = plan / "schede" / "A.1.yaml"
    data = untouched(client.get("/modifica/schede/A.1.yaml").get_data(as_text=True))
    operators = 'f["servizi",0,"operatori"]'
    data[operators] += "\r\n73042\r\n2024\r\n0123"
    data['f["servizi",0,"articoli_rr"]'] = "83\r\n0123"   # a whole number or a text: 0123 stays as written
    assert client.post("/salva/schede/A.1.yaml", data=data).status_code == 302
    diff = git(plan, "diff", "-U0")
    assert '+      - "73042"\n+      - "2024"\n+      - "0123"\n' in diff
    assert '+    articoli_rr: [83, "0123"]\n' in diff
    home = " ".join(unescape(client.get("/").get_data(as_text=True)).split())
    assert "schede/A.1.yaml:" not in home   # no problem in the card: each entry has the type the model expects
    saved = card.read_bytes()
    again = untouched(client.get("/modifica/schede/A.1.yaml").get_data(as_text=True))
    assert again[operators].endswith("\r\n73042\r\n2024\r\n0123")
    assert client.post("/salva/schede/A.1.yaml", data=again).status_code == 302
    assert card.read_bytes() == saved


def test_wrong_passwords_sent_at_the_same_time_are_rate_limited_all_the_same(plan: Path, tmp_path: Path, monkeypatch):
    """Twenty wrong logins sent at once: only as many are tried as one after the other would be."""
    import functools
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from werkzeug.serving import make_server

    from pdz_docs.studio import accounts
    from pdz_docs.studio.app import Config, create_app

    # the clock stands still: however slowly this machine answers, no wait runs out during the test
    monkeypatch.setattr(accounts, "Limitatore", functools.partial(accounts.Limitatore, clock=lambda: 1000.0))
    users = tmp_path / "utenti.json"
    accounts.aggiungi("maria", "password-di-maria", "editor", users)
    office = create_app(Config(plan, users))
    server = make_server("127.0.0.1", 0, office, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with urllib.request.urlopen(base + "/accesso") as r:
            cookie = r.headers["Set-Cookie"].split(";", 1)[0]
            token = form_of(r.read().decode("utf-8"))["csrf"]

        def attempt(i: int) -> int:
            body = urllib.parse.urlencode({"csrf": token, "nome": "maria", "password": f"sbagliata-{i}"}).encode()
            request = urllib.request.Request(base + "/accesso", data=body, headers={"Cookie": cookie})
            try:
                with urllib.request.urlopen(request) as r:
                    return r.status
            except urllib.error.HTTPError as exc:
                return exc.code

        with ThreadPoolExecutor(20) as pool:
            codes = sorted(pool.map(attempt, range(20)))
    finally:
        server.shutdown()
        server.server_close()
        office.extensions["pdz_studio"]["close"]()
    assert codes == [401] * 5 + [429] * 15


def verifica_links(client) -> list[tuple[str, str]]:
    """(link, location) of each problem of the «Verifica» page; a location without a page has no link."""
    html = unescape(client.get("/").get_data(as_text=True))
    return re.findall(r'<a href="([^"]+)">([^<]+:\d+:\d+)</a>', html) + \
        [("", loc) for loc in re.findall(r'<span class="luogo">([^<]+)</span>', html)]


def test_a_problem_in_a_folder_linked_inside_the_plan_links_to_its_page(client, plan: Path):
    (plan / "capitoli").rename(plan / "testi")
    (plan / "capitoli").symlink_to("testi")
    chapter = plan / "testi" / "20-cap2.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nUn riferimento {{ cifre.inesistente }}.\n", encoding="utf-8")
    links = dict((loc.rsplit(":", 2)[0], href) for href, loc in verifica_links(client))
    assert links["capitoli/20-cap2.md"] == "/modifica/capitoli/20-cap2.md"   # as pdz check locates it
    html = unescape(client.get(links["capitoli/20-cap2.md"]).get_data(as_text=True))
    assert "nome sconosciuto «inesistente»" in html


def test_a_problem_in_a_file_linked_inside_the_plan_never_links_to_a_missing_page(client, plan: Path):
    (plan / "testi").mkdir()
    (plan / "capitoli" / "20-cap2.md").rename(plan / "testi" / "cap2.md")
    (plan / "capitoli" / "20-cap2.md").symlink_to("../testi/cap2.md")
    chapter = plan / "testi" / "cap2.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nUn riferimento {{ cifre.inesistente }}.\n", encoding="utf-8")
    found = verifica_links(client)
    assert [href for href, loc in found if loc.startswith("capitoli/20-cap2.md:")] == [""]
    assert all(client.get(href.split("#")[0]).status_code == 200 for href, _ in found if href)


def test_a_folder_linked_from_outside_the_plan_is_reported_as_pdz_check_does(client, plan: Path, tmp_path: Path):
    outside = tmp_path / "altri-capitoli"
    (plan / "capitoli").rename(outside)
    (outside / "10-cap1.md").write_text("Testo di un'altra cartella.\n", encoding="utf-8")
    (plan / "capitoli").symlink_to(outside)
    html = " ".join(unescape(client.get("/").get_data(as_text=True)).split())
    assert ('<span class="luogo">capitoli</span>: la cartella capitoli/ è un collegamento a un percorso fuori '
            "dalla cartella del piano") in html
    assert "Testo di un'altra cartella" not in html
    assert client.get("/modifica/capitoli/10-cap1.md").status_code == 404
    assert "/modifica/capitoli/" not in html   # nor is it offered in the list of files


def test_a_card_and_a_chapter_named_as_windows_saves_them_have_their_pages(client, plan: Path):
    (plan / "schede" / "B.2.yaml").rename(plan / "schede" / "B.2.yml")
    (plan / "capitoli" / "10-cap1.md").rename(plan / "capitoli" / "10-cap1.MD")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/modifica/schede/B.2.yml"' in home and 'href="/modifica/capitoli/10-cap1.MD"' in home
    page = client.get("/modifica/schede/B.2.yml").get_data(as_text=True)
    r = client.post("/salva/schede/B.2.yml", data={**form_of(page), **voce(PDZ_2022, "50000")})
    assert r.status_code == 302
    assert "    PdZ: € 50.000,00\n" in (plan / "schede" / "B.2.yml").read_text(encoding="utf-8")
    page = client.get("/modifica/capitoli/10-cap1.MD").get_data(as_text=True)
    assert '<textarea id="testo" name="testo"' in page and "Anteprima non disponibile" not in page


def test_pages_and_the_list_of_files_name_the_plan_as_its_writers_do(client):
    def headings(url: str) -> list[str]:   # the page's own heading (a chapter's preview has the chapter's)
        return re.findall(r"<h1>(.*?)</h1>", unescape(client.get(url).get_data(as_text=True)))[:1]

    assert headings(CARD) == ["Scheda B.2 – Sostegno socio-educativo territoriale o domiciliare"]
    assert headings("/modifica/capitoli/10-cap1.md") == [
        "Capitolo I – Analisi del contesto socio-demografico e del sistema di offerta dei servizi"]
    assert headings("/modifica/capitoli/00-prefazione.md") == ["Prefazione"]
    assert headings("/modifica/piano.yaml") == ["Dati generali e Comuni"]
    nav = unescape(client.get("/").get_data(as_text=True)).split('aria-label="Sezioni del piano"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<a href="/modifica/[^"]+">([^<]+)</a>', nav)[:3] == ["Dati generali e Comuni", "Risorse finanziarie",
                                                                              "Scheda A.1"]
    assert re.findall(r'<a href="/modifica/capitoli/[^"]+">([^<]+)</a>', nav) == [
        "Prefazione", "Introduzione – Il percorso di concertazione e di programmazione partecipata", "Capitolo I", "Capitolo II",
        "Capitolo III", "Capitolo IV", "Allegati al Piano di Zona"]
    page = client.get(CARD).get_data(as_text=True)
    assert "<legend>Servizio 1</legend>" in page and ">Rimuovi il servizio 1</button>" in page
    assert "<legend>Nuovo obiettivo</legend>" in page
    labels = re.findall(r'<label for="campo-\d+"[^>]*>([^<]+)</label>', unescape(page))
    assert "LEPS" in labels and "Altra valenza territoriale (quale)" in labels   # the rules' name of a priority level


def test_the_versions_page_tells_a_refusal_as_such_and_never_what_its_address_says(client):
    page = client.get("/versioni").get_data(as_text=True)
    r = client.post("/versioni", data={**form_of(page), "messaggio": "niente"}, follow_redirects=True)
    html = unescape(r.get_data(as_text=True))
    assert ('<p class="errore-box" role="alert" id="esito">Versione non salvata: nessuna modifica da salvare: '
            "il piano è uguale all'ultima versione salvata.</p>") in html
    assert 'id="esito"' not in client.get("/versioni").get_data(as_text=True)    # told once
    html = client.get("/versioni?m=Password+scaduta:+scriverla+a+questo+indirizzo").get_data(as_text=True)
    assert "Password scaduta" not in html


def test_a_new_plans_blank_amount_is_filled_in_the_browser(tmp_path: Path):
    """`pdz new` leaves every amount `~`: the browser shows it empty, and a figure typed there replaces the `~` on
    its own line, in the form the plan writes amounts; the draft no longer lists it among the elements to complete."""
    from pdz_docs.pipeline import run
    from pdz_docs.studio.app import Config, create_app

    new = tmp_path / "nuovo"
    subprocess.run([sys.executable, "-m", "pdz_docs", "new", str(new), "--ambito", "Prova", "--provincia", "Lecce",
                    "--comuni", "Alfa,Beta"], check=True, capture_output=True)
    fin = new / "finanza.yaml"
    before = fin.read_text(encoding="utf-8")
    assert "    Alfa: ~\n" in before
    app = create_app(Config(new))
    try:
        client = app.test_client()
        page = client.get("/modifica/finanza.yaml").get_data(as_text=True)
        name = 'f["spesa_storica","comuni","Alfa"]'
        field = re.search(r'<input [^>]*name="' + re.escape(name.replace('"', "&#34;")) + r'"[^>]*>', page).group(0)
        assert 'value=""' in field
        form = untouched(page)
        form[name] = "450.000"
        assert client.post("/salva/finanza.yaml", data=form).status_code == 302
    finally:
        app.extensions["pdz_studio"]["close"]()
    after = fin.read_text(encoding="utf-8")
    assert after == before.replace("    Alfa: ~\n", "    Alfa: € 450.000,00\n", 1)
    assert not [e for e in run(new)[0].da_completare if "Alfa 2018-2020" in e.cosa]
