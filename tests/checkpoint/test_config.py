from pathlib import Path

import pytest

from checkpoint.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "box.yaml"
    path.write_text(text)
    return path


def test_demo_config_loads():
    cfg = load_config(ROOT / "configs" / "checkpoint-demo.yaml")
    assert cfg.checkpoint_id and cfg.cameras[0].reads_per_second > 0


def test_errors_name_the_file_and_the_key(tmp_path):
    path = write(tmp_path, "checkpoint_id: cp\ncameras:\n  - id: c1\n    source: x.mp4\n"
                           "    direction: sideways\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"{path}: cameras.0.direction:" in str(err.value)


@pytest.mark.parametrize("text, key", [
    ("cameras: []\n", "checkpoint_id"),
    ("checkpoint_id: cp\ncameras: []\n", "cameras"),
    ("checkpoint_id: cp\ncameras:\n  - {id: a, source: x}\n  - {id: a, source: y}\n", "unique"),
    ("checkpoint_id: cp\ncameras:\n  - {id: a, source: x, plate_region: mars}\n", "plate_region"),
    ("checkpoint_id: cp\ncameras:\n  - {id: a, source: x, roi: [[0, 0], [1, 1]]}\n", "roi"),
    ("checkpoint_id: cp\ncamreas: []\n", "camreas"),
    ("checkpoint_id: cp\nhome_region: cn\ncameras:\n  - {id: a, source: x}\n", "home_region"),
    ("checkpoint_id: cp\ncameras:\n  - {id: a, source: x}\ntrack: {max_gap_s: -1}\n",
     "track.max_gap_s"),
])
def test_invalid_configs_are_explained(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key):
        load_config(write(tmp_path, text))


def test_unreadable_and_non_yaml_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "cameras: [unclosed\n"))
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_environment_overrides_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("KAKOU_SPOOL_DIR", str(tmp_path / "spool"))
    cfg = load_config(ROOT / "configs" / "checkpoint-demo.yaml")
    assert cfg.spool_dir == tmp_path / "spool"


def test_recognisers_per_region_name_known_regions_and_default_to_the_cn_model(tmp_path):
    from checkpoint.config import ReaderConfig
    from checkpoint.onnx_models import project_model

    assert ReaderConfig().rec_models == {"cn": Path("plate_rec_cn.onnx")}
    assert project_model("plate_rec_cn.onnx").is_file()  # committed under models/
    with pytest.raises(ValueError, match="unknown plate region"):
        ReaderConfig(rec_models={"mars": "x.onnx"})


def test_region_recognisers_read_in_as_many_views_as_there_are(tmp_path):
    from checkpoint.config import ReaderConfig
    from checkpoint.read import build_reader
    from checkpoint.recognise import VIEWS

    assert ReaderConfig().rec_views == len(VIEWS)
    reader = build_reader(ReaderConfig(rec_views=3))
    recognisers = reader.recognisers
    assert recognisers.by_region["cn"].views == VIEWS[:3] and recognisers.default.views == VIEWS[:1]
    for bad in (0, len(VIEWS) + 1):
        with pytest.raises(ValueError, match="rec_views"):
            ReaderConfig(rec_views=bad)


def test_plates_read_whole_need_their_own_recogniser():
    from checkpoint.config import ReaderConfig

    assert ReaderConfig().whole_plate_regions == ("cn",)
    assert ReaderConfig(whole_plate_regions=()).whole_plate_regions == ()
    with pytest.raises(ValueError, match="rec_models"):
        ReaderConfig(whole_plate_regions=("eu",))


def test_detector_is_text_or_plate_and_the_plate_model_ships(tmp_path):
    from checkpoint.config import ReaderConfig
    from checkpoint.onnx_models import project_model

    cfg = ReaderConfig()
    assert project_model(cfg.plate_det_model).is_file()  # committed under models/
    assert ReaderConfig(detector="plate", plate_threshold=0.2).plate_threshold == 0.2
    with pytest.raises(ValueError, match="detector"):
        ReaderConfig(detector="yolo")
    with pytest.raises(ValueError, match="plate_threshold"):
        ReaderConfig(plate_threshold=1.5)


H1, H2 = "a" * 64, "b" * 64
CAMERA = "cameras:\n  - {id: a, source: x, lane: '1'}\n"


@pytest.mark.parametrize("terminals, key", [
    (f"[{{id: t1, lane: '2', token_sha256: {H1}}}]", "terminal_api.terminals.0.lane"),
    ("[{id: t1, lane: '1', token_sha256: not-a-hash}]", "terminal_api.terminals.0.token_sha256"),
    (f"[{{id: t1, lane: '1', token_sha256: {H1}}}, {{id: t1, lane: '1', token_sha256: {H2}}}]",
     "unique"),
    (f"[{{id: t1, lane: '1', token_sha256: {H1}}}, {{id: t2, lane: '1', token_sha256: {H1}}}]",
     "own token"),
    ("[]", "terminal_api.terminals"),
])
def test_terminal_api_configs_are_explained(tmp_path, terminals, key):
    text = f"checkpoint_id: cp\n{CAMERA}terminal_api:\n  terminals: {terminals}\n"
    with pytest.raises(ConfigError, match=key):
        load_config(write(tmp_path, text))


def test_terminal_api_tls_needs_both_files_and_defaults(tmp_path):
    base = f"checkpoint_id: cp\n{CAMERA}terminal_api:\n  terminals: [{{id: t1, lane: '1', " \
           f"token_sha256: {H1}}}]\n"
    with pytest.raises(ConfigError, match="tls_certfile and tls_keyfile"):
        load_config(write(tmp_path, base + "  tls_certfile: box.crt\n"))
    api = load_config(write(tmp_path, base)).terminal_api
    assert (api.port, api.passage_window_s, api.tls_certfile) == (8443, 300.0, None)


def test_the_character_floor_is_per_plate_region():
    from pydantic import ValidationError

    from checkpoint.config import ReaderConfig

    assert ReaderConfig().min_char_confidence == {"cn": 0.5}
    assert ReaderConfig(min_char_confidence={"eu": 0.3}).min_char_confidence == {"eu": 0.3}
    with pytest.raises(ValidationError, match="unknown plate region"):
        ReaderConfig(min_char_confidence={"xx": 0.5})
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        ReaderConfig(min_char_confidence={"cn": 1.5})
