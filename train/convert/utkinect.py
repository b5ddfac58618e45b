"""UTKinect-Action3D -> PYSKL (2D COCO-17, projected).

Input: ``<root>/joints/joints_sXX_eYY.txt`` (rows: frame id + 20 x (x, y, z) metres, Kinect
SDK order) and ``actionLabel_modified.txt`` (the corrected ranges; ``actionLabel.txt``
when it is absent): per sequence, ``action: start end`` in frame ids.

Frame ids advance by 2 per frame of the Kinect's 30 fps stream (60 ids per second):
every id in the files is even, consecutive rows are never closer than 2 ids, and only
at that rate do the rows (which the authors kept only when the skeleton was tracked)
come at "about 15 f/sec", as the dataset's documentation says (at 30 ids per second
they would come at 5-10 per second, and every walk, sit-down and wave would take twice
as long as people take: walks at 0.6 steps per second, 3.9 s to sit down; now 1.2
and 2.0 s). Rows
come irregularly, every 2 to 16 ids, with some ids repeated. Each segment is
therefore resampled onto a regular 30 Hz grid (every second frame id) by linear
interpolation of the 3D joints between rows (repeated ids: the first row), so that
clip time is real time (``fps`` 30) as rate-based sampling needs. The ids of the
original rows are kept in ``source_frame_ids``.

Splits: ``xsub_train`` (subjects 1, 3, 5, 7, 9) and ``xsub_val`` (2, 4, 6, 8, 10).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from train.convert.kinect import KinectCamera, kinect_to_coco
from train.pyskl import Annotation, DatasetError, PysklFile, make_annotation

__all__ = ["UTKINECT_CLASSES", "convert_utkinect", "convert_utkinect_sequences",
           "parse_action_labels", "read_joints", "resample"]

log = logging.getLogger(__name__)
UTKINECT_CLASSES: tuple[str, ...] = ("walk", "sitDown", "standUp", "pickUp", "carry", "throw",
                                     "push", "pull", "waveHands", "clapHands")
SOURCE_FPS = 60.0  # frame ids per second: 2 per frame of the 30 fps stream
ID_STEP = 2  # resampling grid: every second frame id (30 Hz)
_SEQ = re.compile(r"^s(\d+)_e(\d+)$")


def parse_action_labels(path: Path) -> dict[str, list[tuple[str, int, int]]]:
    """``{"s01_e01": [(action, start_id, end_id), ...]}`` from an actionLabel file."""
    out: dict[str, list[tuple[str, int, int]]] = {}
    current: str | None = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if _SEQ.match(line):
            current = line
            out[current] = []
            continue
        m = re.match(r"^(\w+):\s*(-?\d+|NaN)\s+(-?\d+|NaN)$", line)
        if m is None or current is None:
            raise DatasetError(f"{path}:{n}: cannot parse {line!r}")
        if "NaN" in (m.group(2), m.group(3)):
            log.warning("%s %s has no frame range; skipped", current, m.group(1))
            continue
        out[current].append((m.group(1), int(m.group(2)), int(m.group(3))))
    return out


def resample(ids: np.ndarray, xyz: np.ndarray, step: int = ID_STEP) -> np.ndarray:
    """Joints ``(N, J, 3)`` at increasing frame ``ids`` -> ``(T, J, 3)`` every ``step`` ids."""
    grid = np.arange(int(ids[0]), int(ids[-1]) + 1, step)
    flat = xyz.reshape(len(ids), -1)
    out = np.stack([np.interp(grid, ids, flat[:, c]) for c in range(flat.shape[1])], axis=1)
    return out.reshape(len(grid), *xyz.shape[1:])


def _find_joints_dir(root: Path) -> Path:
    for candidate in (root / "joints", root):
        if any(candidate.glob("joints_s*_e*.txt")):
            return candidate
    raise DatasetError(f"no UTKinect joints_sXX_eYY.txt files under {root}")


def read_joints(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One ``joints_sXX_eYY.txt``: frame ids ``(N,)`` and joints ``(N, 20, 3)``, with
    repeated frame ids dropped (the first kept)."""
    rows = np.loadtxt(path, dtype=np.float64, ndmin=2)
    if rows.shape[1] != 61:
        raise DatasetError(f"{path}: expected 61 columns (frame id + 20 x 3), got "
                           f"{rows.shape[1]}")
    ids = rows[:, 0].astype(np.int64)
    keep = np.concatenate([[True], np.diff(ids) != 0])  # drop repeated frame ids
    return ids[keep], rows[keep, 1:].reshape(-1, 20, 3)


def convert_utkinect(root: Path, *, camera: KinectCamera | None = None) -> PysklFile:
    """Convert the dataset under ``root`` (the folder holding ``joints/``, or ``joints/``)."""
    camera = camera or KinectCamera()
    joints_dir = _find_joints_dir(root)
    label_file = joints_dir / "actionLabel_modified.txt"
    if not label_file.is_file():
        label_file = joints_dir / "actionLabel.txt"
    labels = parse_action_labels(label_file)
    log.info("UTKinect: %d sequences, labels from %s", len(labels), label_file.name)
    anns: list[Annotation] = []
    split: dict[str, list[str]] = {"xsub_train": [], "xsub_val": []}
    for seq, actions in sorted(labels.items()):
        path = joints_dir / f"joints_{seq}.txt"
        if not path.is_file():
            log.warning("%s is missing; its %d segments are skipped", path.name, len(actions))
            continue
        ids, xyz = read_joints(path)
        subject = int(_SEQ.match(seq).group(1))  # type: ignore[union-attr]
        for action, start, end in actions:
            sel = (ids >= start) & (ids <= end)
            if sel.sum() < 2:
                log.warning("%s %s [%d, %d] has %d skeleton frames; skipped", seq, action,
                            start, end, int(sel.sum()))
                continue
            seg_ids = ids[sel]
            kp, sc = kinect_to_coco(resample(seg_ids, xyz[sel]), camera)
            frame_dir = f"{seq}_{action}"
            anns.append(make_annotation(
                frame_dir, UTKINECT_CLASSES.index(action), kp, sc, camera.image_shape,
                fps=SOURCE_FPS / ID_STEP, subject=subject, source_frame_ids=seg_ids.tolist()))
            split["xsub_train" if subject % 2 else "xsub_val"].append(frame_dir)
    if not anns:
        raise DatasetError(f"no UTKinect segments could be converted under {root}")
    return PysklFile(annotations=anns, split=split, class_names=list(UTKINECT_CLASSES))


def convert_utkinect_sequences(root: Path, *, camera: KinectCamera | None = None,
                               max_gap: int = 30, min_ids: int = 192) -> PysklFile:
    """Whole UTKinect sequences (all ten actions of one take, one after another, with
    the moves in between), one annotation per sequence, label 0 (not one action).

    For replaying real daily-living-like motion through the edge pipeline: a fall
    detector must stay quiet for all of it. A sequence is split where the recording
    paused (more than ``max_gap`` frame ids, 0.5 s); parts shorter than ``min_ids`` (one
    window) are dropped."""
    camera = camera or KinectCamera()
    joints_dir = _find_joints_dir(root)
    anns: list[Annotation] = []
    for path in sorted(joints_dir.glob("joints_s*_e*.txt")):
        seq = path.stem.removeprefix("joints_")
        m = _SEQ.match(seq)
        if m is None:
            continue
        ids, xyz = read_joints(path)
        # the recordings pause now and then: split there rather than slide the skeleton
        # from one pose to the next
        cuts = np.flatnonzero(np.diff(ids) > max_gap) + 1
        for part, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(ids)], strict=True)):
            if ids[b - 1] - ids[a] < min_ids:
                continue
            kp, sc = kinect_to_coco(resample(ids[a:b], xyz[a:b]), camera)
            anns.append(make_annotation(f"{seq}_p{part}", 0, kp, sc, camera.image_shape,
                                        fps=SOURCE_FPS / ID_STEP, subject=int(m.group(1)),
                                        source_frame_ids=ids[a:b].tolist()))
    if not anns:
        raise DatasetError(f"no UTKinect sequences under {root}")
    return PysklFile(annotations=anns, split={"all": [a["frame_dir"] for a in anns]},
                     class_names=["sequence"])

