from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from edge_app.app import EdgeApp
from edge_app.config import load_config
from edge_app.store import EventStore
from edge_app.types import FramePreview, SinkBase, WindowResult
from tests.edge_app.conftest import DEMO_VIDEO, ROOT


class _Collect(SinkBase):
    name = "collect"

    def __init__(self) -> None:
        self.windows: list[WindowResult] = []
        self.frames: list[FramePreview] = []

    def on_window(self, result: WindowResult) -> None:
        self.windows.append(result)

    def on_frame(self, preview: FramePreview) -> None:
        self.frames.append(preview)


def test_demo_video_windows_pose_and_timing(random_model: Path, data_dir: Path,
                                            tmp_path: Path) -> None:
    cfg = load_config(overrides=["events.default_rule.min_score=0.0"])
    events = tmp_path / "ev.jsonl"
    p = EdgeApp(cfg, source=str(DEMO_VIDEO), model_path=random_model, events_out=events,
                 realtime=False, max_seconds=8.0)
    sink = _Collect()
    p.add_sink(sink)
    p.start()
    assert p.wait(120)
    p.stop()
    # 8 s at 15 samples/s: 120 samples; windows at samples 48, 56, ..., 120 -> 10
    assert p.stats.samples == 120
    assert p.stats.windows == 10 and p.stats.skipped_windows == 0
    assert [round(w.time - w.start_time, 3) for w in sink.windows] == [round(47 / 15, 3)] * 10
    gaps = {round(b.time - a.time, 3) for a, b in zip(sink.windows, sink.windows[1:])}
    assert gaps == {round(8 / 15, 3)}
    # a 10 fps video sampled at 15/s: pose runs once per decoded frame, not per sample
    assert p.stats.pose_calls <= 81
    # MediaPipe finds the person on real frames (people walk in after ~4 s)
    with_person = [f for f in sink.frames if f.keypoints.shape[0] > 0]
    assert len(with_person) > 20
    assert all(0 <= f.keypoints[0, 0, 0] <= 768 for f in with_person)
    # events file follows the contract; every new has its end
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    assert lines, "min_score 0 makes every top class an activity segment"
    assert all(list(d) == ["type", "id", "label", "level", "score", "start_time", "end_time",
                           "source", "camera"] for d in lines)
    assert {d["camera"] for d in lines} == {"camera"}  # the one camera's default name
    news = {d["id"] for d in lines if d["type"] == "new"}
    ends = {d["id"] for d in lines if d["type"] == "end"}
    assert news == ends
    # the same history is in the store
    store = EventStore(data_dir / "events.db")
    assert {i.id for i in store.incidents()} == news


def test_privacy_mode_never_uses_rgb(random_model: Path, data_dir: Path) -> None:
    cfg = load_config(overrides=["privacy.enabled=true"])
    p = EdgeApp(cfg, source=str(DEMO_VIDEO), model_path=random_model, realtime=False,
                 max_seconds=6.0)
    sink = _Collect()
    p.add_sink(sink)
    p.start()
    assert p.wait(120)
    p.stop()
    assert sink.windows and all(w.pose_only for w in sink.windows if w.person_present)
    assert all(f.image is None for f in sink.frames)


def test_sigterm_flushes_events(random_model: Path, tmp_path: Path) -> None:
    events = tmp_path / "ev.jsonl"
    env = dict(os.environ, EPAM_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge_app", "run", "--headless", "--realtime",
         "--source", str(DEMO_VIDEO), "--model", str(random_model), "--events-out", str(events),
         "--set", "events.default_rule.min_score=0.0", "--set", "events.smoothing_windows=1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if events.exists() and any('"new"' in x for x in events.read_text().splitlines()):
            break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("no event before the deadline:\n" + (proc.stdout.read() if proc.stdout else ""))
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "SIGTERM" in out and "Traceback" not in out
    lines = [json.loads(x) for x in events.read_text().splitlines()]
    news = {d["id"] for d in lines if d["type"] == "new"}
    ends = {d["id"] for d in lines if d["type"] == "end"}
    assert news and news == ends  # every open incident was ended on the way out


def test_keypoint_replay_runs_pose_only(random_model: Path, data_dir: Path,
                                        tmp_path: Path) -> None:
    import pickle

    import numpy as np

    rng = np.random.default_rng(0)
    kp = np.stack([rng.uniform(100, 200, (1, 90, 17)), rng.uniform(50, 250, (1, 90, 17))], -1)
    anno = {"frame_dir": "x", "label": 0, "keypoint": kp.astype(np.float32),
            "keypoint_score": np.ones((1, 90, 17), np.float32), "img_shape": (300, 400),
            "total_frames": 90, "fps": 30}
    path = tmp_path / "replay.pkl"
    path.write_bytes(pickle.dumps({"split": {}, "annotations": [anno]}))
    p = EdgeApp(load_config(), source=str(path), model_path=random_model, realtime=False)
    sink = _Collect()
    p.add_sink(sink)
    p.start()
    assert p.wait(60)
    p.stop()
    # 3 s at 15/s = 45 samples (+1): not a full window yet? 90 frames @30 = 3 s -> 45 samples
    assert p.privacy and p.stats.samples == 45 and p.stats.windows == 0


def _replay(model: Path, tmp_path: Path, name: str, kp: Any, sc: Any,
            overrides: list[str] | None = None, sink: SinkBase | None = None) -> EdgeApp:
    """Run the pipeline to the end on a keypoint-replay file of one 640x480, 30 fps clip."""
    import pickle

    anno = {"frame_dir": name, "label": 0, "keypoint": kp, "keypoint_score": sc,
            "img_shape": (480, 640), "total_frames": kp.shape[1], "fps": 30}
    path = tmp_path / f"{name}.pkl"
    path.write_bytes(pickle.dumps({"split": {}, "annotations": [anno]}))
    p = EdgeApp(load_config(overrides=overrides or []), source=str(path), model_path=model,
                 realtime=False)
    if sink is not None:
        p.add_sink(sink)
    p.start()
    assert p.wait(60)
    p.stop()
    return p


def test_pipeline_checks_the_view_of_every_window(random_model: Path, tmp_path: Path) -> None:
    """A person walking out at the side: the engine is told they left the view."""
    import numpy as np

    from tests.edge_app.test_view import BODY

    frames = 150  # 5 s at 30 fps; the person is gone for the last second
    xs = np.linspace(200, 700, frames)
    kp = np.zeros((1, frames, 17, 2), np.float32)
    sc = np.zeros((1, frames, 17), np.float32)
    for t, x in enumerate(xs):
        if x < 640:
            kp[0, t] = BODY + np.array([x, 250.0], np.float32)
            sc[0, t] = 0.9
    p = _replay(random_model, tmp_path, "walk_out", kp, sc)
    assert p.stats.windows >= 2
    assert p.camera.decider.engine.view.reason == "left the view"


@pytest.mark.parametrize("enabled", [True, False])
def test_pipeline_tells_the_engine_when_the_person_stands_again(
        random_model: Path, tmp_path: Path, enabled: bool) -> None:
    """Someone standing in the middle of the room all along: falls are not judged."""
    import numpy as np

    from edge_app.posture import STANDING_AGAIN
    from tests.edge_app.test_view import BODY

    frames = 120  # 4 s at 30 fps, standing still with a little sway
    kp = np.zeros((1, frames, 17, 2), np.float32)
    sc = np.full((1, frames, 17), 0.9, np.float32)
    for t in range(frames):
        kp[0, t] = BODY + np.array([320.0 + 5 * np.sin(t / 9), 240.0], np.float32)
    p = _replay(random_model, tmp_path, "stand", kp, sc,
                [f"events.standing_check.enabled={str(enabled).lower()}"])
    assert p.stats.windows >= 1
    assert p.camera.decider.engine.view.reason.startswith(STANDING_AGAIN) == enabled
    assert p.camera.decider.engine.view.ok != enabled


@pytest.mark.parametrize("tracking", [True, False])
def test_pipeline_follows_the_person_not_a_weak_ghost(random_model: Path, tmp_path: Path,
                                                      tracking: bool) -> None:
    """One pose per frame that flips between the person (score 0.7, right) and a weak
    detection of an object (0.15, left), as in URFD's AlphaPose output, after a first
    second in which only the object is seen: with tracking, the frames after the person
    appears and every window hold the person alone."""
    import numpy as np

    from tests.edge_app.test_view import BODY

    frames = 120
    kp = np.zeros((1, frames, 17, 2), np.float32)
    sc = np.zeros((1, frames, 17), np.float32)
    for t in range(frames):
        ghost = t < 30 or t % 3 == 1
        kp[0, t] = BODY + np.array([60.0 if ghost else 450.0, 300.0], np.float32)
        sc[0, t] = 0.15 if ghost else 0.7
    sink = _Collect()
    p = _replay(random_model, tmp_path, "ghost", kp, sc,
                [f"pose.track.enabled={str(tracking).lower()}"], sink)
    xs = [float(f.keypoints[:, :, 0].mean()) for f in sink.frames
          if f.keypoints.shape[0] and f.time >= 1.0]
    boxes = {f.box for f in sink.frames if f.box is not None}
    assert boxes and p.stats.windows >= 2
    if tracking:
        assert xs and min(xs) > 300  # the ghost never drawn, never in a window
        assert all(b[0] > 200 for b in boxes)
    else:
        assert min(xs) < 100 and any(b[0] < 100 for b in boxes)


def test_a_camera_down_at_start_is_waited_for_as_a_service(tmp_path: Path) -> None:
    """Run as a service (source.wait_at_start), a camera that cannot be opened is a state
    the app waits in and reports, not an exit (systemd would restart it in a loop);
    interactively it stays a clear error at once."""
    from edge_app.sources import SourceError

    cfg = load_config(overrides=[f"data_dir={tmp_path}", "model.backend=onnxruntime",
                                 "source.wait_at_start=true", "source.reconnect_initial_s=0.1",
                                 "source.reconnect_max_s=0.2"])
    p = EdgeApp(cfg, source="7")
    try:
        p.start()  # no error
        time.sleep(0.5)
        st = p.status()
        assert st.problem.startswith("waiting for the camera: camera 7")
        assert st.loop_age_s < 1.0  # the loop is alive: the watchdog keeps pinging
        assert not p.finished.is_set()
    finally:
        t0 = time.monotonic()
        p.stop()
        assert time.monotonic() - t0 < 5.0
    # a switch asked for while waiting (dashboard, MQTT) is taken at once
    from tests.edge_app.conftest import DEMO_VIDEO

    r = EdgeApp(cfg, source="7", max_seconds=3.0)
    try:
        r.start()
        time.sleep(0.3)
        r.switch_source(str(DEMO_VIDEO))
        assert r.wait(60.0)
        assert r.error is None and r.stats.frames > 0
        assert r.source_description.endswith(DEMO_VIDEO.name)
    finally:
        r.stop()
    cfg2 = load_config(overrides=[f"data_dir={tmp_path}", "model.backend=onnxruntime",
                                  "source.wait_at_start=false"])
    q = EdgeApp(cfg2, source="7")
    try:
        with pytest.raises(SourceError, match="camera 7"):
            q.start()
    finally:
        q.stop()
