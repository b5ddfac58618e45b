"""The MQTT sink: events, alerts, states and diagnostics to any MQTT consumer and Home
Assistant, with nothing lost while the broker is away.

Threads:

- pipeline threads call ``on_event`` / ``on_window`` / ``on_status``: they write to the
  SQLite outbox or update the wanted states, then return (no network I/O);
- paho's network thread (``loop_start``) runs the callbacks: connect, PUBACK, commands;
- one sender thread (``mqtt-sender``) does all publishing: it hands outbox rows to paho in
  order (at most ``_WINDOW`` unacknowledged), publishes retained states when they change
  (activity/confidence/presence at most every ``mqtt.state_interval_s``), discovery,
  diagnostics, and applies commands through ``Controls``.

Ordering after a reconnect: paho re-sends the QoS 1 messages it still holds first; the
sender waits for their PUBACKs before handing it anything new, so the backlog goes out in
the order it was raised and a stale retained state never overwrites a fresh one. A row
leaves the outbox only when its PUBACK arrives: delivery is *at least once*.

Cameras: with one camera (no ``cameras:`` list) the states, alerts and commands are the
app's, on ``<base>/...``, as they always were. With several (the controls are a
``CameraSet``, e.g. ``EdgeApp``), each camera has its own on ``<base>/<camera>/...`` and
its own Home Assistant device; events, windows and statuses go to the camera their
``camera`` field names, and a camera's commands go to ``controls.camera_named(name)``.

Source switching: ``<base>[/<camera>]/source/set`` carries the text of a source (what
``parse_source`` reads) to that camera's ``switch_source``; ``.../source/state`` shows the
source in use with its credentials masked (read from the camera every round of the
sender, so a switch from the dashboard shows too), and ``.../source/error`` the outcome of
the last source command (``none``, or why it was refused or could not be opened).
"""

from __future__ import annotations

import json
import logging
import random
import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote

import paho.mqtt.client as mqtt
from paho.mqtt.client import ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from edge_app.config import AppConfig
from edge_app.mqtt.client import (
    MqttClient,
    MqttSetupError,
    build_client,
    describe_closed,
    describe_connack,
    describe_error,
    uses_tls,
)
from edge_app.mqtt.discovery import (
    MAX_SOURCE_CHARS,
    build_app_discovery,
    build_camera_discovery,
    build_discovery,
    camera_devices,
)
from edge_app.mqtt.outbox import Outbox, OutMessage
from edge_app.mqtt.topics import TopicError, Topics, per_camera, slug
from edge_app.sources import SourceError, parse_source, redact_source
from edge_app.store import EventStore, StoreError
from edge_app.types import (
    Controls,
    Event,
    PipelineStatus,
    SinkBase,
    SinkHealth,
    WindowResult,
)

__all__ = ["COMMAND_FEATURES", "DOWN_RULES", "CameraSet", "CameraSwitches", "MqttSink",
           "NamedCamera", "SourceSwitch", "event_type_for", "shown_source"]

log = logging.getLogger(__name__)

ONLINE, STOPPED = "online", "stopped"
ON, OFF = "ON", "OFF"
# Incidents of these rules mean the person is down: `person_down` is ON while one is open.
DOWN_RULES = frozenset({"fall", "long_lie"})
_FIXED_RULES = frozenset({"fall", "recovered_fall", "possible_fall", "long_lie", "no_person"})
COMMAND_FEATURES = ("privacy", "monitoring")  # ON/OFF commands; "source" takes text
NO_ERROR = "none"  # .../source/error when the last source command worked
_TRUE = frozenset({"ON", "TRUE", "1", "YES", "ENABLE", "ENABLED"})
_FALSE = frozenset({"OFF", "FALSE", "0", "NO", "DISABLE", "DISABLED"})

_WINDOW = 100  # outbox messages handed to paho and not yet acknowledged
_BARRIER_TIMEOUT_S = 15.0  # longest wait for paho's re-sends after a reconnect
_TICK_S = 0.5  # the sender's longest sleep


def event_type_for(event: Event) -> str:
    """The Home Assistant ``event_type`` of an alert: its rule for the fixed rules (fall,
    recovered_fall, possible_fall, long_lie, no_person), else the slug of its class label."""
    return event.rule if event.rule in _FIXED_RULES else slug(event.label)


def _on_off(value: bool) -> str:
    return ON if value else OFF


def shown_source(text: str) -> str:
    """A source as MQTT and Home Assistant show it: credentials masked
    (``rtsp://user:***@host/...``), at most 255 characters (Home Assistant's limit)."""
    shown = redact_source(text)
    return shown if len(shown) <= MAX_SOURCE_CHARS else shown[:MAX_SOURCE_CHARS - 1] + "\u2026"


def check_source_command(payload: bytes) -> tuple[str, str]:
    """``(source text, "")`` for a usable source command, or ``("", why not)``: empty, too
    long, not UTF-8, control characters, a ``gst:`` pipeline (refused over MQTT: its
    elements can read and write any file), a URL that asks the app to listen (it would
    open a port on the device: ``asks_to_listen``), or text that names no source."""
    if len(payload) > 4 * MAX_SOURCE_CHARS:
        return "", f"too long ({len(payload)} bytes; at most {MAX_SOURCE_CHARS} characters)"
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return "", "not UTF-8 text"
    if not text:
        return "", ("empty: send a camera index (0), a video file path, an rtsp:// or "
                    "http:// URL or a keypoint .pkl")
    if len(text) > MAX_SOURCE_CHARS:
        return "", f"too long ({len(text)} characters; at most {MAX_SOURCE_CHARS})"
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "", "control characters in it (one line of text expected)"
    try:
        spec = parse_source(text)
    except SourceError as exc:
        return "", str(exc)
    if spec.kind == "gstreamer":
        return "", ("gst: pipelines are not accepted over MQTT (GStreamer elements can read "
                    "and write any file); set it in the config or on the dashboard")
    if spec.kind == "stream" and asks_to_listen(text):
        return "", ("a URL that asks the app to listen (a listen option: it would open a "
                    "port on this device) is not accepted over MQTT; give the camera's "
                    "address, or set it in the config or on the dashboard")
    return text, ""


# an option of a stream URL: after "?", "&", ";" or a blank (ffmpeg's and librtmp's)
_URL_OPTION = re.compile(r"[?&;\s](?P<key>[^=&;?#\s]*)(?:=(?P<value>[^&;?#\s]*))?")


def asks_to_listen(text: str) -> bool:
    """``text`` asks ffmpeg to listen for a connection instead of connecting to a camera:
    an option named ``listen`` (``?listen``, ``listen=1``, ``rtmp_listen=1``,
    ``listen_timeout=``) or set to it (``rtsp_flags=listen``), percent-encoded or not.
    ffmpeg's tcp, udp, http and rtmp listen modes open a port on the device."""
    for m in _URL_OPTION.finditer(unquote(text)):
        key, value = m.group("key").lower(), (m.group("value") or "").lower()
        if "listen" in key or "listen" in re.split(r"[+|,]", value):
            return True
    return False


def _shown_payload(payload: bytes) -> str:
    """A refused source command as the log and ``source/error`` may show it: masked
    first (``redact_source``), then cut; never the text of one too long or not on one
    line (what masks a password could miss its end there)."""
    text = payload.decode("utf-8", "replace").strip()
    if len(payload) > 4 * MAX_SOURCE_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return f"a source command of {len(payload)} bytes"
    shown = shown_source(text)
    return repr(shown if len(shown) <= 80 else shown[:79] + "\u2026")


class CameraSwitches(Protocol):
    """What MQTT commands change in one camera (or in every camera, for the app)."""

    def set_privacy(self, enabled: bool) -> None: ...

    def set_monitoring(self, enabled: bool) -> None: ...

    @property
    def privacy(self) -> bool: ...

    @property
    def monitoring(self) -> bool: ...


@runtime_checkable
class SourceSwitch(Protocol):
    """What a source command reaches: a camera (``edge_app.camera.CameraPipeline``).
    ``switch_source`` raises ``SourceError`` for text that names no source;
    ``source_text`` is the source in use, ``switching`` says a switch is on its way and
    ``switch_error`` why the last one was not taken ("" when it was)."""

    def switch_source(self, uri: str) -> None: ...

    @property
    def source_text(self) -> str: ...

    @property
    def switching(self) -> bool: ...

    @property
    def switch_error(self) -> str: ...


class NamedCamera(CameraSwitches, Protocol):
    """One camera of the app: its name (a slug, used in topics) and its room."""

    @property
    def name(self) -> str: ...

    @property
    def room(self) -> str: ...


@runtime_checkable
class CameraSet(Protocol):
    """Controls that know their cameras (``edge_app.app.EdgeApp``): with several, each
    camera gets its own topics and Home Assistant device."""

    @property
    def cameras(self) -> Sequence[NamedCamera]: ...

    def camera_named(self, name: str) -> CameraSwitches: ...


@dataclass
class _Watch:
    """The states, alerts and commands of one camera (or, with one camera, of the app):
    ``camera`` "" matches every camera's messages."""

    camera: str
    topics: Topics
    controls: CameraSwitches
    source: SourceSwitch | None = None  # where source commands go (None: nowhere)
    down: set[str] = field(default_factory=set)  # open fall/long-lie incident ids
    last_diag: float = -1e18  # on_status only
    asked: str | None = None  # a source command on its way (masked); sender thread only


class MqttSink(SinkBase):
    """Publishes the pipeline's events and states to MQTT (see ``docs/mqtt.md``).

    ``start()`` connects in the background and never blocks or raises when the broker is
    down; ``close()`` flushes for at most ``mqtt.flush_timeout_s``, publishes ``stopped``
    and disconnects. Raises ``MqttSetupError`` at construction only for a prefix that
    cannot make topics.
    """

    name = "mqtt"
    # Random delay before republishing discovery after Home Assistant comes online (s).
    rediscovery_delay_s: tuple[float, float] = (0.5, 3.0)

    def __init__(
        self,
        cfg: AppConfig,
        store: EventStore,
        controls: Controls,
        *,
        model_name: str,
        class_names: Sequence[str],
        sw_version: str,
    ) -> None:
        self._cfg = cfg.mqtt
        try:
            self.topics = Topics.from_config(self._cfg)
        except TopicError as exc:
            raise MqttSetupError(str(exc)) from None
        self._store = store
        self._outbox = Outbox(store, self._cfg.device_id, max_items=self._cfg.outbox_max_items,
                              max_age_s=self._cfg.outbox_max_age_s)
        cameras = list(controls.cameras) if isinstance(controls, CameraSet) else []
        self.per_camera = per_camera([c.name for c in cameras])
        discovery: list[tuple[str, dict[str, Any]]]
        if self.per_camera and isinstance(controls, CameraSet):
            self._watches = [_Watch(c.name, self.topics.for_camera(c.name),
                                    controls.camera_named(c.name),
                                    _source_of(controls.camera_named(c.name)))
                             for c in cameras]
            discovery = [(self.topics.discovery, build_app_discovery(
                self._cfg, self.topics, model_name=model_name, sw_version=sw_version))]
            # the app's device first: each camera's names it as its via_device
            for dev in camera_devices([(c.name, c.room) for c in cameras]):
                discovery.append((self.topics.for_camera(dev.name).discovery,
                                  build_camera_discovery(
                                      self._cfg, self.topics, dev, model_name=model_name,
                                      class_names=class_names, sw_version=sw_version)))
        else:
            # the app's privacy and monitoring; the source is its (only) camera's
            one = controls.camera_named(cameras[0].name) \
                if cameras and isinstance(controls, CameraSet) else controls
            self._watches = [_Watch("", self.topics, controls, _source_of(one))]
            discovery = [(self.topics.discovery, build_discovery(
                self._cfg, self.topics, model_name=model_name, class_names=class_names,
                sw_version=sw_version))]
        self._discovery = [(topic, json.dumps(payload, separators=(",", ":")))
                           for topic, payload in discovery]
        self._by_camera = {w.camera: w for w in self._watches}
        self._command_topics = {w.topics.command(f): (w, f) for w in self._watches
                                for f in (*COMMAND_FEATURES, "source") if
                                f != "source" or w.source is not None}
        self._limited = frozenset(t for w in self._watches for t in (
            w.topics.activity, w.topics.confidence, w.topics.person_present))
        self.client_id = self._cfg.client_id or f"epam-edge-{self._cfg.device_id}"
        self._client: MqttClient | None = None
        self._thread: threading.Thread | None = None

        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        # --- guarded by _lock
        self._connected = False
        self._stopping = False
        self._resync = False
        self._online_due = False  # announce `online` after the next round of states
        self._refused = False
        self._barrier: set[int] = set()
        self._barrier_since = 0.0
        self._pending: dict[int, tuple[int | None, int]] = {}  # mid -> (outbox seq, qos)
        self._early: set[int] = set()  # PUBACKs that beat publish() returning
        self._acked: list[int] = []  # outbox seqs acknowledged, to delete
        self._commands: list[tuple[_Watch, str, bool | str]] = []
        self._republish: set[str] = set()  # states to send again even if unchanged
        self._generation = 0  # bumped on every connect and disconnect
        self._dirty = False  # work arrived since the sender last looked
        self._desired: dict[str, str] = {}
        self._diagnostics: dict[str, str] = {}  # topic -> JSON, to publish
        self._discovery_due: float | None = None
        self._last_put_seq = self._outbox.last_seq()
        self._last_error: str | None = None
        self._logged_failure: str | None = None
        # --- sender thread only
        self._last_handed = 0
        self._published: dict[str, str] = {}
        self._sent_at: dict[str, float] = {}
        self._next_prune = 0.0
        # --- pipeline thread (on_status) only
        self._last_diag = -1e18

    # ------------------------------------------------------------------ public
    @property
    def connected(self) -> bool:
        """Connected to the broker right now."""
        return self._connected

    @property
    def last_error(self) -> str | None:
        """Why the last connection attempt failed (one line), or None once connected."""
        return self._last_error

    @property
    def outbox_pending(self) -> int:
        """Messages in the outbox waiting for the broker's acknowledgement."""
        return len(self._outbox)

    def start(self) -> None:
        """Connect in the background (``connect_async`` + ``loop_start``) and start the
        sender. Never raises: a broker that is down or a bad TLS file is logged, and the
        events keep going to the outbox."""
        if self._thread is not None:
            return
        if self._cfg.snapshots:
            log.warning("mqtt.snapshots is on, but this version publishes no images: only "
                        "events and states leave the device")
        try:
            self._outbox.prune()
        except (sqlite3.Error, StoreError) as exc:
            log.error("MQTT outbox: cannot prune old messages: %s", exc)
        switches = {w.camera: (_read_control(w.controls, "privacy"),
                               _read_control(w.controls, "monitoring")) for w in self._watches}
        try:  # a fall still open from the last run (carried on): person_down stays ON
            down = [(i.id, i.camera) for i in self._store.incidents(open_only=True)
                    if i.rule in DOWN_RULES]
        except (sqlite3.Error, StoreError) as exc:
            log.error("cannot read open incidents for person_down: %s", exc)
            down = []
        with self._lock:
            for incident_id, camera in down:
                watch = self._watch(camera)
                if watch is not None:
                    watch.down.add(incident_id)
            for w in self._watches:
                privacy, monitoring = switches[w.camera]
                self._desired[w.topics.person_down] = _on_off(bool(w.down))
                self._desired[w.topics.state("privacy")] = _on_off(privacy)
                self._desired[w.topics.state("monitoring")] = _on_off(monitoring)
                if w.source is not None:
                    self._desired[w.topics.state("source")] = shown_source(
                        _source_text(w.source))
                    self._desired[w.topics.source_error] = NO_ERROR
                # nothing seen yet in this run: the last run's retained activity, presence
                # and confidence must not stand (an automation on "lying on the floor"
                # would fire at every restart); the first window replaces these in seconds
                for topic, value in ((w.topics.activity, "none"), (w.topics.confidence, "0"),
                                     (w.topics.person_present, _on_off(False))):
                    self._desired.setdefault(topic, value)
        self._thread = threading.Thread(target=self._run, name="mqtt-sender", daemon=True)
        self._thread.start()
        try:
            client = build_client(self._cfg, client_id=self.client_id,
                                  will_topic=self.topics.availability)
        except MqttSetupError as exc:
            self._last_error = str(exc)
            log.error("MQTT is not connecting: %s. Events are kept in the outbox.", exc)
            return
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_pre_connect = self._on_pre_connect
        client.max_inflight_messages_set(_WINDOW + 20)
        log.info("MQTT: connecting to %s:%d as '%s'%s; topics under %s/%s; %d message(s) "
                 "waiting in the outbox", self._cfg.host, self._cfg.port, self.client_id,
                 " with TLS" if uses_tls(self._cfg) else "", self.topics.base,
                 f" (one Home Assistant device per camera: "
                 f"{', '.join(w.camera for w in self._watches)})" if self.per_camera else "",
                 len(self._outbox))
        try:
            client.connect_async(self._cfg.host, self._cfg.port, keepalive=self._cfg.keepalive_s)
            client.loop_start()
        except (ValueError, OSError) as exc:
            self._last_error = describe_error(exc, self._cfg)
            log.error("MQTT is not connecting: %s", self._last_error)
            return
        self._client = client

    def close(self) -> None:
        """Flush what the broker acknowledges within ``mqtt.flush_timeout_s``, publish
        ``stopped``, disconnect. What is left stays in the outbox for the next run."""
        client, thread = self._client, self._thread
        if thread is None:
            return
        deadline = time.monotonic() + self._cfg.flush_timeout_s
        with self._cond:
            while (self._connected and time.monotonic() < deadline
                   and (len(self._outbox) > len(self._acked) or self._waiting_qos_locked())):
                self._kick_locked()
                self._cond.wait(0.05)
            self._stopping = True
            self._kick_locked()
        thread.join(timeout=5.0)
        self._thread = None
        if client is not None:
            if self._connected:
                try:
                    info = client.publish(self.topics.availability, STOPPED, qos=1, retain=True)
                    info.wait_for_publish(timeout=1.0)
                except (RuntimeError, ValueError) as exc:
                    log.debug("MQTT: could not publish 'stopped': %s", exc)
            client.disconnect()
            client.loop_stop()
            self._client = None
        self._flush_acks()
        log.info("MQTT sink closed; %d message(s) left in the outbox for the next run",
                 len(self._outbox))

    # ------------------------------------------------------------------ Sink
    def on_event(self, event: Event) -> None:
        """Queue the incident message (and, for an alert's ``new``, the Home Assistant
        event) in the outbox, in one transaction. Returns without network I/O."""
        qos = self._cfg.qos
        watch = self._watch(event.camera)
        body = event.to_contract()
        body.update(rule=event.rule, device_id=self._cfg.device_id,
                    wall_time=event.wall_time or time.time())
        messages = [OutMessage(self.topics.events, _dumps(body), qos, False, event.level)]
        if event.is_alert and event.type == "new":
            alert = {"event_type": event_type_for(event), "id": event.id,
                     "label": event.label, "level": event.level, "score": event.score,
                     "start_time": event.start_time, "source": event.source,
                     "camera": event.camera, "wall_time": body["wall_time"]}
            topic = watch.topics.alerts if watch is not None else self.topics.alerts
            messages.append(OutMessage(topic, _dumps(alert), qos, False, event.level))
        self._queue(messages)
        if event.rule in DOWN_RULES and watch is not None:
            with self._cond:
                if event.type == "end":
                    watch.down.discard(event.id)
                else:
                    watch.down.add(event.id)
                self._desired[watch.topics.person_down] = _on_off(bool(watch.down))
                self._kick_locked()

    def on_window(self, result: WindowResult) -> None:
        """Current activity, its confidence (0-100 %) and person present as retained
        states: published when they change, at most every ``mqtt.state_interval_s``."""
        watch = self._watch(result.camera)
        if watch is None:
            return
        label, score = result.top
        present = result.person_present
        states = {
            watch.topics.activity: label if present else "none",
            watch.topics.confidence: str(round(score * 100)) if present else "0",
            watch.topics.person_present: _on_off(present),
        }
        with self._cond:
            changed = any(self._desired.get(t) != v for t, v in states.items())
            self._desired.update(states)
            if changed:
                self._kick_locked()

    def on_status(self, status: PipelineStatus) -> None:
        """Privacy/monitoring states of the status's camera at once; its diagnostics (and,
        with a device per camera, the app's) every ``mqtt.diagnostics_interval_s``
        (retained JSON)."""
        watch = self._watch(status.camera)
        if watch is None:
            return
        now = time.monotonic()
        diags: dict[str, str] = {}
        interval = self._cfg.diagnostics_interval_s
        if self.per_camera and now - self._last_diag >= interval:
            self._last_diag = now
            diags[self.topics.diagnostics] = _dumps({
                "cameras": len(self._watches),
                "model": status.model_name,
                "provider": status.provider,
                "outbox": len(self._outbox),
                "connected": self._connected,
                "store_mb": status.store_mb,
            })
        if now - watch.last_diag >= interval:
            watch.last_diag = now
            diags[watch.topics.diagnostics] = _dumps({
                "fps": round(status.source_fps, 2),
                "sample_rate_hz": round(status.sample_rate_hz, 2),
                "pose_ms": round(status.pose_ms, 1),
                "inference_ms": round(status.inference_ms, 1),
                "dropped_frames": status.dropped_frames,
                "skipped_windows": status.skipped_windows,
                "windows": status.windows,
                "model": status.model_name,
                "provider": status.provider,
                "outbox": len(self._outbox),
                "connected": self._connected,
                "problem": status.problem,
                "store_mb": status.store_mb,
            })
        with self._cond:
            self._desired[watch.topics.state("privacy")] = _on_off(status.privacy)
            self._desired[watch.topics.state("monitoring")] = _on_off(status.monitoring)
            self._diagnostics.update(diags)
            self._kick_locked()

    def health(self) -> SinkHealth:
        """Connected, connecting (no attempt failed yet) or disconnected (why)."""
        if self._connected:
            return SinkHealth(self.name, "connected")
        if self._last_error:
            return SinkHealth(self.name, "disconnected", self._last_error)
        return SinkHealth(self.name, "connecting")

    def on_acknowledgement(self, incident_id: str, by: str) -> None:
        """Tell Home Assistant (``alerts`` topic, ``event_type: acknowledged``) that a
        caregiver acknowledged ``incident_id``. Queued in the outbox like an alert."""
        incident = None
        try:
            incident = self._store.get(incident_id)
        except sqlite3.Error as exc:
            log.debug("MQTT: cannot read incident %s: %s", incident_id, exc)
        body: dict[str, Any] = {"event_type": "acknowledged", "id": incident_id, "by": by,
                                "at": time.time()}
        watch: _Watch | None = self._watches[0]
        if incident is not None:
            body.update(label=incident.label, level=incident.level, rule=incident.rule,
                        camera=incident.camera)
            watch = self._watch(incident.camera)
        level = incident.level if incident is not None and incident.level != "info" \
            else "warning"
        topic = watch.topics.alerts if watch is not None else self.topics.alerts
        self._queue([OutMessage(topic, _dumps(body), self._cfg.qos, False, level)])

    # ------------------------------------------------------------------ internals
    def _queue(self, messages: list[OutMessage]) -> None:
        try:
            seqs = self._outbox.put(messages)
        except (sqlite3.Error, StoreError) as exc:
            log.error("MQTT outbox: cannot store %d message(s) (%s); sending them without "
                      "persistence", len(messages), exc)
            client = self._client
            if client is not None:
                for m in messages:
                    client.publish(m.topic, m.payload, qos=m.qos, retain=m.retain)
            return
        with self._cond:
            self._last_put_seq = max(self._last_put_seq, max(seqs))
            self._kick_locked()

    def _watch(self, camera: str) -> _Watch | None:
        """Where the messages of ``camera`` go: with one camera, the app's topics for
        every message; with a device per camera, that camera's (None: no such camera)."""
        if not self.per_camera:
            return self._watches[0]
        watch = self._by_camera.get(camera)
        if watch is None:
            log.debug("MQTT: no camera named %r; its states are not published", camera)
        return watch

    def _waiting_qos_locked(self) -> bool:
        return any(qos > 0 for _, qos in self._pending.values())

    def _note_failure(self, message: str) -> None:
        with self._lock:
            self._last_error = message
            repeat = message == self._logged_failure
            self._logged_failure = message
        if repeat:
            log.debug("%s (still retrying)", message)
        else:
            log.error("%s. Retrying in the background; alerts are kept in the outbox (%d "
                      "queued).", message, len(self._outbox))

    # paho callbacks (network thread) -------------------------------------------------
    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        self._refused = False

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            self._refused = True
            self._note_failure(describe_connack(reason, self._cfg))
            return
        with self._cond:
            self._connected = True
            self._generation += 1
            self._last_error = None
            self._logged_failure = None
            self._barrier = {mid for mid, (_, qos) in self._pending.items() if qos > 0}
            self._barrier_since = time.monotonic()
            self._resync = True
            waiting = len(self._outbox) - len(self._acked)
        log.info("MQTT connected to %s:%d as '%s'; %d queued message(s) to send",
                 self._cfg.host, self._cfg.port, self.client_id, max(0, waiting))
        # subscribe before announcing `online`: a command sent as soon as the device is
        # seen online must find the subscription (the broker handles them in order)
        subs = [(topic, 1) for topic in self._command_topics]
        if self._cfg.discovery:
            subs.append((self.topics.ha_status, 1))
        client.subscribe(subs)
        # `online` goes out after this connection's discovery and fresh states (the
        # sender's next round): Home Assistant makes the entities available on `online`
        # with the last values it holds, so a restart would otherwise show the last run's
        # activity and person_down for a moment (and fire automations on them)
        with self._cond:
            self._online_due = True
            self._kick_locked()

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        exc = client.last_error if isinstance(client, MqttClient) else None
        self._note_failure(describe_error(exc, self._cfg) if exc is not None else
                           f"cannot connect to MQTT broker {self._cfg.host}:{self._cfg.port}")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        with self._cond:
            was = self._connected
            self._connected = False
            self._generation += 1
            for mid in [m for m, (_, qos) in self._pending.items() if qos == 0]:
                del self._pending[mid]
            stopping = self._stopping
        if was and not stopping:
            why = "closed by the broker or the network" if reason.value == 128 else str(reason)
            log.warning("MQTT connection to %s:%d lost (%s); events are kept in the outbox "
                        "(%d queued) and sent in order when it returns", self._cfg.host,
                        self._cfg.port, why, len(self._outbox))
        elif not was and not self._refused and not stopping:
            detail = client.last_log_error if isinstance(client, MqttClient) else None
            self._note_failure(describe_closed(self._cfg, detail))

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode,
                    properties: Properties) -> None:
        # Called with paho's message lock held: only take ours, never call paho here.
        with self._cond:
            entry = self._pending.pop(mid, None)
            if entry is None:
                if len(self._early) > 10_000:
                    self._early.clear()
                self._early.add(mid)
                return
            if entry[0] is not None:
                self._acked.append(entry[0])
            self._barrier.discard(mid)
            self._kick_locked()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: MQTTMessage) -> None:
        payload = msg.payload.decode("utf-8", "replace").strip()
        if msg.topic == self.topics.ha_status:
            if payload == "online":
                delay = random.uniform(*self.rediscovery_delay_s)
                log.info("Home Assistant is online: republishing discovery in %.1f s", delay)
                with self._cond:
                    self._discovery_due = time.monotonic() + delay
                    self._kick_locked()
            return
        command = self._command_topics.get(msg.topic)
        if command is None:
            return
        watch, feature = command
        if msg.retain:
            log.warning("MQTT: ignored a retained command on %s (commands must not be "
                        "retained; clear it with an empty retained message)", msg.topic)
            return
        if feature == "source":
            self._on_source_command(watch, msg.topic, bytes(msg.payload))
            return
        value = payload.upper()
        if value not in _TRUE and value not in _FALSE:
            log.warning("MQTT: %s expects ON or OFF, got %r", msg.topic, payload[:40])
            with self._cond:
                self._republish.add(watch.topics.state(feature))
                self._kick_locked()
            return
        with self._cond:
            self._commands.append((watch, feature, value in _TRUE))
            self._kick_locked()

    def _on_source_command(self, watch: _Watch, topic: str, payload: bytes) -> None:
        """Check a source command (network thread): a usable one goes to the sender, a
        bad one is one log line and its reason on ``.../source/error``."""
        if not self._cfg.allow_source_command:
            why = "source commands are off (mqtt.allow_source_command: false)"
        else:
            text, why = check_source_command(payload)
            if not why:
                with self._cond:
                    self._commands.append((watch, "source", text))
                    self._kick_locked()
                return
        shown = _shown_payload(payload)  # masked, then cut: never a password's start
        log.warning("MQTT: refused the source command %s on %s: %s; the camera stays on %s",
                    shown, topic, why, shown_source(_source_text(watch.source)))
        self._source_outcome(watch, f"refused {shown}: {why}")

    def _source_outcome(self, watch: _Watch, error: str) -> None:
        """Publish the outcome of a source command (``error`` "" = it worked) and the
        source in use again, whatever it is: every command is answered."""
        with self._cond:
            self._desired[watch.topics.source_error] = shown_source(error) if error \
                else NO_ERROR
            self._republish.add(watch.topics.state("source"))
            self._republish.add(watch.topics.source_error)
            self._kick_locked()

    def _kick_locked(self) -> None:
        """Wake the sender (and ``close``); call with ``_lock`` held. A kick that comes
        while the sender is busy is not lost: it runs another round before sleeping."""
        self._dirty = True
        self._cond.notify_all()

    def _track(self, mid: int, seq: int | None, qos: int) -> None:
        with self._cond:
            if mid in self._early:
                self._early.discard(mid)
                if seq is not None:
                    self._acked.append(seq)
                self._kick_locked()
                return
            self._pending[mid] = (seq, qos)

    # sender thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    break
                if not self._dirty:
                    self._cond.wait(self._sleep_s())
                self._dirty = False
                if self._stopping:
                    break
                commands, self._commands = self._commands, []
            try:
                self._flush_acks()
                for watch, feature, value in commands:
                    if isinstance(value, str):
                        self._apply_source(watch, value)
                    else:
                        self._apply_command(watch, feature, value)
                self._poll_sources()
                if self._connected and self._client is not None:
                    self._publish_round(self._client)
                if time.monotonic() >= self._next_prune:
                    self._next_prune = time.monotonic() + 60.0
                    self._outbox.prune()
            except Exception:  # the sender must survive anything and keep the outbox
                log.exception("MQTT sender: unexpected error (continuing)")
                time.sleep(0.5)
        self._flush_acks()

    def _sleep_s(self) -> float:
        now = time.monotonic()
        wake = now + _TICK_S
        if not self._connected or self._barrier:
            return _TICK_S  # nothing can be sent now; PUBACKs and connects wake us
        if self._discovery_due is not None:
            wake = min(wake, self._discovery_due)
        for topic, value in self._desired.items():
            if value != self._published.get(topic):
                wake = min(wake, self._sent_at.get(topic, 0.0) + self._cfg.state_interval_s)
        return max(0.005, wake - now)

    def _flush_acks(self) -> None:
        with self._lock:
            acked, self._acked = self._acked, []
        if acked:
            try:
                self._outbox.remove(acked)
            except (sqlite3.Error, StoreError) as exc:
                log.error("MQTT outbox: cannot delete %d acknowledged message(s): %s (they "
                          "will be sent again)", len(acked), exc)

    def _apply_command(self, watch: _Watch, feature: str, value: bool) -> None:
        where = f" for camera {watch.camera}" if watch.camera else ""
        log.info("MQTT command: %s %s%s", feature, _on_off(value), where)
        try:
            if feature == "privacy":
                watch.controls.set_privacy(value)
            else:
                watch.controls.set_monitoring(value)
        except Exception:
            log.exception("MQTT command %s=%s%s failed", feature, _on_off(value), where)
        topic = watch.topics.state(feature)
        state = _on_off(_read_control(watch.controls, feature))
        with self._lock:
            self._desired[topic] = state
        self._published.pop(topic, None)  # always answer a command

    def _apply_source(self, watch: _Watch, text: str) -> None:
        """Hand a checked source command to the camera; its outcome is published once the
        camera took the switch or refused it (``_poll_sources``)."""
        shown = shown_source(text)
        where = f" for camera {watch.camera}" if watch.camera else ""
        log.info("MQTT command: source %s%s", shown, where)
        if watch.source is None:
            return
        try:
            watch.source.switch_source(text)
        except SourceError as exc:
            log.warning("MQTT: the source command %r%s names no source: %s", shown, where,
                        redact_source(str(exc)))
            self._source_outcome(watch, f"refused {shown!r}: {exc}")
            return
        except Exception as exc:  # a controls object that fails must not stop MQTT
            log.exception("MQTT command source %s%s failed", shown, where)
            self._source_outcome(watch, f"cannot switch to {shown}: {exc}")
            return
        watch.asked = shown

    def _poll_sources(self) -> None:
        """The source each camera uses now (a switch from the dashboard shows too), and
        the outcome of a source command once the camera has taken or refused it."""
        for w in self._watches:
            if w.source is None:
                continue
            shown = shown_source(_source_text(w.source))
            with self._lock:
                self._desired[w.topics.state("source")] = shown
            switching, error = _switch_state(w.source)
            if w.asked is not None and not switching:
                w.asked = None
                self._source_outcome(w, redact_source(error))

    def _publish(self, client: mqtt.Client, topic: str, payload: str, qos: int, retain: bool,
                 seq: int | None = None) -> bool:
        """Hand one message to paho and track its mid; False if paho did not take it."""
        info = client.publish(topic, payload, qos=qos, retain=retain)
        if qos == 0 and info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        self._track(info.mid, seq, qos)
        return True

    def _publish_round(self, client: mqtt.Client) -> None:
        now = time.monotonic()
        with self._lock:
            if self._barrier:
                if now - self._barrier_since < _BARRIER_TIMEOUT_S:
                    return  # paho is re-sending what it held; keep the order
                log.warning("MQTT: %d message(s) from before the reconnect were not "
                            "acknowledged in %.0f s; going on", len(self._barrier),
                            _BARRIER_TIMEOUT_S)
                self._barrier.clear()
            force = self._resync
            self._resync = False
            online_due, self._online_due = self._online_due, False
            if self._discovery_due is not None and now >= self._discovery_due:
                self._discovery_due = None
                force = True
            desired = dict(self._desired)
            diags, self._diagnostics = self._diagnostics, {}
            last_put = self._last_put_seq
            generation = self._generation
            for topic in self._republish:
                self._published.pop(topic, None)
            self._republish.clear()
        if force:
            self._published.clear()
            if self._cfg.discovery:
                for topic, payload in self._discovery:
                    self._publish(client, topic, payload, 1, True)
        interval = self._cfg.state_interval_s
        for topic, value in desired.items():
            if self._published.get(topic) == value:
                continue
            if not force and topic in self._limited \
                    and now - self._sent_at.get(topic, -1e18) < interval:
                continue
            if self._publish(client, topic, value, 1, True):
                self._published[topic] = value
                self._sent_at[topic] = now
        if online_due:
            self._publish(client, self.topics.availability, ONLINE, 1, True)
        for topic, diag in diags.items():
            self._publish(client, topic, diag, 0, True)
        self._hand_outbox(client, last_put, generation)

    def _hand_outbox(self, client: mqtt.Client, last_put: int, generation: int) -> None:
        with self._lock:
            inflight = sum(1 for seq, _ in self._pending.values() if seq is not None)
        room = _WINDOW - inflight
        if room <= 0 or last_put <= self._last_handed:
            return
        for row in self._outbox.pending(after_seq=self._last_handed, limit=room):
            if self._generation != generation:
                return  # (re)connected meanwhile: let paho's re-sends go first
            try:
                ok = self._publish(client, row.topic, row.payload, row.qos, row.retain, row.seq)
            except ValueError as exc:  # a message paho can never send: do not block the rest
                log.error("MQTT: dropping outbox message %d on %s: %s", row.seq, row.topic, exc)
                with self._lock:
                    self._acked.append(row.seq)
                ok = True
            if not ok:
                return
            self._last_handed = row.seq


def _source_of(obj: object) -> SourceSwitch | None:
    """``obj`` as the target of source commands, or None when it cannot switch."""
    return obj if isinstance(obj, SourceSwitch) else None


def _source_text(source: SourceSwitch | None) -> str:
    if source is None:
        return ""
    try:
        return source.source_text
    except Exception:  # a controls object that fails must not stop MQTT
        log.exception("MQTT: cannot read the source in use")
        return ""


def _switch_state(source: SourceSwitch) -> tuple[bool, str]:
    """``(switching, switch_error)`` of a camera (a failing one: not switching)."""
    try:
        return source.switching, source.switch_error
    except Exception:  # a controls object that fails must not stop MQTT
        log.exception("MQTT: cannot read the state of a source switch")
        return False, ""


def _read_control(controls: CameraSwitches, feature: str) -> bool:
    try:
        return bool(getattr(controls, feature))
    except Exception:  # a controls object that fails must not stop MQTT
        log.exception("MQTT: cannot read controls.%s", feature)
        return False


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)
