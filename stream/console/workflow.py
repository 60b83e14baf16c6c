"""The control room's alert workflow as one pure function: what step may follow which, and what
each step must carry.

The order is the one that prevents the wrongful stop: nobody is dispatched to a vehicle until an
operator has compared the plate in the evidence with the entry, checked its region and that the
entry still holds, and confirmed. A fuzzy or alternative-read match needs exactly the same
verification; the console marks it in red so nobody takes it for exact.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from checkpoint.wire.base import new_event_id
from stream.wire import Alert, AlertAction, AlertState


class Step(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    VERIFY = "verify"
    CONFIRM = "confirm"
    REJECT = "reject"
    DISPATCH = "dispatch"
    DISPOSE = "dispose"


#: The verification checklist: every check must pass before an alert can be confirmed.
CHECKS: dict[str, str] = {
    "characters": "every plate character in the evidence matches the entry",
    "region": "the plate's region (province, state, country) matches the entry",
    "entry_valid": "the entry is still valid: not expired, not withdrawn, case still open",
}
#: Preset reasons to reject an alert; "other" needs the operator's own words in the note.
REJECT_REASONS: dict[str, str] = {
    "misread": "misread: the evidence shows another plate",
    "wrong-region": "same characters, another region's plate",
    "entry-inactive": "the entry is no longer active",
    "duplicate": "duplicate of an alert already being handled",
    "other": "other (say why in the note)",
}
OUTCOMES: dict[str, str] = {
    "intercepted": "intercepted",
    "not-found": "not found",
    "false-alarm": "false alarm",
    "other": "other (say what in the note)",
}
#: What each step does to the alert's state, from the states it may start in.
TRANSITIONS: dict[Step, tuple[frozenset[AlertState], AlertState | None]] = {
    Step.ACKNOWLEDGE: (frozenset({AlertState.NEW}), AlertState.ACKNOWLEDGED),
    Step.VERIFY: (frozenset({AlertState.ACKNOWLEDGED}), None),  # recorded, state unchanged
    Step.CONFIRM: (frozenset({AlertState.ACKNOWLEDGED}), AlertState.CONFIRMED),
    Step.REJECT: (frozenset({AlertState.ACKNOWLEDGED, AlertState.CONFIRMED}), AlertState.REJECTED),
    Step.DISPATCH: (frozenset({AlertState.CONFIRMED}), AlertState.DISPATCHED),
    Step.DISPOSE: (frozenset({AlertState.DISPATCHED}), AlertState.DISPOSED),
}
#: States in which nothing is left to do: the alert leaves the open queue.
CLOSED = frozenset({AlertState.REJECTED, AlertState.DISPOSED})
PAST = {Step.ACKNOWLEDGE: "acknowledged", Step.VERIFY: "verified", Step.CONFIRM: "confirmed",
        Step.REJECT: "rejected", Step.DISPATCH: "dispatched", Step.DISPOSE: "disposed"}


class WorkflowError(ValueError):
    """A step that may not be taken now, or lacks what it must carry; says why, for people."""


@dataclass(frozen=True)
class Request:
    """An operator's step, as the console received it."""

    step: Step
    note: str = ""
    checks: Mapping[str, bool] = field(default_factory=dict)
    reason: str | None = None
    unit: str | None = None
    outcome: str | None = None


def is_exact(alert: Alert) -> bool:
    """Only an exact match of the best read is 'exact'; fuzzy, pattern and alternative-read
    matches are approximate, and the console says so."""
    return alert.match.type == "exact" and alert.match.read_source == "best"


def last_verification(alert: Alert) -> AlertAction | None:
    """The latest verification since the alert was acknowledged, if any."""
    for action in reversed(alert.history):
        if action.what == PAST[Step.VERIFY]:
            return action
        if action.what == PAST[Step.ACKNOWLEDGE]:
            return None
    return None


def verified(alert: Alert) -> bool:
    """Whether the latest verification passed every check."""
    done = last_verification(alert)
    return done is not None and all((done.checks or {}).get(name) is True for name in CHECKS)


def apply(alert: Alert, request: Request, who: str, when: datetime) -> Alert:
    """The alert after ``who`` takes ``request`` at ``when`` (a new event id: an update on
    kakou.alerts); raises WorkflowError when the step may not be taken."""
    sources, target = TRANSITIONS[request.step]
    if alert.state not in sources:
        allowed = ", ".join(sorted(s.value for s in sources))
        raise WorkflowError(f"cannot {request.step.value} an alert that is {alert.state.value} "
                            f"(only one that is {allowed})")
    action = _action(alert, request, who, when)
    return alert.model_copy(update={"event_id": new_event_id(),
                                    "state": target or alert.state,
                                    "history": [*alert.history, action]})


def _action(alert: Alert, request: Request, who: str, when: datetime) -> AlertAction:
    note = request.note.strip()
    base = {"who": who, "when": when, "what": PAST[request.step], "note": note}
    match request.step:
        case Step.VERIFY:
            unknown = sorted(set(request.checks) - set(CHECKS))
            if unknown:
                raise WorkflowError(f"unknown checks {unknown}; the checklist is {list(CHECKS)}")
            return AlertAction(**base, checks={name: bool(request.checks.get(name))
                                               for name in CHECKS})
        case Step.CONFIRM if not verified(alert):
            failed = last_verification(alert)
            raise WorkflowError("verify the evidence against the entry first: every check must "
                                "pass before an alert is confirmed" if failed is None else
                                "the last verification failed a check: reject the alert, or "
                                "verify again")
        case Step.REJECT:
            if request.reason not in REJECT_REASONS:
                raise WorkflowError(f"a rejection needs a reason, one of {list(REJECT_REASONS)}")
            if request.reason == "other" and not note:
                raise WorkflowError("a rejection for another reason needs the reason in the note")
            return AlertAction(**base, reason=request.reason)
        case Step.DISPATCH:
            unit = (request.unit or "").strip()
            if not unit:
                raise WorkflowError("a dispatch names the unit sent")
            return AlertAction(**base, unit=unit)
        case Step.DISPOSE:
            if request.outcome not in OUTCOMES:
                raise WorkflowError(f"a disposal needs an outcome, one of {list(OUTCOMES)}")
            if request.outcome == "other" and not note:
                raise WorkflowError("a disposal with another outcome needs it in the note")
            return AlertAction(**base, outcome=request.outcome)
    return AlertAction(**base)
