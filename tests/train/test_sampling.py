from __future__ import annotations

import numpy as np
import pytest

from model.contract import uniform_sample_indices
from train.sampling import rate_window_indices, sample_indices


def test_uniform_is_the_contract() -> None:
    got = sample_indices("uniform", 300, fps=30, sample_rate_hz=15, test_mode=True)
    assert np.array_equal(got, uniform_sample_indices(300, 48, test_mode=True))


def test_rate_window_spacing_and_centre() -> None:
    inds = rate_window_indices(300, fps=30.0, sample_rate_hz=15.0, test_mode=True)
    assert inds.shape == (48,)
    assert set(np.diff(inds)) == {2}  # 30 fps / 15 Hz
    span = inds[-1] - inds[0]
    assert span == 94
    assert abs((inds[0] + inds[-1]) / 2 - 299 / 2) <= 1  # centred


def test_rate_window_random_start_stays_inside() -> None:
    rng = np.random.RandomState(0)
    starts = set()
    for _ in range(50):
        inds = rate_window_indices(300, 30.0, 15.0, test_mode=False, rng=rng)
        assert inds.min() >= 0 and inds.max() <= 299
        starts.add(int(inds[0]))
    assert len(starts) > 10


def test_short_clip_is_held_at_its_ends() -> None:
    inds = rate_window_indices(20, 10.0, 15.0, test_mode=True)  # 3.2 s window, 2 s clip
    assert inds.min() == 0 and inds.max() == 19
    assert np.all(np.diff(inds) >= 0)
    assert (inds == 0).sum() > 1 and (inds == 19).sum() > 1  # held before and after


@pytest.mark.parametrize("fps", [10.0, 25.0, 60.0])
def test_rate_uses_the_clip_fps(fps: float) -> None:
    inds = rate_window_indices(2000, fps, 15.0, test_mode=True)
    seconds = (inds[-1] - inds[0]) / fps
    assert seconds == pytest.approx(47 / 15, abs=1.5 / fps)
