"""ONNX model files and sessions: where the models are, and how sessions are made.

The text detector and generic recogniser are PP-OCR models shipped inside the rapidocr wheel
(Apache-2.0), found in site-packages, never downloaded; the project's own models (``models/``
of the source tree, or ``KAKOU_MODELS_DIR`` where an image copies them) detect plates and read
the regions they are trained for. A model that cannot be loaded raises ModelError naming the
file, so a box with a broken model says so instead of crash-looping.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import onnxruntime as ort

PROJECT_MODELS = Path(__file__).resolve().parent.parent / "models"


class ModelError(RuntimeError):
    """A model file that is missing or cannot be loaded; the message names it."""


def bundled_model(name: str) -> Path:
    """Path of a model inside the rapidocr package (e.g. ``PP-OCRv6_det_small.onnx``), found
    without importing rapidocr: only its files are used (its Python pipeline is the baseline
    reader, and pulls in Pillow and more)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"model {name}: the rapidocr package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise ModelError(f"model {name} is not in the installed rapidocr package ({path})")
    return path


def project_model(path: str | Path) -> Path:
    """A model path as configured: absolute, or relative to the project's models folder."""
    path = Path(path)
    if path.is_absolute():
        return path
    return Path(os.environ.get("KAKOU_MODELS_DIR") or PROJECT_MODELS) / path


def session(path: str | Path, threads: int) -> ort.InferenceSession:
    """A CPU session with a fixed thread count: the edge shares few cores between cameras."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options,
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several private exception types
        raise ModelError(f"cannot load model {path}: {exc}") from None
