"""The decider: the model's verdict on a window + the body in it -> incidents.

The last stage of a camera pipeline (``edge_app.camera``) before the app's sinks. It owns
the checks read from the window's keypoints, the view check (``edge_app.view``: is the
person in full view, or walking out of it), the standing check and the body's posture
(``edge_app.posture``), and the event engine (``edge_app.events``) that turns windows into
incidents. Everything here counts in one source's timeline: a new source gets a fresh
decider (``Decider.for_source``), after the old one ended its incidents under the old
source's name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from edge_app.config import AppConfig
from edge_app.events import EventEngine
from edge_app.posture import BodyPosture, body_posture, standing_again
from edge_app.store import Incident
from edge_app.types import DEFAULT_CAMERA, Event
from edge_app.view import ViewCheck, check_view
from edge_app.windower import WindowJob

__all__ = ["Decider"]

log = logging.getLogger(__name__)


class Decider:
    """Decides incidents for one camera watching one source."""

    def __init__(self, cfg: AppConfig, class_names: tuple[str, ...],
                 emit: Callable[[Event], None], *, source: str, sample_rate: float,
                 camera: str = DEFAULT_CAMERA) -> None:
        self.cfg = cfg
        self.class_names = class_names
        self.sample_rate = sample_rate
        self.camera = camera
        self.source = source
        self.engine = EventEngine(cfg.events, class_names, emit, source=source, camera=camera)

    def for_source(self, source: str) -> Decider:
        """A fresh decider for a new source of the same camera: no state carried over
        (smoothing, fall timers, cooldowns count in the old source's timeline)."""
        return Decider(self.cfg, self.class_names, self.engine.emit_fn, source=source,
                       sample_rate=self.sample_rate, camera=self.camera)

    # ------------------------------------------------------------------ windows
    def decide(self, job: WindowJob, probs: npt.NDArray[np.float32] | None
               ) -> npt.NDArray[np.float32] | None:
        """One window: ``probs`` the model's softmax (None: nobody seen). Returns the
        smoothed probabilities (None when nobody was seen)."""
        if probs is None or job.keypoints is None or job.scores is None:
            self.engine.observe(job.end_time, None, person_present=False,
                                window_start=job.start_time)
            return None
        view = self.view_of(job.keypoints, job.scores, job.image_size)
        posture = self.posture_of(job.keypoints, job.scores)
        job_view = view.reason if view is not None else ""
        self.last_view = job_view
        return self.engine.observe(job.end_time, probs, person_present=True,
                                   window_start=job.start_time, view=view, posture=posture)

    last_view = ""  # why falls/lying were held back in the last window ("" = judged)

    def view_of(self, kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32],
                image_size: tuple[int, int]) -> ViewCheck | None:
        """Is the person in full view at the end of the window (``edge_app.view``), and
        not standing again where they started (``edge_app.posture``)?"""
        vc = self.cfg.events.view_check
        st = self.cfg.events.standing_check
        if not (vc.enabled or st.enabled):
            return None
        if vc.enabled:
            verdict = check_view(kp, sc, image_size,
                                 tail=max(1, round(vc.tail_s * self.sample_rate)),
                                 edge_margin=vc.edge_margin, min_torso=vc.min_torso,
                                 max_torso=vc.max_torso, min_seen=vc.min_seen)
            if not verdict.ok:
                return verdict
        if not st.enabled:
            return ViewCheck.good()
        return standing_again(kp, sc, tail=max(1, round(st.tail_s * self.sample_rate)),
                              head=max(1, round(st.head_s * self.sample_rate)),
                              min_upright=st.min_upright, min_legs=st.min_legs,
                              max_drop=st.max_drop, min_torso_ratio=st.min_torso_ratio)

    def posture_of(self, kp: npt.NDArray[np.float32], sc: npt.NDArray[np.float32]
                   ) -> BodyPosture | None:
        """The body at the window's end, for the fall's phases (``edge_app.posture``)."""
        fc = self.cfg.events.fall_confirm
        if not fc.enabled:
            return None
        return body_posture(kp, sc, tail=max(1, round(fc.tail_s * self.sample_rate)),
                            min_upright=fc.min_upright, min_legs=fc.min_legs,
                            max_down_upright=fc.down_upright)

    # ------------------------------------------------------------------ state
    def resume(self, carried: list[Incident]) -> tuple[str, ...]:
        return self.engine.resume(carried)

    def announce_resumed(self) -> None:
        self.engine.announce_resumed()

    def flush(self, *, keep_down: bool = False) -> None:
        """End the open incidents (``keep_down``: not a confirmed fall or long lie)."""
        self.engine.flush(keep_down=keep_down)

    @property
    def person_down(self) -> bool:
        return self.engine.person_down

    @property
    def current(self) -> tuple[str, float]:
        return self.engine.current
