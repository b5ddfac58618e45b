"""A live source whose camera or stream comes back while it waits to reconnect is
reopened at once, whatever its backoff (``LiveSource``'s probe of the device)."""

from __future__ import annotations

import threading
import time

from edge_app.sources import LiveSource, parse_source
from tests.edge_app.test_sources import _FakeCap


def test_a_camera_back_before_the_backoff_ends_is_reopened_at_once() -> None:
    """A long backoff (here 30 s) does not keep a camera that came back unwatched: while
    waiting, the source looks whether the device is there again and reopens at once."""
    there = threading.Event()
    plan = [_FakeCap(2), _FakeCap(10**6)]
    opens: list[float] = []

    def opener() -> _FakeCap:
        opens.append(time.monotonic())
        return plan[min(len(opens) - 1, 1)]

    src = LiveSource(parse_source("rtsp://cam/stream"), opener=opener,
                     probe=lambda: there.is_set(), reconnect_initial_s=30.0,
                     reconnect_max_s=30.0)
    src.PROBE_S = 0.05
    try:
        deadline = time.monotonic() + 2
        while src.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not src.connected and len(opens) == 1  # lost, waiting 30 s to reopen
        time.sleep(0.2)
        assert len(opens) == 1
        back = time.monotonic()
        there.set()  # the camera's port accepts connections again
        deadline = back + 2
        while src.reconnects < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert src.reconnects == 1 and opens[1] - back < 0.5
    finally:
        src.close()


def test_a_stream_port_is_probed_for_its_return() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        src = LiveSource.__new__(LiveSource)  # only the probe, no capture
        src.spec = parse_source(f"http://127.0.0.1:{port}/video.mjpg")
        assert src._device_present() is False  # bound, not listening: refused
        s.listen()
        assert src._device_present() is True
    src.spec = parse_source("udp://127.0.0.1:5000")
    assert src._device_present() is None  # UDP: cannot tell
