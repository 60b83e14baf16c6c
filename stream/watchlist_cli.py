"""``kakou-watchlist``: import, set, show, delete and export watchlist entries.

Every change goes through ``stream.watchlist_api.WatchlistService``, the console's API too: it is
audited (who, why, which case) and then published to the compacted topic (acks=all). Rejected
import lines are printed with their line numbers and the command exits 1, so scripts notice; a
refused change exits 2 with the field or entry that was wrong.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

import redis

from stream.audit import AuditLog
from stream.settings import redis_url
from stream.watchlist_api import WatchlistError, WatchlistService, WatchlistTopic
from stream.wire import WatchlistEntry


def _import(service: WatchlistService, args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"kakou-watchlist: {args.file}: cannot read: {exc}", file=sys.stderr)
        return 2
    try:
        result = service.import_csv(text, actor=args.actor,
                                    reason=args.reason or f"import of {args.file.name}",
                                    case_number=args.case_number, source=args.file.name,
                                    dry_run=args.dry_run)
    except WatchlistError as exc:
        print(f"kakou-watchlist: {args.file}: {exc}", file=sys.stderr)
        return 2
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


def _print_entry(entry: WatchlistEntry, as_json: bool, verb: str = "") -> None:
    if as_json:
        print(entry.model_dump_json())
        return
    if verb:
        print(f"{verb} {entry.entry_id}")
    for name, value in entry.model_dump(mode="json").items():
        if value not in (None, ""):
            print(f"  {name}: {value}")


def _set(service: WatchlistService, args: argparse.Namespace) -> int:
    fields = dict(args.fields)
    who = {"actor": args.actor, "reason": args.reason, "case_number": args.case_number}
    if args.update:
        entry = service.update(args.entry_id, fields, **who)
    else:
        entry = service.create({"entry_id": args.entry_id, **fields}, **who)
    _print_entry(entry, args.json, "updated" if args.update else "created")
    return 0


def _show(service: WatchlistService, args: argparse.Namespace) -> int:
    _print_entry(service.get(args.entry_id), args.json)
    return 0


def _delete(service: WatchlistService, args: argparse.Namespace) -> int:
    for entry_id in args.entry_ids:
        service.delete(entry_id, actor=args.actor, reason=args.reason,
                       case_number=args.case_number)
        print(f"deleted {entry_id} (tombstone on kakou.watchlist)")
    return 0


def _export(service: WatchlistService, args: argparse.Namespace) -> int:
    export = service.export_csv()
    if args.output:
        args.output.write_text(export.text, encoding="utf-8")
    else:
        sys.stdout.write(export.text)
    print(f"exported {export.count} entries" + (
        f"; {export.unreadable} unreadable messages skipped (see kakou.deadletter)"
        if export.unreadable else ""), file=sys.stderr)
    return 0


def _field(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected field=value")
    if name == "entry_id":
        raise argparse.ArgumentTypeError("give the entry id once, as ENTRY_ID")
    return name, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kakou-watchlist", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    case = argparse.ArgumentParser(add_help=False)
    case.add_argument("--case-number", help="the case the change belongs to (audit)")
    imp = sub.add_parser("import", parents=[case],
                         help="import a CSV (columns: see stream/watchlist.py)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--actor", "--created-by", dest="actor", default=getpass.getuser(),
                     help="who is importing (audit; default: the login name)")
    imp.add_argument("--reason", help='why (audit; default: "import of FILE")')
    imp.add_argument("--dry-run", action="store_true", help="validate only, publish nothing")
    imp.add_argument("--json", action="store_true")
    change = argparse.ArgumentParser(add_help=False, parents=[case])
    change.add_argument("--actor", default=getpass.getuser(),
                        help="who makes the change (audit; default: the login name)")
    change.add_argument("--reason", required=True, help="why (audit, required)")
    put = sub.add_parser("set", parents=[change], help="create an entry, or change one (--update)",
                         description='fields as in the CSV; with --update, "field=" clears one')
    put.add_argument("entry_id", metavar="ENTRY_ID")
    put.add_argument("fields", nargs="+", type=_field, metavar="field=value")
    put.add_argument("--update", action="store_true", help="change an existing entry")
    put.add_argument("--json", action="store_true", help="print the entry as JSON")
    show = sub.add_parser("show", help="one entry")
    show.add_argument("entry_id", metavar="ENTRY_ID")
    show.add_argument("--json", action="store_true")
    delete = sub.add_parser("delete", parents=[change], help="delete entries by id")
    delete.add_argument("entry_ids", nargs="+", metavar="ENTRY_ID")
    export = sub.add_parser("export", help="the current watchlist as CSV (spreadsheet-safe)")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    topic = WatchlistTopic()
    service = WatchlistService(topic, AuditLog(redis.Redis.from_url(redis_url(),
                                                                    decode_responses=True)))
    command = {"import": _import, "set": _set, "show": _show, "delete": _delete,
               "export": _export}[args.command]
    try:
        return command(service, args)
    except WatchlistError as exc:
        print(f"kakou-watchlist: {exc}", file=sys.stderr)
        return 2
    finally:
        topic.close()


if __name__ == "__main__":
    sys.exit(main())
