"""Reduced-geometry curriculum: cheap steps first, then the same weights at full size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from train.checkpoint import read_checkpoint
from train.dataset import reduce_pose
from train.engine import Trainer

from .conftest import MakeConfig


def test_reduce_pose_keeps_every_nth_frame_and_the_peaks() -> None:
    pose = np.zeros((17, 48, 56, 56), np.float32)
    pose[3, 10, 20, 31] = 1.0  # kept frame (10 is even)
    pose[4, 11, 5, 5] = 1.0  # dropped frame
    out = reduce_pose(pose, 2, 2)
    assert out.shape == (17, 24, 28, 28) and out.flags["C_CONTIGUOUS"]
    assert out[3, 5, 10, 15] == 1.0  # max-pooled: the peak survives
    assert out[4].max() == 0.0
    assert reduce_pose(pose, 1, 1).shape == pose.shape


def test_reduced_run_then_full_geometry_from_its_weights(make_config: MakeConfig) -> None:
    from deploy.export import ExportError, load_checkpoint

    small = make_config("pose", ("data.reduce_time=2", "data.reduce_space=2"))
    trainer = Trainer(small, max_steps=1)
    assert trainer.model.pose.num_frames == 24
    item = trainer.train_set[0]
    assert tuple(item["pose"].shape) == (17, 24, 28, 28)
    first = trainer.fit().checkpoint
    meta = read_checkpoint(first)["meta"]
    assert meta["reduced_geometry"] == [2, 2]
    with pytest.raises(ExportError, match="reduced geometry"):
        load_checkpoint(first)
    # stage 2 at the full geometry starts from exactly those weights
    full = make_config("pose", (f"init.checkpoint={first}", "output_dir=" +
                                str(Path(first).parents[1] / "full")))
    t2 = Trainer(full, max_steps=1)
    assert t2.model.pose.num_frames == 48
    saved = read_checkpoint(first)["model"]
    for k, v in t2.model.pose.state_dict().items():
        assert torch.equal(v, saved[f"pose.{k}"]), k
    assert tuple(t2.train_set[0]["pose"].shape) == (17, 48, 56, 56)
    result = t2.fit()
    assert read_checkpoint(result.checkpoint)["meta"]["init"]["model"] == str(first)


def test_init_checkpoint_with_other_classes_is_refused(make_config: MakeConfig,
                                                      pose_run: Path, tmp_path: Path) -> None:
    from train.checkpoint import CheckpointError

    cfg = make_config("pose", (f"init.checkpoint={pose_run}", "data.classes=[a,b,c,d]"))
    with pytest.raises(CheckpointError, match="other classes"):
        Trainer(cfg, max_steps=1)


def test_small_rgb_crops_train_the_rgb_phase_only(make_config: MakeConfig) -> None:
    from deploy.export import ExportError, load_checkpoint
    from train.config import ConfigError

    small = make_config("rgb", ("data.rgb_size=112",))
    trainer = Trainer(small, max_steps=1)
    assert tuple(trainer.train_set[0]["rgb"].shape) == (3, 16, 112, 112)
    first = trainer.fit().checkpoint
    assert read_checkpoint(first)["meta"]["rgb_size"] == 112
    with pytest.raises(ExportError, match="112x112 RGB crops"):
        load_checkpoint(first)
    for phase in ("pose", "joint"):
        with pytest.raises(ConfigError, match="rgb phase only"):
            Trainer(make_config(phase, ("data.rgb_size=112",)), max_steps=1)
    # resuming at another size would mix two geometries in one run: refused
    from train.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="rgb_size 112, this run uses"):
        Trainer(make_config("rgb"), resume=first, max_steps=2)


def test_rgb_size_outside_32_to_224_is_refused(make_config: MakeConfig) -> None:
    for bad in (16, 256):
        with pytest.raises(Exception, match="rgb_size"):
            make_config("rgb", (f"data.rgb_size={bad}",))
