"""Every parser of outside input against thousands of generated inputs: MRZ and PRC ID numbers,
plate text, watchlist CSV files, YAML configs. Each gives an answer or its own clear error,
never a crash; a CSV is reported line by line and never half-parsed."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkpoint.config import ConfigError, load_config
from checkpoint.documents import TextLine, find_mrz
from checkpoint.grammar import REGIONS, fit_plate
from checkpoint.verify import correct_mrz, verify_cn_id, verify_mrz
from checkpoint.wire.plates import normalise, normalise_wildcard
from checkpoint.wire.pseudonym import PseudonymKey
from stream.config import StreamConfigError, load_stream_config
from stream.console.config import ConsoleConfigError, load_console_config
from stream.watchlist import COLUMNS, WatchlistFormatError, parse_csv

TODAY = date(2026, 12, 1)
MRZ_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
mrz_lines = st.lists(st.text(alphabet=MRZ_ALPHABET, max_size=50) | st.text(max_size=50),
                     min_size=0, max_size=4)
many = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@many
@given(mrz_lines)
def test_an_mrz_of_any_lines_gets_a_verdict(lines):
    verification = verify_mrz(lines, TODAY)
    assert verification.verdict.value in ("valid", "invalid", "expired", "unreadable")
    assert isinstance(correct_mrz(lines), list)


@many
@given(st.text(max_size=40), st.none() | st.dates(), st.none() | st.dates())
def test_a_prc_number_of_any_text_gets_a_verdict(number, valid_from, valid_until):
    verification = verify_cn_id(number, TODAY, valid_from=valid_from, valid_until=valid_until)
    assert verification.verdict.value in ("valid", "invalid", "expired", "unreadable")


@many
@given(st.lists(st.builds(TextLine, st.text(max_size=50), st.floats(0, 2000),
                          st.floats(0, 2000), st.floats(1, 200)), max_size=8))
def test_any_read_lines_give_an_mrz_or_none(lines):
    found = find_mrz(lines)
    assert found is None or (found[0].value.startswith("icao") and found[1])


@many
@given(st.text(max_size=60), st.sampled_from([None, *REGIONS]))
def test_plate_text_is_normalised_and_fitted_without_error(text, region):
    folded = normalise(text)
    assert normalise(folded) == folded
    normalise_wildcard(text)
    fit = fit_plate(text, region)
    assert fit is None or fit.text


cells = st.text(max_size=30) | st.sampled_from(["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)",
                                               '"quoted, with comma"', "鲁A12345", "", " "])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries({c: cells for c in COLUMNS}), max_size=12),
       bom=st.booleans(), newline=st.sampled_from(["\n", "\r\n"]))
def test_a_csv_is_parsed_line_by_line_and_never_half(rows, bom, newline):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    text = ("\ufeff" if bom else "") + out.getvalue()
    result = parse_csv(text, created_by="fuzz", key=PseudonymKey("k1", b"k" * 32),
                       previous_keys=[])
    lines = {r.line for r in result.rejected}
    assert len(result.entries) + len(result.rejected) >= len(rows) - _blank(rows)
    assert all(r.reason for r in result.rejected) and all(line >= 2 for line in lines)


def _blank(rows) -> int:
    return sum(all(not (v or "").strip() for v in row.values()) for row in rows)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_a_csv_of_any_text_is_parsed_or_refused_by_its_header(text):
    try:
        parse_csv(text, created_by="fuzz", key=PseudonymKey("k1", b"k" * 32), previous_keys=[])
    except WatchlistFormatError as exc:
        assert "column" in str(exc)


yaml_documents = st.one_of(
    st.text(max_size=200),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.text(max_size=15), inner, max_size=3),
                 max_leaves=15).map(repr),
    st.sampled_from(["cameras: [", "a: &x [*x]", "{{{", "- - - -", "reader: {rec_models: 3}",
                     "match: {stolen: {max_edits: 9}}", "port: 99999", "!!python/object:os.system"]))


@pytest.mark.parametrize("load,error", [(load_config, ConfigError),
                                        (load_stream_config, StreamConfigError),
                                        (load_console_config, ConsoleConfigError)],
                         ids=["checkpoint", "stream", "console"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(text=yaml_documents)
def test_a_config_of_any_text_loads_or_names_its_file(tmp_path, load, error, text):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load(path)
    except error as exc:
        assert str(path) in str(exc)
