"""kakou edge: one process per roadside box, from camera frames to Kafka events.

The shared contracts (``checkpoint.contracts``, ``checkpoint.topics``, ``checkpoint.plates``) import
nothing heavier than pydantic, so the stream imports them without pulling in OpenCV or onnxruntime.
"""
