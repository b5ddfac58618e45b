"""MSR Action3D -> PYSKL (2D COCO-17, projected).

Input: ``aXX_sYY_eZZ_skeleton3D.txt`` (action, subject, take), 20 lines per frame of
``x y z c``, 15 frames per second. The fourth column is not a usable confidence (the
neck, spine, hip centre and feet read 0 in almost every frame, the left hip in more
than half), so every projected joint gets score 1.

The joint order is NOT the Kinect SDK's. Checked against the data: in the first frame
joint 19 is highest (head); 0/1 are at shoulder height left/right of 2 (shoulder centre)
with 3 (spine) below; 4/5 at hip height beside 6 (hip centre); 7/8 elbows, 9/10 wrists,
11/12 hands, 13/14 knees, 15/16 ankles, 17/18 feet. Even indices of each pair are the
left side: in ``a01`` (high arm wave, done with the right arm in this dataset) joints 8,
10 and 12 move 5-10 times more than 7, 9 and 11, and the pairs have the same x-ordering
as UTKinect's documented left/right joints.

``files_used_in_cvpr12_paper.txt`` (when present) lists the 557 sequences with usable
skeletons; the others are skipped unless ``include_all``. Splits: ``xsub_train``
(subjects 1, 3, 5, 7, 9) and ``xsub_val`` (2, 4, 6, 8, 10), the usual cross-subject test.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from train.convert.kinect import Anatomy, KinectCamera, kinect_to_coco
from train.pyskl import Annotation, DatasetError, PysklFile, make_annotation

__all__ = ["MSR_ACTION3D_CLASSES", "MSR_ANATOMY", "MSR_JOINT_ORDER", "convert_msr_action3d"]

log = logging.getLogger(__name__)
MSR_ACTION3D_CLASSES: tuple[str, ...] = (
    "high arm wave", "horizontal arm wave", "hammer", "hand catch", "forward punch",
    "high throw", "draw x", "draw tick", "draw circle", "hand clap", "two hand wave",
    "side boxing", "bend", "forward kick", "side kick", "jogging", "tennis swing",
    "tennis serve", "golf swing", "pick up and throw",
)  # fmt: skip
# Kinect joint name -> row within a frame of an MSR Action3D file.
MSR_JOINT_ORDER: dict[str, int] = {
    "shoulder_left": 0, "shoulder_right": 1, "shoulder_center": 2, "spine": 3,
    "hip_left": 4, "hip_right": 5, "hip_center": 6, "elbow_left": 7, "elbow_right": 8,
    "wrist_left": 9, "wrist_right": 10, "hand_left": 11, "hand_right": 12,
    "knee_left": 13, "knee_right": 14, "ankle_left": 15, "ankle_right": 16,
    "foot_left": 17, "foot_right": 18, "head": 19,
}  # fmt: skip
FPS = 15.0
# MSR's tracker places the hips level with hip_center, twice as far apart as Kinect's
# (1.01 of the shoulder width in the image) and higher: raw, the nose stood 0.85 torso
# lengths above the shoulders and the legs measured 2.56, with UTKinect's calibration
# 0.22 and 1.73. These factors give 0.31, 1.45 and a hip width of 0.46 (synthetic body:
# 0.32, 1.44, 0.50), medians over upright frames; calibrated on proportions only.
MSR_ANATOMY = Anatomy(hip_to_knee=0.3, head_to_nose=0.4, hip_width=0.5)
_NAME = re.compile(r"^a(\d+)_s(\d+)_e(\d+)_skeleton3D\.txt$")


def _find_dir(root: Path) -> Path:
    for candidate in (root / "real_world_coordinates", root):
        if any(candidate.glob("a*_s*_e*_skeleton3D.txt")):
            return candidate
    raise DatasetError(f"no MSR Action3D aXX_sYY_eZZ_skeleton3D.txt files under {root}")


def convert_msr_action3d(
    root: Path, *, camera: KinectCamera | None = None, include_all: bool = False,
    anatomy: Anatomy | None = None,
) -> PysklFile:
    """Convert the sequences under ``root`` (``real_world_coordinates/`` or its parent);
    ``anatomy`` defaults to ``MSR_ANATOMY``."""
    camera = camera or KinectCamera()
    folder = _find_dir(root)
    listed: set[str] | None = None
    used = folder / "files_used_in_cvpr12_paper.txt"
    if used.is_file() and not include_all:
        listed = {ln.strip() for ln in used.read_text(encoding="utf-8").split() if ln.strip()}
    anns: list[Annotation] = []
    split: dict[str, list[str]] = {"xsub_train": [], "xsub_val": []}
    skipped = 0
    for path in sorted(folder.glob("a*_s*_e*_skeleton3D.txt")):
        m = _NAME.match(path.name)
        if m is None:
            continue
        action, subject, take = (int(g) for g in m.groups())
        frame_dir = f"a{action:02d}_s{subject:02d}_e{take:02d}"
        if listed is not None and frame_dir not in listed:
            skipped += 1
            continue
        if not 1 <= action <= len(MSR_ACTION3D_CLASSES):
            log.warning("%s: action %d is not one of the 20; skipped", path.name, action)
            continue
        rows = np.loadtxt(path, dtype=np.float64, ndmin=2)
        if rows.size == 0 or rows.shape[1] != 4 or rows.shape[0] % 20:
            log.warning("%s: %s rows of %d values, not 20 joints x (x y z c); skipped",
                        path.name, rows.shape[0], rows.shape[1] if rows.ndim == 2 else 0)
            continue
        xyz = rows[:, :3].reshape(-1, 20, 3)
        kp, sc = kinect_to_coco(xyz, camera, MSR_JOINT_ORDER, anatomy or MSR_ANATOMY)
        anns.append(make_annotation(frame_dir, action - 1, kp, sc, camera.image_shape,
                                    fps=FPS, subject=subject))
        split["xsub_train" if subject % 2 else "xsub_val"].append(frame_dir)
    if skipped:
        log.info("MSR Action3D: %d sequences not in %s skipped (include_all to keep them)",
                 skipped, used.name)
    if not anns:
        raise DatasetError(f"no MSR Action3D sequence could be converted under {root}")
    return PysklFile(annotations=anns, split=split, class_names=list(MSR_ACTION3D_CLASSES))
