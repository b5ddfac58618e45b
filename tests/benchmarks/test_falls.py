"""The whole-pipeline fall benchmark: scoring, the held video, a real run on real clips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import falls
from benchmarks.falls import (
    EARLY_S,
    MAX_DELAY_S,
    Cache,
    ClipOutcome,
    HeldVideoSource,
    Settings,
    summarise,
)
from edge_app.config import DEFAULT_MODEL, DEFAULT_VIDEO


def test_a_fall_is_caught_from_early_s_before_to_max_delay_s_after_the_floor() -> None:
    floor = 10.0
    o = ClipOutcome("f", falls.GROUP_FALLS, 20.0, floor,
                    fall_alerts=[1.0, floor - EARLY_S - 0.1, floor + 2.5,
                                 floor + MAX_DELAY_S + 0.1])
    assert o.caught and o.delay_s == pytest.approx(2.5)
    assert o.false_alerts == 2 and o.late_alerts == 1
    assert ClipOutcome("f", falls.GROUP_FALLS, 20.0, floor,
                       fall_alerts=[floor - EARLY_S]).caught
    missed = ClipOutcome("f", falls.GROUP_FALLS, 20.0, floor,
                         fall_alerts=[floor + MAX_DELAY_S + 0.01])
    assert not missed.caught and missed.delay_s is None and missed.late_alerts == 1


def test_every_fall_alert_in_an_everyday_clip_is_false_and_summary_counts_groups() -> None:
    adl = ClipOutcome("a", falls.GROUP_ADL, 1800.0, None, fall_alerts=[3.0, 9.0],
                      warnings={"lying": [4.0]})
    utk = ClipOutcome("u", falls.GROUP_UTK, 1800.0, None, warnings={"waving": [1.0, 2.0]})
    fall = ClipOutcome("f", falls.GROUP_FALLS, 10.0, 5.0, fall_alerts=[7.0])
    assert adl.false_alerts == 2 and adl.late_alerts == 0
    s = summarise([adl, utk, fall])
    assert s[falls.GROUP_ADL]["clips_with_false_fall"] == 1
    assert s[falls.GROUP_ADL]["false_fall_alerts"] == 2
    assert s[falls.GROUP_FALLS]["caught"] == 1
    assert s[falls.GROUP_FALLS]["median_delay_s"] == pytest.approx(2.0)
    assert s["daily_living"]["hours"] == pytest.approx(1.0)
    assert s["daily_living"]["per_hour"] == pytest.approx(2.0)
    assert s["daily_living"]["warnings_per_hour"]["waving"] == pytest.approx(2.0)
    json.dumps(s)  # the --json output


def test_held_video_shows_the_first_and_last_frames_longer() -> None:
    src = HeldVideoSource(str(DEFAULT_VIDEO), before=1.0, after=0.5)
    n_before, n_after = round(src.fps), round(0.5 * src.fps)
    frames = []
    for f in src.frames():
        frames.append(f)
        if len(frames) == n_before + 3:
            break
    src.close()
    period = 1.0 / src.fps
    assert [round(f.time / period) for f in frames] == list(range(n_before + 3))
    assert all((f.image == frames[0].image).all() for f in frames[:n_before + 1])
    assert not (frames[n_before + 2].image == frames[0].image).all()
    # the tail: the last decoded frame again, after the end of the file
    tail = HeldVideoSource(str(DEFAULT_VIDEO), before=0.0, after=0.5)
    tail.wanted = lambda t: t > tail.duration - 1.0  # the pipeline skips what it won't use
    got = list(tail.frames())
    tail.close()
    held = got[-n_after:]
    assert len(got) > n_after
    assert all((f.image == held[0].image).all() for f in held)
    end = (tail.frame_count - 1) * period
    assert held[-1].time == pytest.approx(end + n_after * period)
    assert all(t1 > t0 for t0, t1 in zip([f.time for f in got], [f.time for f in got[1:]],
                                         strict=False))


DEV = falls.DEFAULT_DATA / falls.DEV_DIR


@pytest.mark.skipif(not (DEV / "manifest.json").is_file(),
                    reason=f"{DEV} is absent (research data, not in the repository)")
def test_a_real_fall_is_confirmed_and_a_real_sit_down_raises_nothing(tmp_path: Path) -> None:
    """Real clips through the real pipeline (MediaPipe, tracker, model, events)."""
    s = Settings(DEFAULT_MODEL, falls.DEFAULT_DATA, 3.0, 4.0, ["model.backend=onnxruntime"],
                 Cache(tmp_path / "cache"), ["urfd_fall-05_", "urfd_adl-07_"])
    got = falls.section_dev(s)
    assert not isinstance(got, str)
    by_name = {o.name: o for o in got}
    fall = by_name["urfd_fall-05_cam0_rgb.mp4"]
    adl = by_name["urfd_adl-07_cam0_rgb.mp4"]
    assert fall.caught and fall.delay_s is not None and fall.delay_s <= MAX_DELAY_S
    assert fall.false_alerts == 0
    assert adl.fall_alerts == [] and not adl.warnings.get("recovered")
    # the cache holds what the pose model and the network returned: a rerun agrees
    again = falls.section_dev(s)
    assert not isinstance(again, str)
    assert [(o.name, o.fall_alerts) for o in again] == [(o.name, o.fall_alerts) for o in got]


def test_absent_data_is_a_reason_not_an_error(tmp_path: Path) -> None:
    s = Settings(DEFAULT_MODEL, tmp_path, 3.0, 4.0, [], Cache(None), [])
    for section in (falls.section_dev, falls.section_urfd, falls.section_utk):
        got = section(s)
        assert isinstance(got, str) and "absent" in got
    assert falls.main(["--data", str(tmp_path), "--no-cache"]) == 0
