"""A console served on a free loopback port and its live queue open in Debian's Chromium, as
the lab's console measurements (``bench_console``, ``soak``) use them: each row's first
appearance in the page is recorded, so alert-to-screen can be timed."""
from __future__ import annotations

import socket
import threading
import time

CHROMIUM = "/usr/bin/chromium"
#: Headless, and never reaching outside hosts (this network refuses them; see design.md).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: Installed in the page: the wall-clock time each alert row first appears.
OBSERVER = """() => {
  window.arrived = {};
  new MutationObserver(() => {
    for (const row of document.querySelectorAll('tr[data-alert-id]'))
      if (!(row.dataset.alertId in window.arrived)) window.arrived[row.dataset.alertId] = Date.now();
  }).observe(document.getElementById('queue'), {childList: true, subtree: true});
}"""


def serve(services):
    """The console app on a free port (uvicorn on a thread); its URL and its server."""
    import uvicorn

    from stream.console.app import create_app
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def open_queue(playwright, url: str, username: str, password: str):
    """Chromium logged in on the live queue, its rows observed; the browser and the page."""
    from playwright.sync_api import expect
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    page = browser.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("#connection")).to_have_text("live", timeout=30_000)
    page.evaluate(OBSERVER)
    return browser, page
