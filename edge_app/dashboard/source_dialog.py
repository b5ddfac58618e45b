"""Choose the video source: a camera, a file, a network stream, or anything the CLI takes."""

from __future__ import annotations

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

__all__ = ["SourceDialog", "classify_source"]

_STREAM_PREFIXES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://")


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
    """Pick a source; ``uri()`` is what ``controls.switch_source`` gets."""

    def __init__(self, current: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        lay.addWidget(QLabel(f"Now: {current or 'the demo video'}"))
        lay.addLayout(grid)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        kind = classify_source(current)
        if kind == "camera":
            self.camera.setChecked(True)
            self.camera_index.setValue(int(current))
        elif kind == "stream":
            self.stream.setChecked(True)
            self.stream_url.setText(current)
        elif kind == "file":
            self.file.setChecked(True)
            self.file_path.setText(current)
        else:
            self.other.setChecked(bool(current))
            self.other_text.setText(current)
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
        if self.camera.isChecked():
            return str(self.camera_index.value())
        if self.file.isChecked():
            return self.file_path.text().strip()
        if self.stream.isChecked():
            return self.stream_url.text().strip()
        return self.other_text.text().strip()

    def problem_text(self) -> str:
        """Why OK is disabled, or ''."""
        uri = self.uri()
        if self.file.isChecked():
            if not uri:
                return "Choose a file"
            if not Path(uri).expanduser().is_file():
                return f"There is no file {uri}"
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
