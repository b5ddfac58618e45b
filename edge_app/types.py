"""Data that flows between the pipeline and its sinks (store, JSONL, MQTT, dashboard).

Plain frozen dataclasses; no Qt, no paho, no ONNX here, so every sink can import them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "EVENT_FIELDS",
    "Controls",
    "Event",
    "EventType",
    "FramePreview",
    "Level",
    "PipelineStatus",
    "Sink",
    "SinkBase",
    "SinkHealth",
    "WindowResult",
]

EventType = Literal["new", "update", "end"]
Level = Literal["info", "warning", "critical"]
LEVEL_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
# The events-file contract (DESIGN.md): these keys, in this order ("camera", the camera's
# name in a home with several, extends the contract: readers of the others are unaffected).
EVENT_FIELDS = ("type", "id", "label", "level", "score", "start_time", "end_time", "source",
                "camera")
DEFAULT_CAMERA = "camera"  # the name of the one camera when the config names none


@dataclass(frozen=True)
class Event:
    """One incident message: an activity segment (``info``) or an alert.

    One incident gives exactly one ``new``, any number of ``update``s and one ``end``.
    Times are seconds in the source's timeline (video position for files and keypoint
    replays, epoch for live sources); ``end_time`` is None until the ``end``.
    ``score`` is the highest smoothed probability seen so far in the incident.
    """

    type: EventType
    id: str
    label: str
    level: Level
    score: float
    start_time: float
    end_time: float | None
    source: str
    rule: str = "activity"  # activity | fall | long_lie | no_person | <class rule>
    wall_time: float = 0.0  # epoch seconds when it was emitted (for ordering, not contract)
    camera: str = DEFAULT_CAMERA  # which camera of the app raised it (``cameras:``)

    def to_contract(self) -> dict[str, Any]:
        """The JSON object of the events file, exactly DESIGN.md's keys."""
        d = asdict(self)
        return {k: d[k] for k in EVENT_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_alert(self) -> bool:
        return self.level != "info"


@dataclass(frozen=True)
class WindowResult:
    """The model's verdict on one window.

    ``probs`` are softmax probabilities ``(num_classes,)``; ``smoothed`` the averaged
    ones the event engine decides on. ``time`` is the end of the window in the source
    timeline (s). ``person_present``: a person was seen in the window.
    """

    time: float
    start_time: float
    probs: npt.NDArray[np.float32]
    smoothed: npt.NDArray[np.float32]
    class_names: tuple[str, ...]
    person_present: bool
    pose_only: bool
    latency_ms: float
    source: str
    # why falls/lying are held back in this window (edge_app.view, edge_app.posture);
    # "" = judged
    view: str = ""
    camera: str = DEFAULT_CAMERA

    @property
    def top(self) -> tuple[str, float]:
        i = int(np.argmax(self.smoothed))
        return self.class_names[i], float(self.smoothed[i])

    def top_k(self, k: int = 3) -> list[tuple[str, float]]:
        order = np.argsort(-self.smoothed)[:k]
        return [(self.class_names[i], float(self.smoothed[i])) for i in order]


@dataclass(frozen=True)
class SinkHealth:
    """How a sink that talks to the outside is doing (``Sink.health``), e.g. MQTT."""

    name: str  # the sink's name ("mqtt")
    state: str  # "connected" | "connecting" | "disconnected"
    detail: str = ""  # the last error, in words

    def describe(self) -> str:
        return f"{self.state} ({self.detail})" if self.detail else self.state

    @property
    def ok(self) -> bool:
        return self.state == "connected"


@dataclass(frozen=True)
class PipelineStatus:
    """One camera's diagnostics, published once a second (typed fields, no dict)."""

    source: str
    source_fps: float
    sample_rate_hz: float
    pose_ms: float
    inference_ms: float
    dropped_frames: int
    skipped_windows: int
    windows: int
    model_name: str
    provider: str
    privacy: bool
    monitoring: bool
    person_present: bool
    person_down: bool
    current_activity: str
    confidence: float
    problem: str = ""  # what keeps the monitor from watching now (camera down, stalled)
    loop_age_s: float = 0.0  # seconds since the sampling loop last went round
    camera: str = DEFAULT_CAMERA
    room: str = ""
    error: str = ""  # the camera pipeline stopped on this error ("" while it runs)
    skipped_samples: int = 0
    decision_ms: float = 0.0  # window end -> decision delivered
    untrained_model: bool = False
    mqtt: SinkHealth | None = None  # None: MQTT is off
    store_mb: float = 0.0  # the event store's size on disk

    @property
    def mqtt_text(self) -> str:
        return self.mqtt.describe() if self.mqtt is not None else "off"


@dataclass(frozen=True)
class FramePreview:
    """What the dashboard draws for one sample.

    ``image`` is an RGB uint8 frame (None in privacy mode: never RGB on screen);
    ``keypoints`` ``(M, 17, 2)`` in the image's pixels, ``scores`` ``(M, 17)``;
    ``box`` the window's global box in the same pixels, or None.
    """

    time: float
    image: npt.NDArray[np.uint8] | None
    size: tuple[int, int]
    keypoints: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    box: tuple[int, int, int, int] | None
    camera: str = DEFAULT_CAMERA


@runtime_checkable
class Sink(Protocol):
    """Something the pipeline reports to. Calls come from pipeline threads: return fast."""

    name: str

    def on_event(self, event: Event) -> None: ...

    def on_window(self, result: WindowResult) -> None: ...

    def on_status(self, status: PipelineStatus) -> None: ...

    def on_frame(self, preview: FramePreview) -> None: ...

    def on_acknowledgement(self, incident_id: str, by: str) -> None: ...

    def health(self) -> SinkHealth | None: ...

    def close(self) -> None: ...


class SinkBase:
    """A sink that ignores everything; subclass and override what you need."""

    name = "sink"

    def on_event(self, event: Event) -> None:
        return None

    def on_window(self, result: WindowResult) -> None:
        return None

    def on_status(self, status: PipelineStatus) -> None:
        return None

    def on_frame(self, preview: FramePreview) -> None:
        return None

    def on_acknowledgement(self, incident_id: str, by: str) -> None:
        """An incident was acknowledged (dashboard, MQTT): tell the outside."""
        return None

    def health(self) -> SinkHealth | None:
        """None: nothing to report (the sink does not talk to the outside)."""
        return None

    def close(self) -> None:
        return None


class Controls(Protocol):
    """What sinks (MQTT commands, dashboard buttons) may change in one camera's pipeline."""

    def set_privacy(self, enabled: bool) -> None: ...

    def set_monitoring(self, enabled: bool) -> None: ...

    def acknowledge(self, event_id: str, by: str) -> bool: ...

    def switch_source(self, uri: str) -> None: ...

    @property
    def privacy(self) -> bool: ...

    @property
    def monitoring(self) -> bool: ...
