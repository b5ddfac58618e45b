"""What the dashboard needs from the app (``edge_app.app.EdgeApp`` fits it).

A structural type, so the dashboard does not import the app (and with it ONNX Runtime
and MediaPipe) and tests can drive it with a stand-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

from edge_app.store import EventStore
from edge_app.types import DEFAULT_CAMERA, Controls, Sink

__all__ = ["CameraInfo", "PipelineLike", "cameras_of", "controls_of"]


class PipelineLike(Protocol):
    """The part of ``EdgeApp`` the dashboard uses.

    Its controls (privacy, monitoring, acknowledge, switch_source) are ``pipeline.controls``
    when it has that attribute, else the pipeline itself (see ``controls_of``). Its cameras
    are ``pipeline.cameras`` when it has that attribute (each with ``name``, ``room``,
    ``source_description`` and the camera's own controls), else one camera (see
    ``cameras_of``).
    """

    @property
    def finished(self) -> threading.Event: ...

    @property
    def store(self) -> EventStore: ...

    @property
    def class_names(self) -> tuple[str, ...]: ...

    @property
    def model_name(self) -> str: ...

    @property
    def source_description(self) -> str: ...

    def add_sink(self, sink: Sink) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class CameraInfo:
    """One camera as the dashboard sees it.

    ``name``: its id (what ``Event.camera``, ``WindowResult.camera``, ``FramePreview.camera``
    and ``PipelineStatus.camera`` carry); ``room``: where it watches ("" = not said);
    ``controls``: what the privacy, pause and source buttons change while it is selected;
    ``source``: the text it was opened with; ``current``: reads the text of the source
    it uses now (the camera's ``source_text``: a switch from MQTT shows too), or None
    when the camera does not say (the source dialog then starts from ``source`` or the
    last switch made on the dashboard).
    """

    name: str
    room: str
    source_description: str
    controls: Controls
    source: str = ""
    current: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """What a caregiver reads: the room, else the camera's name."""
        return self.room or self.name


def controls_of(pipeline: object) -> Controls:
    """``pipeline.controls`` if present, else the pipeline (which then implements them)."""
    controls = getattr(pipeline, "controls", None)
    return cast(Controls, controls if controls is not None else pipeline)


def cameras_of(pipeline: object, default_source: str = "") -> list[CameraInfo]:
    """The app's cameras, in order. One camera (the app's own controls, so one-camera
    behaviour is what it always was) when the app has one or has no ``cameras``."""
    cams = list(getattr(pipeline, "cameras", None) or [])
    if len(cams) <= 1:
        cam = cams[0] if cams else None
        return [CameraInfo(
            name=str(getattr(cam, "name", DEFAULT_CAMERA)),
            room=str(getattr(cam, "room", "")),
            source_description=str(getattr(pipeline, "source_description", "")),
            controls=controls_of(pipeline),
            source=str(getattr(cam, "source_text", "") or default_source),
            current=_source_reader(cam))]
    return [CameraInfo(name=str(c.name), room=str(getattr(c, "room", "")),
                       source_description=str(getattr(c, "source_description", "")),
                       controls=controls_of(c),
                       source=str(getattr(c, "source_text", "") or ""),
                       current=_source_reader(c))
            for c in cams]


def _source_reader(camera: object) -> Callable[[], str] | None:
    """What reads ``camera.source_text`` (the source in use) when it has one, else None."""
    if camera is None or not hasattr(camera, "source_text"):
        return None
    return lambda: str(getattr(camera, "source_text", "") or "")
