import pytest

from checkpoint.vote import vote


def test_single_text_wins_with_its_mean_confidence():
    result = vote([("KA482BC", 0.9), ("KA482BC", 0.7)])
    assert result.best.text == "KA482BC"
    assert result.best.confidence == pytest.approx(0.8)
    assert result.alternatives == ()
    assert result.reads == 2


def test_weight_beats_count():
    # confidence-weighted sums decide: 0.95 outweighs 2 x 0.3
    result = vote([("KA482BC", 0.95), ("KA482BG", 0.3), ("KA482BG", 0.3)])
    assert result.best.text == "KA482BC"
    assert [a.text for a in result.alternatives] == ["KA482BG"]
    assert result.best.confidence == pytest.approx(0.95 / 3)
    assert result.alternatives[0].confidence == pytest.approx(0.6 / 3)


def test_many_consistent_reads_beat_one_confident_misread():
    reads = [("KA482BC", 0.8)] * 4 + [("KA482B0", 0.99)]
    result = vote(reads)
    assert result.best.text == "KA482BC"
    assert result.alternatives[0].text == "KA482B0"


def test_ties_go_to_the_first_seen_text():
    assert vote([("AAA111", 0.5), ("BBB222", 0.5)]).best.text == "AAA111"
    assert vote([("BBB222", 0.5), ("AAA111", 0.5)]).best.text == "BBB222"


def test_alternatives_are_ranked_and_capped():
    reads = [("P0", 0.9), ("P1", 0.8), ("P2", 0.7), ("P3", 0.6), ("P4", 0.5), ("P5", 0.4)]
    result = vote(reads, max_alternatives=3)
    assert result.best.text == "P0"
    assert [a.text for a in result.alternatives] == ["P1", "P2", "P3"]


def test_confidences_stay_in_range():
    result = vote([("X1", 1.0)] * 5)
    assert 0.0 <= result.best.confidence <= 1.0


def test_no_reads_is_an_error():
    with pytest.raises(ValueError):
        vote([])
