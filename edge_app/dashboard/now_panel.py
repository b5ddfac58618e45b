""""Now": the current activity in large type, its confidence, the top classes as bars.

The bars follow an exponential moving average of the model's smoothed probabilities and
glide between updates (~30 fps while moving, idle otherwise), so they do not flicker.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PyQt6.QtCore import QRectF, QSize, Qt, QTimer
from PyQt6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PyQt6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from edge_app.dashboard.theme import THEME, confidence_words, friendly_label
from edge_app.posture import STANDING_AGAIN
from edge_app.types import WindowResult

__all__ = ["UNSURE_BELOW", "ClassBars", "NowPanel"]

UNSURE_BELOW = 0.4  # below this smoothed probability the panel says "Not sure"


class ClassBars(QWidget):
    """The ``rows`` most likely classes as horizontal bars with their percentage.

    ``alpha``: weight of a new window in the moving average (0-1, lower = calmer).
    """

    def __init__(self, rows: int = 5, alpha: float = 0.4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self.alpha = alpha
        self.class_names: tuple[str, ...] = ()
        self.target: npt.NDArray[np.float32] = np.zeros(0, np.float32)
        self.shown: npt.NDArray[np.float32] = np.zeros(0, np.float32)
        self.dimmed = False
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(self._step)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def update_probs(self, class_names: tuple[str, ...],
                     probs: npt.NDArray[np.float32]) -> None:
        p = np.asarray(probs, dtype=np.float32).reshape(-1)
        if class_names != self.class_names or self.target.shape != p.shape:
            self.class_names = class_names
            self.target = p.copy()
            self.shown = p.copy()
        else:
            self.target = (1 - self.alpha) * self.target + self.alpha * p
        if not self._timer.isActive():
            self._timer.start()
        self.update()

    def top(self) -> list[tuple[str, float]]:
        """The rows on screen: (label, shown value), best first."""
        if self.shown.size == 0:
            return []
        order = np.argsort(-self.target, kind="stable")[: self.rows]
        return [(self.class_names[i], float(self.shown[i])) for i in order]

    def _step(self) -> None:
        diff = self.target - self.shown
        if diff.size == 0 or float(np.abs(diff).max()) < 0.002:
            self.shown = self.target.copy()
            self._timer.stop()
        else:
            self.shown = self.shown + 0.25 * diff
        self.update()

    def _row_h(self) -> float:
        return self.fontMetrics().height() * 1.9

    def sizeHint(self) -> QSize:
        return QSize(360, int(self._row_h() * self.rows))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, int(self._row_h() * min(self.rows, 3)))

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fm = self.fontMetrics()
        rows = self.top()
        if not rows:
            p.setPen(QColor(THEME.muted))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                       "No results from the model yet")
            p.end()
            return
        row_h = min(self._row_h(), self.height() / max(1, len(rows)))
        label_w: float = max(fm.horizontalAdvance(friendly_label(n)) for n, _ in rows) + fm.height()
        label_w = min(label_w, self.width() * 0.45)
        pct_w = fm.horizontalAdvance("100%") + fm.height() * 0.6
        bar_x = label_w
        bar_w = max(10.0, self.width() - label_w - pct_w)
        bar_h = max(6.0, fm.height() * 0.62)
        for i, (name, value) in enumerate(rows):
            y = i * row_h
            text_rect = QRectF(0, y, label_w - fm.height() * 0.4, row_h)
            p.setPen(QColor(THEME.muted if self.dimmed else THEME.text))
            f = QFont(self.font())
            f.setBold(i == 0)
            p.setFont(f)
            p.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       fm.elidedText(friendly_label(name), Qt.TextElideMode.ElideRight,
                                     int(text_rect.width())))
            track = QRectF(bar_x, y + (row_h - bar_h) / 2, bar_w, bar_h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(THEME.bar_track))
            p.drawRoundedRect(track, bar_h / 2, bar_h / 2)
            v = float(np.clip(value, 0.0, 1.0))
            if v > 0.005:
                fill = QRectF(track.left(), track.top(), max(bar_h, track.width() * v), bar_h)
                colour = QColor(THEME.accent_strong if i == 0 else THEME.accent)
                if self.dimmed:
                    colour = QColor(THEME.muted)
                    colour.setAlpha(120)
                elif i > 0:
                    colour.setAlpha(170)
                p.setBrush(colour)
                p.drawRoundedRect(fill, bar_h / 2, bar_h / 2)
            p.setPen(QColor(THEME.muted))
            p.drawText(QRectF(bar_x + bar_w, y, pct_w, row_h),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       f"{round(100 * v)}%")
        p.end()


class NowPanel(QWidget):
    """Current activity (large), confidence in words, and the top-class bars."""

    def __init__(self, held_by_view: frozenset[str] = frozenset(),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # classes the event engine does not judge while the view or standing check
        # holds them back (events.view_check.labels)
        self.held_by_view = held_by_view
        self.setObjectName("card")
        self.title = QLabel("Now")
        self.title.setObjectName("cardTitle")
        self.activity = QLabel("Starting\u2026")
        self.activity.setObjectName("activity")
        self.activity.setWordWrap(True)
        self.confidence = QLabel("Waiting for the first result")
        self.confidence.setObjectName("confidence")
        self.bars = ClassBars()
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.activity)
        lay.addWidget(self.confidence)
        lay.addSpacing(6)
        lay.addWidget(self.bars, 1)
        self.windows_seen = 0
        self._paused = False
        self._last: WindowResult | None = None

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        if paused:
            self.activity.setText("Monitoring paused")
            self.confidence.setText("No activity is recognised and no alerts are raised")
            self.bars.dimmed = True
            self.bars.update()
        elif self._last is not None:
            self.show_window(self._last)

    def show_window(self, result: WindowResult) -> None:
        self.windows_seen += 1
        self._last = result
        self.bars.update_probs(result.class_names, result.smoothed)
        if self._paused:
            return
        self.bars.dimmed = not result.person_present
        if not result.person_present:
            self.activity.setText("Nobody in view")
            self.confidence.setText("Waiting for someone to appear")
            return
        label, score = result.top
        mode = " \u00b7 skeleton only" if result.pose_only else ""
        if result.view and label in self.held_by_view:
            # the event engine does not judge falls in this window (edge_app.view,
            # edge_app.posture): do not show a caregiver "lying on the floor" for someone
            # walking out of view, or "falling" for someone back on their feet
            self.activity.setText("On their feet" if result.view.startswith(STANDING_AGAIN)
                                  else "Partly in view")
            self.confidence.setText(f"Not judged for falls: {result.view}{mode}")
        elif score < UNSURE_BELOW:
            self.activity.setText("Not sure")
            self.confidence.setText(f"Best guess: {friendly_label(label).lower()} \u00b7 "
                                    f"{round(100 * score)}%{mode}")
        else:
            self.activity.setText(friendly_label(label))
            self.confidence.setText(confidence_words(score) + mode)
