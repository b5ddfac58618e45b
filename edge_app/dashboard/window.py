"""The caregiver's main window: live view, now, alerts, today, controls, status bar.

Everything here runs in the GUI thread. Pipeline data arrives through ``DashboardSink``'s
signals (queued connections); the history (timeline, summary, alert list, pending alerts)
is re-read from the event store on events and every few seconds, so it survives restarts
and notices acknowledgements made elsewhere (MQTT).

Several cameras: a row of camera buttons (room, or name; red with a warning sign while
that camera has an alert waiting or a problem) chooses which live view and "now" panel
are shown, whose source the status bar describes, and which camera the privacy, pause
and source controls change. Frames, windows and statuses are routed by their ``camera``.
The banner and the alert list hold the alerts of every camera, each naming its room;
"Today" shows one room's day or the whole home's. With one camera none of this shows.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PyQt6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from edge_app.config import AppConfig
from edge_app.dashboard.alerts import (
    AlertBanner,
    AlertList,
    AlertSound,
    PendingAlert,
    sort_pending,
)
from edge_app.dashboard.history import Segment, day_start, day_summary, timeline_segments
from edge_app.dashboard.live_view import LiveView
from edge_app.dashboard.now_panel import NowPanel
from edge_app.dashboard.protocol import CameraInfo, PipelineLike, cameras_of, controls_of
from edge_app.dashboard.sink import DashboardBridge, DashboardSink, FrameView
from edge_app.dashboard.source_dialog import SourceDialog
from edge_app.dashboard.theme import level_style, stylesheet
from edge_app.dashboard.today import TodayPanel
from edge_app.sources import redact_source
from edge_app.store import Incident
from edge_app.types import Controls, Event, PipelineStatus, SinkHealth, WindowResult

__all__ = ["CameraSlot", "DashboardWindow", "default_settings"]

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
CAMERA_SHORTCUTS = ("Ctrl+1 \u2026 Ctrl+9", "Show camera 1 to 9 (several cameras)")


def default_settings() -> QSettings:
    """Where the window keeps its size and layout (per user)."""
    return QSettings(ORGANISATION, APPLICATION)


@dataclass
class CameraSlot:
    """One camera's part of the window (GUI thread): its live view and "now" panel, the
    button that selects it, and what the window knows of it."""

    info: CameraInfo
    live: LiveView
    now: NowPanel
    uri: str
    button: QPushButton | None = None
    status: PipelineStatus | None = None
    privacy: bool = False
    monitoring: bool = True
    live_last_seen: float | None = None
    local_change: float = -1e9  # after a change here, older statuses are ignored

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def problem(self) -> str:
        st = self.status
        return (st.problem or st.error) if st is not None else ""


def _mqtt_text(health: SinkHealth | None) -> tuple[str, bool]:
    """The status's MQTT health -> (text, is_problem)."""
    if health is None:
        return "MQTT off", False
    return f"MQTT {health.describe()}", not health.ok


class DashboardWindow(QMainWindow):
    """The dashboard for the app and its cameras.

    Args:
        pipeline: the running (or about to run) app; its ``store``, ``controls`` and
            ``cameras`` are used from this (GUI) thread.
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
        self.last_status: PipelineStatus | None = None  # the latest, of any camera
        self.camera_infos = cameras_of(pipeline, cfg.resolved_source())
        self.multi = len(self.camera_infos) > 1
        self.slots: dict[str, CameraSlot] = {}
        self.selected = self.camera_infos[0].name
        self._font_scale = float(cfg.dashboard.font_scale)
        self._is_closed = False

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

        for slot in self.slots.values():
            privacy, monitoring = self._camera_state(slot.info.controls, cfg.privacy.enabled)
            self._apply_privacy(slot, privacy)
            self._apply_monitoring(slot, monitoring)
        remembered = self.settings.value("view/camera")
        self.select_camera(remembered if isinstance(remembered, str)
                           and remembered in self.slots else self.selected)

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
        self.today.room_changed.connect(self.reload)
        self.reload()

    # ------------------------------------------------------------------ building
    def _card(self, w: QWidget) -> QWidget:
        w.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        return w

    def _build(self) -> None:
        self.setWindowTitle("Activity monitor")
        self.banner = AlertBanner()
        self.banner.acknowledge_requested.connect(self.acknowledge)
        self.banner.resume_requested.connect(self.resume_paused)

        # one live view and one "now" panel per camera; the selected camera's are shown
        self.live_stack = QStackedWidget()
        self.now_stack = QStackedWidget()
        self.camera_bar = QWidget()
        self.camera_bar.setObjectName("cameraBar")
        bar = QHBoxLayout(self.camera_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        self.camera_buttons = QButtonGroup(self)
        self.camera_buttons.setExclusive(True)
        held = frozenset(self.cfg.events.view_check.labels)
        for i, info in enumerate(self.camera_infos):
            live = LiveView()
            now = NowPanel(held)
            self._card(now)
            now.title.setText(f"NOW \u00b7 {info.label.upper()}" if self.multi else "NOW")
            slot = CameraSlot(info, live, now, uri=info.source)
            self.live_stack.addWidget(live)
            self.now_stack.addWidget(now)
            if self.multi:
                button = QPushButton(info.label)
                button.setObjectName("cameraTab")
                button.setCheckable(True)
                button.setCursor(Qt.CursorShape.PointingHandCursor)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.clicked.connect(lambda _c=False, n=info.name: self.select_camera(n))
                self.camera_buttons.addButton(button, i)
                bar.addWidget(button)
                slot.button = button
            self.slots[info.name] = slot
        bar.addStretch(1)
        self.camera_bar.setVisible(self.multi)

        self.alert_list = AlertList()
        self._card(self.alert_list)
        self.alert_list.title.setText("ALERTS")
        self.alert_list.set_lookback(self.cfg.dashboard.alert_lookback_h)
        self.alert_list.acknowledge_requested.connect(self.acknowledge)
        if self.multi:
            self.alert_list.set_places({i.name: i.label for i in self.camera_infos})
            self.alert_list.camera_requested.connect(self.select_camera)
        self.today = TodayPanel()
        self._card(self.today)
        self.today.title.setText("TODAY")
        self.today.timeline.class_names = self.class_names
        rooms: dict[str, list[str]] = {}
        for info in self.camera_infos:
            rooms.setdefault(info.label, []).append(info.name)
        self.today.set_rooms([(k, tuple(v)) for k, v in rooms.items()] if self.multi else [])

        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("rightSplitter")
        self.right.addWidget(self.now_stack)
        self.right.addWidget(self.alert_list)
        self.right.setChildrenCollapsible(False)
        self.right.setSizes([270, 200])
        self.top = QSplitter(Qt.Orientation.Horizontal)
        self.top.setObjectName("topSplitter")
        self.top.addWidget(self.live_stack)
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
        lay.addWidget(self.camera_bar)  # above the live view and "now" it selects
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
        self.status_labels["source"].setText(
            f"{self._source_word(self.camera_infos[0])}: "
            f"{self.camera_infos[0].source_description or self.pipeline.source_description}")
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
        self.camera_actions: list[QAction] = []
        if self.multi:
            for i, info in enumerate(self.camera_infos[:9]):
                self.camera_actions.append(self._action(
                    f"Show {info.label}", f"Ctrl+{i + 1}",
                    lambda n=info.name: self.select_camera(n), tip=f"Show {info.label}"))

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
        self._update_control_tips()

    def _update_control_tips(self) -> None:
        """Say in the tooltips which camera the privacy, pause and source buttons change."""
        for action, tip in (
                (self.privacy_action, "Show only the skeleton, never the camera image"),
                (self.pause_action, "Stop recognising activities and raising alerts"),
                (self.source_action, "Camera, video file or network camera")):
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if action is self.source_action and self.multi:
                text = f"Choose the video source of the camera on screen ({self.slot.label})"
            elif self.multi:
                text = f"{tip}, for the camera on screen ({self.slot.label}) only"
            else:
                text = tip
            action.setToolTip(f"{text} ({keys})")

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

    # ------------------------------------------------------------------ cameras
    @property
    def slot(self) -> CameraSlot:
        """The camera on screen."""
        return self.slots[self.selected]

    @property
    def live(self) -> LiveView:
        """The live view on screen (the selected camera's)."""
        return self.slot.live

    @property
    def now_panel(self) -> NowPanel:
        """The "now" panel on screen (the selected camera's)."""
        return self.slot.now

    @property
    def current_uri(self) -> str:
        """The selected camera's source, as the source dialog starts from it: the one the
        camera uses now (a switch from MQTT or a refused one shows as it is), else the
        last one chosen here."""
        slot = self.slot
        read = slot.info.current
        if read is not None:
            now = str(self._safe(read, "") or "")
            if now:
                return now
        return slot.uri

    def _slot_of(self, camera: str) -> CameraSlot | None:
        """Where a message tagged ``camera`` goes: with one camera, always to it."""
        slot = self.slots.get(camera)
        if slot is None and not self.multi:
            return self.slot
        return slot

    def _where(self, camera: str) -> str:
        """The room (or camera) an alert names; "" with one camera."""
        if not self.multi:
            return ""
        slot = self.slots.get(camera)
        return slot.label if slot is not None else camera

    def _source_word(self, info: CameraInfo) -> str:
        return f"Source ({info.label})" if self.multi else "Source"

    def select_camera(self, name: str) -> bool:
        """Show camera ``name``: its live view, "now" panel, source in the status bar,
        its room's day, and the privacy/pause/source controls act on it."""
        slot = self.slots.get(name)
        if slot is None:
            return False
        changed = name != self.selected
        self.selected = name
        if self.multi:
            if changed:
                slot.live.clear()  # its frames were not drawn while hidden: no old picture
            self.sink.shown_camera = name
        self.live_stack.setCurrentWidget(slot.live)
        self.now_stack.setCurrentWidget(slot.now)
        if slot.button is not None:
            slot.button.setChecked(True)
        self._sync_actions()
        self._show_camera_status()
        self._update_control_tips()
        if self.multi:
            self.today.show_room_of(name)
            self.settings.setValue("view/camera", name)
        return True

    def _sync_actions(self) -> None:
        """The privacy and pause buttons show the selected camera's state."""
        slot = self.slot
        for action, checked in ((self.privacy_action, slot.privacy),
                                (self.pause_action, not slot.monitoring)):
            action.blockSignals(True)
            action.setChecked(checked)
            action.blockSignals(False)

    def _update_camera_marks(self) -> None:
        """Each camera button: red with a warning sign while its camera has an alert
        waiting or a problem; the tooltip says which."""
        if not self.multi:
            return
        for slot in self.slots.values():
            if slot.button is None:
                continue
            alerts = sort_pending(a for a in self.pending.values() if a.camera == slot.name)
            problem = slot.problem
            lines = [f"{slot.label} (camera {slot.name})"]
            st = slot.status
            lines.append(f"Source: {st.source if st is not None else slot.info.source_description}")
            if alerts:
                lines.append(f"{level_style(alerts[0].level).word}: {alerts[0].text}"
                             + (f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else "")
                             + " \u00b7 waiting for acknowledgement")
            if problem:
                lines.append(f"Problem: {problem}")
            if not slot.monitoring:
                lines.append("Monitoring paused")
            if slot.privacy:
                lines.append("Privacy mode")
            marked = bool(alerts or problem)
            text = slot.label + (" \u26a0" if marked else "") + (
                " \u00b7 paused" if not slot.monitoring else "")
            slot.button.setText(text)
            slot.button.setToolTip("\n".join(lines))
            value = "1" if marked else ""
            if slot.button.property("alert") != value:
                slot.button.setProperty("alert", value)
                style = slot.button.style()
                if style is not None:
                    style.unpolish(slot.button)
                    style.polish(slot.button)

    def camera_marks(self) -> dict[str, bool]:
        """Camera name -> marked red (alert waiting or problem) (tests, logs)."""
        return {n: s.button is not None and s.button.property("alert") == "1"
                for n, s in self.slots.items()}

    # ------------------------------------------------------------------ pipeline data
    def _on_frame(self, view: FrameView) -> None:
        self.sink.frame_drawn(view.camera)
        slot = self._slot_of(view.camera)
        if slot is not None:
            slot.live.show_frame(view)

    def _on_window(self, result: WindowResult) -> None:
        slot = self._slot_of(result.camera)
        if slot is None:
            return
        slot.now.show_window(result)
        if result.person_present:
            slot.live_last_seen = self.clock()

    def _on_event(self, event: Event) -> None:
        if event.is_alert:
            known = self.pending.get(event.id)
            if event.type == "end":
                if known is not None:
                    self.pending[event.id] = PendingAlert(
                        known.id, known.label, known.level, known.rule, known.created_wall,
                        False, known.camera, known.where)
            elif event.id not in self.acknowledged_here and not self._acknowledged_elsewhere(
                    event):
                created = known.created_wall if known else (event.wall_time or self.clock())
                self.pending[event.id] = PendingAlert(event.id, event.label, event.level,
                                                      event.rule, created, True, event.camera,
                                                      self._where(event.camera))
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
        slot = self._slot_of(status.camera)
        lbl = self.status_labels
        text, mqtt_problem = _mqtt_text(status.mqtt)
        self._set_label(lbl["mqtt"], text, mqtt_problem)
        untrained = status.untrained_model
        lbl["model"].setToolTip("Random weights: activities and alerts mean nothing until a "
                                "trained model is installed" if untrained else "")
        self._set_label(lbl["model"], f"Model: {status.model_name or self.pipeline.model_name}"
                        + (" \u00b7 UNTRAINED" if untrained else ""), untrained)
        if slot is None:
            return
        slot.status = status
        # follow changes made elsewhere (MQTT), not a status sent before our own change
        if time.monotonic() - slot.local_change > SYNC_GRACE_S:
            if status.privacy != slot.privacy:
                self._apply_privacy(slot, status.privacy)
            if status.monitoring != slot.monitoring:
                self._apply_monitoring(slot, status.monitoring)
        if slot is self.slot:
            self._show_camera_status()
        self._update_camera_marks()

    def _show_camera_status(self) -> None:
        """The status bar's source, latency and dropped frames: the selected camera's."""
        slot = self.slot
        lbl = self.status_labels
        status = slot.status
        word = self._source_word(slot.info)
        if status is None:
            described = slot.info.source_description or "starting\u2026"
            self._set_label(lbl["source"], f"{word}: {described}", False)
            lbl["latency"].setText("")
            lbl["dropped"].setText("")
            return
        fps = f" \u00b7 {status.source_fps:.0f} fps" if status.source_fps > 0 else ""
        problem = status.problem or status.error
        self._set_label(lbl["source"], f"{word}: {status.source}{fps}"
                        + (f" \u00b7 {problem}" if problem else ""), bool(problem))
        provider = f" ({status.provider})" if status.provider else ""
        lbl["latency"].setText(f"Pose {status.pose_ms:.0f} ms \u00b7 Model "
                               f"{status.inference_ms:.0f} ms{provider}")
        lbl["dropped"].setText(f"Dropped {status.dropped_frames} frames"
                               + (f", {status.skipped_windows} windows"
                                  if status.skipped_windows else ""))

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
            self.setWindowTitle(f"{level_style(shown.level).word}: {shown.text_where} \u2013 "
                                "Activity monitor")
        self._update_camera_marks()

    def acknowledge_shown(self) -> None:
        shown = self.banner.shown
        if shown is not None:
            self.acknowledge(shown.id)

    def acknowledge(self, incident_id: str) -> bool:
        """Acknowledge an alert through the app's controls (stored, and sent on MQTT)."""
        try:
            ok = bool(self.controls.acknowledge(incident_id, by="dashboard"))
        except Exception as exc:
            log.exception("acknowledging %s failed", incident_id)
            self._message(f"Could not acknowledge the alert: {exc}", 15000)
            return False
        alert = self.pending.get(incident_id)
        what = alert.text_where if alert is not None else "the alert"
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
        self._show_today(incidents, now)
        alerts = [i for i in incidents if i.level != "info" and i.created_wall >= lookback]
        self.alert_list.set_incidents(alerts, now)
        before = set(self.pending)
        for inc in alerts:
            if inc.acknowledged_by is not None:
                self.pending.pop(inc.id, None)
            elif inc.id not in self.acknowledged_here:
                self.pending[inc.id] = PendingAlert(inc.id, inc.label, inc.level, inc.rule,
                                                    inc.created_wall, inc.is_open, inc.camera,
                                                    self._where(inc.camera))
        if set(self.pending) - before:
            shown = max(self.pending.values(),
                        key=lambda a: (a.level == "critical", a.created_wall))
            self._alert_arrived(shown.level)
        self._pending_changed()

    def _show_today(self, incidents: list[Incident], now: float) -> None:
        """Today's timeline and summary: of the room chosen in "Today" (several cameras),
        or of everything."""
        cams = self.today.room_cameras()
        if cams is not None:
            incidents = [i for i in incidents if i.camera in cams]
        segments: list[Segment] = timeline_segments(
            incidents, now=now, background_labels=self.cfg.events.background_labels)
        seen = [s.live_last_seen for s in self.slots.values()
                if s.live_last_seen is not None and (cams is None or s.name in cams)]
        self.today.timeline.set_data(segments, self.class_names, now)
        self.today.summary.set_summary(
            day_summary(segments, self.cfg, now=now,
                        live_last_seen=max(seen) if seen else None), now)

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

    @classmethod
    def _camera_state(cls, controls: Controls, privacy: bool) -> tuple[bool, bool]:
        """(privacy, monitoring) as a camera's controls say (``privacy`` if unreadable)."""
        return (bool(cls._safe(lambda: controls.privacy, privacy)),
                bool(cls._safe(lambda: controls.monitoring, True)))

    def _apply_privacy(self, slot: CameraSlot, enabled: bool) -> None:
        """Privacy on screen for one camera (the GUI side: RGB dropped at once)."""
        slot.privacy = enabled
        if self.multi:
            self.sink.set_camera_privacy(slot.name, enabled)
        else:
            self.sink.privacy = enabled
        slot.live.set_privacy(enabled)
        if slot is self.slot:
            self._sync_actions()
        self._update_camera_marks()

    def _apply_monitoring(self, slot: CameraSlot, monitoring: bool) -> None:
        slot.monitoring = monitoring
        slot.live.set_paused(not monitoring)
        slot.now.set_paused(not monitoring)
        if slot is self.slot:
            self._sync_actions()
        paused = [s for s in self.slots.values() if not s.monitoring]
        where = "" if len(paused) == len(self.slots) else ", ".join(s.label for s in paused)
        self.banner.set_paused(bool(paused), self.clock(), where)
        self._update_camera_marks()

    def set_privacy(self, enabled: bool) -> None:
        """Privacy mode for the camera on screen (with one camera: the app): the GUI drops
        RGB at once, then the camera is told."""
        slot = self.slot
        slot.local_change = time.monotonic()
        self._apply_privacy(slot, enabled)
        try:
            slot.info.controls.set_privacy(enabled)
        except Exception as exc:
            log.exception("set_privacy failed")
            self._message(f"Could not change privacy mode in the pipeline: {exc}", 15000)
        where = f" ({slot.label})" if self.multi else ""
        self._message(f"Privacy mode on{where}: only the skeleton is shown" if enabled
                      else f"Privacy mode off{where}: the camera image is shown", 5000)

    def set_monitoring(self, enabled: bool) -> None:
        """Pause or resume the camera on screen (with one camera: the app)."""
        self._set_monitoring_of(self.slot, enabled)

    def _set_monitoring_of(self, slot: CameraSlot, enabled: bool) -> None:
        slot.local_change = time.monotonic()
        self._apply_monitoring(slot, enabled)
        try:
            slot.info.controls.set_monitoring(enabled)
        except Exception as exc:
            log.exception("set_monitoring failed")
            self._message(f"Could not change monitoring: {exc}", 15000)

    def resume_paused(self) -> None:
        """The banner's "Resume monitoring": every paused camera."""
        for slot in self.slots.values():
            if not slot.monitoring:
                self._set_monitoring_of(slot, True)

    def choose_source(self) -> None:
        dialog = SourceDialog(self.current_uri, self)
        if self.multi:
            dialog.setWindowTitle(f"Choose the video source for {self.slot.label}")
        if dialog.exec() == SourceDialog.DialogCode.Accepted:
            self.switch_source(dialog.uri())

    def switch_source(self, uri: str) -> bool:
        """Switch the camera on screen (with one camera: the app's) to ``uri``."""
        slot = self.slot
        shown = redact_source(uri)  # an rtsp://user:password@ URL's password never shows
        try:
            slot.info.controls.switch_source(uri)
        except Exception as exc:
            log.warning("switching the source to %s failed: %s", shown, exc)
            QMessageBox.warning(self, "Cannot use this source",
                                f"The source could not be opened:\n{shown}\n\n{exc}")
            return False
        slot.uri = uri
        self.status_labels["source"].setText(
            f"{self._source_word(slot.info)}: {shown} (switching\u2026)")
        where = f"{slot.label}: " if self.multi else ""
        self._message(f"{where}switching to {shown}" if where else f"Switching to {shown}",
                      5000)
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
        shortcuts = (*SHORTCUTS, CAMERA_SHORTCUTS) if self.multi else SHORTCUTS
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>"
                       for k, v in shortcuts)
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
            "banner": None if shown is None else f"{shown.level}: {shown.text_where}",
            "pending": sorted(self.pending),
            "summary": self.today.summary.text(),
            "segments": len(self.today.timeline.segments),
            "frames_shown": self.live.frames_shown,
            "privacy": self.live.privacy,
            "camera": self.selected,
        }
