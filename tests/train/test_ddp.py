"""Two processes with gloo on the CPU (torchrun): one epoch of 3 steps and a validation."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import torch
import yaml

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ddp_gloo_two_processes(synth_dir: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({
        "name": "ddp",
        "output_dir": str(tmp_path / "run"),
        "data": {"ann_file": str(synth_dir / "synth.pkl"), "train_split": None,
                 "val_split": "val", "num_workers": 0},
        "phases": {"pose": {"batch_size": 2, "lr": 0.01, "epochs": 1}},
        "runtime": {"device": "cpu", "precision": "fp32", "log_every": 1, "threads": 1,
                    "tensorboard": False, "progress": False},
    }))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           f"--master_port={_free_port()}", "-m", "train", "fit", "--config", str(cfg)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "backend gloo" in done.stderr
    ckpt = torch.load(tmp_path / "run" / "pose" / "last.pt", weights_only=True)
    assert ckpt["meta"]["world_size"] == 2
    # 6 clips over 2 processes at 1 clip each: 3 iterations, then validation on 3 clips
    assert ckpt["progress"]["iters_per_epoch"] == 3
    assert ckpt["progress"]["global_step"] == 3 and ckpt["progress"]["complete"]
    assert 0.0 <= ckpt["meta"]["val_top1"] <= 1.0
    assert len(ckpt["rng"]["per_rank"]) == 2
