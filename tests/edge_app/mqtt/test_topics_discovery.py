"""Topic layout and the Home Assistant discovery payload (no broker needed)."""

from __future__ import annotations

import pytest

from edge_app.config import ConfigError, MqttConfig, load_config
from edge_app.mqtt import MqttSetupError, MqttSink, Topics, build_discovery, event_type_for
from edge_app.mqtt.discovery import event_types
from edge_app.store import EventStore
from tests.edge_app.mqtt.conftest import CLASSES
from tests.edge_app.mqtt.helpers import FakeControls, event, make_config


def test_topics_follow_prefix_and_device_id() -> None:
    t = Topics.from_config(MqttConfig(prefix="home/epam", device_id="kitchen"))
    assert t.availability == "home/epam/kitchen/availability"
    assert t.events == "home/epam/kitchen/events"
    assert t.command("privacy") == "home/epam/kitchen/privacy/set"
    assert t.state("privacy") == "home/epam/kitchen/privacy/state"
    assert t.discovery == "homeassistant/device/kitchen/config"
    assert t.ha_status == "homeassistant/status"
    assert t.discovery in t.retained() and t.events not in t.retained()


@pytest.mark.parametrize("prefix", ["epam/+", "a/#", "a//b"])
def test_wildcards_in_prefix_are_refused(prefix: str) -> None:
    with pytest.raises(MqttSetupError, match="mqtt.prefix"):
        MqttSink(make_config(None, prefix=prefix), EventStore(":memory:"), FakeControls(),
                 model_name="m", class_names=CLASSES, sw_version="0")


def test_discovery_payload_shape() -> None:
    cfg = MqttConfig(device_id="living_room", qos=1)
    t = Topics.from_config(cfg)
    d = build_discovery(cfg, t, model_name="epamnet_adl", class_names=CLASSES,
                        sw_version="1.2.3")
    assert d["dev"]["ids"] == ["living_room"] and d["dev"]["sw"] == "1.2.3"
    assert {"name", "mf", "mdl"} <= set(d["dev"])
    assert d["o"]["name"] == "epam-edge" and d["o"]["sw"] == "1.2.3"
    assert d["availability"][0]["topic"] == t.availability
    cmps = d["cmps"]
    platforms = {k: c["p"] for k, c in cmps.items()}
    assert platforms["alert"] == "event"
    assert platforms["person_down"] == platforms["person_present"] == "binary_sensor"
    assert platforms["activity"] == platforms["confidence"] == "sensor"
    assert platforms["privacy"] == platforms["monitoring"] == "switch"
    assert cmps["person_down"]["device_class"] == "safety"
    assert cmps["person_present"]["device_class"] == "occupancy"
    assert cmps["privacy"]["command_topic"] == t.command("privacy")
    assert cmps["inference_ms"]["entity_category"] == "diagnostic"
    uids = [c["unique_id"] for c in cmps.values()]
    assert len(uids) == len(set(uids)) and all(u.startswith("living_room_") for u in uids)
    # every component carries the QoS itself (Home Assistant ignores the device-level one)
    assert all(c["qos"] == 1 for c in cmps.values())
    types = cmps["alert"]["event_types"]
    assert types[:6] == ["fall", "recovered_fall", "possible_fall", "long_lie", "no_person",
                         "acknowledged"]
    assert "waving_for_help" in types and len(types) == len(set(types))


def test_event_type_of_an_alert() -> None:
    assert event_type_for(event("new", "a", rule="fall")) == "fall"
    assert event_type_for(event("new", "r", label="fell and got up", rule="recovered_fall")
                          ) == "recovered_fall"
    assert event_type_for(event("new", "p", label="possible fall", rule="possible_fall")
                          ) == "possible_fall"
    assert event_type_for(event("new", "b", label="lying on the floor", rule="long_lie")) \
        == "long_lie"
    e = event("new", "c", label="waving for help", level="warning", rule="waving for help")
    assert event_type_for(e) == "waving_for_help"
    assert event_type_for(e) in event_types(CLASSES)


def test_user_without_password_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="mqtt.password"):
        load_config(overrides=["mqtt.user=alice"])
    with pytest.raises(ConfigError, match="tls_client_key"):
        load_config(overrides=["mqtt.tls_client_cert=/x.pem"])
    cfg = load_config(overrides=["mqtt.user=alice", "mqtt.password=${PW}",
                                 "mqtt.reconnect_max_s=5"], env={"PW": "s3cret"})
    assert cfg.mqtt.password == "s3cret" and cfg.mqtt.reconnect_max_s == 5
