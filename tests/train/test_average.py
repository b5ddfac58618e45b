"""Checkpoint averaging: the weighted mean of the weights, checked inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from train.average import average_checkpoints, write_average
from train.checkpoint import CheckpointError, read_checkpoint
from train.cli import main


def _ckpt(path: Path, scale: float, classes: tuple[str, ...] = ("a", "b"),
          extra: bool = False) -> Path:
    model = {"w": torch.full((2, 3), scale), "bn.num_batches_tracked": torch.tensor(7 + scale,
                                                                                dtype=torch.long)}
    if extra:
        model["x"] = torch.zeros(1)
    torch.save({"model": model, "meta": {"class_names": list(classes)}}, path)
    return path


def test_weighted_mean_of_float_tensors_and_the_first_counters(tmp_path: Path) -> None:
    a, b = _ckpt(tmp_path / "a.pt", 1.0), _ckpt(tmp_path / "b.pt", 3.0)
    out = average_checkpoints([a, b], [0.75, 0.25])
    assert torch.allclose(out["model"]["w"], torch.full((2, 3), 1.5))
    assert out["model"]["w"].dtype == torch.float32
    assert int(out["model"]["bn.num_batches_tracked"]) == 8  # from the first
    assert [d["weight"] for d in out["meta"]["averaged_from"]] == [0.75, 0.25]
    assert out["meta"]["class_names"] == ["a", "b"]
    written = write_average([a, b], [0.5, 0.5], tmp_path / "soup.pt")
    back = read_checkpoint(written, training_state=False)
    assert torch.allclose(back["model"]["w"], torch.full((2, 3), 2.0))


def test_mismatches_and_bad_weights_are_refused(tmp_path: Path) -> None:
    a = _ckpt(tmp_path / "a.pt", 1.0)
    with pytest.raises(CheckpointError, match="sum to 1"):
        average_checkpoints([a, _ckpt(tmp_path / "b.pt", 2.0)], [0.5, 0.6])
    with pytest.raises(CheckpointError, match="positive"):
        average_checkpoints([a, tmp_path / "b.pt"], [1.5, -0.5])
    with pytest.raises(CheckpointError, match="two or more"):
        average_checkpoints([a], [1.0])
    with pytest.raises(CheckpointError, match="other tensors"):
        average_checkpoints([a, _ckpt(tmp_path / "c.pt", 1.0, extra=True)], [0.5, 0.5])
    with pytest.raises(CheckpointError, match="other classes"):
        average_checkpoints([a, _ckpt(tmp_path / "d.pt", 1.0, classes=("a", "z"))], [0.5, 0.5])
    with pytest.raises(CheckpointError, match="does not exist"):
        average_checkpoints([a, tmp_path / "missing.pt"], [0.5, 0.5])


def test_cli_writes_the_average_and_reports_errors(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _ckpt(tmp_path / "a.pt", 1.0), _ckpt(tmp_path / "b.pt", 3.0)
    out = tmp_path / "soup.pt"
    assert main(["average", str(a), str(b), "--weights", "0.25", "0.75", "--out", str(out)]) == 0
    assert torch.allclose(read_checkpoint(out, training_state=False)["model"]["w"],
                          torch.full((2, 3), 2.5))
    assert main(["average", str(a), str(b), "--weights", "0.2", "0.2", "--out", str(out)]) == 1
    assert "sum to 1" in capsys.readouterr().err


def test_the_mix_does_not_claim_one_inputs_start_or_teacher(tmp_path: Path) -> None:
    a, b = _ckpt(tmp_path / "a.pt", 1.0), _ckpt(tmp_path / "b.pt", 3.0)
    ck = torch.load(a, weights_only=True)
    ck["meta"].update(init={"model": "start.pt"}, distill={"teacher": "t.pt"}, lr=0.02)
    torch.save(ck, a)
    meta = average_checkpoints([a, b], [0.5, 0.5])["meta"]
    assert "init" not in meta and "distill" not in meta
    assert meta["lr"] == 0.02 and len(meta["averaged_from"]) == 2
