"""Nothing lost when the broker goes away: outbox, order, restart of the app, load."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from edge_app.mqtt import MqttSink
from edge_app.store import EventStore
from tests.edge_app.mqtt.conftest import CLASSES
from tests.edge_app.mqtt.helpers import (
    Broker,
    FakeControls,
    Listener,
    event,
    make_config,
    wait_until,
)

BASE = "epam/epam_edge"
EVENTS = f"{BASE}/events"

MakeListener = Callable[..., Listener]


def _sink(cfg_broker: Broker, store: EventStore, controls: FakeControls, **kw: object) -> MqttSink:
    sink = MqttSink(make_config(cfg_broker, **kw), store, controls, model_name="m",
                    class_names=CLASSES, sw_version="0")
    sink.start()
    return sink


def _ids(listener: Listener) -> list[str]:
    return [m.json()["id"] for m in listener.on(EVENTS)]


def _first_arrivals(ids: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for i in ids:
        seen.setdefault(i)
    return list(seen)


def test_broker_down_at_start_never_blocks_and_delivers_later(
        make_broker: Callable[..., Broker], make_listener: MakeListener, store: EventStore,
        controls: FakeControls, caplog: pytest.LogCaptureFixture) -> None:
    broker = make_broker()
    ha = make_listener(broker, EVENTS, client_id="ha", persistent=True)
    broker.stop()
    t0 = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="edge_app.mqtt"):
        sink = _sink(broker, store, controls)
        for i in range(5):
            sink.on_event(event("new", f"e{i}"))
        assert time.monotonic() - t0 < 1.0  # start() and on_event() return at once
        assert wait_until(lambda: sink.last_error is not None)
    try:
        assert not sink.connected and sink.outbox_pending == 10  # 5 events + 5 HA alerts
        assert "refused the connection" in (sink.last_error or "")
        assert "Retrying in the background" in caplog.text
        assert "Traceback" not in caplog.text
        broker.start()
        assert ha.wait(lambda s: len(s.on(EVENTS)) == 5, 8)
        assert _ids(ha) == [f"e{i}" for i in range(5)]
        assert wait_until(lambda: sink.outbox_pending == 0)
    finally:
        sink.close()


def test_fault_broker_stops_mid_run_app_restarts_broker_returns(
        make_broker: Callable[..., Broker], make_listener: MakeListener, store_path: Path,
        controls: FakeControls) -> None:
    """Alerts raised while the broker goes down, the app restarted during the outage:
    every alert arrives *at least once* and in the order raised."""
    broker = make_broker()
    ha = make_listener(broker, EVENTS, client_id="ha", persistent=True)
    raised: list[str] = []

    def raise_alerts(sink: MqttSink, start: int, n: int, every_s: float) -> None:
        for i in range(start, start + n):
            e = event("new", f"a{i:03d}", score=0.9)
            raised.append(e.id)
            sink.on_event(e)
            time.sleep(every_s)

    store1 = EventStore(store_path)
    sink1 = _sink(broker, store1, controls, flush_timeout_s=0.3)
    assert wait_until(lambda: sink1.connected)
    burst = threading.Thread(target=raise_alerts, args=(sink1, 0, 40, 0.01))
    burst.start()
    time.sleep(0.15)
    broker.stop()  # in the middle of the burst
    burst.join()
    assert wait_until(lambda: not sink1.connected)
    queued_before_restart = sink1.outbox_pending
    assert queued_before_restart > 0
    sink1.close()  # the app stops while the broker is down ...
    store1.close()

    store2 = EventStore(store_path)  # ... and starts again, still without a broker
    sink2 = _sink(broker, store2, controls)
    try:
        assert sink2.outbox_pending == queued_before_restart
        raise_alerts(sink2, 40, 10, 0.0)
        assert not sink2.connected
        broker.start()
        expected = [f"a{i:03d}" for i in range(50)]
        assert raised == expected
        assert ha.wait(lambda s: set(_ids(s)) >= set(expected), 10), (
            f"missing: {sorted(set(expected) - set(_ids(ha)))}")
        assert wait_until(lambda: sink2.outbox_pending == 0)
        time.sleep(0.3)
        got = _ids(ha)
        counts = Counter(got)
        assert _first_arrivals(got) == expected  # in order
        assert all(counts[i] >= 1 for i in expected)  # at least once
        duplicates = len(got) - len(expected)
        print(f"\nfault test: {len(expected)} alerts raised, {len(got)} delivered, "
              f"{duplicates} duplicate(s), {queued_before_restart} queued across the restart")
    finally:
        sink2.close()
        store2.close()


@pytest.mark.parametrize("n", [pytest.param(1000, id="1k"),
                               pytest.param(10_000, id="10k", marks=pytest.mark.slow)])
def test_burst_through_the_outbox(broker: Broker, make_listener: MakeListener,
                                  store: EventStore, controls: FakeControls, n: int) -> None:
    """A burst of ``n`` info events: all delivered once, in order; prints the throughput."""
    ha = make_listener(broker, EVENTS)
    sink = _sink(broker, store, controls, outbox_max_items=max(n, 10))
    try:
        assert wait_until(lambda: sink.connected)
        t0 = time.perf_counter()
        for i in range(n):
            sink.on_event(event("new", f"b{i:05d}", label="walking", level="info",
                                rule="activity"))
        queued_s = time.perf_counter() - t0
        assert ha.wait(lambda s: len(s.on(EVENTS)) >= n, 120)
        total_s = time.perf_counter() - t0
        assert wait_until(lambda: sink.outbox_pending == 0, 10)
        got = _ids(ha)
        assert got == [f"b{i:05d}" for i in range(n)]
        print(f"\nburst of {n}: queued in {queued_s:.2f} s ({n / queued_s:.0f}/s), all "
              f"delivered and acknowledged in {total_s:.2f} s ({n / total_s:.0f}/s), "
              f"lost 0, duplicates {len(got) - n}")
    finally:
        sink.close()


@pytest.mark.parametrize("n", [pytest.param(1000, id="1k"),
                               pytest.param(10_000, id="10k", marks=pytest.mark.slow)])
def test_backlog_drains_in_order(broker: Broker, make_listener: MakeListener,
                                 store: EventStore, controls: FakeControls, n: int) -> None:
    """``n`` alerts queued before the sink connects (an outage's backlog), then sent."""
    ha = make_listener(broker, EVENTS)
    sink = MqttSink(make_config(broker, outbox_max_items=max(2 * n, 10)), store, controls,
                    model_name="m", class_names=CLASSES, sw_version="0")
    try:
        for i in range(n):
            sink.on_event(event("new", f"q{i:05d}", level="warning", rule="no_person",
                                label="no person"))
        assert sink.outbox_pending == 2 * n  # the event and its Home Assistant alert
        t0 = time.perf_counter()
        sink.start()
        assert ha.wait(lambda s: len(s.on(EVENTS)) >= n, 120)
        assert wait_until(lambda: sink.outbox_pending == 0, 30)
        total_s = time.perf_counter() - t0
        got = _ids(ha)
        assert got == [f"q{i:05d}" for i in range(n)]
        print(f"\nbacklog of {n} alerts ({2 * n} messages): connected, sent and acknowledged "
              f"in {total_s:.2f} s ({2 * n / total_s:.0f} messages/s), lost 0, "
              f"duplicates {len(got) - n}")
    finally:
        sink.close()
