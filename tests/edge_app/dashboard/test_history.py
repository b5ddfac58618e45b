from __future__ import annotations

import datetime as dt

from edge_app.config import AppConfig
from edge_app.dashboard.history import day_start, day_summary, last_night, timeline_segments
from edge_app.store import EventStore
from tests.edge_app.dashboard.fakes import incident_events


def _at(hour: float, day: dt.date = dt.date(2025, 3, 4)) -> float:
    return dt.datetime.combine(day, dt.time()).timestamp() + hour * 3600


def test_day_and_night_windows() -> None:
    now = _at(10.5)
    assert day_start(now) == _at(0)
    assert last_night(now, 22, 7) == (_at(-2), _at(7))
    assert last_night(_at(23), 22, 7) == (_at(22), _at(23))
    assert last_night(_at(3), 0, 6) == (_at(0), _at(3))


def test_summary_counts_what_a_caregiver_asks(store: EventStore, cfg: AppConfig) -> None:
    now = _at(12)
    incident_events(store, label="standing up", start_wall=_at(-1.5), end_wall=_at(-1.49))
    incident_events(store, label="standing up", start_wall=_at(3), end_wall=_at(3.01))
    incident_events(store, label="walking", start_wall=_at(8), end_wall=_at(8.5))
    incident_events(store, label="sitting down", start_wall=_at(9), end_wall=_at(11))
    incident_events(store, label="falling", start_wall=_at(11.2), end_wall=_at(11.21))
    incident_events(store, label="falling", start_wall=_at(11.2), end_wall=_at(11.21),
                    level="critical", rule="fall", iid="fall-1")
    incident_events(store, label="fell and got up", start_wall=_at(10.0), end_wall=_at(10.01),
                    level="warning", rule="recovered_fall", iid="rec-1")
    incident_events(store, label="lying on the floor", start_wall=_at(11.21), end_wall=None)
    incident_events(store, label="background", start_wall=_at(11.9), end_wall=None)
    segs = timeline_segments(store.incidents(since_wall=_at(-12)), now=now,
                             background_labels=cfg.events.background_labels)
    assert [s.label for s in segs if s.label == "background"] == []
    s = day_summary(segs, cfg, now=now)
    assert round(s.active_s) == round(0.5 * 3600 + 0.01 * 3600)  # walking + standing at 3:00
    assert round(s.sitting_s) == 2 * 3600
    assert round(s.lying_s) == round(0.79 * 3600)  # open: until now
    assert s.falls == 1  # the alert, not its activity segment twice
    assert s.recovered_falls == 1  # fell and got up: counted apart from the falls
    assert s.up_at_night == 2  # 22:30 yesterday and 03:00
    assert s.last_seen == now
    assert s.alerts_open == 2  # the fall and the recovered fall, neither acknowledged
