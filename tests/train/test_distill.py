"""Fine-tuning without forgetting: the distillation term of the loss and the engine's teacher."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests.train.conftest import MakeConfig
from train.checkpoint import CheckpointError, file_sha256, read_checkpoint
from train.engine import Trainer
from train.phases import distill_loss, phase_loss


def test_distill_loss_is_zero_for_the_teacher_itself_and_grows_with_disagreement() -> None:
    gen = torch.Generator().manual_seed(0)
    t = torch.randn(4, 8, generator=gen)
    assert distill_loss(t, t, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    near = distill_loss(t + 0.1 * torch.randn(4, 8, generator=gen), t, 2.0).item()
    far = distill_loss(-t, t, 2.0).item()
    assert 0 < near < far


def test_distill_loss_is_the_t_squared_kl_of_softened_distributions() -> None:
    gen = torch.Generator().manual_seed(1)
    s, t = torch.randn(3, 5, generator=gen), torch.randn(3, 5, generator=gen)
    p = F.softmax(t / 3.0, dim=1)
    expected = (p * (p.log() - F.log_softmax(s / 3.0, dim=1))).sum(1).mean() * 9.0
    assert distill_loss(s, t, 3.0).item() == pytest.approx(expected.item(), rel=1e-5)


def test_phase_loss_mixes_ce_and_distillation_by_weight() -> None:
    gen = torch.Generator().manual_seed(2)
    s, t = torch.randn(4, 8, generator=gen), torch.randn(4, 8, generator=gen)
    labels = torch.tensor([0, 3, 5, 7])
    ce = F.cross_entropy(s, labels)
    kd = distill_loss(s, t, 2.0)
    out, teach = {"scores": s, "pose": s}, {"scores": t, "pose": t}
    assert phase_loss(out, labels, "pose").item() == pytest.approx(ce.item())
    assert phase_loss(out, labels, "pose", teacher=teach, weight=0.0).item() == \
        pytest.approx(ce.item())
    mixed = phase_loss(out, labels, "pose", teacher=teach, weight=0.25, temperature=2.0)
    assert mixed.item() == pytest.approx(0.75 * ce.item() + 0.25 * kd.item(), rel=1e-6)


def test_a_run_with_a_teacher_trains_and_records_it(make_config: MakeConfig,
                                                    pose_run: Path) -> None:
    cfg = make_config("pose", (f"init.checkpoint={pose_run}", f"distill.teacher={pose_run}",
                               "distill.weight=0.5", "distill.temperature=2"))
    trainer = Trainer(cfg, max_steps=1)
    assert trainer.teacher is not None and not trainer.teacher.training
    assert all(not p.requires_grad for p in trainer.teacher.parameters())
    teacher_before = {k: v.clone() for k, v in trainer.teacher.state_dict().items()}
    result = trainer.fit()
    for key, value in trainer.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key  # the teacher never learns
    meta = read_checkpoint(result.checkpoint)["meta"]
    assert meta["distill"] == {"teacher": str(pose_run), "teacher_sha256": file_sha256(pose_run),
                               "weight": 0.5, "temperature": 2.0}


def test_the_distillation_term_pulls_the_student_to_the_teacher(make_config: MakeConfig,
                                                                pose_run: Path) -> None:
    # weight 1: the loss is the distillation alone; a few steps on one batch shrink it.
    trainer = Trainer(make_config("pose", (f"distill.teacher={pose_run}", "distill.weight=1",
                                           "phases.pose.lr=0.05")))
    trainer.model.pose.head.dropout.p = 0.0
    from train.loaders import train_loader

    batch = next(iter(train_loader(trainer.train_set, batch_size=2, epoch=0, seed=0,
                                   dist=trainer.dist, workers=0)))
    trainer.net.train()
    losses = [trainer._train_step(batch) for _ in range(5)]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0], losses


def test_a_teacher_of_other_classes_or_geometry_is_refused(make_config: MakeConfig,
                                                           pose_run: Path) -> None:
    with pytest.raises(CheckpointError, match="other classes"):
        Trainer(make_config("pose", (f"distill.teacher={pose_run}",
                                     'data.classes=["a","b","c"]')))
    with pytest.raises(CheckpointError, match="reduced_geometry"):
        Trainer(make_config("pose", (f"distill.teacher={pose_run}", "data.reduce_time=2")))
    with pytest.raises(CheckpointError, match="does not exist"):
        Trainer(make_config("pose", ("distill.teacher=/nonexistent/teacher.pt",)))


def test_weight_zero_builds_no_teacher(make_config: MakeConfig) -> None:
    trainer = Trainer(make_config("pose", ("distill.teacher=/nonexistent/t.pt",
                                           "distill.weight=0")))
    assert trainer.teacher is None and "distill" not in trainer.meta()
