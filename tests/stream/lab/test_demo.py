"""The demo's own files are where it looks for them (the run itself is `make demo`)."""
from stream.lab import demo


def test_the_demo_finds_its_config_and_watchlist_in_the_checkout():
    assert demo.CONFIG.is_file() and demo.WATCHLIST.is_file()
    assert demo.STATE.parent == demo.CONFIG.parent.parent   # .services/ at the checkout's root
