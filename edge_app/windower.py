"""The windower: samples -> the person's pose -> a ring buffer -> windows for the model.

The second stage of a camera pipeline (``edge_app.camera``). For each frame the sampler
hands over it runs the pose model once (a keypoint replay's frames carry their pose),
follows the person across frames (``edge_app.track``), pushes one ``Sample`` per sample
time into the ring buffer and, every ``stride`` samples once the buffer is full, builds a
``WindowJob``: the model's inputs (``edge_app.window.WindowBuilder``, the same numpy
contract as training) and the window's keypoints, which the decider reads for its view
and posture checks. A window in which nobody was seen is a job without a window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge_app.config import AppConfig
from edge_app.pose import PoseResult, PoseTracker
from edge_app.sources import SourceFrame
from edge_app.track import PersonTracks
from edge_app.types import FramePreview
from edge_app.window import RingBuffer, Sample, Window, WindowBuilder, downscale, same_person
from model.contract import CLIP_LEN, NUM_KEYPOINTS

__all__ = ["WindowJob", "Windower", "WindowerStats"]

log = logging.getLogger(__name__)


@dataclass
class WindowJob:
    """One window on its way to the model and the decider."""

    window: Window | None  # None: nobody seen in this window
    end_time: float
    start_time: float
    built_wall: float  # time.monotonic() when it was built
    pose_only: bool
    # the window's keypoints (P, T, 17, 2) and scores (P, T, 17), the samples of tracks
    # that were never the person left out (scores 0); None when nobody was seen
    keypoints: npt.NDArray[np.float32] | None = None
    scores: npt.NDArray[np.float32] | None = None
    image_size: tuple[int, int] = (0, 0)


@dataclass
class WindowerStats:
    samples: int = 0
    pose_calls: int = 0
    pose_ms: float = 0.0  # moving averages
    window_ms: float = 0.0
    pose_total_ms: float = 0.0
    window_total_ms: float = 0.0

    def add(self, name: str, ms: float) -> None:
        setattr(self, f"{name}_total_ms", getattr(self, f"{name}_total_ms") + ms)
        old = getattr(self, f"{name}_ms")
        setattr(self, f"{name}_ms", ms if old == 0.0 else 0.9 * old + 0.1 * ms)


class Windower:
    """Pose, tracking, ring buffer and windows for one camera.

    ``feed(frame, times, privacy=, with_rgb_model=)`` yields the windows completed by those
    samples. ``on_preview`` gets what the dashboard draws for every sample. The pose model
    is opened at the first frame with an image (a keypoint replay needs none), so a switch
    from a replay to a video just works; ``reset()`` forgets the person (a new source).
    """

    def __init__(self, cfg: AppConfig, *, stride: int, sample_rate: float, camera: str,
                 on_preview: Callable[[FramePreview], None] | None = None) -> None:
        self.cfg = cfg
        self.stride = stride
        self.sample_rate = sample_rate
        self.camera = camera
        self.on_preview = on_preview or (lambda _p: None)
        self.stats = WindowerStats()
        self.pose: PoseTracker | None = None
        tc = cfg.pose.track
        self.tracks = PersonTracks(cfg.pose.num_poses, keep_s=tc.keep_s, reach=tc.reach,
                                   speed=tc.speed, switch_ratio=tc.switch_ratio
                                   ) if tc.enabled else None
        self.ring = RingBuffer(CLIP_LEN)
        self.builder = WindowBuilder()
        self.last_box: tuple[int, int, int, int] | None = None
        self._pose_frame: SourceFrame | None = None
        self._pose_result: PoseResult | None = None
        self._pose_ids: npt.NDArray[np.int64] | None = None

    # ------------------------------------------------------------------ lifecycle
    def open_pose(self) -> None:
        """Open the pose model now (errors raise here, at start, not at the first frame)."""
        if self.pose is None:
            self.pose = PoseTracker.from_config(self.cfg.pose,
                                                self.cfg.resolved_pose_model_path())

    def reset(self) -> None:
        """A new source: an empty ring buffer, no person followed, no box."""
        self.ring = RingBuffer(CLIP_LEN)
        self.builder = WindowBuilder()
        self.last_box = None
        self._pose_frame = self._pose_result = self._pose_ids = None
        if self.tracks is not None:
            self.tracks.reset()
        if self.pose is not None:  # its video-mode timestamps restart with the new source
            self.close()

    def close(self) -> None:
        if self.pose is not None:
            self.pose.close()
            self.pose = None

    @property
    def zoom_calls(self) -> int:
        return self.pose.zoom_calls if self.pose is not None else 0

    # ------------------------------------------------------------------ samples
    def paused(self, frame: SourceFrame, *, privacy: bool) -> None:
        """Monitoring paused: nothing kept, the picture still shown."""
        self.ring.clear()
        if self.tracks is not None:
            self.tracks.reset()
        self.on_preview(self.preview(frame, None, None, privacy=privacy))

    def feed(self, frame: SourceFrame, times: list[float], *, privacy: bool,
             with_rgb_model: bool) -> Iterator[WindowJob]:
        """The pose of ``frame`` (once per frame) and one sample per time in ``times``;
        yields each window those samples complete."""
        if not times:
            return
        if self._pose_frame is not frame:
            pose = self.pose_of(frame)
            self._pose_ids = None
            if self.tracks is not None:
                pose = self.tracks.update(frame.time, pose)
                self._pose_ids = self.tracks.ids.copy()
            self._pose_result = pose
            self._pose_frame = frame
        assert self._pose_result is not None
        for t in times:
            job = self._push(frame, self._pose_result, t, privacy=privacy,
                             with_rgb_model=with_rgb_model)
            if job is not None:
                yield job

    def pose_of(self, frame: SourceFrame) -> PoseResult:
        """The persons in ``frame``: its own keypoints (a replay) or the pose model's."""
        if frame.keypoints is not None and frame.scores is not None:
            kp, sc = frame.keypoints, frame.scores
            present = sc.max(axis=1) > 0 if sc.size else np.zeros(0, bool)
            return PoseResult(kp[present].astype(np.float32), sc[present].astype(np.float32))
        if frame.image is None:
            raise ValueError("a frame with neither an image nor keypoints")
        self.open_pose()
        assert self.pose is not None
        t0 = time.perf_counter()
        res = self.pose.process(frame.image, frame.time)
        self.stats.add("pose", (time.perf_counter() - t0) * 1e3)
        self.stats.pose_calls += 1
        return res

    @property
    def _discredited(self) -> set[int]:
        """Track ids that were not the person (``edge_app.track``): left out of windows."""
        return self.tracks.discredited if self.tracks is not None else set()

    def _push(self, frame: SourceFrame, pose: PoseResult, t: float, *, privacy: bool,
              with_rgb_model: bool) -> WindowJob | None:
        persons = self.cfg.pose.num_poses
        kp = np.zeros((persons, NUM_KEYPOINTS, 2), dtype=np.float32)
        sc = np.zeros((persons, NUM_KEYPOINTS), dtype=np.float32)
        m = min(pose.num_persons, persons)
        kp[:m] = pose.keypoints[:m]
        sc[:m] = pose.scores[:m]
        n = int((sc.max(axis=1) > 0).sum())  # the tracker leaves empty slots at zero
        stored: npt.NDArray[np.uint8] | None = None
        scale = 1.0
        if frame.image is not None and not privacy:
            stored, scale = downscale(frame.image, self.cfg.window.store_side)
        ring = self.ring
        ring.push(Sample(t, stored, scale, kp, sc, frame.size, n, track_ids=self._pose_ids))
        self.stats.samples += 1
        self.on_preview(self.preview(frame, pose, self.last_box, privacy=privacy))
        if not (ring.full and ring.pushed >= self.stride):
            return None
        ring.pushed = 0
        t0 = time.perf_counter()
        samples = ring.samples()
        # once per window: the samples of tracks that were never a person are left out
        keep = same_person(samples, self._discredited)  # (P, T)
        kps = np.stack([s.keypoints for s in samples], axis=1)
        scs = np.stack([s.scores for s in samples], axis=1) * keep[..., None]
        if not (scs.max(axis=2) > 0).any():
            job = WindowJob(None, t, samples[0].time, time.monotonic(), True)
        else:
            with_rgb = not privacy and with_rgb_model and all(
                samples[i].frame is not None for i in range(0, CLIP_LEN, CLIP_LEN // 16))
            window = self.builder.build(samples, with_rgb=with_rgb, keep=keep)
            self.last_box = window.box.as_tuple()
            job = WindowJob(window, t, samples[0].time, time.monotonic(), not with_rgb,
                            kps, scs, samples[-1].image_size)
        self.stats.add("window", (time.perf_counter() - t0) * 1e3)
        return job

    def preview(self, frame: SourceFrame, pose: PoseResult | None,
                box: tuple[int, int, int, int] | None, *, privacy: bool) -> FramePreview:
        kp = np.zeros((0, NUM_KEYPOINTS, 2), np.float32)
        sc = np.zeros((0, NUM_KEYPOINTS), np.float32)
        if pose is not None and pose.num_persons:
            seen = pose.scores.max(axis=1) > 0  # slots the tracker left empty are not drawn
            kp, sc = pose.keypoints[seen], pose.scores[seen]
        return FramePreview(time=frame.time, image=None if privacy else frame.image,
                            size=frame.size, keypoints=kp, scores=sc, box=box,
                            camera=self.camera)
