"""The source dialog never shows a source's secrets, and an unchanged or partly edited
source still gets them back (the real Qt dialog, offscreen)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QLineEdit, QWidget

from edge_app.dashboard.source_dialog import SourceDialog, restore_secrets
from edge_app.dashboard.window import DashboardWindow
from edge_app.store import EventStore
from tests.edge_app.dashboard.fakes import FakePipeline, wait_until

SECRET = "s3cr3t-Pa55"
TOKEN = "tok-98765"
URL = f"rtsp://admin:{SECRET}@192.168.1.20:554/stream1?channel=1&password={TOKEN}"
SHOWN = "rtsp://admin:***@192.168.1.20:554/stream1?channel=1&password=***"


def _texts(dialog: QWidget) -> list[str]:
    """Every text the dialog shows: labels, line edits (and their placeholders)."""
    out = [w.text() for w in dialog.findChildren(QLabel)]
    for e in dialog.findChildren(QLineEdit):
        out += [e.text(), e.placeholderText()]
    return [*out, dialog.windowTitle()]


def _ok(dialog: SourceDialog) -> bool:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert button is not None
    return button.isEnabled()


def _retype(edit: QLineEdit, text: str) -> None:
    """What the user does: select all, type the new text."""
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Delete)
    QTest.keyClicks(edit, text)


def test_the_dialog_shows_the_source_masked(qapp: QApplication) -> None:
    d = SourceDialog(URL)
    try:
        assert d.stream.isChecked() and d.stream_url.text() == SHOWN
        assert d.now.text() == f"Now: {SHOWN}"
        shown = _texts(d)
        assert not any(SECRET in t or TOKEN in t for t in shown), shown
        # submitted unchanged: the real source, secrets and all
        assert _ok(d) and d.problem_text() == ""
        assert d.uri() == URL
    finally:
        d.deleteLater()


@pytest.mark.parametrize(("typed", "sent"), [
    # another path and query: the hidden password and token still go with them
    ("rtsp://admin:***@192.168.1.20:554/stream2?channel=2&password=***",
     f"rtsp://admin:{SECRET}@192.168.1.20:554/stream2?channel=2&password={TOKEN}"),
    # the query dropped along with its secret: the password still goes
    ("rtsp://admin:***@192.168.1.20:554/stream2",
     f"rtsp://admin:{SECRET}@192.168.1.20:554/stream2"),
    # new credentials typed in: what was typed
    ("rtsp://bob:newpass@192.168.1.20:554/stream1?password=x",
     "rtsp://bob:newpass@192.168.1.20:554/stream1?password=x"),
])
def test_an_edited_source_gets_its_hidden_secrets_back(
        qapp: QApplication, typed: str, sent: str) -> None:
    d = SourceDialog(URL)
    try:
        _retype(d.stream_url, typed)
        assert d.stream_url.text() == typed
        assert d.problem_text() == "" and _ok(d)
        assert d.uri() == sent
    finally:
        d.deleteLater()


@pytest.mark.parametrize("typed", [
    "rtsp://admin:***@evil.example.com:554/stream1?channel=1&password=***",  # another host
    "rtsp://root:***@192.168.1.20:554/stream1?channel=1&password=***",  # another user
    "rtsp://admin:***@192.168.1.20:8554/stream1?channel=1&password=***",  # another port
])
def test_a_hidden_password_never_goes_to_another_address(
        qapp: QApplication, typed: str) -> None:
    d = SourceDialog(URL)
    try:
        _retype(d.stream_url, typed)
        assert d.uri() == typed  # the masks stay: no secret in it
        assert "password again" in d.problem_text() and not _ok(d)
        assert not any(SECRET in t or TOKEN in t for t in _texts(d))
    finally:
        d.deleteLater()


def test_other_sources_are_masked_too(qapp: QApplication) -> None:
    gst = (f"gst:rtspsrc location=rtsp://cam.local/s user-id=admin user-pw={SECRET} "
           "! decodebin ! appsink")
    d = SourceDialog(gst)
    try:
        assert d.other.isChecked() and SECRET not in d.other_text.text()
        assert "user-pw=***" in d.other_text.text()
        assert d.uri() == gst  # unchanged: the pipeline in use, as it is
        # an edited pipeline never gets the secret back (an element could send it
        # anywhere): the password must be typed again
        edited = d.other_text.text().replace("! decodebin", "! avdec_h264")
        d.other_text.setText(edited)
        assert d.uri() == edited and SECRET not in d.uri()
        assert "password again" in d.problem_text() and not _ok(d)
    finally:
        d.deleteLater()
    # nothing secret: nothing changes
    assert restore_secrets("/videos/b.mp4", "/videos/a.mp4") == "/videos/b.mp4"
    assert restore_secrets("0", URL) == "0"


def test_choose_source_switches_to_the_real_url_and_never_shows_or_logs_it(
        make_window: Callable[..., DashboardWindow], store: EventStore,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = FakePipeline(store)
    w = make_window(p)
    assert w.switch_source(URL)
    seen: list[list[str]] = []

    def user_changes_the_path(self: SourceDialog) -> int:
        seen.append(_texts(self))
        self.stream_url.setText(self.stream_url.text().replace("stream1", "stream2"))
        return SourceDialog.DialogCode.Accepted.value

    monkeypatch.setattr(SourceDialog, "exec", user_changes_the_path)
    w.choose_source()
    assert seen and SHOWN in seen[0]
    assert not any(SECRET in t or TOKEN in t for t in seen[0])
    assert p.controls.sources[-1] == URL.replace("stream1", "stream2")
    assert SECRET not in w.status_labels["source"].text()
    assert SECRET not in caplog.text and TOKEN not in caplog.text


@pytest.mark.parametrize("typed", [
    # the same rtsp origin inside a gst: pipeline, with a proxy of someone else's
    "gst:rtspsrc location=rtsp://admin:***@192.168.1.20:554/stream1 proxy=evil:3128 "
    "! decodebin ! appsink",
    "gst:rtspsrc location=rtsp://admin:***@192.168.1.20:554/stream1?channel=1&password=*** "
    "! decodebin ! appsink",
])
def test_a_hidden_password_never_goes_into_a_gstreamer_pipeline(
        qapp: QApplication, typed: str) -> None:
    assert restore_secrets(typed, URL) == typed
    d = SourceDialog(URL)
    try:
        d.other.setChecked(True)
        _retype(d.other_text, typed)
        assert d.uri() == typed and SECRET not in d.uri() and TOKEN not in d.uri()
        assert "password again" in d.problem_text() and not _ok(d)
    finally:
        d.deleteLater()


def test_a_hidden_password_stays_with_its_kind_of_source() -> None:
    """From a gst: pipeline to a URL of the same origin, or from a URL to a file named
    like it: the secret stays where it was."""
    gst = f"gst:rtspsrc location=rtsp://admin:{SECRET}@192.168.1.20:554/stream1 ! appsink"
    assert restore_secrets("rtsp://admin:***@192.168.1.20:554/stream1", gst) \
        == "rtsp://admin:***@192.168.1.20:554/stream1"
    assert SECRET not in restore_secrets("rtsp://admin:***@192.168.1.20:554/x.pkl", gst)
    # the same kind still gets it back
    assert restore_secrets("rtsp://admin:***@192.168.1.20:554/stream2", URL) \
        == f"rtsp://admin:{SECRET}@192.168.1.20:554/stream2"


def test_the_dialog_starts_from_the_source_the_camera_uses_after_an_mqtt_switch(
        qapp: QApplication, random_model: Path, data_dir: Path, tmp_path: Path,
        settings: QSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real ``EdgeApp`` on the demo video and the real window: the dashboard switches
    to a keypoint replay, then a switch comes from elsewhere (MQTT calls the camera's
    ``switch_source``) to the video again. The dialog shows and pre-fills the video (the
    source in use), and OK unchanged keeps it (never back to the replay)."""
    from edge_app.app import EdgeApp
    from edge_app.config import load_config
    from tests.edge_app.conftest import DEMO_VIDEO
    from tests.edge_app.test_app import _replay_file

    replay = _replay_file(tmp_path / "replay.pkl", seconds=60.0)
    cfg = load_config()
    app = EdgeApp(cfg, source=str(DEMO_VIDEO), model_path=random_model, realtime=True)
    w = DashboardWindow(app, cfg, settings=settings)
    app.add_sink(w.sink)
    seen: list[list[str]] = []
    asked: list[str] = []

    def accept_as_shown(self: SourceDialog) -> int:
        seen.append(_texts(self))
        asked.append(self.uri())
        return SourceDialog.DialogCode.Accepted.value

    monkeypatch.setattr(SourceDialog, "exec", accept_as_shown)
    try:
        app.start()
        cam = app.camera
        assert w.current_uri == str(DEMO_VIDEO)
        assert w.switch_source(str(replay))
        assert wait_until(lambda: cam.source_text == str(replay), 15)
        assert w.current_uri == str(replay)
        cam.switch_source(str(DEMO_VIDEO))  # what an MQTT source/set does
        assert wait_until(lambda: cam.source_text == str(DEMO_VIDEO), 15)
        assert w.current_uri == str(DEMO_VIDEO)
        w.choose_source()
        assert f"Now: {DEMO_VIDEO}" in seen[-1] and str(DEMO_VIDEO) in seen[-1]
        assert str(replay) not in seen[-1]
        assert asked == [str(DEMO_VIDEO)]
        assert not cam.switching or wait_until(lambda: not cam.switching, 15)
        assert cam.source_text == str(DEMO_VIDEO)
        # a switch that cannot be taken: the dialog shows what the camera still uses
        assert w.switch_source(str(tmp_path / "missing.mp4"))
        assert wait_until(lambda: "cannot switch" in cam.switch_error, 15)
        assert w.current_uri == str(DEMO_VIDEO)
    finally:
        app.stop()
        w.close()
        w.deleteLater()
        qapp.processEvents()
    assert app.error is None
