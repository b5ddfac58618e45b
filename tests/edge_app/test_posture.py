"""The standing check: no fall decision while the person is back on their feet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge_app.posture import STANDING_AGAIN, BodyPosture, body_posture, standing_again
from tests.edge_app.test_view import BODY, urfd_windows_after_floor

T = 48
KW = {"tail": 6, "head": 8, "min_upright": 0.85, "min_legs": 0.9, "max_drop": 0.3,
      "min_torso_ratio": 0.7}

TORSO = 65.0  # shoulders to hips of test_view's standing BODY


def _turned(body: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return body @ np.array([[c, s], [-s, c]], dtype=np.float32)


def _track(bodies: list[np.ndarray | None], centres: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """One person ``(1, T, 17, 2)``: ``bodies[t]`` at ``centres[t]``; None: not seen."""
    kp = np.zeros((1, T, 17, 2), np.float32)
    sc = np.zeros((1, T, 17), np.float32)
    for t, (b, c) in enumerate(zip(bodies, centres, strict=True)):
        if b is not None:
            kp[0, t] = b + c
            sc[0, t] = 0.9
    return kp, sc


def _down_and_up(depth: float, back_up: bool) -> tuple[np.ndarray, np.ndarray]:
    """Standing, then the hips drop ``depth`` torso lengths (the body tilted 60 degrees
    at the bottom), then (``back_up``) standing where they started."""
    bodies: list[np.ndarray | None] = []
    centres = np.zeros((T, 2), np.float32)
    for t in range(T):
        down = 16 <= t < 30 or (not back_up and t >= 16)
        bodies.append(_turned(BODY, 1.05) if down else BODY.copy())
        centres[t] = (320.0, 240.0 + (depth * TORSO if down else 0.0))
    return _track(bodies, centres)


def test_back_on_their_feet_where_they_started_holds_falls_back() -> None:
    kp, sc = _down_and_up(1.0, back_up=True)
    verdict = standing_again(kp, sc, **KW)
    assert not verdict.ok
    assert verdict.reason.startswith(STANDING_AGAIN)
    # a person who stood still all along, or ended a little higher (walking away from
    # a high camera), is standing too
    still, sc2 = _track([BODY.copy() for _ in range(T)],
                        np.column_stack([np.full(T, 320.0), np.linspace(260, 240, T)]))
    assert not standing_again(still, sc2, **KW).ok


def test_the_hips_must_be_as_high_as_at_the_start() -> None:
    def settled(drop: float) -> tuple[np.ndarray, np.ndarray]:  # standing, hips lower
        centres = np.column_stack([np.full(T, 320.0), np.where(
            np.arange(T) < 30, 240.0, 240.0 + drop * TORSO)]).astype(np.float32)
        return _track([BODY.copy() for _ in range(T)], centres)

    assert not standing_again(*settled(0.25), **KW).ok
    assert standing_again(*settled(0.35), **KW).ok


def test_a_foreshortened_torso_is_not_standing() -> None:
    """Lying end-on to a high camera, feet towards it: upright and tall in the image,
    but the torso is half as long as when the person stood."""
    bodies: list[np.ndarray | None] = []
    for t in range(T):
        b = BODY.copy()
        if t >= 30:  # upper body squashed towards the hips, legs stretched
            b[:11, 1] = -10 + (b[:11, 1] + 10) * 0.45
            b[13:, 1] = -10 + (b[13:, 1] + 10) * 1.3
        bodies.append(b)
    kp, sc = _track(bodies, np.tile(np.array([320.0, 240.0], np.float32), (T, 1)))
    assert standing_again(kp, sc, **KW).ok
    assert not standing_again(kp, sc, **(KW | {"min_torso_ratio": 0.4})).ok


def test_someone_who_stays_down_is_judged() -> None:
    kp, sc = _down_and_up(1.0, back_up=False)  # lying (tilted) at the end
    assert standing_again(kp, sc, **KW).ok
    # upright at the end but sitting on the floor: hips a torso length lower
    bodies: list[np.ndarray | None] = [BODY.copy() for _ in range(T)]
    centres = np.column_stack([np.full(T, 320.0),
                               np.where(np.arange(T) < 30, 240.0, 240.0 + 1.2 * TORSO)])
    kp2, sc2 = _track(bodies, centres.astype(np.float32))
    assert standing_again(kp2, sc2, **KW).ok


def test_no_evidence_of_standing_holds_nothing_back() -> None:
    kp, sc = _down_and_up(1.0, back_up=True)
    gone = sc.copy()
    gone[0, -4:] = 0.0  # not seen in most of the tail
    assert standing_again(kp, gone, **KW).ok
    no_ankles = sc.copy()
    no_ankles[0, -6:, 15:17] = 0.0  # legs out of the picture: standing not shown
    assert standing_again(kp, no_ankles, **KW).ok
    folded = kp.copy()
    folded[0, -6:, 15:17, 1] = folded[0, -6:, 11:13, 1] + 20  # ankles up at the hips
    assert standing_again(folded, sc, **KW).ok
    no_start = sc.copy()
    no_start[0, :8] = 0.0
    assert standing_again(kp, no_start, **KW).ok
    empty = np.zeros_like(sc)
    assert standing_again(kp, empty, **KW).ok


def test_everyone_seen_must_be_standing() -> None:
    up_kp, up_sc = _down_and_up(1.0, back_up=True)
    down_kp, down_sc = _down_and_up(1.0, back_up=False)
    kp = np.concatenate([up_kp, down_kp])
    sc = np.concatenate([up_sc, down_sc])
    assert standing_again(kp, sc, **KW).ok  # the second person is down
    padded_sc = np.concatenate([up_sc, np.zeros_like(down_sc)])  # a padding slot
    assert not standing_again(kp, padded_sc, **KW).ok


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="expected"):
        standing_again(np.zeros((T, 17, 2)), np.zeros((T, 17)), **KW)


def _shared(*parts: str) -> Path:
    return Path(__file__).resolve().parents[2].parent.joinpath("shared", "data", *parts)


def test_urfd_falls_are_not_standing_after_they_reach_the_floor() -> None:
    """Real falls (URFD 1-15, AlphaPose keypoints): no window in the 2 s after the person
    reaches the floor says they stand again. Skipped without ../shared."""
    held = []
    for video, i, kp, sc in urfd_windows_after_floor():
        verdict = standing_again(kp, sc, **KW)
        if not verdict.ok:
            held.append((video, i, verdict.reason))
    assert not held, held


def test_utkinect_false_falls_were_people_standing_again() -> None:
    """The three false fall alerts in UTKinect's whole takes (model card): each window
    ends with the person back on their feet. Skipped without ../shared."""
    from train.convert.utkinect import convert_utkinect_sequences

    root = _shared("skeletons", "utkinect")
    if not root.exists():
        pytest.skip(f"UTKinect skeletons not found at {root} (research data, not committed)")
    alerts = {"s06_e01_p0": 11.7, "s07_e01_p0": 30.9, "s10_e02_p0": 27.1}  # seconds
    parts = {a["frame_dir"]: a for a in convert_utkinect_sequences(root).annotations
             if a["frame_dir"] in alerts}
    assert set(parts) == set(alerts)
    for name, t in alerts.items():
        a = parts[name]
        end = round(t * a["fps"])
        idx = np.arange(end - 2 * (T - 1), end + 1, 2)  # 30 -> 15 Hz
        assert idx[0] >= 0
        verdict = standing_again(a["keypoint"][:, idx], a["keypoint_score"][:, idx], **KW)
        assert not verdict.ok, name


# ----------------------------------------------------------------------------- body_posture

POSTURE_KW = {"tail": 6, "min_upright": 0.85, "min_legs": 0.6, "max_down_upright": 0.5}


def test_posture_of_a_standing_body_is_upright() -> None:
    kp, sc = _track([BODY.copy() for _ in range(T)], np.tile([320.0, 240.0], (T, 1)))
    p = body_posture(kp, sc, **POSTURE_KW)
    assert p.upright and not p.down


def test_posture_of_a_body_lying_at_the_end_is_down() -> None:
    kp, sc = _down_and_up(1.0, back_up=False)  # tilted 60 degrees at the end
    p = body_posture(kp, sc, **POSTURE_KW)
    assert p.down and not p.upright
    flat, sc2 = _track([_turned(BODY, np.pi / 2) for _ in range(T)],
                       np.tile([320.0, 400.0], (T, 1)))
    assert body_posture(flat, sc2, **POSTURE_KW).down


def test_posture_of_a_kneeling_or_floor_sitting_body_is_neither() -> None:
    """Torso upright but the feet level with the hips (legs out on the floor): not up
    again, not lying either."""
    body = BODY.copy()
    hips_y = body[[11, 12], 1].mean()
    body[[13, 14, 15, 16], 1] = hips_y  # knees and ankles at the hips' height
    kp, sc = _track([body for _ in range(T)], np.tile([320.0, 240.0], (T, 1)))
    p = body_posture(kp, sc, **POSTURE_KW)
    assert not p.upright and not p.down


def test_posture_of_nobody_is_unknown_never_upright() -> None:
    kp, sc = _track([BODY.copy() if t < 30 else None for t in range(T)],
                    np.tile([320.0, 240.0], (T, 1)))
    p = body_posture(kp, sc, **POSTURE_KW)
    assert p == BodyPosture.unknown()
    with pytest.raises(ValueError):
        body_posture(kp[0], sc[0], **POSTURE_KW)
