"""The live view: camera image (or a neutral background in privacy mode), skeleton, box.

GUI thread only. It keeps the latest ``FrameView`` and paints it scaled to fit, drawing
the overlay at screen resolution (crisp at 4K). In privacy mode it drops any image it
holds and never paints one, whatever arrives.
"""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from edge_app.dashboard.sink import FrameView
from edge_app.dashboard.theme import THEME

__all__ = ["COCO_EDGES", "LiveView"]

# COCO-17 limbs (joint index pairs).
COCO_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10),
    (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
)  # fmt: skip
_LEFT = frozenset({1, 3, 5, 7, 9, 11, 13, 15})
_RIGHT = frozenset({2, 4, 6, 8, 10, 12, 14, 16})
MIN_SCORE = 0.3
STALE_S = 5.0


class LiveView(QWidget):
    """Paints the latest frame; ``privacy`` guarantees no RGB pixel reaches the screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._view: FrameView | None = None
        self._privacy = False
        self._paused = False
        self._last_frame_wall: float | None = None
        self.frames_shown = 0
        self.font_scale = 1.0

    # ------------------------------------------------------------------ state
    @property
    def privacy(self) -> bool:
        return self._privacy

    def set_privacy(self, enabled: bool) -> None:
        self._privacy = bool(enabled)
        if self._privacy and self._view is not None and self._view.image is not None:
            self._view = self._view.without_image()
        self.update()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        self.update()

    @property
    def current(self) -> FrameView | None:
        return self._view

    def show_frame(self, view: FrameView) -> None:
        if self._privacy and view.image is not None:
            view = view.without_image()
        self._view = view
        self._last_frame_wall = time.monotonic()
        self.frames_shown += 1
        self.update()

    def clear(self) -> None:
        """Forget the frame held (a camera put back on screen: never an old picture)."""
        self._view = None
        self._last_frame_wall = None
        self.update()

    def is_stale(self) -> bool:
        return (self._last_frame_wall is not None
                and time.monotonic() - self._last_frame_wall > STALE_S)

    def sizeHint(self) -> QSize:
        return QSize(760, 428)

    # ------------------------------------------------------------------ painting
    def _target(self, size: tuple[int, int]) -> QRectF:
        w, h = max(1, size[0]), max(1, size[1])
        scale = min(self.width() / w, self.height() / h)
        tw, th = w * scale, h * scale
        return QRectF((self.width() - tw) / 2, (self.height() - th) / 2, tw, th)

    def _caption(self, p: QPainter, text: str, *, top: bool = False) -> None:
        f = QFont(self.font())
        f.setPointSizeF(max(8.0, f.pointSizeF() * 1.05))
        p.setFont(f)
        fm = p.fontMetrics()
        pad = fm.height() * 0.4
        tw = fm.horizontalAdvance(text) + 2 * pad
        th = fm.height() + pad
        x = (self.width() - tw) / 2
        y = pad if top else self.height() - th - pad
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(QRectF(x, y, tw, th), th / 2, th / 2)
        p.setPen(QColor("#FFFFFF"))
        p.drawText(QRectF(x, y, tw, th), Qt.AlignmentFlag.AlignCenter, text)

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        bg = QColor(THEME.privacy_bg if self._privacy else THEME.video_bg)
        p.fillRect(self.rect(), bg)
        v = self._view
        if v is None:
            self._caption(p, "Privacy mode \u00b7 waiting for the camera" if self._privacy
                          else "Waiting for the camera\u2026")
            p.end()
            return
        target = self._target(v.size)
        if v.image is not None and not self._privacy:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(target, v.image)
        elif self._privacy:
            p.fillRect(target, QColor(THEME.privacy_bg).darker(112))
        sx = target.width() / max(1, v.size[0])
        sy = target.height() / max(1, v.size[1])
        if v.box is not None:
            x0, y0, x1, y1 = v.box
            pen = QPen(QColor(THEME.box), max(1.5, target.height() / 300))
            pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(target.left() + x0 * sx, target.top() + y0 * sy,
                              (x1 - x0) * sx, (y1 - y0) * sy))
        self._draw_skeletons(p, v, target, sx, sy)
        notes = []
        if self.is_stale():
            notes.append("No new picture from the camera")
        elif v.keypoints.shape[0] == 0:
            notes.append("Nobody in view")
        if self._paused:
            notes.append("Monitoring paused")
        if self._privacy:
            notes.append("Privacy mode: camera image hidden, skeleton only")
        if notes:
            self._caption(p, " \u00b7 ".join(notes))
        p.end()

    def _draw_skeletons(self, p: QPainter, v: FrameView, target: QRectF, sx: float,
                        sy: float) -> None:
        kps = np.asarray(v.keypoints, dtype=np.float32)
        scores = np.asarray(v.scores, dtype=np.float32)
        if kps.ndim != 3 or kps.shape[0] == 0:
            return
        width = max(2.0, target.height() / 160)
        radius = width * 1.3
        for m in range(kps.shape[0]):
            pts = [QPointF(target.left() + float(x) * sx, target.top() + float(y) * sy)
                   for x, y in kps[m]]
            ok = [bool(scores[m, j] >= MIN_SCORE and np.isfinite(kps[m, j]).all())
                  for j in range(kps.shape[1])]
            for a, b in COCO_EDGES:
                if b >= len(ok) or not (ok[a] and ok[b]):
                    continue
                colour = (THEME.skeleton_left if a in _LEFT and b in _LEFT
                          else THEME.skeleton_right if a in _RIGHT and b in _RIGHT
                          else THEME.skeleton_centre)
                p.setPen(QPen(QColor(0, 0, 0, 110), width + 2, Qt.PenStyle.SolidLine,
                              Qt.PenCapStyle.RoundCap))
                p.drawLine(pts[a], pts[b])
                p.setPen(QPen(QColor(colour), width, Qt.PenStyle.SolidLine,
                              Qt.PenCapStyle.RoundCap))
                p.drawLine(pts[a], pts[b])
            p.setPen(QPen(QColor(0, 0, 0, 140), 1.0))
            for j, pt in enumerate(pts):
                if ok[j]:
                    p.setBrush(QColor(THEME.skeleton_left if j in _LEFT else
                                      THEME.skeleton_right if j in _RIGHT else
                                      THEME.skeleton_centre))
                    p.drawEllipse(pt, radius, radius)
