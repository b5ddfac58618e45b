"""Decoding the RGB frames of given indices from a clip's video (OpenCV, RGB order).

A clip's video is ``<video_root>/<filename>`` when the annotation has a ``filename``
key, else ``<video_root>/<frame_dir><suffix>`` for the first suffix that exists (PYSKL
NTU pickles name clips ``S001C001P001R001A001`` and the videos ``..._rgb.avi``). The
annotation's ``start_frame`` (default 0) is the video frame of clip frame 0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["VideoError", "read_frames", "resolve_video", "video_info"]

log = logging.getLogger(__name__)
Frame = npt.NDArray[np.uint8]
SEEK_GAP = 300  # frames: a longer jump seeks instead of decoding through


class VideoError(RuntimeError):
    """A video that cannot be found or decoded."""


def resolve_video(ann: Mapping[str, Any], root: Path, suffixes: Sequence[str]) -> Path:
    """The video file of annotation ``ann`` under ``root`` (see the module doc)."""
    if ann.get("filename"):
        path = root / str(ann["filename"])
        if path.is_file():
            return path
        raise VideoError(f"video {path} of clip {ann.get('frame_dir')!r} does not exist")
    stem = str(ann["frame_dir"])
    for suffix in suffixes:
        path = root / f"{stem}{suffix}"
        if path.is_file():
            return path
    raise VideoError(f"no video for clip {stem!r} under {root} (tried suffixes "
                     f"{list(suffixes)}); set data.video_root / data.video_suffixes, or give "
                     "the annotations a 'filename' key")


def video_info(path: Path) -> tuple[int, float, tuple[int, int]]:
    """``(frame_count, fps, (width, height))`` of a video as OpenCV reports them."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise VideoError(f"OpenCV cannot open video {path}")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        cap.release()
    return count, fps, size


def read_frames(
    path: Path, indices: Iterable[int], *, start_frame: int = 0, seek_gap: int = SEEK_GAP
) -> dict[int, Frame]:
    """Decode the clip frames ``indices`` of the video at ``path``.

    Frames are read in order with ``grab``/``retrieve``; a jump of more than ``seek_gap``
    frames seeks instead (long videos such as Toyota Smarthome's). Clip frame ``i`` is
    video frame ``start_frame + i``. If the video ends early, the missing indices get its
    last frame (keypoint files and videos often differ by a few frames).

    Returns:
        ``{index: (H, W, 3) uint8 RGB}`` for every distinct index.
    """
    import cv2

    wanted = sorted({int(i) for i in indices})
    if not wanted:
        return {}
    if wanted[0] < 0:
        raise ValueError(f"negative frame index {wanted[0]}")
    cap = cv2.VideoCapture(str(path))
    out: dict[int, Frame] = {}
    last: Frame | None = None
    try:
        if not cap.isOpened():
            raise VideoError(f"OpenCV cannot open video {path}")
        pos = 0  # index of the next frame grab() returns
        for index in wanted:
            target = start_frame + index
            if target - pos > seek_gap and cap.set(cv2.CAP_PROP_POS_FRAMES, target):
                pos = target
            while pos < target and cap.grab():
                pos += 1
            if pos < target or not cap.grab():
                break  # the video ended
            pos += 1
            ok, bgr = cap.retrieve()
            if not ok:
                break
            last = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            out[index] = last
    finally:
        cap.release()
    if last is None:
        raise VideoError(f"no frame of {path} could be decoded at clip frames "
                         f"{wanted[0]}..{wanted[-1]} (start_frame {start_frame})")
    missing = [i for i in wanted if i not in out]
    if missing:
        log.debug("%s ends before clip frame %d; holding its last decoded frame", path,
                  missing[0])
        for i in missing:
            out[i] = last
    return out
