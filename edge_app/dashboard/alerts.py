"""Alerts: the banner that stays until a person acknowledges, the sound, the list.

An alert (a ``warning`` or ``critical`` incident) is *pending* from its ``new`` until
someone acknowledges it, whether or not the incident has ended: the banner shows the most
severe, newest pending alert and the sound repeats while any is pending. Pending alerts
come back after a restart (they are read from the store).

With several cameras, the banner and the list hold the alerts of every camera, each
naming its room (or camera); with one, they look as they always did.
"""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import wave
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PyQt6.QtCore import QObject, Qt, QTimer, QUrl, pyqtSignal
from PyQt6.QtGui import QColor, QGuiApplication
from PyQt6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from edge_app.dashboard.theme import THEME, ago, clock, describe_alert, level_style
from edge_app.store import Incident
from edge_app.types import DEFAULT_CAMERA, LEVEL_RANK

__all__ = ["AlertBanner", "AlertList", "AlertSound", "PendingAlert", "sort_pending"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingAlert:
    """An alert waiting for acknowledgement. ``created_wall`` epoch s.

    ``camera``: the camera that raised it; ``where``: its room in words, shown with the
    alert ("" with one camera: nothing to tell apart).
    """

    id: str
    label: str
    level: str
    rule: str
    created_wall: float
    open: bool
    camera: str = DEFAULT_CAMERA
    where: str = ""

    @property
    def text(self) -> str:
        return describe_alert(self.rule, self.label)

    @property
    def text_where(self) -> str:
        """What happened and where (``Fall detected · Bedroom``)."""
        return f"{self.text} \u00b7 {self.where}" if self.where else self.text


def sort_pending(alerts: Iterable[PendingAlert]) -> list[PendingAlert]:
    """Most severe first, then newest."""
    return sorted(alerts, key=lambda a: (-LEVEL_RANK.get(a.level, 0), -a.created_wall))


# ---------------------------------------------------------------------- sound
def _write_chime(path: Path, freqs: Sequence[float], *, rate: int = 22050) -> None:
    """A short, soft multi-tone chime as 16-bit mono WAV."""
    frames = bytearray()
    note = int(rate * 0.22)
    for f in freqs:
        for i in range(note):
            env = min(1.0, i / (0.01 * rate)) * math.exp(-3.5 * i / note)
            frames += struct.pack("<h", int(0.5 * 32767 * env * math.sin(2 * math.pi * f * i
                                                                          / rate)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


class AlertSound(QObject):
    """Plays the alert sound: a chime through QSoundEffect if it works, else the system beep.

    Never fatal: any failure is logged once and falls back to ``QApplication.beep()``.
    ``plays`` counts requests (tests read it).
    """

    def __init__(self, enabled: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = enabled
        self.plays = 0
        self._effects: dict[str, QObject] = {}
        self._tried = False
        self._failed = False

    def _effect(self, level: str) -> QObject | None:
        if self._failed:
            return None
        if level in self._effects:
            return self._effects[level]
        platform = QGuiApplication.platformName()
        if platform in ("offscreen", "minimal"):
            self._failed = True
            return None
        try:
            from PyQt6.QtMultimedia import QSoundEffect

            freqs = (880.0, 660.0, 880.0, 660.0) if level == "critical" else (660.0, 880.0)
            path = Path(tempfile.gettempdir()) / f"epam-edge-alert-{level}.wav"
            if not path.is_file():
                _write_chime(path, freqs)
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(0.8)
            self._effects[level] = effect
            return effect
        except Exception as exc:
            log.info("alert sound: QSoundEffect unavailable (%s); using the system beep", exc)
            self._failed = True
            return None

    def play(self, level: str) -> None:
        if not self.enabled:
            return
        self.plays += 1
        try:
            effect = self._effect(level)
            if effect is not None:
                from PyQt6.QtMultimedia import QSoundEffect

                assert isinstance(effect, QSoundEffect)
                if effect.status() == QSoundEffect.Status.Error:
                    self._failed = True
                    QApplication.beep()
                else:
                    effect.play()
            else:
                QApplication.beep()
        except Exception as exc:
            if not self._failed:
                log.warning("alert sound failed: %s", exc)
            self._failed = True


# ---------------------------------------------------------------------- banner
class AlertBanner(QFrame):
    """Calm one-liner when all is well; a large coloured banner while alerts are pending.

    Emits ``acknowledge_requested(id)`` when the button is pressed.
    """

    acknowledge_requested = pyqtSignal(str)
    resume_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.paused = False
        self.paused_where = ""
        self.icon = QLabel()
        self.icon.setObjectName("bannerIcon")
        self.title = QLabel()
        self.title.setObjectName("bannerTitle")
        self.detail = QLabel()
        self.detail.setObjectName("bannerDetail")
        self.button = QPushButton("Acknowledge")
        self.button.setObjectName("ackButton")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.clicked.connect(self._clicked)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.title)
        text.addWidget(self.detail)
        lay = QHBoxLayout(self)
        lay.addWidget(self.icon)
        lay.addLayout(text, 1)
        lay.addWidget(self.button)
        self.alerts: list[PendingAlert] = []
        self._blink = False
        self._blink_timer = QTimer(self)
        self._blink_timer.setInterval(700)
        self._blink_timer.timeout.connect(self._toggle_blink)
        self.set_alerts([], 0.0)

    @property
    def shown(self) -> PendingAlert | None:
        return self.alerts[0] if self.alerts else None

    def set_paused(self, paused: bool, now: float, where: str = "") -> None:
        """Monitoring paused: said here (instead of 'all is well') unless alerts wait.
        ``where``: the rooms paused, when not every camera is."""
        self.paused = paused
        self.paused_where = where if paused else ""
        self.set_alerts(self.alerts, now)

    def set_alerts(self, alerts: Sequence[PendingAlert], now: float) -> None:
        self.alerts = sort_pending(alerts)
        a = self.shown
        if a is None and self.paused:
            self._blink_timer.stop()
            self.setProperty("level", "paused")
            self.icon.setText("\u25ae\u25ae")
            if self.paused_where:
                self.title.setText(f"Monitoring is paused in {self.paused_where} \u00b7 no "
                                   "activity is recognised and no alerts are raised there")
            else:
                self.title.setText("Monitoring is paused \u00b7 no activity is recognised "
                                   "and no alerts are raised")
            self.detail.setVisible(False)
            self.button.setVisible(True)
            self.button.setText("Resume monitoring  (Ctrl+M)")
        elif a is None:
            self._blink_timer.stop()
            self.setProperty("level", "ok")
            self.icon.setText("\u2713")
            self.title.setText("All is well \u00b7 no alerts waiting")
            self.detail.setVisible(False)
            self.button.setVisible(False)
        else:
            st = level_style(a.level)
            self.setProperty("level", a.level)
            self.icon.setText("\u26a0")
            self.title.setText(f"{st.word}: {a.text_where}")
            state = "still going on" if a.open else "ended"
            more = len(self.alerts) - 1
            extra = f" \u00b7 {more} more waiting" if more > 0 else ""
            self.detail.setText(f"Since {clock(a.created_wall)} ({ago(a.created_wall, now)}), "
                                f"{state} \u00b7 please check and acknowledge{extra}")
            self.detail.setVisible(True)
            self.button.setVisible(True)
            self.button.setText("Acknowledge  (Ctrl+Enter)")
            if a.level == "critical" and not self._blink_timer.isActive():
                self._blink_timer.start()
            elif a.level != "critical":
                self._blink_timer.stop()
                self._blink = False
        self.setProperty("blink", self._blink)
        self._restyle()

    def steady(self) -> None:
        """Show the base colour now (a still picture should not catch the blink)."""
        self._blink = False
        self.setProperty("blink", False)
        self._restyle()

    def _toggle_blink(self) -> None:
        self._blink = not self._blink
        self.setProperty("blink", self._blink)
        self._restyle()

    def _restyle(self) -> None:
        style = self.style()
        if style is not None:
            style.unpolish(self)
            style.polish(self)
            for w in (self.icon, self.title, self.detail):
                style.unpolish(w)
                style.polish(w)

    def _clicked(self) -> None:
        if self.shown is not None:
            self.acknowledge_requested.emit(self.shown.id)
        elif self.paused:
            self.resume_requested.emit()


# ---------------------------------------------------------------------- list
class AlertList(QWidget):
    """Open and recent alerts, newest first, each with its level in colour and words."""

    acknowledge_requested = pyqtSignal(str)

    COLUMNS = ("When", "Level", "What", "State")
    WHERE_COLUMNS = ("When", "Where", "Level", "What", "State")  # with several cameras

    camera_requested = pyqtSignal(str)  # a row was double-clicked: show its camera

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.title = QLabel("Alerts")
        self.title.setObjectName("cardTitle")
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.SingleSelection)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.places: dict[str, str] = {}
        self.columns: tuple[str, ...] = ()
        self._set_columns(self.COLUMNS)
        self.empty = QLabel("\u2713 No alerts in the last 24 hours")
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.ack_button = QPushButton("Acknowledge selected")
        self.ack_button.setEnabled(False)
        self.ack_button.clicked.connect(self._ack_selected)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.ack_button)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.empty, 1)
        self.ids: list[str] = []
        self._unacked: set[str] = set()

    def _set_columns(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.tree.setColumnCount(len(columns))
        self.tree.setHeaderLabels(list(columns))
        header = self.tree.header()
        if header is not None:
            header.setStretchLastSection(True)
            for i, name in enumerate(columns):
                header.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch if name == "What"
                                            else QHeaderView.ResizeMode.ResizeToContents)

    def set_places(self, places: Mapping[str, str]) -> None:
        """Camera name -> where it watches, in words. More than one: a "Where" column."""
        self.places = dict(places)
        self._set_columns(self.WHERE_COLUMNS if len(self.places) > 1 else self.COLUMNS)

    def column(self, name: str) -> int:
        return self.columns.index(name)

    def set_lookback(self, hours: float) -> None:
        self.empty.setText(f"\u2713 No alerts in the last {hours:g} hours")

    def set_incidents(self, incidents: Sequence[Incident], now: float) -> None:
        """Show ``incidents`` (alerts), newest first; keeps the selection."""
        selected = self._selected_id()
        self.tree.clear()
        self.ids = []
        rows = sorted(incidents, key=lambda i: (i.acknowledged_by is not None, -i.created_wall))
        for inc in rows:
            st = level_style(inc.level)
            if inc.acknowledged_by is not None:
                at = clock(inc.acknowledged_at) if inc.acknowledged_at else ""
                state = f"\u2713 Acknowledged {at}".strip()
            else:
                state = "Not acknowledged"
            what = describe_alert(inc.rule, inc.label) + (" (going on)" if inc.is_open else "")
            cells = {"When": clock(inc.created_wall), "Level": f"{st.symbol} {st.word}",
                     "What": what, "State": state,
                     "Where": self.places.get(inc.camera, inc.camera)}
            item = QTreeWidgetItem([cells[c] for c in self.columns])
            item.setToolTip(0, ago(inc.created_wall, now))
            if inc.acknowledged_by is not None:
                item.setToolTip(self.column("State"), f"by {inc.acknowledged_by}")
            if "Where" in self.columns:
                item.setToolTip(self.column("Where"), f"camera {inc.camera} \u00b7 "
                                "double-click to show it")
            item.setData(0, Qt.ItemDataRole.UserRole, inc.id)
            item.setData(0, Qt.ItemDataRole.UserRole + 1, inc.camera)
            colour = QColor(st.background)
            if inc.level == "warning":
                colour = QColor("#9A6B00")  # readable amber text on white
            level_col = self.column("Level")
            item.setForeground(level_col, colour)
            f = item.font(level_col)
            f.setBold(True)
            item.setFont(level_col, f)
            if inc.acknowledged_by is None:
                item.setFont(self.column("What"), f)
                if "Where" in self.columns:
                    item.setFont(self.column("Where"), f)
            else:
                for c in range(len(self.columns)):
                    if c != level_col:
                        item.setForeground(c, QColor(THEME.muted))
            self.tree.addTopLevelItem(item)
            self.ids.append(inc.id)
            if inc.id == selected:
                item.setSelected(True)
        self._unacked = {i.id for i in rows if i.acknowledged_by is None}
        self.empty.setVisible(not rows)
        self.tree.setVisible(bool(rows))
        self.ack_button.setVisible(bool(self._unacked))
        self._selection_changed()

    def _selected_id(self) -> str | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        value = items[0].data(0, Qt.ItemDataRole.UserRole)
        return str(value) if value is not None else None

    def _selection_changed(self) -> None:
        sid = self._selected_id()
        self.ack_button.setEnabled(sid is not None and sid in self._unacked)

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        camera = item.data(0, Qt.ItemDataRole.UserRole + 1)
        if camera is not None:
            self.camera_requested.emit(str(camera))

    def _ack_selected(self) -> None:
        sid = self._selected_id()
        if sid is not None:
            self.acknowledge_requested.emit(sid)
