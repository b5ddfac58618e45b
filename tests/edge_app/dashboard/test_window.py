from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QImage
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication, QWidget

from edge_app.config import AppConfig
from edge_app.dashboard.history import day_start
from edge_app.dashboard.sink import DashboardSink
from edge_app.dashboard.source_dialog import SourceDialog, classify_source
from edge_app.dashboard.window import DashboardWindow
from edge_app.store import EventStore
from edge_app.types import Event, SinkHealth
from tests.edge_app.dashboard.fakes import (
    FakePipeline,
    incident_events,
    magenta_frame,
    preview,
    status,
    wait_until,
    window_result,
)

MakeWindow = Callable[..., DashboardWindow]


def _render(widget: QWidget) -> np.ndarray:
    """The widget as the screen would show it, ``(H, W, 3)`` uint8 RGB."""
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    ptr = img.constBits()
    assert ptr is not None
    ptr.setsize(h * bpl)
    return np.frombuffer(bytes(ptr), np.uint8).reshape(h, bpl)[:, : 3 * w].reshape(h, w, 3)


def _magenta_pixels(rgb: np.ndarray) -> int:
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return int(((r > 200) & (g < 80) & (b > 200)).sum())


def _in_thread(fn: Callable[[], None]) -> threading.Thread:
    t = threading.Thread(target=fn, name="pipeline-worker")
    t.start()
    return t


def test_view_updates_from_a_worker_thread(make_window: MakeWindow, store: EventStore) -> None:
    p = FakePipeline(store)
    w = make_window(p)
    callers: list[str] = []

    def work() -> None:
        callers.append(threading.current_thread().name)
        p.frame(preview(magenta_frame()))
        p.window(window_result("walking", 0.8))
        p.status(status(mqtt=SinkHealth("mqtt", "disconnected", "refused")))

    _in_thread(work).join()
    assert wait_until(lambda: w.live.frames_shown >= 1 and w.now_panel.windows_seen >= 1
                      and w.last_status is not None)
    assert callers == ["pipeline-worker"]
    view = w.live.current
    assert view is not None and view.image is not None and view.image.width() == 640
    assert w.now_panel.activity.text() == "Walking"
    assert "80%" in w.now_panel.confidence.text()
    assert w.now_panel.bars.top()[0][0] == "walking"
    assert w.status_labels["source"].text().startswith("Source: file one-by-one")
    assert "30 fps" in w.status_labels["source"].text()
    assert "86 ms" in w.status_labels["latency"].text()
    assert w.status_labels["mqtt"].text() == "MQTT disconnected (refused)"
    assert w.status_labels["mqtt"].property("problem") == "1"
    assert "fake.onnx" in w.status_labels["model"].text()
    assert _magenta_pixels(_render(w.live)) > 1000  # the camera image is on screen


def test_bars_are_smoothed_not_jumping(make_window: MakeWindow, store: EventStore) -> None:
    p = FakePipeline(store)
    w = make_window(p)
    w.now_panel.show_window(window_result("walking", 0.9))
    w.now_panel.show_window(window_result("sitting down", 0.9))
    bars = w.now_panel.bars
    sitting = bars.class_names.index("sitting down")
    assert 0.3 < bars.target[sitting] < 0.7  # one window moves the bar part of the way
    assert bars.shown[sitting] < bars.target[sitting]  # and it glides there
    assert wait_until(lambda: abs(bars.shown[sitting] - bars.target[sitting]) < 0.01, 2.0)
    assert w.now_panel.activity.text() == "Sitting down"


def test_lying_is_not_shown_for_someone_partly_in_view(make_window: MakeWindow,
                                                       store: EventStore) -> None:
    from dataclasses import replace

    w = make_window(FakePipeline(store))
    w.now_panel.show_window(replace(window_result("lying on the floor", 0.9),
                                    view="left the view"))
    assert w.now_panel.activity.text() == "Partly in view"
    assert "left the view" in w.now_panel.confidence.text()
    w.now_panel.show_window(window_result("lying on the floor", 0.9))
    assert w.now_panel.activity.text() == "Lying on the floor"
    w.now_panel.show_window(replace(window_result("falling", 0.9), view=(
        "standing again at the window's end, hips as high as at its start")))
    assert w.now_panel.activity.text() == "On their feet"
    assert "standing again" in w.now_panel.confidence.text()


def test_frames_are_latest_wins_when_the_gui_is_busy(qapp: QApplication) -> None:
    sink = DashboardSink(max_pending_frames=2)
    got: list[float] = []
    sink.bridge.frame_received.connect(lambda v: got.append(v.time))

    def flood() -> None:
        for i in range(20):
            sink.on_frame(preview(magenta_frame(64, 48), t=float(i), w=64, h=48))

    _in_thread(flood).join()  # the GUI thread drew nothing meanwhile
    assert sink.frames_sent == 2 and sink.frames_dropped == 18
    assert wait_until(lambda: len(got) == 2)
    sink.frame_drawn()
    sink.frame_drawn()
    sink.on_frame(preview(None, t=99.0))
    assert sink.frames_sent == 3


def test_privacy_mode_never_shows_rgb(make_window: MakeWindow, store: EventStore) -> None:
    p = FakePipeline(store)
    w = make_window(p)
    w.resize(1280, 720)
    _in_thread(lambda: p.frame(preview(magenta_frame()))).join()
    assert wait_until(lambda: w.live.frames_shown == 1)
    assert _magenta_pixels(_render(w.live)) > 1000
    w.privacy_action.trigger()  # the toolbar button / Ctrl+P
    assert p.controls.privacy and w.live.privacy and w.sink.privacy
    assert _magenta_pixels(_render(w.live)) == 0  # the last RGB frame is gone at once
    # a frame that still carries RGB (sent before the pipeline switched) is not shown
    before = w.live.frames_shown
    _in_thread(lambda: p.frame(preview(magenta_frame()))).join()
    w.live.show_frame(w.live.current)  # type: ignore[arg-type]
    assert wait_until(lambda: w.live.frames_shown >= before + 2)
    current = w.live.current
    assert current is not None and current.image is None
    rendered = _render(w.live)
    assert _magenta_pixels(rendered) == 0
    assert _magenta_pixels(_render(w)) == 0  # nowhere in the window
    # ...and the skeleton is drawn on the neutral background
    assert len(np.unique(rendered.reshape(-1, 3), axis=0)) > 5
    # a status from the pipeline that still says privacy off must not undo it
    _in_thread(lambda: p.status(status(privacy=False))).join()
    assert wait_until(lambda: w.last_status is not None)
    assert w.live.privacy


def test_privacy_from_elsewhere_is_followed(make_window: MakeWindow, store: EventStore) -> None:
    p = FakePipeline(store)
    w = make_window(p)
    _in_thread(lambda: p.status(status(privacy=True, monitoring=False))).join()
    assert wait_until(lambda: w.last_status is not None)
    assert w.live.privacy and w.privacy_action.isChecked()
    assert w.pause_action.isChecked() and w.banner.property("level") == "paused"
    assert w.now_panel.activity.text() == "Monitoring paused"


def test_alert_appears_stays_until_acknowledged_and_is_stored(
        make_window: MakeWindow, store: EventStore) -> None:
    p = FakePipeline(store)
    w = make_window(p)
    assert w.banner.shown is None and w.banner.property("level") == "ok"
    fall = Event("new", "fall-1", "falling", "critical", 0.93, 12.0, None, "demo", "fall",
                 time.time())
    _in_thread(lambda: p.emit(fall)).join()
    assert wait_until(lambda: w.banner.shown is not None)
    assert w.banner.property("level") == "critical"
    assert w.banner.title.text() == "CRITICAL: Fall detected"  # colour and words
    assert w.sound.plays >= 1
    assert "CRITICAL" in w.windowTitle()
    # the incident ends: the alert still waits for a person
    end = Event("end", "fall-1", "falling", "critical", 0.93, 12.0, 14.0, "demo", "fall",
                time.time())
    _in_thread(lambda: p.emit(end)).join()
    QTest.qWait(400)
    w.reload()
    assert w.banner.shown is not None and not w.banner.shown.open
    assert "ended" in w.banner.detail.text()
    assert w.alert_list.ids == ["fall-1"]
    # acknowledge with the banner's button
    QTest.mouseClick(w.banner.button, Qt.MouseButton.LeftButton)
    inc = store.get("fall-1")
    assert inc is not None and inc.acknowledged_by == "dashboard"
    assert p.controls.acks == [("fall-1", "dashboard")]
    assert w.banner.shown is None and w.banner.property("level") == "ok"
    assert w.windowTitle() == "Activity monitor"
    # an alert acknowledged elsewhere (MQTT, another screen) leaves the banner too
    help_ = Event("new", "help-2", "waving for help", "warning", 0.7, 20.0, None, "demo",
                  "class", time.time())
    _in_thread(lambda: p.emit(help_)).join()
    assert wait_until(lambda: w.banner.shown is not None)
    assert w.banner.property("level") == "warning" and w.sound.plays >= 2
    store.acknowledge("help-2", "home-assistant")
    w.reload()
    assert w.banner.shown is None
    update = Event("update", "help-2", "waving for help", "warning", 0.8, 20.0, None, "demo",
                   "class", time.time())
    _in_thread(lambda: p.emit(update)).join()
    QTest.qWait(100)
    assert w.banner.shown is None


def test_unacknowledged_alert_comes_back_after_restart(
        make_window: MakeWindow, store: EventStore, tmp_path: Path) -> None:
    now = time.time()
    incident_events(store, label="waving for help", start_wall=now - 300, end_wall=now - 200,
                    level="warning", rule="activity", iid="help-1")
    incident_events(store, label="walking", start_wall=now - 100, end_wall=now - 50)
    w = make_window(FakePipeline(store))
    assert w.banner.shown is not None and w.banner.shown.id == "help-1"
    assert w.banner.title.text() == "WARNING: Waving for help"
    w.ack_action.trigger()  # Ctrl+Enter
    assert store.get("help-1").acknowledged_by == "dashboard"  # type: ignore[union-attr]
    store2 = EventStore(tmp_path / "events.db")
    try:
        w2 = make_window(FakePipeline(store2))
        assert w2.banner.shown is None
        assert w2.alert_list.ids == ["help-1"]
    finally:
        store2.close()


def test_timeline_and_summary_reload_after_restart(
        make_window: MakeWindow, store: EventStore, tmp_path: Path) -> None:
    now = time.time()
    start = max(now - 3 * 3600, day_start(now) + 1)  # today, whatever the time
    span = now - start
    incident_events(store, label="sitting down", start_wall=start, end_wall=start + span * 0.5)
    incident_events(store, label="walking", start_wall=start + span * 0.5,
                    end_wall=start + span * 0.6)
    incident_events(store, label="falling", start_wall=start + span * 0.6,
                    end_wall=start + span * 0.61, level="critical", rule="fall", iid="f1")
    store.acknowledge("f1", "nurse")
    w1 = make_window(FakePipeline(store))
    first = w1.describe()
    assert first["segments"] == 3
    assert first["summary"]["falls"] == "1"
    w1.close()
    store.close()

    store2 = EventStore(tmp_path / "events.db")
    try:
        w2 = make_window(FakePipeline(store2))
        again = w2.describe()
        assert again["segments"] == 3
        assert again["summary"] == first["summary"]
        assert [s.label for s in w2.today.timeline.segments] == ["sitting down", "walking",
                                                                 "falling"]
        assert w2.banner.shown is None  # acknowledged by the nurse before the restart
    finally:
        store2.close()


def test_window_remembers_size_and_text_scale(make_window: MakeWindow, store: EventStore,
                                              settings: QSettings) -> None:
    w = make_window(FakePipeline(store))
    w.resize(720, 580)  # within the offscreen screen (800x600)
    w.today.set_span("1h")
    size = (w.width(), w.height())
    assert size == (720, 580)
    w.close()
    w2 = make_window(FakePipeline(store))
    assert (w2.width(), w2.height()) == size
    w2.zoom(1.2)
    w2.close()
    w3 = make_window(FakePipeline(store))
    assert abs(w3.font_scale - 1.2) < 1e-6
    assert w2.today.current_span() == "1h"


def test_controls_pause_and_source(make_window: MakeWindow, store: EventStore,
                                   tmp_path: Path) -> None:
    p = FakePipeline(store)
    w = make_window(p)
    w.pause_action.trigger()
    assert not p.controls.monitoring and w.banner.property("level") == "paused"
    QTest.mouseClick(w.banner.button, Qt.MouseButton.LeftButton)  # "Resume monitoring"
    assert p.controls.monitoring and w.banner.property("level") == "ok"
    assert w.switch_source("rtsp://cam.local/stream")
    assert p.controls.sources == ["rtsp://cam.local/stream"]
    assert w.events_folder() == tmp_path
    shortcuts = {a.shortcut().toString() for a in w.actions()}
    assert {"Ctrl+P", "Ctrl+M", "Ctrl+O", "Ctrl+E", "Ctrl+Return", "F11"} <= shortcuts


def test_source_dialog(qapp: QApplication, tmp_path: Path) -> None:
    assert classify_source("0") == "camera"
    assert classify_source("rtsp://x") == "stream"
    assert classify_source("gst:v4l2src ! appsink") == "other"
    assert classify_source("/v.mp4") == "file"
    d = SourceDialog("2")
    assert d.camera.isChecked() and d.uri() == "2"
    d.file.setChecked(True)
    d.file_path.setText(str(tmp_path / "missing.mp4"))
    assert "no file" in d.problem_text()
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x")
    d.file_path.setText(str(video))
    assert d.problem_text() == "" and d.uri() == str(video)
    d.stream.setChecked(True)
    d.stream_url.setText("cam.local")
    assert "rtsp://" in d.problem_text()
    d.deleteLater()


def test_readable_at_720p_and_scales_for_4k(make_window: MakeWindow, store: EventStore,
                                            cfg: AppConfig) -> None:
    w = make_window(FakePipeline(store))
    w.resize(1280, 720)
    QTest.qWait(50)
    small = w.now_panel.activity.fontInfo().pixelSize()
    assert small >= 24  # the current activity in large type
    assert w.live.width() >= 560 and w.today.height() >= 150
    w.zoom(2.0)
    QTest.qWait(50)
    assert w.now_panel.activity.fontInfo().pixelSize() >= 1.8 * small


def test_a_recovered_fall_is_a_warning_in_words_and_counted_apart(
        make_window: MakeWindow, store: EventStore, tmp_path: Path) -> None:
    """The engine's 'fell and got up' (rule recovered_fall): a warning banner that says
    so, and today's summary counts it beside the falls, not as one."""
    p = FakePipeline(store)
    w = make_window(p)
    now = time.time()
    for kind, end in (("new", None), ("end", 16.0)):
        ev = Event(kind, "rec-1", "fell and got up", "warning", 0.8, 12.0, end, "demo",  # type: ignore[arg-type]
                   "recovered_fall", now)
        _in_thread(lambda ev=ev: p.emit(ev)).join()
    assert wait_until(lambda: w.banner.shown is not None)
    assert w.banner.property("level") == "warning"
    assert w.banner.title.text() == "WARNING: Fell and got up"
    w.reload()
    assert w.describe()["summary"]["falls"] == "1 got up"
    w.resize(1280, 720)
    QTest.qWait(50)
    w.grab().save(str(tmp_path / "recovered.png"))
    if (out := os.environ.get("EPAM_SCREENSHOT_DIR")):
        w.grab().save(str(Path(out) / "dashboard-recovered-fall.png"))
    img = QImage(str(tmp_path / "recovered.png"))
    assert img.width() > 0 and img.height() > 0
