"""Tools that measure the edge, not part of a box: ``checkpoint eval`` (``evaluate``, with the
crop readers of ``crops``), ``checkpoint bench`` (``bench``), the synthetic sample clip the
demo replays (``sampleclip``), and the table of fonts everything draws plates with (``fonts``).
Installed with the ``lab`` extra; a box never imports them.
"""
