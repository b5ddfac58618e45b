from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QApplication

from edge_app.config import AppConfig, load_config
from edge_app.dashboard.window import DashboardWindow
from edge_app.store import EventStore
from tests.edge_app.dashboard.fakes import FakePipeline


@pytest.fixture(scope="session")
def qapp() -> QApplication:
    """The one QApplication (offscreen: tests/conftest.py sets QT_QPA_PLATFORM)."""
    from edge_app.dashboard.app import application

    return application()


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> QSettings:
    """A private settings file (never the user's)."""
    path = tmp_path / "dashboard.ini"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    return QSettings(str(path), QSettings.Format.IniFormat)


@pytest.fixture()
def cfg() -> AppConfig:
    return load_config(overrides=["dashboard.alert_repeat_s=0"])


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[EventStore]:
    s = EventStore(tmp_path / "events.db")
    yield s
    s.close()


@pytest.fixture()
def make_window(qapp: QApplication, cfg: AppConfig,
                settings: QSettings) -> Iterator[Callable[..., DashboardWindow]]:
    """Build dashboards on fake pipelines; closes them (and stops the pipelines) afterwards."""
    made: list[tuple[DashboardWindow, FakePipeline]] = []

    def make(pipeline: FakePipeline, *, config: AppConfig | None = None,
             show: bool = True) -> DashboardWindow:
        w = DashboardWindow(pipeline, config or cfg, settings=settings)
        pipeline.add_sink(w.sink)
        if show:
            w.show()
        made.append((w, pipeline))
        return w

    yield make
    for w, p in made:
        p.stop()
        w.close()
        w.deleteLater()
    qapp.processEvents()
