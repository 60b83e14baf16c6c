from pathlib import Path

import pytest

from stream.watchlist import WatchlistFormatError, parse_csv
from stream.watchlist_cli import main as watchlist_cli

HEADER = "entry_id,list,plate,pattern,region,category,priority,disposal,valid_until\n"


def test_sample_watchlist_is_valid():
    text = (Path(__file__).resolve().parents[2] / "configs" / "watchlist-sample.csv").read_text()
    result = parse_csv(text, created_by="t")
    assert result.rejected == []
    assert len(result.entries) >= 3


def test_us_plates_are_stored_as_the_edge_reads_them():
    text = HEADER + "u1,stolen,OOB 123,,us,stolen,1,stop,\nu2,stolen,OOB 123,,eu,stolen,1,stop,\n"
    result = parse_csv(text, created_by="t")
    assert [e.plate for e in result.entries] == ["00B123", "OOB123"]  # US: 0 for O, as read


def test_every_bad_line_is_reported_with_its_number_and_reason():
    text = HEADER + "\n".join([
        "e1,stolen,KA 482 BC,,,stolen,1,stop,",          # line 2: good, plate normalised
        "e2,stolen,,,,stolen,1,stop,",                    # 3: neither plate nor pattern
        "e3,stolen,BMX4473,,,stolen,9,stop,",             # 4: priority out of range
        "e4,stolen,BMX4473,,,stolen,1,stop,yesterday",    # 5: bad date
        "e1,stolen,GD37TRN,,,stolen,1,stop,",             # 6: duplicate id
        "e5,stolen,,KA(4,,stolen,1,stop,",                # 7: broken pattern
        "e6,stolen,GD37TRN,,,stolen,1,stop,,extra",       # 8: too many fields
        "e7,stolen,---,,,stolen,1,stop,",                 # 9: plate with no letters/digits
        "e8,stolen,,KA*,eu,stolen,2,stop,2030-01-01T00:00:00Z",  # 10: good pattern
    ]) + "\n"
    result = parse_csv(text, created_by="t")
    assert [(e.entry_id, e.plate, e.pattern) for e in result.entries] == \
        [("e1", "KA482BC", None), ("e8", None, "KA*")]
    reasons = {r.line: r.reason for r in result.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "exactly one of plate, pattern or subject_tag" in reasons[3]
    assert "priority" in reasons[4]
    assert "valid_until" in reasons[5]
    assert "already on line 2" in reasons[6]
    assert "regex" in reasons[7]
    assert "fields" in reasons[8]
    assert "no letters or digits" in reasons[9]


def test_line_numbers_count_quoted_newlines():
    text = HEADER + 'e1,stolen,KA482BC,,,"stolen\nvehicle",1,stop,\ne2,stolen,,,,x,1,stop,\n'
    result = parse_csv(text, created_by="t")
    assert [r.line for r in result.rejected] == [4]


def test_missing_columns_fail_the_whole_file():
    with pytest.raises(WatchlistFormatError, match="priority"):
        parse_csv("entry_id,list,plate,category,disposal\n", created_by="t")


def test_cli_dry_run_reports_lines_and_exits_non_zero(tmp_path, capsys):
    path = tmp_path / "w.csv"
    path.write_text(HEADER + "e1,stolen,KA482BC,,,stolen,1,stop,\ne2,stolen,,,,stolen,1,stop,\n")
    assert watchlist_cli(["import", str(path), "--dry-run"]) == 1
    out = capsys.readouterr()
    assert f"{path}:3: rejected" in out.err
    assert "would import 1 entries, rejected 1 lines" in out.out


def test_export_round_trips_and_defuses_formulas():
    from stream.watchlist import to_csv

    text = HEADER + "\n".join([
        "e2,stolen,KA482BC,,,stolen,1,stop,2030-01-01T00:00:00Z",
        'e1,stolen,,KA*,eu,"=HYPERLINK(""http://x"")",2,"+call 110",',
        "e3,wanted,BMX4473,,,@SUM(A1),1,-stop,",
    ]) + "\n"
    entries = parse_csv(text, created_by="t").entries
    exported = to_csv(entries)
    lines = exported.splitlines()
    assert lines[0].startswith("entry_id,list,plate,pattern")
    assert [line.split(",")[0] for line in lines[1:]] == ["e1", "e2", "e3"]
    assert "'=HYPERLINK" in exported and "'+call 110" in exported
    assert "'@SUM(A1)" in exported and "'-stop" in exported
    assert not any(cell.startswith(("=", "+", "@", "-"))
                   for line in lines for cell in line.split(","))
    again = parse_csv(exported, created_by="t").entries
    assert [(e.entry_id, e.plate, e.pattern, e.valid_until) for e in again] == \
        [(e.entry_id, e.plate, e.pattern, e.valid_until) for e in sorted(entries, key=lambda e: e.entry_id)]


PERSONS = ("entry_id,list,document_type,document_number,category,priority,disposal,reason\n"
           "p1,persons,cn-resident-id,11010119900307777X,control-orders,2,verify identity,case 7\n"
           "p2,persons,icao-td3,L898902C3,wanted,1,detain,case 8\n"
           "p3,persons,passport,L898902C3,wanted,1,detain,\n"
           "p4,persons,icao-td3,12,wanted,1,detain,\n"
           "p5,persons,,L898902C3,wanted,1,detain,\n")


def test_person_lists_are_imported_as_tags_and_the_numbers_are_dropped():
    from checkpoint.wire.pseudonym import PseudonymKey, subject_tag
    from stream.watchlist import to_csv

    key = PseudonymKey("k9", b"test-secret-0123456789")
    result = parse_csv(PERSONS, created_by="t", key=key)
    assert [(e.entry_id, e.subject_tag, e.key_id) for e in result.entries] == [
        ("p1", subject_tag("cn-resident-id", "11010119900307777X", key), "k9"),
        ("p2", subject_tag("icao-td3", "L898902C3", key), "k9")]
    reasons = {r.line: r.reason for r in result.rejected}
    assert "document_type must be one of" in reasons[4]
    assert "5-20 letters or digits" in reasons[5]
    assert "needs a document_type" in reasons[6]
    exported = to_csv(result.entries)
    for text in (exported, repr(result), *reasons.values()):
        assert "L898902C3" not in text and "11010119900307777X" not in text
    again = parse_csv(exported, created_by="t")  # the export re-imports to the same entries
    assert [e.model_dump(exclude={"event_id"}) for e in again.entries] == \
        [e.model_dump(exclude={"event_id"}) for e in result.entries]


def test_person_list_without_a_key_is_refused_as_a_whole(monkeypatch):
    for name in ("KAKOU_ID_KEY", "KAKOU_ID_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(WatchlistFormatError, match="no pseudonymisation key"):
        parse_csv(PERSONS, created_by="t")


def test_a_key_rotation_tags_each_person_under_every_key_and_both_keys_match():
    from datetime import datetime, timezone

    from checkpoint.wire.pseudonym import PseudonymKey, subject_tag
    from stream.match import WatchlistIndex

    old, new = PseudonymKey("k1", b"old-secret-0123456789"), PseudonymKey("k2", b"new-secret-0123456789")
    entries = parse_csv(PERSONS, created_by="t", key=new, previous_keys=[old]).entries
    assert [(e.entry_id, e.key_id) for e in entries] == [
        ("p1", "k2"), ("p1@k1", "k1"), ("p2", "k2"), ("p2@k1", "k1")]
    index = WatchlistIndex()
    for entry in entries:
        index.upsert(entry)
    now = datetime.now(timezone.utc)
    for key, expected in ((old, "p2@k1"), (new, "p2")):   # a box on either key still matches
        tag = subject_tag("icao-td3", "L898902C3", key)
        assert [m.entry.entry_id for m in index.match_subject(tag, key.key_id, now)] == [expected]
    assert index.match_subject(subject_tag("icao-td3", "L898902C3", old), "k2", now) == []


def test_previous_keys_come_from_a_folder_of_files_named_by_key_id(tmp_path):
    from checkpoint.wire.pseudonym import PseudonymError, load_previous_keys

    (tmp_path / "k1").write_bytes(b"old-secret-0123456789\n")
    keys = load_previous_keys({"KAKOU_ID_PREVIOUS_KEYS_DIR": str(tmp_path)})
    assert [(k.key_id, k.secret) for k in keys] == [("k1", b"old-secret-0123456789")]
    assert load_previous_keys({}) == []
    (tmp_path / "k0").write_bytes(b"short")
    with pytest.raises(PseudonymError, match="k0"):
        load_previous_keys({"KAKOU_ID_PREVIOUS_KEYS_DIR": str(tmp_path)})


def test_a_line_the_csv_module_cannot_split_is_rejected_and_reading_goes_on():
    text = ("entry_id,list,plate,category,priority,disposal\n"
            'a1,stolen,KA482BC,stolen,1,stop\n'
            'a2,stolen,"KA48\r2BC,stolen,1,stop\n'            # an unclosed quote
            'a3,stolen,GD37TRN,stolen,1,stop\n')
    result = parse_csv(text, created_by="t")
    assert [e.entry_id for e in result.entries][:1] == ["a1"]
    assert result.rejected and all(r.reason for r in result.rejected)
