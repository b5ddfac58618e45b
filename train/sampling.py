"""Which 48 frames of a clip the model sees: the paper's uniform sampling or edge-rate windows.

- ``uniform``: PYSKL ``UniformSampleFrames`` (the contract's ``uniform_sample_indices``),
  48 frames spread over the whole trimmed clip, whatever its length.
- ``rate``: a window of 48 samples at ``sample_rate_hz`` (3.2 s at 15 Hz), what the edge
  ring buffer holds. A clip longer than the window gives a random window (training) or
  the centred one (test); a shorter clip sits at a random (training) or centred (test)
  place in the window, its first/last frame held before/after it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from model.contract import CLIP_LEN, uniform_sample_indices

__all__ = ["Sampling", "rate_window_indices", "sample_indices"]

Sampling = Literal["uniform", "rate"]
IntArray = npt.NDArray[np.int64]


def rate_window_indices(
    total_frames: int,
    fps: float,
    sample_rate_hz: float,
    clip_len: int = CLIP_LEN,
    *,
    test_mode: bool = True,
    rng: np.random.RandomState | None = None,
) -> IntArray:
    """``clip_len`` frame indices, ``fps / sample_rate_hz`` frames apart (rounded).

    Args:
        total_frames: frames in the clip.
        fps: the clip's frame rate (frames per second).
        sample_rate_hz: samples per second of the window.
        test_mode: centred window; otherwise a uniformly random placement from ``rng``.

    Returns:
        ``(clip_len,)`` int64 indices in ``[0, total_frames)``, non-decreasing.
    """
    if total_frames < 1:
        raise ValueError("a clip needs at least one frame")
    if fps <= 0 or sample_rate_hz <= 0:
        raise ValueError(f"fps and sample_rate_hz must be positive, got {fps}, {sample_rate_hz}")
    step = fps / sample_rate_hz
    span = step * (clip_len - 1)  # frames between the first and the last sample
    slack = (total_frames - 1) - span  # >= 0: windows fit inside; < 0: clip fits inside
    lo, hi = min(0.0, slack), max(0.0, slack)
    if test_mode:
        start = (lo + hi) / 2
    else:
        rs = rng if rng is not None else np.random.RandomState()
        start = float(rs.uniform(lo, hi)) if hi > lo else lo
    inds = np.floor(start + step * np.arange(clip_len) + 0.5).astype(np.int64)
    return np.clip(inds, 0, total_frames - 1)


def sample_indices(
    sampling: Sampling,
    total_frames: int,
    *,
    fps: float,
    sample_rate_hz: float,
    test_mode: bool,
    rng: np.random.RandomState | None = None,
    clip_len: int = CLIP_LEN,
) -> IntArray:
    """The ``clip_len`` frame indices of one clip under ``sampling`` (see the module doc)."""
    if sampling == "uniform":
        return uniform_sample_indices(total_frames, clip_len, test_mode=test_mode, rng=rng)
    if sampling == "rate":
        return rate_window_indices(total_frames, fps, sample_rate_hz, clip_len,
                                   test_mode=test_mode, rng=rng)
    raise ValueError(f"unknown sampling {sampling!r}; use 'uniform' or 'rate'")
