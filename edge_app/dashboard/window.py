"""The caregiver's main window: live view, now, alerts, today, controls, status bar.

Everything here runs in the GUI thread. Pipeline data arrives through ``DashboardSink``'s
signals (queued connections); the history (timeline, summary, alert list, pending alerts)
is re-read from the event store on events and every few seconds, so it survives restarts
and notices acknowledgements made elsewhere (MQTT).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from edge_app.config import AppConfig
from edge_app.dashboard.alerts import AlertBanner, AlertList, AlertSound, PendingAlert
from edge_app.dashboard.history import day_start, day_summary, timeline_segments
from edge_app.dashboard.live_view import LiveView
from edge_app.dashboard.now_panel import NowPanel
from edge_app.dashboard.protocol import PipelineLike, controls_of
from edge_app.dashboard.sink import DashboardBridge, DashboardSink, FrameView
from edge_app.dashboard.source_dialog import SourceDialog
from edge_app.dashboard.theme import level_style, stylesheet
from edge_app.dashboard.today import TodayPanel
from edge_app.store import Incident
from edge_app.types import Event, PipelineStatus, SinkHealth, WindowResult

__all__ = ["DashboardWindow", "default_settings"]

log = logging.getLogger(__name__)

ORGANISATION = "epam-edge"
APPLICATION = "dashboard"
RELOAD_INTERVAL_MS = 5000
SYNC_GRACE_S = 3.0  # after a local privacy/monitoring change, older statuses are ignored
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Ctrl+Enter", "Acknowledge the alert in the banner"),
    ("Ctrl+P", "Privacy mode on/off (skeleton only, no camera image)"),
    ("Ctrl+M", "Pause/resume monitoring"),
    ("Ctrl+O", "Choose the video source"),
    ("Ctrl+E", "Open the events folder"),
    ("Ctrl+= / Ctrl+-", "Larger / smaller text (Ctrl+0: default)"),
    ("F11", "Full screen"),
    ("F1", "This list"),
    ("Ctrl+Q", "Quit"),
)


def default_settings() -> QSettings:
    """Where the window keeps its size and layout (per user)."""
    return QSettings(ORGANISATION, APPLICATION)


def _mqtt_text(health: SinkHealth | None) -> tuple[str, bool]:
    """The status's MQTT health -> (text, is_problem)."""
    if health is None:
        return "MQTT off", False
    return f"MQTT {health.describe()}", not health.ok


class DashboardWindow(QMainWindow):
    """The dashboard for one pipeline.

    Args:
        pipeline: the running (or about to run) pipeline; its ``store`` and ``controls``
            are used from this (GUI) thread.
        cfg: the app's configuration (``dashboard`` section, event labels).
        settings: where size/layout are remembered (default: per-user QSettings).
        clock: epoch seconds (tests move time).
        sound: the alert sound (default: from ``cfg.dashboard.sound``).
    """

    closed = pyqtSignal()

    def __init__(
        self,
        pipeline: PipelineLike,
        cfg: AppConfig,
        *,
        settings: QSettings | None = None,
        clock: Callable[[], float] = time.time,
        sound: AlertSound | None = None,
    ) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.cfg = cfg
        self.controls = controls_of(pipeline)
        self.store = pipeline.store
        self.settings = settings if settings is not None else default_settings()
        self.clock = clock
        self.sound = sound if sound is not None else AlertSound(cfg.dashboard.sound, self)
        self.class_names = tuple(pipeline.class_names)
        self.pending: dict[str, PendingAlert] = {}
        self.incidents: list[Incident] = []
        self.acknowledged_here: set[str] = set()
        self.last_status: PipelineStatus | None = None
        self.current_uri = cfg.resolved_source()
        self._live_last_seen: float | None = None
        self._font_scale = float(cfg.dashboard.font_scale)
        self._is_closed = False
        self._local_change = -1e9

        # pipeline -> GUI: typed signals, queued into this thread
        self.bridge = DashboardBridge()
        self.sink = DashboardSink(self.bridge)
        # auto connections: queued when emitted from a pipeline thread
        self.bridge.frame_received.connect(self._on_frame)
        self.bridge.window_received.connect(self._on_window)
        self.bridge.event_received.connect(self._on_event)
        self.bridge.status_received.connect(self._on_status)

        self._build()
        self._build_actions()
        self._restore_settings()
        self.apply_style()

        privacy = bool(self._safe(lambda: self.controls.privacy, cfg.privacy.enabled))
        monitoring = bool(self._safe(lambda: self.controls.monitoring, True))
        self._set_privacy_ui(privacy)
        self._set_monitoring_ui(monitoring)

        self._reload_soon = QTimer(self)
        self._reload_soon.setSingleShot(True)
        self._reload_soon.setInterval(300)
        self._reload_soon.timeout.connect(self.reload)
        self._reload_timer = QTimer(self)
        self._reload_timer.setInterval(RELOAD_INTERVAL_MS)
        self._reload_timer.timeout.connect(self.reload)
        self._reload_timer.start()
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()
        self._sound_timer = QTimer(self)
        self._sound_timer.timeout.connect(self._repeat_sound)
        self.reload()

    # ------------------------------------------------------------------ building
    def _card(self, w: QWidget) -> QWidget:
        w.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        return w

    def _build(self) -> None:
        self.setWindowTitle("Activity monitor")
        self.banner = AlertBanner()
        self.banner.acknowledge_requested.connect(self.acknowledge)
        self.banner.resume_requested.connect(lambda: self.set_monitoring(True))

        self.live = LiveView()
        self.now_panel = NowPanel(frozenset(self.cfg.events.view_check.labels))
        self._card(self.now_panel)
        self.now_panel.title.setText("NOW")
        self.alert_list = AlertList()
        self._card(self.alert_list)
        self.alert_list.title.setText("ALERTS")
        self.alert_list.set_lookback(self.cfg.dashboard.alert_lookback_h)
        self.alert_list.acknowledge_requested.connect(self.acknowledge)
        self.today = TodayPanel()
        self._card(self.today)
        self.today.title.setText("TODAY")
        self.today.timeline.class_names = self.class_names

        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("rightSplitter")
        self.right.addWidget(self.now_panel)
        self.right.addWidget(self.alert_list)
        self.right.setChildrenCollapsible(False)
        self.right.setSizes([270, 200])
        self.top = QSplitter(Qt.Orientation.Horizontal)
        self.top.setObjectName("topSplitter")
        self.top.addWidget(self.live)
        self.top.addWidget(self.right)
        self.top.setChildrenCollapsible(False)
        self.top.setStretchFactor(0, 3)
        self.top.setStretchFactor(1, 2)
        self.top.setSizes([740, 500])
        self.main_split = QSplitter(Qt.Orientation.Vertical)
        self.main_split.setObjectName("mainSplitter")
        self.main_split.addWidget(self.top)
        self.main_split.addWidget(self.today)
        self.main_split.setChildrenCollapsible(False)
        self.main_split.setStretchFactor(0, 3)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([420, 190])
        for s in (self.right, self.top, self.main_split):
            s.setHandleWidth(8)

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(10, 8, 10, 6)
        lay.setSpacing(8)
        lay.addWidget(self.banner)
        lay.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

        sb = self.statusBar()
        assert sb is not None
        self.status_labels: dict[str, QLabel] = {}
        for key, text in (("source", "Source: starting\u2026"), ("latency", ""),
                          ("dropped", ""), ("mqtt", ""), ("model", "")):
            label = QLabel(text)
            self.status_labels[key] = label
            sb.addPermanentWidget(label, 1 if key == "source" else 0)
        self.status_labels["model"].setText(f"Model: {self.pipeline.model_name}")
        self.status_labels["source"].setText(f"Source: {self.pipeline.source_description}")
        self.status_labels["mqtt"].setText("MQTT off" if not self.cfg.mqtt.enabled else
                                           "MQTT connecting\u2026")

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey | None,
                slot: Callable[..., Any], *, tip: str = "", checkable: bool = False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(f"{tip} ({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                         if shortcut is not None else tip)
        if checkable:
            a.toggled.connect(slot)
        else:
            a.triggered.connect(lambda _checked=False: slot())
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        self.privacy_action = self._action(
            "Privacy mode", "Ctrl+P", self.set_privacy, checkable=True,
            tip="Show only the skeleton, never the camera image")
        self.pause_action = self._action(
            "Pause monitoring", "Ctrl+M", lambda on: self.set_monitoring(not on),
            checkable=True, tip="Stop recognising activities and raising alerts")
        self.source_action = self._action("Choose source\u2026", "Ctrl+O", self.choose_source,
                                          tip="Camera, video file or network camera")
        self.folder_action = self._action("Open events folder", "Ctrl+E",
                                          self.open_events_folder,
                                          tip="The folder with the event history and logs")
        self.ack_action = self._action("Acknowledge", "Ctrl+Return", self.acknowledge_shown,
                                       tip="Acknowledge the alert in the banner")
        self.ack_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.bigger_action = self._action("Larger text", "Ctrl+=", lambda: self.zoom(1.1),
                                          tip="Larger text")
        self.bigger_action.setShortcuts([QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
        self.bigger_action.setText("A+")
        self.smaller_action = self._action("A\u2212", "Ctrl+-", lambda: self.zoom(1 / 1.1),
                                           tip="Smaller text")
        self._action("Default text size", "Ctrl+0", lambda: self.zoom(0.0))
        self.fullscreen_action = self._action("Full screen", "F11", self.toggle_fullscreen,
                                              tip="Full screen")
        self.help_action = self._action("Shortcuts", "F1", self.show_shortcuts,
                                        tip="Keyboard shortcuts")
        self._action("Quit", "Ctrl+Q", self.close)

        tb = QToolBar("Controls")
        tb.setObjectName("controls")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for a in (self.privacy_action, self.pause_action, self.source_action,
                  self.folder_action):
            tb.addAction(a)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tb.addWidget(spacer)
        for a in (self.smaller_action, self.bigger_action, self.fullscreen_action,
                  self.help_action):
            tb.addAction(a)
        for button in tb.findChildren(QToolButton):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.toolbar = tb

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 720)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        for key, split in (("split/top", self.top), ("split/right", self.right),
                           ("split/main", self.main_split)):
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                split.restoreState(value)
        scale = s.value("view/font_scale")
        if scale is not None:
            with contextlib.suppress(TypeError, ValueError):
                self._font_scale = min(4.0, max(0.5, float(scale)))
        span = s.value("view/timeline_span")
        if isinstance(span, str):
            self.today.set_span(span)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("split/top", self.top.saveState())
        s.setValue("split/right", self.right.saveState())
        s.setValue("split/main", self.main_split.saveState())
        s.setValue("view/font_scale", self._font_scale)
        s.setValue("view/timeline_span", self.today.current_span())
        s.sync()

    @property
    def font_scale(self) -> float:
        return self._font_scale

    def zoom(self, factor: float) -> None:
        """Multiply the text size by ``factor``; 0 = back to the configured size."""
        if factor <= 0:
            self._font_scale = float(self.cfg.dashboard.font_scale)
        else:
            self._font_scale = min(4.0, max(0.5, self._font_scale * factor))
        self.apply_style()

    def apply_style(self) -> None:
        app_font = QApplication.font()
        base = app_font.pointSizeF() if app_font.pointSizeF() > 0 else 10.0
        self.setStyleSheet(stylesheet(self._font_scale, base))

    # ------------------------------------------------------------------ pipeline data
    def _on_frame(self, view: FrameView) -> None:
        self.sink.frame_drawn()
        self.live.show_frame(view)

    def _on_window(self, result: WindowResult) -> None:
        self.now_panel.show_window(result)
        if result.person_present:
            self._live_last_seen = self.clock()

    def _on_event(self, event: Event) -> None:
        if event.is_alert:
            known = self.pending.get(event.id)
            if event.type == "end":
                if known is not None:
                    self.pending[event.id] = PendingAlert(
                        known.id, known.label, known.level, known.rule, known.created_wall,
                        False)
            elif event.id not in self.acknowledged_here and not self._acknowledged_elsewhere(
                    event):
                created = known.created_wall if known else (event.wall_time or self.clock())
                self.pending[event.id] = PendingAlert(event.id, event.label, event.level,
                                                      event.rule, created, True)
                if known is None or known.level != event.level:
                    self._alert_arrived(event.level)
            self._pending_changed()
        self._reload_soon.start()

    def _acknowledged_elsewhere(self, event: Event) -> bool:
        """An update of an incident someone already acknowledged (MQTT, another screen)."""
        if event.type == "new":
            return False
        try:
            inc = self.store.get(event.id)
        except sqlite3.Error:
            return False
        return inc is not None and inc.acknowledged_by is not None

    def _on_status(self, status: PipelineStatus) -> None:
        self.last_status = status
        lbl = self.status_labels
        fps = f" \u00b7 {status.source_fps:.0f} fps" if status.source_fps > 0 else ""
        problem = status.problem or status.error
        self._set_label(lbl["source"], f"Source: {status.source}{fps}"
                        + (f" \u00b7 {problem}" if problem else ""), bool(problem))
        provider = f" ({status.provider})" if status.provider else ""
        lbl["latency"].setText(f"Pose {status.pose_ms:.0f} ms \u00b7 Model "
                               f"{status.inference_ms:.0f} ms{provider}")
        lbl["dropped"].setText(f"Dropped {status.dropped_frames} frames"
                               + (f", {status.skipped_windows} windows"
                                  if status.skipped_windows else ""))
        text, mqtt_problem = _mqtt_text(status.mqtt)
        self._set_label(lbl["mqtt"], text, mqtt_problem)
        untrained = status.untrained_model
        lbl["model"].setToolTip("Random weights: activities and alerts mean nothing until a "
                                "trained model is installed" if untrained else "")
        self._set_label(lbl["model"], f"Model: {status.model_name or self.pipeline.model_name}"
                        + (" \u00b7 UNTRAINED" if untrained else ""), untrained)
        # follow changes made elsewhere (MQTT), not a status sent before our own change
        if time.monotonic() - self._local_change > SYNC_GRACE_S:
            if status.privacy != self.privacy_action.isChecked():
                self._set_privacy_ui(status.privacy)
            if status.monitoring == self.pause_action.isChecked():
                self._set_monitoring_ui(status.monitoring)

    @staticmethod
    def _set_label(label: QLabel, text: str, problem: bool) -> None:
        label.setText(text)
        value = "1" if problem else ""
        if label.property("problem") != value:
            label.setProperty("problem", value)
            style = label.style()
            if style is not None:
                style.unpolish(label)
                style.polish(label)

    # ------------------------------------------------------------------ alerts
    def _alert_arrived(self, level: str) -> None:
        self.sound.play(level)
        QApplication.alert(self)
        self._restart_sound_timer()

    def _restart_sound_timer(self) -> None:
        repeat = self.cfg.dashboard.alert_repeat_s
        if self.pending and repeat > 0:
            self._sound_timer.start(int(repeat * 1000))
        else:
            self._sound_timer.stop()

    def _repeat_sound(self) -> None:
        shown = self.banner.shown
        if shown is not None:
            self.sound.play(shown.level)
        else:
            self._sound_timer.stop()

    def _pending_changed(self) -> None:
        now = self.clock()
        self.banner.set_alerts(list(self.pending.values()), now)
        shown = self.banner.shown
        self.ack_action.setEnabled(shown is not None)
        if shown is None:
            self._sound_timer.stop()
            self.setWindowTitle("Activity monitor")
        else:
            if not self._sound_timer.isActive():
                self._restart_sound_timer()
            self.setWindowTitle(f"{level_style(shown.level).word}: {shown.text} \u2013 "
                                "Activity monitor")

    def acknowledge_shown(self) -> None:
        shown = self.banner.shown
        if shown is not None:
            self.acknowledge(shown.id)

    def acknowledge(self, incident_id: str) -> bool:
        """Acknowledge an alert through the pipeline's controls (stored, and sent on MQTT)."""
        try:
            ok = bool(self.controls.acknowledge(incident_id, by="dashboard"))
        except Exception as exc:
            log.exception("acknowledging %s failed", incident_id)
            self._message(f"Could not acknowledge the alert: {exc}", 15000)
            return False
        alert = self.pending.get(incident_id)
        what = alert.text if alert is not None else "the alert"
        if not ok:
            self._message(f"Could not acknowledge {what}: it is not in the event history "
                          "yet. Try again in a moment.", 15000)
            return False
        self.pending.pop(incident_id, None)
        self.acknowledged_here.add(incident_id)
        self._pending_changed()
        self._message(f"Acknowledged: {what}", 8000)
        self.reload()
        return True

    def _message(self, text: str, ms: int) -> None:
        sb = self.statusBar()
        if sb is not None:
            sb.showMessage(text, ms)
        log.info("dashboard: %s", text)

    # ------------------------------------------------------------------ history
    def reload(self) -> None:
        """Re-read the day and the alerts from the event store."""
        now = self.clock()
        lookback = now - self.cfg.dashboard.alert_lookback_h * 3600.0
        since = min(day_start(now) - 12 * 3600.0, lookback)
        try:
            incidents = self.store.incidents(since_wall=since)
        except sqlite3.Error as exc:
            log.warning("dashboard: cannot read the event store: %s", exc)
            return
        self.incidents = incidents
        segments = timeline_segments(incidents, now=now,
                                     background_labels=self.cfg.events.background_labels)
        self.today.timeline.set_data(segments, self.class_names, now)
        self.today.summary.set_summary(
            day_summary(segments, self.cfg, now=now, live_last_seen=self._live_last_seen), now)
        alerts = [i for i in incidents if i.level != "info" and i.created_wall >= lookback]
        self.alert_list.set_incidents(alerts, now)
        before = set(self.pending)
        for inc in alerts:
            if inc.acknowledged_by is not None:
                self.pending.pop(inc.id, None)
            elif inc.id not in self.acknowledged_here:
                self.pending[inc.id] = PendingAlert(inc.id, inc.label, inc.level, inc.rule,
                                                    inc.created_wall, inc.is_open)
        if set(self.pending) - before:
            shown = max(self.pending.values(),
                        key=lambda a: (a.level == "critical", a.created_wall))
            self._alert_arrived(shown.level)
        self._pending_changed()

    def _on_tick(self) -> None:
        if self.pending:
            self.banner.set_alerts(list(self.pending.values()), self.clock())
        if self.live.is_stale():
            self.live.update()

    # ------------------------------------------------------------------ controls
    @staticmethod
    def _safe(get: Callable[[], Any], default: Any) -> Any:
        try:
            return get()
        except Exception:
            return default

    def _set_privacy_ui(self, enabled: bool) -> None:
        self.sink.privacy = enabled
        self.live.set_privacy(enabled)
        self.privacy_action.blockSignals(True)
        self.privacy_action.setChecked(enabled)
        self.privacy_action.blockSignals(False)

    def _set_monitoring_ui(self, monitoring: bool) -> None:
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(not monitoring)
        self.pause_action.blockSignals(False)
        self.banner.set_paused(not monitoring, self.clock())
        self.live.set_paused(not monitoring)
        self.now_panel.set_paused(not monitoring)

    def set_privacy(self, enabled: bool) -> None:
        """Privacy mode: the GUI drops RGB at once, then the pipeline is told."""
        self._local_change = time.monotonic()
        self._set_privacy_ui(enabled)
        try:
            self.controls.set_privacy(enabled)
        except Exception as exc:
            log.exception("set_privacy failed")
            self._message(f"Could not change privacy mode in the pipeline: {exc}", 15000)
        self._message("Privacy mode on: only the skeleton is shown" if enabled
                      else "Privacy mode off: the camera image is shown", 5000)

    def set_monitoring(self, enabled: bool) -> None:
        self._local_change = time.monotonic()
        self._set_monitoring_ui(enabled)
        try:
            self.controls.set_monitoring(enabled)
        except Exception as exc:
            log.exception("set_monitoring failed")
            self._message(f"Could not change monitoring: {exc}", 15000)

    def choose_source(self) -> None:
        dialog = SourceDialog(self.current_uri, self)
        if dialog.exec() == SourceDialog.DialogCode.Accepted:
            self.switch_source(dialog.uri())

    def switch_source(self, uri: str) -> bool:
        try:
            self.controls.switch_source(uri)
        except Exception as exc:
            log.warning("switching the source to %s failed: %s", uri, exc)
            QMessageBox.warning(self, "Cannot use this source",
                                f"The source could not be opened:\n{uri}\n\n{exc}")
            return False
        self.current_uri = uri
        self.status_labels["source"].setText(f"Source: {uri} (switching\u2026)")
        self._message(f"Switching to {uri}", 5000)
        return True

    def events_folder(self) -> Path:
        path = self.store.path
        return path.parent if path is not None else self.cfg.resolved_data_dir()

    def open_events_folder(self) -> None:
        folder = self.events_folder()
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self._message(f"The events are in {folder}", 15000)

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>"
                       for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    # ------------------------------------------------------------------ closing
    @property
    def is_closed(self) -> bool:
        return self._is_closed

    def closeEvent(self, event: QCloseEvent | None) -> None:
        if not self._is_closed:
            self._is_closed = True
            self.save_settings()
            self.sink.close()
            for t in (self._reload_timer, self._tick, self._sound_timer, self._reload_soon):
                t.stop()
            self.closed.emit()
        super().closeEvent(event)

    def describe(self) -> dict[str, Any]:
        """What is on screen, in words (tests and logs)."""
        shown = self.banner.shown
        return {
            "activity": self.now_panel.activity.text(),
            "confidence": self.now_panel.confidence.text(),
            "banner": None if shown is None else f"{shown.level}: {shown.text}",
            "pending": sorted(self.pending),
            "summary": self.today.summary.text(),
            "segments": len(self.today.timeline.segments),
            "frames_shown": self.live.frames_shown,
            "privacy": self.live.privacy,
        }
