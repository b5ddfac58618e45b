"""Fixtures for the MQTT tests: a real mosquitto broker per test (free loopback port,
generated config, killed at teardown), the event store, fake controls, sinks, listeners."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from edge_app.config import AppConfig
from edge_app.mqtt import MqttSink
from edge_app.store import EventStore
from tests.edge_app.mqtt.helpers import Broker, FakeControls, Listener

CLASSES = ("drinking water", "falling", "waving for help", "lying on the floor", "walking")


def _find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto",
                      "/opt/homebrew/sbin/mosquitto"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def mosquitto_bin() -> str:
    path = _find_mosquitto()
    if path is None:
        pytest.skip("mosquitto is not installed (run `make test`, which installs the Debian "
                    "package, or `apt-get install mosquitto`)")
    return path


@pytest.fixture()
def make_broker(mosquitto_bin: str, tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """Start a broker with extra listener lines; every one is killed at teardown."""
    brokers: list[Broker] = []

    def make(listener_conf: str = "", name: str = "broker") -> Broker:
        b = Broker(mosquitto_bin, tmp_path / f"{name}{len(brokers)}", listener_conf)
        brokers.append(b)
        b.start()
        return b

    yield make
    for b in brokers:
        b.stop()


@pytest.fixture()
def broker(make_broker: Callable[..., Broker]) -> Broker:
    return make_broker()


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "events.db"


@pytest.fixture()
def store(store_path: Path) -> Iterator[EventStore]:
    s = EventStore(store_path)
    yield s
    s.close()


@pytest.fixture()
def controls() -> FakeControls:
    return FakeControls()


@pytest.fixture()
def make_sink(store: EventStore, controls: FakeControls) -> Iterator[Callable[..., MqttSink]]:
    """A started ``MqttSink``; closed at teardown if the test did not close it."""
    sinks: list[MqttSink] = []

    def make(cfg: AppConfig, *, on_store: EventStore | None = None, start: bool = True,
             **kw: Any) -> MqttSink:
        sink = MqttSink(cfg, on_store or store, kw.pop("controls", controls),
                        model_name="epamnet_adl", class_names=CLASSES, sw_version="0.1.0-test")
        sink.rediscovery_delay_s = (0.05, 0.2)
        sinks.append(sink)
        if start:
            sink.start()
        return sink

    yield make
    for s in sinks:
        s.close()


@pytest.fixture()
def make_listener() -> Iterator[Callable[..., Listener]]:
    listeners: list[Listener] = []

    def make(broker: Broker, *topics: str, **kw: Any) -> Listener:
        lst = Listener(broker, topics or ("#",), **kw)
        listeners.append(lst)
        return lst

    yield make
    for lst in listeners:
        lst.close()
