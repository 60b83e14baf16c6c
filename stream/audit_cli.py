"""``kakou-audit``: check that the audit log's hash chain is unbroken, and show its latest records.

``verify`` exits 1 when any record was altered, removed, inserted or reordered, so a cron job or a
monitoring check notices; ``show`` prints the last records (``--json`` for scripts).
"""
from __future__ import annotations

import argparse
import json
import sys

import redis

from stream.audit import AuditError, AuditLog, AuditRecord
from stream.settings import redis_url

_SHOWN_PROBLEMS = 20


def _verify(log: AuditLog, args: argparse.Namespace) -> int:
    problems = log.verify()
    seq, _ = log.head()
    if args.json:
        print(json.dumps({"ok": not problems, "records": seq, "problems": problems}))
    elif problems:
        for problem in problems[:_SHOWN_PROBLEMS]:
            print(f"kakou-audit: {problem}", file=sys.stderr)
        more = len(problems) - _SHOWN_PROBLEMS
        print(f"audit chain BROKEN: {len(problems)} problems"
              + (f" ({more} more not shown; use --json)" if more > 0 else ""))
    else:
        print(f"audit chain intact: {seq} records")
    return 1 if problems else 0


def _line(record: AuditRecord) -> str:
    case = f" case={record.case_number}" if record.case_number else ""
    return (f"{record.seq:>6} {record.time.isoformat(timespec='seconds')} {record.actor} "
            f"{record.action} {record.target!r} reason={record.reason!r}{case}")


def _show(log: AuditLog, args: argparse.Namespace) -> int:
    seq, _ = log.head()
    records = log.records(start_seq=seq - args.limit + 1, limit=args.limit)
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False))
    else:
        for record in records:
            print(_line(record))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kakou-audit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="check the whole hash chain; exit 1 when broken")
    verify.add_argument("--json", action="store_true", help="{ok, records, problems} on stdout")
    show = sub.add_parser("show", help="the latest records, oldest first")
    show.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    show.add_argument("--json", action="store_true", help="a JSON list of records")
    args = parser.parse_args(argv)
    if args.command == "show" and args.limit < 1:
        parser.error("--limit must be at least 1")
    log = AuditLog(redis.Redis.from_url(redis_url(), decode_responses=True))
    try:
        return {"verify": _verify, "show": _show}[args.command](log, args)
    except AuditError as exc:
        print(f"kakou-audit: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
