"""The committed noise profile and the script that measures it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.contract import COCO_KEYPOINTS
from train.synth.measure_noise import Track, dumps_compact, summarize_tracks, track_video
from train.synth.noise import DEFAULT_PROFILE, load_profile


def test_profile_holds_sane_numbers_only() -> None:
    profile = load_profile()
    assert profile["joints"] == list(COCO_KEYPOINTS)
    up = profile["upright"]
    assert 0.0005 < up["jitter"]["frame_to_frame"] < 0.05  # torso lengths per frame
    assert len(up["jitter"]["frame_to_frame_joint"]) == 17
    q = np.array(up["scores"]["quantiles"], dtype=np.float64)
    assert q.shape == (17, 21) and (np.diff(q, axis=1) >= -1e-9).all()
    assert 0 <= up["dropout"]["in_track_rate"] < 0.5
    assert "rotated90" in profile
    # Numbers only: no keypoint arrays or frames sneak into the committed file.
    assert DEFAULT_PROFILE.stat().st_size < 64_000


def test_summary_of_a_synthetic_track_recovers_its_noise() -> None:
    rng = np.random.default_rng(0)
    t = 300
    base = np.array([(160, 60)] * 5 + [(175, 80), (145, 80), (180, 110), (140, 110), (182, 135),
                                       (138, 135), (170, 130), (150, 130), (170, 170),
                                       (150, 170), (170, 205), (150, 205)], dtype=np.float64)
    kp = base[None] + rng.normal(0, 0.5, (t, 17, 2))  # white noise, 0.01 torso lengths
    scores = np.full((t, 17), 0.9)
    present = np.ones(t, dtype=bool)
    present[100:103] = False  # one 3-frame dropout
    kp[~present] = 0
    scores[~present] = 0
    summary = summarize_tracks([Track("synthetic", kp, scores, present, 15.0, (320, 240))])
    d1 = summary["jitter"]["frame_to_frame"]
    assert d1 == pytest.approx(0.01 * np.sqrt(2), rel=0.15)
    assert summary["dropout"]["gaps"] == 1 and summary["dropout"]["mean_gap_frames"] == 3
    assert summary["scores"]["mean"][0] == pytest.approx(0.9)
    assert "\n   0." not in dumps_compact(summary)  # number lists stay on one line


def test_tracker_runs_on_a_real_video(shared_data: Path) -> None:
    model = Path(__file__).resolve().parents[3] / "assets" / "models" / "pose_landmarker_full.task"
    if not model.is_file():
        pytest.skip(f"no pose model at {model}")
    video = shared_data / "videos" / "open" / "classroom.gif"
    if not video.is_file():
        pytest.skip(f"{video} is missing")
    track = track_video(video, model, max_frames=12)
    assert track.keypoints.shape == (12, 17, 2) and track.present.mean() > 0.5
    assert track.scores.max() <= 1.0
