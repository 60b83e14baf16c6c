from pathlib import Path

import pytest

from stream.config import StreamConfigError, load_stream_config
from stream.match import MatchPolicy

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_loads_with_per_list_policies():
    cfg = load_stream_config(ROOT / "configs" / "stream.yaml")
    assert cfg.policies()["control-orders"] == MatchPolicy(max_confusions=0, max_edits=0)
    assert cfg.default_match.policy() == MatchPolicy()
    assert cfg.alert_cooldown_s > 0


def test_environment_names_the_config(tmp_path, monkeypatch):
    path = tmp_path / "s.yaml"
    path.write_text("alert_cooldown_s: 5\n")
    monkeypatch.setenv("KAKOU_STREAM_CONFIG", str(path))
    assert load_stream_config().alert_cooldown_s == 5


@pytest.mark.parametrize("text, key", [
    ("default_match: {max_confusions: 9}\n", "default_match.max_confusions"),
    ("match: {stolen: {max_edits: -1}}\n", "match.stolen.max_edits"),
    ("alert_cooldown: 5\n", "alert_cooldown"),
    ("alert_cooldown_s: soon\n", "alert_cooldown_s"),
    ("checkpoints:\n  cp-1:\n    flow_warning: {5m: 20}\n", "checkpoints.cp-1.flow_warning.5m"),
    ("checkpoints:\n  cp-1:\n    flow_warning: {1m: 0}\n", "checkpoints.cp-1.flow_warning"),
    ("checkpoints:\n  cp-1:\n    home_prefixes: ['-']\n", "checkpoints.cp-1.home_prefixes"),
    ("default_checkpoint:\n  colour: red\n", "default_checkpoint.colour"),
])
def test_errors_name_the_file_and_the_key(tmp_path, text, key):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(StreamConfigError, match=f"{path}: {key}"):
        load_stream_config(path)


def test_checkpoint_policies_in_the_config(tmp_path):
    path = tmp_path / "stream.yaml"
    path.write_text("checkpoints:\n  cp-1:\n    home_prefixes: ['鲁 A']\n"
                    "    flow_warning: {1m: 20}\n")
    config = load_stream_config(path)
    assert config.checkpoint("cp-1").home_prefixes == ("鲁A",)
    assert config.checkpoint("cp-1").flow_warning == {"1m": 20}
    assert config.checkpoint("other") == config.default_checkpoint
    assert config.default_checkpoint.flow_warning == {}


def test_unreadable_config(tmp_path):
    with pytest.raises(StreamConfigError, match="cannot read"):
        load_stream_config(tmp_path / "missing.yaml")


def test_an_installed_package_without_a_checkout_uses_the_defaults(monkeypatch, tmp_path):
    import stream.config as sc

    monkeypatch.delenv("KAKOU_STREAM_CONFIG", raising=False)
    monkeypatch.setattr(sc, "DEFAULT_PATH", tmp_path / "absent.yaml")
    assert load_stream_config() == sc.StreamConfig()
