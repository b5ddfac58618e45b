"""Kinect v1 skeletons (20 joints, metres) -> 2D COCO-17 pixel keypoints.

Projection: a pinhole camera with the Kinect v1 colour camera's intrinsics (640x480,
focal 525 px, principal point at the centre). Kinect skeleton space has y up, z away
from the sensor and x towards the sensor's left, so the image coordinates are
``u = cx - f x / z`` and ``v = cy - f y / z``; a person facing the camera then has their
left side on the image's right, as in any camera image (checked on UTKinect, whose joint
order is documented: the left shoulder projects to the right of the right shoulder
while the hands are in front of the body during ``clapHands``).

COCO-17 from Kinect: shoulders, elbows, wrists, knees and ankles from their namesakes;
the nose and the hips moved to where a COCO keypoint detector puts them
(``coco_anatomy``). Kinect's ``head`` is the centre of the skull and its hips sit on the
pelvis above the hip joints: taken as they are, the projected nose stands 0.84 torso
lengths (shoulder midpoint to hip midpoint) above the shoulders and the legs are 2.0
torso lengths long, where AlphaPose on URFD's real video gives 0.29 and 1.43, MediaPipe
on ``vtest.avi`` 0.32 (nose) and this project's synthetic body 0.32 and 1.44 (medians
over upright frames; UTKinect's walks measured the same way). So the nose goes
``HEAD_TO_NOSE`` of the way from ``shoulder_center`` to ``head`` and each hip
``HIP_TO_KNEE`` of the way towards its knee, which gives 0.31 and 1.45 on UTKinect.
Hip width is left alone (0.47 of the shoulder width, as the synthetic body's 0.50 and
MediaPipe's 0.54). Kinect has no eyes or ears: those joints get score 0 (missing),
which the heatmaps leave empty. Joints with non-positive depth or all-zero coordinates
(untracked) are missing too; all others get score 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from model.contract import COCO_KEYPOINTS, NUM_KEYPOINTS

__all__ = ["HEAD_TO_NOSE", "HIP_TO_KNEE", "KINECT_JOINTS", "Anatomy", "KinectCamera",
           "coco_anatomy", "kinect_to_coco"]

FloatArray = npt.NDArray[np.float32]

# The Kinect SDK v1 joint order (UTKinect uses it as it is).
KINECT_JOINTS: tuple[str, ...] = (
    "hip_center", "spine", "shoulder_center", "head",
    "shoulder_left", "elbow_left", "wrist_left", "hand_left",
    "shoulder_right", "elbow_right", "wrist_right", "hand_right",
    "hip_left", "knee_left", "ankle_left", "foot_left",
    "hip_right", "knee_right", "ankle_right", "foot_right",
)  # fmt: skip

# COCO joint name -> Kinect joint name (eyes and ears have no Kinect counterpart).
_COCO_FROM_KINECT: dict[str, str] = {
    "nose": "head",
    "left_shoulder": "shoulder_left", "right_shoulder": "shoulder_right",
    "left_elbow": "elbow_left", "right_elbow": "elbow_right",
    "left_wrist": "wrist_left", "right_wrist": "wrist_right",
    "left_hip": "hip_left", "right_hip": "hip_right",
    "left_knee": "knee_left", "right_knee": "knee_right",
    "left_ankle": "ankle_left", "right_ankle": "ankle_right",
}  # fmt: skip


def _present(p: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """``(..., 3)`` -> ``(...)``: tracked joints (finite, in front of the sensor, not all
    zero)."""
    return np.asarray(np.isfinite(p).all(axis=-1) & (p[..., 2] > 1e-3)
                      & (np.abs(p).sum(axis=-1) > 0))


@dataclass(frozen=True)
class KinectCamera:
    """Pinhole camera for the projection (Kinect v1 colour camera by default)."""

    width: int = 640
    height: int = 480
    focal: float = 525.0

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(height, width)`` as PYSKL's ``img_shape``."""
        return (self.height, self.width)

    def project(self, xyz: npt.ArrayLike) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """``(..., 3)`` metres -> ``(..., 2)`` pixels and a validity mask ``(...)``."""
        p = np.asarray(xyz, dtype=np.float64)
        z = p[..., 2]
        valid = _present(p)
        safe_z = np.where(valid, z, 1.0)
        u = (self.width - 1) / 2 - self.focal * p[..., 0] / safe_z
        v = (self.height - 1) / 2 - self.focal * p[..., 1] / safe_z
        uv = np.stack([u, v], axis=-1).astype(np.float32)
        uv[~valid] = 0.0
        return uv, valid


# Calibrated on skeleton proportions only (module docstring), never on accuracy.
HIP_TO_KNEE = 0.2  # a COCO hip: this far from Kinect's hip towards its knee
HEAD_TO_NOSE = 0.15  # a COCO nose: this far from Kinect's shoulder_center to its head


@dataclass(frozen=True)
class Anatomy:
    """Where a skeleton tracker's joints go to look like a COCO detector's keypoints.

    ``hip_to_knee``: each hip moves this share of the way towards its knee;
    ``head_to_nose``: the nose lies this share of the way from ``shoulder_center`` to
    ``head``; ``hip_width``: the hips' spread about their midpoint is scaled by this.
    The default is UTKinect's calibration (module docstring); other trackers place
    their joints differently (MSR Action3D: ``train.convert.msr_action3d``).
    """

    hip_to_knee: float = HIP_TO_KNEE
    head_to_nose: float = HEAD_TO_NOSE
    hip_width: float = 1.0


def coco_anatomy(joints: npt.NDArray[np.float64], index: Mapping[str, int],
                 anatomy: Anatomy | None = None) -> npt.NDArray[np.float64]:
    """Kinect joints ``(T, J, 3)`` with ``head`` and the hips moved to where a COCO
    keypoint detector puts the nose and the hips (see the module docstring). A joint
    whose reference is untracked in a frame stays where it is in that frame."""
    anat = anatomy or Anatomy()
    j = joints.copy()

    def towards(dst: str, src: str, ref: str, f: float) -> None:
        pa, pb = joints[:, index[src]], joints[:, index[ref]]
        ok = _present(pa) & _present(pb)
        j[ok, index[dst]] = pa[ok] + f * (pb[ok] - pa[ok])

    towards("hip_left", "hip_left", "knee_left", anat.hip_to_knee)
    towards("hip_right", "hip_right", "knee_right", anat.hip_to_knee)
    if anat.hip_width != 1.0:
        hl, hr = j[:, index["hip_left"]].copy(), j[:, index["hip_right"]].copy()
        ok = _present(joints[:, index["hip_left"]]) & _present(joints[:, index["hip_right"]])
        mid = 0.5 * (hl + hr)
        j[ok, index["hip_left"]] = mid[ok] + anat.hip_width * (hl[ok] - mid[ok])
        j[ok, index["hip_right"]] = mid[ok] + anat.hip_width * (hr[ok] - mid[ok])
    towards("head", "shoulder_center", "head", anat.head_to_nose)
    return j


def kinect_to_coco(
    joints: npt.ArrayLike,
    camera: KinectCamera,
    order: Mapping[str, int] | None = None,
    anatomy: Anatomy | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Project one person's 3D joints and map them to COCO-17.

    Args:
        joints: ``(T, J, 3)`` metres in Kinect skeleton space.
        order: Kinect joint name -> index in ``joints`` (default: ``KINECT_JOINTS`` order).
        anatomy: where the nose and hips go (default: UTKinect's calibration).

    Returns:
        keypoints ``(1, T, 17, 2)`` pixels and scores ``(1, T, 17)`` (1 present, 0 missing).
    """
    j = np.asarray(joints, dtype=np.float64)
    if j.ndim != 3 or j.shape[-1] != 3:
        raise ValueError(f"expected (T, J, 3) joints, got {j.shape}")
    index = dict(order) if order is not None else {n: i for i, n in enumerate(KINECT_JOINTS)}
    j = coco_anatomy(j, index, anatomy)
    uv, valid = camera.project(j)
    t = j.shape[0]
    kp = np.zeros((1, t, NUM_KEYPOINTS, 2), np.float32)
    sc = np.zeros((1, t, NUM_KEYPOINTS), np.float32)
    for coco_i, coco_name in enumerate(COCO_KEYPOINTS):
        kinect_name = _COCO_FROM_KINECT.get(coco_name)
        if kinect_name is None:
            continue
        src = index[kinect_name]
        kp[0, :, coco_i] = uv[:, src]
        sc[0, :, coco_i] = valid[:, src].astype(np.float32)
    return kp, sc
