"""The soak's bar (``stream.lab.soak.held``): every passage once, every hit alerted and on
screen; memory that grew is said, not failed on (a figure, as speed is)."""
from stream.lab.soak import held

GOOD = {"passages_sent": 600, "passages_recorded": 600, "hits_sent": 12, "alerts": 12,
        "on_screen": 12, "memory": {"worker": {"flat": True}, "redis": {"flat": True}}}


def test_a_soak_that_kept_everything_flat_holds():
    assert held(GOOD)


def test_any_shortfall_fails_and_says_which(capsys):
    for change, words in ((("passages_recorded", 599), "passages recorded"),
                          (("alerts", 11), "alerts"), (("on_screen", 11), "on screen")):
        assert not held({**GOOD, change[0]: change[1]})
        assert words in capsys.readouterr().err


def test_memory_that_grew_is_said_not_failed_on(capsys):
    assert held({**GOOD, "memory": {"redis": {"flat": False}, "worker": {"flat": True}}})
    assert "memory not flat (> --flat): redis" in capsys.readouterr().err
