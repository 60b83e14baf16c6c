"""A verification → the IdCheck event: the verdict and its checks, the subject tag, nothing else.

The document number is turned into its subject tag here and goes no further; names, birth
dates, numbers, MRZ text and images never reach the event (design.md, "Privacy and
accountability"). Pure: the key, the time and the lane's open passage are arguments.
"""
from __future__ import annotations

from datetime import datetime

from checkpoint.verify import Verification
from checkpoint.wire.edge import DocumentType, IdCheck, Verdict
from checkpoint.wire.pseudonym import PseudonymError, PseudonymKey, subject_tag


def id_check(verification: Verification, *, checkpoint_id: str, lane: str, time: datetime,
             key: PseudonymKey, passage_id: str | None = None,
             submitted: DocumentType | None = None) -> IdCheck:
    """The event for one verified document. An unreadable document has no tag (there is no
    number to trust) and takes the type it was submitted as (``submitted``); a readable one is
    tagged whatever its verdict, so an expired or altered document on a person list still
    matches."""
    document_type = verification.document_type or submitted
    if document_type is None:
        raise ValueError("an unreadable document needs the type it was submitted as")
    tag = None
    if verification.verdict != Verdict.UNREADABLE and verification.number:
        try:
            tag = subject_tag(document_type, verification.number, key)
        except PseudonymError:
            tag = None
    state = verification.issuing_state
    return IdCheck(
        checkpoint_id=checkpoint_id, lane=lane, passage_id=passage_id, time=time,
        document_type=document_type,
        issuing_state=state if state and len(state) == 3 else None,
        verdict=verification.verdict,
        checks={name: "pass" if ok else "fail" for name, ok in verification.checks.items()},
        subject_tag=tag, key_id=key.key_id if tag else None)
