"""The running pipeline: source -> pose -> ring buffer -> windows -> EPAM-Net -> events -> sinks.

Threads: the capture thread (live sources), the sampling loop (pose at the window's
sample rate, ring buffer, window building) and the inference worker (model, event
engine, sinks). A status thread reports diagnostics once a second. ``Pipeline``
also implements ``Controls`` (privacy, monitoring, acknowledgement, source switch).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge_app.backends import make_runner
from edge_app.config import AppConfig
from edge_app.events import EventEngine
from edge_app.pose import PoseResult, PoseTracker
from edge_app.posture import BodyPosture, body_posture, standing_again
from edge_app.runner import InferenceWorker, softmax
from edge_app.sinks import JsonlSink, LogSink, StoreSink
from edge_app.sources import (
    KeypointReplaySource,
    LiveSource,
    Source,
    SourceError,
    SourceFrame,
    VideoFileSource,
    open_source,
    parse_source,
)
from edge_app.store import EventStore
from edge_app.track import PersonTracks
from edge_app.types import Event, FramePreview, PipelineStatus, Sink, WindowResult
from edge_app.view import ViewCheck, check_view
from edge_app.window import (
    RingBuffer,
    Sample,
    Window,
    WindowBuilder,
    downscale,
    same_person,
)
from model.contract import CLIP_LEN, NUM_KEYPOINTS

__all__ = ["Pipeline", "PipelineStats"]

log = logging.getLogger(__name__)

RESUME_DOWN_S = 24 * 3600.0  # a fall left open by a stopped run is carried on this long


@dataclass
class PipelineStats:
    """Counters and moving averages (ms) for diagnostics and benchmarks."""

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

    def add(self, name: str, ms: float) -> None:
        self.totals[name] = self.totals.get(name, 0.0) + ms
        attr = f"{name}_ms"
        old = getattr(self, attr)
        setattr(self, attr, ms if old == 0.0 else 0.9 * old + 0.1 * ms)


@dataclass
class _Job:
    window: Window | None  # None: nobody seen in this window
    end_time: float
    start_time: float
    built_wall: float
    pose_only: bool
    view: ViewCheck | None = None
    posture: BodyPosture | None = None


class Pipeline:
    """One camera's pipeline. ``start()`` returns at once; ``wait()`` until it finishes."""

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
        self.source_text = source if source is not None else cfg.resolved_source()
        self.spec = parse_source(self.source_text)
        self.runner = make_runner(cfg, model_path or cfg.resolved_model_path())
        meta = self.runner.metadata
        self.class_names = meta.class_names
        self.model_name = f"{meta.model_name} ({self.runner.path.name})"
        self.sample_rate = float(cfg.window.sample_rate_hz or meta.sample_rate_hz)
        self.stride = cfg.window.stride
        if realtime is None:
            realtime = cfg.source.mode == "realtime"
        self.realtime = realtime
        self.max_seconds = max_seconds
        self.store = EventStore.open_checked(cfg.resolved_store_path())
        # someone down when a live camera's app stopped (crash, power cut, restart) is
        # still down: their fall and long lie are carried on; everything else is ended
        carried = (self.store.open_down(self.spec.describe(), ("fall", "long_lie"),
                                        RESUME_DOWN_S) if self.spec.live else [])
        self._next_prune = 0.0  # store.retention_days: at start, then once a day
        self._prune_store()
        self._sinks: list[Sink] = [StoreSink(self.store), LogSink()]
        if events_out is not None:
            self._sinks.append(JsonlSink(events_out))
        self._privacy = cfg.privacy.enabled
        self._monitoring = True
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._switch_to: str | None = None
        self._lock = threading.Lock()
        self.stats = PipelineStats()
        self.source: Source | None = None
        self.source_description = self.spec.describe()
        self.error: str | None = None
        self._pose: PoseTracker | None = None
        tc = cfg.pose.track
        self._tracks = PersonTracks(cfg.pose.num_poses, keep_s=tc.keep_s, reach=tc.reach,
                                    speed=tc.speed, switch_ratio=tc.switch_ratio
                                    ) if tc.enabled else None
        self._engine = EventEngine(cfg.events, self.class_names, self._emit,
                                   source=self.source_description)
        self.store.close_dangling(keep=self._engine.resume(carried))
        self._worker: InferenceWorker | None = None
        self._thread: threading.Thread | None = None
        self._status_thread: threading.Thread | None = None
        self._last_result: WindowResult | None = None
        self._stopped = False

    # ------------------------------------------------------------------ controls
    @property
    def controls(self) -> Pipeline:
        """The pipeline is its own ``Controls`` (privacy, monitoring, acks, source)."""
        return self

    @property
    def privacy(self) -> bool:
        return self._privacy or self.spec.kind == "keypoints"

    @property
    def monitoring(self) -> bool:
        return self._monitoring

    def set_privacy(self, enabled: bool) -> None:
        if enabled != self._privacy:
            log.info("privacy mode %s", "on: pose only, no RGB" if enabled else "off")
        self._privacy = enabled

    def set_monitoring(self, enabled: bool) -> None:
        if enabled != self._monitoring:
            log.info("monitoring %s", "resumed" if enabled else "paused")
        self._monitoring = enabled

    def acknowledge(self, event_id: str, by: str) -> bool:
        ok = self.store.acknowledge(event_id, by)
        if ok:
            log.info("incident %s acknowledged by %s", event_id, by)
            for sink in self._sinks:
                publish = getattr(sink, "publish_acknowledgement", None)
                if callable(publish):
                    try:
                        publish(event_id, by)
                    except Exception:
                        log.exception("sink %s failed to publish an acknowledgement", sink.name)
        return ok

    def switch_source(self, uri: str) -> None:
        parse_source(uri)  # raises SourceError on nonsense before we drop the current one
        with self._lock:
            self._switch_to = uri

    # ------------------------------------------------------------------ sinks
    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    @property
    def sinks(self) -> list[Sink]:
        return list(self._sinks)

    def _emit(self, event: Event) -> None:
        for sink in self._sinks:
            try:
                sink.on_event(event)
            except Exception:
                log.exception("sink %s failed on an event", sink.name)

    def _broadcast(self, method: str, arg: object) -> None:
        for sink in self._sinks:
            try:
                getattr(sink, method)(arg)
            except Exception:
                log.exception("sink %s failed in %s", sink.name, method)

    # ------------------------------------------------------------------ lifecycle
    def open_source(self, text: str) -> Source:
        return open_source(
            text, realtime=self.realtime, loop=self.cfg.source.loop,
            reconnect_initial_s=self.cfg.source.reconnect_initial_s,
            reconnect_max_s=self.cfg.source.reconnect_max_s,
            width=self.cfg.source.width, height=self.cfg.source.height, stop=self._stop)

    def start(self) -> None:
        """Open the source and pose model (errors raise here), then start the threads."""
        if self.runner.untrained:
            log.warning("the model %s is UNTRAINED (random weights): activity labels and "
                        "alerts are meaningless until a trained model is installed",
                        self.runner.path.name)
        if not self.runner.rgb_trained:
            log.info("the model's RGB stream was not trained (provenance: trained_streams %s): "
                     "using the pose stream alone", self.runner.metadata.provenance.get(
                         "trained_streams"))
        try:
            self.source = self.open_source(self.source_text)
        except SourceError as exc:
            if not (self.spec.live and self._wait_at_start()):
                raise
            self.source = None  # the sampling thread opens it once it is there
            self._waiting = str(exc)
            log.error("%s; waiting for it (retrying every %.0f-%.0f s)", exc,
                      self.cfg.source.reconnect_initial_s, self.cfg.source.reconnect_max_s)
        self._engine.announce_resumed()  # the sinks are attached by now
        if not isinstance(self.source, KeypointReplaySource):
            self._pose = PoseTracker.from_config(self.cfg.pose,
                                                 self.cfg.resolved_pose_model_path())
        self._worker = InferenceWorker(self._handle_job)  # type: ignore[arg-type]
        self._thread = threading.Thread(target=self._run, name="pipeline", daemon=True)
        self._status_thread = threading.Thread(target=self._status_loop, name="status",
                                               daemon=True)
        log.info("running on %s at %.1f samples/s, stride %d, %s%s", self.source_description,
                 self.sample_rate, self.stride,
                 "realtime" if self.realtime or self.spec.live else "as fast as possible",
                 ", privacy mode (pose only)" if self.privacy else "")
        self._thread.start()
        self._status_thread.start()

    _waiting = ""  # why the source is not open yet (a camera down at start)
    _loop_beat = 0.0  # time.monotonic() of the sampling loop's last round

    def _wait_at_start(self) -> bool:
        mode = self.cfg.source.wait_at_start
        if mode == "auto":
            return bool(os.environ.get("NOTIFY_SOCKET"))  # run by systemd
        return bool(mode)

    def _open_when_there(self) -> bool:
        """Retry opening a live source that was down at start, with the reconnect
        backoff, until it opens (True) or the pipeline stops (False). A source switch
        asked for meanwhile (dashboard, MQTT) is taken at once."""
        delay = self.cfg.source.reconnect_initial_s
        while not self._stop.is_set():
            self._loop_beat = time.monotonic()
            with self._lock:
                nxt, self._switch_to = self._switch_to, None
            if nxt is not None:
                self.source_text = nxt
                self.spec = parse_source(nxt)
                self.source_description = self.spec.describe()
                self._engine.source = self.source_description
                log.info("switching to %s while waiting for the camera", self.source_description)
                delay = self.cfg.source.reconnect_initial_s
            else:
                self._stop.wait(delay)
            if self._stop.is_set():
                return False
            try:
                self.source = self.open_source(self.source_text)
            except SourceError as exc:
                self._waiting = str(exc)
                delay = min(delay * 2, self.cfg.source.reconnect_max_s)
                continue
            log.warning("%s is there now: monitoring", self.source_description)
            self._waiting = ""
            return True
        return False

    def request_stop(self) -> None:
        """Ask the pipeline to stop (signal-safe); ``stop()`` finishes it."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    def stop(self) -> None:
        """Stop every thread, end open incidents, flush and close the sinks. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60.0)
        else:
            self._finish()
        if self._status_thread is not None:
            self._status_thread.join(timeout=5.0)
        for sink in self._sinks:
            try:
                sink.close()
            except Exception:
                log.exception("sink %s failed to close", sink.name)
        self.store.close()

    def _finish(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self.stats.skipped_windows = self._worker.skipped
        try:
            # a live camera's shutdown leaves a confirmed fall open: the next run carries
            # it on (the person may still be down); a file's end ends everything
            self._engine.flush(keep_down=self.spec.live)
        except Exception:
            log.exception("could not end the open incidents")
        if self.source is not None:
            self.source.close()
        if self._pose is not None:
            self.stats.zoom_calls = self._pose.zoom_calls
            self._pose.close()
            self._pose = None
        self.finished.set()

    # ------------------------------------------------------------------ sampling loop
    def _run(self) -> None:
        try:
            if self.source is None and not self._open_when_there():
                return
            while not self._stop.is_set():
                assert self.source is not None
                self._run_source(self.source)
                with self._lock:
                    nxt, self._switch_to = self._switch_to, None
                if nxt is None:
                    break
                self.source.close()
                try:
                    self.source = self.open_source(nxt)
                    self.source_text = nxt
                    self.spec = parse_source(nxt)
                    self.source_description = self.spec.describe()
                    self._engine.source = self.source_description
                    self._engine.flush()
                    log.info("switched to %s", self.source_description)
                except Exception as exc:
                    self.error = str(exc)
                    log.error("cannot switch to %s: %s", nxt, exc)
                    break
        except Exception as exc:
            self.error = f"{exc.__class__.__name__}: {exc}"
            log.exception("the pipeline stopped on an error")
        finally:
            self._finish()

    def _run_source(self, source: Source) -> None:
        if self._tracks is not None:
            self._tracks.reset()
        if isinstance(source, LiveSource):
            self._run_live(source)
        else:
            self._run_file(source)

    def _sample(self, ring: RingBuffer, builder: WindowBuilder, frame: SourceFrame,
                times: list[float]) -> None:
        """Pose of ``frame`` (once per frame) and one sample per time in ``times``."""
        if not times:
            return
        if not self._monitoring:
            ring.clear()
            if self._tracks is not None:
                self._tracks.reset()
            self._broadcast("on_frame", self._preview(frame, None, None))
            return
        if self._pose_frame is not frame:
            pose = self._pose_of(frame)
            self._pose_ids = None
            if self._tracks is not None:
                pose = self._tracks.update(frame.time, pose)
                self._pose_ids = self._tracks.ids.copy()
            self._pose_result = pose
            self._pose_frame = frame
        assert self._pose_result is not None
        for t in times:
            self._push_sample(ring, builder, frame, self._pose_result, t)

    _pose_frame: SourceFrame | None = None
    _pose_result: PoseResult | None = None
    _pose_ids: npt.NDArray[np.int64] | None = None

    @property
    def _discredited(self) -> set[int]:
        """Track ids that were not the person (``edge_app.track``): left out of windows."""
        return self._tracks.discredited if self._tracks is not None else set()

    def _run_file(self, source: Source) -> None:
        """Files and keypoint replays: each sample takes the latest frame at or before it."""
        ring = RingBuffer(CLIP_LEN)
        builder = WindowBuilder()
        period = 1.0 / self.sample_rate
        next_sample: float | None = None
        frame_period = 1.0 / source.fps if source.fps > 0 else 0.0
        if isinstance(source, VideoFileSource):
            # decode only frames some sample will use: s in [t, t + frame period)
            source.wanted = lambda t: next_sample is None or next_sample < t + frame_period - 1e-9
        prev: SourceFrame | None = None
        t_start: float | None = None
        limit = float("inf")
        frames = source.frames()
        while not self._stop.is_set():
            self._loop_beat = time.monotonic()
            with self._lock:
                if self._switch_to is not None:
                    return
            t0 = time.perf_counter()
            frame = next(frames, None)
            self.stats.add("decode", (time.perf_counter() - t0) * 1e3)
            if t_start is None and frame is not None:
                t_start = frame.time
                next_sample = frame.time
                if self.max_seconds is not None:
                    limit = t_start + self.max_seconds
            if prev is not None and next_sample is not None:
                # samples up to this frame (or, at the end, one frame period past the last)
                until = frame.time if frame is not None else prev.time + max(frame_period, 1e-6)
                until = min(until, limit)
                times = []
                while next_sample < until - 1e-9:
                    times.append(next_sample)
                    next_sample += period
                self._sample(ring, builder, prev, times)
            if frame is None:
                return
            self.stats.frames += 1
            assert t_start is not None
            self.stats.source_time = frame.time - t_start
            if frame.time >= limit:
                log.info("reached --max-seconds %.1f", self.max_seconds)
                self._stop.set()
                return
            prev = frame

    def _run_live(self, source: LiveSource) -> None:
        """Live sources: at every tick of the sample clock, the newest frame."""
        ring = RingBuffer(CLIP_LEN)
        builder = WindowBuilder()
        period = 1.0 / self.sample_rate
        next_tick = time.monotonic()
        t_start: float | None = None
        while not self._stop.is_set():
            self._loop_beat = time.monotonic()
            with self._lock:
                if self._switch_to is not None:
                    return
            now = time.monotonic()
            if now < next_tick:
                self._stop.wait(next_tick - now)
            missed = int((time.monotonic() - next_tick) // period)
            if missed > 0:  # pose fell behind the sample clock: samples skipped, counted
                self.stats.skipped_samples += missed
                next_tick += missed * period
            next_tick += period
            t0 = time.perf_counter()
            frame = source.latest(timeout=max(period, 0.5))
            if frame is None:
                self._note_stall(source)
                continue
            if self._stalled_since is not None:
                log.warning("%s: frames again after %.0f s without any", source.description,
                            time.monotonic() - self._stalled_since)
                self._stalled_since = None
            self.stats.add("decode", (time.perf_counter() - t0) * 1e3)
            self.stats.frames += 1
            if t_start is None:
                t_start = frame.time
            self.stats.source_time = frame.time - t_start
            if self.max_seconds is not None and frame.time - t_start >= self.max_seconds:
                log.info("reached --max-seconds %.1f", self.max_seconds)
                self._stop.set()
                return
            self._sample(ring, builder, frame, [frame.time])

    STALL_S = 5.0  # a live source silent this long is logged (once per stall)
    _stalled_since: float | None = None

    def _note_stall(self, source: LiveSource) -> None:
        """Log once when a live source has given no frame for ``STALL_S`` (a stream that
        stalls without an error: the capture thread is blocked in its read)."""
        last = source.last_frame_wall
        if self._stalled_since is not None or last is None:
            return
        if time.monotonic() - last >= self.STALL_S:
            self._stalled_since = last
            log.warning("%s: no frame for %.0f s (stream stalled or camera gone); waiting "
                        "for it%s", source.description, time.monotonic() - last,
                        "" if source.connected else ", reconnecting")

    def _pose_of(self, frame: SourceFrame) -> PoseResult:
        if frame.keypoints is not None and frame.scores is not None:
            kp, sc = frame.keypoints, frame.scores
            present = sc.max(axis=1) > 0 if sc.size else np.zeros(0, bool)
            return PoseResult(kp[present].astype(np.float32), sc[present].astype(np.float32))
        assert self._pose is not None and frame.image is not None
        t0 = time.perf_counter()
        res = self._pose.process(frame.image, frame.time)
        self.stats.add("pose", (time.perf_counter() - t0) * 1e3)
        self.stats.pose_calls += 1
        return res

    def _push_sample(self, ring: RingBuffer, builder: WindowBuilder, frame: SourceFrame,
                     pose: PoseResult, t: float) -> None:
        persons = self.cfg.pose.num_poses
        kp = np.zeros((persons, NUM_KEYPOINTS, 2), dtype=np.float32)
        sc = np.zeros((persons, NUM_KEYPOINTS), dtype=np.float32)
        m = min(pose.num_persons, persons)
        kp[:m] = pose.keypoints[:m]
        sc[:m] = pose.scores[:m]
        n = int((sc.max(axis=1) > 0).sum())  # the tracker leaves empty slots at zero
        stored: npt.NDArray[np.uint8] | None = None
        scale = 1.0
        privacy = self.privacy
        if frame.image is not None and not privacy:
            stored, scale = downscale(frame.image, self.cfg.window.store_side)
        ring.push(Sample(t, stored, scale, kp, sc, frame.size, n, track_ids=self._pose_ids))
        self.stats.samples += 1
        self._broadcast("on_frame", self._preview(frame, pose, self._last_box))
        if ring.full and ring.pushed >= self.stride:
            ring.pushed = 0
            t0 = time.perf_counter()
            samples = ring.samples()
            # once per window: the samples of tracks that were never a person are left out
            keep = same_person(samples, self._discredited)  # (P, T)
            seen = np.stack([s.scores.max(axis=1) > 0 for s in samples], axis=1) & keep
            persons_seen = int(seen.any(axis=0).sum())
            if persons_seen == 0:
                job = _Job(None, t, samples[0].time, time.monotonic(), True)
            else:
                with_rgb = not privacy and self.runner.rgb_trained and all(
                    samples[i].frame is not None for i in range(0, CLIP_LEN, CLIP_LEN // 16))
                window = builder.build(samples, with_rgb=with_rgb, keep=keep)
                self._last_box = window.box.as_tuple()
                job = _Job(window, t, samples[0].time, time.monotonic(), not with_rgb,
                           *self._checks_of(samples, keep))
            self.stats.add("window", (time.perf_counter() - t0) * 1e3)
            assert self._worker is not None
            # files --fast: wait for the model (every window evaluated, deterministic);
            # live and realtime: replace a waiting window (skipped, counted).
            block = not (self.spec.live or self.realtime)
            self._worker.submit(job, block=block)
            self.stats.skipped_windows = self._worker.skipped

    _last_box: tuple[int, int, int, int] | None = None

    def _checks_of(self, samples: list[Sample], keep: npt.NDArray[np.bool_]
                   ) -> tuple[ViewCheck | None, BodyPosture | None]:
        """The window's view verdict and the body's posture at its end, from one stack
        of its keypoints (the persons' samples left out by ``keep`` count as unseen)."""
        kp = np.stack([s.keypoints for s in samples], axis=1)
        sc = np.stack([s.scores for s in samples], axis=1) * keep[..., None]
        return self._view_of(kp, sc, samples[-1].image_size), self._posture_of(kp, sc)

    def _view_of(self, kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32],
                 image_size: tuple[int, int]) -> ViewCheck | None:
        """Is the person in full view at the end of the window (``edge_app.view``), and
        not standing again where they started (``edge_app.posture``)?"""
        vc = self.cfg.events.view_check
        st = self.cfg.events.standing_check
        if not (vc.enabled or st.enabled):
            return None
        if vc.enabled:
            verdict = check_view(kp, sc, image_size,
                                 tail=max(1, round(vc.tail_s * self.sample_rate)),
                                 edge_margin=vc.edge_margin, min_torso=vc.min_torso,
                                 max_torso=vc.max_torso, min_seen=vc.min_seen)
            if not verdict.ok:
                return verdict
        if not st.enabled:
            return ViewCheck.good()
        return standing_again(kp, sc, tail=max(1, round(st.tail_s * self.sample_rate)),
                              head=max(1, round(st.head_s * self.sample_rate)),
                              min_upright=st.min_upright, min_legs=st.min_legs,
                              max_drop=st.max_drop, min_torso_ratio=st.min_torso_ratio)

    def _posture_of(self, kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32]
                    ) -> BodyPosture | None:
        """The body at the window's end, for the fall's phases (``edge_app.posture``)."""
        fc = self.cfg.events.fall_confirm
        if not fc.enabled:
            return None
        return body_posture(kp, sc, tail=max(1, round(fc.tail_s * self.sample_rate)),
                            min_upright=fc.min_upright, min_legs=fc.min_legs,
                            max_down_upright=fc.down_upright)

    def _preview(self, frame: SourceFrame, pose: PoseResult | None,
                 box: tuple[int, int, int, int] | None) -> FramePreview:
        kp = np.zeros((0, NUM_KEYPOINTS, 2), np.float32)
        sc = np.zeros((0, NUM_KEYPOINTS), np.float32)
        if pose is not None and pose.num_persons:
            seen = pose.scores.max(axis=1) > 0  # slots the tracker left empty are not drawn
            kp, sc = pose.keypoints[seen], pose.scores[seen]
        return FramePreview(
            time=frame.time,
            image=None if self.privacy else frame.image,
            size=frame.size,
            keypoints=kp,
            scores=sc,
            box=box,
        )

    # ------------------------------------------------------------------ inference
    def _handle_job(self, job: _Job) -> None:
        if job.window is None:
            self._engine.observe(job.end_time, None, person_present=False,
                                 window_start=job.start_time)
            self._deliver(job, None, np.zeros(len(self.class_names), np.float32), 0.0, False)
            return
        w = job.window
        pred = self.runner.predict(w.pose, None if job.pose_only else w.rgb)
        self.stats.windows += 1
        self.stats.add("inference", pred.latency_ms)
        probs = softmax(pred.logits)
        smoothed = self._engine.observe(job.end_time, probs, person_present=True,
                                        window_start=job.start_time, view=job.view,
                                        posture=job.posture)
        self._deliver(job, probs, smoothed if smoothed is not None else probs, pred.latency_ms,
                      True)

    def _deliver(self, job: _Job, probs: npt.NDArray[np.float32] | None,
                 smoothed: npt.NDArray[np.float32], latency: float, present: bool) -> None:
        result = WindowResult(
            time=job.end_time, start_time=job.start_time,
            probs=probs if probs is not None else np.zeros_like(smoothed),
            smoothed=smoothed, class_names=self.class_names, person_present=present,
            pose_only=job.pose_only, latency_ms=latency, source=self.source_description,
            view=job.view.reason if job.view is not None else "")
        self._last_result = result
        self._broadcast("on_window", result)
        decision = (time.monotonic() - job.built_wall) * 1e3
        self.stats.decision_ms = decision
        self.stats.max_decision_ms = max(self.stats.max_decision_ms, decision)

    # ------------------------------------------------------------------ status
    def status(self) -> PipelineStatus:
        src = self.source
        label, conf = self._engine.current
        return PipelineStatus(
            source=self.source_description,
            source_fps=float(src.fps) if src is not None else 0.0,
            sample_rate_hz=self.sample_rate,
            pose_ms=round(self.stats.pose_ms, 2),
            inference_ms=round(self.stats.inference_ms, 2),
            dropped_frames=int(src.dropped) if src is not None else 0,
            skipped_windows=self.stats.skipped_windows,
            windows=self.stats.windows,
            model_name=self.model_name,
            provider=self.runner.providers[0],
            privacy=self.privacy,
            monitoring=self._monitoring,
            person_present=bool(self._last_result and self._last_result.person_present),
            person_down=self._engine.person_down,
            current_activity=label,
            confidence=round(conf, 4),
            problem=self._problem(),
            loop_age_s=round(time.monotonic() - self._loop_beat, 1) if self._loop_beat else 0.0,
            extra={"mqtt": self._mqtt_state(),
                   "skipped_samples": self.stats.skipped_samples,
                   "decision_ms": round(self.stats.decision_ms, 1),
                   "untrained_model": self.runner.untrained,
                   "error": self.error},
        )

    def _problem(self) -> str:
        """What keeps the monitor from watching now, in one line ("" when nothing)."""
        if self.error:
            return self.error
        if self._waiting:
            return f"waiting for the camera: {self._waiting}"
        src = self.source
        if isinstance(src, LiveSource) and src.last_frame_wall is not None:
            gap = time.monotonic() - src.last_frame_wall
            if gap >= self.STALL_S:
                return (f"no frame from {src.description} for {gap:.0f} s"
                        + ("" if src.connected else " (reconnecting)"))
        return ""

    def _mqtt_state(self) -> str:
        for sink in self._sinks:
            if sink.name == "mqtt":
                if getattr(sink, "connected", False):
                    return "connected"
                err = getattr(sink, "last_error", None)
                return f"disconnected ({err})" if err else "connecting"
        return "off"

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

    def _status_loop(self) -> None:
        while not self.finished.wait(1.0):
            self._prune_store()
            self._broadcast("on_status", self.status())
        self._broadcast("on_status", self.status())
