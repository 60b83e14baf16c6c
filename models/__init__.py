"""The project's own models as the edge loads them: the ONNX files in this folder and their model
cards (``plate_det``, ``plate_rec_cn``, ``plate_rec_latin``: ``.onnx`` and ``.json``; see
``README.md`` here). The edge finds them through ``checkpoint.onnx_models`` (the edge image copies
only the ``.onnx`` files; no Python code from here runs on a box).

The code that trains them is ``models.training``, which needs the ``train`` extra (torch, onnx).
"""
