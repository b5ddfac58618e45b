"""Real EPAM-Net input windows for INT8 calibration and for validating exported variants.

Windows are built with the edge app's own code, so calibration sees what the device
sees: ``edge_app.sources`` decodes the video, ``edge_app.pose.PoseTracker`` (MediaPipe)
finds the keypoints, ``edge_app.window.RingBuffer``/``WindowBuilder`` sample 48 samples
at the model's rate and turn them into heatmaps and RGB crops with ``model.contract``.
A PYSKL dataset pickle with its videos (``--video-root``) goes through the training
dataset (``train.dataset.ClipDataset``, evaluation mode) instead.

A ``WindowSet`` saves to / loads from ``.npz`` so a slow extraction is done once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from model import contract as C

__all__ = [
    "CalibrationError",
    "WindowSet",
    "load_windows",
    "windows_from_pyskl",
    "windows_from_video",
]

log = logging.getLogger(__name__)
FloatArray = npt.NDArray[np.float32]


class CalibrationError(RuntimeError):
    """No usable windows could be made from the given source."""


@dataclass(frozen=True)
class WindowSet:
    """``N`` model inputs: ``pose`` ``(N, 17, 48, 56, 56)`` and ``rgb`` ``(N, 3, 16, 224, 224)``.

    ``end_times`` are the windows' end times in the source timeline (s); ``source``
    says where they came from (recorded in the variants' metadata).
    """

    pose: FloatArray
    rgb: FloatArray
    end_times: npt.NDArray[np.float64]
    source: str

    def __post_init__(self) -> None:
        n = len(self.pose)
        if self.pose.shape[1:] != (C.NUM_KEYPOINTS, C.CLIP_LEN, C.HEATMAP_SIZE, C.HEATMAP_SIZE):
            raise ValueError(f"pose windows have shape {self.pose.shape}")
        if self.rgb.shape != (n, 3, C.RGB_FRAMES, C.RGB_SIZE, C.RGB_SIZE):
            raise ValueError(f"rgb windows have shape {self.rgb.shape} for {n} pose windows")

    def __len__(self) -> int:
        return len(self.pose)

    def feeds(self) -> Iterator[dict[str, FloatArray]]:
        """One ONNX Runtime feed per window (batch 1)."""
        for i in range(len(self)):
            yield {"pose_heatmaps": self.pose[i : i + 1], "rgb": self.rgb[i : i + 1]}

    def subset(self, index: slice | npt.NDArray[np.int64]) -> WindowSet:
        return WindowSet(self.pose[index], self.rgb[index], self.end_times[index], self.source)

    def split(self) -> tuple[WindowSet, WindowSet]:
        """(calibration, validation): even and odd windows, so validation is held out.

        With fewer than 4 windows both halves are the whole set.
        """
        if len(self) < 4:
            return self, self
        return self.subset(slice(0, None, 2)), self.subset(slice(1, None, 2))

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, pose=self.pose, rgb=self.rgb, end_times=self.end_times,
                            source=np.array(self.source))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> WindowSet:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["pose"].astype(np.float32), z["rgb"].astype(np.float32),
                       z["end_times"].astype(np.float64), str(z["source"]))


def windows_from_video(
    path: str | Path,
    *,
    sample_rate_hz: float = 15.0,
    stride: int = 16,
    max_windows: int = 32,
    pose_model: str | Path | None = None,
    store_side: int = 320,
    min_person_fraction: float = 0.5,
) -> WindowSet:
    """Windows of a video as the edge pipeline makes them (pose + RGB, one person).

    Args:
        path: a video file OpenCV can read.
        sample_rate_hz: samples per second in the 48-sample window (the model's rate).
        stride: samples between two windows (the pipeline's default is 8; a larger
            stride spreads ``max_windows`` over more of the video).
        max_windows: stop after this many windows.
        pose_model: MediaPipe ``.task`` bundle (default: the bundled one).
        store_side: longer side (pixels) of the frames kept for RGB crops, as
            ``window.store_side`` in the app.
        min_person_fraction: windows where a person is seen in fewer samples are skipped.
    """
    from edge_app.config import DEFAULT_POSE_MODEL
    from edge_app.pose import PoseTracker
    from edge_app.sources import SourceError, open_source
    from edge_app.window import RingBuffer, Sample, WindowBuilder, downscale

    try:
        source = open_source(str(path), realtime=False)
    except SourceError as exc:
        raise CalibrationError(str(exc)) from exc
    period = 1.0 / sample_rate_hz
    ring = RingBuffer(C.CLIP_LEN)
    builder = WindowBuilder()
    poses: list[FloatArray] = []
    rgbs: list[FloatArray] = []
    ends: list[float] = []
    next_t: float | None = None
    with PoseTracker(pose_model or DEFAULT_POSE_MODEL) as tracker:
        try:
            for frame in source.frames():
                if frame.image is None:
                    continue
                if next_t is None:
                    next_t = frame.time
                if next_t >= frame.time + 1.0 / max(source.fps, 1e-3) - 1e-9:
                    continue  # no sample falls on this frame: skip pose estimation
                result = tracker.process(frame.image, frame.time)
                kp = np.zeros((1, C.NUM_KEYPOINTS, 2), np.float32)
                sc = np.zeros((1, C.NUM_KEYPOINTS), np.float32)
                n = min(result.num_persons, 1)
                kp[:n], sc[:n] = result.keypoints[:n], result.scores[:n]
                stored, scale = downscale(frame.image, store_side)
                # every sample time in [frame.time, next frame) takes this frame
                while next_t < frame.time + 1.0 / max(source.fps, 1e-3) - 1e-9:
                    ring.push(Sample(next_t, stored, scale, kp, sc, frame.size, n))
                    next_t += period
                    if not (ring.full and ring.pushed >= stride):
                        continue
                    ring.pushed = 0
                    samples = ring.samples()
                    seen = float(np.mean([s.persons > 0 for s in samples]))
                    if seen < min_person_fraction:
                        continue
                    window = builder.build(samples, with_rgb=True)
                    assert window.rgb is not None
                    poses.append(window.pose)
                    rgbs.append(window.rgb)
                    ends.append(window.end_time)
                if len(poses) >= max_windows:
                    break
        finally:
            source.close()
    if not poses:
        raise CalibrationError(f"no window with a person in {path} (a person must be seen in "
                               f"{min_person_fraction:.0%} of a window's samples)")
    log.info("%d windows from %s (%.1f-%.1f s)", len(poses), Path(path).name, ends[0], ends[-1])
    return WindowSet(np.stack(poses), np.stack(rgbs), np.asarray(ends, np.float64),
                     f"video:{Path(path).name}")


def windows_from_pyskl(
    path: str | Path,
    *,
    video_root: str | Path,
    split: str | None = None,
    max_windows: int = 32,
    sampling: str = "rate",
    sample_rate_hz: float = 15.0,
) -> WindowSet:
    """Windows of a PYSKL dataset pickle through the training dataset (evaluation mode).

    RGB needs the clips' videos under ``video_root`` (keypoints alone cannot calibrate
    the RGB stream). Clips are taken evenly over the (split of the) dataset.
    """
    from train.dataset import ClipDataset, DataOptions
    from train.pyskl import DatasetError, load_pyskl, select_split

    try:
        data = load_pyskl(path)
        annotations = select_split(data, split)
    except DatasetError as exc:
        raise CalibrationError(str(exc)) from exc
    if not annotations:
        raise CalibrationError(f"{path} has no annotations (split {split!r})")
    picks = np.unique(np.linspace(0, len(annotations) - 1, min(max_windows, len(annotations)))
                      .round().astype(int))
    options = DataOptions(sampling="uniform" if sampling == "uniform" else "rate",
                          sample_rate_hz=sample_rate_hz, video_root=Path(video_root))
    dataset = ClipDataset([annotations[i] for i in picks], modalities=("pose", "rgb"),
                          train=False, options=options)
    poses, rgbs = [], []
    for i in range(len(dataset)):
        item = dataset[i]
        poses.append(item["pose"].numpy())
        rgbs.append(item["rgb"].numpy())
    return WindowSet(np.stack(poses).astype(np.float32), np.stack(rgbs).astype(np.float32),
                     np.zeros(len(poses)), f"pyskl:{Path(path).name}")


def load_windows(
    source: str | Path,
    *,
    max_windows: int = 32,
    sample_rate_hz: float = 15.0,
    sampling: str = "rate",
    video_root: str | Path | None = None,
    split: str | None = None,
    stride: int = 16,
) -> WindowSet:
    """Windows from ``source``: a saved ``.npz``, a PYSKL ``.pkl`` (with ``video_root``),
    or a video file."""
    path = Path(source)
    if path.suffix == ".npz":
        windows = WindowSet.load(path)
        return windows.subset(slice(0, max_windows))
    if path.suffix in (".pkl", ".pickle"):
        if video_root is None:
            raise CalibrationError(f"{path} holds keypoints only; INT8 calibration needs RGB "
                                   "too: give --video-root (the folder of the clips' videos) "
                                   "or calibrate on a video")
        return windows_from_pyskl(path, video_root=video_root, split=split,
                                  max_windows=max_windows, sampling=sampling,
                                  sample_rate_hz=sample_rate_hz)
    return windows_from_video(path, sample_rate_hz=sample_rate_hz, max_windows=max_windows,
                              stride=stride)
