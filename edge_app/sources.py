"""Frame sources, parsed once from one string.

``0`` / ``/dev/video0``: a camera; ``rtsp://``, ``http(s)://``, ``rtmp://``: a stream;
``gst:PIPELINE``: a GStreamer pipeline (needs an OpenCV built with GStreamer, as on
Jetson); ``*.pkl`` / ``*.pickle``: a recorded keypoint file (PYSKL format) replayed
without RGB; anything else: a video file.

Every source yields ``SourceFrame``s through one iterator contract. Live sources run a
capture thread that keeps only the newest frame (counting the ones dropped) and reopen
with exponential backoff when the camera or stream goes away. Files run paced
(``realtime``) or as fast as possible.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from edge_app.safe_pickle import UnsafePickleError, load_arrays_pickle
from model.contract import NUM_KEYPOINTS

__all__ = [
    "KeypointReplaySource",
    "LiveSource",
    "Source",
    "SourceError",
    "SourceFrame",
    "SourceSpec",
    "VideoFileSource",
    "open_source",
    "parse_source",
    "redact_source",
]

log = logging.getLogger(__name__)

SourceKind = Literal["camera", "stream", "gstreamer", "keypoints", "file"]
_STREAM = re.compile(r"^(rtsp|rtsps|rtmp|http|https|udp|tcp)://", re.IGNORECASE)
_VIDEO_DEV = re.compile(r"^/dev/video(\d+)$")
# TCP ports of stream schemes whose URL names none (UDP cannot be probed: not here)
_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "rtmp": 1935, "http": 80, "https": 443}


class SourceError(RuntimeError):
    """The source cannot be opened or read; the message says what to do."""


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source string."""

    kind: SourceKind
    target: str
    index: int | None = None

    @property
    def live(self) -> bool:
        return self.kind in ("camera", "stream", "gstreamer")

    def describe(self) -> str:
        if self.kind == "camera":
            return f"camera {self.index}"
        if self.kind == "stream":
            return _redact_url(self.target)
        if self.kind == "gstreamer":
            return "gstreamer pipeline"
        return Path(self.target).name


@dataclass
class SourceFrame:
    """One frame: RGB image (None for keypoint replays), time in the source timeline (s).

    Keypoint replays carry ``keypoints`` ``(M, 17, 2)`` pixels and ``scores`` ``(M, 17)``.
    """

    image: npt.NDArray[np.uint8] | None
    time: float
    index: int
    size: tuple[int, int]  # (width, height)
    keypoints: npt.NDArray[np.float32] | None = None
    scores: npt.NDArray[np.float32] | None = None


# a URL's authority (``//user:password@host``), ending where ffmpeg's does: at the first
# "/", "?", "#" or blank after the last "@" before them
# (a password with an unescaped "/", "?" or "#" in it is masked up to the token's last "@")
_AUTHORITY = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<auth>[^/?#\s]*)"
                        r"(?P<rest>[^\s]*)")
# a password with blanks in it (``rtsp://user:my pass@host``): the authority above ends at
# the first blank, so these are masked first, up to the "@" before any "/", "?" or "#"
_BLANK_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:)"
                             r"(?P<pw>[^/?#@]*\s[^/?#@]*)@")
# secrets passed as parameters: ``?password=...``, ``&token=...``, gst's ``user-pw=...``
_SECRET_PARAM = re.compile(
    r"(?P<key>(?<![A-Za-z0-9_-])(?:user-pw|password|passwd|pass|pwd|pw|secret|token|"
    r"access_token|api[_-]?key|session_?key|key|auth|credentials?)=)"
    r"(?P<value>\"[^\"]*\"|[^&\s!;\"]+)", re.IGNORECASE)


def redact_source(text: str) -> str:
    """``text`` with its credentials masked, for logs, MQTT and the screen: the password
    of every ``scheme://user:password@host`` in it (``rtsp://user:***@host/...``, also
    inside a ``gst:`` pipeline) and the values of secret parameters (``?password=***``,
    ``token=***``, gst's ``user-pw=***``). A source without credentials comes back as it
    is."""

    def authority(m: re.Match[str]) -> str:
        auth, rest = m.group("auth"), m.group("rest")
        if "@" not in auth and ":" in auth and "@" in rest:
            auth, rest = auth + rest, ""  # "user:pa/ss@host/...": mask to the last "@"
        user_info, at, host = auth.rpartition("@")
        if not at or ":" not in user_info:
            return m.group(0)
        user = user_info.split(":", 1)[0]
        return f"{m.group('scheme')}{user}:***@{host}{rest}"

    masked = _AUTHORITY.sub(authority, _BLANK_PASSWORD.sub(r"\g<head>***@", text))
    return _SECRET_PARAM.sub(lambda m: f"{m.group('key')}***", masked)


def _redact_url(url: str) -> str:
    return redact_source(url)


def parse_source(text: str) -> SourceSpec:
    """Parse a source string (see the module docstring); does not open anything."""
    s = text.strip()
    if not s:
        raise SourceError("empty source: give a camera index (0), a video file, an rtsp:// URL, "
                          "gst:PIPELINE or a keypoint .pkl")
    if s.isdigit():
        return SourceSpec("camera", s, int(s))
    m = _VIDEO_DEV.match(s)
    if m:
        return SourceSpec("camera", s, int(m.group(1)))
    if s.lower().startswith("gst:"):
        return SourceSpec("gstreamer", s[4:].strip())
    if _STREAM.match(s):
        return SourceSpec("stream", s)
    if s.lower().endswith((".pkl", ".pickle")):
        return SourceSpec("keypoints", s)
    return SourceSpec("file", s)


def _bgr_to_rgb(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    return np.ascontiguousarray(frame[:, :, 2::-1])


class Source:
    """Base: iterate ``SourceFrame``s; ``close()`` releases the device or file."""

    spec: SourceSpec
    fps: float = 0.0
    dropped: int = 0

    def frames(self) -> Iterator[SourceFrame]:
        raise NotImplementedError

    def close(self) -> None:
        return None

    @property
    def description(self) -> str:
        return self.spec.describe()


# --------------------------------------------------------------------------- files


class VideoFileSource(Source):
    """A video file. ``realtime``: paced at the file's fps; else as fast as possible.

    ``wanted(t)`` lets the consumer skip decoding frames it will not use (``grab`` only).
    """

    def __init__(self, spec: SourceSpec, *, realtime: bool, loop: bool = False,
                 stop: threading.Event | None = None) -> None:
        import cv2

        self.spec = spec
        path = Path(spec.target)
        if not path.is_file():
            raise SourceError(f"video file {path} does not exist")
        cap = cv2.VideoCapture(str(path))
        if not cap.isOpened():
            raise SourceError(f"cannot open video file {path}: not a video OpenCV can decode "
                              "(corrupt, or an unsupported codec)")
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise SourceError(f"video file {path} has no readable frames (corrupt or empty)")
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not (0.5 <= fps <= 240.0):
            log.warning("%s reports %.2f fps; assuming 25", path.name, fps)
            fps = 25.0
        self._cap = cap
        self.fps = fps
        self.realtime = realtime
        self.loop = loop
        self.frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.size = (int(first.shape[1]), int(first.shape[0]))
        self._stop = stop or threading.Event()
        self.wanted: Callable[[float], bool] = lambda _t: True

    @property
    def duration(self) -> float:
        return self.frame_count / self.fps if self.fps else 0.0

    def frames(self) -> Iterator[SourceFrame]:
        import cv2

        start_wall = time.monotonic()
        index = 0
        offset = 0.0  # time added per loop of the file
        while not self._stop.is_set():
            t = offset + index / self.fps
            if self.realtime:
                delay = start_wall + t - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
            if not self.wanted(t):
                ok = self._cap.grab()
                frame = None
            else:
                ok, frame = self._cap.read()
            if not ok:
                if self.loop and index > 0:
                    self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    offset = t
                    index = 0
                    continue
                if index < self.frame_count - 1:
                    log.warning("video %s ended early at frame %d of %d (truncated?)",
                                self.spec.target, index, self.frame_count)
                return
            if frame is not None:
                yield SourceFrame(_bgr_to_rgb(np.asarray(frame, np.uint8)), t, index, self.size)
            index += 1

    def close(self) -> None:
        self._cap.release()


# --------------------------------------------------------------------------- keypoints


class KeypointReplaySource(Source):
    """A PYSKL pickle replayed without RGB: annotations in order, each at its ``fps`` (30)."""

    def __init__(self, spec: SourceSpec, *, realtime: bool,
                 stop: threading.Event | None = None) -> None:
        self.spec = spec
        path = Path(spec.target)
        if not path.is_file():
            raise SourceError(f"keypoint file {path} does not exist")
        try:
            with path.open("rb") as f:
                data = load_arrays_pickle(f)
        except UnsafePickleError as exc:
            raise SourceError(f"keypoint file {path} is refused: {exc}") from exc
        except Exception as exc:  # a broken or foreign file: every unpickling error
            raise SourceError(f"cannot read keypoint file {path}: {exc.__class__.__name__}: "
                              f"{exc} (expected a PYSKL annotation pickle)") from exc
        annos = data.get("annotations") if isinstance(data, dict) else data
        if not isinstance(annos, list) or not annos or not isinstance(annos[0], dict) or (
                "keypoint" not in annos[0]):
            raise SourceError(f"keypoint file {path} is not a PYSKL annotation pickle (needs a "
                              "list of annotations with 'keypoint' [M,T,17,2])")
        usable = [a for a in annos if isinstance(a, dict) and _replay_arrays(a) is not None]
        if not usable:
            first = annos[0] if isinstance(annos[0], dict) else {}
            shape = np.asarray(first.get("keypoint", ()), dtype=object).shape
            raise SourceError(
                f"keypoint file {path}: no annotation has COCO-17 keypoints (the first has "
                f"shape {shape}; needed (M, T, 17, 2) with keypoint_score (M, T, 17), or "
                "(M, T, 17, 3) with the score last). Convert other skeletons (33 MediaPipe "
                "or 25 Kinect joints) to COCO-17 first (python -m train.convert ...)")
        self.annotations: list[dict[str, Any]] = annos
        self.realtime = realtime
        self._stop = stop or threading.Event()
        # every annotation's clock and picture size checked now: a bad one later in the
        # file is a clear error at open, not a failure in the middle of the replay
        self._timing: list[tuple[float, tuple[int, int]] | None] = []
        default_shape: Any = (1080, 1920)
        for i, a in enumerate(annos):
            if not isinstance(a, dict):
                self._timing.append(None)
                continue
            where = f"{path}" if not self._timing else (
                f"{path} (annotation {i + 1}, {a.get('frame_dir', '?')})")
            fps = _replay_fps(where, a.get("fps", 30.0))
            w, h = _replay_size(where, a.get("img_shape", default_shape))
            default_shape = (h, w)  # an annotation without img_shape: the first one's
            self._timing.append((fps, (w, h)))
        self.fps, self.size = next(t for t in self._timing if t is not None)

    def frames(self) -> Iterator[SourceFrame]:
        start_wall = time.monotonic()
        t0 = 0.0
        index = 0
        for anno, timing in zip(self.annotations, self._timing, strict=True):
            arrays = _replay_arrays(anno) if timing is not None else None
            if arrays is None or timing is None:
                log.warning("skipping annotation %s: keypoint shape %s is not (M,T,17,2) or "
                            "(M,T,17,3)", anno.get("frame_dir"),
                            np.asarray(anno.get("keypoint", ()), dtype=object).shape)
                continue
            kp, scores = arrays
            fps, (w, h) = timing
            for t_idx in range(kp.shape[1]):
                if self._stop.is_set():
                    return
                t = t0 + t_idx / fps
                if self.realtime:
                    delay = start_wall + t - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
                yield SourceFrame(None, t, index, (w, h), kp[:, t_idx], scores[:, t_idx])
                index += 1
            t0 += kp.shape[1] / fps


def _replay_fps(where: str, value: Any) -> float:
    """A PYSKL annotation's ``fps``: a positive, finite number, else ``SourceError``."""
    try:
        fps = float(value)
    except (TypeError, ValueError):
        fps = float("nan")
    if not (np.isfinite(fps) and 0 < fps <= 1000):
        raise SourceError(f"keypoint file {where}: fps {value!r} is not a frame rate (a "
                          "positive number of frames per second, e.g. 30)")
    return fps


def _replay_size(where: str, value: Any) -> tuple[int, int]:
    """A PYSKL annotation's ``img_shape`` (height, width) as ``(width, height)``."""
    try:
        h, w = (int(v) for v in value)
    except (TypeError, ValueError):
        h = w = 0
    if not (0 < h <= 100_000 and 0 < w <= 100_000):
        raise SourceError(f"keypoint file {where}: img_shape {value!r} is not an image's "
                          "(height, width) in pixels, e.g. (1080, 1920)")
    return w, h


def _replay_arrays(anno: dict[str, Any]
                   ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None:
    """``(keypoints (M,T,17,2), scores (M,T,17))`` of one PYSKL annotation, or None when
    its shapes are not COCO-17 (``(M,T,17,3)`` carries the score in its last channel)."""
    try:
        kp = np.asarray(anno.get("keypoint"), dtype=np.float32)
    except (TypeError, ValueError):
        return None
    if kp.ndim != 4 or kp.shape[2] != NUM_KEYPOINTS or kp.shape[3] not in (2, 3):
        return None
    sc = anno.get("keypoint_score")
    if kp.shape[3] == 3:
        scores = kp[..., 2] if sc is None else np.asarray(sc, dtype=np.float32)
        kp = kp[..., :2]
    else:
        scores = (np.asarray(sc, dtype=np.float32) if sc is not None
                  else np.ones(kp.shape[:3], dtype=np.float32))
    if scores.shape != kp.shape[:3]:
        return None
    return np.ascontiguousarray(kp), np.ascontiguousarray(scores, dtype=np.float32)


# --------------------------------------------------------------------------- live


class LiveSource(Source):
    """Camera, stream or GStreamer pipeline read in a capture thread.

    The thread keeps only the newest frame; frames overwritten before the consumer took
    them are counted in ``dropped``. When reading fails the device is reopened with
    exponential backoff (``reconnect_initial_s`` doubling up to ``reconnect_max_s``).
    Times are epoch seconds.
    """

    def __init__(
        self,
        spec: SourceSpec,
        *,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        width: int | None = None,
        height: int | None = None,
        stop: threading.Event | None = None,
        opener: Callable[[], Any] | None = None,
        probe: Callable[[], bool | None] | None = None,
    ) -> None:
        self.spec = spec
        self._stop = stop or threading.Event()
        self._initial = reconnect_initial_s
        self._max = reconnect_max_s
        self._width, self._height = width, height
        self._opener = opener or self._open_capture
        # is the device there (None: cannot tell)? An injected opener has no real device.
        self._probe = probe or (self._device_present if opener is None else lambda: None)
        self._cond = threading.Condition()
        self._latest: tuple[npt.NDArray[np.uint8], float] | None = None
        self._taken = True
        self.dropped = 0
        self.reconnects = 0
        self.connected = False
        self._fps = 0.0
        self.last_frame_wall: float | None = None  # time.monotonic() of the newest frame
        self._index = 0
        cap = self._opener()
        if cap is None or not cap.isOpened():
            raise SourceError(self._open_error())
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise SourceError(self._open_error(read=True))
        self._cap = cap
        self.last_frame_wall = time.monotonic()  # the first frame, read just above
        self._release_lock = threading.Lock()
        self._released = False
        self.close_timeout_s = 5.0  # how long close() waits for the capture thread
        self.size = (int(frame.shape[1]), int(frame.shape[0]))
        self.connected = True
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
        self._thread.start()

    def _open_error(self, read: bool = False) -> str:
        what = "opens but gives no frames" if read else "cannot be opened"
        if self.spec.kind == "camera":
            return (f"camera {self.spec.index} {what}: is it connected, and is /dev/video"
                    f"{self.spec.index} readable by this user (group 'video')?")
        if self.spec.kind == "gstreamer":
            return (f"GStreamer pipeline {what}: check the pipeline with gst-launch-1.0, and that "
                    "OpenCV has GStreamer (PyPI's OpenCV does not; use the system OpenCV on "
                    "Jetson; `python -m edge_app doctor` tells)")
        return (f"stream {self.spec.describe()} {what}: check the URL, credentials and that the "
                "camera is reachable")

    def _open_capture(self) -> Any:
        import cv2

        if self.spec.kind == "camera":
            assert self.spec.index is not None
            cap = cv2.VideoCapture(self.spec.index)
            if self._width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._width)
            if self._height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._height)
        elif self.spec.kind == "gstreamer":
            cap = cv2.VideoCapture(self.spec.target, cv2.CAP_GSTREAMER)
        else:
            cap = cv2.VideoCapture(self.spec.target)
        with contextlib.suppress(Exception):  # not every backend supports it
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return cap

    STALE_S = 2.0  # no frame for this long: the rate shown is 0, not the last one

    @property  # type: ignore[override]
    def fps(self) -> float:
        """Frames per second, 0 while no frame has come for ``STALE_S`` (an outage)."""
        last = self.last_frame_wall
        if last is None or time.monotonic() - last > self.STALE_S:
            return 0.0
        return self._fps

    @fps.setter
    def fps(self, value: float) -> None:
        self._fps = value

    def _release(self) -> None:
        """Release the device once, from whichever thread gets there first, never while
        the capture thread is inside ``read()`` (OpenCV crashes then)."""
        with self._release_lock:
            if not self._released:
                self._released = True
                self._cap.release()

    def _run(self) -> None:
        try:
            self._read_loop()
        finally:
            if self._stop.is_set():
                self._release()

    def _read_loop(self) -> None:
        backoff = self._initial
        last_t = None
        while not self._stop.is_set():
            ok, frame = self._cap.read()
            if ok and frame is not None:
                now = time.time()
                if last_t is not None and now > last_t:
                    inst = 1.0 / (now - last_t)
                    self._fps = inst if self._fps == 0 else 0.9 * self._fps + 0.1 * inst
                last_t = now
                self.last_frame_wall = time.monotonic()
                backoff = self._initial
                with self._cond:
                    if not self._taken:
                        self.dropped += 1
                    self._latest = (_bgr_to_rgb(frame), now)
                    self._taken = False
                    self._cond.notify_all()
                continue
            # lost: reopen with backoff
            if self.connected:
                log.warning("%s stopped delivering frames; reconnecting", self.spec.describe())
            self.connected = False
            self._release()
            while not self._stop.is_set():
                self._wait_to_reopen(backoff)
                if self._stop.is_set():
                    return
                cap = self._opener()
                if cap is not None and cap.isOpened():
                    with self._release_lock:
                        self._cap = cap
                        self._released = False
                    self.connected = True
                    self.reconnects += 1
                    log.info("%s reconnected", self.spec.describe())
                    break
                if cap is not None:
                    cap.release()
                log.info("%s still unavailable; next try in %.1f s", self.spec.describe(),
                         min(backoff * 2, self._max))
                backoff = min(backoff * 2, self._max)
            last_t = None

    PROBE_S = 0.5  # while waiting to reopen, look this often whether the device is back

    def _wait_to_reopen(self, delay: float) -> None:
        """Wait ``delay`` s (the backoff) before reopening, or less: a camera or stream
        that was not there when the wait began and is there now (its device node is
        back, its port accepts connections) is reopened at once, so a long backoff never
        keeps a camera that came back unwatched for long."""
        deadline = time.monotonic() + delay
        was_there = self._probe()
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._stop.wait(min(left, self.PROBE_S))
            if was_there is False and self._probe():
                return

    def _device_present(self) -> bool | None:
        """Is the camera there: its ``/dev/videoN`` exists, or the stream's host accepts
        a TCP connection on its port (None: cannot tell, e.g. UDP or GStreamer)."""
        if self.spec.kind == "camera":  # V4L2 device nodes: Linux only
            if not sys.platform.startswith("linux"):
                return None
            return Path(f"/dev/video{self.spec.index}").exists()
        if self.spec.kind != "stream" or self.spec.target.lower().startswith("udp:"):
            return None
        from urllib.parse import urlsplit

        try:
            url = urlsplit(self.spec.target)
            port = url.port or _DEFAULT_PORTS.get(url.scheme.lower())
        except ValueError:
            return None
        if not url.hostname or port is None:
            return None
        try:
            with socket.create_connection((url.hostname, port), timeout=0.3):
                return True
        except OSError:
            return False

    def latest(self, timeout: float = 1.0) -> SourceFrame | None:
        """The newest frame not yet taken, waiting up to ``timeout`` s; None if none came."""
        with self._cond:
            if self._taken:
                self._cond.wait(timeout)
            if self._latest is None or self._taken:
                return None
            image, t = self._latest
            self._taken = True
            self._index += 1
            h, w = image.shape[:2]
            return SourceFrame(image, t, self._index, (w, h))

    def frames(self) -> Iterator[SourceFrame]:
        while not self._stop.is_set():
            f = self.latest(timeout=0.5)
            if f is not None:
                yield f

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=self.close_timeout_s)
        if self._thread.is_alive():
            # a stalled network stream: the thread is blocked in read(); releasing the
            # capture under it crashes the process. It releases it when the read returns.
            log.warning("%s: the capture thread is still blocked reading after %.0f s; the "
                        "device is released when that read returns", self.spec.describe(),
                        self.close_timeout_s)
            return
        self._release()


def open_source(
    text: str,
    *,
    realtime: bool,
    loop: bool = False,
    reconnect_initial_s: float = 0.5,
    reconnect_max_s: float = 30.0,
    width: int | None = None,
    height: int | None = None,
    stop: threading.Event | None = None,
) -> Source:
    """Parse and open a source; raises ``SourceError`` with a one-line reason."""
    spec = parse_source(text)
    if spec.kind == "file":
        return VideoFileSource(spec, realtime=realtime, loop=loop, stop=stop)
    if spec.kind == "keypoints":
        return KeypointReplaySource(spec, realtime=realtime, stop=stop)
    if spec.kind == "gstreamer":
        from edge_app.platform import opencv_has_gstreamer

        if not opencv_has_gstreamer():
            raise SourceError("this OpenCV has no GStreamer support, so gst: sources cannot "
                              "open. On Jetson use the system OpenCV (python3-opencv from "
                              "JetPack) in the app's environment; on PCs use a camera index "
                              "or rtsp:// URL instead")
    return LiveSource(spec, reconnect_initial_s=reconnect_initial_s,
                      reconnect_max_s=reconnect_max_s, width=width, height=height, stop=stop)
