"""The lab's subcommands of ``checkpoint``: ``eval``, ``bench``, ``sample-clip``, ``eval-ids``
and ``render-ids``.

``checkpoint.command`` hands these commands here, so a box running ``checkpoint run`` never imports
the lab (nor Pillow, which only the sample clip draws with).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from checkpoint.cli import setup_logging
from checkpoint.config import ConfigError, ReaderConfig, load_config
from checkpoint.wire.base import validation_problems

DETECTORS = ["text", "gated", "plate"]
READERS = ["ppocr", "rapidocr"]
#: The lanes ``checkpoint bench`` and ``sample-clip`` have (``checkpoint.lab.sampleclip.LANES``).
BENCH_REGIONS = ["any", "cn"]


def _eval(args: argparse.Namespace) -> int:
    """Evaluate the reader on a labelled folder and print the report; 2 on a bad manifest."""
    from checkpoint.lab.crops import build_crop_reader
    from checkpoint.lab.evaluate import ManifestError, evaluate, is_crop_set, load_manifest
    from checkpoint.read import build_reader

    reader_cfg = load_config(args.config).reader if args.config else ReaderConfig()
    overrides = {k: v for k, v in (("name", args.reader), ("detector", args.detector),
                                   ("rec_views", args.rec_views)) if v is not None}
    try:
        reader_cfg = ReaderConfig.model_validate({**reader_cfg.model_dump(), **overrides})
    except ValidationError as exc:
        raise ConfigError("\n".join(f"eval: reader.{p}" for p in validation_problems(exc))) from None
    try:
        crops = is_crop_set(load_manifest(args.eval_dir))
        reader = build_crop_reader(reader_cfg) if crops else build_reader(reader_cfg)
        report = evaluate(args.eval_dir, reader, limit=args.limit, skip=args.skip,
                          every=args.every, progress=args.progress,
                          min_confidence=reader_cfg.min_confidence,
                          min_char_confidence=reader_cfg.min_char_confidence)
    except ManifestError as exc:
        print(f"checkpoint eval: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_json_dict(), ensure_ascii=False) if args.json else report.render(),
          end="\n" if args.json else "")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from checkpoint.lab.bench import bench, render

    result = bench(args.clip, baseline_frames=args.baseline_frames,
                   reads_per_second=args.reads_per_second,
                   reader=ReaderConfig(name=args.reader, threads=args.threads,
                                       detector=args.detector), region=args.region)
    print(json.dumps(result) if args.json else render(result))
    return 0


def _sample_clip(args: argparse.Namespace) -> int:
    from checkpoint.lab.sampleclip import LANES, render_clip

    truth = render_clip(args.out, plates=LANES[args.region], seed=args.seed)
    print(f"{args.out}: {truth.frames} frames, {len(truth.vehicles)} vehicles "
          f"({', '.join(v.plate for v in truth.vehicles)}); truth in {args.out}.truth.json")
    return 0


def _eval_ids(args: argparse.Namespace) -> int:
    """Read and verify every photo of a labelled folder as the box does; 2 on bad labels."""
    from checkpoint.documents import MRZ_MODEL, DocumentReader
    from checkpoint.lab.evaluate_ids import LabelError, evaluate_ids

    reader = DocumentReader(mrz_model=MRZ_MODEL if args.recogniser == "ocrb" else None)
    try:
        report = evaluate_ids(args.folder, reader, progress=args.progress)
    except LabelError as exc:
        print(f"checkpoint eval-ids: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['photos']} photos in {report['folder']} ({args.recogniser} recogniser)")
    print(f"  read {report['read']:.1%}  verified {report['verified']:.1%}  "
          f"read and verified {report['read_and_verified']:.1%}")
    for kind, fig in report["by_document_type"].items():
        print(f"  {kind:<16} {fig['photos']:>4} photos  read and verified "
              f"{fig['read_and_verified']:.1%}")
    print(f"  verdicts given: {report['verdicts_given']}")
    print(f"  {report['median_ms']} ms per photo (median), {report['p95_ms']} ms (95th percentile)")
    return 0


def _render_ids(args: argparse.Namespace) -> int:
    from checkpoint.lab.documents import write_set

    docs = write_set(args.out, args.count, seed=args.seed)
    print(f"{args.out}: {len(docs)} document photos and labels.csv")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="checkpoint", description="kakou edge box: lab tools")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("eval", help="measure plate reading on a folder with a labels.csv manifest")
    ev.add_argument("eval_dir", metavar="DIR", type=Path,
                    help="folder of images with a labels.csv manifest")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--limit", type=int, metavar="N",
                    help="evaluate only the first N images (by file name)")
    ev.add_argument("--skip", type=int, default=0, metavar="N",
                    help="leave out the first N images (by file name), e.g. a half a model "
                         "was fine-tuned on")
    ev.add_argument("--every", type=int, default=1, metavar="N",
                    help="then evaluate every Nth image only: --skip 1 --every 2 is the "
                         "lprnet-cn-crops half the CN recogniser was not tuned on")
    ev.add_argument("--no-progress", dest="progress", action="store_false",
                    help="no progress bar on stderr")
    ev.add_argument("--config", type=Path, help="checkpoint config whose reader to measure")
    ev.add_argument("--reader", choices=READERS, help="override reader.name")
    ev.add_argument("--detector", choices=DETECTORS, help="override reader.detector")
    ev.add_argument("--rec-views", type=int, metavar="N",
                    help="override reader.rec_views (1: the region recognisers read each crop once)")
    ev.set_defaults(handler=_eval)

    bn = sub.add_parser("bench", help="frames per second and real-time factor on a 1080p clip, "
                        "against rapidocr on every frame")
    bn.add_argument("--clip", type=Path, default=None,
                    help="1080p clip (default: the region's, under .services/; rendered with "
                    "its truth file if absent)")
    bn.add_argument("--region", choices=BENCH_REGIONS, default="any",
                    help="any: European-looking plates, no grammar region (default); cn: a "
                    "Jinan lane's Chinese plates, read with the CN grammar and recogniser")
    bn.add_argument("--baseline-frames", type=int, default=40,
                    help="frames, spread over the clip, on which the baseline is timed")
    bn.add_argument("--reads-per-second", type=float, default=5.0,
                    help="how often plates are read (the camera config's default)")
    bn.add_argument("--reader", choices=READERS, default="ppocr")
    bn.add_argument("--threads", type=int, default=ReaderConfig().threads,
                    help="onnxruntime threads (reader.threads)")
    bn.add_argument("--detector", choices=DETECTORS, default=ReaderConfig().detector,
                    help="reader.detector: text lines (text), text lines on plates only "
                    "(gated), or plates first (plate)")
    bn.add_argument("--json", action="store_true")
    bn.set_defaults(handler=_bench)

    clip = sub.add_parser("sample-clip", help="render the deterministic synthetic demo clip")
    clip.add_argument("out", type=Path)
    clip.add_argument("--seed", type=int, default=7)
    clip.add_argument("--region", choices=BENCH_REGIONS, default="cn",
                      help="cn: a Jinan lane's Chinese plates of several kinds (default); any: a "
                      "European lane's Latin plates")
    clip.set_defaults(handler=_sample_clip)

    ids = sub.add_parser("eval-ids", help="read and verify a folder of document photos "
                         "against its labels.csv: read rate, verification, ms per photo")
    ids.add_argument("folder", type=Path)
    ids.add_argument("--recogniser", choices=["ocrb", "ppocr"], default="ocrb",
                     help="ocrb: the project's MRZ recogniser (default); ppocr: PP-OCR's")
    ids.add_argument("--no-progress", dest="progress", action="store_false")
    ids.add_argument("--json", action="store_true")
    ids.set_defaults(handler=_eval_ids)

    render = sub.add_parser("render-ids", help="render synthetic ID document photos with "
                            "their labels.csv (for eval-ids)")
    render.add_argument("out", type=Path)
    render.add_argument("--count", type=int, default=500)
    render.add_argument("--seed", type=int, default=0)
    render.set_defaults(handler=_render_ids)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"checkpoint: {exc}", file=sys.stderr)
        return 2
