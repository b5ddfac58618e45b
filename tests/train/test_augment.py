from __future__ import annotations

import numpy as np

from model.contract import Box
from train.augment import random_resized_box


def test_random_resized_box_stays_inside_with_the_area_range() -> None:
    rng = np.random.RandomState(0)
    box = Box(10, 20, 210, 220)
    areas = []
    for _ in range(200):
        b = random_resized_box(box, rng)
        assert box.x0 <= b.x0 < b.x1 <= box.x1 and box.y0 <= b.y0 < b.y1 <= box.y1
        areas.append(b.width * b.height / (box.width * box.height))
        assert 3 / 4 - 0.05 <= b.width / b.height <= 4 / 3 + 0.05
    assert min(areas) >= 0.54 and max(areas) <= 1.0
    assert np.std(areas) > 0.05


def test_impossible_crop_returns_the_box() -> None:
    box = Box(0, 0, 1, 1)
    assert random_resized_box(box, np.random.RandomState(0), ratio_range=(3.0, 4.0)) == box


def test_drop_face_zeroes_eyes_and_ears_only() -> None:
    from train.augment import FACE_JOINTS, drop_face

    sc = np.full((2, 5, 17), 0.8, np.float32)
    out = drop_face(sc)
    assert (out[..., list(FACE_JOINTS)] == 0).all()
    assert (np.delete(out, list(FACE_JOINTS), axis=-1) == 0.8).all()
    assert (sc == 0.8).all()  # the input is left alone
