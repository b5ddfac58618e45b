"""Configuration: YAML with defaults in assets/, validated, ``${ENV}`` secrets, ``--set`` overrides.

One pydantic model per domain, ``extra="forbid"`` so a mistyped key is an error that
names the valid ones. Defaults live here and in ``assets/config/default.yaml`` (which
must agree: a test checks it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from model import configfile
from model.configfile import ConfigError
from model.configfile import Section as _Section

__all__ = [
    "ASSETS",
    "DEFAULT_CAMERA",
    "DEFAULT_CONFIG",
    "DEFAULT_MODEL",
    "DEFAULT_POSE_MODEL",
    "DEFAULT_VIDEO",
    "AppConfig",
    "CameraConfig",
    "ConfigError",
    "load_config",
    "valid_keys",
]

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_CONFIG = ASSETS / "config" / "default.yaml"
DEFAULT_MODEL = ASSETS / "models" / "epamnet_adl.onnx"
DEFAULT_POSE_MODEL = ASSETS / "models" / "pose_landmarker_full.task"
DEFAULT_VIDEO = ASSETS / "demo" / "one-by-one-person-detection.mp4"
DEFAULT_CAMERA = "camera"  # the one camera's name when the config names none (edge_app.types)

Level = Literal["info", "warning", "critical"]
Provider = Literal["tensorrt", "cuda", "openvino", "cpu"]
DEFAULT_PROVIDERS: tuple[Provider, ...] = ("tensorrt", "cuda", "cpu")


class SourceConfig(_Section):
    uri: str = Field("", description="camera index, video file, rtsp/http URL, gst:PIPELINE or "
                     "keypoint pickle; empty = the bundled demo video")
    mode: Literal["auto", "realtime", "fast"] = Field(
        "auto", description="files: realtime = paced at their fps, fast = as fast as possible; "
        "auto = realtime with a dashboard, fast headless")
    loop: bool = Field(False, description="restart a video file at its end (demo, soak tests)")
    wait_at_start: bool | Literal["auto"] = Field(
        "auto", description="a camera or stream that cannot be opened at start: wait for it "
        "(retrying with the reconnect backoff, reported as a problem) instead of exiting; "
        "auto = when run by systemd (a service), so an interactive run still stops at once")
    reconnect_initial_s: float = Field(0.5, gt=0, description="first reconnect delay (s)")
    reconnect_max_s: float = Field(30.0, gt=0, description="longest reconnect delay (s)")
    width: int | None = Field(None, ge=1, description="requested camera width (pixels)")
    height: int | None = Field(None, ge=1, description="requested camera height (pixels)")


class TrackConfig(_Section):
    enabled: bool = Field(True, description="follow the person from frame to frame: a "
                          "detection far from them and much less confident is dropped, not "
                          "taken for them (edge_app.track)")
    keep_s: float = Field(1.5, gt=0, le=30, description="a person not seen for this long is "
                          "released and re-acquired wherever seen next (s)")
    reach: float = Field(0.75, gt=0, le=10, description="a detection whose centre is within "
                         "this many body sizes of the centre of the person's last box is "
                         "the person")
    speed: float = Field(2.0, ge=0, le=20, description="... plus this many body sizes per "
                         "second since they were last seen")
    switch_ratio: float = Field(0.5, ge=0, le=10, description="a far detection replaces the "
                                "person only when at least this share as confident")


class ZoomConfig(_Section):
    enabled: bool = Field(False, description="look again, closer, at a small or lost person: "
                          "the pose model on an enlarged region around them, or on one tile "
                          "of the frame at a time while nobody is seen (edge_app.zoom). Off "
                          "by default: on the demo it turned a ghost on furniture into a "
                          "confident body and a false fall (docs/deployment.md)")
    min_height: float = Field(0.3, gt=0, le=1, description="a person whose box's longer "
                              "side is less than this share of the picture's height is small")
    margin: float = Field(0.75, ge=0, le=5, description="the region is (1 + 2 x margin) "
                          "times the person's box, square")
    keep_s: float = Field(2.0, ge=0, le=30, description="look where the person was last "
                          "seen for this long (s)")
    search_every: int = Field(3, ge=0, le=100, description="with nobody seen, look at one "
                              "search tile every this many pose calls (0: never)")
    search_grid: int = Field(3, ge=2, le=8, description="search tiles per side, overlapping "
                             "by half: 3 = nine half-size tiles, 5 = 25 third-size tiles")
    side: int = Field(256, ge=96, le=1024, description="the region is resized to this "
                      "longer side (pixels)")


class PoseConfig(_Section):
    model_path: str = Field("", description="MediaPipe PoseLandmarker .task; empty = bundled")
    num_poses: int = Field(1, ge=1, le=8, description="persons tracked at once")
    min_detection_confidence: float = Field(0.5, ge=0, le=1, description="detector threshold")
    min_presence_confidence: float = Field(0.5, ge=0, le=1, description="presence threshold")
    min_tracking_confidence: float = Field(0.5, ge=0, le=1, description="tracking threshold")
    max_side: int = Field(640, ge=64, description="frames are downscaled so their longer side "
                          "is at most this before pose estimation (pixels)")
    track: TrackConfig = Field(default_factory=TrackConfig)
    zoom: ZoomConfig = Field(default_factory=ZoomConfig)


class WindowConfig(_Section):
    sample_rate_hz: float | None = Field(None, gt=0, le=120, description="samples per second "
                                         "in the 48-sample window; null = the model's metadata")
    stride: int = Field(8, ge=1, le=48, description="samples between two windows")
    store_side: int = Field(320, ge=64, le=1280, description="longer side of the frames kept "
                            "in the ring buffer for RGB crops (bounded memory)")


class ModelConfig(_Section):
    path: str = Field("", description="EPAM-Net ONNX file; empty = bundled")
    providers: list[Provider] = Field(
        default_factory=lambda: list(DEFAULT_PROVIDERS),
        description="ONNX Runtime providers in order of preference (used when available)")
    backend: Literal["auto", "onnxruntime", "openvino"] = Field(
        "auto", description="auto: ONNX Runtime, or OpenVINO when installed and measured "
        "faster on this CPU (the choice is cached per model)")
    threads: int = Field(0, ge=0, description="CPU threads for inference; 0 = ORT default")
    trt_cache_dir: str = Field("", description="TensorRT engine cache; empty = data dir")


class PrivacyConfig(_Section):
    enabled: bool = Field(False, description="pose-only: RGB never reaches the model or screen")


class RuleConfig(_Section):
    level: Level = Field("info", description="info, warning or critical")
    min_score: float = Field(0.5, ge=0, le=1, description="smoothed probability to start")
    min_duration_s: float = Field(0.0, ge=0, description="how long it must hold before `new`")
    cooldown_s: float = Field(0.0, ge=0, description="after `end`, quiet time before a new one")


class LongLieConfig(_Section):
    enabled: bool = True
    after_s: float = Field(60.0, gt=0, description="lying on the floor this long after a fall")
    labels: list[str] = Field(default_factory=lambda: ["lying on the floor"],
                              description="classes that count as lying on the floor")


class SuddenLyingConfig(_Section):
    enabled: bool = Field(True, description="lying on the floor reached from an upright "
                          "posture within within_s is a fall, even if the fall itself was "
                          "too fast or too odd to be classified as falling")
    within_s: float = Field(4.0, gt=0, le=30, description="how recently the person must "
                            "have been up (neither lying nor falling)")
    min_score: float = Field(0.5, gt=0, le=1, description="smoothed lying score (lying + "
                             "falling with with_falling) that counts")
    with_falling: bool = Field(True, description="the score is lying + falling: a person "
                               "the classifier splits between going down and being down "
                               "counts as down")


class ViewCheckConfig(_Section):
    enabled: bool = Field(True, description="fall and lying decisions need the person in "
                          "full view at the end of the window: not walking out of the "
                          "picture, not cut by its edge, not a tiny detection")
    tail_s: float = Field(1.0, gt=0, le=3.2, description="the end of the window that counts "
                          "as now (s)")
    edge_margin: float = Field(0.03, ge=0, lt=0.5, description="share of the width/height "
                               "that counts as the image edge for 'left the view'")
    min_torso: float = Field(0.015, ge=0, lt=1, description="shortest torso (shoulders to "
                             "hips) of a body, as a share of the image's longer side")
    max_torso: float = Field(0.4, gt=0, le=1, description="longest torso of a whole body in "
                             "view, as a share of the image's longer side")
    min_seen: float = Field(0.25, ge=0, le=1, description="least share of the window's "
                            "samples with the person in them")
    labels: list[str] = Field(default_factory=lambda: ["falling", "lying on the floor"],
                              description="classes whose incidents and activity segments "
                              "wait for a good view (and, with events.standing_check, "
                              "while the person stands again; also when this check is off)")

    @model_validator(mode="after")
    def _torso_range(self) -> ViewCheckConfig:
        if self.min_torso >= self.max_torso:
            raise ValueError(f"events.view_check.min_torso ({self.min_torso}) must be below "
                             f"max_torso ({self.max_torso}): otherwise no body is ever in view "
                             "and no fall is ever reported")
        return self


class StandingCheckConfig(_Section):
    enabled: bool = Field(True, description="fall and lying decisions (the view check's "
                          "labels) wait while everyone seen stands upright again at the "
                          "window's end, hips as high as at its start (edge_app.posture)")
    tail_s: float = Field(0.4, gt=0, le=3.2, description="the end of the window that "
                          "counts as now (s)")
    head_s: float = Field(0.5, gt=0, le=3.2, description="the start of the window the hips "
                          "are compared with (s)")
    min_upright: float = Field(0.85, gt=0, le=1, description="least cosine of the torso's "
                               "angle from the image vertical")
    min_legs: float = Field(0.9, gt=0, le=3, description="least distance of the ankles "
                            "below the hips, in torso lengths")
    max_drop: float = Field(0.3, ge=0, le=3, description="most the hips may have come down "
                            "since the window's start, in torso lengths")
    min_torso_ratio: float = Field(0.7, ge=0, le=1, description="least length of the "
                                   "torso at the window's end over that at its start (a "
                                   "person lying end-on to the camera looks short)")


class ControlledDescentConfig(_Section):
    enabled: bool = Field(True, description="a fall-like window right after the model "
                          "called the person sitting down for min_s is someone lowering "
                          "themselves on purpose (onto the floor, a bed, a low seat): no "
                          "fall alert until they are up again (a lying warning still comes)")
    labels: list[str] = Field(default_factory=lambda: ["sitting down"],
                              description="classes that mean a controlled descent")
    min_score: float = Field(0.5, gt=0, le=1, description="smoothed score that counts")
    min_s: float = Field(2.0, gt=0, le=30, description="seconds of those classes, within "
                         "within_s before the fall-like window, that make it deliberate "
                         "(a fall takes about one second from losing balance to the floor)")
    within_s: float = Field(5.0, gt=0, le=30, description="how far back to look (s)")


class FallConfirmConfig(_Section):
    enabled: bool = Field(True, description="the critical fall alert waits for the evidence "
                          "after the fall: the person stays down for confirm_s; getting up "
                          "before that is a recovered fall (warning), not an emergency")
    confirm_s: float = Field(2.0, ge=0, le=60, description="seconds the person must stay "
                             "down, counted from when the model first saw them going down")
    possible_fall: bool = Field(False, description="a 'possible fall' warning at once, "
                                "ended when the fall is confirmed, recovered or dismissed "
                                "(the earliest signal, with more false ones)")
    recovered_fall: bool = Field(True, description="a 'fell and got up' warning when the "
                                 "person was seen down and got up by themselves")
    tail_s: float = Field(0.4, gt=0, le=3.2, description="the end of the window whose "
                          "posture counts as now (s)")
    min_upright: float = Field(0.85, gt=0, le=1, description="up again: least cosine of the "
                               "torso's angle from the image vertical")
    min_legs: float = Field(0.6, ge=0, le=3, description="up again: least distance of the "
                            "ankles below the hips, in torso lengths (standing, or seated "
                            "on furniture with the feet on the floor)")
    down_upright: float = Field(0.5, gt=0, le=1, description="seen down: torso cosine below "
                                "this (more than 60 degrees from vertical)")
    up_labels: list[str] = Field(default_factory=lambda: ["walking", "standing up"],
                                 description="classes that mean up again when the posture "
                                 "cannot be measured (legs hidden, body cut) and is not down")
    controlled_descent: ControlledDescentConfig = Field(
        default_factory=ControlledDescentConfig)


class NoPersonConfig(_Section):
    enabled: bool = True
    after_s: float = Field(1800.0, gt=0, description="nobody seen for this long (s)")
    level: Level = "warning"


class EventsConfig(_Section):
    smoothing_windows: int = Field(3, ge=1, le=32, description="windows averaged")
    enter_margin: float = Field(0.0, ge=0, le=1, description="extra score to start a segment")
    exit_ratio: float = Field(0.7, gt=0, le=1, description="a segment ends when its smoothed "
                              "score drops below exit_ratio * min_score (hysteresis)")
    update_interval_s: float = Field(30.0, gt=0, description="`update` at most this often")
    default_rule: RuleConfig = Field(default_factory=RuleConfig)
    rules: dict[str, RuleConfig] = Field(default_factory=dict, description="per class label")
    fall_labels: list[str] = Field(default_factory=lambda: ["falling"])
    long_lie: LongLieConfig = Field(default_factory=LongLieConfig)
    sudden_lying: SuddenLyingConfig = Field(default_factory=SuddenLyingConfig)
    view_check: ViewCheckConfig = Field(default_factory=ViewCheckConfig)
    standing_check: StandingCheckConfig = Field(default_factory=StandingCheckConfig)
    fall_confirm: FallConfirmConfig = Field(default_factory=FallConfirmConfig)
    no_person: NoPersonConfig = Field(default_factory=NoPersonConfig)
    background_labels: list[str] = Field(default_factory=lambda: ["background"],
                                         description="classes that never make segments")


class StoreConfig(_Section):
    path: str = Field("", description="SQLite event store; empty = <data_dir>/events.db")
    retention_days: int = Field(365, ge=1, description="history older than this is pruned")


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: str = Field("", description="rotating log file; empty = <data_dir>/edge_app.log")
    max_bytes: int = Field(5_000_000, ge=10_000)
    backups: int = Field(3, ge=0)


class MqttConfig(_Section):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    prefix: str = Field("epam", description="topic prefix")
    device_id: str = Field("epam_edge", pattern=r"^[A-Za-z0-9_-]+$")
    client_id: str = ""
    user: str = ""
    password: str = Field("", description="use ${ENV_VAR}; never only in a file")
    tls_ca_certs: str = ""
    tls_client_cert: str = ""
    tls_client_key: str = ""
    tls_insecure: bool = False
    qos: int = Field(1, ge=0, le=2)
    keepalive_s: int = Field(30, ge=5)
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    diagnostics_interval_s: float = Field(30.0, gt=0)
    outbox_max_items: int = Field(10_000, ge=10)
    outbox_max_age_s: float = Field(7 * 86400.0, gt=0)
    snapshots: bool = Field(False, description="publish images (off: only events and states)")
    tls: bool = Field(False, description="use TLS even without tls_ca_certs (the system's CAs "
                      "check the broker); on by itself when tls_ca_certs or a client "
                      "certificate is set")
    device_name: str = Field("", description="device name shown in Home Assistant; empty = "
                             "'EPAM edge <device_id>'")
    reconnect_min_s: int = Field(1, ge=1, description="first delay before reconnecting to the "
                                 "broker (s); doubles up to reconnect_max_s")
    reconnect_max_s: int = Field(30, ge=1, description="longest delay between reconnects (s)")
    state_interval_s: float = Field(1.0, ge=0, description="retained activity/confidence/"
                                    "presence states are published when they change, at most "
                                    "this often (s)")
    flush_timeout_s: float = Field(3.0, ge=0, description="at shutdown, how long to wait for "
                                   "queued messages to be acknowledged by the broker (s); the "
                                   "rest stays in the outbox for the next run")
    allow_source_command: bool = Field(True, description="accept source switches over MQTT "
                                       "(<base>[/<camera>]/source/set: a camera index, file, "
                                       "stream URL or keypoint file; gst: pipelines never); "
                                       "false: such commands are refused and logged")

    @model_validator(mode="after")
    def _user_needs_password(self) -> MqttConfig:
        if self.user and not self.password:
            raise ValueError("mqtt.user is set but mqtt.password is empty: set the password "
                             "(e.g. password: ${MQTT_PASSWORD}) or remove the user")
        if bool(self.tls_client_cert) != bool(self.tls_client_key):
            raise ValueError("mqtt.tls_client_cert and mqtt.tls_client_key go together")
        return self


class DashboardConfig(_Section):
    enabled: Literal["auto", "on", "off"] = Field("auto", description="auto = when a display "
                                                  "exists")
    sound: bool = True
    alert_repeat_s: float = Field(30.0, ge=0, description="repeat the alert sound this often "
                                  "(s) while an alert waits for acknowledgement; 0 = once")
    alert_lookback_h: float = Field(24.0, gt=0, description="alerts this recent (hours) are "
                                    "listed, and unacknowledged ones come back after a restart")
    font_scale: float = Field(1.0, ge=0.5, le=4.0, description="text size multiplier (Ctrl+= "
                              "and Ctrl+- change it; the window remembers the last one)")
    night_start_hour: int = Field(22, ge=0, le=23, description="local hour the night starts "
                                  "(for 'got up at night')")
    night_end_hour: int = Field(7, ge=0, le=23, description="local hour the night ends")
    active_labels: list[str] = Field(
        default_factory=lambda: ["walking", "standing up", "bending or picking up",
                                 "waving for help"],
        description="classes counted as 'time active' in the day's summary")
    sitting_labels: list[str] = Field(default_factory=lambda: ["sitting down"],
                                      description="classes counted as 'time sitting'")
    lying_labels: list[str] = Field(default_factory=lambda: ["lying on the floor"],
                                    description="classes counted as 'time lying'")
    getting_up_labels: list[str] = Field(default_factory=lambda: ["standing up"],
                                         description="classes that count as getting up (at "
                                         "night: 'times got up at night')")


CAMERA_SECTIONS = ("source", "pose", "window", "privacy", "events")  # per-camera ``set:``
_CAMERA_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class CameraConfig(_Section):
    name: str = Field(description="the camera's id in events, the event store and MQTT "
                      "topics: lower-case letters, digits, - and _ (e.g. bedroom)")
    source: str = Field("", description="what source.uri takes; empty = source.uri")
    room: str = Field("", description="where it watches, as people say it (Bedroom): the "
                      "dashboard's and Home Assistant's name for it")
    set: dict[str, Any] = Field(
        default_factory=dict, description="this camera's own settings by dotted key, in the "
        "sections source, pose, window, privacy and events (e.g. events.fall_confirm."
        "confirm_s: 3)")

    @field_validator("name")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _CAMERA_NAME.match(v):
            raise ValueError(f"camera name {v!r}: use lower-case letters, digits, - and _ "
                             "(at most 32, starting with a letter or digit), e.g. bedroom")
        return v

    @field_validator("set")
    @classmethod
    def _sections(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if key.split(".", 1)[0] not in CAMERA_SECTIONS:
                raise ValueError(f"{key!r} cannot be set per camera: only keys under "
                                 f"{', '.join(CAMERA_SECTIONS)} (the others are the app's)")
        return v


class AppConfig(_Section):
    data_dir: str = Field("", description="event store, logs, engine cache; empty = "
                          "$EPAM_DATA_DIR or ~/.local/share/epam-edge")
    source: SourceConfig = Field(default_factory=SourceConfig)
    pose: PoseConfig = Field(default_factory=PoseConfig)
    window: WindowConfig = Field(default_factory=WindowConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    events: EventsConfig = Field(default_factory=EventsConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    dashboard: DashboardConfig = Field(default_factory=DashboardConfig)
    cameras: list[CameraConfig] = Field(
        default_factory=list, description="several cameras in one app (name, source, room, "
        "set); empty = one camera on source.uri")

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, v: str) -> str:
        return os.path.expanduser(v) if v else v

    # ------------------------------------------------------------- resolved paths
    def resolved_data_dir(self) -> Path:
        base = self.data_dir or os.environ.get("EPAM_DATA_DIR", "")
        return Path(base).expanduser() if base else Path.home() / ".local/share/epam-edge"

    def checked_data_dir(self) -> Path:
        """The data directory, created if needed; ``ConfigError`` (one clear line) when it
        cannot be created or written (a file in its place, no permission, read-only)."""
        path = self.resolved_data_dir()
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            why = exc.strerror or exc.__class__.__name__
            raise ConfigError(f"the data directory {path} cannot be used ({why}): set data_dir "
                              "in the config or $EPAM_DATA_DIR to a folder this user can "
                              "write") from None
        return path

    def resolved_store_path(self) -> Path:
        return Path(self.store.path).expanduser() if self.store.path else (
            self.resolved_data_dir() / "events.db")

    def resolved_log_path(self) -> Path:
        return Path(self.logging.file).expanduser() if self.logging.file else (
            self.resolved_data_dir() / "edge_app.log")

    def resolved_model_path(self) -> Path:
        return Path(self.model.path).expanduser() if self.model.path else DEFAULT_MODEL

    def resolved_pose_model_path(self) -> Path:
        return Path(self.pose.model_path).expanduser() if self.pose.model_path else (
            DEFAULT_POSE_MODEL)

    def resolved_source(self) -> str:
        return self.source.uri or str(DEFAULT_VIDEO)

    @model_validator(mode="after")
    def _unique_cameras(self) -> AppConfig:
        names = [c.name for c in self.cameras]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"cameras: the name {', '.join(twice)} is used twice; each "
                             "camera needs its own")
        return self

    def camera_list(self, source: str | None = None) -> list[CameraConfig]:
        """The cameras to run: ``source`` (``--source``) is one camera on it; else the
        ``cameras:`` list (a camera without a source takes ``source.uri``); else one
        camera on ``source.uri`` (the bundled demo when that is empty)."""
        if source is not None:
            one = self.cameras[0].name if len(self.cameras) == 1 else DEFAULT_CAMERA
            return [CameraConfig(name=one, source=source,
                                 room=self.cameras[0].room if self.cameras else "")]
        if not self.cameras:
            return [CameraConfig(name=DEFAULT_CAMERA, source=self.resolved_source())]
        return [c if c.source else c.model_copy(update={"source": self.resolved_source()})
                for c in self.cameras]

    def for_camera(self, camera: CameraConfig) -> AppConfig:
        """This config with ``camera.set`` applied (``ConfigError`` names a wrong key)."""
        if not camera.set:
            return self
        data = self.model_dump()
        for key, value in camera.set.items():
            node = data
            parts = key.split(".")
            for part in parts[:-1]:
                nxt = node.get(part) if isinstance(node, dict) else None
                if not isinstance(nxt, dict):
                    nxt = {}
                    node[part] = nxt
                node = nxt
            node[parts[-1]] = value
        try:
            return AppConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(configfile.format_errors(
                exc, f"cameras[{camera.name}].set", AppConfig)) from None


# ------------------------------------------------------------------ key listing


def valid_keys(model: type[BaseModel] = AppConfig, prefix: str = "") -> list[str]:
    """Every dotted key (leaves and sections) of the config."""
    return configfile.valid_keys(model, prefix)


# ------------------------------------------------------------------ loading

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _substitute_env(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        def repl(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(f"environment variable {name} is not set (used as ${{{name}}} "
                              "in the config); export it or give a default: ${NAME:-value}")
        return _ENV.sub(repl, value)
    if isinstance(value, dict):
        return {k: _substitute_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_env(v, env) for v in value]
    return value


def load_config(
    path: str | Path | None = None,
    overrides: Iterable[str] = (),
    *,
    env: Mapping[str, str] | None = None,
) -> AppConfig:
    """Defaults from assets, then ``path`` (if given), then ``--set`` overrides.

    Raises ``ConfigError`` with a message that names the key and the valid ones.
    """
    environ = os.environ if env is None else env
    data = configfile.read_yaml(DEFAULT_CONFIG, empty_ok=True) if DEFAULT_CONFIG.is_file() \
        else {}
    origin = str(DEFAULT_CONFIG)
    if path is not None:
        data = configfile.deep_merge(data, configfile.read_yaml(Path(path), empty_ok=True))
        origin = str(path)
    overrides = list(overrides)
    for item in overrides:
        configfile.apply_set(data, item, AppConfig, example="window.stride=8", empty="",
                             open_sections=("events.rules",))
    data = _substitute_env(data, environ)
    try:
        return AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(configfile.format_errors(
            exc, _origin_of(exc, origin, list(overrides)), AppConfig)) from None


def _origin_of(exc: ValidationError, origin: str, overrides: list[str]) -> str:
    """Where the wrong values came from: the ``--set`` items that name a failing key (the
    installer typed them), else the config file."""
    keys = {item.split("=", 1)[0].strip(): item for item in overrides if "=" in item}
    hits = []
    for err in exc.errors():
        dotted = ".".join(str(p) for p in err["loc"])
        hits += [item for key, item in keys.items()
                 if dotted == key or dotted.startswith(key + ".") or key.startswith(dotted + ".")]
    if hits:
        return "--set " + ", --set ".join(dict.fromkeys(hits))
    return origin
