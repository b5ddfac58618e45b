"""The persistent outbox: order, removal, restart, bounds (no broker needed)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edge_app.mqtt import Outbox, OutMessage
from edge_app.store import EventStore


def _msgs(n: int, level: str = "info", start: int = 0) -> list[OutMessage]:
    return [OutMessage("t", f"{level}-{start + i}", 1, False, level) for i in range(n)]


def test_order_removal_and_restart(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    store = EventStore(path)
    box = Outbox(store, "dev", max_items=100, max_age_s=3600)
    seqs = box.put(_msgs(5))
    assert seqs == sorted(seqs) and len(box) == 5
    assert box.remove(seqs[:2]) == 2
    store.close()
    # a new process on the same file sees the rest, in order
    store2 = EventStore(path)
    box2 = Outbox(store2, "dev", max_items=100, max_age_s=3600)
    assert len(box2) == 3 and box2.last_seq() == seqs[-1]
    assert [r.payload for r in box2.pending()] == ["info-2", "info-3", "info-4"]
    assert [r.payload for r in box2.pending(after_seq=seqs[3])] == ["info-4"]
    # another device sharing the file has its own queue
    other = Outbox(store2, "other", max_items=100, max_age_s=3600)
    assert len(other) == 0 and other.pending() == []
    store2.close()


def test_size_bound_drops_oldest_info_then_warning_never_critical(
        caplog: pytest.LogCaptureFixture) -> None:
    box = Outbox(EventStore(":memory:"), "dev", max_items=10, max_age_s=3600)
    box.put(_msgs(3, "critical"))
    box.put(_msgs(3, "warning"))
    with caplog.at_level(logging.WARNING, logger="edge_app.mqtt.outbox"):
        box.put(_msgs(8, "info"))
    assert len(box) == 10
    payloads = [r.payload for r in box.pending(limit=100)]
    assert payloads[:6] == ["critical-0", "critical-1", "critical-2", "warning-0",
                            "warning-1", "warning-2"]
    assert payloads[6:] == ["info-4", "info-5", "info-6", "info-7"]
    assert "dropped the oldest 4 info-level messages" in caplog.text
    assert "critical alerts are kept" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="edge_app.mqtt.outbox"):
        box.put(_msgs(12, "critical", start=3))
    kept = [r.payload for r in box.pending(limit=100)]
    assert [p for p in kept if p.startswith("critical")] == [f"critical-{i}" for i in range(15)]
    assert not any(p.startswith(("info", "warning")) for p in kept)
    assert "warning-level" in caplog.text and "all the oldest are critical" in caplog.text


def test_age_bound(caplog: pytest.LogCaptureFixture) -> None:
    box = Outbox(EventStore(":memory:"), "dev", max_items=100, max_age_s=60)
    box.put(_msgs(2, "info"), now=1000.0)
    box.put(_msgs(1, "critical"), now=1000.0)
    box.put(_msgs(1, "info", start=9), now=1100.0)
    with caplog.at_level(logging.WARNING, logger="edge_app.mqtt.outbox"):
        assert box.prune(now=1120.0) == 2
    assert [r.payload for r in box.pending()] == ["critical-0", "info-9"]
    assert "older than mqtt.outbox_max_age_s=60" in caplog.text
