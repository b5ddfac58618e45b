"""Choose the video source: a camera, a file, a network stream, or anything the CLI takes.

The dialog shows the source in use with its credentials masked (``redact_source``: an
``rtsp://user:password@host`` URL's password, ``?password=``/``token=`` values, gst's
``user-pw=``): whoever uses the dashboard never sees them. What the user submits gets the
hidden secrets back where the masked form is left as it was shown, with the same
addresses (``scheme://user:***@host:port``) and the same parameter names before each
``***``: an unchanged source, or one with another path, still works. A secret never goes
to an address it was not shown with: change the host or the user and the password must
be typed again (OK stays disabled while a ``***`` of the old source is left), and so
must it for another kind of source or an edited ``gst:`` pipeline.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from PyQt6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from edge_app.sources import SourceError, parse_source, redact_source

__all__ = ["SourceDialog", "classify_source", "restore_secrets"]

_STREAM_PREFIXES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://")
MASK = "***"  # what redact_source puts in place of a secret
# every URL's scheme and authority (user info, host, port), as redact_source reads them
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]*")
# what names a masked secret: "user:" before a password, "password=" before a value
_LABEL = re.compile(r"[^\s/?#&;:=!\"]*[:=]\"?$")


def _secrets(source: str) -> list[str]:
    """The secrets ``redact_source`` masks in ``source``, in order ([] when none)."""
    shown = redact_source(source)
    parts = shown.split(MASK)
    if len(parts) == 1:
        return []
    pattern = "(.+?)".join(re.escape(p) for p in parts)
    m = re.fullmatch(pattern, source, re.DOTALL)
    return list(m.groups()) if m else []


def restore_secrets(text: str, source: str) -> str:
    """``text`` (what the user submitted, edited from ``redact_source(source)``) with the
    secrets of ``source`` back in place of its ``***``, where that is safe: the same URL
    origins (scheme, user, host, port) as shown, and each ``***`` after the same label
    (``user:``, ``password=``) as one shown, in the same order (a masked parameter may be
    left out), and the same kind of source (``parse_source``), never an edited ``gst:``
    pipeline (its elements could send a secret anywhere: ``proxy=``, another element).
    Otherwise ``text`` as it is (its ``***`` stay; ``SourceDialog`` asks for the
    password). ``text`` left exactly as shown is ``source`` itself, whatever its kind."""
    shown = redact_source(source)
    if text == shown:
        return source
    secrets = _secrets(source)
    if not secrets or MASK not in text or not _same_kind(text, source):
        return text
    if _ORIGIN.findall(text) != _ORIGIN.findall(shown):
        return text  # another host or user: the password is not sent there
    got = text.split(MASK)
    labels = [_label(w) for w in shown.split(MASK)[:-1]]
    out, j = got[0], 0
    for before, rest in pairwise(got):
        label = _label(before)
        while j < len(labels) and labels[j] != label:
            j += 1  # that secret was left out of the text
        if label is None or j == len(labels):
            return text
        out += secrets[j] + rest
        j += 1
    return out


def _same_kind(text: str, source: str) -> bool:
    """``text`` and ``source`` are the same kind of source, and not GStreamer pipelines."""
    try:
        kind = parse_source(text).kind
        return kind == parse_source(source).kind and kind != "gstreamer"
    except SourceError:
        return False


def _label(before: str) -> str | None:
    m = _LABEL.search(before)
    return m.group(0) if m else None


def classify_source(uri: str) -> str:
    """``camera``, ``stream``, ``file`` or ``other`` (GStreamer and the like)."""
    u = uri.strip()
    if u.isdigit():
        return "camera"
    if u.lower().startswith(_STREAM_PREFIXES):
        return "stream"
    if u.startswith("gst:") or not u:
        return "other"
    return "file"


class SourceDialog(QDialog):
    """Pick a source; ``uri()`` is what ``controls.switch_source`` gets. ``current`` (the
    source in use) is shown masked; ``uri()`` puts its secrets back (``restore_secrets``)."""

    def __init__(self, current: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._current = current
        self._hidden = bool(_secrets(current))
        shown = redact_source(current)
        self.setWindowTitle("Choose the video source")
        self.camera = QRadioButton("Camera")
        self.file = QRadioButton("Video or keypoint file")
        self.stream = QRadioButton("Network camera (rtsp:// or http:// address)")
        self.other = QRadioButton("Other (GStreamer pipeline gst:\u2026)")
        self.group = QButtonGroup(self)
        for b in (self.camera, self.file, self.stream, self.other):
            self.group.addButton(b)
        self.camera_index = QSpinBox()
        self.camera_index.setRange(0, 63)
        self.camera_index.setPrefix("camera ")
        self.file_path = QLineEdit()
        self.file_path.setPlaceholderText("/path/to/video.mp4")
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        self.stream_url = QLineEdit()
        self.stream_url.setPlaceholderText("rtsp://user:password@192.168.1.20:554/stream1")
        self.other_text = QLineEdit()
        self.other_text.setPlaceholderText("gst:v4l2src ! videoconvert ! appsink")
        self.problem = QLabel()
        self.problem.setObjectName("muted")
        grid = QGridLayout()
        grid.addWidget(self.camera, 0, 0)
        grid.addWidget(self.camera_index, 0, 1)
        grid.addWidget(self.file, 1, 0)
        grid.addWidget(self.file_path, 1, 1)
        grid.addWidget(browse, 1, 2)
        grid.addWidget(self.stream, 2, 0)
        grid.addWidget(self.stream_url, 2, 1, 1, 2)
        grid.addWidget(self.other, 3, 0)
        grid.addWidget(self.other_text, 3, 1, 1, 2)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        self.now = QLabel(f"Now: {shown or 'the demo video'}")
        lay.addWidget(self.now)
        lay.addLayout(grid)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        kind = classify_source(current)
        if kind == "camera":
            self.camera.setChecked(True)
            self.camera_index.setValue(int(current))
        elif kind == "stream":
            self.stream.setChecked(True)
            self.stream_url.setText(shown)
        elif kind == "file":
            self.file.setChecked(True)
            self.file_path.setText(shown)
        else:
            self.other.setChecked(bool(current))
            self.other_text.setText(shown)
            if not current:
                self.camera.setChecked(True)
        for w in (self.file_path, self.stream_url, self.other_text):
            w.textChanged.connect(self._validate)
        self.group.buttonToggled.connect(lambda *_: self._validate())
        self.camera_index.valueChanged.connect(lambda *_: self._validate())
        self._validate()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a video or keypoint file", self.file_path.text(),
            "Videos and keypoints (*.mp4 *.avi *.mkv *.mov *.webm *.pkl);;All files (*)")
        if path:
            self.file_path.setText(path)
            self.file.setChecked(True)

    def uri(self) -> str:
        """The source chosen, with the current source's hidden secrets put back where the
        user left them masked (never shown, never logged)."""
        return restore_secrets(self.shown_uri(), self._current)

    def shown_uri(self) -> str:
        """The source chosen as the dialog shows it (secrets of the current one masked)."""
        if self.camera.isChecked():
            return str(self.camera_index.value())
        if self.file.isChecked():
            return self.file_path.text().strip()
        if self.stream.isChecked():
            return self.stream_url.text().strip()
        return self.other_text.text().strip()

    def problem_text(self) -> str:
        """Why OK is disabled, or ''. Never shows a secret."""
        uri = self.uri()
        if self._hidden and MASK in uri and MASK in self.shown_uri() and uri != self._current:
            return ("Type the password again: the hidden one (***) is kept only for the "
                    "same address and user")
        if self.file.isChecked():
            if not uri:
                return "Choose a file"
            if not Path(uri).expanduser().is_file():
                return f"There is no file {redact_source(uri)}"
        elif self.stream.isChecked():
            if not uri.lower().startswith(_STREAM_PREFIXES):
                return "A network camera address starts with rtsp:// or http://"
        elif self.other.isChecked() and not uri:
            return "Type the source"
        return ""

    def _validate(self) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(not problem)
