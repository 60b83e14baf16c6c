"""Console accounts: who may log in, with which role, and their Argon2id password hashes in Redis.

Roles are nested only where the issue of trust is: a supervisor does what an operator does and
also manages lists, users and sees covert lists; an auditor reads the audit log and reports and
nothing else (an auditor who could also work alerts would audit themselves).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from checkpoint.wire.base import utcnow

USER = "kakou:console:user:{username}"   # hash: password_hash, role, disabled, created_at
USERS = "kakou:console:users"             # set of usernames
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"


#: What each role may do; routes name the capability they need, never a role.
CAN: dict[str, frozenset[Role]] = {
    "session": frozenset(Role),
    "alerts": frozenset({Role.OPERATOR, Role.SUPERVISOR}),
    "covert": frozenset({Role.SUPERVISOR}),
    "users": frozenset({Role.SUPERVISOR}),
    "watchlists": frozenset({Role.SUPERVISOR}),
    "audit": frozenset({Role.AUDITOR}),
}


class AccountError(ValueError):
    """An account that cannot be created or changed; says why."""


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    disabled: bool


def check_new_password(password: str, username: str) -> None:
    """A password long enough to resist guessing offline, and not the username."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if username.lower() in password.lower():
        raise AccountError("a password must not contain the username")


class Accounts:
    """The accounts in Redis (a client with ``decode_responses=True``). Argon2id with
    argon2-cffi's defaults (RFC 9106's low-memory profile); a hash made with older parameters
    is upgraded at the next login."""

    def __init__(self, client: redis.Redis, hasher: PasswordHasher | None = None) -> None:
        self._redis, self._hasher = client, hasher or PasswordHasher()
        # Checked against when the account does not exist, so a wrong name takes as long as
        # a wrong password and does not tell which accounts exist.
        self._decoy = self._hasher.hash("kakou-decoy-password")

    def create(self, username: str, password: str, role: Role) -> Account:
        if not USERNAME.match(username):
            raise AccountError("a username is 2-64 lower-case letters, digits, '.', '_' or '-'")
        check_new_password(password, username)
        key = USER.format(username=username)
        fields = {"password_hash": self._hasher.hash(password), "role": role.value,
                  "disabled": "0", "created_at": utcnow().isoformat()}
        with self._redis.pipeline() as pipe:
            pipe.watch(key)
            if pipe.exists(key):
                raise AccountError(f"account {username!r} exists already")
            pipe.multi()
            pipe.hset(key, mapping=fields)
            pipe.sadd(USERS, username)
            pipe.execute()
        return Account(username, role, False)

    def get(self, username: str) -> Account | None:
        fields = self._redis.hgetall(USER.format(username=username))
        if not fields:
            return None
        return Account(username, Role(fields["role"]), fields.get("disabled") == "1")

    def all(self) -> list[Account]:
        names = sorted(self._redis.smembers(USERS))
        return [a for a in (self.get(n) for n in names) if a is not None]

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password is right and the account enabled; else None."""
        key = USER.format(username=username)
        stored = self._redis.hget(key, "password_hash") if USERNAME.match(username) else None
        try:
            self._hasher.verify(stored or self._decoy, password)
        except (VerificationError, InvalidHashError):
            return None
        account = self.get(username) if stored else None
        if account is None or account.disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            self._redis.hset(key, "password_hash", self._hasher.hash(password))
        return account

    def set_disabled(self, username: str, disabled: bool) -> None:
        key = USER.format(username=username)
        if not self._redis.exists(key):
            raise AccountError(f"no account {username!r}")
        self._redis.hset(key, "disabled", "1" if disabled else "0")

    def set_password(self, username: str, password: str) -> None:
        key = USER.format(username=username)
        if not self._redis.exists(key):
            raise AccountError(f"no account {username!r}")
        check_new_password(password, username)
        self._redis.hset(key, "password_hash", self._hasher.hash(password))
