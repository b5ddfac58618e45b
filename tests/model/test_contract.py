from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from model import contract as C


# ----------------------------------------------------------------- heatmaps
def test_heatmap_value_and_peak_by_hand() -> None:
    kp = np.array([[[10.3, 20.6]]], dtype=np.float32)  # (1 frame, 1 joint, xy)
    sc = np.array([[0.8]], dtype=np.float32)
    hm = C.render_heatmaps(kp, sc)[0, 0]  # (56, 56), rows are y
    assert hm.shape == (56, 56)
    expected = 0.8 * math.exp(-((10 - 10.3) ** 2 + (21 - 20.6) ** 2) / (2 * 0.6**2))
    assert hm[21, 10] == pytest.approx(expected, rel=1e-5)
    assert np.unravel_index(np.argmax(hm), hm.shape) == (21, 10)
    # truncated at 3 sigma with PYSKL's window: x in [int(8.5), int(12.1)] = [8, 12]
    assert hm[21, 12] > 0 and hm[21, 13] == 0.0 and hm[21, 7] == 0.0
    assert hm[22, 10] > 0 and hm[23, 10] == 0.0  # y in [18, 22]
    assert hm[18, 10] > 0 and hm[17, 10] == 0.0


def test_missing_joint_gives_no_heat_and_persons_merge_with_max() -> None:
    kp = np.zeros((2, 1, 17, 2), dtype=np.float32)
    sc = np.zeros((2, 1, 17), dtype=np.float32)
    kp[0, 0, 5] = (20, 20)
    sc[0, 0, 5] = 0.5
    kp[1, 0, 5] = (20, 20)
    sc[1, 0, 5] = 0.9
    kp[1, 0, 6] = (np.nan, 3)
    sc[1, 0, 6] = 1.0
    vol = C.render_pose_volume(kp, sc)
    assert vol.shape == (17, 1, 56, 56)
    assert vol[5, 0, 20, 20] == pytest.approx(0.9)
    assert vol[6].max() == 0.0
    assert vol[0].max() == 0.0


def test_volume_layout_is_joint_then_time() -> None:
    kp = np.zeros((1, 48, 17, 2), dtype=np.float32)
    sc = np.zeros((1, 48, 17), dtype=np.float32)
    kp[0, 7, 3] = (40, 12)
    sc[0, 7, 3] = 1.0
    vol = C.render_pose_volume(kp, sc)
    assert vol.shape == (17, 48, 56, 56) and vol.dtype == np.float32
    assert vol[3, 7, 12, 40] == pytest.approx(1.0)
    assert vol.sum() == pytest.approx(vol[3, 7].sum())


# ----------------------------------------------------------------- box
def test_box_worked_example() -> None:
    kp = np.array([[100, 50], [200, 250], [150, 100]], dtype=np.float32)
    # centre (150, 150); half sizes 62.5 x 125 -> square 125 x 125
    assert C.compute_box(kp, (640, 480)) == C.Box(25, 25, 275, 275)


def test_box_is_clipped_to_the_image() -> None:
    kp = np.array([[10, 300], [110, 460]], dtype=np.float32)
    # centre (60, 380); half 62.5 x 100 -> 100 x 100 -> clipped
    assert C.compute_box(kp, (640, 480)) == C.Box(0, 280, 160, 480)


def test_box_ignores_missing_joints_and_falls_back_to_image() -> None:
    kp = np.array([[100, 50], [200, 250], [0, 0], [600, 400]], dtype=np.float32)
    sc = np.array([1.0, 1.0, 1.0, 0.0], dtype=np.float32)
    assert C.compute_box(kp, (640, 480), sc) == C.Box(25, 25, 275, 275)
    assert C.compute_box(np.zeros((5, 2)), (640, 480)) == C.Box(0, 0, 640, 480)
    tiny = np.array([[100, 100], [104, 103]], dtype=np.float32)
    assert C.compute_box(tiny, (640, 480)) == C.Box(0, 0, 640, 480)


def test_keypoints_into_heatmap_space() -> None:
    box = C.Box(25, 25, 275, 275)
    out = C.keypoints_to_heatmap_space(np.array([[25.0, 275.0], [150.0, 150.0]]), box)
    np.testing.assert_allclose(out, [[0.0, 56.0], [28.0, 28.0]])


# ----------------------------------------------------------------- sampling
def test_sampling_long_clip_one_frame_per_segment() -> None:
    inds = C.uniform_sample_indices(200)
    bounds = [i * 200 // 48 for i in range(49)]
    assert len(inds) == 48
    assert all(bounds[i] <= inds[i] < bounds[i + 1] for i in range(48))
    np.testing.assert_array_equal(inds, C.uniform_sample_indices(200))  # fixed seed
    rng = np.random.RandomState(3)
    train = [C.uniform_sample_indices(200, test_mode=False, rng=rng) for _ in range(3)]
    assert not all(np.array_equal(train[0], t) for t in train[1:])


def test_sampling_medium_clip_inserts_skips() -> None:
    inds = C.uniform_sample_indices(60)
    assert len(inds) == 48 and len(set(inds.tolist())) == 48
    assert np.all(np.diff(inds) >= 1) and inds.max() < 60
    assert np.sum(np.diff(inds) - 1) + inds[0] + (59 - inds[-1]) == 12  # 12 frames skipped
    exactly = C.uniform_sample_indices(48)
    np.testing.assert_array_equal(exactly, np.arange(48))


def test_sampling_short_clip_wraps_around() -> None:
    np.testing.assert_array_equal(C.uniform_sample_indices(20), np.arange(48) % 20)
    rng = np.random.RandomState(0)
    inds = C.uniform_sample_indices(20, test_mode=False, rng=rng)
    start = inds[0]
    np.testing.assert_array_equal(inds, (start + np.arange(48)) % 20)


def test_rgb_frames_are_every_third_sample() -> None:
    np.testing.assert_array_equal(C.rgb_indices(), np.arange(0, 48, 3))


# ----------------------------------------------------------------- flip
def test_flip_swaps_left_and_right() -> None:
    kp = np.zeros((1, 17, 2), dtype=np.float32)
    sc = np.ones((1, 17), dtype=np.float32)
    kp[0, 5] = (10, 30)  # left shoulder
    kp[0, 6] = (40, 30)  # right shoulder
    kp[0, 0] = (25, 10)  # nose
    fk, _fs = C.flip_keypoints(kp, sc, width=56)
    np.testing.assert_allclose(fk[0, 6], (45, 30))  # left shoulder is now the right one
    np.testing.assert_allclose(fk[0, 5], (15, 30))
    np.testing.assert_allclose(fk[0, 0], (30, 10))
    assert C.FLIP_INDEX[1] == 2 and C.FLIP_INDEX[16] == 15 and C.FLIP_INDEX[0] == 0


def test_flip_inputs_matches_flipped_keypoints() -> None:
    rng = np.random.default_rng(0)
    kp = rng.integers(4, 52, (1, 48, 17, 2)).astype(np.float32)  # integer: exact mirror
    sc = rng.uniform(0.2, 1, (1, 48, 17)).astype(np.float32)
    pose = C.render_pose_volume(kp, sc)
    rgb = rng.normal(size=(3, 16, 8, 8)).astype(np.float32)
    fpose, frgb = C.flip_inputs(pose, rgb)
    fk, fs = C.flip_keypoints(kp, sc, width=56)
    # equal up to PYSKL's asymmetric 3-sigma window: at most exp(-2^2 / (2 sigma^2)) ~ 0.004
    np.testing.assert_allclose(fpose, C.render_pose_volume(fk, fs), atol=0.0039)
    assert np.abs(fpose - C.render_pose_volume(fk, fs)).mean() < 1e-4
    assert frgb is not None
    np.testing.assert_array_equal(frgb, rgb[..., ::-1])


# ----------------------------------------------------------------- mediapipe + whole clip
def test_mediapipe_to_coco() -> None:
    lm = np.zeros((33, 3), dtype=np.float32)
    lm[11] = (0.25, 0.5, 0)  # MediaPipe left shoulder
    lm[28] = (0.75, 1.0, 0)  # right ankle
    vis = np.full(33, 0.9, dtype=np.float32)
    vis[28] = 0.1
    kp, sc = C.mediapipe_to_coco(lm, (640, 480), visibility=vis)
    assert kp.shape == (17, 2) and sc.shape == (17,)
    np.testing.assert_allclose(kp[5], (160, 240))
    np.testing.assert_allclose(kp[16], (480, 480))
    assert sc[5] == pytest.approx(0.9) and sc[16] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="33"):
        C.mediapipe_to_coco(np.zeros((17, 2)), (640, 480))


def test_build_inputs_on_a_synthetic_clip() -> None:
    rng = np.random.default_rng(0)
    t, w, h = 120, 320, 240
    kp = np.empty((1, t, 17, 2), dtype=np.float32)
    kp[..., 0] = rng.uniform(100, 180, (1, t, 17))
    kp[..., 1] = rng.uniform(60, 200, (1, t, 17))
    sc = np.ones((1, t, 17), dtype=np.float32)
    frames = np.zeros((t, h, w, 3), dtype=np.uint8)
    frames[:, :, :, 0] = 200
    out = C.build_inputs(kp, sc, (w, h), frames=frames)
    assert out.pose.shape == (17, 48, 56, 56)
    assert out.rgb is not None and out.rgb.shape == (3, 16, 224, 224)
    assert out.rgb[0].mean() == pytest.approx((200 - 123.675) / 58.395, rel=1e-4)
    assert out.rgb[1].mean() == pytest.approx(-116.28 / 57.12, rel=1e-4)
    assert out.pose.max() == pytest.approx(1.0, abs=0.05)
    np.testing.assert_array_equal(out.indices, C.uniform_sample_indices(t))
    pose_only = C.build_inputs(kp, sc, (w, h))
    assert pose_only.rgb is None
    np.testing.assert_array_equal(pose_only.pose, out.pose)


def test_contract_imports_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import model, model.contract, model.labels, model.metadata\n"
        "import numpy as np\n"
        "model.contract.render_pose_volume(np.zeros((1,48,17,2)), np.ones((1,48,17)))\n"
        "assert sys.modules['torch'] is None\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
