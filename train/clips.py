"""One clip's model inputs for training: the contract's steps, with a box hook and a flip.

Without a box jitter and with frames this equals ``model.contract.build_inputs`` exactly
(a test checks it); the only additions are the PoseC3D box jitter between the global box
and the heatmaps, and RGB-only clips (the rgb phase).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from model.contract import (
    RGB_SIZE,
    Box,
    compute_box,
    crop_resize_rgb,
    flip_inputs,
    keypoints_to_heatmap_space,
    render_pose_volume,
    rgb_indices,
)

__all__ = ["TrainClip", "make_clip"]

FloatArray = npt.NDArray[np.float32]
Frame = npt.NDArray[np.uint8]
_NO_POSE = np.zeros((17, 0, 0, 0), dtype=np.float32)  # lets flip_inputs flip RGB alone


@dataclass(frozen=True)
class TrainClip:
    """The inputs of one clip: pose ``(17, 48, 56, 56)`` and/or RGB ``(3, 16, 224, 224)``."""

    pose: FloatArray | None
    rgb: FloatArray | None
    box: Box


def make_clip(
    keypoints: npt.ArrayLike,
    scores: npt.ArrayLike,
    image_size: tuple[int, int],
    indices: npt.NDArray[np.int64],
    *,
    frames: Mapping[int, Frame] | None = None,
    with_pose: bool = True,
    box_jitter: Callable[[Box], Box] | None = None,
    flip: bool = False,
    rgb_size: int = RGB_SIZE,
) -> TrainClip:
    """Build one clip's inputs from its keypoints (and frames) at the sampled ``indices``.

    Args:
        keypoints: ``(M, T_total, 17, 2)`` pixel keypoints; scores ``(M, T_total, 17)``.
        image_size: ``(width, height)`` of the frames the keypoints refer to (pixels).
        indices: ``(48,)`` sampled frame indices.
        frames: decoded RGB frames by clip frame index (at least ``indices[0::3]``);
            None: no RGB.
        with_pose: render the pose volume (False for the rgb phase).
        box_jitter: maps the global box to the box actually used (training only).
        flip: mirror both modalities (``contract.flip_inputs``).
        rgb_size: side of the RGB crops (the contract's 224; smaller for the rgb
            phase's curriculum, ``data.rgb_size``).
    """
    kp = np.asarray(keypoints, dtype=np.float32)
    sc = np.asarray(scores, dtype=np.float32)
    kp_s, sc_s = kp[:, indices], sc[:, indices]
    box = compute_box(kp_s, image_size, sc_s)
    if box_jitter is not None:
        box = box_jitter(box)
    pose = render_pose_volume(keypoints_to_heatmap_space(kp_s, box), sc_s) if with_pose else None
    rgb = None
    if frames is not None:
        rgb = crop_resize_rgb([frames[int(i)] for i in indices[rgb_indices()]], box,
                              size=rgb_size)
    if flip:
        flipped_pose, rgb = flip_inputs(pose if pose is not None else _NO_POSE, rgb)
        pose = flipped_pose if pose is not None else None
    return TrainClip(pose=pose, rgb=rgb, box=box)
