"""Every input topic's consume loop against thousands of generated messages: random bytes,
invalid UTF-8, wrong types, wrong versions, huge strings, deep nesting. Each message is handled
or dead-lettered with a reason and its place; none crashes the loop, none is lost, none is
dead-lettered twice."""
import asyncio
import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkpoint.wire.base import ContractError
from checkpoint.wire.edge import Heartbeat, IdCheck, VehiclePassage
from stream.agents.watchlist import apply_change
from stream.config import StreamConfig
from stream.consume import CARRY_MAX_BYTES, consume
from stream.match import WatchlistIndex
from stream.runtime import Runtime
from tests.stream.fakes import FakeHistory
from tests.stream.test_consume import FakeOutbox, FakeState, FakeStream, passage

#: The contracts the consume loop reads from kakou.passages, kakou.idchecks, kakou.heartbeats.
MODELS = (VehiclePassage, IdCheck, Heartbeat)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=20)
valid = json.loads(passage("KA482BC"))


def mutated() -> st.SearchStrategy[bytes]:
    """A valid passage with one field replaced by anything, or its version changed."""
    def mutate(pair):
        key, value = pair
        return json.dumps({**valid, key: value}).encode()
    return st.tuples(st.sampled_from([*valid, "schema_version", "extra"]), json_values).map(mutate)


messages = st.one_of(
    st.binary(max_size=200),                                       # random bytes
    st.binary(min_size=1, max_size=50).map(lambda b: b"\xff" + b),  # invalid UTF-8
    json_values.map(lambda v: json.dumps(v).encode()),              # JSON of the wrong shape
    mutated(),                                                      # one field wrong
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),        # deep nesting
    st.integers(1000, 400_000).map(lambda n: json.dumps({**valid, "plate": "X" * n}).encode()),
    st.just(passage("KA482BC")),                                    # and good ones among them
)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(messages, min_size=1, max_size=12))
def test_no_message_crashes_the_loop_or_is_lost(model, batch):
    handled, outbox, state = [], FakeOutbox(), FakeState()
    rt = Runtime(StreamConfig(), state, outbox, WatchlistIndex(), FakeHistory())

    async def handle(items):
        handled.extend(items)

    asyncio.run(consume(rt, FakeStream(batch), model, handle))
    lettered = {letter.source_offset: letter for letter in outbox.letters}
    assert len(handled) + len(lettered) == len(batch)       # each handled or dead-lettered
    assert len(lettered) == len(outbox.letters)              # never twice
    for offset, letter in lettered.items():
        assert letter.error and letter.source_topic == "kakou.passages"
        original = batch[offset]
        if len(original) <= CARRY_MAX_BYTES:
            assert base64.b64decode(letter.value_b64) == original
        else:
            assert letter.value_b64 is None and letter.value_bytes == len(original)


@settings(max_examples=1000, deadline=None)
@given(key=st.none() | st.binary(max_size=40), value=st.none() | messages)
def test_a_watchlist_message_is_applied_or_refused_with_a_reason(key, value):
    index = WatchlistIndex()
    try:
        apply_change(index, key, value)
    except ContractError as exc:
        assert str(exc)      # the worker dead-letters it with this reason and reads on
