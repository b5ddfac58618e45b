"""One camera's pipeline: sampler -> windower -> inference worker -> decider -> the app's bus.

Data flows one way through the stages, each in its own module:

- ``edge_app.sampler``: the source's frames -> samples at the window's rate, on the
  source's own clock (media time for files and replays, wall clock for live cameras);
- ``edge_app.windower``: pose per frame, the person followed, the ring buffer, windows;
- ``edge_app.runner.InferenceWorker``: EPAM-Net on its own thread (a window still waiting
  when the next one comes is skipped on live sources, never queued without bound);
- ``edge_app.decider``: the view and posture checks and the event engine -> incidents;
- the app's ``edge_app.bus.SinkBus``: events, windows, frames, status to every sink.

Threads: the sampling loop (sampler + windower), the inference worker (model + decider).
The camera is also its own ``Controls``: privacy, monitoring, acknowledgement and a switch
to another source (camera, file, stream or keypoint replay, from the dashboard or MQTT).
A switch is taken between two samples: the new source is opened first (the old one keeps
running if it cannot be, whatever the error), the worker finishes the window it holds,
the old source's incidents end under its own name, and the new source starts with a
fresh ring buffer, tracker and decider. A source switched to that fails while its frames
are read (a malformed file) ends there, with one error line, and the camera goes back to
the source before it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from edge_app.backends import InferenceRunner
from edge_app.bus import SinkBus
from edge_app.config import AppConfig
from edge_app.decider import Decider
from edge_app.runner import InferenceWorker, softmax
from edge_app.sampler import Sampler, SamplerStats, make_sampler
from edge_app.sources import (
    Source,
    SourceError,
    SourceSpec,
    open_source,
    parse_source,
    redact_source,
)
from edge_app.store import EventStore
from edge_app.types import DEFAULT_CAMERA, PipelineStatus, WindowResult
from edge_app.windower import Windower, WindowJob

__all__ = ["RESUME_DOWN_S", "CameraPipeline", "PipelineStats"]

log = logging.getLogger(__name__)

RESUME_DOWN_S = 24 * 3600.0  # a fall left open by a stopped run is carried on this long


@dataclass
class PipelineStats:
    """Counters and moving averages (ms) for diagnostics and benchmarks: a snapshot of
    the camera's stages (``CameraPipeline.stats``)."""

    frames: int = 0
    samples: int = 0
    pose_calls: int = 0
    windows: int = 0
    skipped_windows: int = 0
    skipped_samples: int = 0
    decode_ms: float = 0.0
    pose_ms: float = 0.0
    window_ms: float = 0.0
    inference_ms: float = 0.0
    decision_ms: float = 0.0  # window end (wall) -> result delivered
    max_decision_ms: float = 0.0
    zoom_calls: int = 0  # pose calls that looked again at a region (edge_app.zoom)
    started_wall: float = field(default_factory=time.monotonic)
    source_time: float = 0.0
    totals: dict[str, float] = field(default_factory=lambda: {
        "decode": 0.0, "pose": 0.0, "window": 0.0, "inference": 0.0})


@dataclass
class _InferenceStats:
    windows: int = 0
    inference_ms: float = 0.0
    inference_total_ms: float = 0.0
    decision_ms: float = 0.0
    max_decision_ms: float = 0.0

    def add_inference(self, ms: float) -> None:
        self.inference_total_ms += ms
        old = self.inference_ms
        self.inference_ms = ms if old == 0.0 else 0.9 * old + 0.1 * ms


class CameraPipeline:
    """One camera: ``start()`` returns at once; ``wait()`` until its source ends."""

    def __init__(
        self,
        cfg: AppConfig,
        *,
        runner: InferenceRunner,
        store: EventStore,
        bus: SinkBus,
        name: str = DEFAULT_CAMERA,
        room: str = "",
        source: str | None = None,
        realtime: bool | None = None,
        max_seconds: float | None = None,
    ) -> None:
        self.cfg = cfg
        self.name = name
        self.room = room
        self.runner = runner
        self.store = store
        self.bus = bus
        self._source_text = source if source is not None else cfg.resolved_source()
        self.spec: SourceSpec = parse_source(self._source_text)
        meta = runner.metadata
        self.class_names = meta.class_names
        self.model_name = f"{meta.model_name} ({runner.path.name})"
        self.sample_rate = float(cfg.window.sample_rate_hz or meta.sample_rate_hz)
        self.stride = cfg.window.stride
        self.realtime = cfg.source.mode == "realtime" if realtime is None else realtime
        self.max_seconds = max_seconds
        self.source: Source | None = None
        self.source_description = self.spec.describe()
        self.error: str | None = None
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._switch_to: str | None = None
        self._switch_failed = ""  # why the last switch could not be taken
        self._opening: str | None = None  # a switch taken while waiting, not yet opened
        self._previous_text = ""  # the source before the last switch (to go back to)
        self._lock = threading.Lock()
        self._privacy = cfg.privacy.enabled
        self._monitoring = True
        self._waiting = ""  # why the source is not open yet (a camera down at start)
        self._last_result: WindowResult | None = None
        self._stopped = False
        self._started_wall = time.monotonic()
        self._sampler_stats = SamplerStats()
        self._sampler: Sampler | None = None
        self._infer = _InferenceStats()
        self.windower = Windower(cfg, stride=self.stride, sample_rate=self.sample_rate,
                                 camera=name, on_preview=bus.frame)
        self.decider = Decider(cfg, self.class_names, bus.event,
                               source=self.source_description, sample_rate=self.sample_rate,
                               camera=name)
        # someone down when a live camera's app stopped (crash, power cut, restart) is
        # still down: their fall and long lie are carried on; everything else is ended
        carried = (store.open_down(self.source_description, ("fall", "long_lie"),
                                   RESUME_DOWN_S, camera=name) if self.spec.live else [])
        store.close_dangling(keep=self.decider.resume(carried), camera=name)
        self._worker: InferenceWorker | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ controls
    @property
    def controls(self) -> CameraPipeline:
        return self

    @property
    def privacy(self) -> bool:
        return self._privacy or self.spec.kind == "keypoints"

    @property
    def monitoring(self) -> bool:
        return self._monitoring

    def set_privacy(self, enabled: bool) -> None:
        if enabled != self._privacy:
            log.info("%s: privacy mode %s", self.name,
                     "on: pose only, no RGB" if enabled else "off")
        self._privacy = enabled

    def set_monitoring(self, enabled: bool) -> None:
        if enabled != self._monitoring:
            log.info("%s: monitoring %s", self.name, "resumed" if enabled else "paused")
        self._monitoring = enabled

    def acknowledge(self, event_id: str, by: str) -> bool:
        ok = self.store.acknowledge(event_id, by)
        if ok:
            log.info("incident %s acknowledged by %s", event_id, by)
            self.bus.acknowledgement(event_id, by)
        return ok

    def switch_source(self, uri: str) -> None:
        """Watch ``uri`` instead (taken between two samples). ``SourceError`` at once for
        text that names no source; a source that cannot be opened is logged and shown as
        the camera's problem, and the current one goes on."""
        parse_source(uri)
        with self._lock:
            self._switch_to = uri

    @property
    def source_text(self) -> str:
        """The text of the source in use (or waited for), as given: credentials and all
        (show it with ``redact_source``). Changes only when a switch is taken."""
        return self._source_text

    @property
    def switching(self) -> bool:
        """A switch was asked for and is neither taken nor refused yet: also while a
        camera that was down at start tries the new source for the first time (False
        once the camera has stopped)."""
        with self._lock:
            asked = (self._switch_to is not None or self._next_source is not None
                     or self._opening is not None)
        return asked and not self.finished.is_set()

    @property
    def switch_error(self) -> str:
        """Why the last switch was not taken ("" when it was, or none was asked)."""
        if self.finished.is_set() and self._switch_to is not None:
            return "the camera has stopped (its source ended or it was stopped)"
        return self._switch_failed

    # ------------------------------------------------------------------ lifecycle
    def open_source(self, text: str) -> Source:
        """Open ``text`` as this camera's source (each source has its own stop: closing
        it never stops the camera)."""
        return open_source(
            text, realtime=self.realtime, loop=self.cfg.source.loop,
            reconnect_initial_s=self.cfg.source.reconnect_initial_s,
            reconnect_max_s=self.cfg.source.reconnect_max_s,
            width=self.cfg.source.width, height=self.cfg.source.height)

    def start(self) -> None:
        """Open the source and the pose model (errors raise here), then start the threads."""
        try:
            self.source = self.open_source(self._source_text)
        except SourceError as exc:
            if not (self.spec.live and self._wait_at_start()):
                raise
            self.source = None  # the sampling thread opens it once it is there
            self._waiting = str(exc)
            log.error("%s; waiting for it (retrying every %.0f-%.0f s)", exc,
                      self.cfg.source.reconnect_initial_s, self.cfg.source.reconnect_max_s)
        self.decider.announce_resumed()  # the sinks are attached by now
        if self.spec.kind != "keypoints":
            self.windower.open_pose()  # a missing or broken pose model fails here
        self._worker = InferenceWorker(self._handle_job,  # type: ignore[arg-type]
                                       name=f"inference-{self.name}")
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.name}",
                                        daemon=True)
        log.info("%s: running on %s at %.1f samples/s, stride %d, %s%s", self.name,
                 self.source_description, self.sample_rate, self.stride,
                 "realtime" if self.realtime or self.spec.live else "as fast as possible",
                 ", privacy mode (pose only)" if self.privacy else "")
        self._thread.start()

    def _wait_at_start(self) -> bool:
        mode = self.cfg.source.wait_at_start
        if mode == "auto":
            return bool(os.environ.get("NOTIFY_SOCKET"))  # run by systemd
        return bool(mode)

    def request_stop(self) -> None:
        """Ask the camera to stop (signal-safe); ``stop()`` finishes it."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    def stop(self) -> None:
        """Stop the threads and end the open incidents (sinks stay the app's). Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60.0)
        else:
            self._finish()

    def _finish(self) -> None:
        if self._worker is not None:
            self._worker.stop()
        try:
            # a live camera's shutdown leaves a confirmed fall open: the next run carries
            # it on (the person may still be down); a file's end ends everything
            self.decider.flush(keep_down=self.spec.live)
        except Exception:
            log.exception("%s: could not end the open incidents", self.name)
        if self.source is not None:
            self.source.close()
        self._zoom_calls = self.windower.zoom_calls
        self.windower.close()
        self.finished.set()

    _zoom_calls = 0

    # ------------------------------------------------------------------ sampling loop
    def _run(self) -> None:
        try:
            if self.source is None and not self._open_when_there():
                return
            while not self._stop.is_set():
                assert self.source is not None
                failed = self._run_source(self.source)
                if failed and not self._stop.is_set():
                    # a source that failed while read: the switch asked for, else the
                    # source before it, else the camera ends on the error
                    if not ((self._switch_asked() and self._take_switch())
                            or self._go_back(failed)):
                        break
                    continue
                if not self._take_switch():
                    break
        except Exception as exc:
            self.error = f"{exc.__class__.__name__}: {exc}"
            log.exception("%s: the pipeline stopped on an error", self.name)
        finally:
            self._finish()

    def _run_source(self, source: Source) -> str:
        """Sample ``source`` until it ends, ``max_seconds``, a stop or a switch to take.
        Returns why the source failed while its frames were read (one line, credentials
        masked), or "" when it ended, was stopped or is left for a switch."""
        sampler = make_sampler(source, self.sample_rate, max_seconds=self.max_seconds,
                               stats=self._sampler_stats)
        self._sampler = sampler
        with_rgb_model = self.runner.rgb_trained
        samples = sampler.samples(self._stop)
        while True:
            try:
                frame, times = next(samples)
            except StopIteration:
                break
            except Exception as exc:  # the source's frames (a malformed file): it ends
                why = _one_line(exc)
                log.error("%s: %s failed while reading it: %s", self.name,
                          redact_source(self._source_text), why)
                return why
            if self._switch_pending() and self._switch_now():
                return ""
            if not self._monitoring:
                self.windower.paused(frame, privacy=self.privacy)
                continue
            for job in self.windower.feed(frame, times, privacy=self.privacy,
                                          with_rgb_model=with_rgb_model):
                assert self._worker is not None
                # files --fast: wait for the model (every window evaluated, deterministic);
                # live and realtime: replace a waiting window (skipped, counted).
                self._worker.submit(job, block=not (self.spec.live or self.realtime))
        if sampler.stats.reached_limit:
            self._stop.set()
        return ""

    def _switch_pending(self) -> bool:
        with self._lock:
            return self._switch_to is not None

    def _switch_asked(self) -> bool:
        """A switch is opened or asked for (taken by ``_take_switch``)."""
        with self._lock:
            return self._next_source is not None or self._switch_to is not None

    _next_source: Source | None = None

    def _switch_now(self) -> bool:
        """Open the source asked for while the current one still runs: True when it is
        open (the caller leaves the current source), False when it cannot be (logged and
        shown as the problem; the current source goes on). Any error of the new source's
        opening (a malformed file too) is a failed switch, never the camera's end."""
        with self._lock:
            nxt = self._switch_to  # still asked for (``switching``) while it opens
        if nxt is None:
            return False
        try:
            opened = self.open_source(nxt)
        except Exception as exc:
            with self._lock:
                self._switch_failed = f"cannot switch to {redact_source(nxt)}: {_one_line(exc)}"
                if self._switch_to == nxt:
                    self._switch_to = None
            log.error("%s: %s; staying on %s", self.name, self._switch_failed,
                      self.source_description)
            return False
        with self._lock:
            self._next_source, self._next_text = opened, nxt
            if self._switch_to == nxt:
                self._switch_to = None
        return True

    _next_text = ""

    def _take_switch(self) -> bool:
        """After ``_run_source`` returned: move to the source opened by ``_switch_now``
        (True), or end (False: the source ended or the camera stops)."""
        if self._next_source is None:
            if self._stop.is_set() or not self._switch_pending():
                return False
            # the source ended just as a switch came: open it now
            if not self._switch_now():
                return False
        nxt = self._next_source  # cleared once the switch is taken (``switching``)
        assert nxt is not None
        if self._worker is not None:
            self._worker.drain()  # the old source's last window is decided first
        old = self.source_description
        self.decider.flush()  # the old source's incidents end under its own name
        if self.source is not None:
            self.source.close()
        self.source = nxt
        with self._lock:  # no reader sees the new source with the last switch's error
            self._switch_failed = ""
        self._previous_text = self._source_text
        self._source_text = self._next_text
        self.spec = parse_source(self._next_text)
        self.source_description = self.spec.describe()
        self.decider = self.decider.for_source(self.source_description)
        self.windower.reset()
        self._sampler_stats = SamplerStats(frames=self._sampler_stats.frames,
                                           skipped_samples=self._sampler_stats.skipped_samples,
                                           decode_total_ms=self._sampler_stats.decode_total_ms)
        with self._lock:
            self._next_source = None
        log.info("%s: switched from %s to %s", self.name, old, self.source_description)
        return True

    def _go_back(self, why: str) -> bool:
        """The source switched to failed while its frames were read (``why``): go back to
        the one before it (True; the failure stays the camera's problem), or, when there
        is none or it cannot be opened again, end the camera on a clear error (False)."""
        failed = redact_source(self._source_text)
        previous = self._previous_text
        if previous:
            try:
                opened = self.open_source(previous)
            except Exception as exc:
                log.error("%s: cannot go back to %s: %s", self.name, redact_source(previous),
                          _one_line(exc))
            else:
                with self._lock:
                    self._next_source, self._next_text = opened, previous
                self._take_switch()
                self._previous_text = ""  # never back and forth between two failing ones
                with self._lock:
                    self._switch_failed = (f"{failed} failed while reading it: {why}; back "
                                           f"on {self.source_description}")
                log.warning("%s: back on %s", self.name, self.source_description)
                return True
        self.error = f"{failed} failed while reading it: {why}"
        return False

    def _open_when_there(self) -> bool:
        """Retry opening a live source that was down at start, with the reconnect
        backoff, until it opens (True) or the camera stops (False). A source switch
        asked for meanwhile (dashboard, MQTT) is taken at once: ``switching`` until its
        first try is over; a failed try is the switch's error (and it is retried)."""
        delay = self.cfg.source.reconnect_initial_s
        while not self._stop.is_set():
            self._sampler_stats.beat = time.monotonic()
            with self._lock:
                nxt, self._switch_to = self._switch_to, None
                if nxt is not None:
                    self._opening = nxt
            if nxt is not None:
                self._source_text = nxt
                self.spec = parse_source(nxt)
                self.source_description = self.spec.describe()
                self.decider.flush()
                self.decider = self.decider.for_source(self.source_description)
                log.info("%s: switching to %s while waiting for the camera", self.name,
                         self.source_description)
                delay = self.cfg.source.reconnect_initial_s
            else:
                self._stop.wait(delay)
            if self._stop.is_set():
                return False
            try:
                self.source = self.open_source(self._source_text)
            except Exception as exc:  # any error of the opening: not there yet
                self._waiting = _one_line(exc)
                with self._lock:
                    tried, self._opening = self._opening, None
                    if tried is not None:
                        self._switch_failed = (f"cannot switch to {redact_source(tried)}: "
                                               f"{self._waiting}; retrying")
                if tried is not None:
                    log.error("%s: %s", self.name, self._switch_failed)
                delay = min(delay * 2, self.cfg.source.reconnect_max_s)
                continue
            log.warning("%s is there now: monitoring", self.source_description)
            self._waiting = ""
            with self._lock:
                self._opening = None
                self._switch_failed = ""
            return True
        return False

    # ------------------------------------------------------------------ inference
    def _handle_job(self, job: WindowJob) -> None:
        decider = self.decider  # a switch replaces it only once this job is done (drain)
        if job.window is None:
            decider.decide(job, None)
            self._deliver(job, None, np.zeros(len(self.class_names), np.float32), 0.0, False,
                          decider)
            return
        w = job.window
        pred = self.runner.predict(w.pose, None if job.pose_only else w.rgb)
        self._infer.windows += 1
        self._infer.add_inference(pred.latency_ms)
        probs = softmax(pred.logits)
        smoothed = decider.decide(job, probs)
        self._deliver(job, probs, smoothed if smoothed is not None else probs,
                      pred.latency_ms, True, decider)

    def _deliver(self, job: WindowJob, probs: npt.NDArray[np.float32] | None,
                 smoothed: npt.NDArray[np.float32], latency: float, present: bool,
                 decider: Decider) -> None:
        result = WindowResult(
            time=job.end_time, start_time=job.start_time,
            probs=probs if probs is not None else np.zeros_like(smoothed),
            smoothed=smoothed, class_names=self.class_names, person_present=present,
            pose_only=job.pose_only, latency_ms=latency, source=decider.source,
            view=decider.last_view if present else "", camera=self.name)
        self._last_result = result
        self.bus.window(result)
        decision = (time.monotonic() - job.built_wall) * 1e3
        self._infer.decision_ms = decision
        self._infer.max_decision_ms = max(self._infer.max_decision_ms, decision)

    # ------------------------------------------------------------------ status
    @property
    def stats(self) -> PipelineStats:
        s, w, i = self._sampler_stats, self.windower.stats, self._infer
        skipped = self._worker.skipped if self._worker is not None else 0
        return PipelineStats(
            frames=s.frames, samples=w.samples, pose_calls=w.pose_calls, windows=i.windows,
            skipped_windows=skipped, skipped_samples=s.skipped_samples,
            decode_ms=s.decode_ms, pose_ms=w.pose_ms, window_ms=w.window_ms,
            inference_ms=i.inference_ms, decision_ms=i.decision_ms,
            max_decision_ms=i.max_decision_ms,
            zoom_calls=self.windower.zoom_calls or self._zoom_calls,
            started_wall=self._started_wall, source_time=s.source_time,
            totals={"decode": s.decode_total_ms, "pose": w.pose_total_ms,
                    "window": w.window_total_ms, "inference": i.inference_total_ms})

    @property
    def loop_age_s(self) -> float:
        beat = self._sampler_stats.beat
        return round(time.monotonic() - beat, 1) if beat else 0.0

    def problem(self) -> str:
        """What keeps this camera from watching now, in one line ("" when nothing)."""
        if self.error:
            return self.error
        if self._waiting:
            return f"waiting for the camera: {self._waiting}"
        sampler = self._sampler
        if sampler is not None and sampler.source is self.source and sampler.problem:
            return sampler.problem
        return self._switch_failed

    def status(self) -> PipelineStatus:
        src = self.source
        label, conf = self.decider.current
        st = self.stats
        return PipelineStatus(
            source=self.source_description,
            source_fps=float(src.fps) if src is not None else 0.0,
            sample_rate_hz=self.sample_rate,
            pose_ms=round(st.pose_ms, 2),
            inference_ms=round(st.inference_ms, 2),
            dropped_frames=int(src.dropped) if src is not None else 0,
            skipped_windows=st.skipped_windows,
            windows=st.windows,
            model_name=self.model_name,
            provider=self.runner.providers[0],
            privacy=self.privacy,
            monitoring=self._monitoring,
            person_present=bool(self._last_result and self._last_result.person_present),
            person_down=self.decider.person_down,
            current_activity=label,
            confidence=round(conf, 4),
            problem=self.problem(),
            loop_age_s=self.loop_age_s,
            camera=self.name,
            room=self.room,
            error=self.error or "",
            skipped_samples=st.skipped_samples,
            decision_ms=round(st.decision_ms, 1),
            untrained_model=self.runner.untrained,
        )


def _one_line(exc: BaseException) -> str:
    """``exc`` in one line, credentials masked: a ``SourceError``'s own message (it says
    what to do), else the exception's class and message."""
    text = str(exc) if isinstance(exc, SourceError) else f"{exc.__class__.__name__}: {exc}"
    return redact_source(" ".join(text.split()))
