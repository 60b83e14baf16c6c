"""The MRZ line renderer: crops of one length per batch, labels in the MRZ alphabet."""
from __future__ import annotations

import numpy as np

from models.training.synth_mrz import CHARACTERS, mrz_batch


def test_a_batch_is_of_one_length_and_its_labels_are_mrz_text():
    crops, texts = mrz_batch(np.random.default_rng(0), 12)
    assert len(crops) == len(texts) == 12 and len({len(t) for t in texts}) == 1
    assert all(set(t) <= set(CHARACTERS) for t in texts)
    assert all(c.ndim == 3 and 12 <= c.shape[0] <= 40 and c.shape[1] > c.shape[0] for c in crops)


def test_the_same_seed_draws_the_same_lines():
    a = mrz_batch(np.random.default_rng(5), 4, 20)
    b = mrz_batch(np.random.default_rng(5), 4, 20)
    assert a[1] == b[1] and all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))
