from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deploy.calibration import CalibrationError, WindowSet, load_windows
from tests.deploy.conftest import random_windows


def test_deploy_imports_neither_the_app_nor_training() -> None:
    code = ("import sys, deploy.calibration, deploy.variants, deploy.models, deploy.tensorrt, "
            "deploy.programs; "
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'edge_app', 'train'}); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_saved_npz_is_read_directly(tmp_path: Path) -> None:
    windows = random_windows(3)
    assert isinstance(windows, WindowSet)
    back = load_windows(windows.save(tmp_path / "w.npz"), max_windows=2)
    assert len(back) == 2 and back.source == "random"


def test_a_video_that_cannot_be_read_is_a_calibration_error(tmp_path: Path) -> None:
    # python -m edge_app.calibration runs and fails; its error line is the message
    with pytest.raises(CalibrationError, match=r"video file .*nowhere.mp4 does not exist"):
        load_windows(tmp_path / "nowhere.mp4")


def test_a_pickle_that_cannot_be_read_is_a_calibration_error(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match=r"annotation file .*nowhere.pkl does not exist"):
        load_windows(tmp_path / "nowhere.pkl", video_root=tmp_path)
