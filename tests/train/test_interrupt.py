"""SIGTERM during ``python -m train fit``: the step finishes, last.pt is written, exit 143."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from tests.conftest import ROOT


def _config(synth_dir: Path, out: Path) -> Path:
    path = out / "cfg.yaml"
    path.write_text(yaml.safe_dump({
        "name": "sigterm",
        "output_dir": str(out / "run"),
        "data": {"ann_file": str(synth_dir / "synth.pkl"), "train_split": "train",
                 "val_split": None, "num_workers": 1},
        "phases": {"pose": {"batch_size": 2, "lr": 0.01, "epochs": 50}},
        "runtime": {"device": "cpu", "precision": "fp32", "log_every": 1, "threads": 2,
                    "tensorboard": False},
    }))
    return path


def test_sigterm_saves_a_resumable_checkpoint(synth_dir: Path, tmp_path: Path) -> None:
    cfg = _config(synth_dir, tmp_path)
    metrics = tmp_path / "run" / "pose" / "metrics.csv"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "train", "fit", "--config", str(cfg)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if metrics.exists() and len(metrics.read_text().splitlines()) >= 2:
                break  # at least one step done
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[0]
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, out
    assert "received SIGTERM" in out
    ckpt = torch.load(tmp_path / "run" / "pose" / "last.pt", weights_only=True)
    progress = ckpt["progress"]
    assert progress["global_step"] >= 1 and not progress["complete"]
    assert progress["epoch"] < 50


@pytest.mark.slow
def test_sigterm_then_resume_runs(synth_dir: Path, tmp_path: Path) -> None:
    cfg = _config(synth_dir, tmp_path)
    test_sigterm_saves_a_resumable_checkpoint(synth_dir, tmp_path)
    done = subprocess.run([sys.executable, "-m", "train", "fit", "--config", str(cfg),
                           "--resume", "--max-steps", "3"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "resumed" in done.stderr
