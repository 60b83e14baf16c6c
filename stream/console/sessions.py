"""Console sessions, held server-side in Redis behind an opaque cookie, so any replica serves any
browser and a supervisor can end a user's sessions at once.

The cookie holds a random token; Redis holds only its SHA-256, so a copy of Redis does not let
anyone in. A session ends when unused for the idle timeout (its key expires), at its maximum age,
at logout, or when its account is logged out by force. Each session has its own CSRF token,
which every state-changing request must carry. Failed logins are counted per account and per
client address in fixed windows; past the limit, login answers 429 until the window ends.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import redis

from stream.audit import AuditLog
from stream.console.accounts import Account, AccountError, Accounts, Role
from stream.console.config import ConsoleConfig

SESSION = "kakou:console:session:{digest}"        # hash: username, role, csrf, created, address
USER_SESSIONS = "kakou:console:sessions:{username}"  # set of session digests, for forced logout
FAILURES = "kakou:console:login-failures:{kind}:{who}"  # counter, expires with its window
COOKIE = "kakou_session"


@dataclass(frozen=True)
class Session:
    digest: str
    username: str
    role: Role
    csrf: str
    created: float

    def csrf_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf)


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Sessions and login throttling in Redis (a client with ``decode_responses=True``)."""

    def __init__(self, client: redis.Redis, config: ConsoleConfig,
                 clock=time.time) -> None:
        self._redis, self._config, self._clock = client, config, clock

    def open(self, account: Account, address: str) -> tuple[str, Session]:
        """A new session for ``account``: the cookie's token, and the session."""
        token = secrets.token_urlsafe(32)
        session = Session(digest_of(token), account.username, account.role,
                          secrets.token_urlsafe(32), self._clock())
        key = SESSION.format(digest=session.digest)
        with self._redis.pipeline() as pipe:
            pipe.hset(key, mapping={"username": session.username, "role": session.role.value,
                                    "csrf": session.csrf, "created": session.created,
                                    "address": address})
            pipe.expire(key, self._config.idle_timeout_s)
            pipe.sadd(USER_SESSIONS.format(username=account.username), session.digest)
            pipe.expire(USER_SESSIONS.format(username=account.username),
                        self._config.session_max_s)
            pipe.execute()
        return token, session

    def resume(self, token: str | None) -> Session | None:
        """The live session the cookie names, its idle timer restarted; None if it has ended."""
        if not token or len(token) > 128:
            return None
        digest = digest_of(token)
        key = SESSION.format(digest=digest)
        fields = self._redis.hgetall(key)
        if not fields:
            return None
        session = Session(digest, fields["username"], Role(fields["role"]), fields["csrf"],
                          float(fields["created"]))
        if self._clock() - session.created > self._config.session_max_s:
            self.close(session)
            return None
        self._redis.expire(key, self._config.idle_timeout_s)
        return session

    def alive(self, session: Session) -> bool:
        """Whether the session is still live (its idle timer left as it is)."""
        return bool(self._redis.exists(SESSION.format(digest=session.digest))) and (
            self._clock() - session.created <= self._config.session_max_s)

    def close(self, session: Session) -> None:
        with self._redis.pipeline() as pipe:
            pipe.delete(SESSION.format(digest=session.digest))
            pipe.srem(USER_SESSIONS.format(username=session.username), session.digest)
            pipe.execute()

    def close_all(self, username: str) -> int:
        """End every session of ``username`` (forced logout); how many were live."""
        index = USER_SESSIONS.format(username=username)
        digests = self._redis.smembers(index)
        with self._redis.pipeline() as pipe:
            for digest in digests:
                pipe.delete(SESSION.format(digest=digest))
            pipe.delete(index)
            ended = pipe.execute()[:-1]
        return sum(ended)

    # --- login throttling --------------------------------------------------------------------

    def login_refused_for(self, username: str, address: str) -> int:
        """Seconds until a login for ``username`` from ``address`` may be tried again; 0: now."""
        policy = self._config.login
        waits = []
        for kind, who, limit in (("account", username, policy.per_account),
                                 ("address", address, policy.per_address)):
            key = FAILURES.format(kind=kind, who=who)
            with self._redis.pipeline() as pipe:
                pipe.get(key)
                pipe.ttl(key)
                count, ttl = pipe.execute()
            if count is not None and int(count) >= limit:
                waits.append(max(int(ttl), 1))
        return max(waits, default=0)

    def record_failure(self, username: str, address: str) -> None:
        window = self._config.login.window_s
        with self._redis.pipeline() as pipe:
            for kind, who in (("account", username), ("address", address)):
                key = FAILURES.format(kind=kind, who=who)
                pipe.incr(key)
                pipe.expire(key, window, nx=True)
            pipe.execute()

    def clear_failures(self, username: str) -> None:
        self._redis.delete(FAILURES.format(kind="account", who=username))


def end_sessions(accounts: Accounts, sessions: Sessions, audit: AuditLog, actor: str,
                 username: str, *, disable: bool, reason: str) -> None:
    """Audited first: end every session of ``username`` and, with ``disable``, the account
    (a supervisor's page and ``kakou-console user logout|disable`` both come here)."""
    if accounts.get(username) is None:
        raise AccountError(f"no account {username!r}")
    audit.append(actor, "user.disable" if disable else "user.logout", username, reason=reason)
    if disable:
        accounts.set_disabled(username, True)
    sessions.close_all(username)
