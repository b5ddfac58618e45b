"""The sink against a real mosquitto: discovery, availability, incidents, states, commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from edge_app.mqtt import MqttSink, clear_discovery
from edge_app.store import EventStore
from edge_app.types import PipelineStatus, WindowResult
from tests.edge_app.mqtt.conftest import CLASSES
from tests.edge_app.mqtt.helpers import (
    Broker,
    FakeControls,
    Listener,
    event,
    make_config,
    wait_online,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[3]
BASE = "epam/epam_edge"
DISCOVERY = "homeassistant/device/epam_edge/config"

MakeSink = Callable[..., MqttSink]
MakeListener = Callable[..., Listener]


def _window(label: str, score: float, present: bool = True) -> WindowResult:
    probs = np.full(len(CLASSES), (1 - score) / (len(CLASSES) - 1), np.float32)
    probs[CLASSES.index(label)] = score
    return WindowResult(time=1.0, start_time=0.0, probs=probs, smoothed=probs,
                        class_names=CLASSES, person_present=present, pose_only=False,
                        latency_ms=20.0, source="test.mp4")


def _status(**kw: object) -> PipelineStatus:
    base: dict[str, object] = dict(
        source="test.mp4", source_fps=29.97, sample_rate_hz=15.0, pose_ms=12.5,
        inference_ms=40.25, dropped_frames=3, skipped_windows=1, windows=10,
        model_name="epamnet_adl", provider="cpu", privacy=False, monitoring=True,
        person_present=True, person_down=False, current_activity="walking", confidence=0.8)
    base.update(kw)
    return PipelineStatus(**base)  # type: ignore[arg-type]


def test_discovery_is_retained_with_the_documented_shape(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    sink = make_sink(make_config(broker))
    assert wait_until(lambda: sink.connected)
    # a subscriber that comes later (Home Assistant restarting) gets it as retained
    time.sleep(0.3)
    late = make_listener(broker, "homeassistant/#")
    assert late.wait(lambda s: bool(s.on(DISCOVERY)))
    msg = late.on(DISCOVERY)[0]
    assert msg.retain
    d = msg.json()
    assert set(d) >= {"dev", "o", "cmps", "availability"}
    assert all("p" in c and "unique_id" in c for c in d["cmps"].values())
    assert d["cmps"]["alert"]["state_topic"] == f"{BASE}/alerts"


def test_discovery_republished_when_home_assistant_comes_online(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    sink = make_sink(make_config(broker))
    lst = make_listener(broker, DISCOVERY, f"{BASE}/privacy/state", f"{BASE}/availability")
    assert wait_online(lst, BASE)  # subscribed to homeassistant/status by now
    assert len(lst.on(DISCOVERY)) == 1 and sink.connected
    lst.client.publish("homeassistant/status", "online", qos=1)
    assert lst.wait(lambda s: len(s.on(DISCOVERY)) == 2)
    # ... and the states after it
    assert lst.wait(lambda s: len(s.on(f"{BASE}/privacy/state")) >= 2)


def test_discovery_off_publishes_none(broker: Broker, make_sink: MakeSink,
                                      make_listener: MakeListener) -> None:
    lst = make_listener(broker, "#")
    sink = make_sink(make_config(broker, discovery=False))
    assert lst.wait_payload(f"{BASE}/availability", "online")
    time.sleep(0.3)
    assert sink.connected and lst.on(DISCOVERY) == []


def test_availability_online_then_stopped(broker: Broker, make_sink: MakeSink,
                                          make_listener: MakeListener) -> None:
    lst = make_listener(broker, f"{BASE}/availability")
    sink = make_sink(make_config(broker))
    assert lst.wait_payload(f"{BASE}/availability", "online")
    sink.close()
    assert lst.wait_payload(f"{BASE}/availability", "stopped")
    late = make_listener(broker, f"{BASE}/availability")
    assert late.wait(lambda s: s.payloads(f"{BASE}/availability") == ["stopped"])
    assert late.on(f"{BASE}/availability")[0].retain


_CHILD = """
import sys, time
from edge_app.config import AppConfig
from edge_app.mqtt import MqttSink
from edge_app.store import EventStore
from tests.edge_app.mqtt.helpers import FakeControls
cfg = AppConfig.model_validate({"mqtt": {"enabled": True, "host": "127.0.0.1",
                                         "port": int(sys.argv[1]), "keepalive_s": 5}})
sink = MqttSink(cfg, EventStore(sys.argv[2]), FakeControls(), model_name="m",
                class_names=["a"], sw_version="0")
sink.start()
while not sink.connected:
    time.sleep(0.02)
print("ready", flush=True)
time.sleep(120)
"""


def test_last_will_offline_when_the_process_is_killed(
        broker: Broker, make_listener: MakeListener, tmp_path: Path) -> None:
    lst = make_listener(broker, f"{BASE}/availability")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(broker.port),
                              str(tmp_path / "child.db")], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready", child.stderr
        assert lst.wait_payload(f"{BASE}/availability", "online")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(5)
        assert lst.wait_payload(f"{BASE}/availability", "offline")
        assert lst.payloads(f"{BASE}/availability")[-1] == "offline"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)


def test_an_incident_gives_one_new_and_one_end(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        controls: FakeControls) -> None:
    lst = make_listener(broker, f"{BASE}/events", f"{BASE}/alerts", f"{BASE}/person_down")
    sink = make_sink(make_config(broker))
    assert wait_until(lambda: sink.connected)
    assert lst.wait_payload(f"{BASE}/person_down", "OFF")
    sink.on_event(event("new", "fall-1", score=0.8))
    assert lst.wait_payload(f"{BASE}/person_down", "ON")
    sink.on_event(event("update", "fall-1", score=0.95))
    sink.on_event(event("end", "fall-1", score=0.95, end=4.5))
    assert lst.wait(lambda s: len(s.on(f"{BASE}/events")) == 3)
    assert lst.wait(lambda s: s.payloads(f"{BASE}/person_down")[-1] == "OFF")
    time.sleep(0.3)
    events = [m.json() for m in lst.on(f"{BASE}/events")]
    assert [e["type"] for e in events] == ["new", "update", "end"]
    assert all(e["id"] == "fall-1" and e["device_id"] == "epam_edge" for e in events)
    assert {"type", "id", "label", "level", "score", "start_time", "end_time",
            "source"} <= set(events[0])
    assert events[-1]["end_time"] == 4.5
    assert not any(m.retain for m in lst.on(f"{BASE}/events"))
    alerts = [m.json() for m in lst.on(f"{BASE}/alerts")]
    assert len(alerts) == 1 and alerts[0]["event_type"] == "fall"
    assert alerts[0]["level"] == "critical"
    assert lst.payloads(f"{BASE}/person_down") == ["OFF", "ON", "OFF"]
    assert wait_until(lambda: sink.outbox_pending == 0)


def test_info_segments_go_to_events_only(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    lst = make_listener(broker, f"{BASE}/events", f"{BASE}/alerts")
    sink = make_sink(make_config(broker))
    sink.on_event(event("new", "walk-1", label="walking", level="info", rule="activity"))
    sink.on_event(event("end", "walk-1", label="walking", level="info", rule="activity",
                        end=3.0))
    assert lst.wait(lambda s: len(s.on(f"{BASE}/events")) == 2)
    time.sleep(0.2)
    assert lst.on(f"{BASE}/alerts") == []


def test_acknowledgement_reaches_home_assistant(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        store: EventStore) -> None:
    lst = make_listener(broker, f"{BASE}/alerts")
    sink = make_sink(make_config(broker))
    e = event("new", "fall-9")
    store.record(e)
    sink.on_event(e)
    sink.on_acknowledgement("fall-9", "Alice")
    assert lst.wait(lambda s: len(s.on(f"{BASE}/alerts")) == 2)
    ack = lst.on(f"{BASE}/alerts")[1].json()
    assert ack["event_type"] == "acknowledged" and ack["id"] == "fall-9"
    assert ack["by"] == "Alice" and ack["label"] == "falling"


def test_commands_change_privacy_and_monitoring(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        controls: FakeControls) -> None:
    lst = make_listener(broker, f"{BASE}/privacy/state", f"{BASE}/monitoring/state",
                        f"{BASE}/availability")
    make_sink(make_config(broker))
    assert wait_online(lst, BASE)  # subscribed to the commands by now
    assert lst.wait_payload(f"{BASE}/privacy/state", "OFF")
    assert lst.wait_payload(f"{BASE}/monitoring/state", "ON")
    lst.client.publish(f"{BASE}/privacy/set", "ON", qos=1)
    assert lst.wait_payload(f"{BASE}/privacy/state", "ON")
    assert controls.privacy is True and ("privacy", True) in controls.calls
    lst.client.publish(f"{BASE}/monitoring/set", "off", qos=1)
    assert lst.wait(lambda s: s.payloads(f"{BASE}/monitoring/state")[-1:] == ["OFF"])
    assert controls.monitoring is False
    # nonsense is refused, the current state is repeated; retained commands are ignored
    n = len(lst.on(f"{BASE}/privacy/state"))
    lst.client.publish(f"{BASE}/privacy/set", "maybe", qos=1)
    assert lst.wait(lambda s: len(s.on(f"{BASE}/privacy/state")) == n + 1)
    assert lst.payloads(f"{BASE}/privacy/state")[-1] == "ON"


def test_a_stale_retained_command_is_ignored(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        controls: FakeControls) -> None:
    lst = make_listener(broker, f"{BASE}/privacy/state", f"{BASE}/availability")
    lst.client.publish(f"{BASE}/privacy/set", "ON", qos=1, retain=True).wait_for_publish(2)
    sink = make_sink(make_config(broker))
    assert wait_online(lst, BASE)  # subscribed: the broker has handed it the retained one
    assert lst.wait_payload(f"{BASE}/privacy/state", "OFF")
    time.sleep(0.3)
    assert sink.connected and controls.privacy is False and controls.calls == []


def test_commands_resubscribed_after_reconnect(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        controls: FakeControls) -> None:
    # a persistent session: the `online` of the reconnect reaches it live (not retained)
    # even when it is published while this listener is still reconnecting itself
    lst = make_listener(broker, f"{BASE}/privacy/state", f"{BASE}/availability",
                        client_id="ha", persistent=True)

    def live_onlines(s: Listener) -> int:
        return sum(1 for m in s.on(f"{BASE}/availability")
                   if m.payload == "online" and not m.retain)

    sink = make_sink(make_config(broker))
    assert lst.wait(lambda s: live_onlines(s) == 1)
    broker.stop()
    assert wait_until(lambda: not sink.connected)
    broker.start()
    # `connected` turns true before the sink subscribes again; `online` comes after it
    assert lst.wait(lambda s: live_onlines(s) == 2, 10)
    lst.client.publish(f"{BASE}/privacy/set", "ON", qos=1)
    assert lst.wait_payload(f"{BASE}/privacy/state", "ON")
    assert controls.privacy is True


def test_states_from_windows_are_retained_and_rate_limited(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    lst = make_listener(broker, f"{BASE}/activity", f"{BASE}/confidence",
                        f"{BASE}/person_present", f"{BASE}/availability")
    sink = make_sink(make_config(broker, state_interval_s=1.0))
    # the connect's fresh states go out before `online`: windows fed as soon as `connected`
    # is true may beat them (the first window's state is then published in their place)
    assert wait_online(lst, BASE)
    assert lst.payloads(f"{BASE}/activity") == ["none"]
    t0 = time.monotonic()
    for i in range(60):  # 60 windows in about 0.6 s, confidence changing every time
        sink.on_window(_window("walking", 0.5 + i / 200))
        time.sleep(0.01)
    assert lst.wait_payload(f"{BASE}/activity", "walking")
    time.sleep(max(0.0, t0 + 1.3 - time.monotonic()))
    # "none" at connect (nothing seen yet in this run), then the first window's
    assert lst.payloads(f"{BASE}/activity") == ["none", "walking"]
    assert 2 <= len(lst.on(f"{BASE}/confidence")) <= 4
    assert lst.wait(lambda s: s.payloads(f"{BASE}/confidence")[-1] == "80")  # last value wins
    late = make_listener(broker, f"{BASE}/activity", f"{BASE}/confidence")
    assert late.wait(lambda s: len(s.messages) == 2)
    assert all(m.retain for m in late.messages)
    sink.on_window(_window("walking", 0.9, present=False))
    assert lst.wait_payload(f"{BASE}/person_present", "OFF", 3)
    assert lst.wait_payload(f"{BASE}/activity", "none", 3)


def test_a_restart_clears_the_last_runs_states_at_connect(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    """After a restart Home Assistant must not show the last run's activity: an
    automation on 'lying on the floor' would fire at every restart."""
    first = make_sink(make_config(broker, state_interval_s=0.0))
    assert wait_until(lambda: first.connected)
    first.on_window(_window("lying on the floor", 0.9))
    seen = make_listener(broker, f"{BASE}/activity")
    assert seen.wait_payload(f"{BASE}/activity", "lying on the floor")
    first.close()
    lst = make_listener(broker, f"{BASE}/activity", f"{BASE}/person_present",
                        f"{BASE}/confidence", f"{BASE}/person_down", f"{BASE}/availability")
    assert lst.wait_payload(f"{BASE}/activity", "lying on the floor")  # retained, old run
    make_sink(make_config(broker))  # the new run, before any window
    assert lst.wait_payload(f"{BASE}/activity", "none", 3)
    assert lst.wait_payload(f"{BASE}/person_present", "OFF", 3)
    assert lst.wait_payload(f"{BASE}/confidence", "0", 3)
    assert lst.wait_payload(f"{BASE}/availability", "online", 3)
    # the fresh states reach the broker before `online`: Home Assistant makes the
    # entities available on `online` with what it holds (measured against HA 2025.4.4:
    # without this order it showed the old run's values for 8-219 ms at every restart)
    live = [m for m in lst.messages if not m.retain]
    order = [m.topic.rsplit("/", 1)[-1] for m in live]
    assert "availability" in order
    first_online = order.index("availability")
    for state in ("activity", "person_present", "confidence", "person_down"):
        assert state in order[:first_online], (state, order)


def test_person_down_stays_on_for_a_fall_carried_on_from_the_last_run(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        store: EventStore) -> None:
    """A fall still open in the store at start (the pipeline carried it on after a
    restart): person_down is ON from the first connect, never OFF first."""
    store.record(event("new", "fall-9", rule="fall"))
    lst = make_listener(broker, f"{BASE}/person_down")
    make_sink(make_config(broker))
    assert lst.wait_payload(f"{BASE}/person_down", "ON", 3)
    assert lst.payloads(f"{BASE}/person_down")[0] == "ON"


def test_commands_are_subscribed_before_online_is_announced(
        broker: Broker, make_sink: MakeSink) -> None:
    """Home Assistant sends a command as soon as it sees the device online (one sent
    79 ms after `online` was lost): the app subscribes first, and the broker handles a
    client's packets in order."""
    from types import SimpleNamespace

    calls: list[tuple[str, object]] = []

    class Recorder:
        def subscribe(self, subs: object) -> None:
            calls.append(("subscribe", subs))

        def publish(self, topic: str, payload: object, qos: int = 0,
                    retain: bool = False) -> SimpleNamespace:
            calls.append(("publish", topic))
            return SimpleNamespace(mid=len(calls), rc=0)

    sink = make_sink(make_config(broker), start=False)
    client = Recorder()
    sink._on_connect(client, None, None, SimpleNamespace(is_failure=False),  # type: ignore[arg-type]
                     None)
    sink._publish_round(client)  # type: ignore[arg-type]  # the sender's next round
    kinds = [k for k, _ in calls]
    online = calls.index(("publish", f"{BASE}/availability"))
    assert kinds.index("subscribe") < online
    subs = next(v for k, v in calls if k == "subscribe")
    assert (f"{BASE}/privacy/set", 1) in subs  # type: ignore[operator]


def test_diagnostics_at_their_interval(broker: Broker, make_sink: MakeSink,
                                       make_listener: MakeListener) -> None:
    lst = make_listener(broker, f"{BASE}/diagnostics", f"{BASE}/privacy/state",
                        f"{BASE}/availability")
    sink = make_sink(make_config(broker, diagnostics_interval_s=0.5))
    assert wait_online(lst, BASE)
    for _ in range(10):
        sink.on_status(_status(privacy=True))
        time.sleep(0.1)
    assert lst.wait(lambda s: len(s.on(f"{BASE}/diagnostics")) >= 2)
    assert len(lst.on(f"{BASE}/diagnostics")) <= 3
    d = lst.on(f"{BASE}/diagnostics")[0].json()
    assert d["fps"] == 29.97 and d["inference_ms"] == 40.2 and d["dropped_frames"] == 3
    assert d["outbox"] == 0 and d["provider"] == "cpu"
    assert lst.wait_payload(f"{BASE}/privacy/state", "ON")


def test_no_images_leave_the_device(broker: Broker, make_sink: MakeSink,
                                    make_listener: MakeListener) -> None:
    lst = make_listener(broker, "#")
    sink = make_sink(make_config(broker))
    sink.on_window(_window("walking", 0.9))
    sink.on_event(event("new", "f"))
    assert lst.wait(lambda s: len(s.on(f"{BASE}/events")) == 1)
    time.sleep(0.3)
    assert all(len(m.payload) < 20_000 for m in lst.messages)
    assert not any("snapshot" in m.topic or "image" in m.topic for m in lst.messages)


def test_clear_discovery_removes_the_device(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_config(broker)
    sink = make_sink(cfg)
    sink.on_window(_window("walking", 0.9))
    lst = make_listener(broker, DISCOVERY, f"{BASE}/activity")
    assert lst.wait(lambda s: bool(s.on(DISCOVERY)) and bool(s.on(f"{BASE}/activity")))
    sink.close()
    assert clear_discovery(cfg) == 0
    out = capsys.readouterr().out.strip()
    assert "removed device 'epam_edge'" in out and "\n" not in out
    late = make_listener(broker, "homeassistant/#", f"{BASE}/#")
    time.sleep(0.4)
    assert [m for m in late.messages if m.retain] == []


def test_clear_discovery_without_broker(capsys: pytest.CaptureFixture[str]) -> None:
    assert clear_discovery(make_config(None)) == 1
    assert "refused the connection" in capsys.readouterr().out


def test_discovery_payload_is_valid_json_on_the_wire(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    lst = make_listener(broker, DISCOVERY)
    make_sink(make_config(broker, device_name="Kitchen"))
    assert lst.wait(lambda s: bool(s.on(DISCOVERY)))
    assert json.loads(lst.on(DISCOVERY)[0].payload)["dev"]["name"] == "Kitchen"
