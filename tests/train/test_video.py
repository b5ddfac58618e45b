from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from train.video import VideoError, read_frames, resolve_video


def _write_numbered(path: Path, n: int, size: tuple[int, int] = (64, 48)) -> None:
    """Frame i: red = 10 * i (mod 250), green = 2 * i (mod 250), blue 200 (RGB, MJPG)."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (w, h))
    for i in range(n):
        rgb = np.zeros((h, w, 3), np.uint8)
        rgb[..., 0] = (10 * i) % 250
        rgb[..., 1] = (2 * i) % 250
        rgb[..., 2] = 200
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()


def test_read_frames_exact_indices_rgb_order(tmp_path: Path) -> None:
    path = tmp_path / "v.avi"
    _write_numbered(path, 20)
    frames = read_frames(path, [3, 3, 0, 17, 9])
    assert sorted(frames) == [0, 3, 9, 17]
    for i, img in frames.items():
        assert img.shape == (48, 64, 3) and img.dtype == np.uint8
        assert abs(int(img[..., 0].mean()) - 10 * i) <= 3  # red channel first: RGB
        assert abs(int(img[..., 2].mean()) - 200) <= 3


def test_start_frame_and_short_video(tmp_path: Path) -> None:
    path = tmp_path / "v.avi"
    _write_numbered(path, 10)
    frames = read_frames(path, [0, 2], start_frame=5)
    assert abs(int(frames[0][..., 0].mean()) - 50) <= 3
    held = read_frames(path, [8, 30])  # past the end: the last decoded frame
    assert np.array_equal(held[30], held[8])


def test_seeking_over_long_gaps_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "long.avi"
    _write_numbered(path, 100, size=(32, 24))
    read = read_frames(path, [1, 60, 99], seek_gap=10)
    sequential = read_frames(path, [1, 60, 99], seek_gap=10_000)
    for i in (1, 60, 99):
        assert np.array_equal(read[i], sequential[i]), i
        assert abs(int(read[i][..., 1].mean()) - 2 * i) <= 3


def test_resolve_video(tmp_path: Path) -> None:
    (tmp_path / "S001_rgb.avi").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.mp4").write_bytes(b"x")
    assert resolve_video({"frame_dir": "S001"}, tmp_path, [".mp4", "_rgb.avi"]).name == \
        "S001_rgb.avi"
    assert resolve_video({"frame_dir": "z", "filename": "sub/c.mp4"}, tmp_path, []).name == "c.mp4"
    with pytest.raises(VideoError, match="no video"):
        resolve_video({"frame_dir": "S002"}, tmp_path, [".mp4"])
    with pytest.raises(VideoError, match="cannot open"):
        read_frames(tmp_path / "sub" / "c.mp4", [0])
