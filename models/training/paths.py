"""Where training reads its data and writes its models and scratch files.

``MODELS_DIR`` is the ``models/`` folder the edge loads the project's models from: the trainers
write their ``.onnx`` files and model cards (``.json``) there. ``WORK_DIR`` holds scratch
checkpoints between training stages (``make models`` keeps them there; ``make clean`` removes
it). The data sets are not part of the repository: ``data_root`` says where they are.
"""
from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]

#: The shipped models and their cards, where the edge finds them.
MODELS_DIR = _REPO / "models"
#: Scratch checkpoints (e.g. the detector's training stages); ignored by git.
WORK_DIR = _REPO / ".models-work"
#: The environment variable naming the data folder.
DATA_ENV = "KAKOU_DATA_DIR"


def data_root(explicit: Path | None = None) -> Path:
    """The folder holding the data sets (``lprnet-cn-crops``, ``ro-dashcam-scenes``,
    ``openalpr-*``, ...): ``explicit`` if given (a trainer's ``--data-dir``), else
    ``$KAKOU_DATA_DIR``, else ``../shared/data`` beside the repository. That last default is a
    development convenience for a checkout that has the shared data next to it; anywhere else,
    pass the folder or set the variable."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return _REPO.parent / "shared" / "data"
