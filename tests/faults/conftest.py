"""Fixtures of the fault tests: the real mosquitto broker and Home Assistant-like listener
of the MQTT tests, a tiny EPAM-Net-shaped model, and a data dir per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.edge_app.mqtt.conftest import (  # noqa: F401  (fixtures used by the tests)
    make_broker,
    make_listener,
    mosquitto_bin,
)
from tests.faults.helpers import write_tiny_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ONNX model with EPAM-Net's inputs, outputs and metadata (the ADL classes) that
    costs about a millisecond a window (``helpers.write_tiny_model``)."""
    return write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.onnx")


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    """The app's data dir (event store ``events.db``, log, caches) for one test."""
    d = tmp_path / "data"
    d.mkdir()
    return d
