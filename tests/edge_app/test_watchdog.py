from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from edge_app.types import PipelineStatus
from edge_app.watchdog import SystemdNotifier, SystemdWatchdogSink, watchdog_interval_s


@pytest.fixture()
def notify_socket(tmp_path: Path) -> tuple[socket.socket, str]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(1.0)
    yield sock, path
    sock.close()


def _messages(sock: socket.socket) -> list[str]:
    out = []
    sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(4096).decode())
    except BlockingIOError:
        pass
    sock.setblocking(True)
    return out


def _status(error: str | None = None, *, problem: str = "",
            loop_age_s: float = 0.5) -> PipelineStatus:
    return PipelineStatus(
        source="cam", source_fps=30.0, sample_rate_hz=15.0, pose_ms=20.0, inference_ms=80.0,
        dropped_frames=0, skipped_windows=0, windows=3, model_name="m", provider="CPU",
        privacy=False, monitoring=True, person_present=True, person_down=False,
        current_activity="walking", confidence=0.9, error=error or "",
        problem=problem, loop_age_s=loop_age_s)


def test_notifier_sends_sd_notify_datagrams(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    n = SystemdNotifier(env={"NOTIFY_SOCKET": path})
    assert n.enabled
    assert n.ready("up") and n.ping() and n.extend_timeout(90) and n.stopping()
    assert _messages(sock) == ["READY=1\nSTATUS=up", "WATCHDOG=1",
                               "EXTEND_TIMEOUT_USEC=90000000", "STOPPING=1"]
    n.close()


def test_abstract_namespace_socket() -> None:
    name = f"epam-test-{os.getpid()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("\0" + name)
    try:
        assert SystemdNotifier(env={"NOTIFY_SOCKET": "@" + name}).ping()
        assert server.recv(100) == b"WATCHDOG=1"
    finally:
        server.close()


def test_outside_systemd_everything_is_a_no_op() -> None:
    n = SystemdNotifier(env={})
    assert not n.enabled and not n.ready() and not n.ping()
    sink = SystemdWatchdogSink(n)
    sink.on_status(_status())
    sink.close()
    assert sink.pings == 0


def test_watchdog_interval() -> None:
    assert watchdog_interval_s({"WATCHDOG_USEC": "60000000"}) == 60.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000",
                                "WATCHDOG_PID": str(os.getpid())}) == 30.0
    assert watchdog_interval_s({}) is None


def test_sink_ready_then_pings_and_stops_when_the_loop_is_stuck(
        notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    sink = SystemdWatchdogSink(SystemdNotifier(env={"NOTIFY_SOCKET": path}), stall_s=60.0)
    sink.on_status(_status())  # ready and alive
    msgs = _messages(sock)
    assert msgs[0].startswith("READY=1\nSTATUS=walking") and "WATCHDOG=1" in msgs
    # a camera that is down is a state the app waits in: still pinging, and it says so
    sink.on_status(_status(problem="waiting for the camera: camera 0 cannot be opened"))
    msgs = _messages(sock)
    assert "WATCHDOG=1" in msgs and any("waiting for the camera" in m for m in msgs)
    sink.on_status(_status(loop_age_s=91.0))  # the sampling loop is stuck
    msgs = _messages(sock)
    assert "WATCHDOG=1" not in msgs and any("unhealthy: the sampling loop" in m for m in msgs)
    sink.on_status(_status())
    assert "WATCHDOG=1" in _messages(sock)
    sink.on_status(_status(error="RuntimeError: boom"))
    assert "WATCHDOG=1" not in _messages(sock)
    assert sink.pings == 3
    sink.close()
    assert _messages(sock) == ["STOPPING=1"]
