"""UR Fall Detection AlphaPose CSV -> PYSKL (2D COCO-17).

Input: one CSV, one row per frame: ``video, frame``, then for 13 COCO keypoints (no eyes
or ears) ``<Name>_x, <Name>_y`` normalised to 0-1 of the 640x480 image and ``<Name>_s``
(AlphaPose score; empty cells: joint not found, score 0), then ``label``: -1 not lying,
0 falling, 1 lying.

Each video is cut into its runs of one label (typically not lying -> falling -> lying),
one clip per run, labelled ``not lying`` / ``falling`` / ``lying``. Frame numbers with no
row (AlphaPose found nobody) are kept as frames with score 0, so time stays regular at
30 fps. Eyes and ears are missing (score 0). Splits: ``train`` = videos 1-10, ``val`` =
videos 11-15 (``split_video``).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.contract import NUM_KEYPOINTS
from train.pyskl import Annotation, DatasetError, PysklFile, make_annotation

__all__ = ["URFD_CLASSES", "URFD_KEYPOINTS", "UrfdVideo", "convert_urfd", "read_urfd_videos"]

log = logging.getLogger(__name__)
URFD_CLASSES: tuple[str, ...] = ("not lying", "falling", "lying")
# CSV keypoint name -> COCO-17 index.
URFD_KEYPOINTS: dict[str, int] = {
    "Nose": 0, "LShoulder": 5, "RShoulder": 6, "LElbow": 7, "RElbow": 8, "LWrist": 9,
    "RWrist": 10, "LHip": 11, "RHip": 12, "LKnee": 13, "RKnee": 14, "LAnkle": 15, "RAnkle": 16,
}  # fmt: skip
IMAGE_SHAPE = (480, 640)  # (height, width) of URFD camera 0
FPS = 30.0


def _find_csv(root: Path) -> Path:
    if root.is_file():
        return root
    found = sorted(root.glob("*.csv"))
    if not found:
        raise DatasetError(f"no URFD pose CSV under {root}")
    return found[0]


@dataclass(frozen=True)
class UrfdVideo:
    """One URFD video as a regular 30 fps sequence.

    ``keypoint`` ``(1, T, 17, 2)`` pixels of the 640x480 image, ``keypoint_score``
    ``(1, T, 17)``, ``labels`` ``(T,)``: -1 not lying, 0 falling, 1 lying (frames without a
    row take the label of the previous labelled frame and score 0).
    """

    video: int
    keypoint: np.ndarray
    keypoint_score: np.ndarray
    labels: np.ndarray

    @property
    def floor_frame(self) -> int | None:
        """First frame labelled lying (the person has reached the floor), else None."""
        hits = np.flatnonzero(self.labels == 1)
        return int(hits[0]) if hits.size else None

    @property
    def fall_frame(self) -> int | None:
        """First frame labelled falling, else None."""
        hits = np.flatnonzero(self.labels == 0)
        return int(hits[0]) if hits.size else None


def read_urfd_videos(root: Path) -> list[UrfdVideo]:
    """Read the CSV ``root`` (or the first CSV in the folder ``root``), one entry per video."""
    path = _find_csv(root)
    h, w = IMAGE_SHAPE
    frames: dict[int, dict[int, tuple[np.ndarray, np.ndarray, int]]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        names = set(reader.fieldnames or [])
        need = {"video", "frame", "label"} | {f"{k}_{c}" for k in URFD_KEYPOINTS
                                               for c in ("x", "y", "s")}
        if not need <= names:
            raise DatasetError(f"{path}: missing columns {sorted(need - names)[:5]}")
        for row in reader:
            kp = np.zeros((NUM_KEYPOINTS, 2), np.float32)
            sc = np.zeros(NUM_KEYPOINTS, np.float32)
            for name, j in URFD_KEYPOINTS.items():
                x, y, s = (row[f"{name}_{c}"].strip() for c in ("x", "y", "s"))
                if x and y and s:  # empty cells: the joint was not found
                    kp[j] = (float(x) * w, float(y) * h)
                    sc[j] = float(s)
            frames.setdefault(int(row["video"]), {}).setdefault(
                int(row["frame"]), (kp, np.clip(sc, 0, 1), int(row["label"])))
    videos: list[UrfdVideo] = []
    for video, rows in sorted(frames.items()):
        last = max(rows)
        kp = np.zeros((1, last + 1, NUM_KEYPOINTS, 2), np.float32)
        sc = np.zeros((1, last + 1, NUM_KEYPOINTS), np.float32)
        labels = np.full(last + 1, -2, np.int64)
        for t, (k, s, lab) in rows.items():
            kp[0, t], sc[0, t], labels[t] = k, s, lab
        # Frames with no row take the label of the previous labelled frame.
        for t in range(1, last + 1):
            if labels[t] == -2:
                labels[t] = labels[t - 1]
        videos.append(UrfdVideo(video, kp, sc, labels))
    return videos


def convert_urfd(root: Path, *, split_video: int = 10) -> PysklFile:
    """Convert the CSV ``root`` (or the first CSV in the folder ``root``): one clip per run
    of one label in each video."""
    videos = read_urfd_videos(root)
    anns: list[Annotation] = []
    split: dict[str, list[str]] = {"train": [], "val": []}
    for v in videos:
        kp, sc, labels, video = v.keypoint, v.keypoint_score, v.labels, v.video
        last = labels.shape[0] - 1
        start = 0
        for t in range(1, last + 2):
            if t <= last and labels[t] == labels[start]:
                continue
            lab = int(labels[start])
            if lab in (-1, 0, 1):
                frame_dir = f"fall-{video:02d}_{start:03d}-{t - 1:03d}"
                anns.append(make_annotation(
                    frame_dir, lab + 1, kp[:, start:t], sc[:, start:t], IMAGE_SHAPE, fps=FPS,
                    video=video, start_frame=start))
                split["train" if video <= split_video else "val"].append(frame_dir)
            start = t
    if not anns:
        raise DatasetError(f"{_find_csv(root)} holds no labelled frames")
    log.info("URFD: %d clips from %d videos", len(anns), len(videos))
    return PysklFile(annotations=anns, split=split, class_names=list(URFD_CLASSES))
