"""From window probabilities to incidents: smoothing, hysteresis, rules, grouping.

Every window's probabilities are averaged over the last ``smoothing_windows``
windows. Then:

- Activity segments (``info``): one current activity at a time. A class becomes
  the activity when it is the top class with a smoothed score of at least its rule's
  ``min_score`` (+ ``enter_margin``) for ``min_duration_s``; it stays until its score
  falls below ``exit_ratio * min_score`` (hysteresis) or another class takes over.
- Class alerts (rules with level warning/critical, e.g. waving for help): independent
  incidents per class with the same enter/exit logic and a ``cooldown_s`` after
  their ``end``.
- Fall (``fall_labels``, critical): opens on a fall and stays open while the person is
  down (falling or lying); this is the "person down" state.
- Sudden lying (``sudden_lying``): lying on the floor (with ``with_falling``: lying +
  falling) within ``within_s`` of a window in which the person was up (neither down
  nor lying) also opens the fall incident: a fall too fast or too odd to be called
  "falling" still ends on the floor.
- Long lie: lying on the floor for ``long_lie.after_s`` after a fall opens a critical
  ``long_lie`` incident and escalates the open lying alert to critical.
- View check (``view_check``): incidents and activity segments of the classes in
  ``view_check.labels`` (falling, lying on the floor) only open in a window whose end
  shows the person in full view (``edge_app.view``): someone walking out of the
  picture, cut by its edge or a tiny ghost detection is not someone on the floor. An
  incident already open is not closed by a bad view (someone down stays down).
- Standing check (``standing_check``): the same classes also wait while everyone seen
  stands upright again at the window's end, hips as high as at its start
  (``edge_app.posture``): a bend or stumble recovered from inside the window is not a
  fall.
- Nobody seen for ``no_person.after_s`` opens a ``no_person`` incident, closed when a
  person is seen again.

Each incident gives one ``new``, ``update``s (a higher score or a level change, at
most every ``update_interval_s``), and one ``end``. Times are in the source timeline.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from edge_app.config import EventsConfig, RuleConfig
from edge_app.posture import BodyPosture
from edge_app.store import Incident
from edge_app.types import DEFAULT_CAMERA, LEVEL_RANK, Event, Level
from edge_app.view import LEFT_THE_VIEW, ViewCheck

__all__ = ["POSSIBLE_FALL", "RECOVERED_FALL", "EventEngine", "Smoother"]

log = logging.getLogger(__name__)

RECOVERED_FALL = "fell and got up"  # label of a recovered fall (rule "recovered_fall")
POSSIBLE_FALL = "possible fall"  # label of the optional early warning (rule "possible_fall")
WALKED_OUT_S = 3.2  # a fall-like window this soon after the person left the view: not a fall


class Smoother:
    """Mean of the last ``n`` probability vectors."""

    def __init__(self, n: int) -> None:
        self._hist: deque[npt.NDArray[np.float32]] = deque(maxlen=n)

    def push(self, probs: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        self._hist.append(np.asarray(probs, dtype=np.float32))
        return np.mean(np.stack(self._hist), axis=0).astype(np.float32)

    def reset(self) -> None:
        self._hist.clear()


@dataclass
class _Incident:
    id: str
    label: str
    level: Level
    rule: str
    start_time: float
    score: float
    last_update: float
    last_sent_score: float


@dataclass
class _Candidate:
    since: float  # end of the first qualifying window (durations count from here)
    score: float
    start: float  # reported start: the middle of the first qualifying window


@dataclass
class _FallPhase:
    """A fall-like window waiting for the evidence after it (``fall_confirm``)."""

    since: float  # decision time of the fall-like window
    start: float  # reported start of the fall
    score: float
    down_windows: int = 0  # windows since, with the body seen down (torso far from upright)
    possible: _Incident | None = None


@dataclass
class _Tracker:
    """Enter/exit state of one class rule."""

    rule: RuleConfig
    candidate: _Candidate | None = None
    incident: _Incident | None = None
    cooldown_until: float = -np.inf
    extra: dict[str, float] = field(default_factory=dict)


class EventEngine:
    """Decides incidents from windows; ``emit(event)`` receives every message."""

    def __init__(
        self,
        cfg: EventsConfig,
        class_names: tuple[str, ...],
        emit: Callable[[Event], None],
        *,
        source: str,
        camera: str = DEFAULT_CAMERA,
    ) -> None:
        self.cfg = cfg
        self.class_names = class_names
        self.emit_fn = emit
        self.source = source
        self.camera = camera
        self.smoother = Smoother(cfg.smoothing_windows)
        self.index = {n: i for i, n in enumerate(class_names)}
        unknown = [n for n in [*cfg.rules, *cfg.fall_labels, *cfg.long_lie.labels]
                   if n not in self.index]
        if unknown:
            log.warning("rules name classes this model does not have: %s (model classes: %s)",
                        ", ".join(sorted(set(unknown))), ", ".join(class_names))
        self.background = {n for n in cfg.background_labels if n in self.index}
        self.view_gated = ({n for n in cfg.view_check.labels if n in self.index}
                           if cfg.view_check.enabled or cfg.standing_check.enabled else set())
        self.view: ViewCheck = ViewCheck.good()
        self._held_reason = ""
        self.fall_labels = [n for n in cfg.fall_labels if n in self.index]
        self.lying_labels = [n for n in cfg.long_lie.labels if n in self.index]
        # class alerts: rules above info level, except falls (handled by the fall logic)
        self.alerts: dict[str, _Tracker] = {
            n: _Tracker(r) for n, r in cfg.rules.items()
            if n in self.index and r.level != "info" and n not in self.fall_labels
        }
        self.activity: _Tracker = _Tracker(cfg.default_rule)
        self.activity_label: str | None = None
        self.pending_label: str | None = None
        self.fall = _Tracker(self._rule(self.fall_labels[0]) if self.fall_labels
                             else RuleConfig(level="critical"))
        self.fall_time: float | None = None
        self.phase: _FallPhase | None = None  # a fall waiting for confirmation
        self.down_since: float | None = None  # first window of the current run "down"
        self.posture: BodyPosture | None = None
        self._descent: deque[tuple[float, float]] = deque(maxlen=256)
        self._deliberate = False  # a controlled descent: no fall until up again
        self._left_at = -np.inf  # the last window in which the person walked out of view
        self._resumed: list[_Incident] = []  # carried on from the last run, to announce
        self._resolved = False  # a candidate just ended (recovered, dismissed): the next
        # one waits until the model no longer sees the person down at all
        self.last_up: float | None = None  # last window with the person neither down nor lying
        self.long_lie: _Incident | None = None
        self.no_person: _Incident | None = None
        self.last_seen: float | None = None
        self.first_time: float | None = None
        self.last_time = 0.0
        self.current: tuple[str, float] = ("", 0.0)

    # ------------------------------------------------------------------ helpers
    def _may_open(self, label: str, t: float) -> bool:
        """False while the view or standing check holds back ``label`` (logged once per
        reason)."""
        if self.view.ok or label not in self.view_gated:
            return True
        if self._held_reason != self.view.reason:
            self._held_reason = self.view.reason
            log.info("%s held back at %.1f s: %s", label, t, self.view.reason)
        return False

    def _rule(self, label: str) -> RuleConfig:
        return self.cfg.rules.get(label, self.cfg.default_rule)

    def _enter(self, label: str) -> float:
        return self._rule(label).min_score + self.cfg.enter_margin

    def _exit(self, label: str) -> float:
        return self._rule(label).min_score * self.cfg.exit_ratio

    def _send(self, kind: str, inc: _Incident, t: float, end: float | None = None) -> None:
        ev = Event(type=kind, id=inc.id, label=inc.label, level=inc.level,  # type: ignore[arg-type]
                   score=round(float(inc.score), 4), start_time=round(inc.start_time, 3),
                   end_time=None if end is None else round(end, 3), source=self.source,
                   rule=inc.rule, wall_time=time.time(), camera=self.camera)
        inc.last_update = t
        inc.last_sent_score = inc.score
        self.emit_fn(ev)

    def _open(self, label: str, level: Level, rule: str, start: float, score: float,
              t: float) -> _Incident:
        inc = _Incident(uuid.uuid4().hex[:12], label, level, rule, start, score, t, score)
        self._send("new", inc, t)
        return inc

    def _maybe_update(self, inc: _Incident, score: float, t: float) -> None:
        inc.score = max(inc.score, score)
        if (inc.score > inc.last_sent_score + 0.05
                and t - inc.last_update >= min(self.cfg.update_interval_s, 5.0)) or (
                t - inc.last_update >= self.cfg.update_interval_s):
            self._send("update", inc, t)

    def _close(self, inc: _Incident, t: float) -> None:
        self._send("end", inc, t, end=t)

    # ------------------------------------------------------------------ input
    def observe(self, time_s: float, probs: npt.NDArray[np.float32] | None,
                *, person_present: bool, window_start: float | None = None,
                view: ViewCheck | None = None,
                posture: BodyPosture | None = None) -> npt.NDArray[np.float32] | None:
        """One window ending at ``time_s`` (source timeline). ``probs`` None: nobody seen.

        ``view``: the window's view check (None: not checked, counts as a good view).
        ``posture``: the body at the window's end (``edge_app.posture.body_posture``);
        None: not known, and a fall's phases are then read from the model alone.
        Returns the smoothed probabilities (None when nobody was seen).
        """
        self.view = view if view is not None else ViewCheck.good()
        self.posture = posture
        if self.view.reason.startswith(LEFT_THE_VIEW) and self.cfg.view_check.enabled:
            self._left_at = float(time_s)
        if self.view.ok:
            self._held_reason = ""
        t = float(time_s)
        if self.first_time is None:
            self.first_time = t
        self.last_time = t
        # a class seen in a window happened somewhere inside it: report its middle
        start = (window_start + t) / 2 if window_start is not None else t
        if not person_present or probs is None:
            self.smoother.reset()
            self._absent(t)
            return None
        self.last_seen = t
        if self.no_person is not None:
            self._close(self.no_person, t)
            self.no_person = None
        smoothed = self.smoother.push(probs)
        top = int(np.argmax(smoothed))
        self.current = (self.class_names[top], float(smoothed[top]))
        self._activity(t, start, smoothed)
        for label, tr in self.alerts.items():
            self._class_alert(label, tr, t, start, float(smoothed[self.index[label]]))
        self._fall_and_lie(t, start, smoothed)
        return smoothed

    def _absent(self, t: float) -> None:
        self.current = ("", 0.0)
        # a person no longer seen ends their activity and class alerts, not a fall:
        # someone down out of view is still down.
        if self.activity.incident is not None:
            self._close(self.activity.incident, t)
            self.activity.incident = None
            self.activity_label = None
        self.activity.candidate = None
        for tr in self.alerts.values():
            tr.candidate = None
            if tr.incident is not None:
                self._close(tr.incident, t)
                tr.incident = None
                tr.cooldown_until = t + tr.rule.cooldown_s
        # a fall waiting for confirmation goes on: the pose model often loses a person
        # lying on the floor, which is no sign of them being up
        if self.phase is not None:
            self._advance_phase(t, up=False, in_view=False)
        self._lying_after_fall(t, 0.0)
        np_cfg = self.cfg.no_person
        since = self.last_seen if self.last_seen is not None else self.first_time
        if (np_cfg.enabled and self.no_person is None and since is not None
                and t - since >= np_cfg.after_s):
            self.no_person = self._open("nobody seen", np_cfg.level, "no_person", since, 1.0, t)

    def _activity(self, t: float, start: float, smoothed: npt.NDArray[np.float32]) -> None:
        top = int(np.argmax(smoothed))
        label = self.class_names[top]
        score = float(smoothed[top])
        cur = self.activity.incident
        if cur is not None:
            cur_score = float(smoothed[self.index[cur.label]])
            if label == cur.label:
                self._maybe_update(cur, cur_score, t)
                self.activity.candidate = None
                return
        qualifies = (label not in self.background and score >= self._enter(label)
                     and label not in self.fall_labels and self._may_open(label, t))
        if not qualifies:
            self.activity.candidate = None
            self.pending_label = None
            if cur is not None and float(smoothed[self.index[cur.label]]) < self._exit(cur.label):
                self._close(cur, t)
                self.activity.incident = None
                self.activity_label = None
            return
        if self.pending_label != label or self.activity.candidate is None:
            self.pending_label = label
            self.activity.candidate = _Candidate(t, score, start)
        cand = self.activity.candidate
        cand.score = max(cand.score, score)
        if t - cand.since >= self._rule(label).min_duration_s:
            if cur is not None:
                self._close(cur, t)
            begin = cand.start
            if cur is not None:
                begin = max(begin, t)
            self.activity.incident = self._open(label, "info", "activity", begin,
                                                cand.score, t)
            self.activity_label = label
            self.activity.candidate = None
            self.pending_label = None

    def _class_alert(self, label: str, tr: _Tracker, t: float, start: float,
                     score: float) -> None:
        if tr.incident is not None:
            if score < self._exit(label):
                self._close(tr.incident, t)
                tr.incident = None
                tr.cooldown_until = t + tr.rule.cooldown_s
            else:
                self._maybe_update(tr.incident, score, t)
            return
        if score < self._enter(label) or t < tr.cooldown_until or not self._may_open(label, t):
            tr.candidate = None
            return
        if tr.candidate is None:
            tr.candidate = _Candidate(t, score, start)
        tr.candidate.score = max(tr.candidate.score, score)
        if t - tr.candidate.since >= tr.rule.min_duration_s:
            tr.incident = self._open(label, tr.rule.level, "class", tr.candidate.start,
                                     tr.candidate.score, t)
            tr.candidate = None

    def _fall_and_lie(self, t: float, start: float, smoothed: npt.NDArray[np.float32]) -> None:
        fall_score = max((float(smoothed[self.index[n]]) for n in self.fall_labels), default=0.0)
        lie_score = max((float(smoothed[self.index[n]]) for n in self.lying_labels), default=0.0)
        fall_rule = self.fall.rule
        sudden = self.cfg.sudden_lying
        sudden_score = lie_score + (fall_score if sudden.with_falling else 0.0)
        down = fall_score >= fall_rule.min_score * self.cfg.exit_ratio or (
            bool(self.lying_labels) and lie_score >= self._exit(self.lying_labels[0]))
        # an open fall also stays open while the person is split between going down and
        # being down (else a fall opened on the sum would end on the next window with
        # the same scores); "up" (last_up) still means neither class alone
        stays_down = down or (sudden.enabled and sudden.with_falling
                              and sudden_score >= sudden.min_score * self.cfg.exit_ratio)
        sudden_fall = (sudden.enabled and bool(self.lying_labels)
                       and sudden_score >= sudden.min_score + self.cfg.enter_margin
                       and self.last_up is not None and t - self.last_up <= sudden.within_s)
        if not down:
            self.last_up = t
        # time down starts on a window that showed a body (``ViewCheck.body``): a ghost
        # detection, a glimpse or someone walking out may go on being down, but never
        # starts it, or a fall triggered by the first judged window after them would be
        # confirmed at once on those windows (the looped demo at 681 s)
        if not stays_down:
            self.down_since = None
        elif self.down_since is None and self.view.body:
            self.down_since = t
        cd = self.cfg.fall_confirm.controlled_descent
        self._descent.append((t, max((float(smoothed[self.index[n]]) for n in cd.labels
                                      if n in self.index), default=0.0)))
        if not stays_down:
            self._deliberate = False
            self._resolved = False
        # up again: the model no longer sees the person down and, when the posture is
        # known, the body is upright (standing, or seated with the feet on the floor)
        posture = self.posture
        fc = self.cfg.fall_confirm
        top = self.class_names[int(np.argmax(smoothed))]
        # posture not measured (legs hidden by furniture, body cut by the picture's edge):
        # the model's own "walking"/"standing up" then says up, unless the body is down
        walking_again = (top in fc.up_labels and posture is not None and not posture.down
                         and float(smoothed[self.index[top]]) >= self._enter(top))
        upright = (posture is None or not fc.enabled or posture.upright or walking_again)
        up = not stays_down and upright
        # a fall still waiting for confirmation is dismissed sooner: an upright body that
        # the model no longer calls falling or lying (sat down, stood up after a bend)
        up_early = up or (posture is not None and posture.upright
                          and top not in (*self.fall_labels, *self.lying_labels))
        if self.fall.incident is None and self.phase is None:
            trigger = self._fall_trigger(t, start, fall_score, sudden_fall, sudden_score)
            if trigger is not None:
                self._begin_phase(t, *trigger)
        if self.phase is not None:
            self._advance_phase(t, up_early, self.view.ok)
        elif self.fall.incident is not None:
            if up:
                self._end_fall(t)
            else:
                self._maybe_update(self.fall.incident, fall_score, t)
        self._lying_after_fall(t, lie_score)

    def _fall_trigger(self, t: float, start: float, fall_score: float, sudden_fall: bool,
                      sudden_score: float) -> tuple[float, float] | None:
        """``(start, score)`` when this window makes a fall-like candidate."""
        fall_rule = self.fall.rule
        fall_label = self.fall_labels[0] if self.fall_labels else "falling"
        lie_label = self.lying_labels[0] if self.lying_labels else fall_label
        if t < self.fall.cooldown_until or self._resolved:
            self.fall.candidate = None
            return None
        if sudden_fall and self._may_open(fall_label, t) and self._may_open(lie_label, t):
            # reached the floor from upright within seconds: a fall the classifier did
            # not call "falling" (too fast, too odd); lying down on purpose takes longer
            # than sudden_lying.within_s
            self.fall.candidate = None
            return self._unless_deliberate(t, start, min(1.0, sudden_score))
        if fall_score < fall_rule.min_score + self.cfg.enter_margin:
            self.fall.candidate = None
            return None
        if self.fall.candidate is None:
            self.fall.candidate = _Candidate(t, fall_score, start)
        cand = self.fall.candidate
        cand.score = max(cand.score, fall_score)
        if t - cand.since >= fall_rule.min_duration_s and self._may_open(fall_label, t):
            self.fall.candidate = None
            return self._unless_deliberate(t, cand.start, cand.score)
        return None

    def _unless_deliberate(self, t: float, start: float, score: float
                           ) -> tuple[float, float] | None:
        """The trigger, unless the person was lowering themselves on purpose just before
        (``fall_confirm.controlled_descent``): then nothing until they are up again."""
        cd = self.cfg.fall_confirm.controlled_descent
        if self._deliberate:
            return None
        if self.cfg.fall_confirm.enabled and cd.enabled:
            recent = [(ti, sc) for ti, sc in self._descent if t - cd.within_s < ti <= t]
            times = [ti for ti, _ in recent]
            period = float(np.median(np.diff(times))) if len(times) >= 2 else 0.0
            seconds = period * sum(1 for _, sc in recent if sc >= cd.min_score)
            if seconds >= cd.min_s:
                self._deliberate = True
                log.info("fall-like window at %.1f s after %.1f s of %s: a controlled "
                         "descent, not a fall (no alert while the person stays down)", t,
                         seconds, " / ".join(cd.labels))
                return None
        return start, score

    def _begin_phase(self, t: float, start: float, score: float) -> None:
        fc = self.cfg.fall_confirm
        if not fc.enabled:
            self._open_fall(t, start, score)
            return
        self.phase = _FallPhase(t, start, score)
        if fc.possible_fall:
            self.phase.possible = self._open(POSSIBLE_FALL, "warning", "possible_fall", start,
                                             score, t)

    def _advance_phase(self, t: float, up: bool, in_view: bool = True) -> None:
        """A fall waiting for confirmation: confirmed once the person stayed down for
        ``confirm_s``; up again before that, a recovered fall (seen down) or nothing."""
        ph = self.phase
        assert ph is not None
        fc = self.cfg.fall_confirm
        if self.posture is not None and self.posture.down:
            ph.down_windows += 1
        if not in_view and self._left_at >= ph.since - WALKED_OUT_S:
            # the person walked out of the picture around the fall-like window: the model
            # read the emptying window, and "nobody seen" is no sign of being down
            self.phase = None
            self._resolved = True
            if ph.possible is not None:
                self._close(ph.possible, t)
            log.info("fall-like window at %.1f s dismissed: the person left the view at "
                     "%.1f s", ph.since, self._left_at)
            return
        if up:
            self.phase = None
            self._resolved = True
            if ph.possible is not None:
                self._close(ph.possible, t)
            if fc.recovered_fall and ph.down_windows > 0:
                inc = self._open(RECOVERED_FALL, "warning", "recovered_fall", ph.start,
                                 ph.score, t)
                self._close(inc, t)
            else:
                log.info("fall-like window at %.1f s dismissed: up again at %.1f s, never "
                         "seen down", ph.since, t)
            return
        since = min(ph.since, self.down_since) if self.down_since is not None else ph.since
        if t - since >= fc.confirm_s:
            self.phase = None
            if ph.possible is not None:
                self._close(ph.possible, t)
            self._open_fall(t, ph.start, ph.score)

    def _open_fall(self, t: float, start: float, score: float) -> None:
        fall_label = self.fall_labels[0] if self.fall_labels else "falling"
        self.fall.incident = self._open(fall_label, self.fall.rule.level, "fall", start,
                                        score, t)
        self.fall_time = t

    def _end_fall(self, t: float) -> None:
        assert self.fall.incident is not None
        self._close(self.fall.incident, t)
        self.fall.incident = None
        self.fall.cooldown_until = t + self.fall.rule.cooldown_s
        self.fall_time = None
        if self.long_lie is not None:
            self._close(self.long_lie, t)
            self.long_lie = None

    def _lying_after_fall(self, t: float, lie_score: float) -> None:
        """Long lie: still down ``long_lie.after_s`` after a confirmed fall (the incident
        stays open until the person is up again, whatever the model calls the still
        body meanwhile)."""
        ll = self.cfg.long_lie
        if not ll.enabled or self.fall_time is None or self.fall.incident is None:
            return
        if self.long_lie is None and t - self.fall_time >= ll.after_s:
            self.long_lie = self._open("long lie", "critical", "long_lie", self.fall_time,
                                       max(lie_score, self.fall.incident.score), t)
            for label in self.lying_labels:
                tr = self.alerts.get(label)
                if tr is not None and tr.incident is not None and (
                        LEVEL_RANK[tr.incident.level] < LEVEL_RANK["critical"]):
                    tr.incident.level = "critical"
                    self._send("update", tr.incident, t)
        elif self.long_lie is not None:
            self._maybe_update(self.long_lie, lie_score, t)

    # ------------------------------------------------------------------ restarts
    def resume(self, incidents: list[Incident]) -> tuple[str, ...]:
        """Carry on a confirmed fall and long lie that were open when the app stopped (a
        crash, a power cut, a restart): someone still down stays down, the long lie still
        escalates from the fall's time, and getting up ends them as usual. Live sources
        only, whose timeline is the wall clock. A long lie is carried on only with its
        fall (it ends with it). Returns the ids carried on."""
        has_fall = any(i.rule == "fall" for i in incidents)
        for inc in incidents:
            if inc.rule == "long_lie" and not has_fall:
                continue
            item = _Incident(inc.id, inc.label, inc.level, inc.rule,  # type: ignore[arg-type]
                             inc.start_time, inc.score, inc.updated_wall, inc.score)
            if inc.rule == "fall" and self.fall.incident is None:
                self.fall.incident = item
                self.fall_time = inc.created_wall
            elif inc.rule == "long_lie" and self.long_lie is None:
                self.long_lie = item
            else:
                continue
            self._resumed.append(item)
            log.warning("%s (%s) was still open when the app stopped: carried on until the "
                        "person is seen up again", inc.label, inc.id)
        return tuple(i.id for i in self._resumed)

    def announce_resumed(self) -> None:
        """An ``update`` of each carried-on incident, so every sink (MQTT person_down, the
        dashboard) knows at once; call once the sinks are attached."""
        for item in self._resumed:
            self._send("update", item, item.last_update)
        self._resumed.clear()

    # ------------------------------------------------------------------ state
    @property
    def person_down(self) -> bool:
        return self.fall.incident is not None or self.long_lie is not None

    def open_incidents(self) -> list[str]:
        out = [tr.incident.id for tr in [self.activity, self.fall, *self.alerts.values()]
               if tr.incident is not None]
        out += [i.id for i in (self.long_lie, self.no_person) if i is not None]
        if self.phase is not None and self.phase.possible is not None:
            out.append(self.phase.possible.id)
        return out

    def flush(self, t: float | None = None, *, keep_down: bool = False) -> None:
        """End every open incident (shutdown, end of file). ``keep_down``: not a confirmed
        fall or long lie (a live camera's shutdown: the person may still be down, and the
        next run carries them on, ``resume``)."""
        end = self.last_time if t is None else t
        if self.phase is not None:
            if self.phase.possible is not None:
                self._close(self.phase.possible, end)
            self.phase = None
        for tr in [self.activity, self.fall, *self.alerts.values()]:
            if tr.incident is not None and not (keep_down and tr is self.fall):
                self._close(tr.incident, end)
                tr.incident = None
        for name in ("long_lie", "no_person"):
            inc = getattr(self, name)
            if inc is not None and not (keep_down and name == "long_lie"):
                self._close(inc, end)
                setattr(self, name, None)
        self.activity_label = None
        if not keep_down:
            self.fall_time = None
