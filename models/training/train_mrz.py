"""Train the MRZ recogniser (OCR-B lines: ``A-Z 0-9 <``), export it to ONNX, check the export,
and measure it on whole lines and on whole document photos.

The model is the plate recogniser's CRNN (``models.training.recogniser``) with the MRZ's 37
characters, trained only on synthetic OCR-B lines rendered fresh for every batch
(``models.training.synth_mrz``): no real document is used. OCR-B tells O from 0 and I from 1 by
design; a generic recogniser reads them alike, and a document number is letters and digits.
Measured through the edge's own code: ``CtcRecogniser`` on held-out whole lines, and
``checkpoint.documents.DocumentReader`` with this model on rendered document photos
(``checkpoint.lab.documents``), against PP-OCR's recogniser on the same photos.

    python -m models.training.train_mrz            # the defaults made the committed model
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from checkpoint.recognise import REC_HEIGHT, CtcRecogniser
from models.training.onnx_export import export_onnx, max_abs_diff
from models.training.paths import MODELS_DIR
from models.training.recogniser import Exported, PlateCRNN
from models.training.synth_mrz import CHARACTERS, mrz_batch
from models.training.train_recogniser import encode_targets, pad_batch, train_steps

NUM_CLASSES = len(CHARACTERS) + 2   # blank + characters + the trailing space CtcRecogniser adds
_INDEX = {c: i + 1 for i, c in enumerate(CHARACTERS)}


def to_targets(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    return encode_targets(texts, _INDEX)


def export(model: PlateCRNN, path: Path) -> None:
    export_onnx(Exported(model), (torch.zeros(1, 3, REC_HEIGHT, 400),), path,
                input_names=["x"], output_names=["probs"],
                dynamic_axes={"x": {0: "N", 3: "W"}, "probs": {0: "N", 1: "T"}},
                metadata={"character": "\n".join(CHARACTERS)},
                producer="kakou models/training/train_mrz.py")


def line_accuracy(path: Path, crops: list[np.ndarray], texts: list[str]) -> dict:
    from checkpoint.documents import mrz_char

    rec = CtcRecogniser(model=path, threads=1, batch_size=8, alphabet=mrz_char)
    readings = rec.recognise(crops)
    exact = sum(r.text == t for r, t in zip(readings, texts))
    chars = sum(len(t) for t in texts)
    wrong = sum(sum(a != b for a, b in zip(r.text, t)) + abs(len(r.text) - len(t))
                for r, t in zip(readings, texts))
    return {"lines": len(texts), "exact": round(exact / len(texts), 4),
            "char_error_rate": round(wrong / chars, 5)}


def photo_accuracy(model: Path | None, count: int, seed: int) -> dict:
    """Read and verified right on ``count`` rendered document photos, with ``model`` (None:
    PP-OCR's recogniser), and the median milliseconds per photo."""
    from checkpoint.lab.documents import KINDS, draw_document, make_document, photograph
    from checkpoint.lab.evaluate_ids import judge
    from checkpoint.documents import DocumentReader

    reader = DocumentReader(mrz_model=model)
    rng = np.random.default_rng(seed)
    today = date(2026, 12, 1)
    right, ms = 0, []
    for i in tqdm(range(count), desc=f"photos ({model.name if model else 'PP-OCR'})"):
        doc = make_document(rng, KINDS[i % len(KINDS)], today)
        image = photograph(rng, draw_document(rng, doc))
        start = time.perf_counter()
        text = reader.read(image)
        ms.append((time.perf_counter() - start) * 1000)
        right += judge(doc, text).right
    return {"photos": count, "read_and_verified": round(right / count, 4),
            "median_ms": round(float(np.median(ms)), 1)}



def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=24)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--eval-lines", type=int, default=400)
    p.add_argument("--eval-photos", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=MODELS_DIR / "mrz_rec.onnx")
    p.add_argument("--remeasure", action="store_true",
                   help="train nothing: measure the model at --out again and rewrite its card's "
                        "figures (after a change in how the box reads documents)")
    args = p.parse_args(argv)
    args.out = args.out.resolve()   # the document reader takes relative paths as models/'s
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)

    if args.remeasure:
        card_path = args.out.with_suffix(".json")
        card = json.loads(card_path.read_text())
        card.update(measurements(args))
        card["remeasured"] = "figures measured again with the model as committed " \
                             "(python -m models.training.train_mrz --remeasure)"
        card_path.write_text(json.dumps(card, indent=2) + "\n")
        print(json.dumps(card, indent=2))
        return

    model = PlateCRNN(NUM_CLASSES)
    seconds = train_steps(model, args.steps, args.lr, lambda: mrz_batch(rng, args.batch_size),
                          "train", batch_fn=pad_batch, targets_fn=to_targets)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export(model, args.out)
    model.eval()
    probe = pad_batch(mrz_batch(np.random.default_rng(args.seed + 30_000), 8, 30)[0])
    with torch.no_grad():
        ref = Exported(model)(probe).numpy()
    import onnxruntime as ort
    sess = ort.InferenceSession(str(args.out), providers=["CPUExecutionProvider"])
    diff = max_abs_diff([ref], sess.run(None, {"x": probe.numpy()}))
    report = {
        "model": args.out.name,
        "architecture": "CRNN as plate_rec_cn.onnx (models/training/recogniser.py), 37 MRZ "
                        "characters; CTC; softmax in the exported graph",
        "parameters": sum(q.numel() for q in model.parameters()),
        "onnx_bytes": args.out.stat().st_size,
        "data": "synthetic OCR-B lines only (models/training/synth_mrz.py; font: Debian "
                "fonts-ocr-b, OCR-B by Matthew Skala and Norbert Schwarz, public domain / "
                "permissive)",
        **measurements(args),
        "onnx_vs_torch_max_abs_diff": diff,
        "training_seconds": round(seconds, 1),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k not in ("out", "remeasure")},
        "machine": {"cpu_threads": args.threads, "torch": torch.__version__,
                    "python": platform.python_version()},
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def measurements(args: argparse.Namespace) -> dict:
    """The card's figures for the model at ``args.out``: fresh whole lines of every length,
    and rendered document photos read by the box's reader with it and with PP-OCR's."""
    eval_rng = np.random.default_rng(args.seed + 10_000)
    lines: tuple[list, list] = ([], [])
    for chars in (30, 36, 44, 18):      # whole TD1, TD2, TD3 lines and PRC numbers
        crops, texts = mrz_batch(eval_rng, args.eval_lines // 4, chars)
        lines[0].extend(crops)
        lines[1].extend(texts)
    return {
        "accuracy_whole_lines": line_accuracy(args.out, *lines),
        "photos_this_model": photo_accuracy(args.out, args.eval_photos, args.seed + 20_000),
        "photos_ppocr_recogniser": photo_accuracy(None, args.eval_photos, args.seed + 20_000),
    }


if __name__ == "__main__":
    main()
