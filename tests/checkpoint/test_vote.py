import pytest

from checkpoint.vote import vote


def test_single_text_wins_with_its_mean_confidence():
    result = vote([("KA482BC", 0.9), ("KA482BC", 0.7)])
    assert result.best.text == "KA482BC"
    assert result.best.confidence == pytest.approx(0.8)
    assert result.alternatives == ()
    assert result.reads == 2


def test_weight_beats_count_within_a_cluster():
    # 0.95 outweighs 2 x 0.3 at the one position where they disagree
    result = vote([("KA482BC", 0.95), ("KA482BG", 0.3), ("KA482BG", 0.3)])
    assert result.best.text == "KA482BC"
    assert [a.text for a in result.alternatives] == ["KA482BG"]
    assert result.best.confidence == pytest.approx((0.95 + 0.6 * 6 / 7) / 3)
    assert result.alternatives[0].confidence == pytest.approx(0.6 / 3)


def test_many_consistent_reads_beat_one_confident_misread():
    result = vote([("KA482BC", 0.8)] * 4 + [("KA482B0", 0.99)])
    assert result.best.text == "KA482BC"
    assert result.alternatives[0].text == "KA482B0"


def test_reads_wrong_in_different_places_still_give_the_plate():
    result = vote([("KA482BG", 0.9), ("KA4B2BC", 0.9), ("XA482BC", 0.9)])
    assert result.best.text == "KA482BC"  # never read whole, but every position agrees
    assert {a.text for a in result.alternatives} == {"KA482BG", "KA4B2BC", "XA482BC"}


def test_a_dropped_character_joins_the_cluster_without_deciding_the_length():
    result = vote([("KA482BC", 0.9), ("KA482BC", 0.8), ("KA82BC", 0.95)])
    assert result.best.text == "KA482BC"
    assert result.best.confidence < (0.9 + 0.8 + 0.95) / 3


def test_unrelated_plates_stay_apart_and_the_heaviest_wins():
    result = vote([("KA482BC", 0.9), ("BMX4473", 0.7), ("BMX4473", 0.7)])
    assert result.best.text == "BMX4473"
    assert result.best.confidence == pytest.approx(1.4 / 3)
    assert [a.text for a in result.alternatives] == ["KA482BC"]


def test_ties_go_to_the_first_seen_text():
    assert vote([("AAA111", 0.5), ("BBB222", 0.5)]).best.text == "AAA111"
    assert vote([("BBB222", 0.5), ("AAA111", 0.5)]).best.text == "BBB222"


def test_alternatives_are_ranked_and_capped():
    reads = [("P0X", 0.9), ("Q1Y", 0.8), ("R2Z", 0.7), ("S3W", 0.6), ("T4V", 0.5), ("U5U", 0.4)]
    result = vote(reads, max_alternatives=3)
    assert result.best.text == "P0X"
    assert [a.text for a in result.alternatives] == ["Q1Y", "R2Z", "S3W"]


def test_confidences_stay_in_range():
    result = vote([("X1", 1.0)] * 5)
    assert 0.0 <= result.best.confidence <= 1.0 and result.best.confidence == pytest.approx(1.0)


def test_no_reads_is_an_error():
    with pytest.raises(ValueError):
        vote([])
