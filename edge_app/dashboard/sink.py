"""The dashboard's sink: pipeline threads in, Qt signals out.

The pipeline calls ``on_frame``/``on_window``/``on_event``/``on_status`` from its worker
threads. This sink never touches a widget: it builds the ``QImage`` in the calling thread
(explicit bytes-per-line, copied) and emits typed signals that reach the GUI thread as
queued calls. Frames are latest-wins: when the GUI has not drawn the frames already sent,
new ones are dropped (counted) instead of queueing without bound, so a slow screen never
slows the pipeline. Events are never dropped.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QImage

from edge_app.types import Event, FramePreview, PipelineStatus, SinkBase, WindowResult

__all__ = ["DashboardBridge", "DashboardSink", "FrameView", "rgb_to_qimage"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameView:
    """One sample ready to draw.

    ``image``: the RGB frame as a QImage, or None (privacy mode: never RGB on screen).
    ``size``: ``(width, height)`` of the pixel frame the keypoints and box are in.
    ``keypoints`` ``(M, 17, 2)`` pixels, ``scores`` ``(M, 17)`` 0-1, ``box`` x0,y0,x1,y1.
    """

    time: float
    image: QImage | None
    size: tuple[int, int]
    keypoints: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    box: tuple[int, int, int, int] | None


def rgb_to_qimage(image: npt.NDArray[np.uint8]) -> QImage:
    """``(H, W, 3)`` RGB uint8 -> a QImage that owns its pixels (safe across threads)."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {image.shape} "
                         f"{image.dtype}")
    arr = np.ascontiguousarray(image)
    h, w = int(arr.shape[0]), int(arr.shape[1])
    return QImage(arr.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class DashboardBridge(QObject):
    """Typed signals from pipeline threads to the GUI thread (create it in the GUI thread)."""

    frame_received = pyqtSignal(FrameView)
    window_received = pyqtSignal(WindowResult)
    event_received = pyqtSignal(Event)
    status_received = pyqtSignal(PipelineStatus)


class DashboardSink(SinkBase):
    """The pipeline's view of the dashboard.

    Args:
        bridge: the signals object (made here if not given; must live in the GUI thread).
        max_pending_frames: frames sent but not yet drawn before new ones are dropped.
    """

    name = "dashboard"

    def __init__(self, bridge: DashboardBridge | None = None, *,
                 max_pending_frames: int = 2) -> None:
        self.bridge = bridge if bridge is not None else DashboardBridge()
        self.max_pending_frames = max_pending_frames
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False
        self._privacy = False
        self._bad_image_logged = False
        self.frames_sent = 0
        self.frames_dropped = 0

    # ------------------------------------------------------------------ GUI side
    @property
    def privacy(self) -> bool:
        return self._privacy

    @privacy.setter
    def privacy(self, enabled: bool) -> None:
        """Set from the GUI: while True, RGB is discarded here, before any QImage exists."""
        self._privacy = bool(enabled)

    def frame_drawn(self) -> None:
        """The GUI took one frame off the queue."""
        with self._lock:
            self._pending = max(0, self._pending - 1)

    # ------------------------------------------------------------- pipeline side
    def on_frame(self, preview: FramePreview) -> None:
        if self._closed:
            return
        with self._lock:
            if self._pending >= self.max_pending_frames:
                self.frames_dropped += 1
                return
            self._pending += 1
        image: QImage | None = None
        if preview.image is not None and not self._privacy:
            try:
                image = rgb_to_qimage(preview.image)
            except ValueError as exc:
                if not self._bad_image_logged:
                    log.warning("dashboard: frame not shown: %s", exc)
                    self._bad_image_logged = True
        view = FrameView(preview.time, image, preview.size, preview.keypoints, preview.scores,
                         preview.box)
        self.frames_sent += 1
        self.bridge.frame_received.emit(view)

    def on_window(self, result: WindowResult) -> None:
        if not self._closed:
            self.bridge.window_received.emit(result)

    def on_event(self, event: Event) -> None:
        if not self._closed:
            self.bridge.event_received.emit(event)

    def on_status(self, status: PipelineStatus) -> None:
        if not self._closed:
            self.bridge.status_received.emit(status)

    def close(self) -> None:
        self._closed = True
