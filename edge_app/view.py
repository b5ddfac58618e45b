"""Is the person in the window seen well enough to say they fell or lie on the floor?

The classifier reads the window's heatmaps only; it cannot know whether a body that
seems low and still is a person lying on the floor or a person walking out of the
picture, cut off by its edge, or a small thing the pose model took for a body. Measured
on the real videos (``benchmarks/model_card.py``), each of those made false fall alerts.
This check looks at the keypoints at the end of the window, where a fall decision is
made, and says no when:

- ``left the view``: nobody is detected at the end of the window, and the last time
  the person was seen their torso was at the image's left, right or top edge (a person
  who vanishes in the middle of the room, as fallen people often do for the pose model,
  still counts);
- ``cut by the image edge``: most of the recent detections (or the latest three) have
  the torso or a fifth of the joints (the legs) outside the picture (a close-up of an
  upper body, someone half through a door);
- ``too small for a body``: the torso (shoulders to hips) spans less than
  ``min_torso`` of the image's longer side (a ghost detection on an object);
- ``seen in only N% of the window``: a body in fewer than ``min_seen`` of its samples
  (a glimpse of someone passing: the model reads a nearly empty window as lying);
- ``too close to the camera``: the torso spans more than ``max_torso`` of it, so the
  rest of the body cannot be in the picture (an upper body filling the frame).

Pure numpy; the event engine uses the verdict to hold back fall and lying decisions,
never the activity of a person seen well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["LEFT_THE_VIEW", "ViewCheck", "check_view", "window_arrays"]

LEFT_THE_VIEW = "left the view"  # the reason when the person walked out of the picture
SHOULDERS = (5, 6)
HIPS = (11, 12)
TORSO = (*SHOULDERS, *HIPS)
SCORE_MIN = 0.05  # a joint scored lower is not placed at all (AlphaPose scores lying
# people 0.1-0.3; MediaPipe scores joints it only guesses, off the picture, near 0)
LAST = 3  # the latest samples: the body cut in all of them is cut now
CUT_SHARE = 0.2  # this share of the placed joints outside the image: the frame cuts the body


@dataclass(frozen=True)
class ViewCheck:
    """``ok``: the body is seen well enough for a fall decision; else ``reason``.

    ``body``: a real body was there, held back only for how the picture frames it (cut
    by the edge, too close): the window still shows where the person is. False for a
    ghost detection, a glimpse, someone walking out, or nobody; a fall's time down
    (``edge_app.events``) never starts on such a window.
    """

    ok: bool
    reason: str = ""
    body: bool = False

    @classmethod
    def good(cls) -> ViewCheck:
        return cls(True, body=True)


def _torso_centre(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32]
                  ) -> npt.NDArray[np.float64] | None:
    """Mean of the scored torso joints of one sample; None when none is scored."""
    idx = [j for j in TORSO if sc[j] >= SCORE_MIN]
    return kp[idx].astype(np.float64).mean(axis=0) if idx else None


def _mid(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32],
         pair: tuple[int, int]) -> npt.NDArray[np.float64] | None:
    w = np.array([sc[j] for j in pair], dtype=np.float64)
    w = np.where(w >= SCORE_MIN, w, 0.0)
    if w.sum() <= 0:
        return None
    return (kp[list(pair)].astype(np.float64) * w[:, None]).sum(axis=0) / w.sum()


def _cut(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32], w: float, h: float) -> bool:
    """The frame cuts the body: the torso centre is outside the image, a fifth of the
    placed joints are (both knees and ankles; MediaPipe places joints it cannot see
    where it guesses them), or most of the well-scored joints are."""
    scored = sc >= SCORE_MIN
    placed = sc > 0
    if not scored.any():
        return True
    inside = (kp[:, 0] >= 0) & (kp[:, 0] <= w - 1) & (kp[:, 1] >= 0) & (kp[:, 1] <= h - 1)
    centre = _torso_centre(kp, sc)
    if centre is None:
        return True
    centre_in = 0 <= centre[0] <= w - 1 and 0 <= centre[1] <= h - 1
    return bool(not centre_in or (placed & ~inside).sum() >= CUT_SHARE * placed.sum()
                or (inside & scored).sum() < 0.5 * scored.sum())


def _at_side_edge(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32], w: float,
                  h: float, margin: float) -> bool:
    """Torso centre within ``margin`` of the left, right or top edge (or beyond it)."""
    centre = _torso_centre(kp, sc)
    if centre is None:
        return True
    mx, my = margin * w, margin * h
    return bool(centre[0] < mx or centre[0] > w - 1 - mx or centre[1] < my)


def _torso_length(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32]) -> float:
    """Shoulder-centre to hip-centre in pixels; 0 when either is not scored."""
    a, b = _mid(kp, sc, SHOULDERS), _mid(kp, sc, HIPS)
    if a is None or b is None:
        return 0.0
    return float(np.hypot(*(a - b)))


def _no_body(lengths: npt.NDArray[np.float64]) -> ViewCheck:
    """Why detections with these torso lengths are no body."""
    measured = lengths[lengths > 0]
    if measured.size == 0:
        return ViewCheck(False, "torso not seen (shoulders or hips hidden or out of the "
                         "picture)")
    return ViewCheck(False, f"too small for a body (torso {np.median(measured):.0f} px)")


def _check_person(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32],
                  size: tuple[int, int], tail: int, margin: float, min_torso: float,
                  max_torso: float, min_seen: float) -> ViewCheck:
    w, h = float(size[0]), float(size[1])
    present = sc.max(axis=1) > 0
    if not present.any():
        return ViewCheck(False, "nobody seen")
    n = len(present)
    lengths = np.array([_torso_length(kp[i], sc[i]) if present[i] else 0.0
                        for i in range(n)])
    # a detection whose torso is a few pixels long is not a person (a ghost on an
    # object, or a body almost entirely outside the picture)
    body = present & (lengths >= min_torso * max(w, h))
    if not body.any():
        return _no_body(lengths[present])
    if not body[-1]:
        # gone at the end: walked out at a side, or lost by the pose model in the middle
        # of the picture (as fallen people often are), which still counts
        last = int(np.flatnonzero(body)[-1])
        if _at_side_edge(kp[last], sc[last], w, h, margin):
            return ViewCheck(False, LEFT_THE_VIEW)
    if body.mean() < min_seen:  # a glimpse: the model reads a near-empty window as lying
        return ViewCheck(False, f"seen in only {body.mean():.0%} of the window")
    seen = [i for i in range(max(0, n - tail), n) if present[i]]
    if not seen:
        return ViewCheck.good()
    cut = [_cut(kp[i], sc[i], w, h) for i in seen]
    if sum(cut) > len(seen) / 2 or all(cut[-LAST:]):  # mostly, or in the latest samples
        return ViewCheck(False, "cut by the image edge", body=True)
    recent = [i for i in seen if body[i]]
    if not recent:
        return _no_body(lengths[seen])
    torso = float(np.median(lengths[recent]))
    if torso > max_torso * max(w, h):  # a whole body is about three torsos long
        return ViewCheck(False, f"too close to the camera for a whole body (torso {torso:.0f} px)",
                         body=True)
    return ViewCheck.good()


def window_arrays(keypoints: npt.ArrayLike, scores: npt.ArrayLike
                  ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """A window's ``(P, T, 17, 2)`` keypoints and ``(P, T, 17)`` scores as float32;
    ValueError on any other shape."""
    kp = np.asarray(keypoints, dtype=np.float32)
    sc = np.asarray(scores, dtype=np.float32)
    if kp.ndim != 4 or sc.shape != kp.shape[:3]:
        raise ValueError(f"expected (P, T, 17, 2) keypoints and (P, T, 17) scores, got "
                         f"{kp.shape} and {sc.shape}")
    return kp, sc


def check_view(
    keypoints: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    image_size: tuple[int, int],
    *,
    tail: int,
    edge_margin: float,
    min_torso: float,
    max_torso: float,
    min_seen: float = 0.0,
) -> ViewCheck:
    """Verdict on one window.

    Args:
        keypoints: ``(P, T, 17, 2)`` source pixels (persons padded with zero scores).
        scores: ``(P, T, 17)``.
        image_size: source ``(width, height)``.
        tail: how many samples at the end of the window count as "now".
        edge_margin: share of the width/height that counts as the image edge.
        min_torso: smallest torso, as a share of the image's longer side.
        max_torso: largest torso, as a share of the image's longer side (a torso longer
            than a third of the picture leaves no room for the rest of the body).
        min_seen: least share of the window's samples with a body in them.

    A window passes when any tracked person passes; else the verdict is the first
    person's that showed a body (``ViewCheck.body``), or the first person's.
    """
    kp, sc = window_arrays(keypoints, scores)
    first: ViewCheck | None = None
    for p in range(kp.shape[0]):
        if not (sc[p].max(initial=0.0) > 0):
            continue
        verdict = _check_person(kp[p], sc[p], image_size, max(1, tail), edge_margin,
                                min_torso, max_torso, min_seen)
        if verdict.ok:
            return verdict
        if first is None or (verdict.body and not first.body):
            first = verdict
    return first or ViewCheck(False, "nobody seen")
