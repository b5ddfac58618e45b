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
    # MediaPipe's native chatter (about 50 lines) does not bury the report
    assert "XNNPACK" not in out + r.stderr and "Sparsity" not in out + r.stderr
    r = _run("doctor", "--source", "9", "--model", str(random_model), tmp=tmp_path)
    assert r.returncode == 1 and "[FAIL] source: camera 9" in r.stdout


def test_doctor_and_the_app_notice_a_damaged_event_store(tmp_path: Path,
                                                        random_model: Path) -> None:
    """A garbage or page-corrupted events.db: doctor says so (not "all good"), and the
    pipeline keeps the damaged file aside and monitors on with a new one."""
    from edge_app.app import EdgeApp
    from edge_app.config import load_config
    from edge_app.store import EventStore, check_store_file
    from edge_app.types import Event

    data = tmp_path / "data"
    data.mkdir()
    db = data / "events.db"
    db.write_bytes(b"this is not a database at all" * 200)
    r = _run("doctor", "--model", str(random_model), tmp=tmp_path)
    assert r.returncode == 1 and "[FAIL] event store" in r.stdout, r.stdout
    assert "all good" not in r.stdout
    # a real store with its pages overwritten in the middle
    db.unlink()
    store = EventStore(db)
    for i in range(400):
        store.record(Event("new", f"i{i}", "walking", "info", 0.5, float(i), None, "cam",
                           "activity", 1000.0 + i))
    store.close()
    raw = bytearray(db.read_bytes())
    raw[8192:16384] = b"\xff" * 8192
    db.write_bytes(bytes(raw))
    assert check_store_file(db)
    cfg = load_config(overrides=[f"store.path={db}", "model.backend=onnxruntime"])
    p = EdgeApp(cfg, model_path=random_model)
    try:
        assert p.store.problems() == []
        assert p.store.incidents() == []
    finally:
        p.stop()
    kept = [f for f in data.iterdir() if f.name.startswith("events.db.corrupt-")]
    assert kept and check_store_file(kept[0])  # the damaged file is kept, not deleted


def test_an_unusable_data_dir_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    for bad in (blocker, blocker / "below"):
        r = _run("run", "--headless", "--set", f"data_dir={bad}", tmp=tmp_path)
        assert r.returncode == 2, r.stderr
        assert "data directory" in r.stderr and "cannot be used" in r.stderr
        assert "Traceback" not in r.stderr + r.stdout
