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
- ``<discovery_prefix>/device/<device_id>/config``: Home Assistant device discovery
- ``<discovery_prefix>/status``: Home Assistant's own availability (``online``)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge_app.config import MqttConfig

__all__ = ["FIXED_EVENT_TYPES", "TopicError", "Topics", "slug"]

# HA event types that do not come from a class label (Event.rule values + acknowledgement).
FIXED_EVENT_TYPES = ("fall", "recovered_fall", "possible_fall", "long_lie", "no_person",
                     "acknowledged")

_SLUG = re.compile(r"[^a-z0-9]+")


class TopicError(ValueError):
    """A prefix that cannot be used in a topic (wildcards, empty levels)."""


def slug(text: str) -> str:
    """``"Waving for help!"`` -> ``"waving_for_help"`` (HA event types, object ids)."""
    return _SLUG.sub("_", text.lower()).strip("_") or "unknown"


@dataclass(frozen=True)
class Topics:
    """Every topic of one device, derived from ``mqtt.prefix``, ``device_id`` and
    ``discovery_prefix``."""

    base: str
    device_id: str
    discovery_prefix: str

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

    # ------------------------------------------------------------------ published
    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def events(self) -> str:
        return f"{self.base}/events"

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
        """``<base>/<feature>/state`` for a command feature (``privacy``, ``monitoring``)."""
        return f"{self.base}/{feature}/state"

    def command(self, feature: str) -> str:
        """``<base>/<feature>/set``: where commands for ``feature`` arrive."""
        return f"{self.base}/{feature}/set"

    @property
    def discovery(self) -> str:
        return f"{self.discovery_prefix}/device/{self.device_id}/config"

    @property
    def ha_status(self) -> str:
        return f"{self.discovery_prefix}/status"

    def retained(self) -> tuple[str, ...]:
        """Every retained topic this device may leave on the broker (for clearing)."""
        return (self.discovery, self.availability, self.activity, self.confidence,
                self.person_present, self.person_down, self.diagnostics,
                self.state("privacy"), self.state("monitoring"))
