"""The browser editor in a real browser (Debian's chromium through Selenium and chromedriver).

The writer's path: open a card, make a fund over-programmed, see the error beside the field and in the
funds panel, fix it, save (one changed line, every comment kept), save a version, build the PDF and
download it. The README's screenshots are taken here: PDZ_SCREENSHOTS=1 writes them to docs/studio-*.png
(otherwise to the test's temporary folder, so that a test run leaves the work tree as it was).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT
from studio_fixtures import app, git, live, plan  # noqa: F401 (fixtures)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (extra test) non installato")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not (Path(CHROMEDRIVER).exists() and Path(CHROMIUM).exists()),
                                reason="chromium o chromium-driver non installati (bash run test li installa, da root)")
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PDZ_2022 = 'f["programmazione",2022,"PdZ"]'


@pytest.fixture
def browser(tmp_path: Path):
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--lang=it-IT", "--disable-gpu"):
        options.add_argument(arg)
    downloads = tmp_path / "scaricati"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    # the system's chromedriver, given explicitly: Selenium Manager never downloads a driver
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


def wait(driver, condition, timeout: float = 60.0, what: str = ""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition, message=what)


def amount_input(driver):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, f"//input[@name='{PDZ_2022}.importo']")


def messages_of(driver, element) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element.get_attribute("aria-describedby")).text


def retype(element, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def test_edit_a_card_see_the_error_fix_save_version_and_download_the_pdf(browser, live, plan: Path, tmp_path: Path):
    from selenium.webdriver.common.by import By

    shots = ROOT / "docs" if os.environ.get("PDZ_SCREENSHOTS") == "1" else tmp_path

    card = plan / "schede" / "B.2.yaml"
    comments = [ln for ln in card.read_text(encoding="utf-8").splitlines() if ln.lstrip().startswith("#")]
    browser.get(f"{live}/modifica/schede/B.2.yaml")
    field = amount_input(browser)
    assert field.get_attribute("value") == "€ 45.600,00"

    retype(field, "4000000")
    wait(browser, lambda d: "fonte-eccedente" in messages_of(d, amount_input(d)), what="no error beside the field")
    assert "programma € 4.000.000,00 della fonte PdZ nel 2022" in messages_of(browser, amount_input(browser))
    panel = browser.find_element(By.ID, "pannello")
    assert "la fonte PdZ è programmata nel 2022 per € 5.709.100,39" in panel.text
    listed = browser.find_element(By.CSS_SELECTOR, "#verifica a[href^='#campo-']")
    assert listed.text.startswith("schede/B.2.yaml:")
    shots.mkdir(exist_ok=True)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", amount_input(browser))
    browser.save_screenshot(str(shots / "studio-scheda.png"))

    retype(amount_input(browser), "50.000,00")
    wait(browser, lambda d: "fonte-eccedente" not in d.find_element(By.ID, "verifica").text, what="error not gone")
    assert "fonte-eccedente" not in browser.find_element(By.ID, "pannello").text
    browser.find_element(By.ID, "salva").click()
    wait(browser, lambda d: d.find_elements(By.ID, "salvato"), what="not saved")
    assert git(plan, "diff", "--numstat") == "1\t1\tschede/B.2.yaml\n"
    assert "+    PdZ: € 50.000,00\n" in git(plan, "diff")
    assert [ln for ln in card.read_text(encoding="utf-8").splitlines() if ln.lstrip().startswith("#")] == comments

    browser.get(f"{live}/")
    browser.save_screenshot(str(shots / "studio-verifica.png"))

    browser.get(f"{live}/versioni")
    browser.find_element(By.ID, "messaggio").send_keys("PdZ 2022 della scheda B.2")
    browser.find_element(By.ID, "salva-versione").click()
    wait(browser, lambda d: d.find_elements(By.ID, "esito"), what="no outcome")
    assert git(plan, "log", "-1", "--format=%s") == "PdZ 2022 della scheda B.2\n"
    assert git(plan, "status", "--porcelain") == ""

    browser.find_element(By.ID, "produci").click()
    wait(browser, lambda d: d.find_elements(By.PARTIAL_LINK_TEXT, ".pdf"), timeout=300, what="no PDF built")
    browser.find_element(By.PARTIAL_LINK_TEXT, ".pdf").click()
    pdfs = wait(browser, lambda d: [p for p in browser.downloads.glob("*.pdf")], timeout=60, what="no download")
    time.sleep(0.5)
    assert pdfs[0].read_bytes().startswith(b"%PDF-")


@pytest.mark.skipif(not AXE.exists(), reason="axe-core non installato (bash run test lo installa con npm)")
@pytest.mark.parametrize("page", ["/modifica/schede/B.2.yaml", "/", "/modifica/capitoli/10-cap1.md", "/modifica/piano.yaml",
                                  "/versioni"])
def test_pages_have_no_axe_violations(browser, live, page: str):
    """axe-core's rules (WCAG A and AA, best practices) on the card form, the page writers use most, and the others."""
    browser.get(live + page)
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    result = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (r) { done(r.violations.map("
        "function (v) { return v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 3).map(function (n) {"
        " return n.target.join(' '); }).join(', '); })); });")
    assert result == []


def test_comuni_grid_totals_follow_what_is_typed(browser, live):
    from selenium.webdriver.common.by import By

    browser.get(f"{live}/modifica/piano.yaml")
    total = browser.find_element(By.CSS_SELECTOR, "table.griglia tfoot output[data-colonna='2']")
    assert total.text == "70.275"     # the residents of the seven Comuni
    field = browser.find_element(By.XPATH, "//input[@name='f[\"comuni\",0,\"popolazione\"]']")
    retype(field, "20552")
    wait(browser, lambda d: total.text == "71.275", timeout=10, what="total not updated")


def test_two_pages_editing_one_card_the_second_save_gets_the_conflict(browser, live, plan: Path):
    from selenium.webdriver.common.by import By

    browser.get(f"{live}/modifica/schede/B.2.yaml")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(f"{live}/modifica/schede/B.2.yaml")
    retype(amount_input(browser), "50.000")
    browser.find_element(By.ID, "salva").click()
    wait(browser, lambda d: d.find_elements(By.ID, "salvato"), what="first save failed")

    browser.switch_to.window(first)
    retype(amount_input(browser), "60.000")
    browser.find_element(By.ID, "salva").click()
    box = wait(browser, lambda d: d.find_elements(By.ID, "conflitto"), what="no conflict message")[0]
    assert "Non salvato: il file è stato modificato da un'altra persona" in box.text
    assert amount_input(browser).get_attribute("value") == "60.000"    # what was typed is still there
    assert "PdZ: € 50.000,00" in (plan / "schede" / "B.2.yaml").read_text(encoding="utf-8")
    box.find_element(By.LINK_TEXT, "Ricarica").click()
    wait(browser, lambda d: amount_input(d).get_attribute("value") == "€ 50.000,00", what="not reloaded")


def test_pages_fit_the_window_and_the_comuni_grid_scrolls_in_its_box(browser, live):
    from selenium.webdriver.common.by import By

    for url in ("/", "/modifica/piano.yaml", "/modifica/schede/B.2.yaml", "/modifica/capitoli/10-cap1.md", "/versioni"):
        browser.get(live + url)
        assert browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth") \
            == 0, f"{url} scrolls sideways"
    browser.get(f"{live}/modifica/piano.yaml")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.griglia tbody tr")
    heights = [r.size["height"] for r in rows[:7]]
    assert max(heights) < 3.5 * min(heights), heights   # Parabita's warning: a few lines, not a column of words
    assert browser.find_element(By.CSS_SELECTOR, "table.griglia tfoot output[data-colonna='3']").text == "1.795"


def test_an_amount_shows_the_inputs_of_its_state(browser, live):
    from selenium.webdriver.support.ui import Select

    browser.get(f"{live}/modifica/schede/B.2.yaml")

    def shown() -> list[str]:
        return [part for part in ("importo", "previsto", "nota")
                if browser.find_element("xpath", f"//input[@name='{PDZ_2022}.{part}']").is_displayed()]

    assert shown() == ["importo", "nota"]
    state = Select(browser.find_element("xpath", f"//select[@name='{PDZ_2022}.stato']"))
    state.select_by_value("in_attesa")
    assert shown() == ["previsto", "nota"]
    state.select_by_value("non_indicato")
    assert shown() == ["nota"]


def test_a_page_opened_before_the_studio_restarted_says_so_while_typing(browser, live, app):
    from selenium.webdriver.common.by import By

    browser.get(f"{live}/modifica/schede/B.2.yaml")
    app.secret_key = b"x" * 32    # as a new start draws a new key: the page's session and token are void
    retype(amount_input(browser), "50.000")
    wait(browser, lambda d: "è scaduta" in d.find_element(By.ID, "verifica").text, timeout=20, what="no message")
    browser.find_element(By.ID, "salva").click()
    wait(browser, lambda d: "La modifica non è stata salvata: la pagina è scaduta" in d.find_element(By.TAG_NAME, "main").text,
         what="no message on save")
