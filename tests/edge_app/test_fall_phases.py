"""A fall's phases in the event engine: candidate, confirmed, recovered, dismissed, long lie."""

from __future__ import annotations

import numpy as np

from edge_app.config import load_config
from edge_app.events import POSSIBLE_FALL, RECOVERED_FALL, EventEngine
from edge_app.posture import BodyPosture
from edge_app.types import Event
from model.labels import ADL_CLASSES
from tests.edge_app.test_events import _probs

UPRIGHT = BodyPosture(upright=True, down=False)
DOWN = BodyPosture(upright=False, down=True)
UNCLEAR = BodyPosture.unknown()
DT = 0.5  # seconds between windows

Step = tuple[np.ndarray | None, BodyPosture]


def _engine(*overrides: str) -> tuple[EventEngine, list[Event]]:
    cfg = load_config(overrides=["events.smoothing_windows=1", *overrides])
    out: list[Event] = []
    return EventEngine(cfg.events, ADL_CLASSES, out.append, source="test"), out


def _run(engine: EventEngine, steps: list[Step], t0: float = 0.0) -> float:
    t = t0
    for probs, posture in steps:
        t += DT
        engine.observe(t, probs, person_present=probs is not None, window_start=t - 3.2,
                       posture=posture)
    return t


def _of(out: list[Event], rule: str) -> list[Event]:
    return [e for e in out if e.rule == rule]


WALK = [(_probs(walking=0.9), UPRIGHT)] * 4


def test_no_alert_on_the_fall_like_window_alone_then_confirmed_when_still_down() -> None:
    eng, out = _engine()  # default: confirm_s 2
    t = _run(eng, [*WALK, (_probs(falling=0.9), DOWN)])
    assert not _of(out, "fall") and not eng.person_down
    candidate_at = t
    t = _run(eng, [(_probs(lying_on_the_floor=0.9), DOWN)] * 6, t0=t)
    falls = _of(out, "fall")
    assert [e.type for e in falls] == ["new"] and falls[0].level == "critical"
    assert eng.person_down
    # decided confirm_s after the person was first seen going down, not later
    decided = next(e for e in out if e.rule == "fall")
    assert decided.start_time <= candidate_at
    assert not _of(out, "recovered_fall")


def test_confirmation_counts_from_when_the_model_first_saw_the_person_going_down() -> None:
    eng, out = _engine("events.fall_confirm.confirm_s=2")
    # falling 0.35: down (above the exit threshold 0.28), not yet a candidate (0.4)
    t = _run(eng, WALK + [(_probs(falling=0.35), DOWN)] * 3)
    t = _run(eng, [(_probs(falling=0.9), DOWN)], t0=t)
    assert not _of(out, "fall")
    _run(eng, [(_probs(lying_on_the_floor=0.9), DOWN)], t0=t)
    assert [e.type for e in _of(out, "fall")] == ["new"]  # 2.0 s after the first 0.35


def test_getting_up_after_being_seen_down_is_a_recovered_fall_warning() -> None:
    eng, out = _engine()
    t = _run(eng, WALK + [(_probs(falling=0.9), DOWN)] * 2)
    _run(eng, [(_probs(standing_up=0.9), UPRIGHT)] * 3, t0=t)
    assert not _of(out, "fall") and not eng.person_down
    rec = _of(out, "recovered_fall")
    assert [e.type for e in rec] == ["new", "end"]
    assert rec[0].level == "warning" and rec[0].label == RECOVERED_FALL
    assert rec[0].start_time < rec[1].end_time  # type: ignore[operator]
    assert rec[0].id not in eng.open_incidents()


def test_a_hard_sit_down_never_seen_down_is_dismissed_silently() -> None:
    eng, out = _engine()
    # the model calls the drop onto a chair "falling"; the body stays upright, feet on
    # the floor, and the model then calls it sitting down
    t = _run(eng, [*WALK, (_probs(falling=0.9), UPRIGHT)])
    _run(eng, [(_probs(sitting_down=0.8, falling=0.1), UPRIGHT)] * 6, t0=t)
    assert not [e for e in out if e.level != "info"]


def test_an_upright_body_does_not_dismiss_while_the_model_still_calls_it_falling() -> None:
    """A second person upright in the picture (or a pose glitch) is no proof while the
    model still sees the fall."""
    eng, out = _engine()
    _run(eng, WALK + [(_probs(falling=0.9), UPRIGHT)] * 6)
    assert [e.type for e in _of(out, "fall")] == ["new"]


def test_nobody_seen_after_the_fall_still_confirms_it() -> None:
    """The pose model often loses a person lying on the floor."""
    eng, out = _engine()
    t = _run(eng, [*WALK, (_probs(falling=0.9), UNCLEAR)])
    _run(eng, [(None, UNCLEAR)] * 5, t0=t)
    assert [e.type for e in _of(out, "fall")] == ["new"]
    assert eng.person_down


def test_possible_fall_warning_comes_at_once_and_ends_when_the_fall_is_decided() -> None:
    eng, out = _engine("events.fall_confirm.possible_fall=true")
    t = _run(eng, [*WALK, (_probs(falling=0.9), DOWN)])
    poss = _of(out, "possible_fall")
    assert [e.type for e in poss] == ["new"] and poss[0].label == POSSIBLE_FALL
    assert poss[0].level == "warning" and poss[0].id in eng.open_incidents()
    _run(eng, [(_probs(lying_on_the_floor=0.9), DOWN)] * 6, t0=t)
    assert [e.type for e in _of(out, "possible_fall")] == ["new", "end"]
    assert [e.type for e in _of(out, "fall")] == ["new"]
    # and one that is dismissed ends too
    eng2, out2 = _engine("events.fall_confirm.possible_fall=true")
    t = _run(eng2, [*WALK, (_probs(falling=0.9), UPRIGHT)])
    _run(eng2, [(_probs(walking=0.9), UPRIGHT)] * 2, t0=t)
    assert [e.type for e in _of(out2, "possible_fall")] == ["new", "end"]
    assert not _of(out2, "fall")
    assert _of(out2, "possible_fall")[0].id not in eng2.open_incidents()


def test_lowering_oneself_after_sitting_down_is_not_a_fall() -> None:
    """The model calls the slow descent "sitting down" for seconds, then "falling" as
    the person reaches the floor or a bed: deliberate, no fall alert; a lying warning
    covers someone who stays there."""
    eng, out = _engine("events.rules.lying on the floor.min_duration_s=0")
    t = _run(eng, WALK + [(_probs(sitting_down=0.8), UPRIGHT)] * 5
             + [(_probs(falling=0.7), DOWN)] * 3)
    t = _run(eng, [(_probs(lying_on_the_floor=0.9), DOWN)] * 10, t0=t)
    assert not _of(out, "fall") and not _of(out, "recovered_fall")
    assert [e for e in out if e.label == "lying on the floor" and e.type == "new"]
    # up again: a real fall later is caught as usual
    t = _run(eng, [(_probs(walking=0.9), UPRIGHT)] * 12, t0=t)
    _run(eng, [(_probs(falling=0.9), DOWN)] + [(_probs(lying_on_the_floor=0.9), DOWN)] * 5,
         t0=t)
    assert [e.type for e in _of(out, "fall")] == ["new"]


def test_a_short_sit_before_a_fall_does_not_make_it_deliberate() -> None:
    eng, out = _engine()
    t = _run(eng, WALK + [(_probs(sitting_down=0.8), UPRIGHT)] * 2
             + [(_probs(falling=0.9), DOWN)])
    _run(eng, [(_probs(lying_on_the_floor=0.9), DOWN)] * 5, t0=t)
    assert [e.type for e in _of(out, "fall")] == ["new"]


def test_controlled_descent_can_be_disabled() -> None:
    eng, out = _engine("events.fall_confirm.controlled_descent.enabled=false")
    t = _run(eng, WALK + [(_probs(sitting_down=0.8), UPRIGHT)] * 5
             + [(_probs(falling=0.7), DOWN)] * 2)
    _run(eng, [(_probs(lying_on_the_floor=0.9), DOWN)] * 5, t0=t)
    assert [e.type for e in _of(out, "fall")] == ["new"]


def test_long_lie_comes_while_still_down_whatever_the_model_calls_the_still_body() -> None:
    eng, out = _engine("events.long_lie.after_s=5")
    t = _run(eng, WALK + [(_probs(falling=0.9), DOWN)]
             + [(_probs(lying_on_the_floor=0.9), DOWN)] * 5)
    assert [e.type for e in _of(out, "fall")] == ["new"]
    # a still body on the floor: the classifier drifts to other classes
    t = _run(eng, [(_probs(waving_for_help=0.9), DOWN)] * 12, t0=t)
    assert [e.type for e in _of(out, "long_lie")] == ["new"]
    assert _of(out, "long_lie")[0].level == "critical" and eng.person_down
    _run(eng, [(_probs(standing_up=0.9), UPRIGHT)] * 2, t0=t)
    assert [e.type for e in _of(out, "fall")] == ["new", "end"]
    assert [e.type for e in _of(out, "long_lie")] == ["new", "end"]
    assert not eng.person_down


def test_without_confirmation_the_alert_comes_with_the_fall_like_window() -> None:
    eng, out = _engine("events.fall_confirm.enabled=false")
    _run(eng, [*WALK, (_probs(falling=0.9), UPRIGHT)])
    assert [e.type for e in _of(out, "fall")] == ["new"]
    assert not _of(out, "recovered_fall")


def test_flush_ends_a_pending_possible_fall_and_sends_no_critical() -> None:
    eng, out = _engine("events.fall_confirm.possible_fall=true")
    _run(eng, [*WALK, (_probs(falling=0.9), DOWN)])
    eng.flush()
    assert eng.open_incidents() == []
    assert [e.type for e in _of(out, "possible_fall")] == ["new", "end"]
    assert not _of(out, "fall")


def test_one_recovered_fall_per_episode_not_one_per_window() -> None:
    """Up again by the posture while the model still gives 'falling' some weight: the
    next candidate waits until the model no longer sees the person down at all."""
    eng, out = _engine()
    t = _run(eng, [*WALK, (_probs(falling=0.9), DOWN)])
    # up (upright, top class standing up) with falling still at 0.45 for a while, and a
    # pose that flickers between upright and down
    getting_up = _probs(standing_up=0.5, falling=0.45)
    t = _run(eng, [(getting_up, UPRIGHT), (getting_up, DOWN)] * 4, t0=t)
    assert [e.type for e in _of(out, "recovered_fall")] == ["new", "end"]
    assert not _of(out, "fall")
    # really up, then a new fall: a new candidate
    t = _run(eng, [(_probs(walking=0.9), UPRIGHT)] * 2, t0=t)
    _run(eng, [(_probs(falling=0.9), DOWN)] + [(_probs(lying_on_the_floor=0.9), DOWN)] * 5,
         t0=t)
    assert [e.type for e in _of(out, "fall")] == ["new"]


# ----------------------------------------------------------------------------- restarts


def _open_fall_in(store_path: object, source: str, created: float) -> None:
    from edge_app.store import EventStore

    store = EventStore(store_path)  # type: ignore[arg-type]
    store.record(Event("new", "fall-1", "falling", "critical", 0.9, created - 3.0, None,
                       source, "fall", created))
    store.record(Event("new", "walk-1", "walking", "info", 0.8, created - 10.0, None,
                       source, "activity", created - 10.0))
    store.close()


def test_a_fall_open_when_the_app_stopped_is_carried_on_and_still_escalates() -> None:
    import time

    from edge_app.store import Incident

    eng, out = _engine("events.long_lie.after_s=60")
    now = time.time()
    inc = Incident("fall-1", "falling", "critical", "fall", "cam", now - 70.0, None, 0.9,
                   now - 67.0, now - 5.0, None, None, None)
    eng.resume([inc])
    assert eng.person_down
    eng.announce_resumed()
    assert [(e.type, e.id) for e in out] == [("update", "fall-1")]
    # still on the floor; the classifier calls the still body something else
    t = now
    for _ in range(3):
        t += DT
        eng.observe(t, _probs(waving_for_help=0.9), person_present=True, posture=DOWN)
    lie = _of(out, "long_lie")
    assert [e.type for e in lie] == ["new"] and lie[0].level == "critical"
    t += DT
    eng.observe(t, _probs(standing_up=0.9), person_present=True, posture=UPRIGHT)
    assert [e.type for e in _of(out, "fall")] == ["update", "end"]
    assert not eng.person_down


def test_pipeline_carries_on_a_live_cameras_open_fall_across_a_restart(tmp_path: object
                                                                       ) -> None:
    """SIGKILL (or SIGTERM) with someone down: the next run of the same camera keeps the
    fall open (person_down, long lie); a file's old incidents are ended as before."""
    import time
    from pathlib import Path

    from edge_app.app import EdgeApp
    from edge_app.store import EventStore

    db = Path(str(tmp_path)) / "events.db"
    source = "rtsp://127.0.0.1:9/cam"
    _open_fall_in(db, source, time.time() - 20.0)
    cfg = load_config(overrides=[f"store.path={db}", "model.backend=onnxruntime"])
    p = EdgeApp(cfg, source=source)  # not started: no camera needed
    try:
        assert p.camera.decider.engine.person_down
        assert p.store.get("fall-1").is_open  # type: ignore[union-attr]
        assert not p.store.get("walk-1").is_open  # type: ignore[union-attr]
    finally:
        p.stop()  # a live camera's shutdown: the fall stays open for the next run
    store = EventStore(db)
    try:
        assert store.get("fall-1").is_open  # type: ignore[union-attr]
    finally:
        store.close()
    from tests.edge_app.conftest import DEMO_VIDEO

    q = EdgeApp(cfg, source=str(DEMO_VIDEO))  # another source: nothing carried on
    try:
        assert not q.camera.decider.engine.person_down
        assert not q.store.get("fall-1").is_open  # type: ignore[union-attr]
    finally:
        q.stop()


def test_walking_out_of_the_picture_is_not_a_confirmed_fall() -> None:
    """The model reads the emptying window as falling as the person walks out; then
    nobody is seen. That absence is no sign of being down (the looped demo's 681 s)."""
    from edge_app.view import LEFT_THE_VIEW, ViewCheck

    eng, out = _engine()
    left = ViewCheck(False, LEFT_THE_VIEW)
    t = 0.0
    for probs, view, posture in [*[(_probs(walking=0.9), ViewCheck.good(), UPRIGHT)] * 4,
                                 (_probs(walking=0.6), left, UNCLEAR),
                                 (_probs(falling=0.9), ViewCheck.good(), UNCLEAR)]:
        t += DT
        eng.observe(t, probs, person_present=True, window_start=t - 3.2, view=view,
                    posture=posture)
    _run(eng, [(None, UNCLEAR)] * 8, t0=t)
    assert not _of(out, "fall") and not eng.person_down
    # someone lost in the middle of the room (never at the edge) is still confirmed
    eng2, out2 = _engine()
    t = _run(eng2, [*WALK, (_probs(falling=0.9), UNCLEAR)])
    _run(eng2, [(None, UNCLEAR)] * 5, t0=t)
    assert [e.type for e in _of(out2, "fall")] == ["new"]


def test_windows_held_back_by_the_view_check_do_not_count_as_time_down() -> None:
    """The looped demo at 681 s: a tiny ghost detection, then the person barely seen
    (both held back) read as lying; the first judged window triggers a sudden fall. Its
    2 s of confirmation must be spent on judged windows, not on the held-back ones
    before it (which confirmed it at once, and the person stood up 0.5 s later)."""
    from edge_app.view import ViewCheck

    ghost = ViewCheck(False, "too small for a body (torso 5 px)")
    barely = ViewCheck(False, "seen in only 2% of the window")
    eng, out = _engine()
    t = 0.0
    for probs, view, posture in [
            *[(_probs(walking=0.9), ViewCheck.good(), UPRIGHT)] * 2,
            *[(_probs(lying_on_the_floor=0.6, walking=0.3), ghost, UNCLEAR)] * 2,
            *[(_probs(lying_on_the_floor=0.7, walking=0.2), barely, UNCLEAR)] * 2,
            (_probs(lying_on_the_floor=0.45, falling=0.2, standing_up=0.2),
             ViewCheck.good(), UNCLEAR),
            *[(_probs(standing_up=0.8), ViewCheck.good(), UPRIGHT)] * 4]:
        t += DT
        eng.observe(t, probs, person_present=True, window_start=t - 3.2, view=view,
                    posture=posture)
    assert not _of(out, "fall") and not eng.person_down
    # the same person really down: confirmed 2 s after the first judged window
    eng2, out2 = _engine()
    t = 0.0
    for probs, view, posture in [
            *[(_probs(walking=0.9), ViewCheck.good(), UPRIGHT)] * 2,
            *[(_probs(lying_on_the_floor=0.7, walking=0.2), barely, UNCLEAR)] * 2,
            *[(_probs(lying_on_the_floor=0.8), ViewCheck.good(), DOWN)] * 5]:
        t += DT
        eng2.observe(t, probs, person_present=True, window_start=t - 3.2, view=view,
                     posture=posture)
    assert [e.type for e in _of(out2, "fall")] == ["new"]
    # a body cut by the picture's edge (held back, but there) does start it: the fall
    # at the edge of a CCTV kitchen view is confirmed one window sooner
    cut = ViewCheck(False, "cut by the image edge", body=True)
    confirmed_at = []
    for first in (cut, barely):
        eng3, out3 = _engine()
        t = 0.0
        for probs, view, posture in [
                *[(_probs(walking=0.9), ViewCheck.good(), UPRIGHT)] * 2,
                (_probs(lying_on_the_floor=0.45), first, DOWN),
                *[(_probs(lying_on_the_floor=0.8), ViewCheck.good(), DOWN)] * 6]:
            t += DT
            eng3.observe(t, probs, person_present=True, window_start=t - 3.2, view=view,
                         posture=posture)
            if _of(out3, "fall") and len(confirmed_at) < (first is barely) + 1:
                confirmed_at.append(t)
    assert confirmed_at[0] == confirmed_at[1] - DT


def test_a_confirmed_fall_ends_when_the_model_sees_walking_and_the_posture_is_unknown(
        ) -> None:
    """Legs hidden by furniture after getting up: the posture cannot be measured; the
    model's walking ends the fall (no false long lie), a still body called waving does
    not."""
    eng, out = _engine("events.long_lie.after_s=5")
    t = _run(eng, [*WALK, (_probs(falling=0.9), DOWN)]
             + [(_probs(lying_on_the_floor=0.9), DOWN)] * 5)
    assert eng.person_down
    t = _run(eng, [(_probs(waving_for_help=0.9), UNCLEAR)] * 2, t0=t)
    assert eng.person_down  # not an upright activity: still down
    _run(eng, [(_probs(walking=0.9), UNCLEAR)] * 3, t0=t)
    assert not eng.person_down
    assert _of(out, "fall")[-1].type == "end"


def test_a_long_lie_is_carried_on_only_with_its_fall() -> None:
    import time

    from edge_app.store import Incident

    eng, _ = _engine()
    now = time.time()
    lie = Incident("lie-1", "long lie", "critical", "long_lie", "cam", now - 90.0, None, 0.9,
                   now - 30.0, now - 5.0, None, None, None)
    assert eng.resume([lie]) == ()
    assert not eng.person_down
