"""What the fault tests drive: the app as a process, a tiny model, keypoint replays and a
network camera served from this process.

Nothing here imports the runtime's internals: the app is ``python -m edge_app run`` in a
subprocess, watched through its log, its event store file, its events file and MQTT.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from tests.edge_app.mqtt.helpers import HOST, wait_until

ROOT = Path(__file__).resolve().parents[2]

# The ADL classes of the bundled model; the tiny model uses them too.
CLASSES = ("background", "walking", "sitting down", "standing up", "falling",
           "lying on the floor", "bending or picking up", "waving for help")

# A person standing in a 640x480 picture, COCO-17 order (pixels).
STANDING = np.array([
    [320, 100], [312, 92], [328, 92], [302, 98], [338, 98],  # nose, eyes, ears
    [290, 150], [350, 150], [280, 210], [360, 210], [275, 265], [365, 265],  # arms
    [300, 270], [340, 270], [298, 350], [342, 350], [296, 430], [344, 430],  # legs
], np.float32)


# ----------------------------------------------------------------------------- model


def write_tiny_model(path: Path, *, class_names: Sequence[str] = CLASSES,
                     outputs: int | None = None, joint_classes: Sequence[int] = (1, 6)
                     ) -> Path:
    """An ONNX file with EPAM-Net's inputs, outputs and metadata but almost no compute
    (about a millisecond a window on a CPU), so the fault tests spend their time on
    faults, not inference.

    ``pose_logits`` = mean heatmap intensity per joint (17) x a fixed matrix: joints 0-8
    vote for ``class_names[joint_classes[0]]``, joints 9-16 for ``joint_classes[1]``. A
    heatmap's intensity is its joint's score, so a replay decides the top class by which
    half of the body it gives the higher scores. ``outputs``: the width of the outputs
    (default: one per class name; another number makes a mismatched model).
    """
    import onnx
    from onnx import TensorProto, helper

    from model.metadata import BATCH_DIM, INPUT_NAMES, OUTPUT_NAMES, Geometry, ModelMetadata

    width = len(class_names) if outputs is None else outputs
    geo = Geometry()
    w_pose = np.zeros((geo.num_keypoints, width), np.float32)
    w_pose[:9, joint_classes[0] % width] = 30000.0
    w_pose[9:, joint_classes[1] % width] = 30000.0 * 9 / 8
    w_rgb = np.zeros((3, width), np.float32)
    inits = [helper.make_tensor("w_pose", TensorProto.FLOAT, w_pose.shape, w_pose.ravel()),
             helper.make_tensor("w_rgb", TensorProto.FLOAT, w_rgb.shape, w_rgb.ravel())]
    nodes = [
        helper.make_node("ReduceMean", [INPUT_NAMES[0]], ["pose_mean"], axes=[2, 3, 4],
                         keepdims=0),
        helper.make_node("MatMul", ["pose_mean", "w_pose"], [OUTPUT_NAMES[2]]),
        helper.make_node("ReduceMean", [INPUT_NAMES[1]], ["rgb_mean"], axes=[2, 3, 4],
                         keepdims=0),
        helper.make_node("MatMul", ["rgb_mean", "w_rgb"], [OUTPUT_NAMES[1]]),
        helper.make_node("Add", [OUTPUT_NAMES[2], OUTPUT_NAMES[1]], [OUTPUT_NAMES[0]]),
    ]
    inputs = [
        helper.make_tensor_value_info(INPUT_NAMES[0], TensorProto.FLOAT,
                                      [BATCH_DIM, *geo.pose_shape]),
        helper.make_tensor_value_info(INPUT_NAMES[1], TensorProto.FLOAT,
                                      [BATCH_DIM, *geo.rgb_shape]),
    ]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [BATCH_DIM, width])
            for n in OUTPUT_NAMES]
    graph = helper.make_graph(nodes, "tiny_epamnet", inputs, outs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = ModelMetadata(class_names=tuple(class_names), model_name="tiny-test",
                         provenance={"source": "fault-test", "trained_streams": ["pose"]})
    for key, value in meta.to_props().items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


# ----------------------------------------------------------------------------- replays


def alternating_keypoints(seconds: float, *, fps: float = 15.0, segment_s: float = 1.0,
                          absent_every: int = 0, absent_s: float = 4.5, seed: int = 0
                          ) -> tuple[np.ndarray, np.ndarray]:
    """A standing person whose upper and lower body take turns at the higher scores every
    ``segment_s`` (so the tiny model's top class flips: an activity ``end`` + ``new``);
    with ``absent_every`` = n, every n-th segment is followed by ``absent_s`` with nobody
    in view (a ``no_person`` alert when ``events.no_person.after_s`` is short).

    Returns keypoints ``(1, T, 17, 2)`` pixels and scores ``(1, T, 17)``.
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * fps)
    kp = np.repeat(STANDING[None, None], n, axis=1) + rng.normal(0, 1.0, (1, n, 17, 2))
    sc = np.zeros((1, n, 17), np.float32)
    seg = max(1, round(segment_s * fps))
    gap = round(absent_s * fps)
    t, k = 0, 0
    while t < n:
        upper = k % 2 == 0
        sc[0, t:t + seg, :9] = 0.9 if upper else 0.1
        sc[0, t:t + seg, 9:] = 0.1 if upper else 0.9
        t += seg
        k += 1
        if absent_every and k % absent_every == 0:
            t += gap  # scores stay 0: nobody seen
    return kp.astype(np.float32), sc


def write_replay(path: Path, keypoints: np.ndarray, scores: np.ndarray | None = None, *,
                 fps: float = 15.0, img_shape: tuple[int, int] = (480, 640)) -> Path:
    """A PYSKL annotation pickle with one clip (what ``--source clip.pkl`` replays)."""
    anno: dict[str, Any] = {"frame_dir": path.stem, "label": 0, "keypoint": keypoints,
                            "img_shape": img_shape, "total_frames": keypoints.shape[1],
                            "fps": fps}
    if scores is not None:
        anno["keypoint_score"] = scores
    path.write_bytes(pickle.dumps({"split": {}, "annotations": [anno]}))
    return path


# ----------------------------------------------------------------------------- the app


def app_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, EPAM_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT),
               QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
    env.pop("NOTIFY_SOCKET", None)  # an interactive run, not the systemd service
    return env


def run_app(args: Sequence[str], data_dir: Path, *, timeout: float = 120.0
            ) -> subprocess.CompletedProcess[str]:
    """``python -m edge_app ARGS`` to its end, as an installer types it."""
    return subprocess.run([sys.executable, "-m", "edge_app", *args], cwd=ROOT,
                          env=app_env(data_dir), capture_output=True, text=True,
                          timeout=timeout)


class App:
    """``python -m edge_app run --headless ...`` in the background; its stdout and stderr
    go to ``log_path`` (read with ``log()``)."""

    def __init__(self, args: Sequence[str], data_dir: Path, log_path: Path) -> None:
        self.args = ["run", "--headless", *args]
        self.data_dir = data_dir
        self.log_path = log_path
        with log_path.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "edge_app", *self.args],
                                         cwd=ROOT, env=app_env(data_dir), stdout=out,
                                         stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_log(self, text: str, timeout: float = 30.0, *, after: int = 0) -> bool:
        """True once ``text`` is in the log past character ``after``."""
        return self.wait(lambda: text in self.log()[after:], timeout)

    def wait(self, pred: Callable[[], bool], timeout: float) -> bool:
        """``wait_until(pred)``, failing at once (with the log) if the app exits first."""
        def check() -> bool:
            if pred():
                return True
            if self.proc.poll() is not None and not pred():
                raise AssertionError(f"the app exited ({self.proc.returncode}) while waited "
                                     f"for:\n{self.log()[-3000:]}")
            return False
        return wait_until(check, timeout, step=0.05)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def send(self, sig: int) -> None:
        if self.running:
            self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the exit code (SIGKILL after ``timeout``)."""
        self.send(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"the app did not stop within {timeout} s of "
                                 f"{signal.Signals(sig).name}:\n{self.log()[-3000:]}") from None


def stored_messages(db: Path) -> list[dict[str, Any]]:
    """The ``new``/``update``/``end`` messages in the event store, in the order raised
    (read only, while the app may be writing)."""
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5.0)
    try:
        rows = conn.execute("SELECT payload FROM event_log ORDER BY seq").fetchall()
    except sqlite3.OperationalError:  # the app has not made its tables yet
        return []
    finally:
        conn.close()
    return [json.loads(r[0]) for r in rows]


def jsonl(path: Path) -> list[dict[str, Any]]:
    """The events an app wrote with ``--events-out`` (a torn last line is left out)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


# ----------------------------------------------------------------------------- camera


class MjpegCamera:
    """A network camera on a free loopback port: ``http://127.0.0.1:PORT/video.mjpg``, an
    MJPEG stream (multipart JPEG frames, what cheap IP cameras serve) of ``frames``
    looped at ``fps``.

    ``unplug()``: every open stream is cut and new connections are refused (the camera
    lost power or Wi-Fi); ``plug()`` brings it back on the same port. ``freeze()``: the
    connection stays open but no frame comes (a stream that stalls); ``thaw()``.
    """

    BOUNDARY = "epamframe"

    def __init__(self, frames: Sequence[np.ndarray], fps: float = 10.0) -> None:
        import cv2

        self.jpegs = [bytes(cv2.imencode(".jpg", f[:, :, ::-1])[1]) for f in frames]
        self.fps = fps
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}/video.mjpg"
        self.frames_sent = 0
        self._live = threading.Event()
        self._frozen = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.plug()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        cam = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type",
                                 f"multipart/x-mixed-replace; boundary={cam.BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                i = 0
                try:
                    while cam._live.is_set():
                        if cam._frozen.is_set():
                            time.sleep(0.05)
                            continue
                        jpg = cam.jpegs[i % len(cam.jpegs)]
                        self.wfile.write(
                            f"--{cam.BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                            f"Content-Length: {len(jpg)}\r\n\r\n".encode() + jpg + b"\r\n")
                        self.wfile.flush()
                        cam.frames_sent += 1
                        i += 1
                        time.sleep(1.0 / cam.fps)
                except OSError:
                    return

        return Handler

    def plug(self) -> None:
        if self._server is not None:
            return
        self._live.set()
        server = ThreadingHTTPServer((HOST, self.port), self._handler())
        server.daemon_threads = True
        server.allow_reuse_address = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mjpeg-camera", daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        """Cut every stream and refuse new connections (nothing listens on the port)."""
        self._live.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def freeze(self) -> None:
        self._frozen.set()

    def thaw(self) -> None:
        self._frozen.clear()

    def close(self) -> None:
        self.unplug()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def demo_frames(n: int = 40, step: int = 3) -> list[np.ndarray]:
    """``n`` RGB frames of the bundled demo video (a person walking in), every
    ``step``-th from 6 s on, downscaled to 384x216."""
    import cv2

    cap = cv2.VideoCapture(str(ROOT / "assets" / "demo" / "one-by-one-person-detection.mp4"))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 60)
    frames: list[np.ndarray] = []
    i = 0
    while len(frames) < n:
        ok, bgr = cap.read()
        if not ok:
            break
        if i % step == 0:
            frames.append(np.ascontiguousarray(cv2.resize(bgr, (384, 216))[:, :, ::-1]))
        i += 1
    cap.release()
    return frames

