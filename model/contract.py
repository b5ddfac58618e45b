"""The numpy input contract: (frames, keypoints, scores) -> EPAM-Net's two inputs.

One module serves training (with augmentation on top) and the edge runtime, so
the model sees at the edge exactly what it saw in training. It must never import
torch. Image resizing uses OpenCV (bilinear, as mmcv does); OpenCV is imported
only when RGB crops are built.

Conventions:
- keypoints are pixel coordinates ``(x, y)`` in the source image, arrays
  ``(M, T, 17, 2)`` (persons, frames, COCO-17 joints); scores ``(M, T, 17)`` in 0-1.
  A joint with score 0 or non-finite coordinates is missing.
- frames are RGB ``uint8`` arrays ``(T, H, W, 3)``.
- pose volume: ``(17, 48, 56, 56)`` float32 (K, T, H, W); RGB clip: ``(3, 16, 224, 224)``
  float32 (C, T, H, W), ImageNet-normalised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CLIP_LEN",
    "COCO_KEYPOINTS",
    "COCO_LEFT",
    "COCO_RIGHT",
    "FLIP_INDEX",
    "HEATMAP_SIZE",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "MEDIAPIPE_TO_COCO",
    "NUM_KEYPOINTS",
    "RGB_FRAMES",
    "RGB_SIZE",
    "RGB_STRIDE",
    "SIGMA",
    "TEST_SEED",
    "Box",
    "ClipInputs",
    "build_inputs",
    "compute_box",
    "crop_resize_rgb",
    "flip_inputs",
    "flip_keypoints",
    "keypoints_to_heatmap_space",
    "mediapipe_to_coco",
    "render_heatmaps",
    "render_pose_volume",
    "rgb_indices",
    "uniform_sample_indices",
]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

NUM_KEYPOINTS = 17
CLIP_LEN = 48
RGB_FRAMES = 16
RGB_STRIDE = CLIP_LEN // RGB_FRAMES
HEATMAP_SIZE = 56
RGB_SIZE = 224
SIGMA = 0.6
BOX_PADDING = 0.25
BOX_THRESHOLD = 10.0
TEST_SEED = 255
SCORE_EPS = 1e-4

COCO_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
COCO_LEFT: tuple[int, ...] = (1, 3, 5, 7, 9, 11, 13, 15)
COCO_RIGHT: tuple[int, ...] = (2, 4, 6, 8, 10, 12, 14, 16)
# Index permutation that swaps every left joint with its right twin.
FLIP_INDEX: tuple[int, ...] = tuple(
    COCO_RIGHT[COCO_LEFT.index(i)] if i in COCO_LEFT
    else COCO_LEFT[COCO_RIGHT.index(i)] if i in COCO_RIGHT
    else i
    for i in range(NUM_KEYPOINTS)
)  # fmt: skip
# MediaPipe Pose (BlazePose, 33 landmarks) index of each COCO-17 joint.
MEDIAPIPE_TO_COCO: tuple[int, ...] = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)

IMAGENET_MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
IMAGENET_STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)


@dataclass(frozen=True)
class Box:
    """Integer crop box in source-image pixels, ``[x0, x1) x [y0, y1)``."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)


@dataclass(frozen=True)
class ClipInputs:
    """The two model inputs of one clip, and how they were made."""

    pose: FloatArray  # (17, 48, 56, 56)
    rgb: FloatArray | None  # (3, 16, 224, 224), None in pose-only mode
    box: Box
    indices: IntArray  # (48,) frame indices sampled from the clip


# --------------------------------------------------------------------------- keypoints


def mediapipe_to_coco(
    landmarks: npt.ArrayLike,
    image_size: tuple[int, int],
    visibility: npt.ArrayLike | None = None,
    presence: npt.ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Map MediaPipe Pose landmarks (33) to COCO-17 pixel keypoints with scores.

    Args:
        landmarks: ``(..., 33, 2+)`` normalised coordinates (x, y in 0-1 of the image).
        image_size: ``(width, height)`` of the image in pixels.
        visibility: ``(..., 33)`` MediaPipe visibility in 0-1 (None: 1).
        presence: ``(..., 33)`` MediaPipe presence in 0-1 (None: 1).

    Returns:
        keypoints ``(..., 17, 2)`` in pixels and scores ``(..., 17)`` in 0-1
        (visibility x presence). Non-finite landmarks get score 0.
    """
    lm = np.asarray(landmarks, dtype=np.float32)
    if lm.shape[-2] != 33 or lm.shape[-1] < 2:
        raise ValueError(f"expected (..., 33, 2+) landmarks, got {lm.shape}")
    idx = list(MEDIAPIPE_TO_COCO)
    w, h = image_size
    kps = lm[..., idx, :2] * np.array([w, h], dtype=np.float32)
    score = np.ones(kps.shape[:-1], dtype=np.float32)
    if visibility is not None:
        score = score * np.asarray(visibility, dtype=np.float32)[..., idx]
    if presence is not None:
        score = score * np.asarray(presence, dtype=np.float32)[..., idx]
    score = np.clip(np.nan_to_num(score, nan=0.0), 0.0, 1.0)
    bad = ~np.isfinite(kps).all(axis=-1)
    kps[bad] = 0.0
    score[bad] = 0.0
    return kps.astype(np.float32), score.astype(np.float32)


def flip_keypoints(
    keypoints: npt.ArrayLike, scores: npt.ArrayLike, width: float
) -> tuple[FloatArray, FloatArray]:
    """Mirror keypoints horizontally in an image ``width`` pixels wide, swapping left/right.

    ``x' = width - 1 - x`` (pixel centres at integer coordinates), so that rendering the
    flipped keypoints gives the mirrored heatmaps with left and right channels swapped.
    Missing joints (score 0) stay where they are.
    """
    kps = np.array(keypoints, dtype=np.float32, copy=True)
    sc = np.array(scores, dtype=np.float32, copy=True)
    present = sc > 0
    kps[..., 0] = np.where(present, (width - 1) - kps[..., 0], kps[..., 0])
    order = list(FLIP_INDEX)
    return kps[..., order, :], sc[..., order]


# --------------------------------------------------------------------------- sampling


def uniform_sample_indices(
    total_frames: int,
    clip_len: int = CLIP_LEN,
    *,
    test_mode: bool = True,
    seed: int = TEST_SEED,
    rng: np.random.RandomState | None = None,
) -> IntArray:
    """PYSKL ``UniformSampleFrames`` (one clip): ``clip_len`` indices into ``total_frames``.

    Three regimes:
    - ``T >= 2 * clip_len``: ``clip_len`` equal segments, one random frame from each;
    - ``clip_len <= T < 2 * clip_len``: all frames in order with ``T - clip_len``
      randomly placed skips;
    - ``T < clip_len``: consecutive frames from a start (random in training, 0 at
      test time), wrapping around with modulo.

    At test time the randomness is a ``RandomState(seed)`` (PYSKL seeds 255), so the
    same clip always gives the same indices. In training pass ``rng`` (or leave it
    None for a fresh generator).
    """
    if total_frames < 1:
        raise ValueError("a clip needs at least one frame")
    if test_mode:
        rs = np.random.RandomState(seed)
    else:
        rs = rng if rng is not None else np.random.RandomState()
    if total_frames < clip_len:
        start = 0 if test_mode else int(rs.randint(0, total_frames))
        inds = np.arange(start, start + clip_len)
    elif total_frames < 2 * clip_len:
        basic = np.arange(clip_len)
        skips = rs.choice(clip_len + 1, total_frames - clip_len, replace=False)
        offset = np.zeros(clip_len + 1, dtype=np.int64)
        offset[skips] = 1
        inds = basic + np.cumsum(offset)[:-1]
    else:
        bids = np.array([i * total_frames // clip_len for i in range(clip_len + 1)])
        bsize = np.diff(bids)
        inds = bids[:clip_len] + rs.randint(bsize)
    return np.mod(inds, total_frames).astype(np.int64)


def rgb_indices(clip_len: int = CLIP_LEN, rgb_frames: int = RGB_FRAMES) -> IntArray:
    """Positions within the sampled clip used for the RGB stream: ``[0::clip_len/rgb_frames]``."""
    if clip_len % rgb_frames:
        raise ValueError("clip_len must be a multiple of rgb_frames")
    return np.arange(0, clip_len, clip_len // rgb_frames, dtype=np.int64)


# --------------------------------------------------------------------------- box


def compute_box(
    keypoints: npt.ArrayLike,
    image_size: tuple[int, int],
    scores: npt.ArrayLike | None = None,
    *,
    padding: float = BOX_PADDING,
    hw_ratio: float = 1.0,
    threshold: float = BOX_THRESHOLD,
) -> Box:
    """PYSKL ``PoseCompact``: one global box over all keypoints of a window.

    The min/max of all non-zero coordinates (joints with score 0 are ignored when
    ``scores`` is given), grown by ``padding`` (0.25: the box is 25% larger), made
    square (``hw_ratio`` 1), clipped to the image and truncated to integers. If the
    keypoints span less than ``threshold`` pixels, the whole image is the box.

    Args:
        keypoints: ``(..., 2)`` pixel coordinates.
        image_size: ``(width, height)``.
    """
    w, h = image_size
    kp = np.asarray(keypoints, dtype=np.float64).reshape(-1, 2)
    valid = np.isfinite(kp).all(axis=1)
    if scores is not None:
        valid &= np.asarray(scores, dtype=np.float64).reshape(-1) > 0
    xs = kp[valid, 0]
    ys = kp[valid, 1]
    xs = xs[xs != 0]
    ys = ys[ys != 0]
    full = Box(0, 0, int(w), int(h))
    if xs.size == 0 or ys.size == 0:
        return full
    min_x, max_x = float(xs.min()), float(xs.max())
    min_y, max_y = float(ys.min()), float(ys.max())
    if max_x - min_x < threshold or max_y - min_y < threshold:
        return full
    cx, cy = (max_x + min_x) / 2, (max_y + min_y) / 2
    half_w = (max_x - min_x) / 2 * (1 + padding)
    half_h = (max_y - min_y) / 2 * (1 + padding)
    half_h = max(hw_ratio * half_w, half_h)
    half_w = max(half_h / hw_ratio, half_w)
    x0, x1 = int(max(0.0, cx - half_w)), int(min(float(w), cx + half_w))
    y0, y1 = int(max(0.0, cy - half_h)), int(min(float(h), cy + half_h))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return full
    return Box(x0, y0, x1, y1)


def keypoints_to_heatmap_space(
    keypoints: npt.ArrayLike, box: Box, size: int = HEATMAP_SIZE
) -> FloatArray:
    """Shift keypoints into ``box`` and scale to ``size x size`` (aspect ratio not kept)."""
    kp = np.asarray(keypoints, dtype=np.float32)
    scale = np.array([size / box.width, size / box.height], dtype=np.float32)
    origin = np.array([box.x0, box.y0], dtype=np.float32)
    return ((kp - origin) * scale).astype(np.float32)


# --------------------------------------------------------------------------- heatmaps


def _axis_gaussian(mu: FloatArray, size: int, sigma: float) -> FloatArray:
    """``(..., size)`` 1D Gaussians at ``mu`` truncated to PYSKL's 3-sigma window.

    The window is ``[max(int(mu - 3s), 0), min(int(mu + 3s) + 1, size))`` with
    ``int`` truncating towards zero, as PYSKL's ``generate_a_heatmap`` does.
    """
    grid = np.arange(size, dtype=np.float32)
    lo = np.trunc(mu - 3 * sigma)
    hi = np.trunc(mu + 3 * sigma) + 1
    d = grid - mu[..., None]
    g = np.exp(-(d * d) / np.float32(2 * sigma * sigma))
    inside = (grid >= lo[..., None]) & (grid < hi[..., None])
    return np.where(inside, g, np.float32(0.0)).astype(np.float32)


def render_heatmaps(
    keypoints: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    size: int = HEATMAP_SIZE,
    sigma: float = SIGMA,
) -> FloatArray:
    """Gaussian pseudo-heatmaps of keypoints already in heatmap space.

    ``H[k](x, y) = score_k * exp(-((x - x_k)^2 + (y - y_k)^2) / (2 sigma^2))`` inside a
    3-sigma window, zero outside; joints with score below 1e-4 are skipped.

    Args:
        keypoints: ``(..., K, 2)`` in heatmap pixels (0..size-1).
        scores: ``(..., K)``.

    Returns:
        ``(..., K, size, size)`` float32.
    """
    kp = np.asarray(keypoints, dtype=np.float32)
    sc = np.asarray(scores, dtype=np.float32)
    sc = np.where((sc >= SCORE_EPS) & np.isfinite(kp).all(axis=-1), sc, np.float32(0.0))
    kp = np.nan_to_num(kp, nan=-1e4, posinf=1e4, neginf=-1e4)
    gx = _axis_gaussian(kp[..., 0], size, sigma) * sc[..., None]
    gy = _axis_gaussian(kp[..., 1], size, sigma)
    return np.asarray(gy[..., :, None] * gx[..., None, :], dtype=np.float32)


def render_pose_volume(
    keypoints: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    size: int = HEATMAP_SIZE,
    sigma: float = SIGMA,
) -> FloatArray:
    """The pose stream's input for one clip.

    Args:
        keypoints: ``(M, T, K, 2)`` in heatmap space (see ``keypoints_to_heatmap_space``).
        scores: ``(M, T, K)``.

    Returns:
        ``(K, T, size, size)`` float32; several persons merge with max.
    """
    kp = np.asarray(keypoints, dtype=np.float32)
    sc = np.asarray(scores, dtype=np.float32)
    if kp.ndim != 4 or kp.shape[-1] != 2 or sc.shape != kp.shape[:-1]:
        raise ValueError(f"expected keypoints (M,T,K,2) and scores (M,T,K), got {kp.shape}, "
                         f"{sc.shape}")
    # Render straight into (M, K, T, H, W) so no transpose copy is needed.
    vol = render_heatmaps(kp.transpose(0, 2, 1, 3), sc.transpose(0, 2, 1), size=size, sigma=sigma)
    if vol.shape[0] == 1:
        return vol[0]
    return np.asarray(vol.max(axis=0), dtype=np.float32)


# --------------------------------------------------------------------------- RGB


def crop_resize_rgb(
    frames: Sequence[npt.NDArray[np.uint8]] | npt.NDArray[np.uint8],
    box: Box,
    *,
    size: int = RGB_SIZE,
    out: FloatArray | None = None,
) -> FloatArray:
    """Crop each RGB frame with ``box``, resize bilinearly to ``size``, normalise.

    Args:
        frames: ``T`` RGB ``uint8`` images ``(H, W, 3)`` in source-image pixels.
        box: the clip's global box.

    Returns:
        ``(3, T, size, size)`` float32, ``(pixel - ImageNet mean) / std``.
    """
    import cv2  # OpenCV ships with mediapipe; imported here so keypoint-only users skip it.

    n = len(frames)
    result = out if out is not None else np.empty((3, n, size, size), dtype=np.float32)
    for t in range(n):
        crop = np.asarray(frames[t])[box.y0 : box.y1, box.x0 : box.x1]
        if crop.size == 0:
            raise ValueError(f"box {box.as_tuple()} is outside frame {t} of shape "
                             f"{np.asarray(frames[t]).shape}")
        resized = cv2.resize(crop, (size, size), interpolation=cv2.INTER_LINEAR)
        result[:, t] = ((resized.astype(np.float32) - IMAGENET_MEAN) / IMAGENET_STD).transpose(
            2, 0, 1
        )
    return result


def flip_inputs(pose: FloatArray, rgb: FloatArray | None) -> tuple[FloatArray, FloatArray | None]:
    """Horizontal flip of both modalities: mirror along W and swap left/right heatmaps.

    This equals rendering ``flip_keypoints`` output up to PYSKL's asymmetric 3-sigma
    window (tails of at most ``exp(-2)`` of ``2 sigma^2``, about 0.004), and is exact
    and cheap for the RGB crop, so training flips the finished inputs.

    Args:
        pose: ``(..., K, T, H, W)``; rgb: ``(..., 3, T, H, W)`` or None.
    """
    order = list(FLIP_INDEX)
    flipped_pose = np.ascontiguousarray(np.flip(pose, axis=-1)[..., order, :, :, :])
    flipped_rgb = None if rgb is None else np.ascontiguousarray(np.flip(rgb, axis=-1))
    return flipped_pose, flipped_rgb


# --------------------------------------------------------------------------- whole clip


def build_inputs(
    keypoints: npt.ArrayLike,
    scores: npt.ArrayLike,
    image_size: tuple[int, int],
    *,
    frames: Sequence[npt.NDArray[np.uint8]] | npt.NDArray[np.uint8] | None = None,
    indices: npt.ArrayLike | None = None,
    test_mode: bool = True,
    rng: np.random.RandomState | None = None,
    flip: bool = False,
) -> ClipInputs:
    """Turn one clip into EPAM-Net's inputs.

    Args:
        keypoints: ``(M, T_total, 17, 2)`` pixel keypoints of the whole clip.
        scores: ``(M, T_total, 17)``.
        image_size: ``(width, height)`` of the source frames.
        frames: the clip's RGB frames, indexable by frame number (``T_total`` of them,
            or any sequence the ``indices`` address); None for pose only.
        indices: the 48 frame indices; None samples them with ``uniform_sample_indices``.
        flip: mirror both modalities (training augmentation).

    Returns:
        ``ClipInputs`` with the pose volume ``(17, 48, 56, 56)`` and RGB ``(3, 16, 224, 224)``.
    """
    kp = np.asarray(keypoints, dtype=np.float32)
    sc = np.asarray(scores, dtype=np.float32)
    if kp.ndim == 3:
        kp, sc = kp[None], sc[None]
    total = kp.shape[1]
    inds = (
        uniform_sample_indices(total, CLIP_LEN, test_mode=test_mode, rng=rng)
        if indices is None
        else np.asarray(indices, dtype=np.int64)
    )
    if inds.shape != (CLIP_LEN,):
        raise ValueError(f"expected {CLIP_LEN} frame indices, got shape {inds.shape}")
    kp_s = kp[:, inds]
    sc_s = sc[:, inds]
    box = compute_box(kp_s, image_size, sc_s)
    pose = render_pose_volume(keypoints_to_heatmap_space(kp_s, box), sc_s)
    rgb = None
    if frames is not None:
        chosen = [frames[int(i)] for i in inds[rgb_indices()]]
        rgb = crop_resize_rgb(chosen, box)
    if flip:
        pose, rgb = flip_inputs(pose, rgb)
    return ClipInputs(pose=pose, rgb=rgb, box=box, indices=inds)
