"""CTC output → plate text: folding a model's classes onto plate characters, greedy decoding,
the likelihood of a text over several views of one crop, its likeliest alignment, and decoding
towards a region's plate formats. Pure numpy on (views, T, classes) probabilities; the model
that makes them runs in ``checkpoint.recognise``.

A read's alternatives (the runner-up character at the closest calls) are what the stream's fuzzy
matcher also tries. Of several views' reads, the text likeliest over all views (the CTC
likelihood, summed) is kept. Given its region's plate formats
(``checkpoint.grammar.position_formats``), a read is the likeliest text that is a plate: a view
whose likeliest path drops a faint last character, or doubles one, is also decoded towards each
format, and such a read is only as sure as it is likely next to the text the model preferred.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from checkpoint.grammar import PositionFormat


@dataclass(frozen=True)
class Reading:
    """A crop's text, each character's confidence, and the next-best texts."""

    text: str
    char_confidences: tuple[float, ...]
    alternatives: tuple[tuple[str, float], ...]  # (text, confidence), best first

    @property
    def confidence(self) -> float:
        return float(np.mean(self.char_confidences)) if self.char_confidences else 0.0


@dataclass(frozen=True)
class PlateVocabulary:
    """The model's classes folded onto plate characters.

    A generic OCR model knows thousands of characters; a plate holds a few dozen. Summing each
    class's probability into the plate character it normalises to ("a" and "Ａ" into "A") and the
    rest into one "not a plate character" class makes the decoder choose only among plate
    characters, and makes the runner-up at each position a plate character too.
    """

    chars: tuple[str, ...]     # output classes: 0 blank, 1 "skip" (separators, non-plate), then chars
    order: np.ndarray          # model class indices, sorted by output class
    starts: np.ndarray         # where each output class's run begins in ``order``

    @classmethod
    def from_charset(cls, charset: list[str],
                     normalise: Callable[[str], str] | None = None) -> PlateVocabulary:
        """``normalise`` maps a model character to the one it reads as ("" or several: none);
        default: a plate's (``checkpoint.wire.plates.normalise``)."""
        if normalise is None:
            from checkpoint.wire.plates import normalise

        plate_chars = sorted({n for n in (normalise(c) for c in charset[1:]) if len(n) == 1})
        index = {c: i + 2 for i, c in enumerate(plate_chars)}
        target = np.array([0] + [index.get(normalise(c), 1) if len(normalise(c)) <= 1 else 1
                                 for c in charset[1:]])
        order = np.argsort(target, kind="stable")
        starts = np.searchsorted(target[order], np.arange(len(plate_chars) + 2))
        return cls(("", "", *plate_chars), order, starts)

    def fold(self, probs: np.ndarray) -> np.ndarray:
        """(..., model classes) → (..., plate classes), probabilities summed per plate character."""
        return np.add.reduceat(probs[..., self.order], self.starts, axis=-1)


@dataclass(frozen=True)
class PlateFormats:
    """A region's plate formats over a vocabulary's classes, for decoding towards them."""

    allowed: np.ndarray    # (formats, positions, plate classes) bool; False past a format's end
    lengths: np.ndarray    # (formats,) characters in each
    towards: np.ndarray    # (formats,) bool: a read may be decoded towards it (not exact-only)

    @classmethod
    def of(cls, formats: Sequence[PositionFormat], vocab: PlateVocabulary) -> PlateFormats | None:
        """``formats`` (``checkpoint.grammar.position_formats``) as masks over ``vocab``; a
        format some position of which the vocabulary cannot spell is left out; None: none."""
        index = {c: i for i, c in enumerate(vocab.chars) if c}
        kept = []
        for fmt in formats:
            rows = [[index[c] for c in chars if c in index] for chars in fmt.positions]
            if all(rows):
                kept.append((rows, not fmt.exact_only))
        if not kept:
            return None
        allowed = np.zeros((len(kept), max(len(rows) for rows, _ in kept), len(vocab.chars)), bool)
        for f, (rows, _) in enumerate(kept):
            for k, row in enumerate(rows):
                allowed[f, k, row] = True
        return cls(allowed, np.array([len(rows) for rows, _ in kept]),
                   np.array([towards for _, towards in kept]))

    def fits(self, labels: list[int]) -> bool:
        """Whether a text (plate-class indices) is one of the formats as it stands."""
        n = len(labels)
        if n > self.allowed.shape[1]:
            return False
        return bool(np.any((self.lengths == n) & self.allowed[:, np.arange(n), labels].all(axis=1)))

    @cached_property
    def decodable(self) -> PlateFormats:
        """The formats a read may be decoded towards (worked out once, not for every crop)."""
        return PlateFormats(self.allowed[self.towards], self.lengths[self.towards],
                            self.towards[self.towards])


def _best_of_others(scores: np.ndarray) -> np.ndarray:
    """(..., C) → (..., C): for each class, the best score of any other class."""
    top_c = scores.argmax(axis=-1)[..., None]
    others = scores.copy()
    np.put_along_axis(others, top_c, -np.inf, -1)
    return np.where(np.arange(scores.shape[-1]) == top_c, others.max(axis=-1, keepdims=True),
                    np.take_along_axis(scores, top_c, -1))


def constrained_paths(folded: np.ndarray, formats: PlateFormats) -> list[list[int]]:
    """The text of the likeliest path through each view of (views, T, plate classes) ``folded``
    that spells each of ``formats``: Viterbi over a format's positions, vectorised over views
    and formats (hand-written for the reason ``ctc_view_log_likelihoods`` is). A view whose
    likeliest path cut a plate's last character off still holds that character a little:
    this finds it. Texts no path can spell are left out."""
    with np.errstate(divide="ignore"):
        logp = np.log(_nothing_merged(folded))                    # (views, T, C); skip: -inf
    views, steps, _ = logp.shape
    n_formats, positions, _ = formats.allowed.shape
    lp = np.repeat(logp, n_formats, axis=0)                       # (B, T, C), B = views x formats
    allowed = np.tile(formats.allowed, (views, 1, 1))             # (B, L, C)
    lengths = np.tile(formats.lengths, views)
    pairs = np.arange(len(lengths))
    char = np.full((steps,) + allowed.shape, -np.inf)             # in position k's character c
    blank = np.full((steps, len(lengths), positions + 1), -np.inf)  # a blank after j characters
    char[0, :, 0] = np.where(allowed[:, 0], lp[:, 0], -np.inf)
    blank[0, :, 0] = lp[:, 0, 0]
    for t in range(1, steps):
        was = char[t - 1]
        last = np.full(was.shape, -np.inf)                        # from position k-1, another c
        last[:, 1:] = _best_of_others(was[:, :-1])
        best = np.maximum(np.maximum(was, blank[t - 1, :, :positions, None]), last)
        char[t] = np.where(allowed, best + lp[:, t, None, :], -np.inf)
        blank[t, :, 0] = blank[t - 1, :, 0]
        blank[t, :, 1:] = np.maximum(blank[t - 1, :, 1:], was.max(axis=-1))
        blank[t] += lp[:, t, 0, None]
    # back from the end: the state each step came from, worked out again from the scores
    end_c = char[-1, pairs, lengths - 1].argmax(axis=1)
    in_char = char[-1, pairs, lengths - 1, end_c] >= blank[-1, pairs, lengths]
    score = np.where(in_char, char[-1, pairs, lengths - 1, end_c], blank[-1, pairs, lengths])
    k = np.where(in_char, lengths - 1, lengths)                   # position, or blanks' j
    c = np.where(in_char, end_c, 0)
    labels = np.zeros((len(lengths), positions), np.int64)
    for t in range(steps - 1, 0, -1):
        kc = np.minimum(k, positions - 1)                          # k as a character position
        labels[in_char, kc[in_char]] = c[in_char]
        stay_char = char[t - 1, pairs, kc, c]
        from_blank = blank[t - 1, pairs, kc]
        before = char[t - 1, pairs, np.maximum(kc - 1, 0)]         # (B, C): position k-1,
        before[pairs, c] = -np.inf                                 # another character
        last_c = before.argmax(axis=-1)
        last = np.where(kc > 0, before[pairs, last_c], -np.inf)
        to_blank = in_char & (from_blank > stay_char) & (from_blank >= last)
        to_last = in_char & ~to_blank & (last > stay_char)
        # a blank after j characters came from the blank before it or from character j-1
        prev_c = char[t - 1, pairs, np.maximum(k - 1, 0)].argmax(axis=-1)
        into = np.where(k > 0, char[t - 1, pairs, np.maximum(k - 1, 0), prev_c], -np.inf)
        to_char = ~in_char & (into > blank[t - 1, pairs, np.minimum(k, positions)])
        k = np.where(to_last | to_char, k - 1, k)
        c = np.where(to_last, last_c, np.where(to_char, prev_c, c))
        in_char = (in_char & ~to_blank) | to_char
    labels[in_char, np.minimum(k, positions - 1)[in_char]] = c[in_char]
    return [labels[b, :lengths[b]].tolist() for b in pairs if np.isfinite(score[b])]


def ctc_decode(probs: np.ndarray, vocab: PlateVocabulary, max_alternatives: int = 3) -> Reading:
    """Greedy CTC decode of one (T, model classes) matrix: plate text, confidences, next-best."""
    return greedy_decode(vocab.fold(probs), vocab, max_alternatives)


def greedy_decode(folded: np.ndarray, vocab: PlateVocabulary, max_alternatives: int = 3) -> Reading:
    """Greedy CTC decode of one (T, plate classes) matrix."""
    best = folded.argmax(axis=1)
    keep = (best > 1) & np.concatenate([[True], best[1:] != best[:-1]])
    steps = np.flatnonzero(keep)
    if steps.size == 0:
        return Reading("", (), ())
    p_best = folded[steps, best[steps]]
    candidates = folded[steps].copy()
    candidates[:, :2] = 0.0  # the runner-up must be a plate character, not "nothing"
    candidates[np.arange(steps.size), best[steps]] = 0.0
    runner = candidates.argmax(axis=1)
    p_runner = candidates[np.arange(steps.size), runner]
    text = [vocab.chars[i] for i in best[steps]]
    alternatives = []
    for pos in np.argsort(p_runner / p_best)[::-1][:max_alternatives]:  # closest calls first
        if p_runner[pos] <= 0:
            continue
        alt = text.copy()
        alt[pos] = vocab.chars[runner[pos]]
        alternatives.append(("".join(alt), float(p_best.mean() * p_runner[pos] / p_best[pos])))
    return Reading("".join(text), tuple(float(p) for p in p_best), tuple(alternatives))


def _nothing_merged(folded: np.ndarray) -> np.ndarray:
    """Plate-class probabilities with "skip" (a non-plate character) counted as the blank: the
    decoder reads both as nothing. A float32 softmax can round a class to exactly 0; floored, a
    text one view cannot see is very unlikely there, not impossible over all views."""
    merged = np.maximum(folded, 1e-30, dtype=np.float64)
    merged[..., 0] += merged[..., 1]
    merged[..., 1] = 0.0
    return merged


def _extended(labels: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """CTC's blank-interleaved label rows (padded with blanks) and where a path may skip a blank
    (between two different characters)."""
    if not labels or min(map(len, labels)) == 0:
        raise ValueError("every candidate needs at least one character")
    ext = np.zeros((len(labels), 2 * max(map(len, labels)) + 1), np.int64)
    for i, row in enumerate(labels):
        ext[i, 1:2 * len(row):2] = row
    can_skip = np.zeros(ext.shape, bool)
    can_skip[:, 2:] = (ext[:, 2:] != 0) & (ext[:, 2:] != ext[:, :-2])
    return ext, can_skip


def ctc_log_likelihoods(folded: np.ndarray, labels: list[list[int]]) -> np.ndarray:
    """log P(labels | views) per candidate, summed over the views of (views, T, plate classes)
    ``folded``."""
    return ctc_view_log_likelihoods(folded, labels).sum(axis=0)


def ctc_view_log_likelihoods(folded: np.ndarray, labels: list[list[int]]) -> np.ndarray:
    """log P(label | view), (views, candidates), for (views, T, plate classes) ``folded``: the
    CTC forward algorithm, rescaled each frame. Hand-written, vectorised over views and
    candidates, because onnxruntime has no CTC loss and PyTorch is training-only."""
    ext, can_skip = _extended(labels)
    emit = _nothing_merged(folded)[:, :, ext]               # (views, T, candidates, states)
    alpha = np.zeros(emit[:, 0].shape[:-1] + (ext.shape[1] + 2,))  # two empty states first
    alpha[..., 2:4] = emit[:, 0, :, :2]
    log_scale = np.zeros(alpha.shape[:-1])
    for t in range(1, emit.shape[1]):
        step = (alpha[..., 2:] + alpha[..., 1:-1] + can_skip * alpha[..., :-2]) * emit[:, t]
        total = step.sum(axis=-1)
        total[total == 0] = 1.0                             # an impossible candidate stays 0
        alpha[..., 2:] = step / total[..., None]
        log_scale += np.log(total)
    ends = 2 + 2 * np.array([len(row) for row in labels])   # the last label's state, padded
    rows = np.arange(len(labels))
    with np.errstate(divide="ignore"):
        return np.log(alpha[:, rows, ends] + alpha[:, rows, ends - 1]) + log_scale


def ctc_align(folded: np.ndarray, labels: list[int]) -> np.ndarray:
    """Each label's probability where the likeliest path through (T, plate classes) ``folded``
    emits it (Viterbi; hand-written for the same reason as ``ctc_log_likelihoods``)."""
    (ext,), (can_skip,) = _extended([labels])
    emit = _nothing_merged(folded)[:, ext]                  # (T, states), floored above 0
    logp = np.log(emit)
    score = np.full(ext.size + 2, -np.inf)                  # two unreachable states first
    score[2:4] = logp[0, :2]
    skip = np.where(can_skip, 0.0, -np.inf)
    came_from = np.zeros(emit.shape, np.int64)              # states stepped back at t: 0, 1, 2
    for t in range(1, len(emit)):
        options = np.stack([score[2:], score[1:-1], score[:-2] + skip])
        came_from[t] = options.argmax(axis=0)
        score[2:] = options.max(axis=0) + logp[t]
    state = ext.size - 1 if score[-1] >= score[-2] else ext.size - 2
    first_frame = np.zeros(ext.size, np.int64)              # where the path entered each state
    for t in range(len(emit) - 1, 0, -1):
        back = came_from[t, state]
        if back:
            first_frame[state] = t
        state -= back
    first_frame[state] = 0
    states = np.arange(1, ext.size, 2)
    return emit[first_frame[states], states]


def best_of_views(folded: np.ndarray, vocab: PlateVocabulary, max_alternatives: int = 3,
                  formats: PlateFormats | None = None) -> Reading:
    """The likeliest text over views of one crop (views, T, plate classes): every view's greedy
    read and its alternatives are candidates. With ``formats``, so is the likeliest text of each
    format (but the exact-only) in each view whose read fits none but is near one, and the read
    is the likeliest candidate that fits a format (a plate is one of them), else the likeliest.

    Confidences are those of the likeliest path through the view that shows the read best (a
    character the crop as found cuts off is sure only where a view sees it whole), scaled down
    by how much less likely the read is, per view, than a likelier candidate that fits no
    format; an alternative's is the read's scaled by how much less likely it is, per view (not
    raised where it is likelier)."""
    readings = [greedy_decode(f, vocab, max_alternatives) for f in folded]
    index = {c: i for i, c in enumerate(vocab.chars)}
    texts = [text for r in readings for text in (r.text, *(t for t, _ in r.alternatives)) if text]
    if formats is not None:
        towards = formats.decodable
        # views whose read fits no format but is a character short or long of one (further
        # off, there is no plate to decode towards): where a view's read fits, it is already
        # that view's likeliest text of the formats
        astray = [v for v, r in enumerate(readings)
                  if not formats.fits([index[c] for c in r.text])
                  and np.any(np.abs(towards.lengths - len(r.text)) <= 1)]
        if astray:
            texts += ["".join(vocab.chars[i] for i in path)
                      for path in constrained_paths(folded[astray], towards)]
    candidates = list(dict.fromkeys(texts))
    if not candidates:
        return Reading("", (), ())
    labels = [[index[c] for c in text] for text in candidates]
    by_view = ctc_view_log_likelihoods(folded, labels)
    scores = by_view.sum(axis=0)
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    best = order[0]
    if formats is not None:
        best = next((i for i in order if formats.fits(labels[i]) and np.isfinite(scores[i])), best)
    rest = [i for i in order if i != best]
    clearest = int(np.argmax(by_view[:, best]))
    # a read the grammar chose over a likelier text is as doubtful as it is less likely, per view
    doubt = float(np.exp((scores[best] - scores.max()) / len(folded)))
    confidences = tuple(doubt * float(p) for p in ctc_align(folded[clearest], labels[best]))
    mean = float(np.mean(confidences))
    alternatives = tuple((candidates[i],
                          mean * float(np.exp(min(0.0, scores[i] - scores[best]) / len(folded))))
                         for i in rest[:max_alternatives])
    return Reading(candidates[best], confidences, alternatives)
