"""``kakou-watchlist``: import a watchlist CSV into the compacted topic, or delete entries.

Every rejected line is printed with its line number and reason; the accepted lines are published
(acks=all) and the command exits non-zero when any line was rejected, so scripts notice.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from checkpoint.contracts import ContractError, WatchlistEntry, decode, encode
from checkpoint.settings import kafka_bootstrap
from checkpoint.topics import WATCHLIST, ensure_topics
from stream.watchlist import WatchlistFormatError, parse_csv, to_csv


def _producer() -> KafkaProducer:
    ensure_topics()
    return KafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", enable_idempotence=True,
                         client_id="kakou-watchlist")


def _import(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
        result = parse_csv(text, created_by=args.created_by)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"kakou-watchlist: {args.file}: cannot read: {exc}", file=sys.stderr)
        return 2
    except WatchlistFormatError as exc:
        print(f"kakou-watchlist: {args.file}: {exc}", file=sys.stderr)
        return 2
    if not args.dry_run and result.entries:
        producer = _producer()
        futures = [producer.send(WATCHLIST.name, key=e.entry_id.encode(), value=encode(e))
                   for e in result.entries]
        producer.flush()
        for f in futures:
            f.get(timeout=30)
        producer.close()
    rejected = [{"line": r.line, "reason": r.reason} for r in result.rejected]
    if args.json:
        print(json.dumps({"file": str(args.file), "imported": len(result.entries),
                          "rejected": rejected, "dry_run": args.dry_run}))
    else:
        for r in result.rejected:
            print(f"{args.file}:{r.line}: rejected: {r.reason}", file=sys.stderr)
        verb = "would import" if args.dry_run else "imported"
        print(f"{args.file}: {verb} {len(result.entries)} entries, rejected {len(rejected)} lines")
    return 1 if rejected else 0


def read_watchlist() -> tuple[list[WatchlistEntry], int]:
    """The current entries on the compacted topic (tombstones applied), and how many messages
    could not be read as entries (the stream dead-letters those)."""
    ensure_topics()
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap(), enable_auto_commit=False,
                             client_id="kakou-watchlist-export")
    parts = [TopicPartition(WATCHLIST.name, p) for p in range(WATCHLIST.partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    end = consumer.end_offsets(parts)
    latest: dict[bytes, bytes | None] = {}
    while any(consumer.position(tp) < end[tp] for tp in parts):
        for messages in consumer.poll(timeout_ms=1000).values():
            for m in messages:
                latest[m.key] = m.value
    consumer.close()
    entries, unreadable = [], 0
    for value in latest.values():
        if value is None:
            continue
        try:
            entries.append(decode(WatchlistEntry, value))
        except ContractError:
            unreadable += 1
    return entries, unreadable


def _export(args: argparse.Namespace) -> int:
    entries, unreadable = read_watchlist()
    text = to_csv(entries)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(f"exported {len(entries)} entries" + (f"; {unreadable} unreadable messages skipped "
          "(see kakou.deadletter)" if unreadable else ""), file=sys.stderr)
    return 0


def _delete(args: argparse.Namespace) -> int:
    producer = _producer()
    for entry_id in args.entry_ids:
        producer.send(WATCHLIST.name, key=entry_id.encode(), value=None).get(timeout=30)
    producer.close()
    print(f"deleted {len(args.entry_ids)} entries (tombstones on {WATCHLIST.name})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kakou-watchlist", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a CSV (columns: see stream/watchlist.py)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--created-by", default=getpass.getuser(), help="who is importing (audit)")
    imp.add_argument("--dry-run", action="store_true", help="validate only, publish nothing")
    imp.add_argument("--json", action="store_true")
    delete = sub.add_parser("delete", help="delete entries by id")
    delete.add_argument("entry_ids", nargs="+")
    export = sub.add_parser("export", help="the current watchlist as CSV (spreadsheet-safe)")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    return {"import": _import, "delete": _delete, "export": _export}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
