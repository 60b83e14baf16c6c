"""The demo's own files are where it looks for them (the run itself is `make demo`)."""
from stream.lab import demo


def test_the_demo_finds_its_configs_and_watchlist_in_the_checkout():
    assert all(config.is_file() for config, _ in demo.LANES.values()) and demo.WATCHLIST.is_file()
    assert demo.STATE.parent == demo.CONFIG.parent.parent   # .services/ at the checkout's root
    assert all(clip.parent == demo.STATE for _, clip in demo.LANES.values())  # under .services/
    assert demo._ljust("鲁A3K782", 10) == "鲁A3K782  " and demo._ljust("KA482BC", 10) == "KA482BC   "
