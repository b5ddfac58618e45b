"""Switching a camera's source over MQTT (``<base>[/<camera>]/source/set``), the source
text entity Home Assistant shows, and credentials that never leave the device: against a
real mosquitto, with fake cameras and with a real two-camera ``EdgeApp``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from edge_app.config import ConfigError, load_config
from edge_app.mqtt import MqttSink, Topics, build_camera_discovery, build_discovery
from edge_app.mqtt.discovery import MAX_SOURCE_CHARS, camera_devices
from edge_app.mqtt.sink import check_source_command, shown_source
from edge_app.sources import redact_source
from tests.edge_app.mqtt.conftest import CLASSES
from tests.edge_app.mqtt.helpers import (
    HOST,
    Broker,
    FakeCamera,
    FakeCameras,
    FakeControls,
    Listener,
    free_port,
    make_config,
    wait_online,
)

BASE = "epam/epam_edge"
LIVING, BED = "living-room", "bedroom"
SECRET = "hunter2"

APP_TOPICS = (f"{BASE}/+", f"{BASE}/+/+", f"{BASE}/+/+/state", f"{BASE}/+/+/error",
              "homeassistant/#")

MakeSink = Callable[..., MqttSink]
MakeListener = Callable[..., Listener]


class SwitchingCamera(FakeCamera):
    """A fake camera that takes a switch when the test says so (``take``/``refuse``), as
    ``CameraPipeline`` does between two samples."""

    def __init__(self, name: str, room: str = "", source: str = "0") -> None:
        super().__init__(name, room)
        self.source_text = source
        self.switching = False
        self.switch_error = ""
        self._asked = ""

    def switch_source(self, uri: str) -> None:
        super().switch_source(uri)
        self._asked, self.switching = uri, True

    def take(self) -> None:
        self.source_text, self.switch_error, self.switching = self._asked, "", False

    def refuse(self, why: str) -> None:
        self.switch_error, self.switching = why, False


def _state(camera: str) -> str:
    return f"{BASE}/{camera}/source/state"


def _error(camera: str) -> str:
    return f"{BASE}/{camera}/source/error"


# ---------------------------------------------------------------- no broker
@pytest.mark.parametrize(("text", "shown"), [
    ("rtsp://admin:hunter2@192.168.1.20:554/stream1", "rtsp://admin:***@192.168.1.20:554/stream1"),
    ("rtsp://admin:hun@ter2@cam/s", "rtsp://admin:***@cam/s"),  # an "@" in the password
    ("rtsp://admin:hun/ter2@cam/s", "rtsp://admin:***@cam/s"),  # a "/" in the password
    ("http://cam/video.mjpg?user=me&password=hunter2", "http://cam/video.mjpg?user=me&password=***"),
    ("https://cam/live?token=hunter2", "https://cam/live?token=***"),
    ("gst:rtspsrc location=rtsp://me:hunter2@cam/s user-pw=hunter2 ! decodebin ! appsink",
     "gst:rtspsrc location=rtsp://me:***@cam/s user-pw=*** ! decodebin ! appsink"),
    ("rtsp://cam.local:554/stream", "rtsp://cam.local:554/stream"),  # nothing to mask
    ("rtsp://viewer@cam/stream", "rtsp://viewer@cam/stream"),
    ("/srv/videos/kitchen.mp4", "/srv/videos/kitchen.mp4"),
    ("0", "0"),
])
def test_credentials_are_masked(text: str, shown: str) -> None:
    assert redact_source(text) == shown == shown_source(text)
    assert SECRET not in shown_source(text)


def test_a_shown_source_fits_home_assistant() -> None:
    long = "/srv/" + "a" * 400 + ".mp4"
    assert len(shown_source(long)) == MAX_SOURCE_CHARS and shown_source(long).endswith("\u2026")


@pytest.mark.parametrize(("payload", "why"), [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"\xff\xfe\x00video", "not UTF-8"),
    (("/v/" + "x" * 300).encode(), "too long"),
    (b"x" * 5000, "too long"),
    (b"/tmp/a.mp4\n/tmp/b.mp4", "control characters"),
    (b"gst:videotestsrc ! appsink", "gst: pipelines are not accepted"),
])
def test_bad_source_commands_are_named(payload: bytes, why: str) -> None:
    text, problem = check_source_command(payload)
    assert text == "" and why in problem


@pytest.mark.parametrize("payload", [b"0", b" /dev/video2 ", b"rtsp://u:p@cam/s",
                                     b"http://cam/x.mjpg", b"/data/fall.pkl", b"video.mp4"])
def test_good_source_commands_pass(payload: bytes) -> None:
    assert check_source_command(payload) == (payload.decode().strip(), "")


def test_discovery_has_a_source_text_entity() -> None:
    cfg = make_config(None).mqtt
    topics = Topics.from_config(cfg)
    kw = dict(model_name="epamnet_adl", class_names=CLASSES, sw_version="1.2.3")
    one = build_discovery(cfg, topics, **kw)["cmps"]
    assert one["source"] == {
        "p": "text", "unique_id": "epam_edge_source", "name": "Source",
        "command_topic": f"{BASE}/source/set", "state_topic": f"{BASE}/source/state",
        "min": 1, "max": 255, "mode": "text", "entity_category": "config", "icon": "mdi:cctv",
        "qos": 1}
    assert one["source_error"]["state_topic"] == f"{BASE}/source/error"
    assert one["source_error"]["entity_category"] == "diagnostic"
    bed = build_camera_discovery(cfg, topics, camera_devices([(BED, "Bedroom")])[0], **kw)
    assert bed["cmps"]["source"]["command_topic"] == f"{BASE}/{BED}/source/set"
    assert bed["cmps"]["source"]["unique_id"] == f"epam_edge_{BED}_source"
    # commands off: a read-only sensor (a text box that refuses everything would confuse)
    off = make_config(None, allow_source_command=False).mqtt
    ro = build_discovery(off, topics, **kw)["cmps"]["source"]
    assert ro["p"] == "sensor" and "command_topic" not in ro
    assert ro["state_topic"] == f"{BASE}/source/state"
    # the new topics are cleared with the others
    assert {f"{BASE}/source/state", f"{BASE}/source/error"} <= set(topics.retained())


def test_allow_source_command_is_a_validated_key(tmp_path: Path) -> None:
    assert load_config().mqtt.allow_source_command is True
    assert load_config(overrides=["mqtt.allow_source_command=false"]).mqtt \
        .allow_source_command is False
    with pytest.raises(ConfigError, match="allow_source_command"):
        load_config(overrides=["mqtt.allow_source_command=maybe"])
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump({"mqtt": {"allow_source_commands": True}}))
    with pytest.raises(ConfigError, match="allow_source_commands"):
        load_config(path)


# ---------------------------------------------------------------- real broker, fake cameras
def test_a_source_command_reaches_only_its_camera(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    living = SwitchingCamera(LIVING, "Living room", "rtsp://admin:hunter2@cam1/live")
    bed = SwitchingCamera(BED, "Bedroom", "/srv/bedroom.mp4")
    lst = make_listener(broker, f"{BASE}/#")
    make_sink(make_config(broker), controls=FakeCameras(living, bed))
    assert wait_online(lst, BASE)  # subscribed to the commands by now
    # the source in use, masked, and no error yet
    assert lst.wait_payload(_state(LIVING), "rtsp://admin:***@cam1/live")
    assert lst.wait_payload(_state(BED), "/srv/bedroom.mp4")
    assert lst.wait_payload(_error(BED), "none")
    late = make_listener(broker, f"{BASE}/+/source/#")  # Home Assistant, restarting
    assert late.wait(lambda s: len(s.messages) == 4)
    assert all(m.retain for m in late.messages)
    lst.client.publish(f"{BASE}/{BED}/source/set", "rtsp://me:hunter2@cam2/s", qos=1)
    assert wait_for(lambda: bed.calls == [("source", "rtsp://me:hunter2@cam2/s")])
    time.sleep(0.6)  # not taken yet: nothing published for it
    assert lst.payloads(_state(BED)) == ["/srv/bedroom.mp4"]
    bed.take()
    assert lst.wait_payload(_state(BED), "rtsp://me:***@cam2/s")
    assert lst.wait(lambda s: s.payloads(_error(BED)) == ["none", "none"])
    assert set(lst.payloads(_state(BED))[1:]) == {"rtsp://me:***@cam2/s"}
    assert living.calls == [] and lst.payloads(_state(LIVING)) == ["rtsp://admin:***@cam1/live"]
    # a source that cannot be opened: the error, and the source still in use again
    lst.client.publish(f"{BASE}/{BED}/source/set", "/srv/missing.mp4", qos=1)
    assert wait_for(lambda: len(bed.calls) == 2)
    n = len(lst.payloads(_state(BED)))
    bed.refuse("cannot switch to missing.mp4: video file /srv/missing.mp4 does not exist")
    assert lst.wait(lambda s: s.payloads(_error(BED))[-1:] == [
        "cannot switch to missing.mp4: video file /srv/missing.mp4 does not exist"])
    assert lst.wait(lambda s: s.payloads(_state(BED))[n:] == ["rtsp://me:***@cam2/s"])
    assert not _leaks(lst)


def test_bad_source_commands_are_refused_and_answered(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="edge_app")
    bed = SwitchingCamera(BED, "Bedroom", "/srv/bedroom.mp4")
    # (not the commands: they are not UTF-8)
    lst = make_listener(broker, _state(BED), _error(BED), f"{BASE}/availability")
    # a retained command found at connect is never taken (it would switch at every start)
    lst.client.publish(f"{BASE}/{BED}/source/set", "0", qos=1, retain=True).wait_for_publish(5)
    sink = make_sink(make_config(broker), controls=FakeCameras(SwitchingCamera(LIVING), bed))
    assert wait_online(lst, BASE)  # subscribed to the commands by now
    assert lst.wait_payload(_error(BED), "none")
    bad = [b"", b"\xff\xfe\x00", b"x" * 3000, b"gst:filesrc location=/etc/shadow ! fakesink",
           b"rtsp://me:hunter2@cam/s\nrtsp://other"]
    whys = ("empty", "not UTF-8", "too long", "gst: pipelines", "control characters")
    for i, (payload, why) in enumerate(zip(bad, whys, strict=True)):
        lst.client.publish(f"{BASE}/{BED}/source/set", payload, qos=1)
        assert lst.wait(lambda s, n=i + 2: len(s.payloads(_error(BED))) == n)  # type: ignore[misc]
        assert why in lst.payloads(_error(BED))[-1]
    assert all(len(e) <= MAX_SOURCE_CHARS for e in lst.payloads(_error(BED)))
    # every command answered with the source still in use; none reached the camera
    assert lst.wait(lambda s: s.payloads(_state(BED)) == ["/srv/bedroom.mp4"] * (1 + len(bad)))
    assert bed.calls == []
    refused = [r.getMessage() for r in caplog.records if "refused the source command" in
               r.getMessage()]
    assert len(refused) == len(bad)  # one line each
    assert all("stays on /srv/bedroom.mp4" in line for line in refused)
    assert SECRET not in caplog.text and not _leaks(lst)
    assert "ignored a retained command" in caplog.text
    lst.client.publish(f"{BASE}/{BED}/source/set", b"", qos=1, retain=True)
    # the MQTT threads survived all of it: a good command still works
    lst.client.publish(f"{BASE}/{BED}/source/set", "1", qos=1)
    assert wait_for(lambda: bed.calls == [("source", "1")])
    bed.take()
    assert lst.wait_payload(_state(BED), "1")
    assert sink.connected


def test_one_camera_takes_source_commands_on_the_apps_topics(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener) -> None:
    """No ``cameras:`` list: the command is ``<base>/source/set`` and reaches the app's
    only camera; the one-camera layout's other topics are as before."""
    cam = SwitchingCamera("camera", source="0")
    app = FakeCameras(cam)
    lst = make_listener(broker, f"{BASE}/+", f"{BASE}/+/state", f"{BASE}/+/error")
    sink = make_sink(make_config(broker), controls=app)
    assert not sink.per_camera
    assert wait_online(lst, BASE)  # subscribed to the commands by now
    assert lst.wait_payload(f"{BASE}/source/state", "0")
    lst.client.publish(f"{BASE}/source/set", "/srv/kitchen.mp4", qos=1)
    assert wait_for(lambda: cam.calls == [("source", "/srv/kitchen.mp4")])
    cam.take()
    assert lst.wait_payload(f"{BASE}/source/state", "/srv/kitchen.mp4")
    assert app.calls == []  # the camera's, not the app-wide controls'
    assert {m.topic for m in lst.messages} == {f"{BASE}/{t}" for t in (
        "availability", "activity", "confidence", "person_present", "person_down",
        "privacy/state", "monitoring/state", "source/state", "source/error")}


def test_source_commands_can_be_turned_off(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        caplog: pytest.LogCaptureFixture) -> None:
    controls = FakeControls()
    lst = make_listener(broker, f"{BASE}/source/#", "homeassistant/#", f"{BASE}/availability")
    make_sink(make_config(broker, allow_source_command=False), controls=controls)
    assert wait_online(lst, BASE)  # subscribed to the commands by now
    assert lst.wait(lambda s: bool(s.on("homeassistant/device/epam_edge/config")))
    assert lst.on("homeassistant/device/epam_edge/config")[0].json()["cmps"]["source"]["p"] \
        == "sensor"
    lst.client.publish(f"{BASE}/source/set", "/tmp/video.mp4", qos=1)
    error = f"{BASE}/source/error"
    assert lst.wait(lambda s: "mqtt.allow_source_command" in (s.payloads(error) or [""])[-1])
    assert controls.calls == []
    assert "mqtt.allow_source_command" in caplog.text


def _leaks(lst: Listener) -> list[str]:
    """Messages the app published that carry the password (the commands sent in the test
    carry it, as Home Assistant's do: not the app's)."""
    return [m.topic for m in lst.messages if SECRET in m.payload and not m.topic.endswith("/set")]


def wait_for(pred: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


# ---------------------------------------------------------------- the real app
def test_switching_one_of_two_cameras_of_a_real_app_over_mqtt(
        broker: Broker, make_listener: MakeListener, random_model: Path, data_dir: Path,
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The issue's proof: a real two-camera ``EdgeApp`` on the demo video, real pose and
    model, a real mosquitto. A command switches the bedroom to a keypoint replay: its
    windows and events come from the replay, the living room's stay the video's; a bad
    payload, a missing file and an unreachable camera with a password are refused or
    fail with their reason on the error topic, the password nowhere, the app running."""
    from edge_app.app import EdgeApp
    from tests.edge_app.conftest import DEMO_VIDEO
    from tests.edge_app.test_app import _Record, _replay_file

    caplog.set_level(logging.INFO)
    replay = _replay_file(tmp_path / "bedroom-replay.pkl", seconds=60.0)
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
    # everything the app publishes (not the commands: one is not UTF-8)
    lst = make_listener(broker, *APP_TOPICS)
    app = EdgeApp(cfg, model_path=random_model, realtime=True)
    rec = _Record()
    app.add_sink(rec)
    sink = MqttSink(cfg, app.store, app, model_name=app.model_name,
                    class_names=app.class_names, sw_version="0.1.0-test")
    app.add_sink(sink)
    sink.start()
    app.start()
    living, bed = app.camera_named(LIVING), app.camera_named(BED)

    def windows(camera: str, part: str) -> int:
        return sum(1 for w in rec.windows_of(part) if w.camera == camera)

    try:
        assert lst.wait_payload(_state(BED), str(DEMO_VIDEO), 10)
        assert lst.wait_payload(_state(LIVING), str(DEMO_VIDEO))
        assert lst.wait_payload(_error(BED), "none")
        assert wait_for(lambda: windows(BED, DEMO_VIDEO.name) > 0
                        and windows(LIVING, DEMO_VIDEO.name) > 0, 60)
        lst.client.publish(f"{BASE}/{BED}/source/set", str(replay), qos=1)
        assert lst.wait_payload(_state(BED), str(replay), 15)
        assert bed.source_text == str(replay) and living.source_text == str(DEMO_VIDEO)
        assert wait_for(lambda: windows(BED, replay.name) > 0, 20)
        assert all(w.pose_only for w in rec.windows_of(replay.name))
        assert not any(w.camera == LIVING for w in rec.windows_of(replay.name))
        n_living = windows(LIVING, DEMO_VIDEO.name)
        assert lst.wait(lambda s: s.payloads(_error(BED))[-1:] == ["none"]
                        and len(s.payloads(_error(BED))) == 2)
        # a bad payload: refused at once, one log line, the camera stays on the replay
        lst.client.publish(f"{BASE}/{BED}/source/set", b"\xff\xfe", qos=1)
        assert lst.wait(lambda s: "not UTF-8" in s.payloads(_error(BED))[-1])
        # a missing file: the camera cannot open it and goes on with the replay
        lst.client.publish(f"{BASE}/{BED}/source/set", str(tmp_path / "missing.mp4"), qos=1)
        assert lst.wait(lambda s: "missing.mp4" in s.payloads(_error(BED))[-1], 15)
        assert "cannot switch" in bed.status().problem
        # a camera with a password that is not there: its password is never shown
        url = f"rtsp://admin:{SECRET}@{HOST}:{free_port()}/stream"
        lst.client.publish(f"{BASE}/{BED}/source/set", url, qos=1)
        assert lst.wait(lambda s: "admin:***@" in s.payloads(_error(BED))[-1], 15)
        assert bed.source_text == str(replay)
        assert lst.payloads(_state(BED))[-1] == str(replay)
        # both cameras kept going all along
        n_bed = windows(BED, replay.name)
        assert wait_for(lambda: windows(BED, replay.name) > n_bed
                        and windows(LIVING, DEMO_VIDEO.name) > n_living, 20)
        assert not app.finished.is_set() and app.error is None
    finally:
        app.stop()
    assert app.error is None
    # the living room never left the video: its windows and incidents are all the video's
    assert {w.source for w in rec.windows if w.camera == LIVING} == {DEMO_VIDEO.name}
    stream = [m.json() for m in lst.on(f"{BASE}/events")]
    assert {d["source"] for d in stream if d["camera"] == LIVING} == {DEMO_VIDEO.name}
    assert {w.source for w in rec.windows if w.camera == BED} == {DEMO_VIDEO.name, replay.name}
    assert lst.payloads(_state(LIVING)) == [str(DEMO_VIDEO)]
    assert not _leaks(lst)
    assert SECRET not in caplog.text


# ---------------------------------------------------------------- listen, masking
@pytest.mark.parametrize("payload", [
    b"tcp://0.0.0.0:9000?listen",
    b"tcp://0.0.0.0:9000?listen=1",
    b"tcp://0.0.0.0:9000?timeout=5000000&listen=1",
    b"udp://0.0.0.0:1234?listen=1",
    b"http://0.0.0.0:8080/feed.mjpg?listen=1",
    b"http://0.0.0.0:8080/feed.mjpg?LISTEN=2",
    b"rtmp://0.0.0.0:1935/live/s?listen",
    b"rtmp://0.0.0.0/live/s rtmp_listen=1",
    b"rtsp://0.0.0.0:8554/s?rtsp_flags=listen",
    b"tcp://0.0.0.0:9000?%6Cisten=1",  # percent-encoded
])
def test_urls_that_ask_the_app_to_listen_are_refused(payload: bytes) -> None:
    text, problem = check_source_command(payload)
    assert text == "" and "listen" in problem and "port on this device" in problem


@pytest.mark.parametrize("payload", [
    b"rtsp://cam.local/listening-room", b"http://cam/listen/video.mjpg",
    b"http://cam/x.mjpg?mode=listener", b"tcp://cam.local:9000"])
def test_stream_urls_that_do_not_listen_pass(payload: bytes) -> None:
    assert check_source_command(payload) == (payload.decode(), "")


def test_a_refused_command_is_masked_before_it_is_cut(
        broker: Broker, make_sink: MakeSink, make_listener: MakeListener,
        caplog: pytest.LogCaptureFixture) -> None:
    """A refused command with a password whose "@" comes late (after 200 bytes): what
    the retained ``source/error`` and the log show is masked, then cut, never the
    password's start; a URL that asks the app to listen is refused with its reason."""
    caplog.set_level(logging.DEBUG)
    bed = SwitchingCamera(BED, "Bedroom", "/srv/bedroom.mp4")
    lst = make_listener(broker, _state(BED), _error(BED), f"{BASE}/availability")
    make_sink(make_config(broker), controls=FakeCameras(SwitchingCamera(LIVING), bed))
    assert wait_online(lst, BASE)
    assert lst.wait_payload(_error(BED), "none")
    late = SECRET + "-" + "p" * 190  # the "@" after it comes after byte 200
    bad = [(f"gst:rtspsrc location=rtsp://admin:{late}@cam.local/s ! appsink", "gst:"),
           (f"rtsp://admin:{late}@cam.local/s?rtsp_flags=listen", "port on this device"),
           (f"tcp://admin:{late}@0.0.0.0:9000?listen", "port on this device"),
           (f"rtsp://admin:{late}@cam.local/{'s' * 300}", "too long"),
           ("tcp://0.0.0.0:9000?listen=1", "port on this device")]
    for i, (payload, why) in enumerate(bad):
        assert "@" not in payload or payload.index("@") > 200
        lst.client.publish(f"{BASE}/{BED}/source/set", payload, qos=1)
        assert lst.wait(lambda s, n=i + 2: len(s.payloads(_error(BED))) == n)  # type: ignore[misc]
        error = lst.payloads(_error(BED))[-1]
        assert why in error and SECRET not in error, error
        assert "admin:***@" in error or "admin" not in payload, error
    assert bed.calls == []
    assert not _leaks(lst)
    assert SECRET not in caplog.text
    # masked first: a cut password is never what is shown
    assert all(SECRET[:4] not in e for e in lst.payloads(_error(BED)))


# ---------------------------------------------------------------- a camera down at start
def test_a_switch_while_the_camera_is_down_at_start_is_answered_with_its_error(
        broker: Broker, make_listener: MakeListener, random_model: Path, data_dir: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """A real one-camera ``EdgeApp`` whose camera is not there at start (it waits for
    it). A command to another camera that is not there either: ``switching`` until its
    first try is over, then ``source/error`` says why (never ``none``, never the
    password) while the camera keeps trying it; a command to a camera that is there:
    ``none``, and windows come."""
    from edge_app.app import EdgeApp
    from tests.edge_app.test_app import _Record
    from tests.faults.helpers import MjpegCamera, demo_frames

    caplog.set_level(logging.INFO)
    cfg = load_config(overrides=[
        "source.wait_at_start=true", "source.reconnect_initial_s=0.2",
        "source.reconnect_max_s=1.0", "mqtt.enabled=true", f"mqtt.host={HOST}",
        f"mqtt.port={broker.port}", "mqtt.reconnect_min_s=1", "mqtt.reconnect_max_s=1",
        "mqtt.flush_timeout_s=3.0", "mqtt.state_interval_s=0.0",
        "mqtt.diagnostics_interval_s=0.5", "mqtt.keepalive_s=10"])
    down = f"http://{HOST}:{free_port()}/video.mjpg"
    error_topic, state_topic = f"{BASE}/source/error", f"{BASE}/source/state"
    lst = make_listener(broker, error_topic, state_topic, f"{BASE}/availability")
    app = EdgeApp(cfg, source=down, model_path=random_model, realtime=True)
    rec = _Record()
    app.add_sink(rec)
    sink = MqttSink(cfg, app.store, app, model_name=app.model_name,
                    class_names=app.class_names, sw_version="0.1.0-test")
    app.add_sink(sink)
    sink.start()
    camera = MjpegCamera(demo_frames(), fps=15.0)
    try:
        app.start()
        cam = app.camera
        assert wait_online(lst, BASE)
        assert lst.wait_payload(error_topic, "none")
        assert "waiting for the camera" in cam.problem()
        also_down = f"rtsp://admin:{SECRET}@{HOST}:{free_port()}/stream"
        lst.client.publish(f"{BASE}/source/set", also_down, qos=1)
        assert lst.wait(lambda s: len(s.payloads(error_topic)) >= 2, 15)
        error = lst.payloads(error_topic)[-1]
        assert error != "none" and "admin:***@" in error and "cannot switch" in error, error
        assert lst.payloads(error_topic) == ["none", error]
        assert not cam.switching and SECRET not in cam.switch_error
        assert cam.source_text == also_down  # the camera waits for the new one now
        assert lst.wait(lambda s: s.payloads(state_topic)[-1:] == [redact_source(also_down)])
        assert "waiting for the camera" in cam.problem()
        assert not app.finished.is_set() and app.error is None
        # a camera that is there: taken, "none", and it is watched
        lst.client.publish(f"{BASE}/source/set", camera.url, qos=1)
        assert lst.wait(lambda s: s.payloads(error_topic)[-1:] == ["none"]
                        and len(s.payloads(error_topic)) == 3, 15), lst.payloads(error_topic)
        assert wait_for(lambda: len(rec.windows) > 0, 30), cam.problem()
        assert cam.source_text == camera.url and cam.switch_error == ""
        assert cam.problem() == ""
    finally:
        app.stop()
        camera.close()
        sink.close()
    assert app.error is None
    assert not _leaks(lst)
    assert SECRET not in caplog.text
