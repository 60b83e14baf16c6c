"""``checkpoint``: the edge's one command. Box commands (run, replay, topics) go to
``checkpoint.cli``; the lab's (eval, bench, sample-clip) to ``checkpoint.lab.cli``, imported only
when one is asked for, so a box never loads the lab, and an image without it says so."""
from __future__ import annotations

import sys

#: The lab's commands and their one-line help, listed in ``checkpoint --help``.
LAB_COMMANDS = {
    "eval": "measure plate reading on a folder with a labels.csv manifest",
    "bench": "frames per second and real-time factor on a 1080p clip, against rapidocr",
    "sample-clip": "render the deterministic synthetic demo clip",
    "eval-ids": "read and verify a folder of ID document photos against its labels",
    "render-ids": "render synthetic ID document photos and their labels",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if next((a for a in argv if not a.startswith("-")), None) not in LAB_COMMANDS:
        from checkpoint.cli import main as box_main
        return box_main(argv, LAB_COMMANDS)
    try:
        from checkpoint.lab.cli import main as lab_main
    except ImportError as exc:
        print(f"checkpoint: the lab tools are not installed here ({exc}); they come with a "
              "source checkout and the `lab` extra", file=sys.stderr)
        return 2
    return lab_main(argv)


if __name__ == "__main__":
    sys.exit(main())
