"""PyTorch dataset of PYSKL clips: keypoints (+ video frames) -> EPAM-Net inputs.

Every random choice of a training sample (frame offsets, flip, box jitter) comes from a
``RandomState`` seeded by ``(seed, epoch, index)``, so a sample is the same whichever
worker makes it, and a resumed run sees exactly the data an uninterrupted one would.
Evaluation (``train=False``) is deterministic: the contract's test-mode sampling, no
flip, no jitter (1 clip per video, as in the paper).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from model.contract import RGB_SIZE, rgb_indices
from train.augment import drop_face, random_resized_box
from train.clips import make_clip
from train.pyskl import Annotation
from train.sampling import Sampling, sample_indices
from train.video import read_frames, resolve_video

__all__ = ["ClipDataset", "DataOptions", "Modality", "reduce_pose"]

log = logging.getLogger(__name__)
Modality = Literal["pose", "rgb"]


@dataclass(frozen=True)
class DataOptions:
    """How clips are sampled and augmented (see ``train.config``)."""

    sampling: Sampling = "uniform"
    sample_rate_hz: float = 15.0
    default_fps: float = 30.0
    video_root: Path | None = None
    video_suffixes: tuple[str, ...] = (".mp4", ".avi", "_rgb.avi", ".mkv", ".webm", ".mov", "")
    flip_prob: float = 0.5
    random_resized_crop: bool = False
    crop_area: tuple[float, float] = (0.56, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    drop_face_prob: float = 0.0
    reduce_time: int = 1
    reduce_space: int = 1
    rgb_size: int = RGB_SIZE


def reduce_pose(pose: np.ndarray, time: int, space: int) -> np.ndarray:
    """``(K, T, H, W)`` heatmaps -> every ``time``-th frame, ``space x space`` max-pooled
    (a Gaussian keeps its peak value): the reduced geometry of a training curriculum."""
    k, _, h, w = pose.shape
    out = pose[:, ::time]
    if space > 1:
        out = out.reshape(k, out.shape[1], h // space, space, w // space, space).max(axis=(3, 5))
    return np.ascontiguousarray(out, dtype=np.float32)


class ClipDataset(Dataset[dict[str, Any]]):
    """Clips of a PYSKL annotation list as model inputs.

    Items are dicts: ``pose`` ``(17, 48, 56, 56)`` float32 (when ``"pose"`` is in
    ``modalities``), ``rgb`` ``(3, 16, 224, 224)`` float32 (when ``"rgb"`` is), ``label``
    (int) and ``index`` (the clip's position in the list).
    """

    def __init__(
        self,
        annotations: Sequence[Annotation],
        *,
        modalities: Sequence[Modality],
        train: bool,
        options: DataOptions | None = None,
        seed: int = 0,
    ) -> None:
        if not modalities or not set(modalities) <= {"pose", "rgb"}:
            raise ValueError(f"modalities must be a non-empty subset of pose, rgb: {modalities}")
        self.annotations = list(annotations)
        self.modalities = tuple(modalities)
        self.train = train
        self.options = options or DataOptions()
        self.seed = seed
        self.epoch = 0
        if "rgb" in self.modalities and self.options.video_root is None:
            raise ValueError("RGB clips need data.video_root (the folder of the videos)")

    def set_epoch(self, epoch: int) -> None:
        """Select the augmentation draws of ``epoch`` (call before each epoch's loader)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.annotations)

    def labels(self) -> list[int]:
        return [int(a["label"]) for a in self.annotations]

    def _rng(self, index: int) -> np.random.RandomState:
        state = np.random.SeedSequence([self.seed, self.epoch, index]).generate_state(1)
        return np.random.RandomState(int(state[0]))

    def __getitem__(self, index: int) -> dict[str, Any]:
        ann = self.annotations[index]
        opts = self.options
        rng = self._rng(index) if self.train else None
        kp = np.asarray(ann["keypoint"], dtype=np.float32)
        sc = np.asarray(ann.get("keypoint_score", np.ones(kp.shape[:-1])), dtype=np.float32)
        if kp.shape[0] == 0:  # nobody in the clip: empty heatmaps, whole-image box
            kp = np.zeros((1, *kp.shape[1:]), np.float32)
            sc = np.zeros((1, *sc.shape[1:]), np.float32)
        total = kp.shape[1]
        indices = sample_indices(
            opts.sampling, total, fps=float(ann.get("fps", opts.default_fps)),
            sample_rate_hz=opts.sample_rate_hz, test_mode=not self.train, rng=rng)
        height, width = (int(v) for v in ann["img_shape"])
        frames = None
        if "rgb" in self.modalities:
            assert opts.video_root is not None
            path = resolve_video(ann, opts.video_root, opts.video_suffixes)
            frames = read_frames(path, indices[rgb_indices()].tolist(),
                                 start_frame=int(ann.get("start_frame", 0)))
            fh, fw = next(iter(frames.values())).shape[:2]
            if (fw, fh) != (width, height):  # keypoints are in img_shape pixels
                kp = kp * np.array([fw / width, fh / height], dtype=np.float32)
                width, height = fw, fh
        flip = False
        jitter = None
        if rng is not None:
            flip = bool(rng.rand() < opts.flip_prob)
            if opts.random_resized_crop:
                jitter = functools.partial(random_resized_box, rng=rng,
                                           area_range=opts.crop_area,
                                           ratio_range=opts.crop_ratio)
            # drawn only when enabled, so other runs keep their random streams
            if opts.drop_face_prob > 0 and rng.rand() < opts.drop_face_prob:
                sc = drop_face(sc)
        clip = make_clip(kp, sc, (width, height), indices, frames=frames,
                         with_pose="pose" in self.modalities, box_jitter=jitter, flip=flip,
                         rgb_size=opts.rgb_size)
        item: dict[str, Any] = {"label": int(ann["label"]), "index": index}
        if clip.pose is not None:
            pose = clip.pose
            if opts.reduce_time > 1 or opts.reduce_space > 1:
                pose = reduce_pose(pose, opts.reduce_time, opts.reduce_space)
            item["pose"] = torch.from_numpy(pose)
        if clip.rgb is not None:
            item["rgb"] = torch.from_numpy(clip.rgb)
        return item
