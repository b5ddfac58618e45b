from __future__ import annotations

from pathlib import Path

import numpy as np

from train.pyskl import check_annotation
from train.synthetic import MOTIONS, synthetic_dataset


def test_deterministic_and_valid() -> None:
    a = synthetic_dataset(num_classes=len(MOTIONS), clips_per_class=2, seed=7)
    b = synthetic_dataset(num_classes=len(MOTIONS), clips_per_class=2, seed=7)
    assert len(a.annotations) == 2 * len(MOTIONS)
    for x, y in zip(a.annotations, b.annotations, strict=True):
        check_annotation(x)
        assert np.array_equal(x["keypoint"], y["keypoint"])
    c = synthetic_dataset(num_classes=2, clips_per_class=2, seed=8)
    assert not np.array_equal(a.annotations[0]["keypoint"], c.annotations[0]["keypoint"])
    assert sorted(a.split) == ["train", "val"]


def test_videos_match_the_clips(synth_dir: Path) -> None:
    import cv2

    cap = cv2.VideoCapture(str(synth_dir / "videos" / "synth_00_000.mp4"))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    from train.pyskl import load_pyskl

    ann = load_pyskl(synth_dir / "synth.pkl").annotations[0]
    assert n == ann["total_frames"] and ann["filename"] == "synth_00_000.mp4"
