from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_app.pose import PoseError, PoseTracker
from tests.edge_app.conftest import DEMO_VIDEO, POSE_MODEL


def _frames(path: Path, start: int, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    out = []
    for _ in range(n):
        ok, f = cap.read()
        if not ok:
            break
        out.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    cap.release()
    return out


def test_pose_found_on_real_frames() -> None:
    frames = _frames(DEMO_VIDEO, 100, 30)  # a person stands in the middle of the room
    with PoseTracker(POSE_MODEL) as tracker:
        results = [tracker.process(f, i / 10) for i, f in enumerate(frames)]
    found = [r for r in results if r.num_persons]
    assert len(found) >= 25
    kp, sc = found[-1].keypoints[0], found[-1].scores[0]
    assert kp.shape == (17, 2) and sc.shape == (17,)
    # standing: nose above shoulders above hips above ankles (image y grows downwards)
    assert kp[0, 1] < kp[5, 1] < kp[11, 1] < kp[15, 1]
    assert sc[[0, 5, 6, 11, 12]].min() > 0.5
    assert 0 <= kp[:, 0].min() and kp[:, 0].max() <= 768


def test_timestamps_may_repeat_and_empty_frame_has_nobody() -> None:
    with PoseTracker(POSE_MODEL) as tracker:
        blank = np.zeros((240, 320, 3), np.uint8)
        assert tracker.process(blank, 1.0).num_persons == 0
        assert tracker.process(blank, 1.0).num_persons == 0  # same timestamp: nudged


def test_bad_pose_bundle(tmp_path: Path) -> None:
    with pytest.raises(PoseError, match="does not exist"):
        PoseTracker(tmp_path / "none.task")
    bad = tmp_path / "bad.task"
    bad.write_bytes(POSE_MODEL.read_bytes()[:100000])
    with pytest.raises(PoseError, match="truncated|damaged"):
        PoseTracker(bad)


def test_multi_person_video(shared_data: Path) -> None:
    video = shared_data / "videos" / "open" / "mmaction2_demo.mp4"  # two people arm-wrestling
    frames = _frames(video, 0, 14)
    with PoseTracker(POSE_MODEL, num_poses=4) as tracker:
        counts = [tracker.process(f, i / 10).num_persons for i, f in enumerate(frames)]
    assert max(counts) >= 2


def _far(frame: np.ndarray, scale: float, size: tuple[int, int] = (1280, 720)
         ) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """``frame`` shrunk by ``scale`` in a plain ``size`` picture: a person as small as a
    ceiling-corner CCTV camera shows them. Returns the picture and where the frame is."""
    small = cv2.resize(frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    w, h = size
    canvas = np.full((h, w, 3), 110, np.uint8)
    y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 3
    canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return canvas, (x0, y0, x0 + small.shape[1], y0 + small.shape[0])


def test_zoom_finds_a_person_too_small_for_the_detector() -> None:
    """The real demo person at 0.35 of their size in a 1280x720 picture (about 70 px
    tall): the whole frame gives nobody, the zoom's tiles find them and it follows."""
    from edge_app.zoom import ZoomPlanner

    frames = [_far(f, 0.35) for f in _frames(DEMO_VIDEO, 100, 30)]
    with PoseTracker(POSE_MODEL) as plain:
        assert sum(plain.process(f, i / 10).num_persons for i, (f, _) in enumerate(frames)) == 0
    with PoseTracker(POSE_MODEL, zoom=ZoomPlanner()) as tracker:
        results = [tracker.process(f, i / 10) for i, (f, _) in enumerate(frames)]
        assert tracker.zoom_found >= 15 and tracker.zoom_calls >= tracker.zoom_found
    found = [r for r in results if r.num_persons]
    assert len(found) >= 20  # the first tiles find nobody; then the person is followed
    x0, y0, x1, y1 = frames[0][1]
    kp, sc = found[-1].keypoints[0], found[-1].scores[0]
    seen = sc > 0.5
    assert seen.sum() >= 10
    assert (kp[seen, 0] >= x0 - 5).all() and (kp[seen, 0] <= x1 + 5).all()
    assert (kp[seen, 1] >= y0 - 5).all() and (kp[seen, 1] <= y1 + 5).all()
    assert kp[5, 1] < kp[11, 1] < kp[15, 1]  # upright: shoulders, hips, ankles
