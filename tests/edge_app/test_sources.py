from __future__ import annotations

import pickle
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from edge_app.sources import (
    KeypointReplaySource,
    LiveSource,
    SourceError,
    open_source,
    parse_source,
    redact_source,
)
from tests.edge_app.conftest import DEMO_VIDEO


@pytest.mark.parametrize(
    ("text", "kind", "index"),
    [("0", "camera", 0), ("/dev/video2", "camera", 2), ("rtsp://u:p@cam/stream", "stream", None),
     ("http://cam/mjpg", "stream", None), ("gst:videotestsrc ! appsink", "gstreamer", None),
     ("clips.pkl", "keypoints", None), ("video.mp4", "file", None)],
)
def test_parse_source(text: str, kind: str, index: int | None) -> None:
    spec = parse_source(text)
    assert spec.kind == kind and spec.index == index
    assert "p@" not in spec.describe()  # credentials never in logs


def test_missing_and_corrupt_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        open_source(str(tmp_path / "nope.mp4"), realtime=False)
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(SourceError) as e:
        open_source(str(bad), realtime=False)
    assert "\n" not in str(e.value)
    with pytest.raises(SourceError, match="empty source"):
        parse_source("  ")


def test_missing_camera_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="camera 7"):
        open_source("7", realtime=True, reconnect_initial_s=0.01)


def test_gstreamer_without_support_says_so() -> None:
    from edge_app.platform import opencv_has_gstreamer

    if opencv_has_gstreamer():
        pytest.skip("this OpenCV has GStreamer")
    with pytest.raises(SourceError, match="no GStreamer"):
        open_source("gst:videotestsrc ! appsink", realtime=True)


def test_video_file_fast_and_paced() -> None:
    src = open_source(str(DEMO_VIDEO), realtime=False)
    assert src.fps == pytest.approx(10.0)
    frames = []
    for f in src.frames():
        frames.append(f)
        if len(frames) == 20:
            break
    src.close()
    assert frames[0].image is not None and frames[0].image.shape == (432, 768, 3)
    assert [f.time for f in frames[:3]] == pytest.approx([0.0, 0.1, 0.2])
    paced = open_source(str(DEMO_VIDEO), realtime=True)
    t0 = time.monotonic()
    n = 0
    for _ in paced.frames():
        n += 1
        if n == 6:
            break
    paced.close()
    assert time.monotonic() - t0 >= 0.45  # 6 frames at 10 fps take 0.5 s


def test_keypoint_replay(tmp_path: Path) -> None:
    kp = np.random.default_rng(0).uniform(0, 100, (1, 5, 17, 2)).astype(np.float32)
    data = {"split": {}, "annotations": [
        {"frame_dir": "a", "label": 0, "keypoint": kp, "keypoint_score": np.ones((1, 5, 17)),
         "img_shape": (240, 320), "total_frames": 5, "fps": 10},
        {"frame_dir": "b", "label": 1, "keypoint": kp[:, :3], "img_shape": (240, 320),
         "total_frames": 3},
    ]}
    path = tmp_path / "k.pkl"
    path.write_bytes(pickle.dumps(data))
    src = open_source(str(path), realtime=False)
    assert isinstance(src, KeypointReplaySource)
    frames = list(src.frames())
    assert len(frames) == 8 and all(f.image is None for f in frames)
    assert frames[5].time == pytest.approx(0.5)  # second annotation starts after 5 frames @10
    assert frames[6].time == pytest.approx(0.5 + 1 / 30)  # default 30 fps
    np.testing.assert_array_equal(frames[1].keypoints, kp[:, 1])
    path.write_bytes(pickle.dumps({"foo": 1}))
    with pytest.raises(SourceError, match="PYSKL"):
        open_source(str(path), realtime=False)


@pytest.mark.parametrize(("field", "value", "why"), [
    ("fps", "n/a", "fps 'n/a' is not a frame rate"),
    ("fps", 0, "fps 0 is not a frame rate"),
    ("fps", float("nan"), "is not a frame rate"),
    ("img_shape", None, "img_shape None is not an image's"),
    ("img_shape", (480,), "is not an image's"),
    ("img_shape", (480, -640), "is not an image's"),
])
def test_keypoint_replay_with_a_bad_field_is_a_clear_error(
        tmp_path: Path, field: str, value: object, why: str) -> None:
    """A malformed file named over MQTT or from the dashboard is refused at open (a
    SourceError the camera reports), never a crash later in the sampling thread."""
    anno = {"frame_dir": "a", "keypoint": np.zeros((1, 30, 17, 2), np.float32),
            "keypoint_score": np.ones((1, 30, 17), np.float32), "img_shape": (480, 640),
            "fps": 30.0, field: value}
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps({"annotations": [anno]}))
    with pytest.raises(SourceError, match=f"bad.pkl: .*{why}"):
        open_source(str(path), realtime=False)


def test_a_bad_annotation_later_in_the_file_is_refused_at_open(tmp_path: Path) -> None:
    good = {"frame_dir": "a", "keypoint": np.zeros((1, 3, 17, 2), np.float32),
            "img_shape": (240, 320), "fps": 10}
    path = tmp_path / "later.pkl"
    path.write_bytes(pickle.dumps({"annotations": [good, {**good, "frame_dir": "b",
                                                          "fps": -5}]}))
    with pytest.raises(SourceError, match=r"later\.pkl \(annotation 2, b\): fps -5"):
        open_source(str(path), realtime=False)
    # an annotation without img_shape takes the first one's size
    path.write_bytes(pickle.dumps({"annotations": [good, {
        "frame_dir": "c", "keypoint": np.zeros((1, 2, 17, 2), np.float32), "fps": 10}]}))
    frames = list(open_source(str(path), realtime=False).frames())
    assert [f.size for f in frames] == [(320, 240)] * 5


@pytest.mark.parametrize(("text", "shown"), [
    ("rtsp://admin:my secret@cam/x", "rtsp://admin:***@cam/x"),  # a blank in the password
    ("rtsp://admin:secret\n@cam/x", "rtsp://admin:***@cam/x"),
    ("rtsp://u:a b@cam:554/s?x=1", "rtsp://u:***@cam:554/s?x=1"),
    ("http://cam/v?pw=secret&api-key=secret&sessionkey=secret&credentials=secret&keyframe=4",
     "http://cam/v?pw=***&api-key=***&sessionkey=***&credentials=***&keyframe=4"),
    ("/srv/my videos/kitchen.mp4", "/srv/my videos/kitchen.mp4"),
])
def test_passwords_with_blanks_and_more_parameter_names_are_masked(text: str,
                                                                   shown: str) -> None:
    assert redact_source(text) == shown and "secret" not in redact_source(text)


def test_keypoint_replay_shapes(tmp_path: Path) -> None:
    """(M,T,17,3) carries the score last; 33 MediaPipe joints are a clear error, not a run
    that processes nothing."""
    rng = np.random.default_rng(1)
    kp3 = np.concatenate([rng.uniform(0, 100, (1, 4, 17, 2)), np.full((1, 4, 17, 1), 0.7)],
                         axis=-1).astype(np.float32)
    path = tmp_path / "k3.pkl"
    path.write_bytes(pickle.dumps({"annotations": [
        {"frame_dir": "a", "keypoint": kp3, "img_shape": (240, 320), "fps": 10}]}))
    frames = list(open_source(str(path), realtime=False).frames())
    assert len(frames) == 4
    assert frames[0].keypoints is not None and frames[0].keypoints.shape == (1, 17, 2)
    np.testing.assert_array_equal(frames[2].keypoints, kp3[:, 2, :, :2])
    assert frames[0].scores is not None and np.allclose(frames[0].scores, 0.7)
    mp33 = tmp_path / "k33.pkl"
    mp33.write_bytes(pickle.dumps({"annotations": [
        {"frame_dir": "a", "keypoint": rng.uniform(0, 1, (1, 4, 33, 2)), "fps": 10}]}))
    with pytest.raises(SourceError, match=r"no annotation has COCO-17 keypoints.*\(1, 4, 33, 2\)"):
        open_source(str(mp33), realtime=False)


class _FakeCap:
    """A camera that gives ``n`` frames, then fails (unplugged)."""

    def __init__(self, n: int, opened: bool = True) -> None:
        self.n = n
        self.opened = opened

    def isOpened(self) -> bool:
        return self.opened

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.n <= 0:
            return False, None
        self.n -= 1
        time.sleep(0.005)
        return True, np.full((48, 64, 3), 100, np.uint8)

    def release(self) -> None:
        self.opened = False


def test_camera_that_disappears_and_comes_back() -> None:
    opens: list[int] = []
    plan = [_FakeCap(5), _FakeCap(0, opened=False), _FakeCap(0, opened=False), _FakeCap(10**6)]

    def opener() -> _FakeCap:
        opens.append(1)
        return plan[min(len(opens) - 1, len(plan) - 1)]

    stop = threading.Event()
    src = LiveSource(parse_source("0"), reconnect_initial_s=0.02, reconnect_max_s=0.1,
                     stop=stop, opener=opener)
    try:
        deadline = time.monotonic() + 5
        while src.reconnects < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert src.reconnects == 1 and src.connected
        frame = src.latest(timeout=1.0)
        assert frame is not None and frame.image is not None
        assert len(opens) == 4  # first open, two failed reopens, success
        time.sleep(0.1)  # frames keep coming while nobody takes them: counted as dropped
        assert src.dropped > 0
    finally:
        src.close()


class _StallingCap(_FakeCap):
    """A network stream that stalls: after its first frames, read() blocks until
    ``unblock`` is set; release() while a read is in progress is recorded (OpenCV
    segfaults there)."""

    def __init__(self) -> None:
        super().__init__(3)
        self.unblock = threading.Event()
        self.reading = threading.Event()
        self.released_while_reading = False
        self.released = 0

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.n > 0:
            return super().read()
        self.reading.set()
        self.unblock.wait()
        self.reading.clear()
        return False, None

    def release(self) -> None:
        if self.reading.is_set():
            self.released_while_reading = True
        self.released += 1
        super().release()


def test_close_during_a_stalled_stream_never_releases_under_a_read() -> None:
    cap = _StallingCap()
    src = LiveSource(parse_source("rtsp://cam/stream"), opener=lambda: cap)
    src.close_timeout_s = 0.3
    assert cap.reading.wait(2.0)  # the capture thread is stuck in read()
    t0 = time.monotonic()
    src.close()
    assert time.monotonic() - t0 < 2.0  # close() does not hang on the stalled read
    assert cap.released == 0 and not cap.released_while_reading
    cap.unblock.set()  # the read returns (the stream times out): the thread releases it
    src._thread.join(2.0)
    assert not src._thread.is_alive()
    assert cap.released == 1 and not cap.released_while_reading
    # a source whose thread ended is released by close() itself, once
    cap2 = _FakeCap(10**6)
    src2 = LiveSource(parse_source("0"), opener=lambda: cap2)
    src2.close()
    assert not cap2.opened


def test_a_stalled_stream_shows_0_fps_and_is_logged_once(
        caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import threading

    from edge_app import sampler as sampler_mod
    from edge_app.sampler import LiveSampler

    cap = _StallingCap()
    src = LiveSource(parse_source("rtsp://cam/stream"), opener=lambda: cap)
    src.close_timeout_s = 0.3
    try:
        assert cap.reading.wait(2.0)
        assert src.last_frame_wall is not None
        src.STALE_S = 0.2
        time.sleep(0.3)
        assert src.fps == 0.0  # not the rate before the stall
        sampler = LiveSampler(src, 15.0)
        stop = threading.Event()
        samples = sampler.samples(stop)
        old, sampler_mod.STALL_S = sampler_mod.STALL_S, 0.2
        try:
            with caplog.at_level(logging.WARNING, logger="edge_app.sampler"):
                threading.Timer(1.5, stop.set).start()
                assert len(list(samples)) <= 1  # the frame read at open, then none
        finally:
            sampler_mod.STALL_S = old
        stalls = [r for r in caplog.records if "no frame for" in r.getMessage()]
        assert len(stalls) == 1 and "rtsp://cam/stream" in stalls[0].getMessage()
    finally:
        src.close()
        cap.unblock.set()


def test_a_camera_lost_right_after_its_first_frame_counts_as_stalled() -> None:
    first = [True]

    def opener() -> _FakeCap | None:
        if first[0]:
            first[0] = False
            return _FakeCap(1)  # one frame (read when opening), then nothing
        return None

    src = LiveSource(parse_source("rtsp://cam/stream"), opener=opener,
                     reconnect_initial_s=0.05, reconnect_max_s=0.1)
    try:
        assert src.last_frame_wall is not None  # the frame read at open counts
        src.STALE_S = 0.1
        time.sleep(0.3)
        assert src.fps == 0.0 and not src.connected
    finally:
        src.close()
