"""A parametric 3D body: bone lengths from height and build, joint angles, forward kinematics.

World frame: metres, ``z`` up, the floor is ``z = 0``. A body's local frame has ``x``
forward, ``y`` to the person's left and ``z`` up; ``yaw`` turns it about world ``z``.

Joint angles (radians) live in a pose vector ``(P,)`` (``POSE_PARAMS`` names its
entries) and over time in ``(T, P)`` arrays:

- ``pelvis_pitch`` tilts the whole body forward (+, ends prone at +pi/2) or backward
  (-, supine at -pi/2); ``pelvis_roll`` tips it onto its right (+) or left (-) side;
  ``pelvis_spin`` then turns it about its own long axis (to its left +): a supine body
  (pitch -pi/2) with spin +pi/2 lies on its left side, with spin pi prone (rolling over).
- ``spine_flex`` bends the trunk forward at the hips (+), ``spine_lat`` to the left
  (+), ``spine_twist`` turns the shoulders left (+).
- ``neck_flex`` tips the head forward (+), ``neck_yaw`` turns it left (+).
- ``*_sh_flex`` swings an arm forward (+; pi is straight up in front), ``*_sh_abd``
  raises it sideways (+; pi is straight up at the side), ``*_sh_twist`` rotates it
  about its own axis (outward +), ``*_elbow`` flexes the elbow (+).
- ``*_hip_flex`` swings a thigh forward (+), ``*_hip_abd`` sideways (+), ``*_knee``
  flexes the knee (+).

``forward_kinematics`` gives the body's key points (``POINTS``) relative to the pelvis;
``place_on_floor`` stands them on the floor: the lowest contact point (soles, knees,
buttocks, back, head...) touches ``z = 0`` and the supporting points do not slide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CONTACT_OFFSETS",
    "POINTS",
    "POINT_INDEX",
    "POSE_INDEX",
    "POSE_PARAMS",
    "BodyShape",
    "forward_kinematics",
    "place_on_floor",
    "pose_vector",
    "to_coco",
]

FloatArray = npt.NDArray[np.float64]

POSE_PARAMS: tuple[str, ...] = (
    "pelvis_pitch", "pelvis_roll", "pelvis_spin",
    "spine_flex", "spine_lat", "spine_twist",
    "neck_flex", "neck_yaw",
    "l_sh_flex", "l_sh_abd", "l_sh_twist", "l_elbow",
    "r_sh_flex", "r_sh_abd", "r_sh_twist", "r_elbow",
    "l_hip_flex", "l_hip_abd", "l_knee",
    "r_hip_flex", "r_hip_abd", "r_knee",
)  # fmt: skip
POSE_INDEX: dict[str, int] = {name: i for i, name in enumerate(POSE_PARAMS)}

# Points computed by forward kinematics (world metres), in this order.
POINTS: tuple[str, ...] = (
    "pelvis", "neck", "head",
    "nose", "l_eye", "r_eye", "l_ear", "r_ear",
    "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist",
    "l_hand", "r_hand",
    "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "l_toe", "r_toe",
)  # fmt: skip
POINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(POINTS)}
# COCO-17 order (model.contract.COCO_KEYPOINTS) as indices into POINTS.
COCO_FROM_POINTS: tuple[int, ...] = tuple(POINT_INDEX[n] for n in (
    "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow",
    "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle",
    "r_ankle"))
# How far below each point the body's surface is (fraction of height): what touches
# the floor first. Points not listed never rest on the floor.
CONTACT_OFFSETS: dict[str, float] = {
    "l_ankle": 0.039, "r_ankle": 0.039, "l_toe": 0.0115, "r_toe": 0.0115,
    "l_knee": 0.03, "r_knee": 0.03, "l_hip": 0.06, "r_hip": 0.06, "pelvis": 0.06,
    "l_shoulder": 0.05, "r_shoulder": 0.05, "neck": 0.05, "head": 0.065,
    "l_elbow": 0.025, "r_elbow": 0.025, "l_wrist": 0.02, "r_wrist": 0.02,
    "l_hand": 0.012, "r_hand": 0.012,
}  # fmt: skip


@dataclass(frozen=True)
class BodyShape:
    """Segment lengths (metres) of one person, from height and build.

    Proportions follow Drillis & Contini's fractions of stature; ``build`` (about
    0.85 slim to 1.3 heavy) widens shoulders, hips and limbs.
    """

    height: float
    build: float = 1.0

    @property
    def hip_width(self) -> float:
        """Distance between the hip joint centres."""
        return 0.105 * self.height * math.sqrt(self.build)

    @property
    def shoulder_width(self) -> float:
        """Distance between the shoulder joint centres."""
        return 0.205 * self.height * math.pow(self.build, 0.3)

    @property
    def spine(self) -> float:
        """Hip-joint midpoint to shoulder midpoint."""
        return 0.29 * self.height

    @property
    def neck(self) -> float:
        """Shoulder midpoint to the base of the head."""
        return 0.055 * self.height

    @property
    def head_radius(self) -> float:
        return 0.062 * self.height

    @property
    def upper_arm(self) -> float:
        return 0.186 * self.height

    @property
    def forearm(self) -> float:
        return 0.146 * self.height

    @property
    def hand(self) -> float:
        """Wrist to the middle of the hand."""
        return 0.055 * self.height

    @property
    def thigh(self) -> float:
        return 0.245 * self.height

    @property
    def shank(self) -> float:
        return 0.246 * self.height

    @property
    def ankle_height(self) -> float:
        return 0.039 * self.height

    @property
    def foot(self) -> float:
        return 0.12 * self.height

    @property
    def leg(self) -> float:
        """Hip joint to sole when standing straight."""
        return self.thigh + self.shank + self.ankle_height


def pose_vector(**angles: float) -> FloatArray:
    """A ``(P,)`` pose with the named angles (radians) set and the rest zero."""
    v = np.zeros(len(POSE_PARAMS))
    for name, value in angles.items():
        v[POSE_INDEX[name]] = value
    return v


def _rx(a: FloatArray) -> FloatArray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1),
                     np.stack([z, s, c], -1)], -2)


def _ry(a: FloatArray) -> FloatArray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def _rz(a: FloatArray) -> FloatArray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                     np.stack([z, z, o], -1)], -2)


def _apply(r: FloatArray, v: FloatArray) -> FloatArray:
    """``(T, 3, 3) @ (T, 3)`` or ``@ (3,)``."""
    return np.asarray(np.einsum("tij,tj->ti", r, np.broadcast_to(v, (r.shape[0], 3))),
                      dtype=np.float64)


def forward_kinematics(shape: BodyShape, poses: FloatArray, yaw: FloatArray) -> FloatArray:
    """Positions of ``POINTS`` relative to the pelvis for ``T`` frames.

    Args:
        shape: the person.
        poses: ``(T, P)`` joint angles (radians).
        yaw: ``(T,)`` heading of the body frame (radians; 0 faces world +x).

    Returns:
        ``(T, len(POINTS), 3)`` metres, pelvis at the origin, axes of the world.
    """
    p = np.asarray(poses, dtype=np.float64)
    t = p.shape[0]
    a = {name: p[:, i] for i, name in enumerate(POSE_PARAMS)}
    h = shape.height
    out = np.zeros((t, len(POINTS), 3))
    ix = POINT_INDEX
    r_root = (_rz(np.asarray(yaw, dtype=np.float64)) @ _ry(a["pelvis_pitch"])
              @ _rx(a["pelvis_roll"]) @ _rz(a["pelvis_spin"]))
    # Legs.
    for side, sgn in (("l", 1.0), ("r", -1.0)):
        hip = _apply(r_root, np.array([0.0, sgn * shape.hip_width / 2, 0.0]))
        r_thigh = r_root @ _ry(-a[f"{side}_hip_flex"]) @ _rx(sgn * a[f"{side}_hip_abd"])
        knee = hip + _apply(r_thigh, np.array([0.0, 0.0, -shape.thigh]))
        r_shank = r_thigh @ _ry(a[f"{side}_knee"])
        ankle = knee + _apply(r_shank, np.array([0.0, 0.0, -shape.shank]))
        # The foot points along the shank's forward axis, sole below the ankle.
        toe = ankle + _apply(r_shank, np.array([shape.foot * 0.8, 0.0, -shape.ankle_height * 0.7]))
        out[:, ix[f"{side}_hip"]] = hip
        out[:, ix[f"{side}_knee"]] = knee
        out[:, ix[f"{side}_ankle"]] = ankle
        out[:, ix[f"{side}_toe"]] = toe
    # Trunk and head.
    r_spine = r_root @ _ry(a["spine_flex"]) @ _rx(a["spine_lat"]) @ _rz(a["spine_twist"])
    neck = _apply(r_spine, np.array([0.0, 0.0, shape.spine]))
    out[:, ix["neck"]] = neck
    r_head = r_spine @ _ry(a["neck_flex"]) @ _rz(a["neck_yaw"])
    rad = shape.head_radius
    head = neck + _apply(r_head, np.array([0.012 * h, 0.0, shape.neck + rad * 0.85]))
    out[:, ix["head"]] = head
    for name, off in (("nose", (0.95, 0.0, -0.2)), ("l_eye", (0.8, 0.33, 0.08)),
                      ("r_eye", (0.8, -0.33, 0.08)), ("l_ear", (-0.05, 0.95, 0.0)),
                      ("r_ear", (-0.05, -0.95, 0.0))):
        out[:, ix[name]] = head + _apply(r_head, rad * np.array(off))
    # Arms.
    for side, sgn in (("l", 1.0), ("r", -1.0)):
        sh_local = np.array([0.0, sgn * shape.shoulder_width / 2, -0.01 * h])
        sh = neck + _apply(r_spine, sh_local)
        r_up = (r_spine @ _ry(-a[f"{side}_sh_flex"]) @ _rx(sgn * a[f"{side}_sh_abd"])
                @ _rz(sgn * a[f"{side}_sh_twist"]))
        elbow = sh + _apply(r_up, np.array([0.0, 0.0, -shape.upper_arm]))
        r_fore = r_up @ _ry(-a[f"{side}_elbow"])
        wrist = elbow + _apply(r_fore, np.array([0.0, 0.0, -shape.forearm]))
        hand = wrist + _apply(r_fore, np.array([0.0, 0.0, -shape.hand]))
        out[:, ix[f"{side}_shoulder"]] = sh
        out[:, ix[f"{side}_elbow"]] = elbow
        out[:, ix[f"{side}_wrist"]] = wrist
        out[:, ix[f"{side}_hand"]] = hand
    return out


CONTACT_SOFTNESS = 0.015  # metres: points this much above the lowest share the support


def place_on_floor(
    shape: BodyShape,
    rel: FloatArray,
    start_xy: FloatArray,
    drive_xy: FloatArray | None = None,
) -> FloatArray:
    """Put pelvis-relative points on the floor, with the supporting points not sliding.

    Each frame is lowered or lifted so the lowest contact point (``CONTACT_OFFSETS``)
    touches ``z = 0``. Horizontally the body moves so that its support (the contact
    points near the floor, softly weighted) stays where it was: legs swinging under a
    walking body carry it forward, a toppling body pivots about its feet.

    Args:
        rel: ``(T, N, 3)`` from ``forward_kinematics``.
        start_xy: ``(2,)`` pelvis position on the floor at frame 0 (metres).
        drive_xy: ``(T, 2)`` extra displacement per frame (metres; slides, shoves).

    Returns:
        ``(T, N, 3)`` world metres.
    """
    names = list(CONTACT_OFFSETS)
    idx = [POINT_INDEX[n] for n in names]
    offs = np.array([CONTACT_OFFSETS[n] * shape.height for n in names])
    sole = rel[:, idx, 2] - offs  # (T, C)
    lowest = sole.min(axis=1)
    w = np.exp(-(sole - lowest[:, None]) / CONTACT_SOFTNESS)
    w /= w.sum(axis=1, keepdims=True)
    t = rel.shape[0]
    root = np.zeros((t, 2))
    root[0] = np.asarray(start_xy, dtype=np.float64)
    cxy = rel[:, idx, :2]  # (T, C, 2)
    # Support moves relative to the pelvis; the pelvis moves the opposite way.
    step = np.einsum("tc,tcd->td", w[1:], cxy[:-1] - cxy[1:])
    if drive_xy is not None:
        step = step + np.asarray(drive_xy, dtype=np.float64)[1:]
    root[1:] = root[0] + np.cumsum(step, axis=0)
    out = rel.copy()
    out[:, :, :2] += root[:, None, :]
    out[:, :, 2] -= lowest[:, None]
    return out


def to_coco(points: FloatArray) -> FloatArray:
    """``(..., len(POINTS), D)`` -> ``(..., 17, D)`` in COCO-17 order."""
    return points[..., list(COCO_FROM_POINTS), :]
