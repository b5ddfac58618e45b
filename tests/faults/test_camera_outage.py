"""A network camera that goes away and comes back: frames flow again within 5 s of its
return, windows resume, and the log tells the installer what happened.

The camera is an MJPEG stream over HTTP served by the test (what cheap IP cameras serve);
the app reads it as installers point it at one: ``--source http://.../video.mjpg`` with
the shipped reconnect settings. What the app reports is read from its log and from its
MQTT diagnostics (what Home Assistant shows).
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.edge_app.mqtt.helpers import Broker, Listener
from tests.faults.helpers import App, MjpegCamera, demo_frames

DIAGNOSTICS = "epam/epam_edge/diagnostics"
RETURN_WITHIN_S = 5.0


@pytest.fixture()
def camera() -> Iterator[MjpegCamera]:
    cam = MjpegCamera(demo_frames(), fps=10.0)
    yield cam
    cam.close()


def _diag(ha: Listener) -> dict[str, Any]:
    msgs = ha.on(DIAGNOSTICS)
    return json.loads(msgs[-1].payload) if msgs else {}


def _diag_since(ha: Listener, n: int) -> list[dict[str, Any]]:
    return [json.loads(m.payload) for m in ha.on(DIAGNOSTICS)[n:]]


@pytest.mark.parametrize(("outage_s", "how"), [
    pytest.param(10.0, "unplugged", id="10s-unplugged"),
    pytest.param(10.0, "frozen", id="10s-frozen", marks=pytest.mark.slow),  # 20 s more
    pytest.param(120.0, "unplugged", id="2min-unplugged", marks=pytest.mark.slow),
    pytest.param(120.0, "frozen", id="2min-frozen", marks=pytest.mark.slow),
])
def test_network_camera_away_and_back(
        make_broker: Callable[..., Broker], make_listener: Callable[..., Listener],
        camera: MjpegCamera, tiny_model: Path, data_dir: Path, tmp_path: Path,
        outage_s: float, how: str) -> None:
    """``unplugged``: the stream is cut and the port refuses (power or Wi-Fi lost);
    ``frozen``: the connection stays open and no frame comes (a stalled stream)."""
    broker = make_broker()
    ha = make_listener(broker, DIAGNOSTICS)
    app = App(["--source", camera.url, "--model", str(tiny_model),
               "--set", "model.backend=onnxruntime",
               "--set", "mqtt.enabled=true", "--set", f"mqtt.host={broker.host}",
               "--set", f"mqtt.port={broker.port}", "--set", "mqtt.diagnostics_interval_s=0.5",
               "--set", "mqtt.reconnect_min_s=1"],
              data_dir, tmp_path / "app.log")
    try:
        # watching: frames and windows (the person in the demo frames is seen)
        assert app.wait(lambda: _diag(ha).get("windows", 0) >= 2
                        and _diag(ha).get("fps", 0) > 0, 60), app.log()[-3000:]

        log_at_outage = len(app.log())  # before the cut: its first line can come at once
        (camera.unplug if how == "unplugged" else camera.freeze)()
        time.sleep(outage_s)
        during = app.log()[log_at_outage:]
        diag = _diag(ha)
        assert "no frame for" in during, during  # the stall is logged ...
        assert during.count("no frame for") == 1  # ... once, not every second
        if how == "unplugged":
            assert "stopped delivering frames; reconnecting" in during
        assert diag["fps"] == 0 and "no frame from" in diag["problem"], diag
        windows_before = diag["windows"]

        (camera.plug if how == "unplugged" else camera.thaw)()
        back = time.monotonic()
        n_diag = len(ha.on(DIAGNOSTICS))
        assert app.wait_log("frames again after", RETURN_WITHIN_S + 25, after=log_at_outage)
        frames_after_s = time.monotonic() - back
        assert app.wait(lambda: any(d["windows"] > windows_before and d["fps"] > 0
                                    and not d["problem"] for d in _diag_since(ha, n_diag)),
                        RETURN_WITHIN_S + 25), _diag(ha)
        windows_after_s = time.monotonic() - back
        print(f"\n{how} {outage_s:.0f} s: frames again {frames_after_s:.1f} s and windows "
              f"{windows_after_s:.1f} s after the camera's return")
        assert frames_after_s <= RETURN_WITHIN_S, (
            f"frames came back {frames_after_s:.1f} s after the camera")
        assert windows_after_s <= RETURN_WITHIN_S + 1.0
        assert app.stop(signal.SIGTERM, timeout=30) == 0, app.log()[-3000:]
    finally:
        if app.running:
            app.proc.kill()
            app.proc.wait(10)
    assert "Traceback" not in app.log()
