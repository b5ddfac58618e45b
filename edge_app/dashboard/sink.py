"""The dashboard's sink: pipeline threads in, Qt signals out.

The pipeline calls ``on_frame``/``on_window``/``on_event``/``on_status`` from its worker
threads. This sink never touches a widget: it builds the ``QImage`` in the calling thread
(explicit bytes-per-line, copied) and emits typed signals that reach the GUI thread as
queued calls. Frames are latest-wins: when the GUI has not drawn the frames already sent,
new ones are dropped (counted) instead of queueing without bound, so a slow screen never
slows the pipeline. Events are never dropped.

With several cameras every message carries its camera's name (``.camera``) and the
window routes it by that. Frames are latest-wins per camera, and only the camera on
screen (``shown_camera``) has its frames made into images: the others are dropped here,
before any pixel is copied. Privacy is per camera.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QImage

from edge_app.types import (
    DEFAULT_CAMERA,
    Event,
    FramePreview,
    PipelineStatus,
    SinkBase,
    WindowResult,
)

__all__ = ["DashboardBridge", "DashboardSink", "FrameView", "rgb_to_qimage"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameView:
    """One sample ready to draw.

    ``image``: the RGB frame as a QImage, or None (privacy mode: never RGB on screen).
    ``size``: ``(width, height)`` of the pixel frame the keypoints and box are in.
    ``keypoints`` ``(M, 17, 2)`` pixels, ``scores`` ``(M, 17)`` 0-1, ``box`` x0,y0,x1,y1.
    ``camera``: the name of the camera it comes from.
    """

    time: float
    image: QImage | None
    size: tuple[int, int]
    keypoints: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    box: tuple[int, int, int, int] | None
    camera: str = DEFAULT_CAMERA

    def without_image(self) -> FrameView:
        return FrameView(self.time, None, self.size, self.keypoints, self.scores, self.box,
                         self.camera)


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
        self._pending: dict[str, int] = {}
        self._closed = False
        self._privacy = False  # every camera's, unless set for one (``set_camera_privacy``)
        self._camera_privacy: dict[str, bool] = {}
        self._bad_image_logged = False
        self.shown_camera: str | None = None  # None: every camera's frames are drawn
        self.frames_sent = 0
        self.frames_dropped = 0
        self.frames_hidden = 0  # frames of cameras not on screen (not made into images)

    # ------------------------------------------------------------------ GUI side
    @property
    def privacy(self) -> bool:
        """True when no camera's RGB gets through."""
        if self._camera_privacy:
            return all(self._camera_privacy.values())
        return self._privacy

    @privacy.setter
    def privacy(self, enabled: bool) -> None:
        """Set from the GUI for every camera: while True, RGB is discarded here, before
        any QImage exists."""
        self._camera_privacy = {}
        self._privacy = bool(enabled)

    def set_camera_privacy(self, camera: str, enabled: bool) -> None:
        """Privacy for one camera (set from the GUI)."""
        self._camera_privacy = {**self._camera_privacy, camera: bool(enabled)}

    def privacy_of(self, camera: str) -> bool:
        return self._camera_privacy.get(camera, self._privacy)

    def frame_drawn(self, camera: str = DEFAULT_CAMERA) -> None:
        """The GUI took one frame of ``camera`` off the queue."""
        with self._lock:
            self._pending[camera] = max(0, self._pending.get(camera, 0) - 1)

    # ------------------------------------------------------------- pipeline side
    def on_frame(self, preview: FramePreview) -> None:
        if self._closed:
            return
        camera = preview.camera
        shown = self.shown_camera
        if shown is not None and camera != shown:
            self.frames_hidden += 1
            return
        with self._lock:
            pending = self._pending.get(camera, 0)
            if pending >= self.max_pending_frames:
                self.frames_dropped += 1
                return
            self._pending[camera] = pending + 1
        image: QImage | None = None
        if preview.image is not None and not self.privacy_of(camera):
            try:
                image = rgb_to_qimage(preview.image)
            except ValueError as exc:
                if not self._bad_image_logged:
                    log.warning("dashboard: frame not shown: %s", exc)
                    self._bad_image_logged = True
        view = FrameView(preview.time, image, preview.size, preview.keypoints, preview.scores,
                         preview.box, camera)
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
