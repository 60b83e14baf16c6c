"""Identity numbers → pseudonymous subject tags (design.md, "Privacy and accountability").

A tag is HMAC-SHA256 over ``"<doc-type>|v1|<number>"`` with a secret key, truncated to 128 bits
(32 hex characters). The edge tags every verified document this way and the stream imports person
lists the same way, so the two meet on tags and no number is ever stored or sent. The key comes
from a file or the environment, never from config, and is never printed: a tag is only as private
as its key.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from checkpoint.wire.edge import DocumentType

TAG_VERSION = "v1"
_SEPARATORS = re.compile(r"[\s\-./<]")
_NUMBER = re.compile(r"^[0-9A-Z]{5,20}$")


class PseudonymError(ValueError):
    """No usable key, or a document number that cannot be tagged; says which and why."""


@dataclass(frozen=True)
class PseudonymKey:
    """A secret with the id that tags record (``key_id``), so a key can be rotated."""

    key_id: str
    secret: bytes = field(repr=False)


def normalise_number(number: str) -> str:
    """Upper case, separators and MRZ fillers removed: the same document always tags alike."""
    return _SEPARATORS.sub("", number).upper()


def subject_tag(document_type: DocumentType | str, number: str, key: PseudonymKey) -> str:
    """The 32-hex tag of one document number; PseudonymError for an unusable number."""
    kind = DocumentType(document_type)
    normalised = normalise_number(number)
    if not _NUMBER.match(normalised):
        raise PseudonymError("document number must be 5-20 letters or digits after removing "
                             "separators")
    message = f"{kind.value}|{TAG_VERSION}|{normalised}".encode()
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()[:32]


def load_key(environ: dict[str, str] | None = None) -> PseudonymKey:
    """The key named by ``KAKOU_ID_KEY_ID`` (default ``k1``), read from the file in
    ``KAKOU_ID_KEY_FILE`` or else from ``KAKOU_ID_KEY``."""
    env = os.environ if environ is None else environ
    key_id = env.get("KAKOU_ID_KEY_ID", "k1")
    if path := env.get("KAKOU_ID_KEY_FILE"):
        try:
            secret = Path(path).read_bytes().strip()
        except OSError as exc:
            raise PseudonymError(f"KAKOU_ID_KEY_FILE {path}: cannot read: {exc.strerror}") from None
    else:
        secret = env.get("KAKOU_ID_KEY", "").encode()
    if len(secret) < 16:
        raise PseudonymError("no pseudonymisation key: set KAKOU_ID_KEY_FILE to a file holding "
                             "a secret of at least 16 bytes (or KAKOU_ID_KEY)")
    return PseudonymKey(key_id, secret)


def load_previous_keys(environ: dict[str, str] | None = None) -> list[PseudonymKey]:
    """The keys boxes may still tag with while a new key rolls out: one file per key in the
    folder ``KAKOU_ID_PREVIOUS_KEYS_DIR``, named by its key id. Person lists are tagged under
    each of them as well as the current key, so no check is missed during a rotation."""
    env = os.environ if environ is None else environ
    folder = env.get("KAKOU_ID_PREVIOUS_KEYS_DIR")
    if not folder:
        return []
    try:
        files = sorted(p for p in Path(folder).iterdir() if p.is_file())
    except OSError as exc:
        raise PseudonymError(f"KAKOU_ID_PREVIOUS_KEYS_DIR {folder}: cannot read: "
                             f"{exc.strerror}") from None
    keys = []
    for path in files:
        secret = path.read_bytes().strip()
        if len(secret) < 16:
            raise PseudonymError(f"previous key {path.name}: a secret needs at least 16 bytes")
        keys.append(PseudonymKey(path.name, secret))
    return keys
