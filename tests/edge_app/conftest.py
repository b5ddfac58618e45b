from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_VIDEO = ROOT / "assets" / "demo" / "one-by-one-person-detection.mp4"
POSE_MODEL = ROOT / "assets" / "models" / "pose_landmarker_full.task"


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir (event store, logs) for one test."""
    d = tmp_path / "data"
    monkeypatch.setenv("EPAM_DATA_DIR", str(d))
    return d
