"""``python -m edge_app``: run the monitor, check the installation, manage MQTT discovery."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from edge_app.config import AppConfig, ConfigError, load_config

__all__ = ["main"]

log = logging.getLogger("edge_app")


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="YAML config (defaults: assets/config/default.yaml)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key by its dotted path, e.g. window.stride=8 "
                        "(repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m edge_app",
        description="Edge activity monitor: EPAM-Net on a camera, video or keypoint file, "
                    "with events to SQLite, JSON lines, MQTT and a caregiver dashboard.")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the monitor (default: the bundled demo)")
    run.add_argument("--source", help="camera index (0), video file, rtsp://..., gst:PIPELINE, "
                     "or a PYSKL keypoint .pkl (replayed pose-only)")
    _add_config_args(run)
    run.add_argument("--model", type=Path, help="EPAM-Net .onnx (default: bundled)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true", help="no dashboard")
    mode.add_argument("--dashboard", action="store_true", help="require the dashboard")
    run.add_argument("--events-out", type=Path, help="append events as JSON lines to this file")
    pace = run.add_mutually_exclusive_group()
    pace.add_argument("--realtime", action="store_true", help="files: paced at their fps")
    pace.add_argument("--fast", action="store_true", help="files: as fast as possible")
    run.add_argument("--max-seconds", type=float, help="stop after this many seconds of the "
                     "source (video position for files)")
    run.add_argument("--screenshot", type=Path, help="save the dashboard window to this PNG when "
                     "the run ends")
    run.add_argument("--privacy", action="store_true", help="pose only: RGB never reaches the "
                     "model or the screen")
    doctor = sub.add_parser("doctor", help="check source, models, providers, broker, display")
    doctor.add_argument("--source", help="source to check (default: the configured one)")
    _add_config_args(doctor)
    doctor.add_argument("--model", type=Path)
    mqtt = sub.add_parser("mqtt", help="MQTT maintenance")
    mqtt_sub = mqtt.add_subparsers(dest="mqtt_command", required=True)
    clear = mqtt_sub.add_parser("clear-discovery", help="remove this device from Home Assistant "
                                "(clears the retained discovery and states)")
    _add_config_args(clear)
    return parser


def _want_dashboard(args: argparse.Namespace, cfg: AppConfig) -> tuple[bool, str]:
    """(use the dashboard?, why not)."""
    if args.headless or cfg.dashboard.enabled == "off":
        return False, "headless requested"
    if args.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from edge_app.dashboard import check_display
    except ImportError as exc:
        return False, f"the dashboard is not available ({exc})"
    problems = check_display()
    if problems:
        return False, "; ".join(problems)
    return True, ""


def _run(args: argparse.Namespace) -> int:
    from edge_app.app import EdgeApp
    from edge_app.logging_setup import setup_logging
    from edge_app.pose import PoseError
    from edge_app.runner import ModelError
    from edge_app.sources import SourceError
    from edge_app.store import StoreError

    cfg = load_config(args.config, args.overrides)
    if args.privacy:
        cfg.privacy.enabled = True
    cfg.checked_data_dir()  # ConfigError: one clear line, before anything writes there
    setup_logging(cfg.logging.level, cfg.resolved_log_path(), max_bytes=cfg.logging.max_bytes,
                  backups=cfg.logging.backups)
    use_dash, why = _want_dashboard(args, cfg)
    if args.dashboard and not use_dash:
        log.error("the dashboard cannot open: %s", why)
        return 2
    if not use_dash and cfg.dashboard.enabled != "off" and not args.headless:
        log.info("running headless: %s", why)
    if args.realtime:
        realtime = True
    elif args.fast:
        realtime = False
    elif cfg.source.mode == "auto":
        realtime = use_dash
    else:
        realtime = cfg.source.mode == "realtime"
    try:
        app = EdgeApp(cfg, source=args.source, model_path=args.model,
                      events_out=args.events_out, realtime=realtime,
                      max_seconds=args.max_seconds)
    except (ModelError, SourceError, StoreError) as exc:
        log.error("%s", exc)
        return 2
    from edge_app.watchdog import SystemdWatchdogSink

    watchdog = SystemdWatchdogSink()
    if watchdog.enabled:  # under systemd (Type=notify): READY, then pings while healthy
        app.add_sink(watchdog)
    if cfg.mqtt.enabled:
        try:
            from edge_app.mqtt import MqttSetupError, MqttSink
        except ImportError as exc:
            log.error("MQTT is enabled but not available: %s", exc)
            app.stop()
            return 2
        from edge_app import __version__

        try:
            mqtt_sink = MqttSink(cfg, app.store, app, model_name=app.model_name,
                                 class_names=app.class_names, sw_version=__version__)
        except MqttSetupError as exc:
            log.error("%s", exc)
            app.stop()
            return 2
        app.add_sink(mqtt_sink)
        mqtt_sink.start()
    try:
        if use_dash:
            from edge_app.dashboard import run_dashboard

            # --max-seconds is enforced by each camera, in its source's timeline;
            # SIGTERM and SIGINT stop the app under the dashboard as headless
            with app.signals_stop():
                return run_dashboard(app, cfg, screenshot=args.screenshot)
        return app.run()
    except (SourceError, PoseError) as exc:
        log.error("%s", exc)
        app.stop()
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["run", *(argv or [])])
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "doctor":
            from edge_app.doctor import run_doctor

            cfg = load_config(args.config, args.overrides)
            return run_doctor(cfg, source=args.source, model=args.model)
        if args.command == "mqtt":
            from edge_app.mqtt.commands import clear_discovery

            return clear_discovery(load_config(args.config, args.overrides))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    parser.print_help()
    return 2
