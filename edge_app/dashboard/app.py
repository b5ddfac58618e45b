"""``run_dashboard``: the Qt application around one pipeline (what ``edge_app run`` calls)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from PyQt6.QtCore import QEventLoop, QSettings, QTimer
from PyQt6.QtWidgets import QApplication, QWidget

from edge_app.config import AppConfig
from edge_app.dashboard.display import check_display
from edge_app.dashboard.protocol import PipelineLike
from edge_app.dashboard.window import APPLICATION, ORGANISATION, DashboardWindow

__all__ = ["DashboardUnavailable", "application", "run_dashboard", "save_screenshot"]

log = logging.getLogger(__name__)

SCREENSHOT_SIZE = (1280, 720)


class DashboardUnavailable(RuntimeError):
    """No window can be opened here (no display, missing system libraries)."""


def application() -> QApplication:
    """The QApplication: the existing one, or a new one after checking the display.

    Clears ``QT_QPA_PLATFORM_PLUGIN_PATH`` first: importing cv2 points it at OpenCV's own
    Qt plugins, which do not match PyQt6's Qt. Raises ``DashboardUnavailable`` instead of
    letting Qt abort the process when the platform plugin cannot load.
    """
    old = os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    if old:
        log.debug("cleared QT_QPA_PLATFORM_PLUGIN_PATH=%s (set by cv2)", old)
    existing = QApplication.instance()
    if existing is not None:
        if not isinstance(existing, QApplication):
            raise DashboardUnavailable("a non-GUI Qt application already exists in this "
                                       "process")
        return existing
    problems = check_display()
    if problems:
        raise DashboardUnavailable("; ".join(problems))
    app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "epam-edge"])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Activity monitor")
    app.setStyle("Fusion")
    return app


def save_screenshot(widget: QWidget, path: Path) -> bool:
    """The widget as it is on screen (offscreen works too) to a PNG file."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.error("cannot write the screenshot %s: %s", path, exc)
        return False
    ok = widget.grab().save(str(path), "PNG")
    if ok:
        log.info("dashboard screenshot saved to %s", path)
    else:
        log.error("could not save the screenshot to %s", path)
    return bool(ok)


def _drain(app: QApplication, seconds: float) -> None:
    """Deliver queued signals (the last frames and events) for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def run_dashboard(
    pipeline: PipelineLike,
    cfg: AppConfig,
    *,
    screenshot: Path | None = None,
    max_seconds: float | None = None,
    settings: QSettings | None = None,
) -> int:
    """Show the dashboard for ``pipeline``, start it, and run until it ends.

    The loop ends when the pipeline finishes (end of file, its own ``max_seconds``, stop),
    when ``max_seconds`` pass here, on Ctrl+C, or when the window is closed. Then, unless
    the window was closed, ``screenshot`` (if given) receives the window as PNG; the
    pipeline is stopped in every case. Returns 0, or 1 if the screenshot failed.

    Raises ``DashboardUnavailable`` if no window can be opened (see ``check_display``).
    """
    app = application()
    window = DashboardWindow(pipeline, cfg, settings=settings)
    pipeline.add_sink(window.sink)
    if screenshot is not None:
        window.resize(*SCREENSHOT_SIZE)  # reproducible, whatever size was remembered
    window.show()
    loop = QEventLoop()
    reason: list[str] = []

    def finish(why: str) -> None:
        if not reason:
            reason.append(why)
            log.info("dashboard: %s", why)
        loop.quit()

    window.closed.connect(lambda: finish("window closed"))
    poll = QTimer()
    poll.setInterval(100)  # also lets Python run its Ctrl+C handler

    def check_finished() -> None:
        if pipeline.finished.is_set():
            finish("pipeline finished")

    poll.timeout.connect(check_finished)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(lambda: finish(f"{max_seconds:g} s passed"))

    previous = None
    code = 0
    if threading.current_thread() is threading.main_thread():
        def on_sigint(signum: int, frame: FrameType | None) -> None:
            finish("interrupted")

        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        try:
            pipeline.start()
        except BaseException:
            window.close()
            raise
        poll.start()
        if max_seconds is not None:
            deadline.start(max(0, int(max_seconds * 1000)))
        loop.exec()
        poll.stop()
        deadline.stop()
        if screenshot is not None and reason and reason[0] != "window closed":
            _drain(app, 0.3)
            window.reload()
            window.banner.steady()
            app.processEvents()
            code = 0 if save_screenshot(window, screenshot) else 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        try:
            pipeline.stop()
        except Exception:
            log.exception("stopping the pipeline failed")
        if not window.is_closed:
            window.close()
        window.deleteLater()
        app.processEvents()
    return code
