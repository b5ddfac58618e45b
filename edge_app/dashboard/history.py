"""The day from the event store: timeline segments and the caregiver's summary.

Pure functions over ``Incident`` rows (no Qt), so the numbers are testable and survive
restarts: everything is recomputed from the SQLite history. Times are wall-clock epoch
seconds (``created_wall``/``ended_wall``), so a day's timeline is the local calendar day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edge_app.config import AppConfig
from edge_app.store import Incident

__all__ = [
    "DaySummary",
    "Segment",
    "day_start",
    "day_summary",
    "last_night",
    "timeline_segments",
]


@dataclass(frozen=True)
class Segment:
    """One bar on the timeline, wall-clock ``[start, end)`` epoch seconds."""

    id: str
    label: str
    level: str
    rule: str
    start: float
    end: float
    open: bool
    acknowledged: bool

    @property
    def is_alert(self) -> bool:
        return self.level != "info"


@dataclass(frozen=True)
class DaySummary:
    """What a caregiver asks about a day. Durations in seconds; ``last_seen`` epoch or None."""

    active_s: float
    sitting_s: float
    lying_s: float
    falls: int
    up_at_night: int
    last_seen: float | None
    alerts_open: int
    recovered_falls: int = 0  # falls the person got up from by themselves


def day_start(now: float) -> float:
    """Local midnight before ``now`` (epoch s)."""
    d = dt.datetime.fromtimestamp(now).date()
    return dt.datetime.combine(d, dt.time.min).timestamp()


def last_night(now: float, start_hour: int, end_hour: int) -> tuple[float, float]:
    """The most recent night, ``[start, end)`` epoch s: tonight so far, or the last one."""
    today = dt.datetime.fromtimestamp(now).date()

    def at(day: dt.date, hour: int) -> float:
        return dt.datetime.combine(day, dt.time(hour)).timestamp()

    yesterday = today - dt.timedelta(days=1)
    if start_hour > end_hour:  # crosses midnight, the usual case (22 -> 7)
        if now >= at(today, start_hour):
            return at(today, start_hour), now
        return at(yesterday, start_hour), min(now, at(today, end_hour))
    if now >= at(today, start_hour):  # same-day night (e.g. 0 -> 6)
        return at(today, start_hour), min(now, at(today, end_hour))
    return at(yesterday, start_hour), at(yesterday, end_hour)


def timeline_segments(
    incidents: Iterable[Incident],
    *,
    now: float,
    background_labels: Sequence[str] = ("background",),
) -> list[Segment]:
    """Incidents as wall-clock segments (open ones end at ``now``), oldest first."""
    out: list[Segment] = []
    for inc in incidents:
        if inc.level == "info" and inc.label in background_labels:
            continue
        end = inc.ended_wall if inc.ended_wall is not None else max(now, inc.updated_wall)
        out.append(Segment(inc.id, inc.label, inc.level, inc.rule, inc.created_wall,
                           max(end, inc.created_wall), inc.is_open,
                           inc.acknowledged_by is not None))
    out.sort(key=lambda s: (s.start, s.end))
    return out


def _overlap(seg: Segment, lo: float, hi: float) -> float:
    return max(0.0, min(seg.end, hi) - max(seg.start, lo))


def day_summary(
    segments: Sequence[Segment],
    cfg: AppConfig,
    *,
    now: float,
    live_last_seen: float | None = None,
) -> DaySummary:
    """Totals for the local day of ``now`` from ``timeline_segments``.

    ``live_last_seen``: when the running pipeline last saw a person (it may be newer
    than anything in the store).
    """
    d = cfg.dashboard
    lo, hi = day_start(now), now
    act = sit = lie = 0.0
    falls = recovered = 0
    fall_labels = set(cfg.events.fall_labels)
    seen = [live_last_seen] if live_last_seen is not None else []
    n_start, n_end = last_night(now, d.night_start_hour, d.night_end_hour)
    up_at_night = 0
    alerts_open = 0
    for s in segments:
        if s.is_alert and not s.acknowledged:
            alerts_open += 1
        if s.rule != "no_person" and s.label not in cfg.events.background_labels:
            seen.append(min(s.end, now))
        if n_start <= s.start < n_end and s.label in d.getting_up_labels:
            up_at_night += 1
        t = _overlap(s, lo, hi)
        if t <= 0.0 and not lo <= s.start <= hi:
            continue
        if s.level == "info":  # alerts overlap their activity segments: count those once
            if s.label in d.active_labels:
                act += t
            elif s.label in d.sitting_labels:
                sit += t
            elif s.label in d.lying_labels:
                lie += t
        if s.rule == "fall" or (s.level != "info" and s.label in fall_labels):
            falls += 1
        elif s.rule == "recovered_fall":
            recovered += 1
    return DaySummary(act, sit, lie, falls, up_at_night, max(seen) if seen else None,
                      alerts_open, recovered)
