"""The source dialog never shows a source's secrets, and an unchanged or partly edited
source still gets them back (the real Qt dialog, offscreen)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QLineEdit, QWidget

from edge_app.dashboard.source_dialog import SourceDialog, restore_secrets
from edge_app.dashboard.window import DashboardWindow
from edge_app.store import EventStore
from tests.edge_app.dashboard.fakes import FakePipeline

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
        assert d.uri() == gst
        d.other_text.setText(d.other_text.text().replace("! decodebin", "! avdec_h264"))
        assert d.uri() == gst.replace("! decodebin", "! avdec_h264")
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
