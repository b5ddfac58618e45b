"""The dashboard with several cameras: a selector, per-camera views, one list of alerts."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QCloseEvent, QImage
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication, QWidget

from edge_app.config import AppConfig, load_config
from edge_app.dashboard import app as dashboard_app
from edge_app.dashboard import run_dashboard
from edge_app.dashboard.history import day_start
from edge_app.dashboard.window import DashboardWindow
from edge_app.store import EventStore
from edge_app.types import Event, PipelineStatus, SinkBase, WindowResult
from tests.edge_app.conftest import DEMO_VIDEO
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
TWO = [("living-room", "Living room"), ("bedroom", "Bedroom")]


def _render(widget: QWidget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    ptr = img.constBits()
    assert ptr is not None
    ptr.setsize(h * bpl)
    return np.frombuffer(bytes(ptr), np.uint8).reshape(h, bpl)[:, : 3 * w].reshape(h, w, 3)


def _magenta_pixels(rgb: np.ndarray) -> int:
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return int(((r > 200) & (g < 80) & (b > 200)).sum())


def _in_thread(fn: Callable[[], None]) -> None:
    t = threading.Thread(target=fn, name="camera-worker")
    t.start()
    t.join()


def _alert(camera: str, iid: str, *, kind: str = "new", level: str = "critical",
           label: str = "falling", rule: str = "fall") -> Event:
    return Event(kind, iid, label, level, 0.9, 12.0, None if kind != "end" else 14.0,  # type: ignore[arg-type]
                 "fake", rule, time.time(), camera)


def test_one_camera_shows_no_selector(make_window: MakeWindow, store: EventStore) -> None:
    w = make_window(FakePipeline(store))
    assert not w.multi and not w.camera_bar.isVisible()
    assert not w.today.room.isVisible()
    assert w.alert_list.columns == ("When", "Level", "What", "State")
    assert w.now_panel.title.text() == "NOW"
    assert w.sink.shown_camera is None  # every frame is drawn, whatever its camera


def test_the_selector_chooses_the_live_view_now_panel_and_status(
        make_window: MakeWindow, store: EventStore) -> None:
    p = FakePipeline(store, cameras=TWO)
    w = make_window(p)
    w.resize(1280, 720)
    assert w.multi and w.camera_bar.isVisible() and w.selected == "living-room"
    assert [s.button.text() for s in w.slots.values() if s.button] == ["Living room", "Bedroom"]
    assert w.now_panel.title.text() == "NOW \u00b7 LIVING ROOM"

    def feed() -> None:
        p.frame(preview(magenta_frame(), camera="living-room"))
        p.frame(preview(magenta_frame(), camera="bedroom"))
        p.window(window_result("walking", 0.8, camera="living-room"))
        p.window(window_result("sitting down", 0.9, camera="bedroom"))
        p.status(status(camera="living-room", room="Living room",
                        source="file living-room.mp4"))
        p.status(status(camera="bedroom", room="Bedroom", source="file bedroom.mp4",
                        problem="camera lost: reconnecting in 4 s"))

    _in_thread(feed)
    bedroom, living = w.slots["bedroom"], w.slots["living-room"]
    assert wait_until(lambda: bedroom.status is not None and living.status is not None
                      and bedroom.now.windows_seen == 1 and living.live.frames_shown == 1)
    # frames of the camera not on screen never become images
    assert w.sink.frames_hidden == 1 and bedroom.live.frames_shown == 0
    assert _magenta_pixels(_render(w.live)) > 1000
    assert w.now_panel.activity.text() == "Walking"
    assert bedroom.now.activity.text() == "Sitting down"  # routed by .camera, kept aside
    source = w.status_labels["source"]
    assert source.text().startswith("Source (Living room): file living-room.mp4")
    assert source.property("problem") == ""
    # the bedroom's problem marks its button red, with the reason in its tooltip
    assert w.camera_marks() == {"living-room": False, "bedroom": True}
    assert bedroom.button is not None and "\u26a0" in bedroom.button.text()
    assert "camera lost" in bedroom.button.toolTip()

    QTest.mouseClick(bedroom.button, Qt.MouseButton.LeftButton)
    assert w.selected == "bedroom" and w.sink.shown_camera == "bedroom"
    assert w.live is bedroom.live and w.live_stack.currentWidget() is bedroom.live
    assert w.now_panel is bedroom.now and w.now_panel.activity.text() == "Sitting down"
    assert "file bedroom.mp4" in source.text() and "camera lost" in source.text()
    assert source.property("problem") == "1"
    assert _magenta_pixels(_render(w.live)) == 0  # no old picture of a hidden camera
    _in_thread(lambda: p.frame(preview(magenta_frame(), camera="bedroom")))
    assert wait_until(lambda: bedroom.live.frames_shown == 1)
    assert _magenta_pixels(_render(w.live)) > 1000
    w.camera_actions[0].trigger()  # Ctrl+1
    assert w.selected == "living-room"
    assert {a.shortcut().toString() for a in w.camera_actions} == {"Ctrl+1", "Ctrl+2"}


def test_alerts_of_every_camera_in_one_list_each_naming_its_room(
        make_window: MakeWindow, store: EventStore) -> None:
    p = FakePipeline(store, cameras=TWO)
    w = make_window(p)
    _in_thread(lambda: p.emit(_alert("bedroom", "fall-b")))
    assert wait_until(lambda: w.banner.shown is not None)
    assert w.banner.title.text() == "CRITICAL: Fall detected \u00b7 Bedroom"
    assert "Bedroom" in w.windowTitle()
    assert w.camera_marks() == {"living-room": False, "bedroom": True}
    help_ = _alert("living-room", "help-l", level="warning", label="waving for help",
                   rule="class")
    _in_thread(lambda: p.emit(help_))
    assert wait_until(lambda: len(w.pending) == 2)
    w.reload()
    assert w.alert_list.columns == ("When", "Where", "Level", "What", "State")
    where = w.alert_list.column("Where")
    rows = {w.alert_list.tree.topLevelItem(i).text(where)  # type: ignore[union-attr]
            for i in range(w.alert_list.tree.topLevelItemCount())}
    assert rows == {"Bedroom", "Living room"}
    assert w.camera_marks() == {"living-room": True, "bedroom": True}
    # the critical one is in the banner whatever camera is on screen
    assert w.banner.shown is not None and w.banner.shown.camera == "bedroom"
    QTest.mouseClick(w.banner.button, Qt.MouseButton.LeftButton)
    assert store.get("fall-b").acknowledged_by == "dashboard"  # type: ignore[union-attr]
    assert p.controls.acks == [("fall-b", "dashboard")]  # through the app's controls
    assert w.camera_marks() == {"living-room": True, "bedroom": False}
    assert w.banner.title.text() == "WARNING: Waving for help \u00b7 Living room"
    # double-clicking an alert shows its camera
    item = next(w.alert_list.tree.topLevelItem(i) for i in range(2)
                if w.alert_list.tree.topLevelItem(i).text(where) == "Bedroom")  # type: ignore[union-attr]
    w.alert_list.tree.itemDoubleClicked.emit(item, 0)
    assert w.selected == "bedroom"


def test_privacy_pause_and_source_act_on_the_camera_on_screen(
        make_window: MakeWindow, store: EventStore) -> None:
    p = FakePipeline(store, cameras=TWO)
    w = make_window(p)
    w.resize(1280, 720)
    living, bedroom = p.camera("living-room").controls, p.camera("bedroom").controls
    w.select_camera("bedroom")
    assert "camera on screen (Bedroom) only" in w.privacy_action.toolTip()
    assert "camera on screen (Bedroom) only" in w.pause_action.toolTip()
    assert "(Bedroom)" in w.source_action.toolTip()
    w.privacy_action.trigger()
    assert bedroom.privacy and not living.privacy and not p.controls.privacy
    assert w.sink.privacy_of("bedroom") and not w.sink.privacy_of("living-room")
    assert w.live.privacy and not w.slots["living-room"].live.privacy
    _in_thread(lambda: p.frame(preview(magenta_frame(), camera="bedroom")))
    assert wait_until(lambda: w.live.frames_shown == 1)
    assert w.live.current is not None and w.live.current.image is None
    assert _magenta_pixels(_render(w)) == 0
    w.pause_action.trigger()
    assert not bedroom.monitoring and living.monitoring
    assert w.banner.property("level") == "paused"
    assert "paused in Bedroom" in w.banner.title.text()
    assert w.now_panel.activity.text() == "Monitoring paused"
    assert w.slots["living-room"].now.activity.text() != "Monitoring paused"
    # the buttons follow the camera on screen
    w.select_camera("living-room")
    assert not w.privacy_action.isChecked() and not w.pause_action.isChecked()
    assert "(Living room)" in w.privacy_action.toolTip()
    w.select_camera("bedroom")
    assert w.privacy_action.isChecked() and w.pause_action.isChecked()
    QTest.mouseClick(w.banner.button, Qt.MouseButton.LeftButton)  # "Resume monitoring"
    assert bedroom.monitoring and w.banner.property("level") == "ok"
    # a change made elsewhere (MQTT) to a camera not on screen is followed for it
    _in_thread(lambda: p.status(status(camera="living-room", privacy=True)))
    assert wait_until(lambda: w.slots["living-room"].privacy)
    assert w.sink.privacy_of("living-room") and w.privacy_action.isChecked()
    # the source dialog's switch goes to the camera on screen
    assert w.current_uri == "bedroom.mp4"
    assert w.switch_source("rtsp://cam.local/bedroom")
    assert bedroom.sources == ["rtsp://cam.local/bedroom"] and living.sources == []
    assert p.controls.sources == []
    assert w.status_labels["source"].text().startswith("Source (Bedroom): rtsp://")


def test_today_is_per_room_or_the_whole_home(make_window: MakeWindow,
                                             store: EventStore) -> None:
    now = time.time()
    start = max(now - 3 * 3600, day_start(now) + 1)
    span = now - start
    incident_events(store, label="sitting down", start_wall=start,
                    end_wall=start + span * 0.5, camera="living-room")
    incident_events(store, label="walking", start_wall=start + span * 0.5,
                    end_wall=start + span * 0.6, camera="living-room")
    incident_events(store, label="lying on the floor", start_wall=start + span * 0.6,
                    end_wall=start + span * 0.7, camera="bedroom")
    incident_events(store, label="falling", start_wall=start + span * 0.6,
                    end_wall=start + span * 0.61, level="critical", rule="fall", iid="f1",
                    camera="bedroom")
    store.acknowledge("f1", "nurse")
    w = make_window(FakePipeline(store, cameras=TWO))
    assert w.today.room.isVisible()
    assert [w.today.room.itemText(i) for i in range(w.today.room.count())] == [
        "Whole home", "Living room", "Bedroom"]
    assert w.today.room_label() == "Living room"  # the room of the camera on screen
    living = w.describe()
    assert living["segments"] == 2 and living["summary"]["falls"] == "None"
    w.select_camera("bedroom")
    assert w.today.room_label() == "Bedroom"
    bedroom = w.describe()
    assert bedroom["segments"] == 2 and bedroom["summary"]["falls"] == "1"
    assert bedroom["summary"]["lying"] != "0 min" and bedroom["summary"]["sitting"] == "0 min"
    w.today.room.setCurrentIndex(0)  # whole home
    home = w.describe()
    assert home["segments"] == 4 and home["summary"]["falls"] == "1"
    assert w.alert_list.ids == ["f1"]  # the alert list is the whole home's always


def _screenshot_feed(p: FakePipeline) -> None:
    for i in range(6):
        p.frame(preview(magenta_frame(), t=i / 15, camera="living-room"))
        time.sleep(0.01)
    p.window(window_result("walking", 0.82, camera="living-room"))
    p.window(window_result("lying on the floor", 0.7, camera="bedroom"))
    p.status(status(camera="living-room", room="Living room", source="file living-room.mp4"))
    p.status(status(camera="bedroom", room="Bedroom", source="file bedroom.mp4"))
    p.emit(_alert("bedroom", "fall-b"))


def test_two_camera_screenshot(qapp: QApplication, store: EventStore, cfg: AppConfig,
                               settings: QSettings, tmp_path: Path) -> None:
    p = FakePipeline(store, _screenshot_feed, cameras=TWO)
    shot = tmp_path / "two.png"
    assert run_dashboard(p, cfg, screenshot=shot, settings=settings) == 0
    rgb = _render_file(shot)
    assert rgb.shape == (720, 1280, 3)
    if (out := os.environ.get("EPAM_SCREENSHOT_DIR")):
        QImage(str(shot)).save(str(Path(out) / "dashboard-cameras-fake.png"))
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    # the critical banner (a bedroom fall) across the top
    banner_red = (r[60] > 150) & (g[60] < 80) & (b[60] < 80)
    assert banner_red.sum() > 400
    # the living room's picture is on screen, while the bedroom is marked red in the bar
    assert _magenta_pixels(rgb) > 10000
    red_border = (np.abs(r - 0xC6) < 12) & (np.abs(g - 0x28) < 12) & (np.abs(b - 0x28) < 12)
    assert red_border[120:200].sum() > 100  # the camera bar, under the banner


def _render_file(path: Path) -> np.ndarray:
    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    ptr = img.constBits()
    assert ptr is not None
    ptr.setsize(h * bpl)
    return np.frombuffer(bytes(ptr), np.uint8).reshape(h, bpl)[:, : 3 * w].reshape(h, w, 3)


class _Record(SinkBase):
    name = "record"

    def __init__(self) -> None:
        self.windows: list[WindowResult] = []
        self.statuses: list[PipelineStatus] = []

    def on_window(self, result: WindowResult) -> None:
        self.windows.append(result)

    def on_status(self, status: PipelineStatus) -> None:
        self.statuses.append(status)


def test_a_real_two_camera_app_through_run_dashboard(
        qapp: QApplication, random_model: Path, data_dir: Path, settings: QSettings,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cameras from two files in one EdgeApp, shown by run_dashboard as --screenshot
    does: frames, windows and statuses reach each camera's part of the window."""
    from edge_app.app import EdgeApp

    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump({
        "events": {"default_rule": {"min_score": 0.0},
                   "rules": {"waving for help": {"min_score": 0.0, "min_duration_s": 0.0}}},
        "dashboard": {"alert_repeat_s": 0},
        "cameras": [
            {"name": "living-room", "room": "Living room", "source": str(DEMO_VIDEO)},
            {"name": "bedroom", "room": "Bedroom", "source": str(DEMO_VIDEO)},
        ],
    }))
    cfg = load_config(path)
    app = EdgeApp(cfg, model_path=random_model, realtime=False, max_seconds=6.0)
    rec = _Record()
    app.add_sink(rec)
    seen: dict[str, object] = {}

    class Recording(DashboardWindow):
        def closeEvent(self, event: QCloseEvent | None) -> None:
            if not self.is_closed:  # what was on screen when the run ended
                seen["describe"] = self.describe()
                seen["cameras"] = {n: (s.status is not None, s.now.windows_seen,
                                       s.live.frames_shown) for n, s in self.slots.items()}
                seen["source"] = self.status_labels["source"].text()
                seen["buttons"] = [s.button.text() for s in self.slots.values() if s.button]
                where = self.alert_list.column("Where")
                seen["where"] = {self.alert_list.tree.topLevelItem(i).text(where)  # type: ignore[union-attr]
                                 for i in range(self.alert_list.tree.topLevelItemCount())}
                seen["banner"] = self.banner.title.text()
            super().closeEvent(event)

    monkeypatch.setattr(dashboard_app, "DashboardWindow", Recording)
    shot = tmp_path / "real-two.png"
    assert run_dashboard(app, cfg, screenshot=shot, settings=settings) == 0
    assert app.error is None
    assert {w.camera for w in rec.windows} == {"living-room", "bedroom"}
    cams = seen["cameras"]
    assert isinstance(cams, dict)
    living_status, living_windows, living_frames = cams["living-room"]
    bedroom_status, bedroom_windows, bedroom_frames = cams["bedroom"]
    assert living_status and bedroom_status  # each camera's status reached its part
    assert living_windows >= 3 and bedroom_windows >= 3  # each "now" panel got its windows
    assert living_frames > 10 and bedroom_frames == 0  # only the camera on screen is drawn
    assert str(seen["source"]).startswith("Source (Living room): ")
    assert DEMO_VIDEO.name in str(seen["source"])
    assert [b.split(" ")[0] for b in seen["buttons"]] == ["Living", "Bedroom"]  # type: ignore[union-attr]
    assert seen["where"] == {"Living room", "Bedroom"}  # alerts of both, in one list
    assert str(seen["banner"]).startswith("WARNING: Waving for help \u00b7 ")
    img = QImage(str(shot))
    assert (img.width(), img.height()) == (1280, 720)
    if (out := os.environ.get("EPAM_SCREENSHOT_DIR")):
        img.save(str(Path(out) / "dashboard-cameras-random.png"))
