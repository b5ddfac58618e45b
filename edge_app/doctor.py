"""``python -m edge_app doctor``: what is wrong with this installation, and how to fix it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from edge_app.config import AppConfig

__all__ = ["run_doctor"]

Check = tuple[str, Callable[[], str | None], bool]  # name, returns problem or None, fatal?


def _check_model(cfg: AppConfig, path: Path) -> str | None:
    from edge_app.backends import make_runner
    from edge_app.runner import ModelError

    try:
        runner = make_runner(cfg, path)
    except ModelError as exc:
        return str(exc)
    note = (" — UNTRAINED (random weights): labels are meaningless"
            if runner.untrained else "")
    print(f"    {len(runner.class_names)} classes: {', '.join(runner.class_names)}{note}")
    print(f"    provider in use: {runner.providers[0]} (sample rate "
          f"{runner.metadata.sample_rate_hz:g} Hz)")
    return None


def _check_pose(path: Path) -> str | None:
    from edge_app.platform import native_stderr_captured
    from edge_app.pose import PoseError, PoseTracker

    # MediaPipe's native log (about 50 lines per load) would bury the report
    with native_stderr_captured() as chatter:
        try:
            PoseTracker(path).close()
            problem = None
        except PoseError as exc:
            problem = str(exc)
    if problem is not None and chatter:
        print("    MediaPipe said: " + " | ".join(chatter[-3:]))
    return problem


def _check_source(text: str) -> str | None:
    from edge_app.sources import SourceError, open_source

    try:
        src = open_source(text, realtime=False)
    except SourceError as exc:
        return str(exc)
    desc = src.description
    fps = src.fps
    src.close()
    print(f"    {desc}: {fps:.1f} fps")
    return None


def _check_providers(wanted: list[str]) -> str | None:
    from edge_app.platform import available_providers
    from edge_app.runner import PROVIDER_NAMES

    have = available_providers()
    print(f"    ONNX Runtime providers here: {', '.join(have)}")
    missing = [p for p in wanted if p != "cpu" and PROVIDER_NAMES[p] not in have]
    if missing and missing == [p for p in wanted if p != "cpu"]:
        return None  # CPU-only machine: fine, just slower
    return None


def _check_gstreamer() -> str | None:
    from edge_app.platform import opencv_has_gstreamer

    if opencv_has_gstreamer():
        print("    OpenCV has GStreamer (CSI cameras via gst: sources work)")
        return None
    print("    OpenCV has no GStreamer: gst: sources (Jetson CSI cameras) will not open. On "
          "Jetson, use JetPack's system OpenCV; USB cameras and rtsp:// work without it")
    return None


def _check_writable(path: Path) -> str | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as exc:
        return (f"data directory {path} is not writable ({exc}); set data_dir or "
                "$EPAM_DATA_DIR to a writable folder")
    print(f"    {path}")
    return None


def _check_store(path: Path) -> str | None:
    from edge_app.store import check_store_file

    problems = check_store_file(path)
    if problems:
        return (f"event store {path} is damaged: {'; '.join(problems[:3])}. The app moves it "
                f"aside (kept as {path.name}.corrupt-<time>) and starts a new one; to keep "
                f"the history, stop the app and run: sqlite3 {path} '.recover' | sqlite3 "
                f"{path.name}.recovered")
    print(f"    {path}" + ("" if path.exists() else " (created at the first run)"))
    return None


def _check_display() -> str | None:
    try:
        from edge_app.dashboard import check_display
    except ImportError as exc:
        return f"the dashboard cannot load: {exc}"
    problems = check_display()
    if problems:
        return "; ".join(problems) + " (the app runs headless until fixed)"
    return None


def _check_broker(cfg: AppConfig) -> str | None:
    if not cfg.mqtt.enabled:
        print("    MQTT is off (mqtt.enabled: false)")
        return None
    from edge_app.mqtt.commands import check_broker

    return check_broker(cfg)


def run_doctor(cfg: AppConfig, *, source: str | None = None, model: Path | None = None) -> int:
    """Run every check, print a report; exit code 0 when nothing fatal is wrong."""
    checks: list[Check] = [
        ("configuration", lambda: None, True),
        ("data directory", lambda: _check_writable(cfg.resolved_data_dir()), True),
        ("event store", lambda: _check_store(cfg.resolved_store_path()), True),
        ("EPAM-Net model", lambda: _check_model(cfg, model or cfg.resolved_model_path()), True),
        ("pose model", lambda: _check_pose(cfg.resolved_pose_model_path()), True),
        ("source", lambda: _check_source(source or cfg.resolved_source()), True),
        ("inference providers", lambda: _check_providers(list(cfg.model.providers)), False),
        ("OpenCV GStreamer", _check_gstreamer, False),
        ("MQTT broker", lambda: _check_broker(cfg), True),
        ("display (dashboard)", _check_display, False),
    ]
    fatal = 0
    for name, fn, is_fatal in checks:
        print(f"[....] {name}", flush=True)
        try:
            problem = fn()
        except Exception as exc:  # a check must never crash the doctor
            problem = f"{exc.__class__.__name__}: {exc}"
        if problem is None:
            print(f"[ ok ] {name}")
        else:
            tag = "FAIL" if is_fatal else "warn"
            print(f"[{tag}] {name}: {problem}")
            fatal += int(is_fatal)
    if os.environ.get("EPAM_DATA_DIR"):
        print(f"EPAM_DATA_DIR={os.environ['EPAM_DATA_DIR']}")
    print("all good" if fatal == 0 else f"{fatal} problem(s) to fix")
    return 0 if fatal == 0 else 1
