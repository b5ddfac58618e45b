"""The broker goes away mid-run, the app is restarted while it is down (SIGTERM: a clean
restart; SIGKILL: a crash or a power cut), the broker comes back: every event the app
raised (the rows of its event store) reaches the events topic, in the order raised."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.edge_app.mqtt.helpers import Broker, Listener
from tests.faults.helpers import App, alternating_keypoints, stored_messages, write_replay

EVENTS = "epam/epam_edge/events"


def _key(msg: dict[str, object]) -> tuple[str, str]:
    return str(msg["id"]), str(msg["type"])


def _delivered(ha: Listener) -> list[tuple[str, str]]:
    """(incident id, new/update/end) of the events topic, first arrivals in arrival order
    (delivery is at least once: a repeat after a reconnect is allowed)."""
    seen: dict[tuple[str, str], None] = {}
    for m in ha.on(EVENTS):
        seen.setdefault(_key(m.json()))
    return list(seen)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_broker_down_app_restarted_then_broker_back_loses_nothing(
        make_broker: Callable[..., Broker], make_listener: Callable[..., Listener],
        tiny_model: Path, data_dir: Path, tmp_path: Path, sig: signal.Signals) -> None:
    broker = make_broker()
    ha = make_listener(broker, EVENTS, client_id="home-assistant", persistent=True)
    kp, sc = alternating_keypoints(600, absent_every=8)  # about one event a second
    replay = write_replay(tmp_path / "home.pkl", kp, sc)
    db = data_dir / "events.db"
    args = ["--source", str(replay), "--model", str(tiny_model), "--realtime",
            "--set", "model.backend=onnxruntime", "--set", "events.smoothing_windows=1",
            "--set", "events.no_person.after_s=0.5",
            "--set", "mqtt.enabled=true", "--set", f"mqtt.host={broker.host}",
            "--set", f"mqtt.port={broker.port}", "--set", "mqtt.reconnect_min_s=1",
            "--set", "mqtt.reconnect_max_s=1", "--set", "mqtt.flush_timeout_s=1"]

    def raised() -> int:
        return len(stored_messages(db))

    first = App(args, data_dir, tmp_path / "run1.log")
    second: App | None = None
    try:
        assert first.wait(lambda: len(ha.on(EVENTS)) >= 3, 40), first.log()[-3000:]
        broker.stop()  # mid-run
        at_stop = raised()
        assert first.wait(lambda: raised() >= at_stop + 3, 30), first.log()[-3000:]
        code = first.stop(sig)
        assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL), first.log()[-3000:]
        after_first = raised()

        second = App(args, data_dir, tmp_path / "run2.log")  # the broker is still down
        assert second.wait(lambda: raised() >= after_first + 3, 40), second.log()[-3000:]
        broker.start()
        expected = [_key(m) for m in stored_messages(db)]
        assert ha.wait(lambda s: set(_delivered(s)) >= set(expected), 30), (
            f"missing after the broker came back: {set(expected) - set(_delivered(ha))}")
        assert second.stop(signal.SIGTERM) == 0, second.log()[-3000:]
    finally:
        for app in (first, second):
            if app is not None and app.running:
                app.proc.kill()
                app.proc.wait(10)

    expected = [_key(m) for m in stored_messages(db)]
    assert ha.wait(lambda s: set(_delivered(s)) >= set(expected), 10), (
        f"missing: {set(expected) - set(_delivered(ha))}")
    got = _delivered(ha)
    assert got == expected, "delivered out of order"  # none lost, none reordered
    assert sum(1 for _, kind in expected if kind == "new") >= 6
    logs = first.log() + second.log()
    assert "Traceback" not in logs
    # the installer can read what happened
    assert "MQTT connection to" in first.log() and "lost" in first.log()
    assert "Retrying in the background" in second.log()
    print(f"\n{sig.name}: {len(expected)} events raised ({at_stop} before the outage), "
          f"{len(ha.on(EVENTS))} delivered, {len(ha.on(EVENTS)) - len(expected)} repeated")
