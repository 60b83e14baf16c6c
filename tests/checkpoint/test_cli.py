"""The edge's command: the box's commands parse, and the lab's are handed on without the box
ever importing the lab."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from checkpoint.cli import build_parser
from checkpoint.command import LAB_COMMANDS, main


def test_run_and_replay_parse_and_lab_commands_are_listed():
    parser = build_parser(LAB_COMMANDS)
    assert parser.parse_args(["run", "--config", "box.yaml"]).command == "run"
    args = parser.parse_args(["replay", "clip.mp4", "--speed", "realtime", "--json"])
    assert (args.speed, args.json) == ("realtime", True)
    help_text = parser.format_help()
    assert all(name in help_text for name in LAB_COMMANDS)
    with pytest.raises(SystemExit):
        parser.parse_args(["replay", "clip.mp4", "--speed", "warp"])


def test_lab_commands_go_to_the_lab(capsys):
    assert main(["eval", "some/dir", "--rec-views", "9"]) == 2   # the lab's own validation
    assert "rec_views" in capsys.readouterr().err


def test_a_box_imports_no_lab_and_no_pillow(tmp_path):
    """What a box running ``checkpoint run`` imports, in a fresh interpreter, reading a frame:
    the box's modules, not the lab's, not the stream's, not Pillow."""
    probe = ("import sys, numpy; from checkpoint import command, cli; cli.build_parser(); "
             "import checkpoint.box, checkpoint.publish; "
             "from checkpoint.config import ReaderConfig; from checkpoint.read import build_reader; "
             "build_reader(ReaderConfig()).read(numpy.zeros((540, 960, 3), numpy.uint8), 'cn'); "
             "print(sorted(m for m in sys.modules if m.startswith(('checkpoint.lab', 'PIL', "
             "'stream', 'models', 'tqdm'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_replay_of_a_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "none.mp4")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_verify_document_json_names_the_failed_checks(capsys):
    mrz = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
           "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    assert main(["verify-document", "--mrz", *mrz, "--date", "2026-12-01", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["verdict"], out["document_type"], out["failed_checks"]) == (
        "expired", "icao-td3", ["not_expired"])
    assert main(["verify-document", "--cn-id", "11010519491231002X", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["verdict"], out["failed_checks"]) == ("valid", [])


def test_verify_document_prints_each_check_and_never_the_number(capsys):
    assert main(["verify-document", "--cn-id", "110105194912310021"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("verdict: invalid") and "FAIL  the number matches its check" in out
    assert "110105" not in out


def test_verify_document_checks_a_cards_validity_period(capsys):
    assert main(["verify-document", "--cn-id", "11010519491231002X", "--valid-from", "2010-01-10",
                 "--valid-until", "2020-01-10", "--date", "2026-12-01", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["verdict"], out["failed_checks"], out["expiry"]) == (
        "expired", ["not_expired"], "2020-01-10")
    assert out["warnings"] == ["validity period 10 years does not match the holder's age at "
                               "issue (long-term)"]


def test_verify_document_puts_typed_look_alikes_right(capsys):
    mrz = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
           "L898902C36UTO74O8122F12O4159ZE184226B<<<<<1O"]       # O typed for 0 in digit fields
    assert main(["verify-document", "--mrz", *mrz, "--date", "2010-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "valid"


def test_terminal_token_gives_a_token_and_only_its_hash_for_the_config(capsys):
    from checkpoint.terminal import token_hash

    assert main(["terminal-token", "--terminal", "t7", "--lane", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["token"]) >= 40
    assert out["terminal"] == {"id": "t7", "lane": "3", "token_sha256": token_hash(out["token"])}
    assert main(["terminal-token"]) == 0
    text = capsys.readouterr().out
    assert "token_sha256: " in text and "lane: \"1\"" in text


def test_verify_document_reads_a_photo(tmp_path, capsys):
    from datetime import date

    import cv2
    import numpy as np

    from checkpoint.lab.documents import draw_document, make_document, photograph

    rng = np.random.default_rng(21)
    doc = make_document(rng, "cn-resident-id", date(2026, 12, 1))
    cv2.imwrite(str(tmp_path / "card.jpg"), photograph(rng, draw_document(rng, doc)))
    code = main(["verify-document", "--image", str(tmp_path / "card.jpg"), "--date",
                 "2026-12-01", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (out["verdict"], out["document_type"]) == (doc.verdict, "cn-resident-id")
    assert code == (0 if doc.verdict == "valid" else 1)
    assert doc.lines[0] not in json.dumps(out)
    (tmp_path / "notes.jpg").write_text("not a photo")
    assert main(["verify-document", "--image", str(tmp_path / "notes.jpg")]) == 2
    assert "not a readable image" in capsys.readouterr().err
