"""MQTT alerts and Home Assistant discovery, with a persistent outbox (see docs/mqtt.md).

``MqttSink`` is the pipeline's sink; ``check_broker`` and ``clear_discovery`` back the
``doctor`` and ``mqtt clear-discovery`` commands.
"""

from __future__ import annotations

from edge_app.mqtt.client import MqttSetupError, build_client, describe_connack, describe_error
from edge_app.mqtt.commands import check_broker, clear_discovery
from edge_app.mqtt.discovery import (
    build_app_discovery,
    build_camera_discovery,
    build_discovery,
    event_types,
)
from edge_app.mqtt.outbox import Outbox, OutboxRow, OutMessage
from edge_app.mqtt.sink import CameraSet, MqttSink, event_type_for
from edge_app.mqtt.topics import TopicError, Topics, per_camera

__all__ = [
    "CameraSet",
    "MqttSetupError",
    "MqttSink",
    "OutMessage",
    "Outbox",
    "OutboxRow",
    "TopicError",
    "Topics",
    "build_app_discovery",
    "build_camera_discovery",
    "build_client",
    "build_discovery",
    "check_broker",
    "clear_discovery",
    "describe_connack",
    "describe_error",
    "event_type_for",
    "event_types",
    "per_camera",
]
