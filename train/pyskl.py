"""PYSKL annotation pickles: the canonical on-disk format of keypoint datasets.

A file is ``{"split": {name: [frame_dir, ...]}, "annotations": [ann, ...]}`` (a bare
list of annotations is accepted too). Each annotation has ``frame_dir`` (clip id),
``label`` (int), ``total_frames``, ``img_shape`` and ``original_shape`` ``(H, W)``,
``keypoint`` ``(M, T, 17, 2)`` pixel coordinates and ``keypoint_score`` ``(M, T, 17)``
in 0-1. Optional keys read here: ``fps`` (frames per second, default from the config),
``filename`` (video path relative to the video root) and ``start_frame`` (first frame of
the clip in that video). This project also writes a top-level ``class_names`` list,
which PYSKL ignores.

Pickles can run code when loaded: only load files you trust.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.contract import NUM_KEYPOINTS

__all__ = [
    "Annotation",
    "DatasetError",
    "PysklFile",
    "check_annotation",
    "load_pyskl",
    "make_annotation",
    "save_pyskl",
    "select_split",
]

log = logging.getLogger(__name__)
Annotation = dict[str, Any]


class DatasetError(ValueError):
    """A dataset file or annotation that cannot be used, with the reason."""


@dataclass
class PysklFile:
    """The content of one annotation pickle."""

    annotations: list[Annotation]
    split: dict[str, list[str]] = field(default_factory=dict)
    class_names: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"split": self.split, "annotations": self.annotations}
        if self.class_names is not None:
            out["class_names"] = list(self.class_names)
        return out


def make_annotation(
    frame_dir: str,
    label: int,
    keypoint: np.ndarray,
    keypoint_score: np.ndarray,
    img_shape: tuple[int, int],
    **extra: Any,
) -> Annotation:
    """One PYSKL annotation; ``keypoint`` ``(M, T, 17, 2)`` pixels, scores ``(M, T, 17)``.

    ``img_shape`` is ``(height, width)``. ``extra`` keys (``fps``, ``filename``, ...) are
    stored as they are.
    """
    kp = np.asarray(keypoint, dtype=np.float32)
    sc = np.asarray(keypoint_score, dtype=np.float32)
    ann: Annotation = {
        "frame_dir": frame_dir,
        "label": int(label),
        "img_shape": (int(img_shape[0]), int(img_shape[1])),
        "original_shape": (int(img_shape[0]), int(img_shape[1])),
        "total_frames": int(kp.shape[1]),
        "keypoint": kp,
        "keypoint_score": sc,
    }
    ann.update(extra)
    check_annotation(ann)
    return ann


def check_annotation(ann: Mapping[str, Any], where: str = "") -> None:
    """Raise ``DatasetError`` if ``ann`` cannot be used as a 2D COCO-17 clip."""
    name = f"{where}annotation {ann.get('frame_dir', '?')!r}"
    for key in ("frame_dir", "label", "keypoint", "img_shape"):
        if key not in ann:
            raise DatasetError(f"{name} has no {key!r} key")
    kp = np.asarray(ann["keypoint"])
    if kp.ndim != 4 or kp.shape[2:] != (NUM_KEYPOINTS, 2):
        raise DatasetError(f"{name}: keypoint must be (M, T, {NUM_KEYPOINTS}, 2) 2D COCO "
                           f"keypoints, got {kp.shape} (3D or non-COCO skeletons must be "
                           "converted first: python -m train convert)")
    if kp.shape[1] < 1:
        raise DatasetError(f"{name} has no frames")
    score = ann.get("keypoint_score")
    if score is not None and np.asarray(score).shape != kp.shape[:3]:
        raise DatasetError(f"{name}: keypoint_score shape {np.asarray(score).shape} does not "
                           f"match keypoint {kp.shape}")
    total = int(ann.get("total_frames", kp.shape[1]))
    if total != kp.shape[1]:
        raise DatasetError(f"{name}: total_frames {total} but keypoint has {kp.shape[1]} "
                           "frames")
    shape = ann["img_shape"]
    if len(shape) != 2 or min(int(shape[0]), int(shape[1])) < 1:
        raise DatasetError(f"{name}: img_shape must be (height, width), got {shape}")


def load_pyskl(path: str | Path) -> PysklFile:
    """Read and check a PYSKL pickle; raises ``DatasetError`` with the reason."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"annotation file {path} does not exist")
    try:
        with path.open("rb") as f:
            data = pickle.load(f)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
        raise DatasetError(f"annotation file {path} cannot be read as a pickle "
                           f"({exc.__class__.__name__}: {exc}); is it truncated?") from exc
    if isinstance(data, list):
        data = {"annotations": data}
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise DatasetError(f"{path} is not a PYSKL annotation file (expected a dict with "
                           "'annotations', or a list of annotations)")
    anns: list[Annotation] = data["annotations"]
    for ann in anns:
        check_annotation(ann, f"{path.name}: ")
    split = data.get("split") or {}
    if not isinstance(split, dict):
        raise DatasetError(f"{path}: 'split' must map names to lists of frame_dir")
    names = data.get("class_names")
    class_names = [str(n) for n in names] if isinstance(names, Sequence) else None
    log.info("loaded %d annotations from %s (splits: %s)", len(anns), path,
             ", ".join(f"{k}={len(v)}" for k, v in split.items()) or "none")
    return PysklFile(annotations=anns, split={str(k): list(v) for k, v in split.items()},
                     class_names=class_names)


def save_pyskl(data: PysklFile, path: str | Path) -> Path:
    """Write ``data`` as a PYSKL pickle atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with tmp.open("wb") as f:
        pickle.dump(data.to_dict(), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return path


def select_split(data: PysklFile, split: str | None) -> list[Annotation]:
    """Annotations of ``split`` (all of them when ``split`` is None), in split order."""
    if split is None:
        return list(data.annotations)
    if split not in data.split:
        raise DatasetError(f"split {split!r} is not in the annotation file; it has: "
                           f"{', '.join(sorted(data.split)) or 'no splits (use null for all)'}")
    by_id = {str(a["frame_dir"]): a for a in data.annotations}
    missing = [fd for fd in data.split[split] if str(fd) not in by_id]
    if missing:
        log.warning("split %s names %d clips with no annotation (e.g. %s); skipped",
                    split, len(missing), missing[0])
    return [by_id[str(fd)] for fd in data.split[split] if str(fd) in by_id]
