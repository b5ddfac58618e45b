"""Home Assistant device-based MQTT discovery (HA 2024.11+).

One retained JSON payload on ``<discovery_prefix>/device/<device_id>/config`` describes
the device (``dev``), who made the payload (``o``) and every entity (``cmps``, each with
its platform ``p`` and a ``unique_id``). An empty retained payload on the same topic
removes the device from Home Assistant (``python -m edge_app mqtt clear-discovery``).

With several cameras, the app's device (``build_app_discovery``) holds what is the app's,
and each camera is a device of its own (``build_camera_discovery``): named by its room,
suggested into that area, ``via_device`` the app's (docs/mqtt.md says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from edge_app.config import MqttConfig
from edge_app.mqtt.topics import FIXED_EVENT_TYPES, Topics, slug

__all__ = [
    "MAX_SOURCE_CHARS",
    "ORIGIN_NAME",
    "ORIGIN_URL",
    "CameraDevice",
    "build_app_discovery",
    "build_camera_discovery",
    "build_discovery",
    "camera_devices",
    "event_types",
]

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


@dataclass(frozen=True)
class CameraDevice:
    """One camera as Home Assistant sees it: its name in topics (``name``), the device
    name shown (``label``: its room, or its name) and the area it suggests (``room``)."""

    name: str
    room: str = ""
    label: str = ""


def camera_devices(cameras: Sequence[tuple[str, str]]) -> list[CameraDevice]:
    """``(name, room)`` pairs -> devices named by their room (``Bedroom``), or by their
    name where no room is set; two cameras in one room are told apart by their names
    (``Living room (sofa)``)."""
    rooms = [room for _, room in cameras if room]
    out = []
    for name, room in cameras:
        if not room:
            label = name
        elif rooms.count(room) > 1:
            label = f"{room} ({name})"
        else:
            label = room
        out.append(CameraDevice(name=name, room=room, label=label))
    return out


def _origin(sw_version: str) -> dict[str, str]:
    origin: dict[str, str] = {"name": ORIGIN_NAME, "sw": sw_version}
    if ORIGIN_URL:
        origin["url"] = ORIGIN_URL
    return origin


def _app_device(cfg: MqttConfig, model_name: str, sw_version: str) -> dict[str, Any]:
    return {
        "ids": [cfg.device_id],
        "name": cfg.device_name or f"EPAM edge {cfg.device_id}",
        "mf": "EPAM edge",
        "mdl": f"EPAM-Net activity monitor ({model_name})",
        "sw": sw_version,
    }


def _diag(topics: Topics, key: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"p": "sensor", "unique_id": f"{topics.device_id}_{key}", "name": name,
            "state_topic": topics.diagnostics,
            "value_template": f"{{{{ value_json.{key} }}}}",
            "entity_category": "diagnostic", "state_class": "measurement", **extra}


# Home Assistant keeps at most 255 characters in a state (and in a text entity's value)
MAX_SOURCE_CHARS = 255


def _source_components(topics: Topics, allow_command: bool) -> dict[str, dict[str, Any]]:
    """The camera's source: a ``text`` entity (its value is the source in use, credentials
    masked; setting it switches the camera) and the ``Source error`` of the last switch.
    With ``mqtt.allow_source_command`` off the source is a read-only diagnostic sensor."""
    uid = topics.device_id
    if allow_command:
        source: dict[str, Any] = {
            "p": "text", "unique_id": f"{uid}_source", "name": "Source",
            "command_topic": topics.command("source"), "state_topic": topics.state("source"),
            "min": 1, "max": MAX_SOURCE_CHARS, "mode": "text",
            "entity_category": "config", "icon": "mdi:cctv",
        }
    else:
        source = {"p": "sensor", "unique_id": f"{uid}_source_in_use", "name": "Source",
                  "state_topic": topics.state("source"), "entity_category": "diagnostic",
                  "icon": "mdi:cctv"}
    return {
        "source": source,
        "source_error": {
            "p": "sensor", "unique_id": f"{uid}_source_error", "name": "Source error",
            "state_topic": topics.source_error, "entity_category": "diagnostic",
            "icon": "mdi:video-off-outline",
        },
    }


def _watch_components(topics: Topics, class_names: Sequence[str],
                      allow_source_command: bool = True) -> dict[str, dict[str, Any]]:
    """What one camera shows: alert, person down/present, activity, confidence, the two
    switches, its source (text entity) and its diagnostics; unique ids
    ``<topics.device_id>_<key>``."""

    def uid(key: str) -> str:
        return f"{topics.device_id}_{key}"

    def diag(key: str, name: str, **extra: Any) -> dict[str, Any]:
        return _diag(topics, key, name, **extra)

    return {
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
        **_source_components(topics, allow_source_command),
    }


def _payload(cfg: MqttConfig, topics: Topics, dev: dict[str, Any],
             cmps: dict[str, dict[str, Any]], sw_version: str) -> dict[str, Any]:
    # Home Assistant 2025.4 ignores the device-level qos and subscribes at QoS 0 unless
    # each component names its own: alerts and person-down must arrive at QoS 1
    for comp in cmps.values():
        comp["qos"] = cfg.qos
    return {
        "dev": dev,
        "o": _origin(sw_version),
        "availability": [{"topic": topics.availability,
                          "value_template": _AVAILABILITY_TEMPLATE}],
        "qos": cfg.qos,
        "cmps": cmps,
    }


def build_discovery(
    cfg: MqttConfig,
    topics: Topics,
    *,
    model_name: str,
    class_names: Sequence[str],
    sw_version: str,
) -> dict[str, Any]:
    """The device discovery payload of a one-camera app (a JSON-ready dict).

    Entities: ``alert`` (event), ``person_down`` (binary_sensor, safety),
    ``person_present`` (binary_sensor, occupancy), ``activity`` and ``confidence`` (%)
    sensors, ``privacy`` and ``monitoring`` switches, the ``source`` text (the source in
    use; setting it switches the camera) with its ``source_error`` sensor, and diagnostic
    sensors (fps, pose and inference latency in ms, dropped frames, skipped windows,
    outbox length).
    """
    cmps = _watch_components(topics, class_names, cfg.allow_source_command)
    cmps["outbox"] = _diag(topics, "outbox", "MQTT outbox", unit_of_measurement="messages")
    return _payload(cfg, topics, _app_device(cfg, model_name, sw_version), cmps, sw_version)


def build_app_discovery(
    cfg: MqttConfig,
    topics: Topics,
    *,
    model_name: str,
    sw_version: str,
) -> dict[str, Any]:
    """The app's own device when it has a device per camera: what is the app's, not a
    camera's (the MQTT outbox, the event store's size), as diagnostic sensors on
    ``<base>/diagnostics``. The cameras' devices hang under it (``via_device``)."""
    cmps = {
        "outbox": _diag(topics, "outbox", "MQTT outbox", unit_of_measurement="messages"),
        "store_mb": _diag(topics, "store_mb", "Event store size", unit_of_measurement="MB",
                          device_class="data_size", suggested_display_precision=1),
    }
    return _payload(cfg, topics, _app_device(cfg, model_name, sw_version), cmps, sw_version)


def build_camera_discovery(
    cfg: MqttConfig,
    app_topics: Topics,
    camera: CameraDevice,
    *,
    model_name: str,
    class_names: Sequence[str],
    sw_version: str,
) -> dict[str, Any]:
    """One camera's device (``<device_id>_<camera>``, named by its room, in that area,
    ``via_device`` the app's) with the entities of ``build_discovery`` on the camera's
    topics (``app_topics.for_camera``); available while the app is."""
    topics = app_topics.for_camera(camera.name)
    dev: dict[str, Any] = {
        "ids": [topics.device_id],
        "name": camera.label or camera.name,
        "mf": "EPAM edge",
        "mdl": f"EPAM-Net activity monitor ({model_name})",
        "sw": sw_version,
        "via_device": app_topics.device_id,
    }
    if camera.room:
        dev["suggested_area"] = camera.room
    return _payload(cfg, topics, dev,
                    _watch_components(topics, class_names, cfg.allow_source_command),
                    sw_version)
