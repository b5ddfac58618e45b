"""Topic names: one place that spells every topic this device publishes or listens to.

Layout (Frigate style, ``<base>`` = ``<mqtt.prefix>/<mqtt.device_id>``):

- ``<base>/availability``: ``online`` / ``stopped`` / ``offline`` (retained, QoS 1, last will)
- ``<base>/events``: every incident message ``new``/``update``/``end`` (JSON, not retained)
- ``<base>/alerts``: Home Assistant ``event`` entity: ``{"event_type": ...}`` (not retained)
- ``<base>/activity``, ``<base>/confidence``, ``<base>/person_present``,
  ``<base>/person_down``: retained states
- ``<base>/diagnostics``: JSON diagnostics (retained)
- ``<base>/privacy/set`` -> ``<base>/privacy/state``, ``<base>/monitoring/set`` ->
  ``<base>/monitoring/state``: commands ``ON``/``OFF`` and their retained state
- ``<base>/source/set`` -> ``<base>/source/state``: switch the source (the source text)
  and the source in use (credentials masked, retained); ``<base>/source/error``: why the
  last source command was refused or failed, ``none`` when it worked (retained)
- ``<discovery_prefix>/device/<device_id>/config``: Home Assistant device discovery
- ``<discovery_prefix>/status``: Home Assistant's own availability (``online``)

With several cameras (a ``cameras:`` list in the config) each camera ``<cam>`` gets the
state, alert, diagnostics and command topics under ``<base>/<cam>/`` (``<base>/<cam>/
activity``, ``<base>/<cam>/privacy/set``, ...) and its own Home Assistant device on
``<discovery_prefix>/device/<device_id>_<cam>/config``; availability and the incident
stream (``<base>/events``) stay the app's, and ``<base>/diagnostics`` holds the app's
own (outbox, store). ``Topics.for_camera`` spells them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from edge_app.config import MqttConfig
from edge_app.types import DEFAULT_CAMERA

__all__ = ["FIXED_EVENT_TYPES", "TopicError", "Topics", "per_camera", "slug"]

# HA event types that do not come from a class label (Event.rule values + acknowledgement).
FIXED_EVENT_TYPES = ("fall", "recovered_fall", "possible_fall", "long_lie", "no_person",
                     "acknowledged")

_SLUG = re.compile(r"[^a-z0-9]+")


class TopicError(ValueError):
    """A prefix that cannot be used in a topic (wildcards, empty levels)."""


def slug(text: str) -> str:
    """``"Waving for help!"`` -> ``"waving_for_help"`` (HA event types, object ids)."""
    return _SLUG.sub("_", text.lower()).strip("_") or "unknown"


def per_camera(names: Sequence[str]) -> bool:
    """Whether cameras called ``names`` get one Home Assistant device each (the layout
    under ``<base>/<cam>/``): several cameras, or one that the config names. One camera
    with the default name (no ``cameras:`` list) keeps the one-device layout of old."""
    return len(names) > 1 or any(n != DEFAULT_CAMERA for n in names)


@dataclass(frozen=True)
class Topics:
    """Every topic of one device, derived from ``mqtt.prefix``, ``device_id`` and
    ``discovery_prefix``. A camera's (``for_camera``) has the camera's ``base`` and
    ``device_id`` and the app's base as ``app_base``: availability and the incident
    stream stay the app's."""

    base: str
    device_id: str
    discovery_prefix: str
    app_base: str = ""  # set on a camera's topics: the app's base
    camera: str = ""  # the camera's name on a camera's topics

    @classmethod
    def from_config(cls, cfg: MqttConfig) -> Topics:
        prefix = cfg.prefix.strip("/")
        for name, value in (("mqtt.prefix", prefix),
                            ("mqtt.discovery_prefix", cfg.discovery_prefix.strip("/"))):
            if any(c in value for c in "+#\0") or "//" in value:
                raise TopicError(f"{name} {value!r} cannot be used in a topic: no '+', '#' "
                                 "or empty levels")
        base = f"{prefix}/{cfg.device_id}" if prefix else cfg.device_id
        return cls(base=base, device_id=cfg.device_id,
                   discovery_prefix=cfg.discovery_prefix.strip("/") or "homeassistant")

    def for_camera(self, name: str) -> Topics:
        """The topics of camera ``name`` (a slug): ``<base>/<name>/...``, its device
        ``<device_id>_<name>``."""
        return replace(self, base=f"{self.base}/{name}", device_id=f"{self.device_id}_{name}",
                       app_base=self.base, camera=name)

    # ------------------------------------------------------------------ published
    @property
    def availability(self) -> str:
        """The app's availability (a camera's devices share it)."""
        return f"{self.app_base or self.base}/availability"

    @property
    def events(self) -> str:
        """Every incident message of every camera (the app's)."""
        return f"{self.app_base or self.base}/events"

    @property
    def alerts(self) -> str:
        return f"{self.base}/alerts"

    @property
    def activity(self) -> str:
        return f"{self.base}/activity"

    @property
    def confidence(self) -> str:
        return f"{self.base}/confidence"

    @property
    def person_present(self) -> str:
        return f"{self.base}/person_present"

    @property
    def person_down(self) -> str:
        return f"{self.base}/person_down"

    @property
    def diagnostics(self) -> str:
        return f"{self.base}/diagnostics"

    def state(self, feature: str) -> str:
        """``<base>/<feature>/state`` for a command feature (``privacy``, ``monitoring``,
        ``source``)."""
        return f"{self.base}/{feature}/state"

    def command(self, feature: str) -> str:
        """``<base>/<feature>/set``: where commands for ``feature`` arrive."""
        return f"{self.base}/{feature}/set"

    @property
    def source_error(self) -> str:
        """Why the last source command was refused or failed (``none``: it worked)."""
        return f"{self.base}/source/error"

    @property
    def discovery(self) -> str:
        return f"{self.discovery_prefix}/device/{self.device_id}/config"

    @property
    def ha_status(self) -> str:
        return f"{self.discovery_prefix}/status"

    def retained(self) -> tuple[str, ...]:
        """Every retained topic this device may leave on the broker (for clearing; a
        camera's leaves out the app's availability)."""
        own = () if self.app_base else (self.availability,)
        return (self.discovery, *own, self.activity, self.confidence,
                self.person_present, self.person_down, self.diagnostics,
                self.state("privacy"), self.state("monitoring"), self.state("source"),
                self.source_error)
