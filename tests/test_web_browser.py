"""End to end in real headless Chromium (Debian's `chromium`, driven by Playwright): sign in,
filter the queue, open an ad and see its evidence highlighted, decide, find the decision in the
audit log; a viewer is refused a decision. The pages work under the workspace's CSP (no inline
script), and the browser reports no CSP violation. Skips unless AMBERLINE_CHROMIUM names the browser
(`.ci/services/chromium.sh` installs it and exports the variable)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from web_helpers import BACKENDS, PASSWORD, app_for, database, live_server, seed

CHROMIUM = os.environ.get("AMBERLINE_CHROMIUM")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="set AMBERLINE_CHROMIUM to run browser tests")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    with database(request.param, folder) as db:
        store = seed(folder, n_ads=150, db=db)
        with live_server(app_for(store)) as base:
            yield base
        store.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _sign_in(browser, base: str, name: str):
    page = browser.new_context().new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    # and nothing the Content-Security-Policy had to block (it allows no inline script)
    page.on("console", lambda m: outside.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue")
    return page, outside


def test_analyst_triages_an_ad_and_the_admin_sees_it_audited(server, browser) -> None:
    page, outside = _sign_in(browser, server, "ana")
    assert page.locator("#queue tbody tr[data-ad]").count() == 50
    category = page.locator("select[name=category] option").nth(1).inner_text()
    page.select_option("select[name=category]", category)
    page.fill("input[name=min_score]", "0.2")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**category=*")
    rows = page.locator("#queue tbody tr[data-ad]")
    assert rows.count() > 0
    chips = rows.first.locator(f".chip.flag-{category}")
    assert chips.count() == 1
    scores = [float(t.strip()) for t in page.locator("#queue td.score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 0.2

    rows.first.locator("a").first.click()
    page.wait_for_selector("#evidence")
    marks = page.locator(f"#evidence mark.flag-{category}")
    assert marks.count() >= 1
    assert category in marks.first.get_attribute("title")
    assert "rule" in marks.first.get_attribute("title")
    assert page.locator("#legend .chip").count() >= 1
    assert page.locator("img").count() == 0  # text and hashes only
    ad_url = page.url

    page.select_option("select[name=action]", "escalate")
    page.fill("textarea[name=note]", "Browser test: youth indicators, escalate")
    page.click("form.decide button[type=submit]")
    page.wait_for_selector("tr.decision")
    assert "Browser test: youth indicators" in page.locator(".history").inner_text()

    page.click(".meta a[href^='/networks/']")
    page.wait_for_selector("#map[data-drawn]")
    assert page.evaluate("window.amberlineGraph.nodes().length") >= 1
    assert page.locator("#map path.state").count() >= 48
    assert outside == []  # nothing loaded from anywhere but the app, nothing blocked by CSP

    admin, _ = _sign_in(browser, server, "alice")
    admin.goto(server + "/audit?action=decision")
    text = admin.locator("#audit").inner_text()
    assert "ana" in text and "escalate" in text and ad_url.rsplit("/", 1)[1] in text


def test_viewer_has_no_decision_form_and_a_forged_post_is_refused(server, browser) -> None:
    page, _ = _sign_in(browser, server, "vic")
    page.locator("#queue tbody tr[data-ad] a").first.click()
    page.wait_for_selector("#evidence")
    assert page.locator("form.decide").count() == 0
    assert page.locator("#no-decide").is_visible()
    ad_path = page.url.split(server, 1)[1]
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    response = page.request.post(server + ad_path + "/decisions",
                                 form={"action": "clear", "note": "should not work",
                                       "csrf": csrf})
    assert response.status == 403
