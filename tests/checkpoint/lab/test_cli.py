"""The lab's subcommands of ``checkpoint``: eval and bench take the reader overrides and refuse
unknown ones; bench regions have clips of their own."""
from __future__ import annotations

import pytest

from checkpoint.lab.cli import BENCH_REGIONS, build_parser, main


def test_eval_and_bench_take_a_detector_mode_and_refuse_unknown_ones():
    parser = build_parser()
    args = parser.parse_args(["eval", "some/dir", "--detector", "plate", "--skip", "1", "--every", "2"])
    assert (args.detector, args.skip, args.every) == ("plate", 1, 2)
    assert parser.parse_args(["bench", "--detector", "text"]).detector == "text"
    assert parser.parse_args(["bench"]).detector == "gated"  # the reader config's default
    assert parser.parse_args(["bench"]).threads == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["eval", "some/dir", "--detector", "yolo"])


def test_eval_overrides_are_validated_as_the_config_would_be(capsys):
    assert build_parser().parse_args(["eval", "d", "--rec-views", "1"]).rec_views == 1
    # an override outside the config's range is the config's error, not a traceback
    assert main(["eval", "some/dir", "--rec-views", "9"]) == 2
    assert "rec_views" in capsys.readouterr().err


def test_eval_of_a_folder_without_a_manifest_exits_2(tmp_path, capsys):
    assert main(["eval", str(tmp_path), "--no-progress"]) == 2
    assert "labels.csv" in capsys.readouterr().err


def test_bench_region_picks_its_own_clip_and_refuses_unknown_regions():
    from checkpoint.grammar import fit_plate
    from checkpoint.lab.bench import CLIPS
    from checkpoint.lab.sampleclip import plate_of

    parser = build_parser()
    assert parser.parse_args(["bench"]).region == "any"
    assert parser.parse_args(["bench", "--region", "cn"]).region == "cn"
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "--region", "xx"])
    assert sorted(CLIPS) == sorted(BENCH_REGIONS)
    assert CLIPS["cn"][0] != CLIPS["any"][0]             # clips of different plates never mix
    for printed in CLIPS["cn"][1]:                       # every CN bench plate is a CN plate
        fit = fit_plate(plate_of(printed), "cn")
        assert fit is not None and not fit.corrections
