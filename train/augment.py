"""Training augmentation on top of the input contract.

- Horizontal flip: the contract's ``flip_inputs`` on the finished inputs (both
  modalities, left/right heatmaps swapped), with probability ``flip_prob``.
- PoseC3D ``RandomResizedCrop`` for the pose phase: a random sub-box of the clip's
  global box, ``area`` 0.56-1.0 of it and aspect ratio 3/4-4/3; the keypoints are then
  mapped into that sub-box by the contract, which stretches it to 56x56.
- Face drop: the eyes and ears removed (score 0) in a share of clips
  (``augment.drop_face_prob``), because Kinect skeletons and 13-keypoint AlphaPose
  files have none, and the edge should not depend on them.
"""

from __future__ import annotations

import math

import numpy as np

from model.contract import Box

__all__ = ["FACE_JOINTS", "drop_face", "random_resized_box"]

FACE_JOINTS = (1, 2, 3, 4)  # COCO-17 left/right eye, left/right ear


def drop_face(scores: np.ndarray) -> np.ndarray:
    """A copy of ``scores`` ``(..., 17)`` with the eyes and ears set to 0 (not seen)."""
    out = np.array(scores, copy=True)
    out[..., list(FACE_JOINTS)] = 0
    return out


def random_resized_box(
    box: Box,
    rng: np.random.RandomState,
    *,
    area_range: tuple[float, float] = (0.56, 1.0),
    ratio_range: tuple[float, float] = (3 / 4, 4 / 3),
    max_tries: int = 10,
) -> Box:
    """A random crop inside ``box`` (pixels), as torchvision/PYSKL RandomResizedCrop.

    Draws an area fraction uniformly from ``area_range`` and a log-uniform aspect ratio
    (width/height) from ``ratio_range``; the first of ``max_tries`` draws that fits is
    placed uniformly inside ``box``. If none fits, ``box`` itself is returned.
    """
    w, h = box.width, box.height
    log_lo, log_hi = math.log(ratio_range[0]), math.log(ratio_range[1])
    for _ in range(max_tries):
        area = float(rng.uniform(*area_range)) * w * h
        ratio = math.exp(float(rng.uniform(log_lo, log_hi)))
        cw = round(math.sqrt(area * ratio))
        ch = round(math.sqrt(area / ratio))
        if 0 < cw <= w and 0 < ch <= h:
            x0 = box.x0 + int(rng.randint(0, w - cw + 1))
            y0 = box.y0 + int(rng.randint(0, h - ch + 1))
            return Box(x0, y0, x0 + cw, y0 + ch)
    return box
