from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from edge_app.config import AppConfig, ConfigError, load_config


def test_defaults_file_is_valid_and_agrees_with_the_code() -> None:
    cfg = load_config()
    assert cfg.window.stride == 8
    assert cfg.events.rules["falling"].level == "critical"
    assert cfg.events.rules["waving for help"].level == "warning"
    # every top-level default in the YAML is a key the code knows
    assert AppConfig.model_validate(cfg.model_dump()) == cfg


def test_unknown_key_in_a_file_names_the_valid_ones(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump({"mqtt": {"hots": "x"}}))
    with pytest.raises(ConfigError) as e:
        load_config(f)
    msg = str(e.value)
    assert "mqtt.hots" in msg and "Did you mean 'host'" in msg and "port" in msg


def test_set_overrides_and_unknown_set_key() -> None:
    cfg = load_config(overrides=["window.stride=4", "mqtt.host=10.0.0.2",
                                 "events.rules.walking.level=warning"])
    assert cfg.window.stride == 4 and cfg.mqtt.host == "10.0.0.2"
    assert cfg.events.rules["walking"].level == "warning"
    with pytest.raises(ConfigError, match="window.stride"):
        load_config(overrides=["window.strid=3"])
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(overrides=["window.stride"])
    with pytest.raises(ConfigError, match="valid integer"):
        load_config(overrides=["window.stride=abc"])


def test_environment_substitution_for_secrets(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("mqtt:\n  user: alice\n  password: ${MQTT_PW}\n  host: ${MQTT_HOST:-broker}\n")
    cfg = load_config(f, env={"MQTT_PW": "s3cret"})
    assert cfg.mqtt.password == "s3cret" and cfg.mqtt.host == "broker"
    with pytest.raises(ConfigError, match="MQTT_PW is not set"):
        load_config(f, env={})


def test_user_without_password_is_an_error_that_does_not_leak() -> None:
    with pytest.raises(ConfigError, match="mqtt.user is set but mqtt.password is empty"):
        load_config(overrides=["mqtt.user=bob"])


def test_not_a_mapping_and_bad_yaml(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(f)
    f.write_text("a: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(f)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_view_check_torso_range_must_leave_room_for_a_body() -> None:
    with pytest.raises(ConfigError, match="min_torso .* must be below max_torso"):
        load_config(overrides=["events.view_check.min_torso=0.5"])
