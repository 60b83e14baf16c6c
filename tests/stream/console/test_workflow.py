"""The alert workflow: every step from every state, and what each step must carry."""
from datetime import datetime, timezone

import pytest

from checkpoint.wire.base import utcnow
from stream.console.workflow import (CHECKS, CLOSED, OUTCOMES, REJECT_REASONS, TRANSITIONS,
                                     Request, Step, WorkflowError, apply, is_exact, verified)
from stream.wire import Alert, AlertState, MatchExplanation, WatchlistEntry

ENTRY = WatchlistEntry(entry_id="e1", list="stolen", plate="鲁A12345", category="stolen vehicle",
                       priority=1, disposal="stop and hold", created_by="t")
WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
ALL_PASS = {name: True for name in CHECKS}
#: A request each step accepts when its state allows it.
VALID = {Step.ACKNOWLEDGE: Request(Step.ACKNOWLEDGE),
         Step.VERIFY: Request(Step.VERIFY, checks=ALL_PASS),
         Step.CONFIRM: Request(Step.CONFIRM),
         Step.REJECT: Request(Step.REJECT, reason="misread"),
         Step.DISPATCH: Request(Step.DISPATCH, unit="patrol-1"),
         Step.DISPOSE: Request(Step.DISPOSE, outcome="intercepted")}


def alert(state=AlertState.NEW, match="exact", source="best", history=()) -> Alert:
    return Alert(alert_id="a1", raised_at=utcnow(), checkpoint_id="jinan-1", plate="鲁A12345",
                 entry=ENTRY,
                 match=MatchExplanation(type=match, read="鲁A12345", read_source=source),
                 priority=1, disposal="stop and hold", state=state, history=list(history))


def walk(*steps: Request, start: Alert | None = None) -> Alert:
    a = start or alert()
    for step in steps:
        a = apply(a, step, "op1", WHEN)
    return a


def test_the_whole_way_from_new_to_disposed():
    done = walk(*(VALID[s] for s in (Step.ACKNOWLEDGE, Step.VERIFY, Step.CONFIRM,
                                     Step.DISPATCH, Step.DISPOSE)))
    assert done.state == AlertState.DISPOSED and done.state in CLOSED
    assert [h.what for h in done.history] == ["acknowledged", "verified", "confirmed",
                                              "dispatched", "disposed"]
    assert done.history[1].checks == ALL_PASS and done.history[3].unit == "patrol-1"
    assert done.history[4].outcome == "intercepted"
    assert all(h.who == "op1" and h.when == WHEN for h in done.history)


def test_each_step_gets_a_new_event_id_and_leaves_the_original_alone():
    original = alert()
    acked = apply(original, VALID[Step.ACKNOWLEDGE], "op1", WHEN)
    assert acked.event_id != original.event_id and acked.alert_id == original.alert_id
    assert original.state == AlertState.NEW and original.history == []


@pytest.mark.parametrize("state", list(AlertState))
@pytest.mark.parametrize("step", list(Step))
def test_a_step_is_taken_only_from_the_states_it_follows(state, step):
    a = alert(state)
    if state == AlertState.ACKNOWLEDGED and step == Step.CONFIRM:
        a = walk(VALID[Step.VERIFY], start=a)   # confirming needs a verification first
    allowed, target = TRANSITIONS[step]
    if state in allowed:
        assert apply(a, VALID[step], "op1", WHEN).state == (target or state)
    else:
        with pytest.raises(WorkflowError, match=f"cannot {step.value}"):
            apply(a, VALID[step], "op1", WHEN)


def test_nothing_is_dispatched_before_it_is_confirmed():
    for state in set(AlertState) - {AlertState.CONFIRMED}:
        with pytest.raises(WorkflowError):
            apply(alert(state), VALID[Step.DISPATCH], "op1", WHEN)


def test_confirming_needs_a_verification_with_every_check_passed():
    acked = walk(VALID[Step.ACKNOWLEDGE])
    with pytest.raises(WorkflowError, match="verify the evidence"):
        apply(acked, VALID[Step.CONFIRM], "op1", WHEN)
    for failing in CHECKS:
        checked = apply(acked, Request(Step.VERIFY, checks={**ALL_PASS, failing: False}), "op1",
                        WHEN)
        assert not verified(checked)
        with pytest.raises(WorkflowError, match="failed a check"):
            apply(checked, VALID[Step.CONFIRM], "op1", WHEN)
        assert apply(checked, VALID[Step.REJECT], "op1", WHEN).state == AlertState.REJECTED


def test_a_later_failed_verification_outweighs_an_earlier_pass():
    a = walk(VALID[Step.ACKNOWLEDGE], VALID[Step.VERIFY],
             Request(Step.VERIFY, checks={**ALL_PASS, "region": False}))
    assert not verified(a)
    assert verified(walk(VALID[Step.VERIFY], start=a))


def test_a_missing_check_counts_as_failed_and_an_unknown_one_is_refused():
    acked = walk(VALID[Step.ACKNOWLEDGE])
    partial = apply(acked, Request(Step.VERIFY, checks={"characters": True}), "op1", WHEN)
    assert partial.history[-1].checks == {"characters": True, "region": False,
                                          "entry_valid": False}
    with pytest.raises(WorkflowError, match="unknown checks"):
        apply(acked, Request(Step.VERIFY, checks={"looks_fine": True}), "op1", WHEN)


def test_a_verification_before_the_acknowledgement_does_not_count():
    a = alert(AlertState.ACKNOWLEDGED, history=[])
    a = walk(VALID[Step.VERIFY], start=a)
    reacked = a.model_copy(update={"history": [*a.history, a.history[0].model_copy(
        update={"what": "acknowledged", "checks": None})]})
    assert not verified(reacked)


@pytest.mark.parametrize("reason", list(REJECT_REASONS))
def test_every_preset_reject_reason_is_accepted(reason):
    note = "driver's plate is 鲁A12346" if reason == "other" else ""
    rejected = walk(VALID[Step.ACKNOWLEDGE], Request(Step.REJECT, reason=reason, note=note))
    assert rejected.state == AlertState.REJECTED and rejected.history[-1].reason == reason


def test_a_rejection_needs_a_known_reason_and_other_needs_words():
    acked = walk(VALID[Step.ACKNOWLEDGE])
    for bad in (None, "", "bored"):
        with pytest.raises(WorkflowError, match="needs a reason"):
            apply(acked, Request(Step.REJECT, reason=bad), "op1", WHEN)
    with pytest.raises(WorkflowError, match="in the note"):
        apply(acked, Request(Step.REJECT, reason="other", note="   "), "op1", WHEN)


def test_a_dispatch_names_a_unit_and_a_disposal_an_outcome():
    confirmed = walk(VALID[Step.ACKNOWLEDGE], VALID[Step.VERIFY], VALID[Step.CONFIRM])
    with pytest.raises(WorkflowError, match="names the unit"):
        apply(confirmed, Request(Step.DISPATCH, unit="  "), "op1", WHEN)
    dispatched = apply(confirmed, VALID[Step.DISPATCH], "op1", WHEN)
    for bad in (None, "escaped"):
        with pytest.raises(WorkflowError, match="needs an outcome"):
            apply(dispatched, Request(Step.DISPOSE, outcome=bad), "op1", WHEN)
    with pytest.raises(WorkflowError, match="in the note"):
        apply(dispatched, Request(Step.DISPOSE, outcome="other"), "op1", WHEN)
    assert set(OUTCOMES) == {"intercepted", "not-found", "false-alarm", "other"}


@pytest.mark.parametrize("match,source,exact", [("exact", "best", True),
                                                 ("exact", "alternative", False),
                                                 ("fuzzy", "best", False),
                                                 ("pattern", "best", False)])
def test_only_an_exact_match_of_the_best_read_is_exact(match, source, exact):
    assert is_exact(alert(match=match, source=source)) is exact


def test_a_fuzzy_match_needs_the_same_verification_as_an_exact_one():
    fuzzy = walk(VALID[Step.ACKNOWLEDGE], start=alert(match="fuzzy"))
    with pytest.raises(WorkflowError, match="verify the evidence"):
        apply(fuzzy, VALID[Step.CONFIRM], "op1", WHEN)
