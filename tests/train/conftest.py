"""Shared fixtures for the training tests: a small synthetic dataset and config factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from train.config import TrainConfig, config_from_dict
from train.pyskl import save_pyskl
from train.synthetic import synthetic_dataset


@pytest.fixture(autouse=True)
def _two_threads() -> None:
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``synth.pkl`` (3 classes x 2 clips, splits train/val) and ``videos/`` for RGB."""
    root = tmp_path_factory.mktemp("synth")
    data = synthetic_dataset(num_classes=3, clips_per_class=2, frames=(30, 60), seed=0,
                             video_root=root / "videos")
    save_pyskl(data, root / "synth.pkl")
    return root


MakeConfig = Callable[..., TrainConfig]


def config_for(synth_dir: Path, out_dir: Path, phase: str = "pose",
               overrides: tuple[str, ...] = ()) -> TrainConfig:
    """A config on the synthetic data: batch 2, no workers, no validation, fp32, CPU."""
    data: dict[str, Any] = {
        "name": "test",
        "phase": phase,
        "seed": 0,
        "output_dir": str(out_dir),
        "data": {
            "ann_file": str(synth_dir / "synth.pkl"),
            "video_root": str(synth_dir / "videos"),
            "train_split": "train",
            "val_split": None,
            "num_workers": 0,
        },
        "phases": {
            "pose": {"batch_size": 2, "lr": 0.01, "epochs": 2, "random_resized_crop": True},
            "rgb": {"batch_size": 2, "lr": 0.01, "epochs": 2},
            "joint": {"batch_size": 2, "lr": 0.001, "epochs": 1},
        },
        "runtime": {"device": "cpu", "precision": "fp32", "progress": False,
                    "tensorboard": False, "log_every": 1},
    }
    return config_from_dict(data, overrides)


@pytest.fixture
def make_config(synth_dir: Path, tmp_path: Path) -> MakeConfig:
    """``make_config(phase, overrides)`` writing its run under ``tmp_path/run``."""

    def make(phase: str = "pose", overrides: tuple[str, ...] = ()) -> TrainConfig:
        return config_for(synth_dir, tmp_path / "run", phase, overrides)

    return make


@pytest.fixture(scope="session")
def pose_run(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pose-phase checkpoint after one step (``<run>/pose/last.pt``), shared by tests."""
    from train.engine import Trainer

    out = tmp_path_factory.mktemp("pose_run")
    cfg = config_for(synth_dir, out, "pose", ("data.val_split=val",))
    result = Trainer(cfg, max_steps=1).fit()
    return result.checkpoint


def first_batch(trainer: Any) -> dict[str, torch.Tensor]:
    """The first training batch (2 clips, no workers) of a ``train.engine.Trainer``."""
    from train.loaders import train_loader

    loader = train_loader(trainer.train_set, batch_size=2, epoch=0, seed=0, dist=trainer.dist,
                          workers=0)
    return next(iter(loader))  # type: ignore[no-any-return]
