"""A stand-in pipeline for dashboard tests: a real EventStore, worker threads, no model."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from edge_app.store import EventStore
from edge_app.types import (
    DEFAULT_CAMERA,
    Event,
    FramePreview,
    PipelineStatus,
    Sink,
    SinkHealth,
    WindowResult,
)
from model.labels import ADL_CLASSES

MAGENTA = (255, 0, 255)


class FakeControls:
    """Controls that store acknowledgements like the real pipeline does."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._privacy = False
        self._monitoring = True
        self.acks: list[tuple[str, str]] = []
        self.sources: list[str] = []

    def set_privacy(self, enabled: bool) -> None:
        self._privacy = enabled

    def set_monitoring(self, enabled: bool) -> None:
        self._monitoring = enabled

    def acknowledge(self, event_id: str, by: str) -> bool:
        self.acks.append((event_id, by))
        return self.store.acknowledge(event_id, by)

    def switch_source(self, uri: str) -> None:
        self.sources.append(uri)

    @property
    def privacy(self) -> bool:
        return self._privacy

    @property
    def monitoring(self) -> bool:
        return self._monitoring


class FakeCamera:
    """One camera of a ``FakePipeline`` with several: its name, room, source, controls."""

    def __init__(self, store: EventStore, name: str, room: str = "",
                 source: str = "file one-by-one-person-detection.mp4") -> None:
        self.name = name
        self.room = room
        self.source_text = source.removeprefix("file ")
        self.source_description = source
        self.controls = FakeControls(store)


class FakePipeline:
    """Feeds its sinks from a worker thread, like the real one. ``feed(p)`` runs in it.

    ``cameras``: ``(name, room)`` of each camera for an app with several (each with its
    own ``FakeControls``: ``p.camera("bedroom").controls``); without, one camera and no
    ``cameras`` attribute, as the dashboard always knew it.
    """

    class_names = ADL_CLASSES
    model_name = "EPAM-Net ADL (fake.onnx)"
    source_description = "file one-by-one-person-detection.mp4"

    def __init__(self, store: EventStore,
                 feed: Callable[[FakePipeline], None] | None = None, *,
                 cameras: list[tuple[str, str]] | None = None) -> None:
        self.store = store
        if cameras is not None:
            self.cameras = [FakeCamera(store, n, r, f"file {n}.mp4") for n, r in cameras]
        self.controls = FakeControls(store)
        self.finished = threading.Event()
        self.sinks: list[Sink] = []
        self.feed = feed
        self.started = False
        self.stopped = False
        self._thread: threading.Thread | None = None

    def camera(self, name: str) -> FakeCamera:
        return next(c for c in self.cameras if c.name == name)

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def start(self) -> None:
        self.started = True
        self._thread = threading.Thread(target=self._run, name="fake-pipeline", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self.feed is not None:
                self.feed(self)
        finally:
            self.finished.set()

    def stop(self) -> None:
        self.stopped = True
        self.finished.set()
        if self._thread is not None:
            self._thread.join(5.0)
        for s in self.sinks:
            s.close()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    # what the real pipeline does with an event: store first, then the other sinks
    def emit(self, event: Event) -> None:
        self.store.record(event)
        for s in self.sinks:
            s.on_event(event)

    def frame(self, preview: FramePreview) -> None:
        for s in self.sinks:
            s.on_frame(preview)

    def window(self, result: WindowResult) -> None:
        for s in self.sinks:
            s.on_window(result)

    def status(self, status: PipelineStatus) -> None:
        for s in self.sinks:
            s.on_status(status)


def standing_person(w: int = 640, h: int = 480, dx: float = 0.0) -> npt.NDArray[np.float32]:
    """COCO-17 keypoints ``(1, 17, 2)`` of an upright person in a w x h frame."""
    cx, top = w * 0.5 + dx, h * 0.18
    s = h / 480
    pts = [
        (0, -10), (-6, -16), (6, -16), (-14, -12), (14, -12),
        (-40, 40), (40, 40), (-52, 100), (52, 100), (-56, 155), (56, 155),
        (-26, 165), (26, 165), (-30, 250), (30, 250), (-32, 330), (32, 330),
    ]  # fmt: skip
    return np.array([[(cx + x * s, top + 20 * s + y * s) for x, y in pts]], np.float32)


def magenta_frame(w: int = 640, h: int = 480) -> npt.NDArray[np.uint8]:
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = MAGENTA
    return img


def preview(image: npt.NDArray[np.uint8] | None, t: float = 0.0, w: int = 640,
            h: int = 480, camera: str = DEFAULT_CAMERA, dx: float = 0.0) -> FramePreview:
    kps = standing_person(w, h, dx)
    return FramePreview(time=t, image=image, size=(w, h), keypoints=kps,
                        scores=np.full((1, 17), 0.9, np.float32),
                        box=(int(w * 0.3 + dx), int(h * 0.1), int(w * 0.7 + dx), int(h * 0.95)),
                        camera=camera)


def window_result(label: str = "walking", p: float = 0.8, t: float = 3.2,
                  present: bool = True, camera: str = DEFAULT_CAMERA) -> WindowResult:
    n = len(ADL_CLASSES)
    probs = np.full(n, (1 - p) / (n - 1), np.float32)
    probs[ADL_CLASSES.index(label)] = p
    return WindowResult(time=t, start_time=t - 3.2, probs=probs, smoothed=probs,
                        class_names=ADL_CLASSES, person_present=present, pose_only=False,
                        latency_ms=80.0, source="fake", camera=camera)


def status(**kw: object) -> PipelineStatus:
    base: dict[str, object] = dict(
        source="file one-by-one-person-detection.mp4", source_fps=30.0, sample_rate_hz=15.0,
        pose_ms=14.2, inference_ms=86.0, dropped_frames=0, skipped_windows=0, windows=10,
        model_name="EPAM-Net ADL (fake.onnx)", provider="CPUExecutionProvider", privacy=False,
        monitoring=True, person_present=True, person_down=False,
        current_activity="walking", confidence=0.8, mqtt=SinkHealth("mqtt", "connected"))
    base.update(kw)
    return PipelineStatus(**base)  # type: ignore[arg-type]


def incident_events(store: EventStore, *, label: str, start_wall: float, end_wall: float | None,
                    level: str = "info", rule: str = "activity", iid: str | None = None,
                    score: float = 0.8, camera: str = DEFAULT_CAMERA) -> str:
    """Record a new (+ end) pair in ``store`` at the given wall times; returns the id."""
    iid = iid or f"{label.replace(' ', '_')}-{start_wall:.0f}"
    store.record(Event("new", iid, label, level, score, start_wall, None, "fake", rule,  # type: ignore[arg-type]
                       start_wall, camera))
    if end_wall is not None:
        store.record(Event("end", iid, label, level, score, start_wall, end_wall, "fake",  # type: ignore[arg-type]
                           rule, end_wall, camera))
    return iid


def wait_until(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Process Qt events until ``cond()`` or ``timeout`` s."""
    from PyQt6.QtTest import QTest

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        QTest.qWait(20)
    return cond()
