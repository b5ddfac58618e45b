from __future__ import annotations

from pathlib import Path

import pytest

from train.calibration import main


def test_cli_says_why_when_the_pickle_cannot_be_read(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.npz"
    assert main([str(tmp_path / "nowhere.pkl"), "--video-root", str(tmp_path),
                 "--out", str(out)]) == 1
    assert "error: annotation file" in capsys.readouterr().err
    assert not out.exists()
