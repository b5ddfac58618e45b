"""Built-in sinks: the SQLite event store, the JSON-lines events file, the log."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import IO

from edge_app.store import EventStore
from edge_app.types import Event, SinkBase

__all__ = ["JsonlSink", "LogSink", "StoreSink"]

log = logging.getLogger(__name__)


class StoreSink(SinkBase):
    """Every event into the SQLite history."""

    name = "store"

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def on_event(self, event: Event) -> None:
        self.store.record(event)


class JsonlSink(SinkBase):
    """``--events-out``: one JSON object per line in DESIGN.md's format, flushed per line."""

    name = "jsonl"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._f: IO[str] | None = path.open("a", encoding="utf-8")

    def on_event(self, event: Event) -> None:
        line = json.dumps(event.to_contract(), ensure_ascii=False)
        with self._lock:
            if self._f is None:
                log.warning("event after close, not written to %s: %s", self.path, line)
                return
            self._f.write(line + "\n")
            self._f.flush()

    def close(self) -> None:
        with self._lock:
            if self._f is not None:
                self._f.close()
                self._f = None


class LogSink(SinkBase):
    """Incidents in the log: alerts at WARNING, activity segments at INFO."""

    name = "log"

    def on_event(self, event: Event) -> None:
        level = logging.WARNING if event.is_alert else logging.INFO
        end = f"-{event.end_time:.1f}s" if event.end_time is not None else ""
        log.log(level, "%s %s %s (%.2f) at %.1fs%s", event.level.upper(), event.type,
                event.label, event.score, event.start_time, end)
