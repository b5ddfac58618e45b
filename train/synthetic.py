"""Small, fast, deterministic synthetic clips for tests and smoke runs.

A COCO-17 stick figure performs one of a few motions (one per class); clips differ by
position, size, speed, phase and keypoint noise, all drawn from ``seed``. Optionally
each clip is also rendered to a small video (the skeleton drawn on a plain background)
so the RGB and joint phases can be exercised. Not a substitute for real data (see
``train/synth`` for the realistic daily-living generator).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from train.pyskl import Annotation, PysklFile, make_annotation

__all__ = ["MOTIONS", "render_skeleton_video", "synthetic_dataset"]

log = logging.getLogger(__name__)
FloatArray = npt.NDArray[np.float32]

# Rest pose in body units (x right in the image, y down), person facing the camera, so
# the person's left side is on the image's right.
_REST = np.array([
    (0.00, -0.90), (0.04, -0.94), (-0.04, -0.94), (0.08, -0.92), (-0.08, -0.92),  # head
    (0.18, -0.70), (-0.18, -0.70), (0.22, -0.40), (-0.22, -0.40),  # shoulders, elbows
    (0.24, -0.12), (-0.24, -0.12), (0.10, -0.05), (-0.10, -0.05),  # wrists, hips
    (0.11, 0.40), (-0.11, 0.40), (0.11, 0.85), (-0.11, 0.85),  # knees, ankles
], dtype=np.float32)
_LIMBS = ((5, 7), (7, 9), (6, 8), (8, 10), (5, 6), (5, 11), (6, 12), (11, 12), (11, 13),
          (13, 15), (12, 14), (14, 16), (0, 5), (0, 6))


def _raise_arms(sides: tuple[int, ...]) -> Callable[[FloatArray, FloatArray], None]:
    """Raise the left (0) and/or right (1) arm, up and down."""

    def move(pose: FloatArray, phase: FloatArray) -> None:
        lift = 0.5 * (1 - np.cos(phase))  # 0..1
        for side in sides:
            elbow, wrist = (7, 9) if side == 0 else (8, 10)
            pose[:, elbow, 1] -= 0.45 * lift
            pose[:, wrist, 1] -= 0.95 * lift
            pose[:, elbow, 0] += (0.10 if side == 0 else -0.10) * lift
    return move


def _squat(pose: FloatArray, phase: FloatArray) -> None:
    depth = 0.5 * (1 - np.cos(phase))
    pose[:, :13, 1] += 0.35 * depth[:, None]
    pose[:, 13:15, 1] += 0.15 * depth[:, None]
    pose[:, 13:15, 0] *= 1 + 0.8 * depth[:, None]


def _walk(pose: FloatArray, phase: FloatArray) -> None:
    pose[:, :, 0] += (0.6 * np.sin(phase / 4))[:, None]
    swing = 0.15 * np.sin(phase)
    pose[:, 13, 0] += swing
    pose[:, 15, 0] += 2 * swing
    pose[:, 14, 0] -= swing
    pose[:, 16, 0] -= 2 * swing


def _bend(pose: FloatArray, phase: FloatArray) -> None:
    bend = 0.5 * (1 - np.cos(phase))
    upper = list(range(11))
    pose[:, upper, 1] += 0.45 * bend[:, None]
    pose[:, upper, 0] *= 1 - 0.3 * bend[:, None]


def _clap(pose: FloatArray, phase: FloatArray) -> None:
    close = 0.5 * (1 - np.cos(phase))
    for j in (9, 10):
        pose[:, j, 0] *= 1 - 0.95 * close
        pose[:, j, 1] -= 0.35 * close


MOTIONS: dict[str, Callable[[FloatArray, FloatArray], None]] = {
    # Classes stay distinct under the horizontal flip (which swaps left and right).
    "raise one arm": _raise_arms((1,)),
    "raise both arms": _raise_arms((0, 1)),
    "squat": _squat,
    "walk": _walk,
    "bend": _bend,
    "clap": _clap,
}


def _clip_keypoints(
    motion: Callable[[FloatArray, FloatArray], None],
    frames: int,
    image_size: tuple[int, int],
    rng: np.random.RandomState,
) -> tuple[FloatArray, FloatArray]:
    """``(1, T, 17, 2)`` pixel keypoints and ``(1, T, 17)`` scores of one clip."""
    w, h = image_size
    cycles = rng.uniform(1.0, 2.5)
    phase = (np.linspace(0, 2 * np.pi * cycles, frames) + rng.uniform(0, 0.5)).astype(np.float32)
    pose = np.repeat(_REST[None], frames, axis=0).copy()
    motion(pose, phase)
    scale = rng.uniform(0.30, 0.42) * h
    centre = np.array([w / 2 + rng.uniform(-0.15, 0.15) * w,
                       h / 2 + rng.uniform(-0.05, 0.05) * h], dtype=np.float32)
    kp = pose * scale + centre + rng.normal(0, 0.006 * h, pose.shape)
    score = rng.uniform(0.85, 1.0, pose.shape[:2])
    return kp[None].astype(np.float32), score[None].astype(np.float32)


def render_skeleton_video(
    path: Path,
    keypoints: npt.NDArray[np.float32],
    image_size: tuple[int, int],
    fps: float,
    *,
    colour: tuple[int, int, int] = (230, 200, 60),
    background: int = 40,
) -> Path:
    """Write the skeleton ``(M, T, 17, 2)`` drawn on a plain background as an mp4 video."""
    import cv2

    w, h = image_size
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path}")
    try:
        for t in range(keypoints.shape[1]):
            img = np.full((h, w, 3), background, dtype=np.uint8)
            for person in keypoints[:, t]:
                for a, b in _LIMBS:
                    pa = (int(person[a, 0]), int(person[a, 1]))
                    pb = (int(person[b, 0]), int(person[b, 1]))
                    cv2.line(img, pa, pb, colour[::-1], 3)
            writer.write(img)
    finally:
        writer.release()
    return path


def synthetic_dataset(
    *,
    num_classes: int = 4,
    clips_per_class: int = 4,
    frames: tuple[int, int] = (40, 80),
    image_size: tuple[int, int] = (128, 96),
    fps: float = 30.0,
    seed: int = 0,
    video_root: Path | None = None,
) -> PysklFile:
    """A PYSKL dataset of synthetic clips; splits ``train`` / ``val`` alternate clips.

    Args:
        num_classes: how many of ``MOTIONS`` to use (at most ``len(MOTIONS)``).
        frames: range of clip lengths (frames, inclusive).
        image_size: ``(width, height)`` in pixels.
        video_root: if given, each clip is also written to ``<video_root>/<frame_dir>.mp4``
            (and its annotation gets a ``filename``).
    """
    names = list(MOTIONS)[:num_classes]
    if num_classes < 1 or len(names) < num_classes:
        raise ValueError(f"num_classes must be 1..{len(MOTIONS)}")
    rng = np.random.RandomState(seed)
    anns: list[Annotation] = []
    split: dict[str, list[str]] = {"train": [], "val": []}
    w, h = image_size
    for i in range(clips_per_class):
        for label, name in enumerate(names):
            frame_dir = f"synth_{label:02d}_{i:03d}"
            length = int(rng.randint(frames[0], frames[1] + 1))
            kp, sc = _clip_keypoints(MOTIONS[name], length, image_size, rng)
            extra: dict[str, object] = {"fps": float(fps)}
            if video_root is not None:
                render_skeleton_video(video_root / f"{frame_dir}.mp4", kp, image_size, fps)
                extra["filename"] = f"{frame_dir}.mp4"
            anns.append(make_annotation(frame_dir, label, kp, sc, (h, w), **extra))
            split["train" if i % 2 == 0 else "val"].append(frame_dir)
    log.debug("made %d synthetic clips of %d classes", len(anns), num_classes)
    return PysklFile(annotations=anns, split=split, class_names=names)
