"""CTC decoding (``checkpoint.ctc``): folding, greedy reads, likelihoods over views, alignment,
and decoding towards plate formats, each checked against brute force over every path."""
import itertools

import numpy as np
import pytest

from checkpoint.ctc import (PlateFormats, PlateVocabulary, best_of_views, constrained_paths,
                            ctc_align, ctc_decode, ctc_log_likelihoods)
from checkpoint.grammar import PositionFormat, fit_plate, position_formats

# A tiny model charset: blank, then what a generic OCR model knows, including non-plate characters
CHARSET = ["<blank>", "A", "B", "8", "a", "Ａ", "-", "中", " "]
VOCAB = PlateVocabulary.from_charset(CHARSET)


def probs(*steps: dict[str, float]) -> np.ndarray:
    """One row per time step; unnamed probability mass goes to the blank."""
    out = np.zeros((len(steps), len(CHARSET)), np.float32)
    for t, step in enumerate(steps):
        for char, p in step.items():
            out[t, CHARSET.index(char)] = p
        out[t, 0] = 1.0 - sum(step.values())
    return out


def test_vocabulary_folds_case_and_width_onto_plate_characters():
    assert set(VOCAB.chars[2:]) == {"A", "B", "8"}
    folded = VOCAB.fold(probs({"a": 0.3, "Ａ": 0.3, "A": 0.2}))
    assert folded[0, VOCAB.chars.index("A")] == pytest.approx(0.8)
    assert folded.sum() == pytest.approx(1.0)


def test_greedy_decode_collapses_repeats_and_blanks():
    reading = ctc_decode(probs({"A": 0.9}, {"A": 0.9}, {}, {"A": 0.8}, {"8": 0.7}), VOCAB)
    assert reading.text == "AA8"
    assert reading.char_confidences == pytest.approx((0.9, 0.8, 0.7))
    assert reading.confidence == pytest.approx(0.8)


def test_separators_and_foreign_characters_are_skipped():
    reading = ctc_decode(probs({"A": 0.9}, {"-": 0.9}, {"中": 0.9}, {"B": 0.9}), VOCAB)
    assert reading.text == "AB"
    assert len(reading.char_confidences) == 2


def test_lower_case_read_counts_as_its_plate_letter():
    reading = ctc_decode(probs({"a": 0.6, "A": 0.1}), VOCAB)
    assert reading.text == "A" and reading.char_confidences[0] == pytest.approx(0.7)


def test_alternatives_swap_the_closest_calls_first():
    reading = ctc_decode(probs({"A": 0.95, "B": 0.01}, {"8": 0.5, "B": 0.45}), VOCAB)
    assert reading.text == "A8"
    assert reading.alternatives[0][0] == "AB"  # 0.45 vs 0.5 is the closest call
    texts = [t for t, _ in reading.alternatives]
    assert "BB" not in texts[:1] and all(len(t) == 2 for t in texts)
    confs = [c for _, c in reading.alternatives]
    assert confs == sorted(confs, reverse=True)


def test_nothing_read():
    reading = ctc_decode(probs({}, {}), VOCAB)
    assert reading.text == "" and reading.confidence == 0.0 and reading.alternatives == ()


# ---------------------------------------------------------------------------- multi-view reads

def random_folded(rng: np.random.Generator, views: int, steps: int, classes: int) -> np.ndarray:
    """Random (views, T, plate classes) probabilities: 0 blank, 1 skip, then characters."""
    p = rng.gamma(0.5, size=(views, steps, classes))
    return p / p.sum(axis=-1, keepdims=True)


def every_path(folded: np.ndarray):
    """Each frame-by-frame path through one view, its probability, and what it reads (blank and
    skip read as nothing and separate repeats): the definition the CTC algorithms must agree with."""
    steps, classes = folded.shape
    for path in itertools.product(range(classes), repeat=steps):
        labels = [c for i, c in enumerate(path) if c > 1 and (i == 0 or path[i - 1] != c)]
        yield path, float(np.prod(folded[np.arange(steps), path])), labels


@pytest.mark.parametrize("seed", range(5))
def test_ctc_likelihood_is_the_sum_over_every_path_that_reads_the_text(seed):
    rng = np.random.default_rng(seed)
    folded = random_folded(rng, views=2, steps=5, classes=4)
    candidates = [[2], [3], [2, 3], [2, 2], [3, 2, 3], [2, 2, 3]]
    want = np.zeros(len(candidates))
    for view in folded:
        totals = dict.fromkeys(map(tuple, candidates), 0.0)
        for _, p, labels in every_path(view):
            if tuple(labels) in totals:
                totals[tuple(labels)] += p
        want += np.log([totals[tuple(c)] for c in candidates])
    got = ctc_log_likelihoods(folded, candidates)
    assert got == pytest.approx(want, rel=1e-9)
    # A A B B needs six frames (a blank between the As and between the Bs): impossible in five
    assert ctc_log_likelihoods(folded, [[2, 2, 3, 3], [2]])[0] == -np.inf


@pytest.mark.parametrize("seed", range(5))
def test_alignment_gives_each_character_where_the_likeliest_path_emits_it(seed):
    rng = np.random.default_rng(seed)
    view = random_folded(rng, views=1, steps=5, classes=4)[0]
    for labels in ([2], [2, 3], [3, 3], [2, 3, 2]):
        # blank and skip are one class, "nothing", of their summed probability
        nothing = view[:, 0] + view[:, 1]
        paths = [(path, p, read) for path, p, read in every_path(view) if read == labels]
        path, _, _ = max(paths, key=lambda x: np.prod([nothing[t] if c < 2 else view[t, c]
                                                       for t, c in enumerate(x[0])]))
        starts = [t for t, c in enumerate(path) if c > 1 and (t == 0 or path[t - 1] != c)]
        got = ctc_align(view, labels)
        assert got == pytest.approx(view[starts, labels], rel=1e-9)


def test_likelihood_needs_a_character():
    with pytest.raises(ValueError):
        ctc_log_likelihoods(np.zeros((1, 3, 4)), [[]])


def test_best_of_views_keeps_the_text_most_views_support():
    a, b, e = (VOCAB.chars.index(c) for c in ("A", "B", "8"))

    def view(middle: dict[int, float]) -> np.ndarray:
        out = np.full((3, len(VOCAB.chars)), 0.0)
        out[0, a] = out[2, a] = 0.9
        out[[0, 2], 0] = 0.1
        for cls, p in middle.items():
            out[1, cls] = p
        out[1, 0] = 1 - sum(middle.values())
        return out

    # the crop as found reads A8A by a hair; two other framings read ABA clearly
    folded = np.stack([view({e: 0.5, b: 0.45}), view({b: 0.8, e: 0.1}), view({b: 0.8, e: 0.1})])
    reading = best_of_views(folded, VOCAB)
    assert reading.text == "ABA"
    assert reading.char_confidences == pytest.approx((0.9, 0.8, 0.9))   # as the clearest view shows it
    assert reading.alternatives[0][0] == "A8A"
    assert 0 < reading.alternatives[0][1] < reading.confidence
    assert best_of_views(folded[:1], VOCAB).text == "A8A"


def test_a_text_one_view_rounds_to_zero_probability_is_still_scored():
    a, b = (VOCAB.chars.index(c) for c in ("A", "B"))
    folded = np.zeros((2, 3, len(VOCAB.chars)), np.float32)
    folded[:, [0, 2], 0] = 1.0
    folded[0, 1, a] = 1.0     # one view sees only A, the other only B: exact zeros elsewhere
    folded[1, 1, b] = 1.0
    reading = best_of_views(folded, VOCAB)
    assert reading.text in ("A", "B") and reading.char_confidences == pytest.approx((1.0,))
    assert all(np.isfinite(conf) for _, conf in reading.alternatives)


def test_best_of_views_of_nothing():
    folded = np.zeros((2, 4, len(VOCAB.chars)))
    folded[..., 0] = 1.0
    assert best_of_views(folded, VOCAB) == best_of_views(folded[:1], VOCAB)
    assert best_of_views(folded, VOCAB).text == ""


FORMATS = PlateFormats.of((PositionFormat(("AB", "8", "8AB"), exact_only=False),
                           PositionFormat(("A", "B"), exact_only=False)), VOCAB)


def best_fitting_path(folded: np.ndarray, formats: PlateFormats) -> list[int] | None:
    """Every path through (T, plate classes) ``folded``, by brute force: the text of the
    likeliest one that fits some format."""
    best, best_p = None, 0.0
    for path in itertools.product(range(folded.shape[1]), repeat=folded.shape[0]):
        if 1 in path:       # "skip" reads as nothing, like the blank: never the likeliest path
            continue
        text = [c for i, c in enumerate(path) if c and (i == 0 or c != path[i - 1])]
        p = float(np.prod(folded[np.arange(len(path)), path]))
        if p > best_p and formats.fits(text):
            best, best_p = text, p
    return best


@pytest.mark.parametrize("seed", range(40))
def test_constrained_paths_find_the_likeliest_path_that_fits_each_format(seed):
    rng = np.random.default_rng(seed)
    folded = rng.dirichlet(np.ones(len(VOCAB.chars)) * 0.5, size=(2, 5))
    folded[..., 1] = 0.0
    paths = constrained_paths(folded, FORMATS)
    assert len(paths) == 4                      # two views x two formats, in that order
    for view in range(2):
        for f in range(2):
            one = PlateFormats(FORMATS.allowed[f:f + 1], FORMATS.lengths[f:f + 1],
                               FORMATS.towards[f:f + 1])
            assert paths[2 * view + f] == best_fitting_path(folded[view], one)


def test_a_format_no_path_can_spell_is_left_out():
    folded = np.zeros((1, 2, len(VOCAB.chars)))
    folded[..., 0] = 1.0
    # two frames spell two characters at most: the three-character format cannot be read
    assert constrained_paths(folded, FORMATS) == [[VOCAB.chars.index("A"), VOCAB.chars.index("B")]]


def test_formats_a_vocabulary_cannot_spell_are_left_out():
    assert PlateFormats.of((PositionFormat(("A", "中"), False),), VOCAB) is None
    formats = PlateFormats.of((PositionFormat(("A", "中"), False), PositionFormat(("A", "8"), False)),
                              VOCAB)
    a, e = VOCAB.chars.index("A"), VOCAB.chars.index("8")
    assert formats.fits([a, e]) and not formats.fits([a]) and not formats.fits([a, e, e])


def test_a_read_one_character_short_is_decoded_towards_the_format():
    a, b, e = (VOCAB.chars.index(c) for c in ("A", "B", "8"))
    folded = np.zeros((1, 5, len(VOCAB.chars)))
    folded[0, :, 0] = 1.0
    folded[0, 0] = folded[0, 2] = 0.0
    folded[0, 0, a], folded[0, 2, e] = 1.0, 1.0
    folded[0, 4, b], folded[0, 4, 0] = 0.3, 0.7     # the last character, faint: greedy reads A8
    plain = best_of_views(folded, VOCAB)
    assert plain.text == "A8"
    reading = best_of_views(folded, VOCAB, formats=FORMATS)
    assert reading.text == "A8B"
    # the likelier A8 fits no format: the read is as doubtful as it is less likely (0.3 / 0.7)
    assert reading.char_confidences == pytest.approx(tuple(c * 0.3 / 0.7 for c in (1, 1, 0.3)))
    assert reading.alternatives[0][0] == "A8"
    assert reading.alternatives[0][1] <= reading.confidence


def test_a_read_is_never_decoded_towards_an_exact_only_format_but_may_fit_one():
    a, b, e = (VOCAB.chars.index(c) for c in ("A", "B", "8"))
    exact = PlateFormats.of((PositionFormat(("8", "B"), exact_only=True),
                             PositionFormat(("A", "8", "B"), exact_only=False)), VOCAB)
    folded = np.zeros((1, 3, len(VOCAB.chars)))
    folded[0, :, 0] = 0.4
    folded[0, 0, e], folded[0, 2, b] = 0.6, 0.6          # 8B, as read: an exact-only plate
    folded[0, 1, a] = 0.4
    assert best_of_views(folded, VOCAB, formats=exact).text == "8B"
    folded[0, 0, e], folded[0, 0, a] = 0.0, 0.6          # AB fits neither: decoded towards A8B only
    folded[0, 1, e], folded[0, 1, 0] = 0.3, 0.7
    assert [len(p) for p in constrained_paths(folded, exact.decodable)] == [3]
    assert best_of_views(folded, VOCAB, formats=exact).text == "A8B"


def test_a_read_that_fits_is_read_as_without_formats():
    a, b = (VOCAB.chars.index(c) for c in ("A", "B"))
    folded = np.zeros((2, 3, len(VOCAB.chars)))
    folded[:, :, 0] = 0.1
    folded[:, 0, a], folded[:, 2, b], folded[:, 1, 0] = 0.9, 0.9, 1.0
    reading = best_of_views(folded, VOCAB, formats=FORMATS)
    assert reading.text == "AB"
    assert reading == best_of_views(folded, VOCAB)


def test_a_read_the_grammar_corrects_counts_as_fitting_and_is_left_to_it():
    vocab = PlateVocabulary.from_charset(["<blank>", *"皖8B12345", " "])
    formats = PlateFormats.of(position_formats("cn"), vocab)
    folded = np.full((1, 13, len(vocab.chars)), 0.0)
    folded[0, :, 0] = 1.0
    for t, char in zip(range(0, 13, 2), "皖812345"):       # 8 where a letter belongs: B
        folded[0, t, 0], folded[0, t, vocab.chars.index(char)] = 0.1, 0.9
    reading = best_of_views(folded, vocab, formats=formats)
    assert reading == best_of_views(folded, vocab)
    assert fit_plate(reading.text, "cn").text == "皖B12345"
