""""Today": the summary a caregiver asks for, and a timeline of the day's activities.

Both are drawn from ``history.Segment``s read from the event store, so they survive a
restart. Activity segments are coloured bars (with a legend in words); alerts are marked
above the bar with their level's colour and symbol. With several cameras a chooser picks
the room whose day is shown (or the whole home).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import ClassVar

from PyQt6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QHelpEvent, QPainter, QPaintEvent, QPolygonF
from PyQt6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from edge_app.dashboard.history import DaySummary, Segment, day_start
from edge_app.dashboard.theme import (
    THEME,
    activity_colour,
    ago,
    clock,
    describe_alert,
    duration_words,
    friendly_label,
    level_style,
)

__all__ = ["SPANS", "SummaryTiles", "TimelineWidget", "TodayPanel"]

# name -> (menu text, seconds shown; 0 = the whole calendar day)
SPANS: dict[str, tuple[str, float]] = {
    "day": ("Whole day", 0.0),
    "3h": ("Last 3 hours", 3 * 3600.0),
    "1h": ("Last hour", 3600.0),
    "10min": ("Last 10 minutes", 600.0),
}
_TICKS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)


class TimelineWidget(QWidget):
    """Coloured activity bars over a time axis, alert markers above, a 'now' line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segments: list[Segment] = []
        self.class_names: tuple[str, ...] = ()
        self.span = "day"
        self.now = time.time()
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, segments: Sequence[Segment], class_names: tuple[str, ...],
                 now: float) -> None:
        self.segments = list(segments)
        self.class_names = class_names
        self.now = now
        self.update()

    def set_span(self, span: str) -> None:
        self.span = span if span in SPANS else "day"
        self.update()

    def range(self) -> tuple[float, float]:
        """The wall-clock span on screen, epoch s."""
        seconds = SPANS[self.span][1]
        if seconds <= 0:
            lo = day_start(self.now)
            return lo, lo + 86400.0
        return self.now - seconds, self.now + seconds * 0.02

    def _geometry(self) -> tuple[QRectF, float, float]:
        fm = self.fontMetrics()
        marker_h = fm.height() * 1.2
        bar = QRectF(fm.height() * 0.5, marker_h + 2, self.width() - fm.height(),
                     fm.height() * 1.8)
        return bar, marker_h, fm.height()

    def sizeHint(self) -> QSize:
        return QSize(900, int(self.fontMetrics().height() * 6.2))

    def minimumSizeHint(self) -> QSize:
        return QSize(300, int(self.fontMetrics().height() * 5.6))

    def _x(self, t: float, bar: QRectF, lo: float, hi: float) -> float:
        return bar.left() + (t - lo) / (hi - lo) * bar.width()

    def visible(self) -> list[Segment]:
        lo, hi = self.range()
        return [s for s in self.segments if s.end > lo and s.start < hi]

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        lo, hi = self.range()
        bar, marker_h, lh = self._geometry()
        radius = 4.0
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(THEME.bar_track))
        p.drawRoundedRect(bar, radius, radius)
        segs = self.visible()
        p.save()
        p.setClipRect(bar)
        for s in segs:
            if s.is_alert:
                continue
            x0 = self._x(max(s.start, lo), bar, lo, hi)
            x1 = self._x(min(s.end, hi), bar, lo, hi)
            p.setBrush(QColor(activity_colour(s.label, self.class_names)))
            p.drawRect(QRectF(x0, bar.top(), max(2.0, x1 - x0), bar.height()))
        p.restore()
        # alert markers
        for s in segs:
            if not s.is_alert:
                continue
            st = level_style(s.level)
            x = self._x(max(s.start, lo), bar, lo, hi)
            size = marker_h * 0.42
            tri = QPolygonF([QPointF(x - size, bar.top() - marker_h + 2),
                             QPointF(x + size, bar.top() - marker_h + 2),
                             QPointF(x, bar.top() - 1)])
            p.setBrush(QColor(st.background))
            p.setPen(QColor("#00000060"))
            p.drawPolygon(tri)
            p.setPen(QColor(st.background))
            p.drawLine(QPointF(x, bar.top()), QPointF(x, bar.bottom()))
        # now line
        if lo <= self.now <= hi:
            x = self._x(self.now, bar, lo, hi)
            p.setPen(QColor(THEME.text))
            p.drawLine(QPointF(x, bar.top() - 3), QPointF(x, bar.bottom() + 3))
        # ticks
        p.setPen(QColor(THEME.muted))
        fm = self.fontMetrics()
        label_w = fm.horizontalAdvance("00:00") * 1.6
        step = next((t for t in _TICKS if bar.width() * t / (hi - lo) >= label_w), 21600)
        tz = time.localtime(lo).tm_gmtoff  # ticks on round local times
        t = math.ceil((lo + tz) / step) * step - tz
        while t <= hi:
            if t >= lo:
                x = self._x(t, bar, lo, hi)
                p.drawLine(QPointF(x, bar.bottom()), QPointF(x, bar.bottom() + lh * 0.3))
                text = "24:00" if self.span == "day" and t >= hi else clock(t)
                lx = min(max(0.0, x - label_w / 2), self.width() - label_w)
                p.drawText(QRectF(lx, bar.bottom() + lh * 0.3, label_w, lh),
                           Qt.AlignmentFlag.AlignCenter, text)
            t += step
        # legend (words, not colour alone)
        y = bar.bottom() + lh * 1.5
        x = bar.left()
        seen: list[str] = []
        for s in segs:
            if not s.is_alert and s.label not in seen:
                seen.append(s.label)
        if not seen:
            p.drawText(QRectF(x, y, bar.width(), lh), Qt.AlignmentFlag.AlignLeft,
                       "No activity recorded in this period yet")
        for label in seen:
            text = friendly_label(label)
            w = lh * 0.9 + fm.horizontalAdvance(text) + lh
            if x + w > bar.right():
                p.drawText(QRectF(x, y, lh * 2, lh), Qt.AlignmentFlag.AlignLeft, "\u2026")
                break
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(activity_colour(label, self.class_names)))
            p.drawRoundedRect(QRectF(x, y + lh * 0.2, lh * 0.6, lh * 0.6), 2, 2)
            p.setPen(QColor(THEME.text))
            p.drawText(QRectF(x + lh * 0.9, y, w, lh), Qt.AlignmentFlag.AlignLeft, text)
            x += w
        p.end()

    def segment_at(self, x: float, y: float) -> Segment | None:
        lo, hi = self.range()
        bar, marker_h, _ = self._geometry()
        if not bar.top() - marker_h <= y <= bar.bottom():
            return None
        t = lo + (x - bar.left()) / bar.width() * (hi - lo)
        tol = 4 * (hi - lo) / max(1.0, bar.width())
        alerts = y < bar.top()
        best = None
        for s in self.visible():
            if s.is_alert == alerts and s.start - tol <= t <= s.end + tol:
                best = s
        return best

    def event(self, e: QEvent | None) -> bool:
        if e is not None and e.type() == QEvent.Type.ToolTip:
            assert isinstance(e, QHelpEvent)
            s = self.segment_at(e.pos().x(), e.pos().y())
            if s is None:
                QToolTip.hideText()
            else:
                what = (f"{level_style(s.level).word}: {describe_alert(s.rule, s.label)}"
                        if s.is_alert else friendly_label(s.label))
                end = "now" if s.open else clock(s.end)
                QToolTip.showText(e.globalPos(), f"{what}\n{clock(s.start)} \u2013 {end} "
                                  f"({duration_words(s.end - s.start)})", self)
            return True
        return super().event(e)


class SummaryTiles(QWidget):
    """Six numbers: time active, sitting, lying; falls; got up at night; last seen."""

    KEYS = ("active", "sitting", "lying", "falls", "night", "seen")
    CAPTIONS: ClassVar[dict[str, str]] = {
        "active": "Active", "sitting": "Sitting", "lying": "Lying", "falls": "Falls",
        "night": "Up at night", "seen": "Last seen",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.values: dict[str, QLabel] = {}
        self.tiles: dict[str, QFrame] = {}
        for key in self.KEYS:
            tile = QFrame()
            tile.setObjectName("tile")
            value = QLabel("\u2013")
            value.setObjectName("tileValue")
            cap = QLabel(self.CAPTIONS[key])
            cap.setObjectName("tileCaption")
            v = QVBoxLayout(tile)
            v.setSpacing(0)
            v.addWidget(value)
            v.addWidget(cap)
            lay.addWidget(tile, 1)
            self.values[key] = value
            self.tiles[key] = tile

    def set_summary(self, s: DaySummary, now: float) -> None:
        self.values["active"].setText(duration_words(s.active_s))
        self.values["sitting"].setText(duration_words(s.sitting_s))
        self.values["lying"].setText(duration_words(s.lying_s))
        falls = "None" if s.falls == 0 else str(s.falls)
        if s.recovered_falls:
            got_up = f"{s.recovered_falls} got up"
            falls = got_up if s.falls == 0 else f"{falls} + {got_up}"
        self.values["falls"].setText(falls)
        n = s.up_at_night
        self.values["night"].setText("None" if n == 0 else "Once" if n == 1 else f"{n} times")
        if s.last_seen is None:
            self.values["seen"].setText("Not yet")
        elif now - s.last_seen < 60:
            self.values["seen"].setText("Now")
        else:
            self.values["seen"].setText(f"{clock(s.last_seen)}")
            self.values["seen"].setToolTip(ago(s.last_seen, now))
        alert = "1" if s.falls > 0 or s.recovered_falls > 0 else ""
        if self.tiles["falls"].property("alert") != alert:
            self.tiles["falls"].setProperty("alert", alert)
            style = self.tiles["falls"].style()
            if style is not None:
                for w in (self.tiles["falls"], self.values["falls"]):
                    style.unpolish(w)
                    style.polish(w)

    def text(self) -> dict[str, str]:
        """What each tile shows (tests, logs)."""
        return {k: v.text() for k, v in self.values.items()}


WHOLE_HOME = "Whole home"


class TodayPanel(QWidget):
    """Card with the day's summary tiles, a span chooser and the timeline.

    With several rooms (``set_rooms``) a chooser picks whose day is shown;
    ``room_changed`` is emitted when it changes.
    """

    room_changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.title = QLabel("Today")
        self.title.setObjectName("cardTitle")
        self.room = QComboBox()
        self.room.setToolTip("Whose day the summary and the timeline show: one room's "
                             "cameras, or the whole home")
        self.room.setVisible(False)
        self.room.currentIndexChanged.connect(lambda _i: self.room_changed.emit())
        self.span = QComboBox()
        for key, (text, _) in SPANS.items():
            self.span.addItem(text, key)
        self.span.setToolTip("How much of the day the timeline shows")
        self.summary = SummaryTiles()
        self.timeline = TimelineWidget()
        self.span.currentIndexChanged.connect(
            lambda _i: self.timeline.set_span(str(self.span.currentData())))
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.room)
        head.addStretch(1)
        head.addWidget(QLabel("Timeline:"))
        head.addWidget(self.span)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.summary)
        lay.addWidget(self.timeline, 1)

    def set_span(self, span: str) -> None:
        i = self.span.findData(span)
        if i >= 0:
            self.span.setCurrentIndex(i)

    def current_span(self) -> str:
        return str(self.span.currentData())

    def set_rooms(self, rooms: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        """``(room in words, its cameras' names)`` for each room; the chooser (with
        "Whole home" first) appears when there is more than one."""
        self.room.blockSignals(True)
        self.room.clear()
        if len(rooms) > 1:
            self.room.addItem(WHOLE_HOME, None)
            for label, cameras in rooms:
                self.room.addItem(label, tuple(cameras))
        self.room.blockSignals(False)
        self.room.setVisible(len(rooms) > 1)

    def show_room_of(self, camera: str) -> None:
        """Show the day of the room ``camera`` watches."""
        for i in range(self.room.count()):
            cams = self.room.itemData(i)
            if cams is not None and camera in cams:
                self.room.setCurrentIndex(i)
                return

    def room_cameras(self) -> tuple[str, ...] | None:
        """The cameras whose day is shown; None: every camera."""
        data = self.room.currentData() if self.room.count() else None
        return tuple(data) if data is not None else None

    def room_label(self) -> str:
        return self.room.currentText() if self.room.count() else ""
