"""Keep following the person: a detection far from them and much weaker is not them.

Pose models that report one person per frame (MediaPipe with ``num_poses: 1``, the
single-person AlphaPose output of public fall data sets) do not always report the
*same* person: in some frames the strongest candidate is a coat on a chair, a poster
or a cabinet, with a fraction of the person's confidence, on the other side of the
room. Put into the window as if it were the person, such frames tear the clip's crop
box across the picture and the body becomes a scatter of tiny figures, which the model
reads as someone lying down.

``PersonTracks`` keeps one track per slot (``pose.num_poses``). A candidate joins a
live track when its centre is near the centre of the track's last box (``reach``
times the body's size, plus ``speed`` body sizes per second since the track was last
seen: falls are fast); detections near a track are matched first. A far candidate
takes a slot only when no track is live there, or when it is at least
``switch_ratio`` as confident as the track (someone else has really walked in). The
rest are dropped for this frame: the person is "not seen" rather than somewhere
else. A track not confirmed for ``keep_s`` seconds is released, so a person the pose
model has really lost is re-acquired wherever they are next seen.

Every track has an id (``ids``: per slot after each ``update``, 0 for an empty slot).
When a far detection displaces a live track that is less than ``switch_ratio`` as
confident as it (one the tracker would have dropped next to it), that track was not
the person (the monitor had been following a cabinet until the person walked in):
its id joins ``discredited``, and the window builder leaves its samples out of the
window (``edge_app.window.same_person``), so the person's windows show the person
alone. A switch to a *weaker* far detection (the pose model's own jump while the
person falls) discredits nothing: cutting there would cut the fall out of the window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge_app.pose import PoseResult

__all__ = ["PersonTracks", "TrackStats"]

log = logging.getLogger(__name__)

_MIN_SCORE = 0.05  # a joint counts as placed (same floor as the view check)
# A detection with fewer placed joints than this (a head and a shoulder, two wrists)
# says where the person is but not how big they are: the track keeps its size.
_SIZE_JOINTS = 5


@dataclass
class _Track:
    id: int
    centre: npt.NDArray[np.float64]
    size: float
    score: float  # running mean joint score of the detections it took
    last_seen: float


@dataclass
class TrackStats:
    """Counts since start: detections kept, dropped as someone else, tracks started."""

    kept: int = 0
    dropped: int = 0
    started: int = 0


def _box(kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32]
         ) -> tuple[npt.NDArray[np.float64], float, float, int] | None:
    """Centre, size (longer side of the joints' box, pixels), mean placed-joint score
    and the number of placed joints."""
    placed = sc > _MIN_SCORE
    count = int(placed.sum())
    if count < 2:
        return None
    pts = kp[placed].astype(np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (lo + hi) / 2.0, float(max(hi - lo)), float(sc[placed].mean()), count


class PersonTracks:
    """Assigns each frame's detections to ``slots`` tracks (see the module docstring)."""

    def __init__(self, slots: int, *, keep_s: float = 1.5, reach: float = 0.75,
                 speed: float = 2.0, switch_ratio: float = 0.5) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self.keep_s = keep_s
        self.reach = reach
        self.speed = speed
        self.switch_ratio = switch_ratio
        self._tracks: list[_Track | None] = [None] * slots
        self.ids = np.zeros(slots, dtype=np.int64)  # per slot, this frame; 0: empty
        self.discredited: set[int] = set()  # tracks displaced by a more confident one
        self._next_id = 1
        self.stats = TrackStats()

    def reset(self) -> None:
        """Forget every track (a new source, a gap in monitoring)."""
        self._tracks = [None] * self.slots
        self.ids = np.zeros(self.slots, dtype=np.int64)
        self.discredited.clear()

    def _release_lost(self, t: float) -> list[_Track | None]:
        for i, tr in enumerate(self._tracks):
            if tr is not None and t - tr.last_seen > self.keep_s:
                self._tracks[i] = None
        return self._tracks

    def _near(self, tr: _Track, centre: npt.NDArray[np.float64], t: float) -> bool:
        allowed = tr.size * (self.reach + self.speed * max(0.0, t - tr.last_seen))
        return float(np.linalg.norm(centre - tr.centre)) <= allowed

    def update(self, t: float, pose: PoseResult) -> PoseResult:
        """The detections at source time ``t`` as ``slots`` rows, one per track.

        Rows of slots without a detection this frame have zero scores (nobody seen in
        that slot), so ``scores.max(axis=1) > 0`` tells which slots hold a person.
        """
        tracks = self._release_lost(t)
        out_kp = np.zeros((self.slots, *pose.keypoints.shape[1:]), dtype=np.float32)
        out_sc = np.zeros((self.slots, pose.scores.shape[1]), dtype=np.float32)
        self.ids = np.zeros(self.slots, dtype=np.int64)
        boxes = [_box(pose.keypoints[i], pose.scores[i]) for i in range(pose.num_persons)]
        # strongest first: they choose their track first
        order = sorted((i for i, b in enumerate(boxes) if b is not None),
                       key=lambda i: -boxes[i][2])  # type: ignore[index]
        self.stats.dropped += sum(1 for b in boxes if b is None)  # fewer than 2 joints
        taken = [False] * self.slots
        chosen: dict[int, int] = {}
        # first every detection near a track keeps that track (the closest free one),
        # then the others get empty slots or replace a weaker unmatched track
        for near_pass in (True, False):
            for i in order:
                if i in chosen:
                    continue
                centre, _, score, _ = boxes[i]  # type: ignore[misc]
                slot = self._choose(tracks, taken, centre, score, t, near_only=near_pass)
                if slot is not None:
                    chosen[i] = slot
                    taken[slot] = True
        self.stats.dropped += len(order) - len(chosen)
        for i, slot in chosen.items():
            centre, size, score, joints = boxes[i]  # type: ignore[misc]
            tr = tracks[slot]
            if tr is None or not self._near(tr, centre, t):
                self.stats.started += 1
                if tr is not None and tr.score < self.switch_ratio * score:
                    # displaced by a detection it would itself have been dropped next
                    # to (and not seen near its place this frame): never the person
                    self.discredited.add(tr.id)
                    if len(self.discredited) > 256:  # long gone from any window
                        self.discredited.discard(min(self.discredited))
                if tr is not None:
                    log.debug("slot %d: switched to a detection %.0f px away (score %.2f vs "
                              "%.2f)", slot, float(np.linalg.norm(centre - tr.centre)), score,
                              tr.score)
                tracks[slot] = _Track(self._next_id, centre, size, score, t)
                self._next_id += 1
            else:
                tr.centre, tr.last_seen = centre, t
                if joints >= _SIZE_JOINTS or size > tr.size:
                    tr.size = size
                tr.score = 0.8 * tr.score + 0.2 * score
            out_kp[slot] = pose.keypoints[i]
            out_sc[slot] = pose.scores[i]
            self.ids[slot] = tracks[slot].id  # type: ignore[union-attr]
            self.stats.kept += 1
        return PoseResult(out_kp, out_sc)

    def _choose(self, tracks: list[_Track | None], taken: list[bool],
                centre: npt.NDArray[np.float64], score: float, t: float, *,
                near_only: bool) -> int | None:
        """The slot a detection goes to, or None (not now: ``near_only``; else dropped)."""
        free = [s for s in range(self.slots) if not taken[s]]
        near = [s for s in free if tracks[s] is not None
                and self._near(tracks[s], centre, t)]  # type: ignore[arg-type]
        if near:  # the closest live track it can belong to
            return min(near, key=lambda s: float(np.linalg.norm(
                centre - tracks[s].centre)))  # type: ignore[union-attr]
        if near_only:
            return None
        empty = [s for s in free if tracks[s] is None]
        if empty:
            return empty[0]
        # every free slot follows someone else: replace the weakest if as confident
        weakest = min(free, key=lambda s: tracks[s].score, default=None)  # type: ignore[union-attr]
        if weakest is not None and score >= self.switch_ratio * tracks[weakest].score:  # type: ignore[union-attr]
            return weakest
        return None
