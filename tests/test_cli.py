"""The edge CLI's parser: every subcommand module imports, and the reader overrides parse."""
from __future__ import annotations

import pytest

from checkpoint.cli import build_parser


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
    from checkpoint.cli import main

    assert build_parser().parse_args(["eval", "d", "--rec-views", "1"]).rec_views == 1
    # an override outside the config's range is the config's error, not a traceback
    assert main(["eval", "some/dir", "--rec-views", "9"]) == 2
    assert "rec_views" in capsys.readouterr().err


def test_bench_region_picks_its_own_clip_and_refuses_unknown_regions():
    from checkpoint.bench import CLIPS
    from checkpoint.grammar import fit_plate
    from checkpoint.sampleclip import _normalise_plate

    parser = build_parser()
    assert parser.parse_args(["bench"]).region == "any"
    assert parser.parse_args(["bench", "--region", "cn"]).region == "cn"
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "--region", "xx"])
    assert CLIPS["cn"][0] != CLIPS["any"][0]             # clips of different plates never mix
    for printed in CLIPS["cn"][1]:                       # every CN bench plate is a CN plate
        fit = fit_plate(_normalise_plate(printed), "cn")
        assert fit is not None and not fit.corrections
