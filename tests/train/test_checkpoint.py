from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from train.checkpoint import (
    CheckpointError,
    capture_rng,
    load_state_strict,
    read_checkpoint,
    restore_rng,
    write_checkpoint,
)


def test_rng_round_trip_and_weights_only(tmp_path: Path) -> None:
    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    path = write_checkpoint(tmp_path / "c.pt", {"model": {}, "meta": {}, "optimizer": {},
                                               "scheduler": {}, "progress": {},
                                               "rng": capture_rng()})
    expected = (torch.rand(3), np.random.rand(3), random.random())
    ckpt = torch.load(path, weights_only=True)  # what deploy.export does
    restore_rng(ckpt["rng"])
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1])
    assert random.random() == expected[2]
    assert read_checkpoint(path)["format"] == "epam-train/1"


def test_corrupt_and_missing_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "nope.pt")
    good = write_checkpoint(tmp_path / "g.pt", {"model": {"w": torch.ones(1000)}, "meta": {}})
    truncated = tmp_path / "t.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated, corrupt"):
        read_checkpoint(truncated, training_state=False)
    garbage = tmp_path / "x.pt"
    garbage.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        read_checkpoint(garbage)
    with pytest.raises(CheckpointError, match="cannot be resumed"):
        read_checkpoint(good)  # weights only, no training state
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="no model weights"):
        read_checkpoint(tmp_path / "list.pt", training_state=False)


def test_strict_load_lists_mismatches() -> None:
    net = torch.nn.Linear(3, 2)
    with pytest.raises(CheckpointError, match=r"1 missing keys .*bias.*shape mismatches"):
        load_state_strict(net, {"weight": torch.zeros(4, 3)}, "x")
