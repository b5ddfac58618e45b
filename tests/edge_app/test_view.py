"""The view check: falls and lying need the person in full view at the window's end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge_app.view import check_view

W, H = 640, 480
T = 48
KW = {"tail": 15, "edge_margin": 0.03, "min_torso": 0.015, "max_torso": 0.4, "min_seen": 0.25}

# a standing COCO-17 body, 200 px tall, centred at the origin (x right, y down)
BODY = np.array([
    [0, -95], [-4, -99], [4, -99], [-9, -97], [9, -97],      # nose, eyes, ears
    [-20, -75], [20, -75], [-26, -40], [26, -40], [-28, -8], [28, -8],  # arms
    [-12, -10], [12, -10], [-12, 45], [12, 45], [-12, 100], [12, 100],  # legs
], dtype=np.float32)


def _track(centres: np.ndarray, scale: float = 1.0, score: float = 0.9
           ) -> tuple[np.ndarray, np.ndarray]:
    """One person ``(1, T, 17, 2)`` at each centre ``(T, 2)``; NaN centres: not seen."""
    kp = np.zeros((1, T, 17, 2), np.float32)
    sc = np.zeros((1, T, 17), np.float32)
    for t, c in enumerate(centres):
        if np.isfinite(c).all():
            kp[0, t] = BODY * scale + c
            sc[0, t] = score
    return kp, sc


def _lying(kp: np.ndarray) -> np.ndarray:
    """The same track, every body turned 90 degrees (lying on the floor)."""
    out = kp.copy()
    centre = kp.mean(axis=2, keepdims=True)
    d = kp - centre
    out[..., 0] = centre[..., 0] - d[..., 1]
    out[..., 1] = centre[..., 1] + d[..., 0]
    return out


def test_person_in_the_middle_is_in_view() -> None:
    kp, sc = _track(np.tile([[320.0, 250.0]], (T, 1)))
    assert check_view(kp, sc, (W, H), **KW).ok
    assert check_view(_lying(kp), sc, (W, H), **KW).ok


def test_person_who_walks_out_at_the_side_left_the_view() -> None:
    xs = np.linspace(320, 700, T)
    centres = np.stack([xs, np.full(T, 250.0)], axis=1)
    centres[xs > 630] = np.nan  # gone once at the edge, for the last second and more
    kp, sc = _track(centres)
    v = check_view(kp, sc, (W, H), **KW)
    assert not v.ok and v.reason == "left the view" and not v.body
    # still half in the picture at the end: cut by its edge
    centres = np.stack([np.linspace(320, 650, T), np.full(T, 250.0)], axis=1)
    kp, sc = _track(centres)
    inside = (kp[..., 0] >= 0) & (kp[..., 0] < W)
    sc[~inside] = 0.05  # MediaPipe places joints past the edge with scores near 0
    v = check_view(kp, sc, (W, H), **KW)
    # held back, but a body is there: it can start a fall's time down
    assert not v.ok and v.reason == "cut by the image edge" and v.body


def test_person_lost_in_the_middle_of_the_room_still_counts() -> None:
    # fallen people are often lost by the pose model: vanishing mid-picture is not leaving
    centres = np.tile([[320.0, 300.0]], (T, 1))
    centres[-20:] = np.nan
    kp, sc = _track(centres)
    assert check_view(kp, sc, (W, H), **KW).ok


def test_upper_body_cut_by_the_bottom_edge() -> None:
    # knees and ankles placed below the picture (MediaPipe guesses them, low scores)
    kp, sc = _track(np.tile([[320.0, 430.0]], (T, 1)), scale=2.0)
    sc[..., 13:] = 0.04
    v = check_view(kp, sc, (W, H), **KW)
    assert not v.ok and v.reason == "cut by the image edge"
    # the same body a little higher, legs in the picture: in view
    kp, sc = _track(np.tile([[320.0, 250.0]], (T, 1)), scale=2.0)
    assert check_view(kp, sc, (W, H), **KW).ok


def test_torso_never_seen() -> None:
    kp, sc = _track(np.tile([[320.0, 250.0]], (T, 1)))
    sc[..., 11:13] = 0.0  # hips not found in any sample
    v = check_view(kp, sc, (W, H), **KW)
    assert not v.ok and v.reason.startswith("torso not seen")


def test_tiny_ghost_detection_is_not_a_body() -> None:
    kp, sc = _track(np.tile([[320.0, 250.0]], (T, 1)), scale=0.03)
    v = check_view(kp, sc, (W, H), **KW)
    assert not v.ok and v.reason.startswith("too small for a body") and not v.body


def test_ghost_after_the_person_left_does_not_count_as_them() -> None:
    xs = np.linspace(320, 700, T)
    centres = np.stack([xs, np.full(T, 250.0)], axis=1)
    centres[xs > 630] = np.nan
    kp, sc = _track(centres)
    ghost, gsc = _track(np.tile([[300.0, 300.0]], (T, 1)), scale=0.02)
    kp[0, -5], sc[0, -5] = ghost[0, -5], gsc[0, -5]
    assert check_view(kp, sc, (W, H), **KW).reason == "left the view"


def test_body_filling_the_frame_is_too_close() -> None:
    kp, sc = _track(np.tile([[320.0, 240.0]], (T, 1)), scale=4.0)
    inside = (kp[..., 0] >= 0) & (kp[..., 0] < W) & (kp[..., 1] >= 0) & (kp[..., 1] < H)
    sc[~inside] = 0.0  # only what the picture shows is scored
    v = check_view(kp, sc, (W, H), **KW)
    assert not v.ok
    # a whole torso that long: too close, but a body
    kp, sc = _track(np.tile([[320.0, 240.0]], (T, 1)), scale=2.4)
    v = check_view(kp, sc, (W, H), **{**KW, "max_torso": 0.15})
    assert not v.ok and v.reason.startswith("too close") and v.body, v


def test_a_held_back_body_is_reported_before_a_ghost() -> None:
    # the ghost is the first track, the person (cut by the edge) the second: the verdict
    # is the person's, so the window still shows a body
    ghost_kp, ghost_sc = _track(np.tile([[100.0, 250.0]], (T, 1)), scale=0.02)
    cut_kp, cut_sc = _track(np.tile([[320.0, 430.0]], (T, 1)), scale=2.0)
    cut_sc[..., 13:] = 0.04
    v = check_view(np.concatenate([ghost_kp, cut_kp]), np.concatenate([ghost_sc, cut_sc]),
                   (W, H), **KW)
    assert not v.ok and v.reason == "cut by the image edge" and v.body


def test_any_tracked_person_in_view_is_enough() -> None:
    good_kp, good_sc = _track(np.tile([[320.0, 250.0]], (T, 1)))
    ghost_kp, ghost_sc = _track(np.tile([[100.0, 250.0]], (T, 1)), scale=0.02)
    kp = np.concatenate([ghost_kp, good_kp])
    sc = np.concatenate([ghost_sc, good_sc])
    assert check_view(kp, sc, (W, H), **KW).ok


def test_a_glimpse_is_not_enough() -> None:
    # one detection of someone at the bottom edge in an otherwise empty window
    centres = np.full((T, 2), np.nan)
    centres[-1] = (400.0, 380.0)
    kp, sc = _track(centres)
    v = check_view(kp, sc, (W, H), **KW)
    assert not v.ok and v.reason == "seen in only 2% of the window" and not v.body
    centres[-14:] = (400.0, 300.0)  # seen for the last second: in view
    kp, sc = _track(centres)
    assert check_view(kp, sc, (W, H), **KW).ok


def test_nobody_and_bad_shapes() -> None:
    kp = np.zeros((1, T, 17, 2), np.float32)
    sc = np.zeros((1, T, 17), np.float32)
    assert check_view(kp, sc, (W, H), **KW).reason == "nobody seen"
    with pytest.raises(ValueError, match=r"\(P, T, 17, 2\)"):
        check_view(kp[0], sc[0], (W, H), **KW)


def urfd_windows_after_floor() -> Iterator[tuple[str, int, np.ndarray, np.ndarray]]:
    """``(video, sample, keypoints, scores)`` of every window ending in the 2 s after a
    URFD fall (1-15, AlphaPose keypoints at 15 Hz) reaches the floor; skips the test
    without ../shared."""
    from train.convert.urfd import read_urfd_videos

    root = Path(__file__).resolve().parents[2].parent / "shared/data/skeletons/urfd_falls_dev"
    if not root.exists():
        pytest.skip(f"URFD skeletons not found at {root} (research data, not committed)")
    for v in read_urfd_videos(root):
        kp, sc = v.keypoint[:, ::2], v.keypoint_score[:, ::2]  # 30 -> 15 Hz
        assert v.floor_frame is not None
        f = v.floor_frame // 2
        for i in range(f, min(f + 31, kp.shape[1])):
            lo = max(0, i + 1 - T)
            yield v.video, i, kp[:, lo:i + 1], sc[:, lo:i + 1]


def test_urfd_falls_are_in_view_when_they_reach_the_floor() -> None:
    """Real falls (URFD 1-15, AlphaPose keypoints): the check never holds one back in the
    2 s after the person reaches the floor. Skipped without ../shared."""
    held = []
    for video, i, kp, sc in urfd_windows_after_floor():
        verdict = check_view(kp, sc, (640, 480), **KW)
        if not verdict.ok:
            held.append((video, i, verdict.reason))
    assert not held, held
