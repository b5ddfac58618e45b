"""Generated keypoints carry the jitter, scores and dropouts measured on MediaPipe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from train.synth.noise import NoiseConfig, NoiseModel, load_profile, self_occlusion
from train.synth.stats import TrackSamples, collect_samples, fit_jitter, structure_function

# A person standing still facing the camera, torso 50 px (COCO-17 order).
STILL = np.array([
    (160, 60), (163, 57), (157, 57), (167, 58), (153, 58), (175, 80), (145, 80), (180, 110),
    (140, 110), (182, 135), (138, 135), (170, 130), (150, 130), (170, 170), (150, 170),
    (170, 205), (150, 205)], dtype=np.float64)
QUIET = NoiseConfig(jitter_scale=(1.0, 1.0), other_estimator_prob=0.0, glitch_scale=0.0,
                    swap_scale=0.0, dropout_scale=0.0, score_gamma_prob=0.0, offset_sigma=0.0,
                    low_score_drift=0.0)


def _still_clips(model: NoiseModel, n: int, t: int = 48) -> tuple[TrackSamples, np.ndarray]:
    rng = np.random.default_rng(0)
    samples = TrackSamples.empty()
    scores = []
    for _ in range(n):
        kp, sc, _ = model.apply(rng, np.repeat(STILL[None], t, axis=0), np.full(t, 50.0),
                                (320, 240))
        samples.extend(collect_samples(kp, sc))
        scores.append(sc)
    return samples, np.concatenate(scores)


def test_jitter_of_a_still_person_matches_the_profile() -> None:
    profile = load_profile()
    samples, _ = _still_clips(NoiseModel(profile, QUIET), 80)
    measured = profile["upright"]["jitter"]["structure"]
    got = structure_function(samples)
    # Frame-to-frame jitter within 20 %; slower lags lower than measured, whose growth
    # includes the real sway of "still" people (see stats.py), but not above it.
    assert abs(got[1] / measured[0] - 1) < 0.2, (got, measured)
    assert abs(got[2] / measured[1] - 1) < 0.3
    assert got[8] <= measured[-1] * 1.1


def test_scores_follow_the_measured_distribution_per_joint() -> None:
    profile = load_profile()
    _, scores = _still_clips(NoiseModel(profile, QUIET), 80)
    means = np.array(profile["upright"]["scores"]["mean"], dtype=np.float64)
    np.testing.assert_allclose(scores.mean(axis=0), means, atol=0.06)
    low = np.array(profile["upright"]["scores"]["below_0.5"], dtype=np.float64)
    np.testing.assert_allclose((scores < 0.5).mean(axis=0), low, atol=0.08)
    # Wrists are the least certain joints in both.
    assert set(np.argsort(scores.mean(axis=0))[:2]) == set(np.argsort(means)[:2])


def test_hidden_and_out_of_frame_joints_score_low() -> None:
    model = NoiseModel(load_profile(), QUIET)
    rng = np.random.default_rng(1)
    t = 200
    kp = np.repeat(STILL[None], t, axis=0)
    kp[:, 15:, 1] += 100  # ankles below the image
    hidden = np.zeros((t, 17))
    hidden[:, 7] = 1.0  # left elbow behind the torso
    _, sc, _ = model.apply(rng, kp, np.full(t, 50.0), (320, 240), occluded=hidden)
    assert sc[:, 15:].mean() < 0.1
    _, free, _ = model.apply(np.random.default_rng(1), np.repeat(STILL[None], t, axis=0),
                             np.full(t, 50.0), (320, 240))
    assert sc[:, 7].mean() < free[:, 7].mean() - 0.15


def test_self_occlusion_hides_the_far_arm_behind_the_torso() -> None:
    uv = np.repeat(STILL[None], 2, axis=0).copy()
    depth = np.full((2, 17), 4.0)
    uv[1, 9] = (160, 100)  # left wrist in front of the belly...
    depth[1, 9] = 4.3  # ...but farther than the torso: hidden
    occ = self_occlusion(depth, uv, np.full(2, 50.0))
    assert occ[0, 9] == 0 and occ[1, 9] == 1


def test_dataset_dropouts_and_jitter_are_near_the_profile(
        small_dataset: tuple[Path, dict[str, Any]]) -> None:
    out, data = small_dataset
    profile = load_profile()
    lost = np.concatenate([a["keypoint_score"][0].max(axis=1) == 0 for a in data["annotations"]])
    rate = profile["upright"]["dropout"]["in_track_rate"]
    # Measured in-track dropouts, plus extra when lying, partly out of frame or far.
    assert 0.5 * rate < lost.mean() < 3.0 * rate
    samples = TrackSamples.empty()
    meta = [json.loads(line) for line in (out / "clips.jsonl").read_text().splitlines()]
    for ann, m in zip(data["annotations"], meta, strict=True):
        if m["variant"] in ("bg_stand", "bg_sit", "lying_supine_still", "lying_prone_still"):
            samples.extend(collect_samples(ann["keypoint"][0], ann["keypoint_score"][0]))
    got = structure_function(samples)[1]
    measured = profile["upright"]["jitter"]["frame_to_frame"]
    assert measured < got < 8 * measured  # jitter scale 0.8-2.5, unsmoothed clips, sway


def test_jitter_estimator_recovers_a_known_process() -> None:
    rng = np.random.default_rng(3)
    t, sigma, rho = 4000, 0.02, 0.8
    e = np.zeros((t, 17, 2))
    for i in range(1, t):
        e[i] = rho * e[i - 1] + np.sqrt(1 - rho**2) * rng.normal(0, sigma, (17, 2))
    kp = np.repeat(STILL[None], t, axis=0) + e * 50.0
    samples = collect_samples(kp, np.ones((t, 17)))
    s = structure_function(samples)
    expect = sigma * np.sqrt(2 * (1 - rho))
    assert abs(s[1] / expect - 1) < 0.1
    model = fit_jitter(s, rhos=(rho,))
    assert abs(model.drift[0] / sigma - 1) < 0.15 and model.white < 0.3 * sigma
