"""The app: what every camera shares, and its cameras.

``EdgeApp(cfg)`` owns the event store, the sink bus (store, events file, log, then MQTT,
the dashboard and the systemd watchdog as the CLI attaches them), the model (one ONNX
session serves every camera, one window at a time), the status clock (each camera's
diagnostics once a second, the store's retention once a day), signal handling and the
one run loop used headless and under the dashboard; and N ``CameraPipeline``s
(``edge_app.camera``), one per entry of ``cameras:`` in the config, or one for
``--source``/``source.uri``.

It is also the app's ``Controls`` (what the dashboard and MQTT may change): privacy and
monitoring apply to every camera, an acknowledgement to the incident it names, and a
source switch to the first camera (``camera(name).switch_source`` for the others).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType

from edge_app.backends import InferenceRunner, make_runner
from edge_app.bus import SinkBus
from edge_app.camera import CameraPipeline, PipelineStats
from edge_app.config import AppConfig
from edge_app.runner import Prediction
from edge_app.sinks import JsonlSink, LogSink, StoreSink
from edge_app.sources import SourceSpec
from edge_app.store import EventStore
from edge_app.types import PipelineStatus, Sink

__all__ = ["EdgeApp"]

log = logging.getLogger(__name__)


class _SharedRunner:
    """One model for every camera: ``predict`` one window at a time (the session's
    threads already use every core; OpenVINO's infer request is not shared safely)."""

    def __init__(self, runner: InferenceRunner) -> None:
        self._runner = runner
        self._lock = threading.Lock()
        self.path = runner.path
        self.sha256 = runner.sha256
        self.metadata = runner.metadata
        self.providers = runner.providers

    @property
    def class_names(self) -> tuple[str, ...]:
        return self._runner.class_names

    @property
    def untrained(self) -> bool:
        return self._runner.untrained

    @property
    def rgb_trained(self) -> bool:
        return self._runner.rgb_trained

    def predict(self, pose: object, rgb: object) -> Prediction:
        with self._lock:
            return self._runner.predict(pose, rgb)  # type: ignore[arg-type]


class EdgeApp:
    """The running monitor. ``start()`` returns at once; ``run()`` is the whole life of
    the app (start, wait for the end or a signal, stop)."""

    def __init__(
        self,
        cfg: AppConfig,
        *,
        source: str | None = None,
        model_path: Path | None = None,
        events_out: Path | None = None,
        realtime: bool | None = None,
        max_seconds: float | None = None,
    ) -> None:
        self.cfg = cfg
        self.runner = make_runner(cfg, model_path or cfg.resolved_model_path())
        meta = self.runner.metadata
        self.class_names = meta.class_names
        self.model_name = f"{meta.model_name} ({self.runner.path.name})"
        self.store = EventStore.open_checked(cfg.resolved_store_path())
        self._next_prune = 0.0  # store.retention_days: at start, then once a day
        self._prune_store()
        sinks: list[Sink] = [StoreSink(self.store), LogSink()]
        if events_out is not None:
            sinks.append(JsonlSink(events_out))
        self.bus = SinkBus(sinks)
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._stopped = False
        self._status_thread: threading.Thread | None = None
        shared = _SharedRunner(self.runner)
        self.cameras: list[CameraPipeline] = []
        try:
            for cam in cfg.camera_list(source):
                self.cameras.append(CameraPipeline(
                    cfg.for_camera(cam), runner=shared, store=self.store, bus=self.bus,
                    name=cam.name, room=cam.room, source=cam.source, realtime=realtime,
                    max_seconds=max_seconds))
        except BaseException:
            self.store.close()
            raise

    # ------------------------------------------------------------------ cameras
    @property
    def camera(self) -> CameraPipeline:
        """The first (with ``--source``, the only) camera."""
        return self.cameras[0]

    def camera_named(self, name: str) -> CameraPipeline:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(f"no camera named {name!r} (cameras: "
                       f"{', '.join(c.name for c in self.cameras)})")

    # the first camera's, for one-camera callers (dashboard title, benchmarks, tests)
    @property
    def source_description(self) -> str:
        return self.camera.source_description

    @property
    def spec(self) -> SourceSpec:
        return self.camera.spec

    @property
    def stats(self) -> PipelineStats:
        return self.camera.stats

    @property
    def error(self) -> str | None:
        errors = [f"{c.name}: {c.error}" if len(self.cameras) > 1 else c.error
                  for c in self.cameras if c.error]
        return "; ".join(errors) if errors else None

    def status(self) -> PipelineStatus:
        """The first camera's status (``statuses()`` for every camera)."""
        return self.statuses()[0]

    def statuses(self) -> list[PipelineStatus]:
        mqtt = self.bus.health("mqtt")
        size = round(self.store.size_mb(), 2)
        out = []
        for cam in self.cameras:
            st = cam.status()
            out.append(replace(st, mqtt=mqtt, store_mb=size))
        return out

    # ------------------------------------------------------------------ sinks
    def add_sink(self, sink: Sink) -> None:
        self.bus.attach(sink)

    @property
    def sinks(self) -> list[Sink]:
        return self.bus.sinks

    # ------------------------------------------------------------------ controls
    @property
    def controls(self) -> EdgeApp:
        return self

    @property
    def privacy(self) -> bool:
        return all(c.privacy for c in self.cameras)

    @property
    def monitoring(self) -> bool:
        return any(c.monitoring for c in self.cameras)

    def set_privacy(self, enabled: bool) -> None:
        for cam in self.cameras:
            cam.set_privacy(enabled)

    def set_monitoring(self, enabled: bool) -> None:
        for cam in self.cameras:
            cam.set_monitoring(enabled)

    def acknowledge(self, event_id: str, by: str) -> bool:
        # the cameras share the store and the bus: any of them acknowledges any incident
        return self.camera.acknowledge(event_id, by)

    def switch_source(self, uri: str) -> None:
        self.camera.switch_source(uri)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Open every camera's source and pose model (errors raise here: the cameras
        already started are stopped again), then start the status clock."""
        if self.runner.untrained:
            log.warning("the model %s is UNTRAINED (random weights): activity labels and "
                        "alerts are meaningless until a trained model is installed",
                        self.runner.path.name)
        if not self.runner.rgb_trained:
            log.info("the model's RGB stream was not trained (provenance: trained_streams %s): "
                     "using the pose stream alone", self.runner.metadata.provenance.get(
                         "trained_streams"))
        started: list[CameraPipeline] = []
        try:
            for cam in self.cameras:
                cam.start()
                started.append(cam)
        except BaseException:
            for cam in started:
                cam.stop()
            raise
        watch = threading.Thread(target=self._watch_cameras, name="cameras", daemon=True)
        watch.start()
        self._status_thread = threading.Thread(target=self._status_loop, name="status",
                                               daemon=True)
        self._status_thread.start()

    def _watch_cameras(self) -> None:
        """The app is finished when every camera is (files at their end, or a stop)."""
        for cam in self.cameras:
            cam.finished.wait()
        self.finished.set()

    def request_stop(self) -> None:
        """Ask every camera to stop (signal-safe); ``stop()`` finishes the app."""
        self._stop.set()
        for cam in self.cameras:
            cam.request_stop()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    def stop(self) -> None:
        """Stop every camera (ending their open incidents), publish a last status, then
        flush and close the sinks and the store. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        for cam in self.cameras:
            cam.request_stop()
        for cam in self.cameras:
            cam.stop()
        self.finished.set()
        if self._status_thread is not None:
            self._status_thread.join(timeout=5.0)
        self.bus.close()
        self.store.close()

    @contextmanager
    def signals_stop(self, on_signal: Callable[[], None] | None = None) -> Iterator[None]:
        """SIGINT and SIGTERM ask the app to stop (events flushed, sinks closed), in the
        headless loop and under the dashboard alike. Main thread only; elsewhere a no-op."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: stopping and flushing events", signal.Signals(signum).name)
            self.request_stop()
            if on_signal is not None:
                on_signal()

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    def run(self) -> int:
        """Headless: start, run until every camera ends or a signal comes, stop.
        Returns 0, or 1 when a camera stopped on an error."""
        with self.signals_stop():
            try:
                self.start()
                while not self.wait(0.5):
                    pass
            finally:
                self.stop()
        for cam in self.cameras:
            st = cam.stats
            log.info("done%s: %d frames, %d samples, %d windows (%d skipped), %.1f s of "
                     "source", f" ({cam.name})" if len(self.cameras) > 1 else "", st.frames,
                     st.samples, st.windows, st.skipped_windows, st.source_time)
        if self.error:
            log.error("stopped on an error: %s", self.error)
            return 1
        return 0

    # ------------------------------------------------------------------ status
    def _prune_store(self) -> None:
        """History older than ``store.retention_days`` leaves the event store (at start,
        then once a day: months in a home must not fill the disk)."""
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + 86400.0
        try:
            n = self.store.prune(self.cfg.store.retention_days)
        except Exception as exc:  # a store problem must not stop the monitoring
            log.error("could not prune the event store: %s", exc)
            return
        if n:
            log.info("event store: %d incidents older than %d days removed", n,
                     self.cfg.store.retention_days)

    def _publish_status(self) -> None:
        for st in self.statuses():
            self.bus.status(st)

    def _status_loop(self) -> None:
        while not self.finished.wait(1.0):
            self._prune_store()
            self._publish_status()
        self._publish_status()

