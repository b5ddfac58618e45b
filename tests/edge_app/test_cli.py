from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.edge_app.conftest import ROOT


def _run(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, EPAM_DATA_DIR=str(tmp / "data"), PYTHONPATH=str(ROOT),
               QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "edge_app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_wrong_config_key_names_valid_ones(tmp_path: Path) -> None:
    r = _run("run", "--headless", "--set", "window.strid=3", tmp=tmp_path)
    assert r.returncode == 2
    assert "window.stride" in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_missing_source_and_model_are_one_line_errors(tmp_path: Path,
                                                      random_model: Path) -> None:
    r = _run("run", "--headless", "--source", str(tmp_path / "nope.mp4"), "--model",
             str(random_model), tmp=tmp_path)
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(random_model.read_bytes()[:1000])
    r = _run("run", "--headless", "--model", str(bad), tmp=tmp_path)
    assert r.returncode == 2 and "truncated" in r.stderr and "Traceback" not in r.stderr


def test_doctor_reports_each_check(tmp_path: Path, random_model: Path) -> None:
    r = _run("doctor", "--model", str(random_model), tmp=tmp_path)
    out = r.stdout
    for name in ("configuration", "EPAM-Net model", "pose model", "source", "OpenCV GStreamer",
                 "MQTT broker"):
        assert f"] {name}" in out
    assert "UNTRAINED" in out
    assert r.returncode == 0, out + r.stderr
    r = _run("doctor", "--source", "9", "--model", str(random_model), tmp=tmp_path)
    assert r.returncode == 1 and "[FAIL] source: camera 9" in r.stdout
