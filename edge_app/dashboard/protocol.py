"""What the dashboard needs from the pipeline (``edge_app.pipeline.Pipeline`` fits it).

A structural type, so the dashboard does not import the pipeline (and with it ONNX
Runtime and MediaPipe) and tests can drive it with a stand-in.
"""

from __future__ import annotations

import threading
from typing import Protocol, cast

from edge_app.store import EventStore
from edge_app.types import Controls, Sink

__all__ = ["PipelineLike", "controls_of"]


class PipelineLike(Protocol):
    """The part of ``Pipeline`` the dashboard uses.

    Its controls (privacy, monitoring, acknowledge, switch_source) are ``pipeline.controls``
    when it has that attribute, else the pipeline itself (see ``controls_of``).
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


def controls_of(pipeline: object) -> Controls:
    """``pipeline.controls`` if present, else the pipeline (which then implements them)."""
    controls = getattr(pipeline, "controls", None)
    return cast(Controls, controls if controls is not None else pipeline)
