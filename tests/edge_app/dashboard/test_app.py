from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QImage
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication

from edge_app.config import AppConfig, load_config
from edge_app.dashboard import run_dashboard
from edge_app.dashboard.window import DashboardWindow
from edge_app.store import EventStore
from edge_app.types import Event
from tests.edge_app.conftest import DEMO_VIDEO
from tests.edge_app.dashboard.fakes import (
    FakePipeline,
    magenta_frame,
    preview,
    status,
    wait_until,
    window_result,
)


def test_run_dashboard_saves_a_screenshot_when_the_run_ends(
        qapp: QApplication, store: EventStore, cfg: AppConfig, settings: QSettings,
        tmp_path: Path) -> None:
    def feed(p: FakePipeline) -> None:
        for i in range(10):
            p.frame(preview(magenta_frame(), t=i / 15))
            time.sleep(0.01)
        p.window(window_result("walking", 0.7))
        p.status(status())
        p.emit(Event("new", "fall-9", "falling", "critical", 0.9, 1.0, None, "fake", "fall",
                     time.time()))

    p = FakePipeline(store, feed)
    shot = tmp_path / "shots" / "dash.png"
    assert run_dashboard(p, cfg, screenshot=shot, settings=settings) == 0
    assert p.started and p.stopped
    img = QImage(str(shot))
    assert (img.width(), img.height()) == (1280, 720)
    # the critical banner is in the picture: a wide band of its red near the top
    row = img.copy(0, 60, 1280, 1).convertToFormat(QImage.Format.Format_RGB888)
    ptr = row.constBits()
    assert ptr is not None
    ptr.setsize(row.bytesPerLine())
    px = np.frombuffer(bytes(ptr), np.uint8)[: 3 * 1280].reshape(-1, 3).astype(int)
    red = (px[:, 0] > 150) & (px[:, 1] < 80) & (px[:, 2] < 80)
    assert red.sum() > 400


def test_run_dashboard_stops_the_pipeline_at_max_seconds(
        qapp: QApplication, store: EventStore, cfg: AppConfig, settings: QSettings) -> None:
    def feed(p: FakePipeline) -> None:
        while not p.stopped:
            p.frame(preview(None))
            time.sleep(0.05)

    p = FakePipeline(store, feed)
    t0 = time.monotonic()
    assert run_dashboard(p, cfg, max_seconds=0.5, settings=settings) == 0
    assert p.stopped and time.monotonic() - t0 < 5


def test_real_pipeline_on_the_demo_video(qapp: QApplication, random_model: Path,
                                         data_dir: Path, settings: QSettings,
                                         tmp_path: Path) -> None:
    from edge_app.app import EdgeApp

    # every top class makes a segment, and "waving for help" (a warning) fires at any score,
    # so the random model drives the real event engine into a real alert
    cfg = load_config(overrides=["events.default_rule.min_score=0.0",
                                 "events.rules.waving for help.min_score=0.0",
                                 "events.rules.waving for help.min_duration_s=0.0",
                                 "dashboard.alert_repeat_s=0"])
    p = EdgeApp(cfg, source=str(DEMO_VIDEO), model_path=random_model, realtime=False,
                 max_seconds=6.0)
    w = DashboardWindow(p, cfg, settings=settings)
    p.add_sink(w.sink)
    w.resize(1280, 720)
    w.show()
    try:
        p.start()
        assert wait_until(p.finished.is_set, 120)
        assert wait_until(lambda: w.last_status is not None and w.now_panel.windows_seen >= 3)
        assert w.live.frames_shown > 10
        assert w.live.current is not None and w.live.current.image is not None
        assert w.now_panel.activity.text() not in ("Starting\u2026", "")
        assert "one-by-one-person-detection" in w.status_labels["source"].text()
        assert "UNTRAINED" in w.status_labels["model"].text()
        w.reload()
        assert w.today.timeline.segments, "the run's incidents are on today's timeline"
        shown = w.banner.shown
        assert shown is not None and shown.level == "warning"
        assert w.banner.title.text() == "WARNING: Waving for help"
        QTest.mouseClick(w.banner.button, Qt.MouseButton.LeftButton)
        inc = p.store.get(shown.id)
        assert inc is not None and inc.acknowledged_by == "dashboard"
    finally:
        p.stop()
        w.close()
        w.deleteLater()
        qapp.processEvents()
