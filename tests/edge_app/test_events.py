from __future__ import annotations

import numpy as np
import pytest

from edge_app.config import load_config
from edge_app.events import EventEngine
from edge_app.types import Event
from edge_app.view import ViewCheck
from model.labels import ADL_CLASSES

IDX = {n: i for i, n in enumerate(ADL_CLASSES)}


def _probs(**scores: float) -> np.ndarray:
    p = np.full(len(ADL_CLASSES), 0.0, dtype=np.float32)
    for k, v in scores.items():
        p[IDX[k.replace("_", " ")]] = v
    rest = 1.0 - p.sum()
    p[IDX["background"]] += max(rest, 0.0)
    return p


def _engine(*overrides: str) -> tuple[EventEngine, list[Event]]:
    """An engine whose fall alert comes with the fall-like window (no confirmation wait):
    these tests are about what makes the candidate; ``test_fall_phases`` covers the rest."""
    cfg = load_config(overrides=["events.smoothing_windows=1",
                                 "events.fall_confirm.confirm_s=0", *overrides])
    out: list[Event] = []
    return EventEngine(cfg.events, ADL_CLASSES, out.append, source="test"), out


def _feed(engine: EventEngine, seq: list[np.ndarray | None], dt: float = 0.5,
          t0: float = 0.0) -> float:
    t = t0
    for p in seq:
        t += dt
        engine.observe(t, p, person_present=p is not None, window_start=t - 3.2)
    return t


def test_activity_segment_one_new_one_end_with_hysteresis() -> None:
    eng, out = _engine()
    # walking at 0.8, dips to 0.4 (above exit 0.35: stays), then drops to 0.2 (ends)
    seq = [_probs(walking=0.8)] * 4 + [_probs(walking=0.4)] * 3 + [_probs(walking=0.2)] * 2
    _feed(eng, seq)
    walking = [e for e in out if e.label == "walking"]
    assert [e.type for e in walking if e.type != "update"] == ["new", "end"]
    assert walking[-1].end_time is not None and walking[-1].level == "info"
    assert len({e.id for e in walking}) == 1


def test_activity_needs_min_duration() -> None:
    eng, out = _engine("events.rules.walking.min_duration_s=2.0")
    _feed(eng, [_probs(walking=0.9)] * 2 + [_probs()] * 2)  # 1 s of walking only
    assert not [e for e in out if e.label == "walking"]
    _feed(eng, [_probs(walking=0.9)] * 6, t0=10.0)  # 3 s
    assert [e.type for e in out if e.label == "walking"] == ["new"]


def test_switching_activity_ends_the_old_segment_first() -> None:
    eng, out = _engine()
    _feed(eng, [_probs(walking=0.8)] * 3 + [_probs(sitting_down=0.8)] * 3)
    kinds = [(e.type, e.label) for e in out if e.type != "update"]
    assert kinds == [("new", "walking"), ("end", "walking"), ("new", "sitting down")]


def test_class_alert_cooldown_suppresses_a_new_incident() -> None:
    eng, out = _engine("events.rules.waving for help.min_duration_s=0",
                       "events.rules.waving for help.cooldown_s=10")
    wave = [_probs(waving_for_help=0.9)] * 2
    quiet = [_probs()] * 2
    _feed(eng, wave + quiet + wave + quiet)  # second wave within 10 s cooldown
    alerts = [e for e in out if e.label == "waving for help" and e.rule == "class"]
    assert [e.type for e in alerts if e.type != "update"] == ["new", "end"]
    assert alerts[0].level == "warning"
    _feed(eng, wave, t0=100.0)  # after the cooldown
    alerts = [e for e in out if e.label == "waving for help" and e.rule == "class"]
    assert [e.type for e in alerts if e.type != "update"] == ["new", "end", "new"]


def test_fall_stays_open_while_down_then_long_lie_escalates() -> None:
    eng, out = _engine("events.long_lie.after_s=5", "events.rules.lying on the floor."
                       "min_duration_s=0")
    t = _feed(eng, [_probs(walking=0.9)] * 2 + [_probs(falling=0.9)] * 2)
    falls = [e for e in out if e.rule == "fall"]
    assert [e.type for e in falls] == ["new"] and falls[0].level == "critical"
    assert eng.person_down
    t = _feed(eng, [_probs(lying_on_the_floor=0.9)] * 14, t0=t)  # 7 s lying
    long_lie = [e for e in out if e.rule == "long_lie"]
    assert [e.type for e in long_lie] == ["new"] and long_lie[0].level == "critical"
    lying_alert = [e for e in out if e.label == "lying on the floor" and e.rule == "class"]
    assert lying_alert[0].level == "warning"
    assert any(e.type == "update" and e.level == "critical" for e in lying_alert)
    assert [e.type for e in out if e.rule == "fall"].count("end") == 0
    _feed(eng, [_probs(standing_up=0.9)] * 3, t0=t)  # gets up
    assert not eng.person_down
    assert [e.type for e in out if e.rule == "fall"][-1] == "end"
    assert [e.type for e in out if e.rule == "long_lie"] == ["new", "end"]


def test_no_long_lie_without_a_fall() -> None:
    eng, out = _engine("events.long_lie.after_s=2")
    _feed(eng, [_probs(lying_on_the_floor=0.9)] * 10)
    assert not [e for e in out if e.rule in ("long_lie", "fall")]


def test_nobody_seen_opens_and_closes() -> None:
    eng, out = _engine("events.no_person.after_s=3")
    t = _feed(eng, [_probs(walking=0.9)] * 2)
    t = _feed(eng, [None] * 10, t0=t)
    nobody = [e for e in out if e.rule == "no_person"]
    assert [e.type for e in nobody] == ["new"] and nobody[0].level == "warning"
    # the activity ended when the person left
    assert [e.type for e in out if e.label == "walking" and e.type != "update"] == ["new", "end"]
    _feed(eng, [_probs(walking=0.9)], t0=t)
    assert [e.type for e in out if e.rule == "no_person"] == ["new", "end"]


def test_smoothing_averages_windows_and_flush_closes_all() -> None:
    cfg = load_config(overrides=["events.smoothing_windows=3"])
    out: list[Event] = []
    eng = EventEngine(cfg.events, ADL_CLASSES, out.append, source="s")
    s = None
    for p in [_probs(walking=0.9), _probs(walking=0.0), _probs(walking=0.3)]:
        s = eng.observe(1.0, p, person_present=True)
    assert s is not None and abs(float(s[IDX["walking"]]) - 0.4) < 1e-6
    _feed(eng, [_probs(walking=0.9)] * 5)
    eng.flush()
    assert eng.open_incidents() == []
    news = sum(e.type == "new" for e in out)
    ends = sum(e.type == "end" for e in out)
    assert news == ends >= 1


def test_sudden_lying_after_being_up_is_a_fall() -> None:
    eng, out = _engine()
    # walking, then on the floor at once: the fall itself was never called "falling"
    _feed(eng, [_probs(walking=0.9)] * 4 + [_probs(lying_on_the_floor=0.8)] * 4)
    falls = [e for e in out if e.rule == "fall"]
    assert [e.type for e in falls] == ["new"] and falls[0].level == "critical"
    assert eng.person_down


def test_lying_long_after_being_up_is_not_a_fall() -> None:
    eng, out = _engine("events.sudden_lying.within_s=2.0")
    # 3 s in between where the person was neither up nor lying (e.g. lying down slowly)
    seq = ([_probs(walking=0.9)] * 2 + [_probs(lying_on_the_floor=0.4)] * 6
           + [_probs(lying_on_the_floor=0.8)] * 4)
    _feed(eng, seq)
    assert not [e for e in out if e.rule == "fall"]


@pytest.mark.parametrize("with_falling", [True, False])
def test_sudden_lying_with_falling_counts_a_person_split_between_the_two(
        with_falling: bool) -> None:
    """Going down and being down at 0.3 each (no class above 0.5): a person the
    classifier cannot place between falling and lying, right after being up."""
    eng, out = _engine(f"events.sudden_lying.with_falling={str(with_falling).lower()}")
    _feed(eng, [_probs(walking=0.9)] * 4
          + [_probs(falling=0.3, lying_on_the_floor=0.3)] * 4)
    falls = [e for e in out if e.rule == "fall" and e.type == "new"]
    assert len(falls) == (1 if with_falling else 0)
    if with_falling:
        assert falls[0].score == pytest.approx(0.6, abs=1e-4)


def test_a_fall_opened_on_the_sum_stays_open_while_the_scores_hold() -> None:
    """Falling 0.25 + lying 0.3: neither is "down" alone (0.28 / 0.35), the sum is."""
    eng, out = _engine()
    _feed(eng, [_probs(walking=0.9)] * 4
          + [_probs(falling=0.25, lying_on_the_floor=0.3)] * 6)
    assert [e.type for e in out if e.rule == "fall"] == ["new"]
    assert eng.person_down


def test_sudden_lying_can_be_disabled() -> None:
    eng, out = _engine("events.sudden_lying.enabled=false")
    _feed(eng, [_probs(walking=0.9)] * 4 + [_probs(lying_on_the_floor=0.8)] * 4)
    assert not [e for e in out if e.rule == "fall"]


def _feed_view(engine: EventEngine, seq: list[tuple[np.ndarray, ViewCheck]],
               dt: float = 0.5, t0: float = 0.0) -> None:
    t = t0
    for p, v in seq:
        t += dt
        engine.observe(t, p, person_present=True, window_start=t - 3.2, view=v)


LEFT = ViewCheck(False, "left the view")


def test_no_fall_while_the_person_is_not_in_full_view() -> None:
    eng, out = _engine()
    # walking out of the picture: the model reads the emptying window as lying/falling
    _feed_view(eng, [(_probs(walking=0.9), ViewCheck.good())] * 4
               + [(_probs(lying_on_the_floor=0.8), LEFT)] * 6
               + [(_probs(falling=0.9), LEFT)] * 3)
    assert not [e for e in out if e.rule in ("fall", "class", "long_lie")]
    assert not [e for e in out if e.label == "lying on the floor"]
    assert not eng.person_down


def test_fall_opens_once_the_view_is_good_again() -> None:
    eng, out = _engine()
    _feed_view(eng, [(_probs(walking=0.9), ViewCheck.good())] * 2
               + [(_probs(falling=0.9), LEFT)] * 2
               + [(_probs(falling=0.9), ViewCheck.good())] * 2)
    falls = [e for e in out if e.rule == "fall"]
    assert [e.type for e in falls] == ["new"] and eng.person_down


def test_bad_view_does_not_close_an_open_fall_or_stop_other_classes() -> None:
    eng, out = _engine()
    _feed_view(eng, [(_probs(walking=0.9), ViewCheck.good())] * 2
               + [(_probs(falling=0.9), ViewCheck.good())] * 2
               + [(_probs(lying_on_the_floor=0.9), LEFT)] * 4
               + [(_probs(waving_for_help=0.9), LEFT)] * 6)
    falls = [e for e in out if e.rule == "fall"]
    assert falls[0].type == "new" and all(e.type != "end" for e in falls[:-1])
    # waving is not a fall/lying class: the view check does not hold it back
    assert [e for e in out if e.label == "waving for help" and e.type == "new"]


def test_view_check_can_be_disabled() -> None:
    eng, out = _engine("events.view_check.enabled=false", "events.standing_check.enabled=false")
    _feed_view(eng, [(_probs(walking=0.9), ViewCheck.good())] * 4
               + [(_probs(lying_on_the_floor=0.8), LEFT)] * 4)
    assert [e for e in out if e.rule == "fall"]


def test_standing_again_holds_a_fall_back_until_the_person_stays_down() -> None:
    # the standing check alone (view check off) still gates falls: the pipeline sends
    # its verdict the same way (edge_app.posture)
    eng, out = _engine("events.view_check.enabled=false")
    standing = ViewCheck(False, "standing again at the window's end")
    _feed_view(eng, [(_probs(walking=0.9), ViewCheck.good())] * 4
               + [(_probs(falling=0.9), standing)] * 3)
    assert not [e for e in out if e.rule == "fall"]
    _feed_view(eng, [(_probs(falling=0.9), ViewCheck.good())], t0=3.5)
    assert [e for e in out if e.rule == "fall" and e.type == "new"]
