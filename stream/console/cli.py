"""``kakou-console``: serve the control-room console, and manage its accounts from a console host.

    kakou-console serve [--config FILE] [--host ADDRESS] [--port N]
    kakou-console user add NAME --role operator|supervisor|auditor [--password-file FILE]
    kakou-console user list [--json]
    kakou-console user disable NAME | logout NAME | password NAME

Passwords come from a prompt (twice), from standard input when it is not a terminal, or from a
file; never from the command line, where other users and the shell history would see them.
Every account change is written to the audit log under ``--actor``.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

import redis

from stream.audit import AuditLog
from stream.console.accounts import AccountError, Accounts, Role
from stream.console.config import ConsoleConfigError, load_console_config
from stream.console.sessions import Sessions, end_sessions
from stream.settings import database_url, redis_url


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        return Path(args.password_file).read_text(encoding="utf-8").rstrip("\n")
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from stream.console.app import create_app
    from stream.console.desk import KafkaAlertPublisher
    from stream.console.services import Services
    from stream.history import HistoryReader
    from stream.watchlist_api import WatchlistTopic

    config = load_console_config(args.config)
    config = config.model_copy(update={k: v for k, v in (("host", args.host), ("port", args.port))
                                       if v is not None})
    services = Services(config, redis.Redis.from_url(redis_url(), decode_responses=True),
                        redis_url(), KafkaAlertPublisher(), HistoryReader(database_url()),
                        WatchlistTopic())
    uvicorn.run(create_app(services), host=config.host, port=config.port, log_level="info",
                ssl_certfile=str(config.tls.certificate) if config.tls else None,
                ssl_keyfile=str(config.tls.key) if config.tls else None,
                proxy_headers=False)
    return 0


def _user(args: argparse.Namespace) -> int:
    client = redis.Redis.from_url(redis_url(), decode_responses=True)
    accounts, audit = Accounts(client), AuditLog(client)
    if args.action == "list":
        rows = [{"username": a.username, "role": a.role.value, "disabled": a.disabled}
                for a in accounts.all()]
        if args.json:
            print(json.dumps(rows))
        else:
            for row in rows:
                print(f"{row['username']:<24} {row['role']:<11} "
                      f"{'disabled' if row['disabled'] else 'active'}")
        return 0
    name = args.name
    if args.action == "add":
        if args.role is None:
            raise AccountError("user add needs --role")
        audit.append(args.actor, "user.create", name, reason="kakou-console",
                     details={"role": args.role})
        accounts.create(name, _password(args), Role(args.role))
    elif args.action == "password":
        audit.append(args.actor, "user.password", name, reason="kakou-console")
        accounts.set_password(name, _password(args))
        Sessions(client, load_console_config(args.config)).close_all(name)
    else:  # disable, logout: both end every session at once
        end_sessions(accounts, Sessions(client, load_console_config(args.config)), audit,
                     args.actor, name, disable=args.action == "disable", reason="kakou-console")
    print(f"{args.action}: {name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kakou-console", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="console config (default: $KAKOU_CONSOLE_CONFIG, "
                        "else configs/console.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the console (host, port, TLS from the config)")
    serve.add_argument("--host", help="listen on this address instead of the config's")
    serve.add_argument("--port", type=int, help="listen on this port instead of the config's")
    user = sub.add_parser("user", help="accounts: add, list, disable, logout, password")
    user.add_argument("action", choices=["add", "list", "disable", "logout", "password"])
    user.add_argument("name", nargs="?")
    user.add_argument("--role", choices=[r.value for r in Role])
    user.add_argument("--password-file", help="read the password from this file")
    user.add_argument("--actor", default=os.environ.get("USER", "kakou-console"),
                      help="who makes the change, for the audit log")
    user.add_argument("--json", action="store_true", help="list: JSON output")
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.action != "list" and not args.name:
            parser.error(f"user {args.action} needs a NAME")
        return _user(args)
    except (AccountError, ConsoleConfigError, OSError, redis.RedisError) as exc:
        print(f"kakou-console: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
