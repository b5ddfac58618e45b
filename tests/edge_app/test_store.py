from __future__ import annotations

from pathlib import Path

from edge_app.store import EventStore
from edge_app.types import Event


def _ev(kind: str, iid: str, t: float, end: float | None = None, score: float = 0.8,
        level: str = "critical") -> Event:
    return Event(type=kind, id=iid, label="falling", level=level, score=score,  # type: ignore[arg-type]
                 start_time=t, end_time=end, source="test", rule="fall", wall_time=1000.0 + t)


def test_incident_lifecycle_ack_and_restart(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    store = EventStore(db)
    store.record(_ev("new", "a", 1.0))
    store.record(_ev("update", "a", 1.0, score=0.95))
    assert store.get("a") is not None and store.get("a").is_open  # type: ignore[union-attr]
    store.record(_ev("end", "a", 1.0, end=5.0))
    assert store.acknowledge("a", "carer") and not store.acknowledge("zzz", "carer")
    store.close()

    again = EventStore(db)
    inc = again.get("a")
    assert inc is not None and inc.end_time == 5.0 and inc.score == 0.95
    assert inc.acknowledged_by == "carer" and inc.duration == 4.0
    assert [m["type"] for m in again.messages("a")] == ["new", "update", "end"]
    assert len(again.incidents(since_wall=1000.0, min_level="critical")) == 1
    assert again.incidents(since_wall=2000.0) == []


def test_dangling_incidents_are_closed_at_start(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "e.db")
    store.record(_ev("new", "b", 2.0, level="info"))
    assert store.close_dangling() == 1
    assert store.incidents(open_only=True) == []


def test_the_pipeline_applies_store_retention_at_start(tmp_path: Path) -> None:
    """store.retention_days is applied (history older than it leaves the store)."""
    import time

    from edge_app.app import EdgeApp
    from edge_app.config import load_config
    from tests.edge_app.conftest import DEMO_VIDEO

    db = tmp_path / "events.db"
    store = EventStore(db)
    now = time.time()
    old = Event("new", "old", "walking", "info", 0.8, 1.0, None, "cam", "activity",
                now - 40 * 86400)
    store.record(old)
    store.record(Event("end", "old", "walking", "info", 0.8, 1.0, 2.0, "cam", "activity",
                       now - 40 * 86400))
    store.record(Event("new", "recent", "walking", "info", 0.8, 1.0, None, "cam", "activity",
                       now - 86400))
    store.record(Event("end", "recent", "walking", "info", 0.8, 1.0, 2.0, "cam", "activity",
                       now - 86400))
    store.close()
    cfg = load_config(overrides=[f"store.path={db}", "store.retention_days=30",
                                 "mqtt.enabled=false", "model.backend=onnxruntime"])
    p = EdgeApp(cfg, source=str(DEMO_VIDEO))
    try:
        assert p.store.get("old") is None
        assert p.store.get("recent") is not None
        assert p.store.messages("old") == []
    finally:
        p.stop()
