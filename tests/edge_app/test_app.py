"""The app with real parts: several cameras in one process, and switching sources.

Real video files, a real keypoint file, a real network camera (an MJPEG stream on a
loopback port, ``tests.faults.helpers.MjpegCamera``), real MediaPipe, a real ONNX model
and a real SQLite store; the source switches go through the app's controls, as the
dashboard's and MQTT's do.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from edge_app.app import EdgeApp
from edge_app.config import ConfigError, load_config
from edge_app.store import EventStore
from edge_app.types import Event, PipelineStatus, SinkBase, WindowResult
from tests.edge_app.conftest import DEMO_VIDEO
from tests.faults.helpers import MjpegCamera, demo_frames

EVERY_TOP_CLASS = "events.default_rule.min_score=0.0"  # every window makes a segment


class _Record(SinkBase):
    name = "record"

    def __init__(self) -> None:
        self.windows: list[WindowResult] = []
        self.events: list[Event] = []
        self.statuses: list[PipelineStatus] = []
        self._lock = threading.Lock()

    def on_window(self, result: WindowResult) -> None:
        with self._lock:
            self.windows.append(result)

    def on_event(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def on_status(self, status: PipelineStatus) -> None:
        with self._lock:
            self.statuses.append(status)

    def windows_of(self, source_part: str) -> list[WindowResult]:
        with self._lock:
            return [w for w in self.windows if source_part in w.source]


def _wait(cond: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def _replay_file(path: Path, seconds: float = 30.0) -> Path:
    """A keypoint file of one person standing and swaying, 640x480 at 30 fps."""
    import pickle

    from tests.edge_app.test_view import BODY

    n = int(seconds * 30)
    kp = np.zeros((1, n, 17, 2), np.float32)
    for t in range(n):
        kp[0, t] = BODY + np.array([320.0 + 5 * np.sin(t / 9), 240.0], np.float32)
    anno = {"frame_dir": "stand", "label": 0, "keypoint": kp,
            "keypoint_score": np.full((1, n, 17), 0.9, np.float32), "img_shape": (480, 640),
            "total_frames": n, "fps": 30}
    path.write_bytes(pickle.dumps({"split": {}, "annotations": [anno]}))
    return path


@pytest.fixture()
def camera() -> Iterator[MjpegCamera]:
    cam = MjpegCamera(demo_frames(), fps=15.0)
    try:
        yield cam
    finally:
        cam.close()


def test_switching_camera_file_replay_video_from_the_controls(
        random_model: Path, data_dir: Path, tmp_path: Path, camera: MjpegCamera) -> None:
    """camera -> file -> keypoint replay -> video: each source gives windows, the run goes
    on after leaving the camera, and every incident ends under the source that raised it."""
    replay = _replay_file(tmp_path / "stand.pkl")
    events = tmp_path / "events.jsonl"
    app = EdgeApp(load_config(overrides=[EVERY_TOP_CLASS]), source=camera.url,
                  model_path=random_model, events_out=events, realtime=True)
    rec = _Record()
    app.add_sink(rec)
    app.start()
    try:
        plan = [(camera.url, "127.0.0.1"), (str(DEMO_VIDEO), DEMO_VIDEO.name),
                (str(replay), replay.name), (str(DEMO_VIDEO), DEMO_VIDEO.name)]
        for i, (uri, part) in enumerate(plan):
            if i:
                before = len(rec.windows_of(part))
                app.controls.switch_source(uri)
                assert _wait(lambda p=part: p in app.source_description, 10), (  # type: ignore[misc]
                    app.source_description)
            else:
                before = 0
            assert _wait(lambda p=part, n=before: len(rec.windows_of(p)) > n, 20), (  # type: ignore[misc]
                f"no window from {part} (step {i}): {app.status().problem}")
            assert not app.finished.is_set(), f"the run ended at step {i}"
        # a window of the replay is pose only (no RGB), the video's may use RGB
        assert all(w.pose_only for w in rec.windows_of(replay.name))
    finally:
        app.stop()
    assert app.error is None
    # every incident ended, under the source that raised it, in the file and the store
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    by_id: dict[str, set[str]] = {}
    for d in lines:
        by_id.setdefault(d["id"], set()).add(d["source"])
    assert all(len(s) == 1 for s in by_id.values()), "an incident changed source"
    news = {d["id"] for d in lines if d["type"] == "new"}
    ends = {d["id"] for d in lines if d["type"] == "end"}
    assert news == ends
    sources = {d["source"] for d in lines}
    assert any("127.0.0.1" in s for s in sources) and any(DEMO_VIDEO.name in s for s in sources)
    store = EventStore(data_dir / "events.db")
    try:
        assert not store.incidents(open_only=True)
    finally:
        store.close()
    # the switches are logged; the time lines never mixed: a file's windows count from
    # 0 (media time), the camera's from the epoch (wall clock)
    cam_times = [w.time for w in rec.windows_of("127.0.0.1")]
    file_times = [w.time for w in rec.windows_of(DEMO_VIDEO.name)]
    assert min(cam_times) > 1e9 and max(file_times) < 1e5


def test_a_switch_to_a_source_that_cannot_open_keeps_the_current_one(
        random_model: Path, data_dir: Path, tmp_path: Path) -> None:
    app = EdgeApp(load_config(), source=str(DEMO_VIDEO), model_path=random_model,
                  realtime=True)
    rec = _Record()
    app.add_sink(rec)
    app.start()
    try:
        assert _wait(lambda: len(rec.windows) >= 1, 20)
        app.controls.switch_source(str(tmp_path / "missing.mp4"))
        assert _wait(lambda: "cannot switch" in app.status().problem, 10)
        n = len(rec.windows)
        assert _wait(lambda: len(rec.windows) > n, 10)  # still watching the demo
        assert app.source_description.endswith(DEMO_VIDEO.name)
    finally:
        app.stop()


def _malformed_replay(path: Path, *, good_first_s: float = 0.0) -> Path:
    """A keypoint file with an annotation whose ``fps`` is not a number ("n/a"): after
    ``good_first_s`` seconds of a good one when given (then the bad one is found only
    while the frames are read, unless the keypoint source checks every annotation when
    it opens)."""
    import pickle

    bad = {"keypoint": np.zeros((1, 30, 17, 2), np.float32),
           "keypoint_score": np.ones((1, 30, 17), np.float32), "fps": "n/a",
           "img_shape": (480, 640), "total_frames": 30}
    annos = [bad]
    if good_first_s:
        good = pickle.loads(_replay_file(path, good_first_s).read_bytes())["annotations"][0]
        annos = [good, bad]
    path.write_bytes(pickle.dumps({"split": {}, "annotations": annos}))
    return path


def _error_lines(caplog: pytest.LogCaptureFixture, part: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and part in r.getMessage()]


def test_a_switch_to_a_malformed_keypoint_file_keeps_the_current_source(
        random_model: Path, data_dir: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """A keypoint file whose opening fails with something else than ``SourceError`` (a
    ValueError of its ``fps``), as MQTT or the dashboard may name one: the switch fails
    like any other (one error line naming it, no traceback), the demo goes on."""
    caplog.set_level(logging.INFO)
    bad = _malformed_replay(tmp_path / "bad-fps.pkl")
    app = EdgeApp(load_config(), source=str(DEMO_VIDEO), model_path=random_model,
                  realtime=True)
    rec = _Record()
    app.add_sink(rec)
    app.start()
    cam = app.camera
    try:
        assert _wait(lambda: len(rec.windows) >= 1, 30)
        app.controls.switch_source(str(bad))
        assert _wait(lambda: "cannot switch" in app.status().problem, 10), app.status()
        assert not cam.switching
        assert bad.name in cam.switch_error and bad.name in app.status().problem
        n = len(rec.windows)
        assert _wait(lambda: len(rec.windows) > n, 15)  # still watching the demo
        assert app.source_description.endswith(DEMO_VIDEO.name)
        assert cam.source_text == str(DEMO_VIDEO)
        assert not app.finished.is_set() and app.error is None
        # the camera takes switches as before
        app.controls.switch_source(str(_replay_file(tmp_path / "good.pkl")))
        assert _wait(lambda: app.source_description == "good.pkl", 10)
        assert cam.switch_error == ""
    finally:
        app.stop()
    assert app.error is None
    lines = _error_lines(caplog, bad.name)
    assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]
    assert "Traceback" not in caplog.text


def test_a_source_that_fails_while_read_after_a_switch_is_left_for_the_one_before(
        random_model: Path, data_dir: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """A keypoint file that opens but fails while its frames are read (its second
    annotation's ``fps`` is "n/a"): it ends there, with one clear error line naming it,
    and the camera goes back to the demo instead of stopping. (A keypoint source that
    checks every annotation when it opens refuses the switch instead: the camera stays
    on the demo all along; either way it keeps watching and says why.)"""
    caplog.set_level(logging.INFO)
    bad = _malformed_replay(tmp_path / "fails-later.pkl", good_first_s=3.0)
    app = EdgeApp(load_config(), source=str(DEMO_VIDEO), model_path=random_model,
                  realtime=True)
    rec = _Record()
    app.add_sink(rec)
    app.start()
    try:
        assert _wait(lambda: len(rec.windows) >= 1, 30)
        app.controls.switch_source(str(bad))
        assert _wait(lambda: bad.name in app.status().problem, 15), app.status()
        n = len(rec.windows_of(DEMO_VIDEO.name))
        assert _wait(lambda: len(rec.windows_of(DEMO_VIDEO.name)) > n, 20), app.status()
        assert app.source_description.endswith(DEMO_VIDEO.name)
        assert app.camera.source_text == str(DEMO_VIDEO)
        assert not app.finished.is_set() and app.error is None
    finally:
        app.stop()
    assert app.error is None
    lines = _error_lines(caplog, bad.name)
    assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]
    assert "ValueError" in lines[0].getMessage() or "fps" in lines[0].getMessage()
    assert "Traceback" not in caplog.text


def test_a_source_that_fails_while_read_with_none_before_ends_on_a_clear_error(
        random_model: Path, data_dir: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """The same file as the app's only source: the camera ends (its source did), on one
    clear error naming the file, no traceback (or the file is refused at start)."""
    from edge_app.sources import SourceError

    caplog.set_level(logging.INFO)
    bad = _malformed_replay(tmp_path / "fails-later.pkl", good_first_s=3.0)
    app = EdgeApp(load_config(), source=str(bad), model_path=random_model, realtime=False)
    try:
        app.start()
    except SourceError as exc:  # a keypoint source that checks every annotation
        assert bad.name in str(exc)
        return
    try:
        assert app.wait(60)
    finally:
        app.stop()
    assert app.error is not None and bad.name in app.error, app.error
    assert "Traceback" not in caplog.text
    assert len(_error_lines(caplog, "failed while reading")) == 1


def _two_camera_config(tmp_path: Path) -> Path:
    cfg = {
        "events": {"default_rule": {"min_score": 0.0}},
        "cameras": [
            {"name": "living-room", "room": "Living room", "source": str(DEMO_VIDEO)},
            {"name": "bedroom", "room": "Bedroom", "source": str(DEMO_VIDEO),
             "set": {"events.fall_confirm.confirm_s": 3.0}},
        ],
    }
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_two_cameras_in_one_process_tag_their_events(random_model: Path, data_dir: Path,
                                                     tmp_path: Path) -> None:
    cfg = load_config(_two_camera_config(tmp_path))
    events = tmp_path / "events.jsonl"
    app = EdgeApp(cfg, model_path=random_model, events_out=events, realtime=False,
                  max_seconds=8.0)
    rec = _Record()
    app.add_sink(rec)
    assert [c.name for c in app.cameras] == ["living-room", "bedroom"]
    assert app.camera_named("bedroom").cfg.events.fall_confirm.confirm_s == 3.0
    assert app.camera_named("living-room").cfg.events.fall_confirm.confirm_s == 2.0
    app.start()
    try:
        assert app.wait(120)
    finally:
        app.stop()
    assert app.error is None
    for cam in app.cameras:
        assert cam.stats.windows == 10, (cam.name, cam.stats)
    assert {w.camera for w in rec.windows} == {"living-room", "bedroom"}
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    assert {d["camera"] for d in lines} == {"living-room", "bedroom"}
    statuses = {s.camera: s for s in rec.statuses}
    assert statuses["bedroom"].room == "Bedroom" and statuses["living-room"].room == "Living room"
    assert statuses["living-room"].store_mb > 0
    store = EventStore(data_dir / "events.db")
    try:
        assert {i.camera for i in store.incidents()} == {"living-room", "bedroom"}
    finally:
        store.close()


@pytest.mark.parametrize(("cameras", "message"), [
    ([{"name": "Bed Room", "source": "0"}], "lower-case letters"),
    ([{"name": "a", "source": "0"}, {"name": "a", "source": "1"}], "used twice"),
    ([{"name": "a", "source": "0", "set": {"mqtt.host": "x"}}], "cannot be set per camera"),
])
def test_a_wrong_camera_list_is_one_clear_error(tmp_path: Path, cameras: list[object],
                                                message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"cameras": cameras}))
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_wrong_key_in_a_cameras_settings_names_the_camera(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"cameras": [
        {"name": "hall", "source": "0", "set": {"events.fall_confirm.confirm": 3}}]}))
    cfg = load_config(path)
    with pytest.raises(ConfigError, match=r"cameras\[hall\]"):
        cfg.for_camera(cfg.cameras[0])
