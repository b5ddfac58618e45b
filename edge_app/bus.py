"""The sink bus: every camera's events, windows, frames and status to every sink.

The app owns one bus (``edge_app.app.EdgeApp``); its cameras publish to it and the sinks
(event store, events file, log, MQTT, dashboard, systemd watchdog) hang on it. Each call is
typed; a sink that fails is logged and the others still get the message, so one broken
sink never silences an alert elsewhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from edge_app.types import Event, FramePreview, PipelineStatus, Sink, SinkHealth, WindowResult

__all__ = ["SinkBus"]

log = logging.getLogger(__name__)


class SinkBus:
    """Fan-out of typed calls to the attached sinks (thread-safe to attach while running)."""

    def __init__(self, sinks: list[Sink] | None = None) -> None:
        self._sinks: list[Sink] = list(sinks or [])
        self._lock = threading.Lock()

    def attach(self, sink: Sink) -> None:
        with self._lock:
            self._sinks = [*self._sinks, sink]

    @property
    def sinks(self) -> list[Sink]:
        return list(self._sinks)

    def _each(self, what: str, call: Callable[[Sink], object]) -> None:
        for sink in self._sinks:
            try:
                call(sink)
            except Exception:
                log.exception("sink %s failed on %s", sink.name, what)

    def event(self, event: Event) -> None:
        self._each("an event", lambda s: s.on_event(event))

    def window(self, result: WindowResult) -> None:
        self._each("a window", lambda s: s.on_window(result))

    def status(self, status: PipelineStatus) -> None:
        self._each("a status", lambda s: s.on_status(status))

    def frame(self, preview: FramePreview) -> None:
        self._each("a frame", lambda s: s.on_frame(preview))

    def acknowledgement(self, incident_id: str, by: str) -> None:
        self._each("an acknowledgement", lambda s: s.on_acknowledgement(incident_id, by))

    def health(self, name: str) -> SinkHealth | None:
        """The health of the sink called ``name`` (None: no such sink, or nothing to say)."""
        for sink in self._sinks:
            if sink.name == name:
                try:
                    return sink.health()
                except Exception:
                    log.exception("sink %s failed to report its health", sink.name)
                    return SinkHealth(name, "disconnected", "its health cannot be read")
        return None

    def close(self) -> None:
        """Close every sink (each once; a failure is logged, the others still close)."""
        with self._lock:
            sinks, self._sinks = self._sinks, []
        for sink in sinks:
            try:
                sink.close()
            except Exception:
                log.exception("sink %s failed to close", sink.name)
