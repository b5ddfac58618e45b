"""The training engine on the real EPAM-Net at batch 2 (few steps, synthetic clips)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
import torch

from deploy.export import load_checkpoint as export_load_checkpoint
from model.epamnet import build_epamnet
from tests.train.conftest import MakeConfig, first_batch
from train.checkpoint import CheckpointError, read_checkpoint, write_checkpoint
from train.engine import Trainer


def _train_losses(run_dir: Path) -> list[float]:
    with (run_dir / "metrics.csv").open() as f:
        return [float(r["loss"]) for r in csv.DictReader(f) if r["split"] == "train"]


def test_pose_phase_step_checkpoint_and_pose_only_export(pose_run: Path) -> None:
    losses = _train_losses(pose_run.parent)
    assert len(losses) == 1 and math.isfinite(losses[0])
    ckpt = torch.load(pose_run, weights_only=True)
    meta = ckpt["meta"]
    assert meta["trained_streams"] == ["pose"] and meta["phase"] == "pose"
    assert meta["class_names"] == ["raise one arm", "raise both arms", "squat"]
    assert meta["sampling"] == "uniform" and meta["sample_rate_hz"] == 15.0
    assert {k.split(".")[0] for k in ckpt["model"]} == {"rgb", "pose", "attention"}
    # deploy.export builds EPAM-Net from it; the zeroed RGB head makes scores == pose logits.
    model, export_meta = export_load_checkpoint(pose_run)
    assert export_meta["trained_streams"] == ["pose"]
    gen = torch.Generator().manual_seed(0)
    pose = torch.rand(1, 17, 48, 56, 56, generator=gen)
    rgb = torch.randn(1, 3, 16, 224, 224, generator=gen)
    with torch.no_grad():
        scores, rgb_logits, pose_logits = model(pose, rgb)
    assert torch.count_nonzero(rgb_logits) == 0
    assert torch.equal(scores, pose_logits)


def test_pose_loss_falls_on_a_fixed_batch(make_config: MakeConfig) -> None:
    trainer = Trainer(make_config("pose", ("phases.pose.lr=0.05",)))
    trainer.model.pose.head.dropout.p = 0.0  # a deterministic objective for this check
    batch = first_batch(trainer)
    trainer.net.train()
    losses = [trainer._train_step(batch) for _ in range(4)]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0], losses


def test_rgb_phase_step(make_config: MakeConfig) -> None:
    result = Trainer(make_config("rgb"), max_steps=1).fit()
    assert result.stopped == "max_steps" and result.global_step == 1
    assert math.isfinite(_train_losses(result.checkpoint.parent)[0])
    assert read_checkpoint(result.checkpoint)["meta"]["trained_streams"] == ["rgb"]


def _stream_checkpoint(path: Path, stream: str, names: list[str], seed: int) -> Path:
    torch.manual_seed(seed)
    net = build_epamnet(len(names))
    return write_checkpoint(path, {"model": net.state_dict(), "meta": {
        "class_names": names, "phase": stream, "trained_streams": [stream]}})


def test_joint_phase_starts_from_both_streams(make_config: MakeConfig, tmp_path: Path) -> None:
    names = ["raise one arm", "raise both arms", "squat"]
    pose_ck = _stream_checkpoint(tmp_path / "p.pt", "pose", names, 1)
    rgb_ck = _stream_checkpoint(tmp_path / "r.pt", "rgb", names, 2)
    cfg = make_config("joint", (f"phases.joint.init_pose={pose_ck}",
                                f"phases.joint.init_rgb={rgb_ck}"))
    trainer = Trainer(cfg, max_steps=1)
    start = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    pose_state = torch.load(pose_ck, weights_only=True)["model"]
    rgb_state = torch.load(rgb_ck, weights_only=True)["model"]
    assert torch.equal(start["pose.stem.conv.weight"], pose_state["pose.stem.conv.weight"])
    assert torch.equal(start["rgb.stem.conv.weight"], rgb_state["rgb.stem.conv.weight"])
    result = trainer.fit()
    loss = _train_losses(result.checkpoint.parent)[0]
    assert math.isfinite(loss) and loss > 0
    after = trainer.model.state_dict()
    for key in ("pose.stem.conv.weight", "rgb.stem.conv.weight", "attention.spatial_conv.weight"):
        if key in after:
            assert not torch.equal(after[key], start[key]), key
    meta = read_checkpoint(result.checkpoint)["meta"]
    assert meta["trained_streams"] == ["pose", "rgb"]
    assert meta["init"] == {"pose": str(pose_ck), "rgb": str(rgb_ck)}
    export_load_checkpoint(result.checkpoint)  # exportable


def test_joint_phase_without_stream_checkpoints_says_what_to_do(make_config: MakeConfig) -> None:
    with pytest.raises(CheckpointError, match="train the pose phase first"):
        Trainer(make_config("joint"))


def test_joint_rejects_a_checkpoint_of_the_wrong_stream(make_config: MakeConfig,
                                                        tmp_path: Path) -> None:
    names = ["raise one arm", "raise both arms", "squat"]
    pose_ck = _stream_checkpoint(tmp_path / "p.pt", "pose", names, 1)
    cfg = make_config("joint", (f"phases.joint.init_pose={pose_ck}",
                                f"phases.joint.init_rgb={pose_ck}"))
    with pytest.raises(CheckpointError, match="did not train the rgb stream"):
        Trainer(cfg)


def test_bf16_autocast_step_on_cpu(make_config: MakeConfig) -> None:
    trainer = Trainer(make_config("pose", ("runtime.precision=bf16",)), max_steps=1)
    dtypes: list[torch.dtype] = []
    hook = trainer.model.pose.stem.conv.register_forward_hook(
        lambda m, i, o: dtypes.append(o.dtype))
    result = trainer.fit()
    hook.remove()
    assert dtypes and dtypes[0] == torch.bfloat16
    assert trainer.model.pose.stem.conv.weight.dtype == torch.float32  # master weights fp32
    assert math.isfinite(_train_losses(result.checkpoint.parent)[0])
    assert read_checkpoint(result.checkpoint)["meta"]["precision"] == "bf16"


def test_resume_continues_exactly(make_config: MakeConfig, tmp_path: Path) -> None:
    # 3 train clips, batch 2: one iteration per epoch, so step 2 crosses an epoch boundary.
    straight = Trainer(make_config("pose", (f"output_dir={tmp_path / 'a'}",)), max_steps=2)
    straight.fit()
    first = Trainer(make_config("pose", (f"output_dir={tmp_path / 'b'}",)), max_steps=1)
    ck = first.fit().checkpoint
    resumed = Trainer(make_config("pose", (f"output_dir={tmp_path / 'b'}",)), resume=ck,
                      max_steps=2)
    assert (resumed.epoch, resumed.step_in_epoch, resumed.global_step) == (0, 1, 1)
    resumed.fit()
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    sa, sb = straight.optimizer.state_dict(), resumed.optimizer.state_dict()
    assert sa["param_groups"][0]["lr"] == sb["param_groups"][0]["lr"]


def test_resume_rejects_mismatched_checkpoints(make_config: MakeConfig, pose_run: Path) -> None:
    with pytest.raises(CheckpointError, match="'pose'-phase checkpoint"):
        Trainer(make_config("rgb"), resume=pose_run)
    with pytest.raises(CheckpointError, match="iterations"):
        Trainer(make_config("pose", ("phases.pose.epochs=7",)), resume=pose_run)
    with pytest.raises(CheckpointError, match="classes"):
        Trainer(make_config("pose", ('data.classes=["a","b","c","d"]',)), resume=pose_run)
