"""Check the app against a real Home Assistant: entities, subscription QoS, stale state
after a restart, commands sent right after ``online``.

    python benchmarks/home_assistant.py --ha-venv DIR [--restarts 10] [--keep]
    HA_VENV=DIR python benchmarks/home_assistant.py

DIR is a Python 3.13 virtual environment with Home Assistant Core installed (see
docs/mqtt.md, "Checked against a real Home Assistant"). Without one the script says so
and exits 0. It starts its own mosquitto (verbose log) on a free loopback port and a
fresh Home Assistant (config dir in a temporary folder, the MQTT integration as a config
entry, onboarded over its REST API), then runs the app (this checkout, demo video) against
them and reports:

- every entity Home Assistant made from the app's discovery, and any MQTT / discovery
  warning or error in Home Assistant's log;
- the QoS at which Home Assistant subscribed to each of the app's topics (mosquitto's
  "Received SUBSCRIBE" lines);
- stale state: before each restart the app's retained activity, confidence, presence and
  person-down are set to "someone lying on the floor" (what a run that stopped there leaves
  behind); Home Assistant's recorded history then shows whether that value came back when
  the new run went ``online``, and for how long;
- commands: on each restart one privacy or monitoring command is sent 50-100 ms after
  ``online`` is seen on the availability topic, and counted when the app answers it.

Exit 0 when all four hold, 1 when one does not (each printed with ok / FAIL).

    python benchmarks/home_assistant.py --ha-venv DIR --cameras 2

runs the app with a ``cameras:`` list instead (two cameras on the demo video, rooms
"Living room" and "Bedroom"; no restarts) and checks: every entity of the app's device
and of both camera devices, no MQTT / discovery warning or error in Home Assistant's log;
each camera device in its room's area (``suggested_area``) under the app's device
(``via_device``); QoS 1 subscriptions to every state topic; each camera's source text
entity showing its source; and one ``text.set_value`` on the bedroom's source entity
through Home Assistant's REST API (to a keypoint replay written for the run) reaching the
bedroom camera only: the app logs the command and the switch for it, Home Assistant's
entity shows the new source, the living room's is unchanged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

REPO = Path(__file__).resolve().parents[1]
BASE = "epam/epam_edge"
DEVICE_ID = "epam_edge"
DISCOVERY_TOPIC = f"homeassistant/device/{DEVICE_ID}/config"
APP_CLIENT_ID = f"epam-edge-{DEVICE_ID}"
MONITOR_CLIENT_ID = "ha-bench-monitor"
# what a run that stopped while someone lay on the floor leaves retained on the broker
STALE = {"activity": "lying on the floor", "confidence": "87", "person_present": "ON",
         "person_down": "ON"}
# the state Home Assistant shows for each stale payload
STALE_HA = {"activity": "lying on the floor", "confidence": "87", "person_present": "on",
            "person_down": "on"}
DEMO_VIDEO = REPO / "assets" / "demo" / "one-by-one-person-detection.mp4"
CAMERAS = (("living-room", "Living room"), ("bedroom", "Bedroom"))
# (feature, payload sent, state it must lead to): the app starts with privacy off and
# monitoring on, so each command changes something
COMMANDS = (("privacy", "ON"), ("monitoring", "OFF"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def utc(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def parse_ts(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


@dataclass
class Message:
    wall: float
    topic: str
    payload: str
    retain: bool


@dataclass
class Monitor:
    """An MQTT client that records every message on the app's topics and HA's status."""

    port: int
    messages: list[Message] = field(default_factory=list)
    online: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    online_wall: float = 0.0  # when the last live `online` arrived

    def __post_init__(self) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=MONITOR_CLIENT_ID,
                                  protocol=mqtt.MQTTv311)
        self.client.on_message = self._on_message
        self.client.on_connect = self._on_connect

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe([(f"{BASE}/#", 1), ("homeassistant/status", 1),
                          (DISCOVERY_TOPIC, 1), ("homeassistant/device/+/config", 1)])

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        m = Message(time.time(), msg.topic, msg.payload.decode("utf-8", "replace"),
                    bool(msg.retain))
        with self.lock:
            self.messages.append(m)
        if m.topic == f"{BASE}/availability" and m.payload == "online" and not m.retain:
            self.online_wall = m.wall
            self.online.set()

    def start(self) -> None:
        self.client.connect("127.0.0.1", self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def since(self, wall: float, topic: str | None = None) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m.wall >= wall and
                    (topic is None or m.topic == topic)]

    def wait_for(self, wall: float, topic: str, payload: str | None, timeout: float,
                 live: bool = True) -> Message | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.since(wall, topic):
                if (payload is None or m.payload == payload) and not (live and m.retain):
                    return m
            time.sleep(0.01)
        return None

    def publish(self, topic: str, payload: str, retain: bool) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)


class HomeAssistant:
    """A fresh Home Assistant Core in ``config_dir``, the MQTT integration pointed at
    ``mqtt_port``; REST calls with the token from onboarding."""

    def __init__(self, venv: Path, config_dir: Path, mqtt_port: int) -> None:
        self.venv, self.dir, self.mqtt_port = venv, config_dir, mqtt_port
        self.http_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.token = ""
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.dir / "home-assistant.log"

    def version(self) -> str:
        out = subprocess.run([str(self.venv / "bin" / "hass"), "--version"],
                             capture_output=True, text=True, check=False)
        return out.stdout.strip() or out.stderr.strip()

    def write_config(self) -> None:
        (self.dir / ".storage").mkdir(parents=True, exist_ok=True)
        (self.dir / "automations.yaml").write_text("[]\n")
        (self.dir / "configuration.yaml").write_text(f"""\
homeassistant:
  name: bench
  latitude: 0
  longitude: 0
  elevation: 0
  unit_system: metric
  time_zone: UTC
  country: DE
http:
  server_host: 127.0.0.1
  server_port: {self.http_port}
api:
recorder:
  commit_interval: 0
history:
counter:
  stale_triggers:
    initial: 0
automation: !include automations.yaml
logger:
  default: info
  logs:
    homeassistant.components.mqtt: debug
""")
        now = dt.datetime.now(dt.UTC).isoformat()
        entry: dict[str, Any] = {"created_at": now, "data": {"broker": "127.0.0.1", "port": self.mqtt_port},
                 "discovery_keys": {}, "disabled_by": None, "domain": "mqtt",
                 "entry_id": uuid.uuid4().hex, "minor_version": 2, "modified_at": now,
                 "options": {"discovery": True, "discovery_prefix": "homeassistant"},
                 "pref_disable_new_entities": False, "pref_disable_polling": False,
                 "source": "user", "subentries": [], "title": "127.0.0.1",
                 "unique_id": None, "version": 1}
        (self.dir / ".storage" / "core.config_entries").write_text(json.dumps(
            {"version": 1, "minor_version": 5, "key": "core.config_entries",
             "data": {"entries": [entry]}}))

    def start(self, out: Path) -> None:
        self.write_config()
        with out.open("wb") as f:
            self.proc = subprocess.Popen(
                [str(self.venv / "bin" / "hass"), "-c", str(self.dir), "--skip-pip"],
                stdout=f, stderr=subprocess.STDOUT)

    def wait_http(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise SystemExit(f"Home Assistant exited ({self.proc.returncode}); see {self.log}")
            try:
                urllib.request.urlopen(f"{self.url}/api/onboarding", timeout=2).read()
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"Home Assistant did not answer on {self.url} in {timeout:.0f} s")

    def onboard(self) -> None:
        client_id = f"{self.url}/"
        body = json.dumps({"client_id": client_id, "name": "bench", "username": "bench",
                           "password": uuid.uuid4().hex, "language": "en"}).encode()
        req = urllib.request.Request(f"{self.url}/api/onboarding/users", data=body,
                                     headers={"Content-Type": "application/json"})
        code = json.loads(urllib.request.urlopen(req, timeout=10).read())["auth_code"]
        form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
                                       "client_id": client_id}).encode()
        tok = json.loads(urllib.request.urlopen(f"{self.url}/auth/token", data=form,
                                                timeout=10).read())
        self.token = tok["access_token"]

    def get(self, path: str) -> Any:
        req = urllib.request.Request(f"{self.url}{path}",
                                     headers={"Authorization": f"Bearer {self.token}"})
        return json.loads(urllib.request.urlopen(req, timeout=10).read())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        req = urllib.request.Request(f"{self.url}{path}", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=10).read())

    def add_fall_automation(self, activity: str, person_down: str) -> None:
        """The automation a user writes (``to: 'lying on the floor'``, person down ``to:
        'on'``); each trigger increments ``counter.stale_triggers``."""
        (self.dir / "automations.yaml").write_text(json.dumps([{
            "id": "bench_fall", "alias": "bench fall", "mode": "queued",
            "triggers": [
                {"trigger": "state", "entity_id": activity, "to": "lying on the floor"},
                {"trigger": "state", "entity_id": person_down, "to": "on"}],
            "actions": [{"action": "counter.increment",
                         "target": {"entity_id": "counter.stale_triggers"}}]}]))
        self.post("/api/services/automation/reload", {})

    def render(self, template: str) -> str:
        """A template rendered by Home Assistant (``/api/template``)."""
        req = urllib.request.Request(f"{self.url}/api/template",
                                     data=json.dumps({"template": template}).encode(),
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        return urllib.request.urlopen(req, timeout=10).read().decode()

    def counter(self) -> int:
        return int(float(self.get("/api/states/counter.stale_triggers")["state"]))

    def registry(self) -> dict[str, str]:
        """unique_id -> entity_id of the MQTT entities (HA saves the file 10 s late)."""
        path = self.dir / ".storage" / "core.entity_registry"
        if not path.exists():
            return {}
        data = json.loads(path.read_text())
        return {e["unique_id"]: e["entity_id"] for e in data["data"]["entities"]
                if e["platform"] == "mqtt"}

    def history(self, entity_ids: list[str], start: float, end: float) -> dict[str, list[
            tuple[float, str]]]:
        q = urllib.parse.urlencode({"filter_entity_id": ",".join(entity_ids),
                                    "end_time": utc(end), "significant_changes_only": "0",
                                    "no_attributes": "1"})
        rows = self.get(f"/api/history/period/{urllib.parse.quote(utc(start))}?{q}")
        out: dict[str, list[tuple[float, str]]] = {}
        for series in rows:
            if series:
                out[series[0]["entity_id"]] = [(parse_ts(s["last_changed"]), s["state"])
                                               for s in series]
        return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class App:
    """The edge app (this checkout) on the demo video, MQTT to the test broker."""

    def __init__(self, python: str, port: int, data_dir: Path, logs: Path,
                 config: Path | None = None) -> None:
        self.python, self.port, self.data_dir, self.logs = python, port, data_dir, logs
        self.config = config  # a config file (the cameras: list), else the defaults
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self, max_seconds: float) -> Path:
        self.runs += 1
        log = self.logs / f"app-{self.runs:02d}.log"
        with log.open("wb") as f:
            self.proc = subprocess.Popen(
                [self.python, "-m", "edge_app", "run", "--headless", "--realtime",
                 *(["--config", str(self.config)] if self.config else []),
                 "--max-seconds", str(max_seconds), "--set", f"data_dir={self.data_dir}",
                 "--set", "mqtt.enabled=true", "--set", "mqtt.host=127.0.0.1",
                 "--set", f"mqtt.port={self.port}"],
                cwd=REPO, stdout=f, stderr=subprocess.STDOUT)
        return log

    def stop(self, timeout: float = 60.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def subscriptions(mosquitto_log: Path) -> dict[str, dict[str, int]]:
    """client id -> topic filter -> highest QoS it subscribed with."""
    out: dict[str, dict[str, int]] = {}
    client = None
    for line in mosquitto_log.read_text(errors="replace").splitlines():
        m = re.search(r"Received SUBSCRIBE from (\S+)", line)
        if m:
            client = m.group(1)
            continue
        m = re.search(r": \t(.+) \(QoS (\d)\)$", line)
        if m and client is not None:
            topics = out.setdefault(client, {})
            topics[m.group(1)] = max(topics.get(m.group(1), 0), int(m.group(2)))
        elif re.search(r": (Received|Sending) ", line):
            client = None
    return out


def ha_log_problems(log: Path) -> list[str]:
    """Warnings and errors of HA's MQTT integration, and any line naming the device."""
    keep = []
    for line in log.read_text(errors="replace").splitlines():
        if (" WARNING " in line or " ERROR " in line) and (
                "components.mqtt" in line or DEVICE_ID in line or "discovery" in line.lower()):
            keep.append(line[:400])
    return keep


def check(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ha-venv", type=Path, default=os.environ.get("HA_VENV") or None,
                        help="virtual environment with homeassistant (or $HA_VENV)")
    parser.add_argument("--app-python", default=sys.executable,
                        help="Python that runs the app (default: this one)")
    parser.add_argument("--restarts", type=int, default=10,
                        help="app restarts, each with one command after online")
    parser.add_argument("--delay-ms", type=float, nargs=2, default=(50.0, 100.0),
                        metavar=("MIN", "MAX"), help="command delay after online (ms)")
    parser.add_argument("--first-run-s", type=float, default=20.0,
                        help="seconds of video in the first run")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep everything (logs, HA config) here instead of a temp dir")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--cameras", type=int, choices=(1, 2), default=1,
                        help="2: a cameras: list of two (a Home Assistant device each), "
                        "checked with a source switch through Home Assistant; no restarts")
    args = parser.parse_args(argv)

    if args.ha_venv is None:
        print("home_assistant: skipped: no Home Assistant given; pass --ha-venv DIR or set "
              "HA_VENV=DIR (a Python 3.13 venv with homeassistant, see docs/mqtt.md)")
        return 0
    hass = Path(args.ha_venv) / "bin" / "hass"
    if not hass.exists():
        print(f"home_assistant: skipped: {hass} not found (is {args.ha_venv} a venv with "
              "homeassistant installed?)")
        return 0
    if shutil.which("mosquitto") is None:
        print("home_assistant: skipped: mosquitto is not installed")
        return 0

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="ha-bench-")
        work = Path(tmp.name)
    else:
        work = args.workdir
        work.mkdir(parents=True, exist_ok=True)
    try:
        return run_cameras(args, work) if args.cameras == 2 else run(args, work)
    finally:
        if tmp is not None:
            tmp.cleanup()


def start_stack(args: argparse.Namespace, work: Path, monitor: Monitor,
                ha: HomeAssistant) -> None:
    """Home Assistant up, its MQTT integration online, onboarded (REST token)."""
    monitor.start()
    t0 = time.time()
    ha.start(work / "hass.out")
    ha.wait_http(240)
    if monitor.wait_for(t0, "homeassistant/status", "online", 120) is None:
        raise SystemExit("Home Assistant's MQTT integration did not come online (no "
                         f"birth message in 120 s); see {ha.log}")
    if "Activating recovery mode" in ha.log.read_text(errors="replace"):
        raise SystemExit("Home Assistant started in recovery mode (is "
                         f"home-assistant-frontend installed?); see {ha.log}")
    ha.onboard()


def start_broker(work: Path) -> tuple[int, Path, subprocess.Popen[bytes]]:
    port = free_port()
    mq_log = work / "mosquitto.log"
    (work / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "log_dest stderr\nlog_type all\nlog_timestamp true\n"
        "log_timestamp_format %Y-%m-%dT%H:%M:%S\n")
    with mq_log.open("wb") as f:
        broker = subprocess.Popen(["mosquitto", "-c", str(work / "mosquitto.conf")],
                                  stdout=f, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    return port, mq_log, broker


def report(args: argparse.Namespace, results: dict[str, Any], verdict: dict[str, bool]
           ) -> int:
    """Print the verdict (ok / FAIL per check), write ``--json``; 0 when all hold."""
    results["verdict"] = verdict
    print("\n" + "\n".join(f"{check(v):4} {k}" for k, v in verdict.items()))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if all(verdict.values()) else 1


def stop_all(app: App, ha: HomeAssistant, monitor: Monitor,
             broker: subprocess.Popen[bytes]) -> None:
    app.stop(30)
    ha.stop()
    monitor.stop()
    broker.terminate()
    broker.wait(10)


def ha_subscriptions(mq_log: Path) -> dict[str, int]:
    """topic -> highest QoS Home Assistant subscribed to it with (its client's lines)."""
    subs = subscriptions(mq_log)
    out: dict[str, int] = {}
    for c, topics in subs.items():
        if c == MONITOR_CLIENT_ID or c.startswith(APP_CLIENT_ID):
            continue
        for t, q in topics.items():
            if t.startswith(BASE + "/"):
                out[t] = max(out.get(t, 0), q)
    return out


def write_replay(path: Path, seconds: float = 120.0) -> Path:
    """A PYSKL keypoint file: one person standing, swaying a little, 640x480 at 30 fps."""
    import pickle

    import numpy as np

    body = np.array([[0, -120], [-8, -128], [8, -128], [-16, -124], [16, -124], [-40, -80],
                     [40, -80], [-50, -30], [50, -30], [-52, 15], [52, 15], [-25, 20],
                     [25, 20], [-27, 100], [27, 100], [-28, 180], [28, 180]], np.float32)
    n = int(seconds * 30)
    sway = 5 * np.sin(np.arange(n) / 9.0)
    kp = (body[None, None] + np.stack([320 + sway, np.full(n, 240.0)], -1)[None, :, None]
          ).astype(np.float32)
    anno = {"frame_dir": "stand", "label": 0, "keypoint": kp,
            "keypoint_score": np.full((1, n, 17), 0.9, np.float32), "img_shape": (480, 640),
            "total_frames": n, "fps": 30}
    path.write_bytes(pickle.dumps({"split": {}, "annotations": [anno]}))
    return path


def run_cameras(args: argparse.Namespace, work: Path) -> int:
    """Two cameras, a Home Assistant device each: entities, areas, QoS, the source text
    entity and one source switch through Home Assistant's REST API."""
    port, mq_log, broker = start_broker(work)
    config = work / "two-cameras.yaml"
    config.write_text(json.dumps({"cameras": [
        {"name": name, "room": room, "source": str(DEMO_VIDEO)} for name, room in CAMERAS]}))
    replay = write_replay(work / "bedroom-replay.pkl")
    ha = HomeAssistant(Path(args.ha_venv), work / "ha-config", port)
    app = App(args.app_python, port, work / "app-data", work, config=config)
    monitor = Monitor(port)
    results: dict[str, Any] = {"date": dt.date.today().isoformat(), "ha": ha.version(),
                               "cameras": [n for n, _ in CAMERAS]}
    try:
        start_stack(args, work, monitor, ha)
        print(f"{results['ha']}: up; broker 127.0.0.1:{port}; work dir {work}", flush=True)
        start = time.time()
        monitor.online.clear()
        log = app.start(120)
        if not monitor.online.wait(120):
            raise SystemExit(f"the app never went online; see {log}")
        online_at = monitor.online_wall
        time.sleep(8)
        topics = [DISCOVERY_TOPIC] + [f"homeassistant/device/{DEVICE_ID}_{n}/config"
                                      for n, _ in CAMERAS]
        devices: dict[str, dict[str, Any]] = {}
        for t in topics:
            got = monitor.since(start, t)
            devices[t] = json.loads(got[-1].payload) if got else {}
        cmps = {f"{d['dev']['ids'][0]}:{k}": c for d in devices.values() if d
                for k, c in d["cmps"].items()}
        uids = {c["unique_id"] for c in cmps.values()}
        deadline = time.monotonic() + 30
        reg = ha.registry()
        while time.monotonic() < deadline and not uids <= set(reg):
            time.sleep(1)
            reg = ha.registry()
        states = {s["entity_id"]: s["state"] for s in ha.get("/api/states")}
        entities = [{"key": k, "unique_id": c["unique_id"], "entity_id": reg.get(c["unique_id"]),
                     "platform": c["p"], "state": states.get(reg.get(c["unique_id"]) or "",
                                                             "(missing)")}
                    for k, c in cmps.items()]
        results["entities"] = entities
        results["ha_log_problems"] = ha_log_problems(ha.log)
        found = sum(1 for e in entities if e["entity_id"])
        print(f"\n(a) entities: {len(cmps)} in {sum(1 for d in devices.values() if d)} "
              f"discovery payloads, {found} in Home Assistant")
        for e in entities:
            print(f"  {e['key']:34} {e['entity_id'] or '(none)':45} {e['state'][:60]}")
        unavailable = [e["entity_id"] for e in entities if e["state"] in ("unavailable",
                                                                         "(missing)")]
        print(f"  unavailable while the app runs: {len(unavailable)}")
        print(f"  HA log, MQTT/discovery warnings and errors: {len(results['ha_log_problems'])}")
        for line in results["ha_log_problems"]:
            print(f"    {line}")

        # areas and the device tree, as Home Assistant has them
        print("\n(b) devices (Home Assistant's device registry, by template):")
        areas: dict[str, str] = {}
        for name, room in CAMERAS:
            eid = reg.get(f"{DEVICE_ID}_{name}_source")
            dev = f"device_id('{eid}')"
            tpl = (f"{{{{ area_name({dev}) }}}}|{{{{ device_attr({dev}, 'name') }}}}|"
                   f"{{{{ device_attr(device_attr({dev}, 'via_device_id'), 'name') }}}}")
            out = ha.render(tpl) if eid else "||"
            area, dev_name, parent = [*out.split("|"), "", "", ""][:3]
            areas[name] = area
            # Home Assistant matches a suggested area to an existing one by its normalised
            # name: a fresh install's "Living Room" area takes the "Living room" camera
            print(f"  {name:12} device '{dev_name}', area '{area}' (wanted '{room}'), "
                  f"via device '{parent}'  "
                  f"{check(area.casefold() == room.casefold() and dev_name == room)}")
        results["areas"] = areas

        # subscription QoS
        ha_subs = ha_subscriptions(mq_log)
        results["ha_subscriptions"] = ha_subs
        wanted = sorted({str(c["state_topic"]) for c in cmps.values() if "state_topic" in c}
                        | {f"{BASE}/availability"})
        qos_ok = all(ha_subs.get(t, -1) >= 1 for t in wanted)
        print(f"\n(c) Home Assistant's subscriptions: {sum(1 for t in wanted if t in ha_subs)}"
              f"/{len(wanted)} state topics subscribed, "
              f"QoS {sorted({ha_subs.get(t, -1) for t in wanted})}  {check(qos_ok)}")
        for t in wanted:
            print(f"  {t:48} QoS {ha_subs.get(t, '-')}")

        # the source entity and one switch through Home Assistant
        src = {n: reg.get(f"{DEVICE_ID}_{n}_source") for n, _ in CAMERAS}
        shown = {n: states.get(e or "", "(missing)") for n, e in src.items()}
        texts_ok = all(e and e.startswith("text.") for e in src.values()) and all(
            v == str(DEMO_VIDEO) for v in shown.values())
        print(f"\n(d) source text entities: {src}; showing {shown}  {check(texts_ok)}")
        bed, living = src["bedroom"], src["living-room"]
        sent = time.time()
        switch_ok = False
        if bed:
            ha.post("/api/services/text/set_value", {"entity_id": bed, "value": str(replay)})
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if ha.get(f"/api/states/{bed}")["state"] == str(replay):
                    break
                time.sleep(0.1)
            took = time.time() - sent
            now_bed = ha.get(f"/api/states/{bed}")["state"]
            now_living = ha.get(f"/api/states/{living}")["state"] if living else ""
            text = log.read_text(errors="replace")
            command = f"MQTT command: source {replay} for camera bedroom" in text
            switched = f"bedroom: switched from {DEMO_VIDEO.name} to {replay.name}" in text
            other = "living-room: switched" in text or "for camera living-room" in text
            cmd_msgs = monitor.since(sent, f"{BASE}/bedroom/source/set")
            error_msgs = [m.payload for m in monitor.since(sent, f"{BASE}/bedroom/source/error")]
            switch_ok = (now_bed == str(replay) and now_living == str(DEMO_VIDEO) and command
                         and switched and not other and error_msgs[-1:] == ["none"])
            results["switch"] = {"entity": bed, "value": str(replay), "seconds": round(took, 2),
                                 "ha_state": now_bed, "living_state": now_living,
                                 "command_on_broker": len(cmd_msgs), "app_logged": command,
                                 "switched": switched, "other_camera_touched": other,
                                 "error_topic": error_msgs}
            print(f"  text.set_value on {bed} -> {len(cmd_msgs)} command(s) on "
                  f"{BASE}/bedroom/source/set; app: {'command logged' if command else 'NO command'}"
                  f", {'switched' if switched else 'NOT switched'}; Home Assistant shows the new "
                  f"source {took:.2f} s after the call; living room {'unchanged' if now_living == str(DEMO_VIDEO) else 'CHANGED'}"
                  f"; source/error {error_msgs}  {check(switch_ok)}")
        app.stop(120)
        print(f"  (the app went online {online_at - start:.1f} s after its start)")
        verdict = {
            "every entity of the three devices": bool(cmps) and found == len(cmps)
            and not unavailable and not results["ha_log_problems"],
            "camera devices in their rooms' areas": all(
                areas.get(n, "").casefold() == room.casefold() for n, room in CAMERAS),
            "subscribed at QoS 1": qos_ok,
            "source text entities": texts_ok,
            "source switch through Home Assistant reaches the bedroom only": switch_ok,
        }
        return report(args, results, verdict)
    finally:
        stop_all(app, ha, monitor, broker)


def run(args: argparse.Namespace, work: Path) -> int:
    port, mq_log, broker = start_broker(work)
    ha = HomeAssistant(Path(args.ha_venv), work / "ha-config", port)
    app = App(args.app_python, port, work / "app-data", work)
    monitor = Monitor(port)
    results: dict[str, Any] = {"date": dt.date.today().isoformat(), "ha": ha.version()}
    try:
        start_stack(args, work, monitor, ha)
        print(f"{results['ha']}: up; broker 127.0.0.1:{port}; work dir {work}", flush=True)

        # (a) entities -------------------------------------------------------------
        start = time.time()
        monitor.online.clear()
        app.start(args.first_run_s)
        if not monitor.online.wait(120):
            raise SystemExit(f"the app never went online; see {work}/app-01.log")
        time.sleep(8)
        disc = monitor.since(start, DISCOVERY_TOPIC)
        cmps: dict[str, Any] = json.loads(disc[-1].payload)["cmps"] if disc else {}
        deadline = time.monotonic() + 30
        reg = ha.registry()
        while time.monotonic() < deadline and not set(
                c["unique_id"] for c in cmps.values()) <= set(reg):
            time.sleep(1)
            reg = ha.registry()
        states = {s["entity_id"]: s["state"] for s in ha.get("/api/states")}
        entities = []
        for key, c in cmps.items():
            eid = reg.get(c["unique_id"])
            entities.append({"key": key, "unique_id": c["unique_id"], "entity_id": eid,
                             "state": states.get(eid or "", "(missing)")})
        app.stop(120)
        results["entities"] = entities
        results["ha_log_problems"] = ha_log_problems(ha.log)
        print(f"\n(a) entities: {len(cmps)} in discovery, "
              f"{sum(1 for e in entities if e['entity_id'])} in Home Assistant")
        for e in entities:
            print(f"  {e['key']:16} {e['entity_id'] or '(none)':55} {e['state']}")
        print(f"  HA log, MQTT/discovery warnings and errors: {len(results['ha_log_problems'])}")
        for line in results["ha_log_problems"]:
            print(f"    {line}")

        # (b) subscription QoS -------------------------------------------------------
        ha_subs = ha_subscriptions(mq_log)
        wanted = {c.get("state_topic") for c in cmps.values()} | {f"{BASE}/availability"}
        qos_want = {c["state_topic"]: int(c.get("qos", 0)) for c in cmps.values()}
        results["ha_subscriptions"] = ha_subs
        print("\n(b) Home Assistant's subscriptions (mosquitto log):")
        qos_ok = True
        for t in sorted(str(t) for t in wanted - {None}):
            got_qos = ha_subs.get(t)
            sub_ok = got_qos is not None and got_qos >= qos_want.get(t, 1)
            qos_ok = qos_ok and sub_ok
            print(f"  {t:40} QoS {got_qos if got_qos is not None else '-'}  {check(sub_ok)}")

        # (c) + (d) restarts -----------------------------------------------------------
        keys = ("activity", "confidence", "person_present", "person_down")
        eids = {k: reg.get(cmps[k]["unique_id"]) for k in keys if k in cmps}
        lo, hi = args.delay_ms
        if eids.get("activity") and eids.get("person_down"):
            ha.add_fall_automation(str(eids["activity"]), str(eids["person_down"]))
        restarts: list[dict[str, Any]] = []
        for i in range(args.restarts):
            for k, v in STALE.items():  # what a run that stopped with someone down leaves
                monitor.publish(f"{BASE}/{k}", v, retain=True)
            time.sleep(1.0)
            fired_before = ha.counter()
            feature, payload = COMMANDS[i % len(COMMANDS)]
            delay = (lo + (hi - lo) * i / max(1, args.restarts - 1)) / 1e3
            begin = time.time()
            monitor.online.clear()
            log = app.start(60)
            if not monitor.online.wait(120):
                raise SystemExit(f"the app never went online; see {log}")
            online_at = monitor.online_wall
            time.sleep(max(0.0, online_at + delay - time.time()))
            sent_at = time.time()
            monitor.publish(f"{BASE}/{feature}/set", payload, retain=False)
            answer = monitor.wait_for(sent_at, f"{BASE}/{feature}/state", payload, 5.0,
                                      live=True)
            time.sleep(max(0.0, online_at + 1.0 - time.time()))
            fired = ha.counter() - fired_before  # in the first second: no window yet
            time.sleep(2.0)
            rc = app.stop(60)
            monitor.wait_for(begin, f"{BASE}/availability", "stopped", 10)
            applied = f"MQTT command: {feature} {payload}" in log.read_text(errors="replace")
            first_state = {k: next((m for m in monitor.since(online_at, f"{BASE}/{k}")
                                    if not m.retain), None) for k in keys}
            restarts.append({"begin": begin, "online": online_at, "end": time.time(),
                             "feature": feature, "payload": payload,
                             "delay_ms": round((sent_at - online_at) * 1e3, 1),
                             "answered": answer is not None, "applied": applied,
                             "automation_fired": fired,
                             "exit": rc,
                             "first_state_ms": {k: round((m.wall - online_at) * 1e3, 1)
                                                for k, m in first_state.items() if m}})
            print(f"  restart {i + 1}: {feature} {payload} sent {restarts[-1]['delay_ms']} ms "
                  f"after online: {'answered' if answer else 'NOT answered'}, "
                  f"{'applied' if applied else 'NOT applied'} (exit {rc})", flush=True)

        time.sleep(2.0)
        hist = ha.history([e for e in eids.values() if e], restarts[0]["begin"] - 1,
                          time.time())
        print("\n(c) stale state after a restart (Home Assistant's recorded history):")
        stale_rows: dict[str, list[float]] = {k: [] for k in keys}
        for r in restarts:
            r["stale_ms"] = {}
            for k in keys:
                eid = eids.get(k)
                series = [(t, s) for t, s in hist.get(eid or "", [])
                          if r["begin"] <= t <= r["end"]]
                shown = [(t, s) for t, s in series if s != "unavailable"]
                if shown and shown[0][1] == STALE_HA[k]:
                    nxt = shown[1][0] if len(shown) > 1 else r["end"]
                    ms = (nxt - shown[0][0]) * 1e3
                    r["stale_ms"][k] = round(ms, 1)
                    stale_rows[k].append(ms)
        for k in keys:
            ms_list = stale_rows[k]
            desc = (f"shown in {len(ms_list)}/{len(restarts)} restarts, for "
                    f"{min(ms_list):.0f}-{max(ms_list):.0f} ms (median "
                    f"{statistics.median(ms_list):.0f})") if ms_list else \
                f"never shown (0/{len(restarts)} restarts)"
            print(f"  {k:16} stale '{STALE_HA[k]}': {desc}")
        n_fired = sum(1 for r in restarts if r["automation_fired"])
        print(f"  the automation on activity to 'lying on the floor' / person down to 'on' "
              f"fired in the first second after online in {n_fired}/{len(restarts)} restarts")
        firsts = [r["first_state_ms"].get("activity") for r in restarts]
        got = [f for f in firsts if f is not None]
        if got:
            print(f"  new run's first activity message: {min(got):.0f}-{max(got):.0f} ms after "
                  "online (broker order)")

        n_answered = sum(bool(r["answered"]) for r in restarts)
        n_applied = sum(bool(r["applied"]) for r in restarts)
        delays = [r["delay_ms"] for r in restarts]
        print(f"\n(d) commands sent {min(delays):.0f}-{max(delays):.0f} ms after online: "
              f"{n_applied}/{len(restarts)} applied (app log), {n_answered}/{len(restarts)} "
              "answered on the state topic")
        results["restarts"] = restarts
        verdict = {
            "every entity": len(cmps) > 0 and all(e["entity_id"] for e in entities)
            and not results["ha_log_problems"],
            "subscribed at the discovery's QoS": qos_ok,
            "no stale state after a restart": not any(r["stale_ms"] or r["automation_fired"]
                                                      for r in restarts),
            "every command after online": n_applied == n_answered == len(restarts),
        }
        return report(args, results, verdict)
    finally:
        stop_all(app, ha, monitor, broker)


if __name__ == "__main__":
    sys.exit(main())
