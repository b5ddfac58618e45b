"""From a config to the objects of a run: device, class names, datasets, the model.

One owner for these steps so that training (``train.engine``) and evaluation
(``train.evaluate``) build data and models the same way.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import torch
from torch import nn

from model.epamnet import EPAMNet, build_epamnet
from model.labels import LABEL_SETS, get_label_set
from model.xshiftnet import XShiftBlock
from train.config import Phase, TrainConfig
from train.dataset import ClipDataset, DataOptions
from train.phases import MODALITIES
from train.pyskl import DatasetError, PysklFile, select_split

__all__ = ["build_dataset", "build_model", "resolve_class_names", "resolve_device"]

log = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    """``auto`` (CUDA when present), ``cpu`` or ``cuda``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("runtime.device is cuda but PyTorch sees no CUDA device (CPU build "
                           f"{torch.__version__}?); use device auto or cpu")
    return torch.device(name)


def resolve_class_names(cfg: TrainConfig, data: PysklFile) -> list[str]:
    """Class names from the config (label set or list), else the pickle, else class_i."""
    classes = cfg.data.classes
    if isinstance(classes, str):
        if classes not in LABEL_SETS:
            raise DatasetError(f"data.classes {classes!r} is not a label set; choose one of "
                               f"{sorted(LABEL_SETS)} or give a list of names")
        names = list(get_label_set(classes))
    elif isinstance(classes, list):
        names = list(classes)
    elif data.class_names:
        names = list(data.class_names)
    else:
        top = max((int(a["label"]) for a in data.annotations), default=0)
        names = [f"class_{i}" for i in range(cfg.data.num_classes or top + 1)]
    if cfg.data.num_classes is not None and cfg.data.num_classes != len(names):
        raise DatasetError(f"data.num_classes is {cfg.data.num_classes} but there are "
                           f"{len(names)} class names")
    bad = sorted({int(a["label"]) for a in data.annotations
                  if not 0 <= int(a["label"]) < len(names)})
    if bad:
        raise DatasetError(f"labels {bad[:5]} are outside 0..{len(names) - 1} "
                           f"({len(names)} classes); check data.classes")
    return names


def build_dataset(
    cfg: TrainConfig, data: PysklFile, split: str | None, phase: Phase, *, train: bool
) -> ClipDataset:
    """The clips of ``split`` with the inputs ``phase`` needs; augmented when ``train``."""
    anns = select_split(data, split)
    if not anns:
        raise DatasetError(f"split {split or 'all'} of {cfg.data.ann_file} has no clips")
    pcfg = cfg.phase_config(phase)
    options = DataOptions(
        sampling=cfg.data.sampling,
        sample_rate_hz=cfg.data.sample_rate_hz,
        default_fps=cfg.data.default_fps,
        video_root=Path(cfg.data.video_root).expanduser() if cfg.data.video_root else None,
        video_suffixes=tuple(cfg.data.video_suffixes),
        flip_prob=cfg.augment.flip_prob,
        random_resized_crop=pcfg.random_resized_crop,
        crop_area=cfg.augment.crop_area,
        crop_ratio=cfg.augment.crop_ratio,
        drop_face_prob=cfg.augment.drop_face_prob,
        reduce_time=cfg.data.reduce_time,
        reduce_space=cfg.data.reduce_space,
        rgb_size=cfg.data.rgb_size,
    )
    try:
        return ClipDataset(anns, modalities=MODALITIES[phase], train=train, options=options,
                           seed=cfg.seed)
    except ValueError as exc:
        raise DatasetError(f"{phase} phase: {exc}") from exc


def build_model(num_classes: int, *, seed: int, residual_gamma: float = 0.0,
                pose_frames: int = 48) -> EPAMNet:
    """EPAM-Net with the paper's architecture, initialised from ``seed``.

    ``residual_gamma``: initial gamma of the last BN of every residual branch (0, the
    paper's code, makes each block start as the identity). ``pose_frames`` below 48: a
    reduced-geometry curriculum run (same weights, fewer frames per clip).
    """
    torch.manual_seed(seed)
    rgb_frames = 16 if pose_frames % 16 == 0 else math.gcd(pose_frames, 16)
    model = build_epamnet(num_classes, pose_frames=pose_frames, rgb_frames=rgb_frames)
    if residual_gamma:
        for block in model.modules():
            bn = block.conv_c.bn if isinstance(block, XShiftBlock) else None
            if isinstance(bn, nn.modules.batchnorm._NormBase) and bn.weight is not None:
                nn.init.constant_(bn.weight, residual_gamma)
    return model
