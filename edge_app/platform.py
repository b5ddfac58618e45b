"""Facts about this machine the app and ``doctor`` need (OpenCV build, providers)."""

from __future__ import annotations

import functools
import re

__all__ = ["available_providers", "opencv_has_gstreamer"]


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
