"""Person tracks: a far, much weaker detection is not the person (edge_app.track)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge_app.pose import PoseResult
from edge_app.track import PersonTracks

# a standing COCO-17 body, 200 px tall, centred at the origin (x right, y down)
BODY = np.array([
    [0, -95], [-4, -99], [4, -99], [-9, -97], [9, -97],
    [-20, -75], [20, -75], [-26, -40], [26, -40], [-28, -8], [28, -8],
    [-12, -10], [12, -10], [-12, 45], [12, 45], [-12, 100], [12, 100],
], dtype=np.float32)
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def _pose(*people: tuple[float, float, float]) -> PoseResult:
    """Detections at (x, y) with a score each."""
    if not people:
        return PoseResult.empty()
    kp = np.stack([BODY + np.array([x, y], np.float32) for x, y, _ in people])
    sc = np.stack([np.full(17, s, np.float32) for _, _, s in people])
    return PoseResult(kp, sc)


def _up(tracks: PersonTracks, t: float, pose: PoseResult) -> PoseResult:
    out = tracks.update(t, pose)
    assert out.keypoints.shape[0] == tracks.slots
    return out


def _x(res: PoseResult, slot: int = 0) -> float | None:
    """Centre x of the detection in ``slot`` (None: empty slot)."""
    if res.scores[slot].max() <= 0:
        return None
    return float(res.keypoints[slot, :, 0].mean())


def test_a_weak_far_detection_is_dropped_while_the_person_is_tracked() -> None:
    tracks = PersonTracks(1)
    assert _x(_up(tracks, 0.0, _pose((450, 250, 0.65)))) == pytest.approx(450)
    # the pose model reports a cabinet at the other side of the room instead
    res = _up(tracks, 1 / 30, _pose((60, 300, 0.15)))
    assert _x(res) is None  # nobody seen this frame, not somebody elsewhere
    assert res.scores.shape == (1, 17) and tracks.stats.dropped == 1
    # the person again, a little further on
    assert _x(_up(tracks, 2 / 30, _pose((440, 255, 0.62)))) == pytest.approx(440)


def test_the_person_is_released_after_keep_s_and_reacquired_anywhere() -> None:
    tracks = PersonTracks(1, keep_s=1.0)
    _up(tracks, 0.0, _pose((450, 250, 0.65)))
    assert _x(_up(tracks, 0.5, _pose((60, 300, 0.15)))) is None
    # not confirmed for more than keep_s: whatever is seen now is followed
    assert _x(_up(tracks, 1.2, _pose((60, 300, 0.15)))) == pytest.approx(60)
    assert tracks.stats.started == 2


def test_a_far_detection_as_confident_as_the_person_takes_over() -> None:
    tracks = PersonTracks(1, switch_ratio=0.5)
    _up(tracks, 0.0, _pose((450, 250, 0.3)))
    assert _x(_up(tracks, 0.1, _pose((100, 250, 0.2)))) == pytest.approx(100)


def test_a_falling_person_stays_the_same_track() -> None:
    """A fall moves the body fast and drops the pose model's confidence: still them."""
    tracks = PersonTracks(1)
    t, x, y, score = 0.0, 400.0, 200.0, 0.7
    for _ in range(15):  # 0.5 s at 30 fps: down 150 px and sideways 90 px
        res = _up(tracks, t, _pose((x, y, score)))
        assert _x(res) == pytest.approx(x)
        t, x, y, score = t + 1 / 30, x - 6, y + 10, max(0.15, score - 0.04)
    # a few frames missed on the way down, then seen lying further on
    assert _x(_up(tracks, t + 0.3, _pose((x - 60, y + 40, 0.15)))) == pytest.approx(x - 60)


def test_two_people_keep_their_slots_whatever_order_the_detector_reports() -> None:
    tracks = PersonTracks(2)
    first = _up(tracks, 0.0, _pose((100, 250, 0.9), (500, 250, 0.8)))
    a, b = _x(first, 0), _x(first, 1)
    swapped = _up(tracks, 0.1, _pose((505, 250, 0.8), (105, 250, 0.9)))
    assert _x(swapped, 0) == pytest.approx(a + 5) and _x(swapped, 1) == pytest.approx(b + 5)
    # one of them leaves: their slot stays empty, the other keeps theirs
    one = _up(tracks, 0.2, _pose((510, 250, 0.8)))
    assert _x(one, 0 if a == 500 else 1) == pytest.approx(510)
    assert one.scores.max(axis=1).tolist().count(0.0) == 1


def test_reset_forgets_the_person() -> None:
    tracks = PersonTracks(1)
    _up(tracks, 0.0, _pose((450, 250, 0.65)))
    tracks.reset()
    assert _x(_up(tracks, 0.1, _pose((60, 300, 0.15)))) == pytest.approx(60)


def test_nothing_seen_gives_empty_slots() -> None:
    res = PersonTracks(3).update(0.0, PoseResult.empty())
    assert res.keypoints.shape == (3, 17, 2) and not res.scores.any()


def test_slots_must_be_positive() -> None:
    with pytest.raises(ValueError, match="slots"):
        PersonTracks(0)


@pytest.mark.skipif(not (DATA / "skeletons" / "urfd_falls_dev").is_dir(),
                    reason="../shared/data/skeletons/urfd_falls_dev is absent (research data)")
def test_urfd_ghost_frames_are_dropped_and_the_fall_is_kept() -> None:
    """In URFD's AlphaPose output the single reported pose flips between the person
    (score 0.4-0.7) and a static object at the left of the room (score 0.1-0.2). The
    tracker drops the object's frames while it follows the person, and never drops a
    detection as confident as the person's (their own fall included)."""
    from train.convert.urfd import FPS, read_urfd_videos

    videos = read_urfd_videos(DATA / "skeletons" / "urfd_falls_dev")
    ghosts_dropped = 0
    for v in videos:
        tracks = PersonTracks(1)
        for t in range(v.keypoint.shape[1]):
            raw = PoseResult(v.keypoint[:, t].astype(np.float32),
                             v.keypoint_score[:, t].astype(np.float32))
            if raw.scores.max() <= 0:
                raw = PoseResult.empty()
            res = tracks.update(t / FPS, raw)
            if raw.num_persons and res.scores.max() <= 0:
                # only the weak object's detections are dropped, never the person's
                assert raw.scores[0][raw.scores[0] > 0.05].mean() < 0.35, (v.video, t)
                ghosts_dropped += 1
    assert ghosts_dropped > 50  # the object shows up in most of the 15 videos



def test_a_track_displaced_by_a_far_more_confident_detection_is_discredited() -> None:
    """The monitor followed a cabinet (0.15) until the person (0.6) walked in: the
    cabinet's track was never the person; a switch to a weaker detection of someone
    going down is not such a displacement."""
    tracks = PersonTracks(1)
    tracks.update(0.0, _pose((60, 300, 0.15)))
    cabinet = int(tracks.ids[0])
    tracks.update(0.1, _pose((450, 250, 0.6)))
    person = int(tracks.ids[0])
    assert person != cabinet and tracks.discredited == {cabinet}
    # the person, going down, is reported far away and weaker (0.4): a switch, no blame
    tracks.update(0.2, _pose((200, 380, 0.4)))
    assert int(tracks.ids[0]) not in (0, person) and person not in tracks.discredited
    tracks.reset()
    assert not tracks.discredited and not tracks.ids.any()



def test_a_person_seen_in_place_keeps_their_track_when_someone_stronger_walks_in() -> None:
    """Two slots: A (0.3) and B (0.6); next frame B is missed, A is seen in place and a
    newcomer X (0.7) far from both. A keeps its track and X takes B's slot: the strong
    newcomer does not push A out, and nobody is discredited."""
    tracks = PersonTracks(2)
    first = tracks.update(0.0, _pose((100, 250, 0.3), (500, 250, 0.6)))
    a_slot = 0 if _x(first, 0) == pytest.approx(100) else 1
    a_id = int(tracks.ids[a_slot])
    nxt = tracks.update(0.1, _pose((300, 100, 0.7), (102, 250, 0.3)))
    assert _x(nxt, a_slot) == pytest.approx(102) and int(tracks.ids[a_slot]) == a_id
    assert _x(nxt, 1 - a_slot) == pytest.approx(300)
    assert not tracks.discredited


def test_a_detection_of_a_few_joints_does_not_shrink_the_person() -> None:
    """Two joints say where the person is, not how big: the next full body still matches."""
    tracks = PersonTracks(1)
    first = _up(tracks, 0.0, _pose((400, 250, 0.6)))
    few = _pose((400, 250, 0.6))
    few.scores[0, 2:] = 0.0  # only the nose and one eye (4 px apart)
    assert _up(tracks, 1 / 30, few).scores[0, :2].min() > 0
    # the whole body again, 50 px lower: its centre is 147 px from the two joints, within
    # reach of the body's 199 px (not of the joints' 4 px box): the same person, kept by
    # the track although much less confident this frame
    res = _up(tracks, 2 / 30, _pose((400, 300, 0.2)))
    assert _x(res) == pytest.approx(400) and tracks.stats.started == 1
    assert first.scores.shape == (1, 17)
