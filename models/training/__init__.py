"""Training the project's models: nets, renderers, trainers and the ONNX export.

- nets: ``detector`` (``PlateDetNet``, the plate corner detector), ``recogniser`` (``PlateCRNN``,
  the CTC plate recogniser);
- renderers of synthetic data with exact labels: ``synth_plates`` (Chinese plate crops),
  ``synth_latin`` (EU, US, BR and RO plate crops and faces), ``synth_scenes`` (detector scenes);
- trainers: ``train_recogniser`` (``plate_rec_cn``), ``train_latin`` (``plate_rec_latin``),
  ``train_detector`` (``plate_det``); each exports to ``models/``, checks onnxruntime against
  PyTorch, measures the model through the edge's code and writes its model card;
- ``onnx_export``: the export and check all trainers share; ``paths``: the models folder, the
  scratch folder and the data root (``--data-dir``, else ``$KAKOU_DATA_DIR``).

Run a trainer from the repository root with the ``train`` extra installed (``make models`` runs
all of them), e.g. ``python -m models.training.train_recogniser --data-dir /path/to/data``; the
renderers write samples to look at: ``python -m models.training.synth_latin OUT_DIR``. Training
uses only public helpers of the runtime (``checkpoint``).
"""
