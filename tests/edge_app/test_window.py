from __future__ import annotations

import numpy as np

from edge_app.window import RingBuffer, Sample, WindowBuilder, downscale, same_person
from model import contract as C


def _samples(rng: np.random.Generator, persons: int = 2, scale: float = 0.5,
             with_frames: bool = True) -> list[Sample]:
    out = []
    w, h = 640, 480
    for t in range(48):
        kp = np.stack([rng.uniform(200, 400, (persons, 17)), rng.uniform(100, 420, (persons, 17))],
                      -1).astype(np.float32)
        sc = rng.uniform(0, 1, (persons, 17)).astype(np.float32)
        if t % 7 == 0:
            sc[1:] = 0  # second person missing now and then
        frame = None
        if with_frames:
            full = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            frame, scale = downscale(full, 320)
        out.append(Sample(t / 15, frame, scale, kp, sc, (w, h), persons))
    return out


def test_online_heatmaps_equal_the_offline_contract() -> None:
    rng = np.random.default_rng(0)
    samples = _samples(rng, with_frames=False)
    window = WindowBuilder().build(samples, with_rgb=False)
    kp = np.stack([s.keypoints for s in samples], axis=1)
    sc = np.stack([s.scores for s in samples], axis=1)
    box = C.compute_box(kp, (640, 480), sc)
    offline = C.render_pose_volume(C.keypoints_to_heatmap_space(kp, box), sc)
    assert window.box == box
    np.testing.assert_array_equal(window.pose, offline)
    assert window.rgb is None and window.person_fraction == 1.0


def test_heatmaps_are_reused_while_the_box_holds() -> None:
    rng = np.random.default_rng(1)
    samples = _samples(rng, with_frames=False)
    builder = WindowBuilder()
    first = builder.build(samples, with_rgb=False)
    assert builder.rendered == 48 and builder.reused == 0
    # slide by 8 samples that stay inside the same box: 40 reused
    new = _samples(np.random.default_rng(1), with_frames=False)[:8]
    for s in new:
        s.keypoints = samples[-1].keypoints.copy()
    second = builder.build(samples[8:] + new, with_rgb=False)
    if second.box == first.box:
        assert builder.reused == 40
    np.testing.assert_array_equal(second.pose[:, :40], first.pose[:, 8:])


def test_rgb_crops_from_the_downscaled_frames() -> None:
    rng = np.random.default_rng(2)
    samples = _samples(rng, persons=1)
    window = WindowBuilder().build(samples, with_rgb=True)
    assert window.rgb is not None and window.rgb.shape == (3, 16, 224, 224)
    # the crop of sample 3 equals the contract's crop of that stored frame
    s = samples[3]
    b = window.box
    scaled = C.Box(int(b.x0 * s.scale), int(b.y0 * s.scale), int(np.ceil(b.x1 * s.scale)),
                   int(np.ceil(b.y1 * s.scale)))
    assert s.frame is not None
    np.testing.assert_allclose(window.rgb[:, 1], C.crop_resize_rgb([s.frame], scaled)[:, 0])


def test_ring_buffer_is_bounded() -> None:
    ring = RingBuffer(48)
    rng = np.random.default_rng(3)
    for s in _samples(rng, with_frames=False) * 3:
        ring.push(s)
    assert len(ring) == 48 and ring.full and ring.pushed == 144


def test_samples_of_a_discredited_track_are_left_out_of_the_window() -> None:
    """Slot 0 followed a cabinet (track 1), then the person (track 2) displaced it."""
    rng = np.random.default_rng(3)
    samples = _samples(rng, persons=1, with_frames=False)
    for t, s in enumerate(samples):
        if t < 30:
            s.keypoints = s.keypoints - np.float32(180)  # somewhere else in the room
        s.track_ids = np.array([1 if t < 30 else 2], np.int64)
    assert same_person(samples, {1})[0].tolist() == [False] * 30 + [True] * 18
    assert same_person(samples).all() and same_person(samples, {7}).all()
    window = WindowBuilder().build(samples, with_rgb=False, keep=same_person(samples, {1}))
    kp = np.stack([s.keypoints for s in samples], axis=1)
    sc = np.stack([s.scores for s in samples], axis=1)
    everyone = C.compute_box(kp, (640, 480), sc.copy())
    sc[:, :30] = 0
    box = C.compute_box(kp, (640, 480), sc)
    assert window.box == box and box.x0 > everyone.x0  # the cabinet is not in the crop
    np.testing.assert_array_equal(
        window.pose, C.render_pose_volume(C.keypoints_to_heatmap_space(kp, box), sc))
    assert window.person_fraction == 18 / 48
