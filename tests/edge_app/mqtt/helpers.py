"""Test helpers: a real mosquitto broker, a recording subscriber, fake controls, events."""

from __future__ import annotations

import json
import os
import pwd
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge_app.config import AppConfig
from edge_app.types import DEFAULT_CAMERA, Event

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until(pred: Callable[[], bool], timeout: float = 5.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


class Broker:
    """A mosquitto process on a free loopback port with a generated config file.

    ``listener_conf``: extra lines for the listener (TLS, password file); persistence is
    on so persistent sessions and retained messages survive ``stop()`` + ``start()``.
    """

    def __init__(self, binary: str, workdir: Path, listener_conf: str = "") -> None:
        self.binary = binary
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = HOST
        self.conf = self.dir / "mosquitto.conf"
        self.log = self.dir / "mosquitto.log"
        lines = [f"listener {self.port} {HOST}", listener_conf.strip(),
                 "persistence true", f"persistence_location {self.dir}/",
                 "autosave_interval 1"]
        if "password_file" not in listener_conf:
            lines.append("allow_anonymous true")
        if os.geteuid() == 0:  # mosquitto drops root privileges unless told who to be
            lines.append(f"user {pwd.getpwuid(os.geteuid()).pw_name}")
        self.conf.write_text("\n".join(line for line in lines if line) + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 5.0) -> None:
        logf = self.log.open("ab")
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf), "-v"],
                                     stdout=logf, stderr=subprocess.STDOUT)
        logf.close()

        def listening() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        if not wait_until(listening, timeout):
            raise RuntimeError(f"mosquitto did not listen on {self.port}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Msg:
    topic: str
    payload: str
    retain: bool
    qos: int

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Listener:
    """A subscriber that records every message (what Home Assistant would see)."""

    broker: Broker
    topics: Iterable[str]
    client_id: str = ""
    persistent: bool = False
    tls: dict[str, Any] | None = None
    messages: list[Msg] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=self.client_id or f"listener-{id(self)}",
                                  clean_session=not self.persistent)
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.connect(self.broker.host, self.broker.port, keepalive=10)
        self.client.loop_start()
        if not self._subscribed.wait(5):
            raise RuntimeError("listener did not subscribe")

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                    props: Any) -> None:
        client.subscribe([(t, 1) for t in self.topics])

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Msg(msg.topic, msg.payload.decode(), bool(msg.retain),
                                     msg.qos))

    def on(self, topic: str) -> list[Msg]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def payloads(self, topic: str) -> list[str]:
        return [m.payload for m in self.on(topic)]

    def wait(self, pred: Callable[[Listener], bool], timeout: float = 5.0) -> bool:
        return wait_until(lambda: pred(self), timeout)

    def wait_payload(self, topic: str, payload: str, timeout: float = 5.0) -> bool:
        return self.wait(lambda s: payload in s.payloads(topic), timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_online(lst: Listener, base: str, timeout: float = 5.0) -> bool:
    """Wait until ``lst`` (subscribed to ``<base>/availability``) has seen ``online``.

    The sink announces ``online`` only after it subscribed to its command topics and
    published this connection's discovery and fresh states (``MqttSink._on_connect``).
    ``sink.connected`` turns true before all that: a test that feeds windows or sends
    commands as soon as it is true races the connect (a window's state can go out in place
    of the connect's ``none``, a command can reach the broker before the subscription).
    Wait for this instead."""
    return lst.wait_payload(f"{base}/availability", "online", timeout)


class FakeControls:
    """What the pipeline exposes to MQTT commands, recording every call."""

    def __init__(self) -> None:
        self.privacy = False
        self.monitoring = True
        self.calls: list[tuple[str, object]] = []

    def set_privacy(self, enabled: bool) -> None:
        self.calls.append(("privacy", enabled))
        self.privacy = enabled

    def set_monitoring(self, enabled: bool) -> None:
        self.calls.append(("monitoring", enabled))
        self.monitoring = enabled

    def acknowledge(self, event_id: str, by: str) -> bool:
        self.calls.append(("acknowledge", (event_id, by)))
        return True

    def switch_source(self, uri: str) -> None:
        self.calls.append(("source", uri))

    # what a camera tells of its source (edge_app.mqtt.sink.SourceSwitch)
    source_text = ""
    switching = False
    switch_error = ""


def make_config(broker: Broker | None, **mqtt_overrides: Any) -> AppConfig:
    """A config pointing at ``broker`` with fast reconnects and short flushes."""
    m: dict[str, Any] = {"enabled": True, "host": HOST,
                         "port": broker.port if broker else free_port(),
                         "reconnect_min_s": 1, "reconnect_max_s": 1, "flush_timeout_s": 3.0,
                         "state_interval_s": 0.2, "keepalive_s": 10}
    m.update(mqtt_overrides)
    return AppConfig.model_validate({"mqtt": m})


def event(kind: str, incident: str, *, label: str = "falling", level: str = "critical",
          rule: str = "fall", score: float = 0.9, start: float = 1.0,
          end: float | None = None, camera: str = DEFAULT_CAMERA) -> Event:
    return Event(type=kind, id=incident, label=label, level=level,  # type: ignore[arg-type]
                 score=score, start_time=start, end_time=end, source="test.mp4", rule=rule,
                 wall_time=time.time(), camera=camera)


class FakeCamera(FakeControls):
    """One camera of a ``FakeCameras`` app: its own privacy and monitoring."""

    def __init__(self, name: str, room: str = "") -> None:
        super().__init__()
        self.name = name
        self.room = room


class FakeCameras(FakeControls):
    """An app with several cameras, as ``EdgeApp`` shows them to MQTT (``cameras``,
    ``camera_named``); its own privacy/monitoring apply to every camera."""

    def __init__(self, *cameras: FakeCamera) -> None:
        super().__init__()
        self.cameras = list(cameras)

    def camera_named(self, name: str) -> FakeCamera:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(name)

    def set_privacy(self, enabled: bool) -> None:
        super().set_privacy(enabled)
        for cam in self.cameras:
            cam.set_privacy(enabled)
