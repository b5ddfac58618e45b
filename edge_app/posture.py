"""Is the person standing again, as high as when the window began?

A fall ends on the floor: two seconds after it, nobody is back on their feet with the
hips where they were before it. The classifier reads the window as a whole, and a
brisk bend, squat or stumble that the person recovers from inside the same window can
read as falling. Measured on UTKinect's whole takes (``benchmarks/model_card.py
--sections utk_sequences``), each of the three false fall alerts came in a window at
whose end the person stood upright, hips no lower than at its start (a deep pick-up
close to the camera, setting off to walk, putting a box down), while at all 15 of
URFD's real falls the person at the alert is lying, sitting on the floor, or seen
with the hips more than a torso length below where they started.

The check says the person is standing again when, for every person seen in the
window:

- in the last ``tail`` samples the torso (shoulders and hips) is seen in at least half,
  and in each of those the torso is upright in the image (shoulders above the hips,
  ``min_upright`` the cosine of its angle from vertical) and the ankles are at least
  ``min_legs`` torso lengths below the hips (legs under the body, not folded);
- the hips at the end are no more than ``max_drop`` torso lengths lower in the image
  than in the first ``head`` samples;
- the torso at the end is at least ``min_torso_ratio`` as long in the image as at the
  start (someone lying end-on to a high camera, feet towards it, can look upright
  and tall, but their torso is foreshortened to half its standing length or less).

Anything less (nobody seen at the end, ankles not seen, a torso not upright, no start
to compare with) is no evidence of standing and holds nothing back. Pure numpy; the
event engine uses the verdict like the view check's (``edge_app.view``): fall and lying
decisions wait, an incident already open stays open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge_app.view import HIPS, SCORE_MIN, SHOULDERS, ViewCheck, window_arrays

__all__ = ["STANDING_AGAIN", "BodyPosture", "body_posture", "standing_again"]

STANDING_AGAIN = "standing again"  # how the verdict's reason begins
ANKLES = (15, 16)


def _stance(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32]
            ) -> tuple[float, float, float, float] | None:
    """``(upright, legs, hip_y, torso)`` of one sample, None without a scored torso.

    ``upright``: cosine of the torso's angle from the image vertical (1: shoulders
    straight above the hips); ``legs``: ankles below the hips in torso lengths (NaN
    when no ankle is scored); ``hip_y``: hip midpoint's image row; ``torso``: pixels.
    """
    if not all(sc[j] >= SCORE_MIN for j in (*SHOULDERS, *HIPS)):
        return None
    sh = kp[list(SHOULDERS)].astype(np.float64).mean(axis=0)
    hip = kp[list(HIPS)].astype(np.float64).mean(axis=0)
    torso = float(np.hypot(*(sh - hip)))
    if not np.isfinite(torso) or torso <= 0:
        return None
    ankles = [j for j in ANKLES if sc[j] >= SCORE_MIN]
    legs = (float(kp[ankles, 1].astype(np.float64).mean() - hip[1]) / torso if ankles
            else float("nan"))
    return float(hip[1] - sh[1]) / torso, legs, float(hip[1]), torso


def _person_standing(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32], tail: int,
                     head: int, min_upright: float, min_legs: float, max_drop: float,
                     min_torso_ratio: float) -> bool:
    """This person stands again at the end of the window, as high as at its start."""
    n = kp.shape[0]
    tail = min(tail, n)
    end = _tail_stances(kp, sc, tail)
    start = [m for m in (_stance(kp[i], sc[i]) for i in range(min(head, n - tail)))
             if m is not None]
    if len(end) < tail / 2 or not start:
        return False
    if not all(u >= min_upright and legs >= min_legs for u, legs, _, _ in end):
        return False  # NaN legs (ankles not seen) fail the comparison too
    end_torso = float(np.median([m[3] for m in end]))
    if end_torso < min_torso_ratio * float(np.median([m[3] for m in start])):
        return False
    torso = float(np.median([m[3] for m in end + start]))
    drop = (np.mean([m[2] for m in end]) - np.mean([m[2] for m in start])) / torso
    return bool(drop <= max_drop)


def standing_again(
    keypoints: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    *,
    tail: int,
    head: int,
    min_upright: float,
    min_legs: float,
    max_drop: float,
    min_torso_ratio: float,
) -> ViewCheck:
    """Verdict on one window: not ``ok`` when everyone seen stands again at its end.

    Args:
        keypoints: ``(P, T, 17, 2)`` source pixels (persons padded with zero scores).
        scores: ``(P, T, 17)``.
        tail: samples at the end of the window that count as now.
        head: samples at its start the hips are compared with.
        min_upright: least cosine of the torso's angle from the image vertical.
        min_legs: least distance of the ankles below the hips, in torso lengths.
        max_drop: most the hips may have come down since the start, in torso lengths.
        min_torso_ratio: least length of the torso at the end over that at the start.

    The reason is the same text in every such window (the event engine logs a held
    decision once per reason).
    """
    kp, sc = window_arrays(keypoints, scores)
    seen = [p for p in range(kp.shape[0]) if sc[p].max(initial=0.0) > 0]
    # someone who may be down (not shown standing) keeps every decision open
    if not seen or not all(_person_standing(kp[p], sc[p], max(1, tail), max(1, head),
                                            min_upright, min_legs, max_drop, min_torso_ratio)
                           for p in seen):
        return ViewCheck.good()
    return ViewCheck(False, f"{STANDING_AGAIN} at the window's end, hips as high as at "
                     "its start")


@dataclass(frozen=True)
class BodyPosture:
    """The body at the end of a window, for the fall's phases (``edge_app.events``).

    ``upright``: the torso is upright with the feet well below the hips (standing, or
    sitting on a chair or bed edge with the feet on the floor), in most of the tail's
    samples, for every person seen. ``down``: some person's torso is far from upright
    (lying, on all fours) in most of them. Neither: nobody seen, or not clear (kneeling
    upright, sitting on the floor with the legs out). Nobody seen is never ``upright``:
    a person down out of the pose model's sight is still down.
    """

    upright: bool
    down: bool

    @classmethod
    def unknown(cls) -> BodyPosture:
        return cls(False, False)


def _tail_stances(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32], tail: int
                  ) -> list[tuple[float, float, float, float]]:
    n = kp.shape[0]
    return [m for m in (_stance(kp[i], sc[i]) for i in range(n - min(tail, n), n))
            if m is not None]


def body_posture(
    keypoints: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    *,
    tail: int,
    min_upright: float,
    min_legs: float,
    max_down_upright: float,
) -> BodyPosture:
    """Posture of the persons seen at the end of one window.

    Args:
        keypoints: ``(P, T, 17, 2)`` source pixels (persons padded with zero scores).
        scores: ``(P, T, 17)``.
        tail: samples at the end of the window that count as now.
        min_upright: least cosine of the torso's angle from the image vertical for
            ``upright``.
        min_legs: least distance of the ankles below the hips, in torso lengths, for
            ``upright`` (feet on the floor under a standing or seated body).
        max_down_upright: the torso's cosine below which the body is ``down`` (0.5: more
            than 60 degrees from vertical).
    """
    kp, sc = window_arrays(keypoints, scores)
    tail = max(1, tail)
    seen = [p for p in range(kp.shape[0]) if sc[p, -min(tail, sc.shape[1]):].max(initial=0.0) > 0]
    if not seen:
        return BodyPosture.unknown()
    upright_all = True
    down_any = False
    for p in seen:
        st = _tail_stances(kp[p], sc[p], tail)
        half = max(1, (len(st) + 1) // 2)
        n_up = sum(1 for u, legs, _, _ in st if u >= min_upright and legs >= min_legs)
        n_down = sum(1 for u, _, _, _ in st if u < max_down_upright)
        if len(st) < tail / 2 or n_up < half:
            upright_all = False
        if len(st) >= tail / 2 and n_down >= half:
            down_any = True
    return BodyPosture(upright_all and not down_any, down_any)
