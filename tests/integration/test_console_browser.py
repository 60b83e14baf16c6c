"""The console in a real browser (Debian's Chromium, driven by Playwright): log in, see an alert
arrive live, work it from acknowledgement to disposal. With KAKOU_SCREENSHOTS=DIR set, the
queue and an alert's page are saved there (the README's screenshots)."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

from stream.console.accounts import Role
from stream.console.app import create_app
from stream.lab.live_console import CHROMIUM, FLAGS

from ..checkpoint.test_terminal import free_port
from .console_fixtures import PASSWORD, new_alert


@pytest.fixture
def served(console):
    """The console app on a real port (uvicorn on a thread), as ``kakou-console serve`` runs."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(console), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


def log_in(browser, url: str, username: str):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page


def test_an_alert_arrives_live_and_is_worked_to_its_outcome(served, browser, console, users):
    page = log_in(browser, served, users[Role.OPERATOR])
    expect(page).to_have_url(served + "/alerts")
    expect(page.locator("#connection")).to_have_text("live", timeout=10_000)

    raised = time.monotonic()
    alert = new_alert(plate="鲁A12345", match="fuzzy", differing=(6,), priority=1)
    row = page.locator(f'tr[data-alert-id="{alert.alert_id}"]')
    expect(row).to_be_visible(timeout=10_000)
    print(f"alert -> browser: {time.monotonic() - raised:.3f} s")
    expect(row.locator(".tag-approx")).to_have_text("≈ fuzzy")
    expect(row.locator(".diff")).to_have_text("8")    # the character that differs from the entry
    exact = new_alert(priority=3)
    expect(page.locator(f'tr[data-alert-id="{exact.alert_id}"] .tag-exact')).to_be_visible()

    if folder := os.environ.get("KAKOU_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / "console-queue.png"), full_page=True)
    row.locator("a").first.click()
    expect(page.locator(".approximate")).to_contain_text("APPROXIMATE")
    page.click("button[value=acknowledge]")
    expect(page.locator("h1 .state")).to_have_text("acknowledged")
    expect(page.locator("button[value=confirm]")).to_be_disabled()   # not verified yet
    for check in ("characters", "region", "entry_valid"):
        page.check(f"input[name=check_{check}]")
    page.click("button[value=verify]")
    if folder:
        page.screenshot(path=str(Path(folder) / "console-alert.png"), full_page=True)
    page.click("button[value=confirm]")
    expect(page.locator("h1 .state")).to_have_text("confirmed")
    page.fill("input[name=unit]", "patrol-1")
    page.click("button[value=dispatch]")
    expect(page.locator("h1 .state")).to_have_text("dispatched")
    page.select_option("select[name=outcome]", "intercepted")
    page.click("button[value=dispose]")
    expect(page.locator("h1 .state")).to_have_text("disposed")
    expect(page.locator("table.history tbody tr")).to_have_count(5)

    page.goto(served + "/alerts")   # a fresh page: its snapshot no longer holds the alert
    expect(page.locator(f'tr[data-alert-id="{exact.alert_id}"]')).to_be_visible()
    expect(page.locator(f'tr[data-alert-id="{alert.alert_id}"]')).to_have_count(0)


def test_a_second_operator_who_acts_late_is_told_who_acted_first(served, browser, users):
    alert = new_alert()
    first = log_in(browser, served, users[Role.OPERATOR])
    second = log_in(browser, served, users["operator2"])
    for page in (first, second):
        page.goto(f"{served}/alerts/{alert.alert_id}")
    first.click("button[value=acknowledge]")
    expect(first.locator("h1 .state")).to_have_text("acknowledged")
    second.click("button[value=acknowledge]")
    expect(second.locator(".error")).to_contain_text(f"by {users[Role.OPERATOR]}")


def test_a_forced_logout_ends_the_live_queue(served, browser, console, users):
    page = log_in(browser, served, users[Role.OPERATOR])
    expect(page.locator("#connection")).to_have_text("live", timeout=10_000)
    console.sessions.close_all(users[Role.OPERATOR])
    new_alert()   # the next event finds the session gone
    expect(page).to_have_url(served + "/login", timeout=30_000)
