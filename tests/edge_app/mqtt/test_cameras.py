"""Several cameras over MQTT: one Home Assistant device per camera, its own states and
commands, against a real mosquitto; and a real two-camera ``EdgeApp`` on the broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from edge_app.config import AppConfig, MqttConfig, load_config
from edge_app.mqtt import MqttSink, Topics, build_discovery, clear_discovery
from edge_app.mqtt.discovery import build_app_discovery, build_camera_discovery, camera_devices
from edge_app.mqtt.topics import per_camera
from edge_app.store import EventStore
from edge_app.types import PipelineStatus, WindowResult
from tests.edge_app.mqtt.conftest import CLASSES
from tests.edge_app.mqtt.helpers import (
    HOST,
    Broker,
    FakeCamera,
    FakeCameras,
    Listener,
    event,
    make_config,
    wait_online,
    wait_until,
)

BASE = "epam/epam_edge"
APP_DISCOVERY = "homeassistant/device/epam_edge/config"
LIVING, BED = "living-room", "bedroom"

MakeSink = Callable[..., MqttSink]
MakeListener = Callable[..., Listener]


def _cameras() -> FakeCameras:
    return FakeCameras(FakeCamera(LIVING, "Living room"), FakeCamera(BED, "Bedroom"))


def _discovery_of(camera: str) -> str:
    return f"homeassistant/device/epam_edge_{camera}/config"


def _window(label: str, score: float, camera: str, present: bool = True) -> WindowResult:
    probs = np.full(len(CLASSES), (1 - score) / (len(CLASSES) - 1), np.float32)
    probs[CLASSES.index(label)] = score
    return WindowResult(time=1.0, start_time=0.0, probs=probs, smoothed=probs,
                        class_names=CLASSES, person_present=present, pose_only=False,
                        latency_ms=20.0, source="test.mp4", camera=camera)


def _status(camera: str, **kw: object) -> PipelineStatus:
    base: dict[str, object] = dict(
        source="test.mp4", source_fps=29.97, sample_rate_hz=15.0, pose_ms=12.5,
        inference_ms=40.25, dropped_frames=3, skipped_windows=1, windows=10,
        model_name="epamnet_adl", provider="cpu", privacy=False, monitoring=True,
        person_present=True, person_down=False, current_activity="walking", confidence=0.8,
        camera=camera, store_mb=1.5)
    base.update(kw)
    return PipelineStatus(**base)  # type: ignore[arg-type]


def _unique_ids(*payloads: dict[str, Any]) -> list[str]:
    return [c["unique_id"] for d in payloads for c in d["cmps"].values()]


def _last(lst: Listener, topic: str) -> str | None:
    got = lst.payloads(topic)
    return got[-1] if got else None


# ---------------------------------------------------------------- layout (no broker)
def test_one_default_camera_keeps_the_one_device_layout() -> None:
    assert not per_camera([]) and not per_camera(["camera"])
    assert per_camera(["bedroom"]) and per_camera(["camera", "bedroom"])


def test_camera_topics_live_under_the_app_base() -> None:
    app = Topics.from_config(MqttConfig(prefix="home/epam", device_id="flat"))
    t = app.for_camera(BED)
    assert t.activity == "home/epam/flat/bedroom/activity"
    assert t.person_down == "home/epam/flat/bedroom/person_down"
    assert t.alerts == "home/epam/flat/bedroom/alerts"
    assert t.diagnostics == "home/epam/flat/bedroom/diagnostics"
    assert t.command("privacy") == "home/epam/flat/bedroom/privacy/set"
    assert t.state("monitoring") == "home/epam/flat/bedroom/monitoring/state"
    assert t.discovery == "homeassistant/device/flat_bedroom/config"
    # availability and the incident stream stay the app's
    assert t.availability == app.availability == "home/epam/flat/availability"
    assert t.events == app.events == "home/epam/flat/events"
    assert t.availability not in t.retained() and t.discovery in t.retained()


def test_camera_devices_are_named_by_their_room() -> None:
    devs = camera_devices([("sofa", "Living room"), ("door", "Living room"),
                           ("bedroom", "Bedroom"), ("hall", "")])
    assert [d.label for d in devs] == ["Living room (sofa)", "Living room (door)", "Bedroom",
                                       "hall"]
    assert [d.room for d in devs] == ["Living room", "Living room", "Bedroom", ""]


def test_a_device_per_camera_in_its_area_via_the_app() -> None:
    cfg = MqttConfig(qos=1)
    app = Topics.from_config(cfg)
    kw: dict[str, Any] = dict(model_name="epamnet_adl", sw_version="1.2.3")
    root = build_app_discovery(cfg, app, **kw)
    living, bed = (build_camera_discovery(cfg, app, dev, class_names=CLASSES, **kw)
                   for dev in camera_devices([(LIVING, "Living room"), (BED, "Bedroom")]))
    assert root["dev"]["ids"] == ["epam_edge"] and "via_device" not in root["dev"]
    assert set(root["cmps"]) == {"outbox", "store_mb"}  # what is the app's, not a camera's
    assert root["cmps"]["outbox"]["state_topic"] == f"{BASE}/diagnostics"
    for d, name, room in ((living, LIVING, "Living room"), (bed, BED, "Bedroom")):
        assert d["dev"]["ids"] == [f"epam_edge_{name}"]
        assert d["dev"]["name"] == room and d["dev"]["suggested_area"] == room
        assert d["dev"]["via_device"] == "epam_edge"
        assert d["availability"] == root["availability"]  # one app, one availability
        cmps = d["cmps"]
        assert cmps["activity"]["state_topic"] == f"{BASE}/{name}/activity"
        assert cmps["alert"]["state_topic"] == f"{BASE}/{name}/alerts"
        assert cmps["privacy"]["command_topic"] == f"{BASE}/{name}/privacy/set"
        assert cmps["fps"]["state_topic"] == f"{BASE}/{name}/diagnostics"
        assert "outbox" not in cmps and all(c["qos"] == 1 for c in cmps.values())
    # the entities of the one-camera device, each camera's own
    single = build_discovery(cfg, app, class_names=CLASSES, **kw)
    assert set(living["cmps"]) == set(single["cmps"]) - {"outbox"}
    uids = _unique_ids(root, living, bed)
    assert len(uids) == len(set(uids))


# ---------------------------------------------------------------- real broker
def test_discovery_retains_a_device_per_camera(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    sink = make_sink(make_config(broker), controls=_cameras())
    assert sink.per_camera and wait_until(lambda: sink.connected)
    time.sleep(0.3)
    late = make_listener(broker, "homeassistant/#")  # Home Assistant, restarting
    topics = (APP_DISCOVERY, _discovery_of(LIVING), _discovery_of(BED))
    assert late.wait(lambda s: all(s.on(t) for t in topics))
    assert all(late.on(t)[0].retain for t in topics)
    root, living, bed = (late.on(t)[0].json() for t in topics)
    assert living["dev"]["name"] == "Living room" and bed["dev"]["suggested_area"] == "Bedroom"
    uids = _unique_ids(root, living, bed)
    assert len(uids) == len(set(uids))
    assert living["cmps"]["person_down"]["unique_id"] == "epam_edge_living-room_person_down"


def test_states_follow_the_camera_they_come_from(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    lst = make_listener(broker, f"{BASE}/#")
    sink = make_sink(make_config(broker, diagnostics_interval_s=0.2), controls=_cameras())
    for name in (LIVING, BED):  # nothing seen yet in this run
        assert lst.wait_payload(f"{BASE}/{name}/activity", "none")
        assert lst.wait_payload(f"{BASE}/{name}/person_down", "OFF")
        assert lst.wait_payload(f"{BASE}/{name}/privacy/state", "OFF")
    sink.on_window(_window("walking", 0.8, BED))
    sink.on_window(_window("drinking water", 0.6, LIVING))
    assert lst.wait_payload(f"{BASE}/{BED}/activity", "walking")
    assert lst.wait_payload(f"{BASE}/{LIVING}/activity", "drinking water")
    assert lst.wait_payload(f"{BASE}/{BED}/confidence", "80")
    assert lst.wait_payload(f"{BASE}/{LIVING}/person_present", "ON")
    assert lst.wait_payload(f"{BASE}/{BED}/person_present", "ON")  # after the connect's OFF
    sink.on_window(_window("walking", 0.9, LIVING, present=False))
    assert lst.wait_payload(f"{BASE}/{LIVING}/person_present", "OFF", 3)
    assert _last(lst, f"{BASE}/{BED}/person_present") == "ON"
    # a fall in the bedroom: its alert, person down there only; the stream names it
    sink.on_event(event("new", "fall-1", camera=BED))
    assert lst.wait_payload(f"{BASE}/{BED}/person_down", "ON")
    assert lst.wait(lambda s: bool(s.on(f"{BASE}/{BED}/alerts")))
    alert = lst.on(f"{BASE}/{BED}/alerts")[0].json()
    assert alert["event_type"] == "fall" and alert["camera"] == BED
    assert lst.wait(lambda s: bool(s.on(f"{BASE}/events")))
    assert lst.on(f"{BASE}/events")[0].json()["camera"] == BED
    sink.on_event(event("end", "fall-1", camera=BED, end=3.0))
    assert lst.wait(lambda s: s.payloads(f"{BASE}/{BED}/person_down")[-1] == "OFF")
    assert lst.payloads(f"{BASE}/{LIVING}/person_down") == ["OFF"]
    assert lst.on(f"{BASE}/{LIVING}/alerts") == [] and lst.on(f"{BASE}/alerts") == []
    # statuses: each camera's switches and diagnostics; the app's own diagnostics
    sink.on_status(_status(LIVING, privacy=True, source_fps=12.0))
    sink.on_status(_status(BED, source_fps=25.0))
    assert lst.wait_payload(f"{BASE}/{LIVING}/privacy/state", "ON")
    assert lst.wait(lambda s: bool(s.on(f"{BASE}/{BED}/diagnostics"))
                    and bool(s.on(f"{BASE}/{LIVING}/diagnostics"))
                    and bool(s.on(f"{BASE}/diagnostics")))
    assert lst.on(f"{BASE}/{BED}/diagnostics")[-1].json()["fps"] == 25.0
    assert lst.on(f"{BASE}/{LIVING}/diagnostics")[-1].json()["fps"] == 12.0
    app_diag = lst.on(f"{BASE}/diagnostics")[-1].json()
    assert app_diag["cameras"] == 2 and app_diag["store_mb"] == 1.5
    assert _last(lst, f"{BASE}/{BED}/privacy/state") == "OFF"
    # the one-camera layout's states are not published
    assert not lst.on(f"{BASE}/activity") and not lst.on(f"{BASE}/privacy/state")


def test_a_command_reaches_only_its_camera(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    app = _cameras()
    living, bed = app.camera_named(LIVING), app.camera_named(BED)
    lst = make_listener(broker, f"{BASE}/+/privacy/state", f"{BASE}/+/monitoring/state",
                        f"{BASE}/availability")
    make_sink(make_config(broker), controls=app)
    assert wait_online(lst, BASE)  # subscribed to the commands by now
    assert lst.wait_payload(f"{BASE}/{BED}/privacy/state", "OFF")
    assert lst.wait_payload(f"{BASE}/{LIVING}/privacy/state", "OFF")
    lst.client.publish(f"{BASE}/{BED}/privacy/set", "ON", qos=1)
    assert lst.wait_payload(f"{BASE}/{BED}/privacy/state", "ON")
    assert bed.privacy is True and bed.calls == [("privacy", True)]
    assert living.privacy is False and living.calls == [] and app.calls == []
    lst.client.publish(f"{BASE}/{LIVING}/monitoring/set", "off", qos=1)
    assert lst.wait_payload(f"{BASE}/{LIVING}/monitoring/state", "OFF")
    assert living.calls == [("monitoring", False)] and bed.monitoring is True
    time.sleep(0.3)
    assert lst.payloads(f"{BASE}/{LIVING}/privacy/state") == ["OFF"]
    assert lst.payloads(f"{BASE}/{BED}/monitoring/state") == ["ON"]
    # nonsense is answered with that camera's state
    lst.client.publish(f"{BASE}/{BED}/privacy/set", "maybe", qos=1)
    assert lst.wait(lambda s: s.payloads(f"{BASE}/{BED}/privacy/state") == ["OFF", "ON", "ON"])


def test_an_acknowledgement_goes_to_its_cameras_device(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        store: EventStore) -> None:
    lst = make_listener(broker, f"{BASE}/+/alerts")
    sink = make_sink(make_config(broker), controls=_cameras())
    e = event("new", "fall-7", camera=LIVING)
    store.record(e)
    sink.on_event(e)
    sink.on_acknowledgement("fall-7", "Alice")
    assert lst.wait(lambda s: len(s.on(f"{BASE}/{LIVING}/alerts")) == 2)
    ack = lst.on(f"{BASE}/{LIVING}/alerts")[1].json()
    assert ack["event_type"] == "acknowledged" and ack["camera"] == LIVING
    assert lst.on(f"{BASE}/{BED}/alerts") == []


def test_person_down_carried_on_for_its_camera(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        store: EventStore) -> None:
    store.record(event("new", "fall-3", camera=BED))
    lst = make_listener(broker, f"{BASE}/+/person_down")
    make_sink(make_config(broker), controls=_cameras())
    assert lst.wait_payload(f"{BASE}/{BED}/person_down", "ON", 3)
    assert lst.wait_payload(f"{BASE}/{LIVING}/person_down", "OFF", 3)
    assert lst.payloads(f"{BASE}/{BED}/person_down")[0] == "ON"


def test_clear_discovery_removes_every_cameras_device(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = AppConfig.model_validate({
        "mqtt": make_config(broker).mqtt.model_dump(),
        "cameras": [{"name": LIVING, "room": "Living room", "source": "0"},
                    {"name": BED, "room": "Bedroom", "source": "1"}]})
    sink = make_sink(cfg, controls=_cameras())
    sink.on_window(_window("walking", 0.9, BED))
    lst = make_listener(broker, "homeassistant/#", f"{BASE}/#")
    assert lst.wait(lambda s: bool(s.on(_discovery_of(BED)))
                    and s.payloads(f"{BASE}/{BED}/activity")[-1:] == ["walking"])
    sink.close()
    assert clear_discovery(cfg) == 0
    out = capsys.readouterr().out.strip()
    assert "2 camera device(s)" in out and "\n" not in out
    late = make_listener(broker, "homeassistant/#", f"{BASE}/#")
    time.sleep(0.4)
    assert [m for m in late.messages if m.retain] == []


# ---------------------------------------------------------------- the real app
def test_a_two_camera_app_is_two_devices_in_home_assistant(
        broker: Broker, make_listener: MakeListener, random_model: Path, data_dir: Path,
        tmp_path: Path) -> None:
    """The issue's proof: a real ``EdgeApp`` with two cameras on two files, real pose and
    model, publishing to a real mosquitto: a device per camera with its entities, fed from
    its own camera; a command for one camera changes that camera only."""
    from edge_app.app import EdgeApp
    from tests.edge_app.conftest import DEMO_VIDEO
    from tests.edge_app.test_app import _Record

    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump({
        "events": {"default_rule": {"min_score": 0.0}},
        "mqtt": {"enabled": True, "host": HOST, "port": broker.port, "reconnect_min_s": 1,
                 "reconnect_max_s": 1, "flush_timeout_s": 3.0, "state_interval_s": 0.0,
                 "diagnostics_interval_s": 0.5, "keepalive_s": 10},
        "cameras": [
            {"name": LIVING, "room": "Living room", "source": str(DEMO_VIDEO)},
            {"name": BED, "room": "Bedroom", "source": str(DEMO_VIDEO)},
        ],
    }))
    cfg = load_config(path)
    lst = make_listener(broker, "homeassistant/#", f"{BASE}/#")
    app = EdgeApp(cfg, model_path=random_model, realtime=True, max_seconds=8.0)
    rec = _Record()
    app.add_sink(rec)
    sink = MqttSink(cfg, app.store, app, model_name=app.model_name,
                    class_names=app.class_names, sw_version="0.1.0-test")
    app.add_sink(sink)
    sink.start()
    app.start()
    try:
        assert sink.per_camera
        assert lst.wait(lambda s: all(s.on(t) for t in (
            APP_DISCOVERY, _discovery_of(LIVING), _discovery_of(BED))), 10)
        # windows of both cameras reach their own device (diagnostics count them)
        assert lst.wait(lambda s: all(_diag_windows(s, n) > 0 for n in (LIVING, BED)), 60)
        lst.client.publish(f"{BASE}/{BED}/privacy/set", "ON", qos=1)
        assert lst.wait_payload(f"{BASE}/{BED}/privacy/state", "ON")
        assert app.camera_named(BED).privacy is True
        assert app.camera_named(LIVING).privacy is False
        assert app.wait(120)
    finally:
        app.stop()  # closes the sink: flushed, then `stopped`
    assert app.error is None
    assert lst.wait_payload(f"{BASE}/availability", "stopped")
    root, living, bed = (lst.on(t)[0].json() for t in (
        APP_DISCOVERY, _discovery_of(LIVING), _discovery_of(BED)))
    assert set(root["cmps"]) == {"outbox", "store_mb"}
    assert (living["dev"]["name"], bed["dev"]["name"]) == ("Living room", "Bedroom")
    assert living["dev"]["via_device"] == bed["dev"]["via_device"] == "epam_edge"
    uids = _unique_ids(root, living, bed)
    assert len(uids) == len(set(uids))
    # every entity of both devices has a state on the broker, fed by its own camera
    for name in (LIVING, BED):
        windows = [w for w in rec.windows if w.camera == name]
        assert windows, name
        last = windows[-1]
        want = last.top[0] if last.person_present else "none"
        assert lst.wait(lambda s, n=name, v=want: _last(s, f"{BASE}/{n}/activity") == v), (  # type: ignore[misc]
            name, want, lst.payloads(f"{BASE}/{name}/activity"))
        for topic in ("confidence", "person_present", "person_down", "privacy/state",
                      "monitoring/state", "diagnostics"):
            assert lst.on(f"{BASE}/{name}/{topic}"), (name, topic)
    assert _last(lst, f"{BASE}/{LIVING}/privacy/state") == "OFF"
    # the incident stream names the camera of each message
    stream = [m.json() for m in lst.on(f"{BASE}/events")]
    assert {d["camera"] for d in stream} == {LIVING, BED}
    assert not lst.on(f"{BASE}/activity")  # no state of the one-camera layout


def _diag_windows(lst: Listener, camera: str) -> int:
    got = lst.on(f"{BASE}/{camera}/diagnostics")
    return int(got[-1].json()["windows"]) if got else 0
