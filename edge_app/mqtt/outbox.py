"""The persistent MQTT outbox: every event and alert is on disk before it is sent.

A table ``mqtt_outbox`` in the event store's SQLite file (written through
``EventStore.transaction()``, so it shares the store's connection and lock). Rows are
kept in insertion order (``seq``) per device and deleted only after the broker
acknowledged them (QoS 1 PUBACK), so a broker outage or an app restart loses nothing:
the next connection sends the backlog in order. Delivery is therefore *at least once*:
a message whose PUBACK was lost (connection cut, crash) is sent again.

Bounded: past ``max_items`` rows or ``max_age_s`` seconds the oldest ``info`` rows are
dropped first, then ``warning`` rows; ``critical`` rows are never dropped. Every drop
is logged with how many and why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from edge_app.store import EventStore

__all__ = ["OutMessage", "Outbox", "OutboxRow"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mqtt_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    level TEXT NOT NULL,
    created_wall REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS mqtt_outbox_device ON mqtt_outbox(device_id, seq);
"""

# Dropped first to last when over a bound; "critical" is never dropped.
_DROPPABLE = ("info", "warning")


@dataclass(frozen=True)
class OutMessage:
    """A message to queue: ``payload`` is text (JSON), ``level`` decides what may be
    dropped when the outbox is full (``info`` < ``warning`` < ``critical``)."""

    topic: str
    payload: str
    qos: int = 1
    retain: bool = False
    level: str = "info"


@dataclass(frozen=True)
class OutboxRow:
    """A queued message with its place in the queue (``seq``) and when it was queued
    (epoch s)."""

    seq: int
    topic: str
    payload: str
    qos: int
    retain: bool
    level: str
    created_wall: float


class Outbox:
    """The outbox of one device (``device_id``) in ``store``'s SQLite file."""

    def __init__(self, store: EventStore, device_id: str, *, max_items: int,
                 max_age_s: float) -> None:
        self._store = store
        self.device_id = device_id
        self.max_items = max_items
        self.max_age_s = max_age_s
        with store.lock:
            store.connection.executescript(_SCHEMA)
            row = store.connection.execute(
                "SELECT COUNT(*) FROM mqtt_outbox WHERE device_id=?", (device_id,)).fetchone()
        self._count = int(row[0])
        self._count_lock = threading.Lock()
        self._over_logged = -1e9

    def __len__(self) -> int:
        """Messages waiting for a PUBACK (a cached count, no query)."""
        return self._count

    def put(self, messages: Sequence[OutMessage], *, now: float | None = None) -> list[int]:
        """Queue ``messages`` in one transaction (in order); returns their ``seq``s.

        Enforces ``max_items`` right away, dropping the oldest droppable rows.
        """
        if not messages:
            return []
        wall = time.time() if now is None else now
        seqs: list[int] = []
        dropped: dict[str, int] = {}
        with self._store.transaction() as c:
            for m in messages:
                cur = c.execute(
                    "INSERT INTO mqtt_outbox(device_id, topic, payload, qos, retain, level,"
                    " created_wall) VALUES (?,?,?,?,?,?,?)",
                    (self.device_id, m.topic, m.payload, m.qos, int(m.retain), m.level, wall))
                seqs.append(int(cur.lastrowid or 0))
            with self._count_lock:
                self._count += len(messages)
                excess = self._count - self.max_items
            for level in _DROPPABLE:
                if excess <= 0:
                    break
                n = c.execute(
                    "DELETE FROM mqtt_outbox WHERE seq IN (SELECT seq FROM mqtt_outbox WHERE"
                    " device_id=? AND level=? ORDER BY seq LIMIT ?)",
                    (self.device_id, level, excess)).rowcount
                if n:
                    dropped[level] = n
                    excess -= n
        if excess > 0 and time.monotonic() - self._over_logged > 60.0:
            self._over_logged = time.monotonic()
            log.warning("MQTT outbox holds %d messages, over mqtt.outbox_max_items=%d, and "
                        "all the oldest are critical alerts: they are kept", len(self),
                        self.max_items)
        if dropped:
            self._forget(sum(dropped.values()))
            log.warning(
                "MQTT outbox full (mqtt.outbox_max_items=%d): dropped the oldest %s; "
                "critical alerts are kept. The broker has been unreachable for a while: "
                "check mqtt.host/mqtt.port", self.max_items, _describe(dropped))
        return seqs

    def last_seq(self) -> int:
        """The newest queued ``seq`` of this device (0 when empty)."""
        with self._store.lock:
            row = self._store.connection.execute(
                "SELECT MAX(seq) FROM mqtt_outbox WHERE device_id=?", (self.device_id,)
            ).fetchone()
        return int(row[0] or 0)

    def pending(self, *, after_seq: int = 0, limit: int = 100) -> list[OutboxRow]:
        """Up to ``limit`` queued messages with ``seq > after_seq``, oldest first."""
        with self._store.lock:
            rows = self._store.connection.execute(
                "SELECT seq, topic, payload, qos, retain, level, created_wall FROM mqtt_outbox"
                " WHERE device_id=? AND seq>? ORDER BY seq LIMIT ?",
                (self.device_id, after_seq, limit)).fetchall()
        return [OutboxRow(int(r[0]), str(r[1]), str(r[2]), int(r[3]), bool(r[4]), str(r[5]),
                          float(r[6])) for r in rows]

    def remove(self, seqs: Iterable[int]) -> int:
        """Delete acknowledged messages; returns how many were still there."""
        ids = list(seqs)
        if not ids:
            return 0
        n = 0
        with self._store.transaction() as c:
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                marks = ",".join("?" * len(chunk))
                n += c.execute(f"DELETE FROM mqtt_outbox WHERE seq IN ({marks})",
                               chunk).rowcount
        self._forget(n)
        return n

    def prune(self, *, now: float | None = None) -> int:
        """Drop droppable rows older than ``max_age_s``; returns how many."""
        cutoff = (time.time() if now is None else now) - self.max_age_s
        dropped: dict[str, int] = {}
        with self._store.transaction() as c:
            for level in _DROPPABLE:
                n = c.execute("DELETE FROM mqtt_outbox WHERE device_id=? AND level=? AND"
                              " created_wall<?", (self.device_id, level, cutoff)).rowcount
                if n:
                    dropped[level] = n
        total = sum(dropped.values())
        if total:
            self._forget(total)
            log.warning("MQTT outbox: dropped %s older than mqtt.outbox_max_age_s=%.0f s "
                        "that the broker never acknowledged; critical alerts are kept",
                        _describe(dropped), self.max_age_s)
        return total

    def _forget(self, n: int) -> None:
        with self._count_lock:
            self._count = max(0, self._count - n)


def _describe(dropped: dict[str, int]) -> str:
    return " and ".join(f"{n} {level}-level message{'s' if n != 1 else ''}"
                        for level, n in dropped.items())
