"""The event store: SQLite history of every activity segment and alert.

Survives restarts, is queried by time (the dashboard's timeline, ``doctor``), and keeps
acknowledgements. WAL mode, one connection guarded by a lock (pipeline threads and the
GUI thread both use it). Other modules (the MQTT outbox) may keep their own tables in
the same file.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from edge_app.types import DEFAULT_CAMERA, Event

__all__ = ["EventStore", "Incident", "StoreError"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    level TEXT NOT NULL,
    rule TEXT NOT NULL,
    source TEXT NOT NULL,
    start_time REAL NOT NULL,
    end_time REAL,
    score REAL NOT NULL,
    created_wall REAL NOT NULL,
    updated_wall REAL NOT NULL,
    ended_wall REAL,
    acknowledged_by TEXT,
    acknowledged_at REAL,
    camera TEXT NOT NULL DEFAULT 'camera'
);
CREATE INDEX IF NOT EXISTS incidents_created ON incidents(created_wall);
CREATE INDEX IF NOT EXISTS incidents_start ON incidents(start_time);
CREATE TABLE IF NOT EXISTS event_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    wall_time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS event_log_wall ON event_log(wall_time);
"""


class StoreError(RuntimeError):
    """The store cannot be opened or written (path, permissions, corrupt file)."""


@dataclass(frozen=True)
class Incident:
    """One row of history: an activity segment or an alert, open while ``end_time`` is None."""

    id: str
    label: str
    level: str
    rule: str
    source: str
    start_time: float
    end_time: float | None
    score: float
    created_wall: float
    updated_wall: float
    ended_wall: float | None
    acknowledged_by: str | None
    acknowledged_at: float | None
    camera: str = DEFAULT_CAMERA  # which camera of the app raised it

    @property
    def is_open(self) -> bool:
        return self.end_time is None

    @property
    def duration(self) -> float:
        end = self.end_time if self.end_time is not None else self.start_time
        return max(0.0, end - self.start_time)


class EventStore:
    """SQLite event history at ``path`` (``:memory:`` for tests)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                str(path), check_same_thread=False, timeout=10.0, isolation_level=None
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the event store {path}: {exc}. Check the path and "
                             "its permissions (store.path or data_dir in the config)") from exc
        self._lock = threading.RLock()

    def _migrate(self) -> None:
        """Bring a store written by an older version up to this schema (columns added
        since; nothing is ever dropped). Before cameras were named, one camera: its
        incidents belong to the default camera."""
        cols = {r[1] for r in self._conn.execute("PRAGMA table_info(incidents)").fetchall()}
        if "camera" not in cols:
            self._conn.execute("ALTER TABLE incidents ADD COLUMN camera TEXT NOT NULL "
                               f"DEFAULT '{DEFAULT_CAMERA}'")
            log.info("event store %s: added the camera column", self.path)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on the shared connection (other modules may use it)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    # ------------------------------------------------------------------ writing
    def record(self, event: Event) -> None:
        """Store one ``new``/``update``/``end`` message and update its incident."""
        now = event.wall_time or time.time()
        payload = json.dumps(event.to_dict())
        with self.transaction() as c:
            c.execute(
                "INSERT INTO event_log(id, type, payload, wall_time) VALUES (?,?,?,?)",
                (event.id, event.type, payload, now),
            )
            if event.type == "new":
                c.execute(
                    "INSERT OR REPLACE INTO incidents(id, label, level, rule, source, start_time,"
                    " end_time, score, created_wall, updated_wall, camera)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (event.id, event.label, event.level, event.rule, event.source,
                     event.start_time, None, event.score, now, now, event.camera),
                )
            else:
                c.execute(
                    "UPDATE incidents SET level=?, score=MAX(score, ?), updated_wall=?,"
                    " end_time=COALESCE(?, end_time),"
                    " ended_wall=CASE WHEN ? = 'end' THEN ? ELSE ended_wall END WHERE id=?",
                    (event.level, event.score, now, event.end_time if event.type == "end"
                     else None, event.type, now, event.id),
                )

    def acknowledge(self, incident_id: str, by: str, at: float | None = None) -> bool:
        """Mark an incident acknowledged; False if there is no such incident."""
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE incidents SET acknowledged_by=?, acknowledged_at=? WHERE id=?",
                (by, at if at is not None else time.time(), incident_id),
            )
            return cur.rowcount > 0

    def problems(self) -> list[str]:
        """What SQLite's ``quick_check`` finds wrong with the file (empty: sound)."""
        try:
            with self._lock:
                rows = self._conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.Error as exc:
            return [str(exc)]
        found = [str(r[0]) for r in rows]
        return [] if found == ["ok"] else found

    @classmethod
    def open_checked(cls, path: str | Path) -> EventStore:
        """Open the store at ``path``; a damaged file is moved aside (kept, never deleted:
        ``<name>.corrupt-<time>``) and a new store started, with an error logged, so the
        monitoring goes on and the old history can still be recovered."""
        p = Path(path)
        try:
            store = cls(p)
            problems = store.problems()
        except StoreError as exc:
            if not p.is_file():
                raise
            problems = [str(exc)]
            store = None
        if not problems:
            return store  # type: ignore[return-value]
        if store is not None:
            store.close()
        aside = p.with_name(f"{p.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(p) + suffix)
            if part.exists():
                part.replace(Path(str(aside) + suffix))
        log.error("the event store %s is damaged (%s); moved it to %s and started a new one "
                  "(sqlite3 %s '.recover' can get back what is readable)", p,
                  "; ".join(problems[:3]), aside.name, aside.name)
        return cls(p)

    def open_down(self, source: str, rules: tuple[str, ...], max_age_s: float, *,
                  camera: str = DEFAULT_CAMERA) -> list[Incident]:
        """Open incidents of ``rules`` (a fall, a long lie) of ``camera`` watching
        ``source``, raised less than ``max_age_s`` ago: someone who was down when the app
        stopped."""
        cutoff = time.time() - max_age_s
        return [i for i in self.incidents(open_only=True)
                if i.rule in rules and i.source == source and i.camera == camera
                and i.created_wall >= cutoff]

    def close_dangling(self, end_wall: float | None = None, *,
                       keep: tuple[str, ...] = (), camera: str | None = None) -> int:
        """Close incidents left open by a crash (at start-up), except the ids in ``keep``
        (incidents the new run carries on); only ``camera``'s when given. Returns how
        many were closed."""
        now = end_wall if end_wall is not None else time.time()
        marks = ",".join("?" * len(keep))
        spare = f" AND id NOT IN ({marks})" if keep else ""
        only = " AND camera = ?" if camera is not None else ""
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE incidents SET end_time=start_time + (updated_wall - created_wall),"
                " ended_wall=? WHERE end_time IS NULL" + spare + only,
                (now, *keep, *((camera,) if camera is not None else ())),
            )
            n = cur.rowcount
        if n:
            log.warning("closed %d incident(s) left open by an earlier run", n)
        return n

    def prune(self, retention_days: int) -> int:
        """Delete history older than ``retention_days`` (by wall time)."""
        cutoff = time.time() - retention_days * 86400.0
        with self.transaction() as c:
            n = c.execute("DELETE FROM incidents WHERE created_wall < ? AND end_time IS NOT NULL",
                          (cutoff,)).rowcount
            c.execute("DELETE FROM event_log WHERE wall_time < ?", (cutoff,))
        return n

    # ------------------------------------------------------------------ reading
    def incidents(
        self,
        since_wall: float | None = None,
        until_wall: float | None = None,
        *,
        min_level: str | None = None,
        open_only: bool = False,
        limit: int | None = None,
    ) -> list[Incident]:
        """Incidents created in ``[since_wall, until_wall)`` (epoch s), oldest first."""
        where, args = [], []
        if since_wall is not None:
            where.append("created_wall >= ?")
            args.append(since_wall)
        if until_wall is not None:
            where.append("created_wall < ?")
            args.append(until_wall)
        if min_level == "warning":
            where.append("level IN ('warning', 'critical')")
        elif min_level == "critical":
            where.append("level = 'critical'")
        if open_only:
            where.append("end_time IS NULL")
        sql = "SELECT * FROM incidents"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_wall, start_time"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [Incident(**dict(r)) for r in rows]

    def get(self, incident_id: str) -> Incident | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM incidents WHERE id=?",
                                     (incident_id,)).fetchone()
        return Incident(**dict(row)) if row else None

    def messages(self, incident_id: str | None = None) -> list[dict[str, object]]:
        """The stored ``new``/``update``/``end`` messages, in order."""
        with self._lock:
            if incident_id is None:
                rows = self._conn.execute("SELECT payload FROM event_log ORDER BY seq").fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT payload FROM event_log WHERE id=? ORDER BY seq", (incident_id,)
                ).fetchall()
        return [json.loads(r["payload"]) for r in rows]

    def size_mb(self) -> float:
        """The store's size on disk (database and write-ahead log), in MB."""
        if self.path is None:
            return 0.0
        total = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                total += Path(str(self.path) + suffix).stat().st_size
        return total / 1e6

    def close(self) -> None:
        with self._lock, suppress(sqlite3.Error):
            self._conn.close()


def check_store_file(path: str | Path) -> list[str]:
    """Problems of the event store file at ``path``, read only (nothing is changed): empty
    when it is sound or does not exist yet."""
    p = Path(path)
    if not p.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=5.0)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'").fetchall()}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [f"{exc} (not an event store, or damaged)"]
    found = [str(r[0]) for r in rows]
    problems = [] if found == ["ok"] else found
    if not problems and not {"incidents", "event_log"} <= tables:
        problems.append(f"no incidents/event_log tables (tables: {sorted(tables)}): not an "
                        "event store")
    return problems
