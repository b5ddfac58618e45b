"""The caregiver dashboard (PyQt6): one more sink of the pipeline and one more way to control it.

``check_display`` imports no Qt GUI module and is safe to call anywhere (``doctor``,
``make run``); the window, the sink and ``run_dashboard`` import PyQt6 when first used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_app.dashboard.display import check_display

if TYPE_CHECKING:
    from PyQt6.QtCore import QSettings

    from edge_app.config import AppConfig
    from edge_app.dashboard.app import DashboardUnavailable
    from edge_app.dashboard.protocol import PipelineLike
    from edge_app.dashboard.sink import DashboardSink
    from edge_app.dashboard.window import DashboardWindow

__all__ = [
    "DashboardSink",
    "DashboardUnavailable",
    "DashboardWindow",
    "PipelineLike",
    "check_display",
    "run_dashboard",
]

_LAZY = {
    "DashboardSink": "edge_app.dashboard.sink",
    "DashboardUnavailable": "edge_app.dashboard.app",
    "DashboardWindow": "edge_app.dashboard.window",
    "PipelineLike": "edge_app.dashboard.protocol",
}


def run_dashboard(
    pipeline: PipelineLike,
    cfg: AppConfig,
    *,
    screenshot: Path | None = None,
    max_seconds: float | None = None,
    settings: QSettings | None = None,
) -> int:
    """Show the dashboard for ``pipeline``, start it, run until it ends.

    See ``edge_app.dashboard.app.run_dashboard``.
    """
    from edge_app.dashboard.app import run_dashboard as _run

    return _run(pipeline, cfg, screenshot=screenshot, max_seconds=max_seconds,
                settings=settings)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
