"""kakou edge: one process per roadside box, from camera frames to Kafka events.

``checkpoint.wire`` is the contract shared with the stream; ``checkpoint.lab`` holds the tools
that measure the edge (evaluation, benchmark, sample clip) and is never imported by a box.
"""
