"""Real EPAM-Net input windows of a video, made as the edge pipeline makes them, for
INT8 calibration and for validating exported variants (``deploy.variants``).

Calibration sees what the device sees: ``edge_app.sources`` decodes the video,
``edge_app.pose.PoseTracker`` (MediaPipe) finds the keypoints,
``edge_app.window.RingBuffer``/``WindowBuilder`` sample 48 samples at the model's rate and
turn them into heatmaps and RGB crops with ``model.contract``.

``python -m edge_app.calibration [VIDEO] --out W.npz`` saves them (``model.windows``);
``deploy.calibration`` runs it so that ``deploy`` does not import the app.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge_app.config import DEFAULT_POSE_MODEL, DEFAULT_VIDEO
from edge_app.pose import PoseTracker
from edge_app.sources import SourceError, open_source
from edge_app.window import RingBuffer, Sample, WindowBuilder, downscale
from model import contract as C
from model.windows import CalibrationError, WindowSet, save_windows

__all__ = ["main", "windows_from_video"]

log = logging.getLogger(__name__)
FloatArray = npt.NDArray[np.float32]


def windows_from_video(
    path: str | Path = DEFAULT_VIDEO,
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
        path: a video file OpenCV can read (default: the bundled demo video).
        sample_rate_hz: samples per second in the 48-sample window (the model's rate).
        stride: samples between two windows (the pipeline's default is 8; a larger
            stride spreads ``max_windows`` over more of the video).
        max_windows: stop after this many windows.
        pose_model: MediaPipe ``.task`` bundle (default: the bundled one).
        store_side: longer side (pixels) of the frames kept for RGB crops, as
            ``window.store_side`` in the app.
        min_person_fraction: windows where a person is seen in fewer samples are skipped.
    """
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m edge_app.calibration",
        description="Save a video's model input windows, made as the edge app makes them, "
                    "to a .npz (for deploy.variants --calib).")
    parser.add_argument("video", nargs="?", default=str(DEFAULT_VIDEO),
                        help="video file (default: the bundled demo video)")
    parser.add_argument("--out", type=Path, required=True, help="the .npz to write")
    parser.add_argument("--rate", type=float, default=15.0, help="samples per second")
    parser.add_argument("--stride", type=int, default=16, help="samples between windows")
    parser.add_argument("--max-windows", type=int, default=32, help="windows to make")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return save_windows(lambda: windows_from_video(
        args.video, sample_rate_hz=args.rate, stride=args.stride,
        max_windows=args.max_windows), args.out)


if __name__ == "__main__":
    sys.exit(main())
