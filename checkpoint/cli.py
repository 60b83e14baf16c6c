"""The box's commands of ``checkpoint``: run, replay, topics, terminal-token and verify-document
(``checkpoint.command`` hands them here, and the lab's to ``checkpoint.lab.cli``)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from checkpoint.config import CameraConfig, CheckpointConfig, ConfigError, load_config
from checkpoint.wire.edge import VehiclePassage

if TYPE_CHECKING:  # the box and its terminals load only for the commands that run them
    from checkpoint.box import EventSink, PassageObserver
    from checkpoint.terminal import TerminalServer, TerminalService

log = logging.getLogger("checkpoint")

def setup_logging(verbose: bool) -> None:
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


def _terminals(cfg: CheckpointConfig, publisher: EventSink, observers: list[PassageObserver]
               ) -> tuple[TerminalServer | None, TerminalService | None]:
    """The terminal API's server and service for a config that has one (its lane board
    observing the box's passages), else None; ConfigError when the pseudonym key is missing."""
    if cfg.terminal_api is None:
        return None, None
    from checkpoint.lanes import LaneBoard
    from checkpoint.terminal import TerminalServer, TerminalService
    from checkpoint.wire.pseudonym import PseudonymError, load_key

    try:
        key = load_key()
    except PseudonymError as exc:
        raise ConfigError(f"terminal_api: {exc}") from None
    lanes = LaneBoard(timedelta(seconds=cfg.terminal_api.passage_window_s))
    observers.append(lanes.observe)
    service = TerminalService(cfg, publisher, lanes, key)
    service.warm()
    return TerminalServer(service, cfg.terminal_api), service


def _run(cfg: CheckpointConfig, *, realtime: bool, drain_timeout: float, as_json: bool,
         list_passages: bool, until_stopped: bool = False) -> int:
    """Run the box to its end (with ``until_stopped``, on after its cameras end, until a
    signal: the terminal API and heartbeats go on); print what it did (each passage too, for
    a replay: a live box keeps no list of them)."""
    from checkpoint.box import Checkpoint
    from checkpoint.publish import Publisher
    from checkpoint.read import build_reader
    from checkpoint.spool import Spool

    passages: list[VehiclePassage] = []
    spool = Spool(cfg.spool_dir / f"{cfg.checkpoint_id}.sqlite")
    publisher = Publisher(spool)
    observers: list[PassageObserver] = [passages.append] if list_passages else []
    try:
        server, service = _terminals(cfg, publisher, observers)
    except ConfigError:
        publisher.close()
        raise
    box = Checkpoint(cfg, publisher, lambda: build_reader(cfg.reader), observers=observers,
                     terminal_status=service.status if service else None)
    for sig in (signal.SIGINT, signal.SIGTERM):  # stop cameras cleanly; the spool keeps the rest
        signal.signal(sig, lambda *_: box.stop())
    try:
        if server:
            try:
                server.start()
            except RuntimeError as exc:
                raise ConfigError(f"terminal_api: {exc}") from None
        summary = box.run(realtime=realtime, until_stopped=until_stopped)
        if server:
            server.stop()
        drained = publisher.wait_drained(drain_timeout)
    finally:
        publisher.close()
    depth = spool.depth()
    spool.close()
    if as_json:
        out = {"checkpoint_id": summary.checkpoint_id, "passage_count": summary.passages,
               "cameras": [c.model_dump(mode="json") for c in summary.cameras],
               "spool_depth": depth, "uplink": dataclasses.asdict(publisher.status)}
        if list_passages:
            out["passages"] = [{"event_id": p.event_id, "plate": p.plate,
                                "confidence": p.plate_confidence, "camera_id": p.camera_id,
                                "dwell_seconds": p.dwell_seconds} for p in passages]
        print(json.dumps(out))
    else:
        for p in passages:
            print(f"{p.last_seen:%H:%M:%S}  {p.camera_id:<10} {p.plate:<10} "
                  f"{p.plate_confidence:.2f}  dwell {p.dwell_seconds:.1f}s")
        for c in summary.cameras:
            extra = f" ({c.last_error})" if c.last_error else ""
            print(f"camera {c.camera_id}: {c.state}{extra}")
        uplink = publisher.status
        print(f"{summary.passages} passages; {uplink.published} events delivered to Kafka"
              + (f" ({uplink.failures} failed attempts, last: {uplink.last_error})"
                 if uplink.failures else "")
              + ("" if drained else
                 f"; {depth} still spooled (sent when Kafka is reachable again)"))
    failed = [c for c in summary.cameras if c.state == "failed"]
    return 1 if failed and len(failed) == len(summary.cameras) else 0


def _topics(_: argparse.Namespace) -> int:
    from checkpoint.wire.topics import ensure_topics

    created = ensure_topics()
    print("created: " + ", ".join(created) if created else "all topics exist")
    return 0


def _terminal_token(args: argparse.Namespace) -> int:
    """A new token for a terminal (give it to the terminal) and its hash (for the box's
    config: the box never stores the token)."""
    import secrets

    from checkpoint.terminal import token_hash

    token = secrets.token_urlsafe(32)
    entry = {"id": args.terminal, "lane": args.lane, "token_sha256": token_hash(token)}
    if args.json:
        print(json.dumps({"token": token, "terminal": entry}))
    else:
        print(f"token (give it to terminal {args.terminal}; it is not kept): {token}")
        print("add to terminal_api.terminals in the box's config:")
        print(f"  - {{id: {entry['id']}, lane: \"{entry['lane']}\", "
              f"token_sha256: {entry['token_sha256']}}}")
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _read_photo(path: Path):
    """The document text in a photo file; ConfigError when the file is no readable image."""
    import cv2

    from checkpoint.documents import DocumentReader

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ConfigError(f"{path}: not a readable image")
    return DocumentReader().read(image)


def _verify_document(args: argparse.Namespace) -> int:
    """Verify typed-in document data or a photo on the box (look-alikes in the MRZ's
    letter-only and digit-only fields put right, as O typed for 0); the number itself is never
    printed."""
    from checkpoint.verify import CHECK_REASONS, correct_mrz, verify_cn_id, verify_mrz

    today = args.date or datetime.now(timezone.utc).date()
    if args.image:
        from checkpoint.documents import verification_of

        v = verification_of(_read_photo(args.image), today)
    elif args.mrz:
        v = verify_mrz(correct_mrz(args.mrz), today)
    else:
        v = verify_cn_id(args.cn_id, today, valid_from=args.valid_from,
                         valid_until=args.valid_until)
    if args.json:
        print(json.dumps({"verdict": v.verdict, "document_type": v.document_type,
                          "issuing_state": v.issuing_state, "checks": v.checks,
                          "failed_checks": v.failed, "warnings": list(v.warnings),
                          "expiry": v.expiry.isoformat() if v.expiry else None}))
    else:
        print(f"verdict: {v.verdict}  ({v.document_type or 'unknown document'}"
              f"{', ' + v.issuing_state if v.issuing_state else ''})")
        for name, ok in v.checks.items():
            print(f"  {'pass' if ok else 'FAIL'}  {CHECK_REASONS.get(name, name)}")
        for warning in v.warnings:
            print(f"  warn  {warning}")
    return 0 if v.verdict == "valid" else 1


def build_parser(lab_commands: dict[str, str] | None = None) -> argparse.ArgumentParser:
    """The box's commands; ``lab_commands`` (name: help) are listed too, for ``--help``."""
    parser = argparse.ArgumentParser(prog="checkpoint", description="kakou edge box")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the cameras of a checkpoint config until they end")
    run.add_argument("--config", required=True, type=Path)
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--until-stopped", action="store_true",
                     help="keep the box (terminal API, heartbeats) up after the cameras end, "
                          "until SIGINT or SIGTERM (for recorded footage)")

    replay = sub.add_parser("replay", help="replay recorded footage through the same pipeline")
    replay.add_argument("file", type=Path)
    replay.add_argument("--checkpoint", help="checkpoint id (default: from --config, else 'replay')")
    replay.add_argument("--config", type=Path, help="checkpoint config to take camera settings from")
    replay.add_argument("--camera", help="camera id in --config whose settings to use")
    replay.add_argument("--speed", choices=["realtime", "max"], default="max")
    replay.add_argument("--drain-timeout", type=float, default=60.0,
                        help="seconds to wait for Kafka to acknowledge everything at the end")
    replay.add_argument("--json", action="store_true", help="print the summary as JSON")

    sub.add_parser("topics", help="create kakou's Kafka topics (idempotent)")

    token = sub.add_parser("terminal-token",
                           help="make a new ID terminal token and the config line that admits it")
    token.add_argument("--terminal", default="t1", help="the terminal's id")
    token.add_argument("--lane", default="1", help="the lane it checks")
    token.add_argument("--json", action="store_true", help="print one JSON object")

    verify = sub.add_parser("verify-document",
                            help="verify typed-in ID document data (exit 0 only when valid)")
    given = verify.add_mutually_exclusive_group(required=True)
    given.add_argument("--mrz", nargs="+", metavar="LINE",
                       help="the machine-readable zone's lines (ICAO 9303 TD1, TD2 or TD3)")
    given.add_argument("--cn-id", metavar="NUMBER", help="a PRC resident ID number (18 characters)")
    given.add_argument("--image", type=Path, metavar="FILE",
                       help="a photo of the document (its MRZ, or a PRC card's number side)")
    verify.add_argument("--date", type=_date, help="check date (default: today, UTC)")
    verify.add_argument("--valid-from", type=_date, help="with --cn-id: the card's issue date")
    verify.add_argument("--valid-until", type=_date,
                        help="with --cn-id: the card's expiry (omit for a long-term card)")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    for name, text in (lab_commands or {}).items():  # parsed by checkpoint.lab.cli
        sub.add_parser(name, help=f"{text} (lab; `checkpoint {name} --help`)", add_help=False)
    return parser


def main(argv: list[str] | None = None, lab_commands: dict[str, str] | None = None) -> int:
    args = build_parser(lab_commands).parse_args(argv)
    setup_logging(args.verbose)
    try:
        if args.command == "run":
            return _run(load_config(args.config), realtime=True, drain_timeout=60.0,
                        as_json=args.json, list_passages=False, until_stopped=args.until_stopped)
        if args.command == "replay":
            if not args.file.exists():
                raise ConfigError(f"{args.file}: no such file")
            return _run(_replay_config(args), realtime=args.speed == "realtime",
                        drain_timeout=args.drain_timeout, as_json=args.json, list_passages=True)
        if args.command == "verify-document":
            return _verify_document(args)
        if args.command == "terminal-token":
            return _terminal_token(args)
        return _topics(args)
    except ConfigError as exc:
        print(f"checkpoint: {exc}", file=sys.stderr)
        return 2
