"""Facts about this machine the app and ``doctor`` need (OpenCV build, providers)."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["available_providers", "native_stderr_captured", "opencv_has_gstreamer"]


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[list[str]]:
    """Capture what native libraries write straight to file descriptor 2 (MediaPipe's
    TFLite/LiteRT chatter: dozens of lines per model load, which no environment variable
    silences). Yields a list that holds the captured lines after the block."""
    lines: list[str] = []
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (some service managers): nothing to capture
        yield lines
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines.extend(tmp.read().decode("utf-8", "replace").splitlines())


@functools.cache
def opencv_has_gstreamer() -> bool:
    """Whether the installed OpenCV was built with GStreamer (Jetson's is; PyPI's is not)."""
    import cv2

    info = cv2.getBuildInformation()
    m = re.search(r"GStreamer:\s*(\w+)", info)
    return bool(m and m.group(1).upper() == "YES")


def available_providers() -> list[str]:
    """ONNX Runtime execution providers of this installation."""
    import onnxruntime as ort

    return list(ort.get_available_providers())
