"""The parametric body: proportions, grounding, left/right, projection."""

from __future__ import annotations

import numpy as np

from train.synth.body import (
    POINT_INDEX,
    POSE_PARAMS,
    BodyShape,
    forward_kinematics,
    place_on_floor,
    pose_vector,
    to_coco,
)
from train.synth.camera import Camera


def _stand(shape: BodyShape, yaw: float = 0.0, **angles: float) -> np.ndarray:
    pose = pose_vector(**angles)[None]
    rel = forward_kinematics(shape, pose, np.array([yaw]))
    return place_on_floor(shape, rel, np.zeros(2))[0]


def test_standing_proportions_follow_height() -> None:
    for height in (1.5, 1.8):
        w = _stand(BodyShape(height))
        soles = min(w[POINT_INDEX["l_ankle"], 2], w[POINT_INDEX["r_ankle"], 2])
        assert np.isclose(soles, 0.039 * height, atol=0.003)  # ankles above the floor
        assert np.isclose(w[POINT_INDEX["pelvis"], 2], 0.53 * height, rtol=0.02)
        top = w[POINT_INDEX["head"], 2] + 0.062 * height
        assert np.isclose(top, height, rtol=0.03)


def test_left_is_the_persons_left() -> None:
    # Facing +x (yaw 0), the person's left is +y.
    w = _stand(BodyShape(1.7))
    for name in ("shoulder", "hip", "knee", "ankle", "eye", "ear", "wrist"):
        assert w[POINT_INDEX[f"l_{name}"], 1] > w[POINT_INDEX[f"r_{name}"], 1]
    assert w[POINT_INDEX["nose"], 0] > w[POINT_INDEX["head"], 0]  # nose in front


def test_angles_move_limbs_the_documented_way() -> None:
    shape = BodyShape(1.7)
    base = _stand(shape)
    fwd_arm = _stand(shape, l_sh_flex=np.pi / 2)
    assert fwd_arm[POINT_INDEX["l_wrist"], 0] > base[POINT_INDEX["l_wrist"], 0] + 0.4
    up_arm = _stand(shape, r_sh_abd=np.pi)
    assert up_arm[POINT_INDEX["r_wrist"], 2] > up_arm[POINT_INDEX["head"], 2]
    bent = _stand(shape, spine_flex=1.4)
    assert bent[POINT_INDEX["head"], 2] < base[POINT_INDEX["head"], 2] - 0.4
    assert bent[POINT_INDEX["head"], 0] > 0.3
    lying = _stand(shape, pelvis_pitch=-np.pi / 2)  # supine
    trunk = lying[POINT_INDEX["neck"]] - lying[POINT_INDEX["pelvis"]]
    assert abs(trunk[2]) < 0.05 * np.linalg.norm(trunk)
    assert lying[:, 2].max() < 0.35  # everything near the floor
    assert lying[POINT_INDEX["nose"], 2] > lying[POINT_INDEX["head"], 2]  # face up


def test_feet_stay_planted_while_sitting_down() -> None:
    shape = BodyShape(1.7)
    n = 20
    poses = np.zeros((n, len(POSE_PARAMS)))
    u = np.linspace(0, 1, n)
    for name in ("l_hip_flex", "r_hip_flex", "l_knee", "r_knee"):
        poses[:, POSE_PARAMS.index(name)] = 1.5 * u
    w = place_on_floor(shape, forward_kinematics(shape, poses, np.zeros(n)), np.zeros(2))
    ankles = w[:, [POINT_INDEX["l_ankle"], POINT_INDEX["r_ankle"]], :2]
    assert np.abs(ankles - ankles[0]).max() < 0.03  # the support does not slide
    assert w[-1, POINT_INDEX["pelvis"], 2] < 0.33 * 1.7  # seat height
    assert w[-1, POINT_INDEX["pelvis"], 0] < w[0, POINT_INDEX["pelvis"], 0] - 0.2  # hips back


def test_person_facing_the_camera_has_left_joints_on_image_right() -> None:
    cam = Camera((0.0, 0.0, 1.2), 0.0, 0.1, 0.0, 300.0, 320, 240)
    shape = BodyShape(1.7)
    for yaw, left_on_right in ((np.pi, True), (0.0, False)):  # facing the camera / away
        w = _stand(shape, yaw=yaw)
        w[:, 0] += 4.0
        uv, depth = cam.project(to_coco(w))
        assert (depth > 0).all()
        for a, b in ((5, 6), (11, 12), (15, 16)):
            assert (uv[a, 0] > uv[b, 0]) == left_on_right
