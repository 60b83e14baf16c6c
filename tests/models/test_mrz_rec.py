"""The committed MRZ recogniser (models/mrz_rec.onnx) loads and reads documents through the
edge's own code, O apart from 0 and I apart from 1. No torch here."""
from __future__ import annotations

import numpy as np
import pytest

from models.training.paths import MODELS_DIR

MODEL = MODELS_DIR / "mrz_rec.onnx"

pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason="models/mrz_rec.onnx not built")


@pytest.fixture(scope="module")
def recogniser():
    from checkpoint.documents import mrz_char
    from checkpoint.recognise import CtcRecogniser

    return CtcRecogniser(model=MODEL, threads=1, alphabet=mrz_char)


def test_charset_is_the_mrz_alphabet(recogniser):
    assert set(recogniser.vocab.chars) - {""} == set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<")


def test_the_box_reads_and_verifies_rendered_document_photos():
    """Fresh photos of every kind (a seed no measure uses) through the box's reader: the card
    reports 99 % of 100; these 16 must be nearly all right."""
    from datetime import date

    from checkpoint.documents import DocumentReader
    from checkpoint.lab.documents import KINDS, draw_document, make_document, photograph
    from checkpoint.lab.evaluate_ids import judge

    rng, today, reader = np.random.default_rng(4321), date(2026, 12, 1), DocumentReader()
    docs = [make_document(rng, KINDS[i % len(KINDS)], today) for i in range(16)]
    right = sum(judge(d, reader.read(photograph(rng, draw_document(rng, d)))).right for d in docs)
    assert right >= 15, right


def test_tells_o_from_zero_and_i_from_one(recogniser):
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    from checkpoint.lab import fonts

    font = ImageFont.truetype(str(fonts.require(fonts.OCR_B)), 40)
    for text in ("O0O0I1I1OI01", "L0IO1OI0<<<<"):
        img = Image.new("RGB", (int(font.getlength(text)) + 20, 54), (235, 235, 225))
        ImageDraw.Draw(img).text((10, 4), text, font=font, fill=(20, 20, 20))
        crop = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
        assert recogniser.recognise([crop])[0].text == text
