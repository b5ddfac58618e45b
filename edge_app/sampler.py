"""The sampler: a source's frames -> samples at the window's rate, on the source's clock.

The first stage of a camera pipeline (``edge_app.camera``). Whatever the camera's frame
rate, the model sees windows sampled at one fixed rate (DESIGN: the ring buffer samples at
the window's own rate). Each kind of source keeps its own clock:

- files and keypoint replays (``media`` clock): sample times step through the media
  timeline; each sample takes the latest frame at or before it, and frames no sample
  will use are not decoded;
- live cameras and streams (``wall`` clock): at every tick of the wall clock, the newest
  frame; ticks the pose model could not keep up with are skipped and counted, and a
  stream that goes silent is logged once per stall.

``Sampler.samples(stop)`` yields ``(frame, times)``: the frame and the sample times it
serves (one or more; a frame may serve several samples of a slow video).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from edge_app.sources import LiveSource, Source, SourceFrame, VideoFileSource

__all__ = ["FileSampler", "LiveSampler", "Sampler", "SamplerStats", "make_sampler"]

log = logging.getLogger(__name__)

STALL_S = 5.0  # a live source silent this long is logged (once per stall)


@dataclass
class SamplerStats:
    """What the sampler counts; read by the camera's status."""

    frames: int = 0
    skipped_samples: int = 0
    source_time: float = 0.0  # seconds of the source seen so far
    decode_ms: float = 0.0  # moving average
    decode_total_ms: float = 0.0
    reached_limit: bool = False  # ``max_seconds`` of the source were seen
    beat: float = field(default=0.0)  # time.monotonic() of the loop's last round

    def add_decode(self, ms: float) -> None:
        self.decode_total_ms += ms
        self.decode_ms = ms if self.decode_ms == 0.0 else 0.9 * self.decode_ms + 0.1 * ms


class Sampler:
    """Base: ``samples(stop)`` yields ``(frame, sample times)`` until the source ends,
    ``max_seconds`` of it were seen, or ``stop`` is set."""

    def __init__(self, source: Source, rate_hz: float, *, max_seconds: float | None = None,
                 stats: SamplerStats | None = None) -> None:
        self.source = source
        self.period = 1.0 / rate_hz
        self.max_seconds = max_seconds
        self.stats = stats if stats is not None else SamplerStats()

    def samples(self, stop: threading.Event) -> Iterator[tuple[SourceFrame, list[float]]]:
        raise NotImplementedError

    @property
    def problem(self) -> str:
        """Why no samples come now ("" when they do)."""
        return ""

    def _limit_reached(self) -> None:
        log.info("reached --max-seconds %.1f", self.max_seconds)
        self.stats.reached_limit = True


class FileSampler(Sampler):
    """Media clock: files and keypoint replays, as fast as decoded or paced by the source."""

    def samples(self, stop: threading.Event) -> Iterator[tuple[SourceFrame, list[float]]]:
        source = self.source
        period = self.period
        next_sample: float | None = None
        frame_period = 1.0 / source.fps if source.fps > 0 else 0.0
        if isinstance(source, VideoFileSource):
            # decode only frames some sample will use: s in [t, t + frame period)
            source.wanted = lambda t: next_sample is None or next_sample < t + frame_period - 1e-9
        prev: SourceFrame | None = None
        t_start: float | None = None
        limit = float("inf")
        frames = source.frames()
        while not stop.is_set():
            self.stats.beat = time.monotonic()
            t0 = time.perf_counter()
            frame = next(frames, None)
            self.stats.add_decode((time.perf_counter() - t0) * 1e3)
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
                if times:
                    yield prev, times
            if frame is None:
                return
            self.stats.frames += 1
            assert t_start is not None
            self.stats.source_time = frame.time - t_start
            if frame.time >= limit:
                self._limit_reached()
                return
            prev = frame


class LiveSampler(Sampler):
    """Wall clock: at every tick, the newest frame of a live camera or stream."""

    source: LiveSource

    def __init__(self, source: LiveSource, rate_hz: float, *,
                 max_seconds: float | None = None, stats: SamplerStats | None = None) -> None:
        super().__init__(source, rate_hz, max_seconds=max_seconds, stats=stats)
        self.stalled_since: float | None = None

    def samples(self, stop: threading.Event) -> Iterator[tuple[SourceFrame, list[float]]]:
        source = self.source
        period = self.period
        next_tick = time.monotonic()
        t_start: float | None = None
        while not stop.is_set():
            self.stats.beat = time.monotonic()
            now = time.monotonic()
            if now < next_tick:
                stop.wait(next_tick - now)
            missed = int((time.monotonic() - next_tick) // period)
            if missed > 0:  # pose fell behind the sample clock: samples skipped, counted
                self.stats.skipped_samples += missed
                next_tick += missed * period
            next_tick += period
            t0 = time.perf_counter()
            frame = source.latest(timeout=max(period, 0.5))
            if frame is None:
                self._note_stall()
                continue
            if self.stalled_since is not None:
                log.warning("%s: frames again after %.0f s without any", source.description,
                            time.monotonic() - self.stalled_since)
                self.stalled_since = None
            self.stats.add_decode((time.perf_counter() - t0) * 1e3)
            self.stats.frames += 1
            if t_start is None:
                t_start = frame.time
            self.stats.source_time = frame.time - t_start
            if self.max_seconds is not None and frame.time - t_start >= self.max_seconds:
                self._limit_reached()
                return
            yield frame, [frame.time]

    def _note_stall(self) -> None:
        """Log once when the source has given no frame for ``STALL_S`` (a stream that
        stalls without an error: the capture thread is blocked in its read)."""
        source = self.source
        last = source.last_frame_wall
        if self.stalled_since is not None or last is None:
            return
        if time.monotonic() - last >= STALL_S:
            self.stalled_since = last
            log.warning("%s: no frame for %.0f s (stream stalled or camera gone); waiting "
                        "for it%s", source.description, time.monotonic() - last,
                        "" if source.connected else ", reconnecting")

    @property
    def problem(self) -> str:
        src = self.source
        if src.last_frame_wall is None:
            return ""
        gap = time.monotonic() - src.last_frame_wall
        if gap >= STALL_S:
            return (f"no frame from {src.description} for {gap:.0f} s"
                    + ("" if src.connected else " (reconnecting)"))
        return ""


def make_sampler(source: Source, rate_hz: float, *, max_seconds: float | None = None,
                 stats: SamplerStats | None = None) -> Sampler:
    """The sampler that keeps ``source``'s clock (wall for live sources, media else)."""
    if isinstance(source, LiveSource):
        return LiveSampler(source, rate_hz, max_seconds=max_seconds, stats=stats)
    return FileSampler(source, rate_hz, max_seconds=max_seconds, stats=stats)
