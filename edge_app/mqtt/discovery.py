"""Home Assistant device-based MQTT discovery (HA 2024.11+).

One retained JSON payload on ``<discovery_prefix>/device/<device_id>/config`` describes
the device (``dev``), who made the payload (``o``) and every entity (``cmps``, each with
its platform ``p`` and a ``unique_id``). An empty retained payload on the same topic
removes the device from Home Assistant (``python -m edge_app mqtt clear-discovery``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edge_app.config import MqttConfig
from edge_app.mqtt.topics import FIXED_EVENT_TYPES, Topics, slug

__all__ = ["ORIGIN_NAME", "ORIGIN_URL", "build_discovery", "event_types"]

ORIGIN_NAME = "epam-edge"
# The project has no public home page yet; set it here when it has (HA shows it as a link).
ORIGIN_URL = ""

# HA shows a device unavailable unless the payload is exactly `online`; `stopped` (clean
# shutdown) and `offline` (last will) both mean unavailable.
_AVAILABILITY_TEMPLATE = "{{ 'online' if value == 'online' else 'offline' }}"


def event_types(class_names: Sequence[str]) -> list[str]:
    """Every ``event_type`` the ``alerts`` topic may carry: the fixed rules (fall,
    recovered_fall, possible_fall, long_lie, no_person, acknowledged) and one slug per class
    label, in order, no repeats."""
    out: list[str] = []
    for name in (*FIXED_EVENT_TYPES, *(slug(c) for c in class_names)):
        if name not in out:
            out.append(name)
    return out


def build_discovery(
    cfg: MqttConfig,
    topics: Topics,
    *,
    model_name: str,
    class_names: Sequence[str],
    sw_version: str,
) -> dict[str, Any]:
    """The device discovery payload (a JSON-ready dict).

    Entities: ``alert`` (event), ``person_down`` (binary_sensor, safety),
    ``person_present`` (binary_sensor, occupancy), ``activity`` and ``confidence`` (%)
    sensors, ``privacy`` and ``monitoring`` switches, and diagnostic sensors (fps, pose
    and inference latency in ms, dropped frames, skipped windows, outbox length).
    """
    dev_id = cfg.device_id

    def uid(key: str) -> str:
        return f"{dev_id}_{key}"

    def diag(key: str, name: str, **extra: Any) -> dict[str, Any]:
        return {"p": "sensor", "unique_id": uid(key), "name": name,
                "state_topic": topics.diagnostics,
                "value_template": f"{{{{ value_json.{key} }}}}",
                "entity_category": "diagnostic", "state_class": "measurement", **extra}

    cmps: dict[str, dict[str, Any]] = {
        "alert": {
            "p": "event", "unique_id": uid("alert"), "name": "Alert",
            "state_topic": topics.alerts, "event_types": event_types(class_names),
            "icon": "mdi:alert-octagon",
        },
        "person_down": {
            "p": "binary_sensor", "unique_id": uid("person_down"), "name": "Person down",
            "state_topic": topics.person_down, "device_class": "safety",
            "payload_on": "ON", "payload_off": "OFF",
        },
        "person_present": {
            "p": "binary_sensor", "unique_id": uid("person_present"),
            "name": "Person present", "state_topic": topics.person_present,
            "device_class": "occupancy", "payload_on": "ON", "payload_off": "OFF",
        },
        "activity": {
            "p": "sensor", "unique_id": uid("activity"), "name": "Activity",
            "state_topic": topics.activity, "icon": "mdi:human",
        },
        "confidence": {
            "p": "sensor", "unique_id": uid("confidence"), "name": "Activity confidence",
            "state_topic": topics.confidence, "unit_of_measurement": "%",
            "state_class": "measurement", "suggested_display_precision": 0,
            "icon": "mdi:gauge",
        },
        "privacy": {
            "p": "switch", "unique_id": uid("privacy"), "name": "Privacy mode",
            "command_topic": topics.command("privacy"),
            "state_topic": topics.state("privacy"),
            "payload_on": "ON", "payload_off": "OFF", "icon": "mdi:incognito",
        },
        "monitoring": {
            "p": "switch", "unique_id": uid("monitoring"), "name": "Monitoring",
            "command_topic": topics.command("monitoring"),
            "state_topic": topics.state("monitoring"),
            "payload_on": "ON", "payload_off": "OFF", "icon": "mdi:eye",
        },
        "fps": diag("fps", "Camera frame rate", unit_of_measurement="fps"),
        "inference_ms": diag("inference_ms", "Inference latency", unit_of_measurement="ms",
                             device_class="duration"),
        "pose_ms": diag("pose_ms", "Pose latency", unit_of_measurement="ms",
                        device_class="duration"),
        "dropped_frames": diag("dropped_frames", "Dropped frames",
                               state_class="total_increasing"),
        "skipped_windows": diag("skipped_windows", "Skipped windows",
                                state_class="total_increasing"),
        "outbox": diag("outbox", "MQTT outbox", unit_of_measurement="messages"),
    }
    # Home Assistant 2025.4 ignores the device-level qos and subscribes at QoS 0 unless
    # each component names its own: alerts and person-down must arrive at QoS 1
    for comp in cmps.values():
        comp["qos"] = cfg.qos
    origin: dict[str, str] = {"name": ORIGIN_NAME, "sw": sw_version}
    if ORIGIN_URL:
        origin["url"] = ORIGIN_URL
    return {
        "dev": {
            "ids": [dev_id],
            "name": cfg.device_name or f"EPAM edge {dev_id}",
            "mf": "EPAM edge",
            "mdl": f"EPAM-Net activity monitor ({model_name})",
            "sw": sw_version,
        },
        "o": origin,
        "availability": [{"topic": topics.availability,
                          "value_template": _AVAILABILITY_TEMPLATE}],
        "qos": cfg.qos,
        "cmps": cmps,
    }
