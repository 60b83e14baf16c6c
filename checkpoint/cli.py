"""``checkpoint``: the edge box's command line (run, replay, sample-clip, topics)."""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from checkpoint.config import CameraConfig, CheckpointConfig, ConfigError, load_config
from checkpoint.wire.base import validation_problems

log = logging.getLogger("checkpoint")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.ERROR)  # its retries are reported by the uplink


def _replay_config(args: argparse.Namespace) -> CheckpointConfig:
    """The checkpoint config with one camera whose source is the footage file."""
    if args.config:
        cfg = load_config(args.config)
        camera = next((c for c in cfg.cameras if c.id == args.camera), cfg.cameras[0]) \
            if args.camera else cfg.cameras[0]
        if args.camera and camera.id != args.camera:
            raise ConfigError(f"{args.config}: cameras: no camera with id {args.camera!r}")
        camera = camera.model_copy(update={"source": str(args.file)})
    else:
        cfg = CheckpointConfig(checkpoint_id=args.checkpoint or "replay",
                               cameras=[CameraConfig(id=args.camera or "replay", source=str(args.file))])
        camera = cfg.cameras[0]
    updates: dict = {"cameras": [camera]}
    if args.checkpoint:
        updates["checkpoint_id"] = args.checkpoint
    return cfg.model_copy(update=updates).with_env()


def _run(cfg: CheckpointConfig, *, realtime: bool, drain_timeout: float, as_json: bool) -> int:
    from checkpoint.pipeline import Checkpoint
    from checkpoint.publish import Publisher
    from checkpoint.read import build_reader
    from checkpoint.spool import Spool

    spool = Spool(cfg.spool_dir / f"{cfg.checkpoint_id}.sqlite")
    publisher = Publisher(spool)
    box = Checkpoint(cfg, publisher, lambda: build_reader(cfg.reader))
    for sig in (signal.SIGINT, signal.SIGTERM):  # stop cameras cleanly; the spool keeps the rest
        signal.signal(sig, lambda *_: box.stop())
    try:
        summary = box.run(realtime=realtime)
        drained = publisher.wait_drained(drain_timeout)
    finally:
        publisher.close()
    depth = spool.depth()
    spool.close()
    if as_json:
        print(json.dumps({
            "checkpoint_id": summary.checkpoint_id,
            "passages": [{"event_id": p.event_id, "plate": p.plate, "confidence": p.plate_confidence,
                          "camera_id": p.camera_id, "dwell_seconds": p.dwell_seconds}
                         for p in summary.passages],
            "cameras": [c.model_dump(mode="json") for c in summary.cameras],
            "spool_depth": depth,
        }))
    else:
        for p in summary.passages:
            print(f"{p.last_seen:%H:%M:%S}  {p.camera_id:<10} {p.plate:<10} "
                  f"{p.plate_confidence:.2f}  dwell {p.dwell_seconds:.1f}s")
        for c in summary.cameras:
            extra = f" ({c.last_error})" if c.last_error else ""
            print(f"camera {c.camera_id}: {c.state}{extra}")
        print(f"{len(summary.passages)} passages; "
              + ("all delivered to Kafka" if drained else
                 f"{depth} events still spooled (sent when Kafka is reachable again)"))
    failed = [c for c in summary.cameras if c.state == "failed"]
    return 1 if failed and len(failed) == len(summary.cameras) else 0


def _sample_clip(args: argparse.Namespace) -> int:
    from checkpoint.sampleclip import render_clip

    truth = render_clip(args.out, seed=args.seed)
    print(f"{args.out}: {truth.frames} frames, {len(truth.vehicles)} vehicles "
          f"({', '.join(v.plate for v in truth.vehicles)}); truth in {args.out}.truth.json")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from checkpoint.config import ReaderConfig
    from checkpoint.evaluate import run_eval
    from checkpoint.read import build_reader

    reader_cfg = load_config(args.config).reader if args.config else ReaderConfig()
    overrides = {k: v for k, v in (("name", args.reader), ("detector", args.detector),
                                   ("rec_views", args.rec_views)) if v is not None}
    try:
        reader_cfg = ReaderConfig.model_validate({**reader_cfg.model_dump(), **overrides})
    except ValidationError as exc:
        raise ConfigError("\n".join(f"eval: reader.{p}" for p in validation_problems(exc))) from None
    return run_eval(args, build_reader(reader_cfg), reader_cfg.min_confidence)


def _topics(_: argparse.Namespace) -> int:
    from checkpoint.wire.topics import ensure_topics

    created = ensure_topics()
    print("created: " + ", ".join(created) if created else "all topics exist")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="checkpoint", description="kakou edge box")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the cameras of a checkpoint config until they end")
    run.add_argument("--config", required=True, type=Path)
    run.add_argument("--json", action="store_true", help="print the summary as JSON")

    replay = sub.add_parser("replay", help="replay recorded footage through the same pipeline")
    replay.add_argument("file", type=Path)
    replay.add_argument("--checkpoint", help="checkpoint id (default: from --config, else 'replay')")
    replay.add_argument("--config", type=Path, help="checkpoint config to take camera settings from")
    replay.add_argument("--camera", help="camera id in --config whose settings to use")
    replay.add_argument("--speed", choices=["realtime", "max"], default="max")
    replay.add_argument("--drain-timeout", type=float, default=60.0,
                        help="seconds to wait for Kafka to acknowledge everything at the end")
    replay.add_argument("--json", action="store_true", help="print the summary as JSON")

    clip = sub.add_parser("sample-clip", help="render the deterministic synthetic demo clip")
    clip.add_argument("out", type=Path)
    clip.add_argument("--seed", type=int, default=7)

    sub.add_parser("topics", help="create kakou's Kafka topics (idempotent)")

    from checkpoint import bench, evaluate
    ev = evaluate.add_eval_arguments(sub.add_parser(
        "eval", help="measure plate reading on a folder with a labels.csv manifest"))
    ev.add_argument("--config", type=Path, help="checkpoint config whose reader to measure")
    ev.add_argument("--reader", choices=["ppocr", "rapidocr"], help="override the reader")
    ev.add_argument("--detector", choices=["text", "gated", "plate"], help="override reader.detector")
    ev.add_argument("--rec-views", type=int, metavar="N",
                    help="override reader.rec_views (1: the region recognisers read each crop once)")
    bench.add_arguments(sub.add_parser("bench", help="frames per second and real-time factor on "
                                       "a 1080p clip, against rapidocr on every frame"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    try:
        if args.command == "run":
            return _run(load_config(args.config), realtime=True, drain_timeout=60.0,
                        as_json=args.json)
        if args.command == "replay":
            if not args.file.exists():
                raise ConfigError(f"{args.file}: no such file")
            return _run(_replay_config(args), realtime=args.speed == "realtime",
                        drain_timeout=args.drain_timeout, as_json=args.json)
        if args.command == "sample-clip":
            return _sample_clip(args)
        if args.command == "eval":
            return _eval(args)
        if args.command == "bench":
            from checkpoint.bench import run_bench
            return run_bench(args)
        return _topics(args)
    except ConfigError as exc:
        print(f"checkpoint: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
