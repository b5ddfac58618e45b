"""The model card benchmark's scoring: fall matching, padding, event stamping."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from benchmarks.model_card import (
    HIT_AFTER_FLOOR_S,
    ReplayResult,
    _Recorder,
    hold_pad,
    score_fall,
    take_moment,
    write_replay_pickle,
)
from edge_app.types import Event, WindowResult


def _event(kind: str = "new", rule: str = "fall", level: str = "critical",
           label: str = "falling", start: float = 1.0, end: float | None = None) -> Event:
    return Event(kind, "id", label, level, 0.9, start, end, "src", rule=rule)  # type: ignore[arg-type]


def _window(t: float) -> WindowResult:
    p = np.full(3, 1 / 3, np.float32)
    return WindowResult(t, t - 3.2, p, p, ("a", "b", "falling"), True, True, 1.0, "src")


def test_score_fall_hit_early_and_late() -> None:
    onset, floor = 5.0, 6.0
    out = score_fall("v", [2.0, 6.5, 7.5, floor + HIT_AFTER_FLOOR_S + 0.1], onset, floor)
    assert out.caught
    assert out.delay_s == 0.5  # the first alert inside [onset, floor + 5]
    assert out.false_alerts == 1  # 2.0 s: before the onset
    assert out.late_alerts == 1


def test_score_fall_missed_when_only_late_or_none() -> None:
    assert not score_fall("v", [], 5.0, 6.0).caught
    late = score_fall("v", [6.0 + HIT_AFTER_FLOOR_S + 0.5], 5.0, 6.0)
    assert not late.caught and late.delay_s is None and late.late_alerts == 1
    # exactly on the bounds counts
    assert not score_fall("v", [4.9], 5.0, 6.0).caught  # before the onset: a false alarm
    assert score_fall("v", [5.0], 5.0, 6.0).caught
    assert score_fall("v", [6.0 + HIT_AFTER_FLOOR_S], 5.0, 6.0).caught


def test_hold_pad_repeats_first_and_last_frames() -> None:
    kp = np.arange(1 * 4 * 17 * 2, dtype=np.float32).reshape(1, 4, 17, 2)
    sc = np.arange(1 * 4 * 17, dtype=np.float32).reshape(1, 4, 17)
    pk, ps = hold_pad(kp, sc, 2, 3)
    assert pk.shape == (1, 9, 17, 2) and ps.shape == (1, 9, 17)
    assert (pk[:, :3] == kp[:, :1]).all() and (pk[:, 2:6] == kp).all()
    assert (pk[:, 5:] == kp[:, -1:]).all() and (ps[:, 5:] == sc[:, -1:]).all()


def test_recorder_stamps_events_with_their_window(tmp_path: Path) -> None:
    res = ReplayResult()
    rec = _Recorder(res)
    rec.on_window(_window(3.2))
    rec.on_event(_event())
    rec.on_event(_event("new", "activity", "info", "walking"))
    rec.on_window(_window(3.7))
    rec.on_event(_event("end", "activity", "info", "walking", start=1.0, end=4.0))
    rec.close()
    assert [d.decided_at for d in res.events] == [3.7, 3.7, 3.7]
    assert [d.event.label for d in res.fall_alerts()] == ["falling"]
    assert len(res.alerts()) == 1
    assert res.activity_seconds() == {"walking": 3.0}


def test_replay_pickle_is_a_pyskl_file(tmp_path: Path) -> None:
    kp = np.zeros((1, 5, 17, 2), np.float32)
    sc = np.ones((1, 5, 17), np.float32)
    path = write_replay_pickle(tmp_path / "a.pkl", "a", kp, sc, (480, 640), 30.0)
    with path.open("rb") as f:
        data = pickle.load(f)
    (anno,) = data["annotations"]
    assert anno["fps"] == 30.0 and anno["img_shape"] == (480, 640)
    assert anno["keypoint"].shape == (1, 5, 17, 2)


def test_incident_open_at_onset() -> None:
    from benchmarks.model_card import DecidedEvent, incident_open_at

    new = _event()
    end = Event("end", "id", "falling", "critical", 0.9, 1.0, 6.0, "src", rule="fall")
    events = [DecidedEvent(new, 2.0), DecidedEvent(end, 6.0)]
    assert incident_open_at(events, "fall", 5.0)
    assert not incident_open_at(events, "fall", 1.5)  # not yet opened
    assert not incident_open_at(events, "fall", 6.5)  # already ended
    assert not incident_open_at(events, "activity", 5.0)


def test_sections_on_real_data_skip_with_the_reason_when_it_is_absent(tmp_path: Path) -> None:
    from benchmarks.model_card import section_urfd, section_utk_sequences, section_videos

    model = tmp_path / "unused.onnx"
    for res in (section_utk_sequences(model, tmp_path, []),
                section_urfd(model, tmp_path, 4.0, 6.0, []),
                section_videos(model, tmp_path, [])):
        assert "skipped" in res and str(tmp_path) in res["skipped"]


def test_take_moment_names_the_labelled_action_or_the_moves_between() -> None:
    actions = [("walk", 100, 200), ("sitDown", 300, 400), ("standUp", 420, 480)]
    assert take_moment(actions, 150) == "walk"
    assert take_moment(actions, 400) == "sitDown"
    assert take_moment(actions, 250) == "between walk and sitDown"
    assert take_moment(actions, 50) == "before walk"
    assert take_moment(actions, 500) == "after standUp"
    assert take_moment([], 5) == "-"
