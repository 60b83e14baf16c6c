"""PyTorch → ONNX for every model the project trains: one export (opset 17, metadata the edge
reads, checked by onnx) and one comparison of onnxruntime's outputs against PyTorch's."""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

#: onnxruntime may differ from PyTorch by float rounding, not more.
MAX_DIFF = 1e-4


def export_onnx(module: nn.Module, inputs: tuple[torch.Tensor, ...], path: Path, *,
                input_names: list[str], output_names: list[str],
                dynamic_axes: dict[str, dict[int, str]], metadata: dict[str, str],
                producer: str) -> None:
    """Write ``module`` (in eval mode) to ``path`` with ``metadata`` as the model's properties."""
    import onnx  # the exporter needs it too

    module.eval()
    buf = io.BytesIO()
    kwargs = dict(input_names=input_names, output_names=output_names, opset_version=17,
                  dynamic_axes=dynamic_axes)
    try:
        torch.onnx.export(module, inputs, buf, dynamo=False, **kwargs)
    except TypeError:  # torch < 2.5 has no ``dynamo`` argument
        torch.onnx.export(module, inputs, buf, **kwargs)
    proto = onnx.load_from_string(buf.getvalue())
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = producer
    onnx.checker.check_model(proto)
    path.write_bytes(proto.SerializeToString())


def max_abs_diff(reference: Sequence[np.ndarray], exported: Sequence[np.ndarray]) -> float:
    """The largest difference between PyTorch's outputs and onnxruntime's; raises when a shape
    differs or the difference reaches ``MAX_DIFF``."""
    worst = 0.0
    for ref, got in zip(reference, exported, strict=True):
        if ref.shape != got.shape:
            raise RuntimeError(f"ONNX export shape {got.shape} differs from PyTorch {ref.shape}")
        worst = max(worst, float(np.abs(ref - got).max()))
    if worst >= MAX_DIFF:
        raise RuntimeError(f"ONNX export differs from PyTorch: max abs diff {worst:.2e}")
    return worst
