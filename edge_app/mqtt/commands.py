"""Command-line helpers: check the broker (``doctor``) and remove the device from Home
Assistant (``python -m edge_app mqtt clear-discovery``)."""

from __future__ import annotations

import os
import time

import paho.mqtt.client as mqtt
from paho.mqtt.client import ConnectFlags, DisconnectFlags
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from edge_app.config import AppConfig, MqttConfig
from edge_app.mqtt.client import (
    MqttClient,
    MqttSetupError,
    build_client,
    describe_closed,
    describe_connack,
    describe_error,
)
from edge_app.mqtt.topics import TopicError, Topics

__all__ = ["check_broker", "clear_discovery"]


def _connect(cfg: MqttConfig, timeout: float, purpose: str) -> tuple[MqttClient | None, str | None]:
    """A connected client with its network loop running, or (None, why not)."""
    base = cfg.client_id or f"epam-edge-{cfg.device_id}"
    try:
        client = build_client(cfg, client_id=f"{base}-{purpose}-{os.getpid()}")
    except MqttSetupError as exc:
        return None, str(exc)
    outcome: dict[str, ReasonCode | bool] = {}

    def on_connect(c: mqtt.Client, u: object, f: ConnectFlags, reason: ReasonCode,
                   p: Properties | None) -> None:
        outcome["reason"] = reason

    def on_disconnect(c: mqtt.Client, u: object, f: DisconnectFlags, reason: ReasonCode,
                      p: Properties | None) -> None:
        outcome.setdefault("closed", True)

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.connect_timeout = timeout
    client.reconnect_delay_set(1, 1)
    deadline = time.monotonic() + timeout
    try:
        client.connect(cfg.host, cfg.port, keepalive=max(5, int(timeout) + 5))
        while not outcome and time.monotonic() < deadline:
            rc = client.loop(0.05)
            if rc != mqtt.MQTT_ERR_SUCCESS and not outcome:
                outcome["closed"] = True
    except (OSError, ValueError) as exc:
        client.loop_stop()
        return None, describe_error(exc, cfg)
    reason = outcome.get("reason")
    if isinstance(reason, ReasonCode) and not reason.is_failure:
        client.loop_start()
        return client, None
    client.disconnect()
    if isinstance(reason, ReasonCode):
        return None, describe_connack(reason, cfg)
    if outcome.get("closed"):
        return None, describe_closed(cfg, client.last_log_error)
    return None, (f"MQTT broker {cfg.host}:{cfg.port} did not answer the MQTT login within "
                  f"{timeout:.0f} s: is it an MQTT port? does it expect TLS (mqtt.tls_ca_certs)?")


def check_broker(cfg: AppConfig, timeout: float = 5.0) -> str | None:
    """Connect and log in once with ``mqtt.*``; None when that works, else one line that
    says what is wrong (refused, bad credentials, TLS failure, unreachable) and how to fix
    it. ``timeout`` in seconds."""
    client, problem = _connect(cfg.mqtt, timeout, "check")
    if client is not None:
        client.disconnect()
        client.loop_stop()
    return problem


def clear_discovery(cfg: AppConfig) -> int:
    """Remove this device from Home Assistant: empty retained payloads on its discovery
    topic and on every retained state topic, and on those of each camera of the
    ``cameras:`` list (their own devices). Prints one line; returns the exit code
    (0 done, 1 broker problem, 2 config problem)."""
    mcfg = cfg.mqtt
    try:
        topics = Topics.from_config(mcfg)
    except TopicError as exc:
        print(f"mqtt clear-discovery: {exc}")
        return 2
    client, problem = _connect(mcfg, 5.0, "clear")
    if client is None:
        print(f"mqtt clear-discovery: nothing removed: {problem}")
        return 1
    # the one-camera layout's and, for a cameras: list, every camera's device and states
    retained = [*topics.retained(),
                *(t for cam in cfg.cameras for t in topics.for_camera(cam.name).retained())]
    infos = [client.publish(t, b"", qos=1, retain=True) for t in retained]
    ok = True
    for info in infos:
        try:
            info.wait_for_publish(timeout=5.0)
        except (RuntimeError, ValueError):
            ok = False
        ok = ok and info.is_published()
    client.disconnect()
    client.loop_stop()
    if not ok:
        print(f"mqtt clear-discovery: the broker {mcfg.host}:{mcfg.port} did not acknowledge "
              "every removal; run it again")
        return 1
    cameras = (f" and its {len(cfg.cameras)} camera device(s) "
               f"({', '.join(c.name for c in cfg.cameras)})" if cfg.cameras else "")
    print(f"mqtt clear-discovery: removed device '{mcfg.device_id}'{cameras} from Home "
          f"Assistant ({topics.discovery} and {len(infos) - 1} other retained topics on "
          f"{mcfg.host}:{mcfg.port}); a running app publishes it again on its next connect "
          "unless mqtt.discovery is false")
    return 0
