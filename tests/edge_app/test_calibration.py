from __future__ import annotations

from pathlib import Path

import pytest

from edge_app.calibration import main


def test_cli_says_why_when_the_video_cannot_be_read(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.npz"
    assert main([str(tmp_path / "nowhere.mp4"), "--out", str(out)]) == 1
    assert "error: video file" in capsys.readouterr().err
    assert not out.exists()
