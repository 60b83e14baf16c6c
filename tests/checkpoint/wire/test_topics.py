"""The topic table: every topic declared once, named with the deployment's prefix when asked."""
from checkpoint.wire.topics import ALL_TOPICS, PASSAGES, WATCHLIST


def test_names_take_the_prefix_of_the_moment(monkeypatch):
    monkeypatch.delenv("KAKOU_TOPIC_PREFIX", raising=False)
    assert PASSAGES.name == "kakou.passages"
    monkeypatch.setenv("KAKOU_TOPIC_PREFIX", "staging.")
    assert PASSAGES.name == "staging.passages"


def test_every_topic_has_partitions_and_a_cleanup_policy():
    assert len({t.base for t in ALL_TOPICS}) == len(ALL_TOPICS) == 6
    for topic in ALL_TOPICS:
        assert topic.partitions >= 1
        assert topic.config["cleanup.policy"] in ("delete", "compact")
        assert topic.config["cleanup.policy"] == "compact" or int(topic.config["retention.ms"]) > 0
    assert WATCHLIST.config["cleanup.policy"] == "compact"   # the latest entry per id, forever
