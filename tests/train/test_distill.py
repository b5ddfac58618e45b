"""Fine-tuning without forgetting: the distillation term of the loss and the engine's teacher."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from model.epamnet import build_epamnet
from model.files import file_sha256
from tests.train.conftest import MakeConfig, first_batch
from train.checkpoint import CheckpointError, read_checkpoint, write_checkpoint
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
    assert meta["distill"] == {"teacher": str(pose_run.resolve()),
                               "teacher_sha256": file_sha256(pose_run),
                               "weight": 0.5, "temperature": 2.0}


def test_a_student_that_is_its_teacher_has_no_distillation_loss(make_config: MakeConfig,
                                                                pose_run: Path) -> None:
    # Same weights, both in eval mode (no dropout, running BN statistics): with weight 1
    # the loss is the distillation alone and must be 0; plain CE would not be.
    trainer = Trainer(make_config("pose", (f"init.checkpoint={pose_run}",
                                           f"distill.teacher={pose_run}", "distill.weight=1")))
    batch = first_batch(trainer)
    trainer.net.eval()
    assert trainer._train_step(batch) == pytest.approx(0.0, abs=1e-5)
    trainer.net.eval()
    with torch.no_grad():
        logits = trainer.net(batch["pose"])
    assert F.cross_entropy(logits, batch["label"]).item() > 0.01


def test_the_distillation_term_pulls_the_student_to_the_teacher(make_config: MakeConfig,
                                                                pose_run: Path,
                                                                tmp_path: Path) -> None:
    # A teacher with a strong opinion (its head's bias), weight 1: a few steps on one batch
    # shrink the distance to it, measured directly (not through the loss the step reports).
    ck = torch.load(pose_run, weights_only=True)
    ck["model"]["pose.head.fc.bias"] = torch.tensor([3.0, -2.0, 0.5])
    teacher = write_checkpoint(tmp_path / "opinionated.pt", ck)
    trainer = Trainer(make_config("pose", (f"init.checkpoint={pose_run}",
                                           f"distill.teacher={teacher}", "distill.weight=1",
                                           "phases.pose.lr=0.05")))
    trainer.model.pose.head.dropout.p = 0.0
    batch = first_batch(trainer)
    assert trainer.teacher is not None

    def distance() -> float:
        trainer.net.eval()
        with torch.no_grad():
            return distill_loss(trainer.net(batch["pose"]), trainer.teacher(batch["pose"]),
                                2.0).item()

    before = distance()
    assert before > 0.1
    for _ in range(5):
        trainer.net.train()
        trainer._train_step(batch)
    assert distance() < 0.7 * before


def test_a_teacher_of_other_classes_or_geometry_is_refused(make_config: MakeConfig,
                                                           pose_run: Path) -> None:
    with pytest.raises(CheckpointError, match="other classes"):
        Trainer(make_config("pose", (f"distill.teacher={pose_run}",
                                     'data.classes=["a","b","c"]')))
    with pytest.raises(CheckpointError, match="reduced_geometry"):
        Trainer(make_config("pose", (f"distill.teacher={pose_run}", "data.reduce_time=2")))
    with pytest.raises(CheckpointError, match="distill.teacher .* does not exist"):
        Trainer(make_config("pose", ("distill.teacher=/nonexistent/teacher.pt",)))


def test_a_teacher_that_did_not_train_the_stream_is_refused(make_config: MakeConfig,
                                                            pose_run: Path) -> None:
    # a pose-phase checkpoint's RGB head is zero: no teacher for the rgb stream
    with pytest.raises(CheckpointError, match="did not train the rgb stream"):
        Trainer(make_config("rgb", (f"distill.teacher={pose_run}",)))


def test_a_teacher_in_the_runs_own_output_folder_is_refused(make_config: MakeConfig,
                                                            pose_run: Path,
                                                            tmp_path: Path) -> None:
    inside = tmp_path / "run" / "pose" / "teacher.pt"
    inside.parent.mkdir(parents=True)
    shutil.copy(pose_run, inside)
    with pytest.raises(CheckpointError, match="output folder"):
        Trainer(make_config("pose", (f"distill.teacher={inside}",)))


def test_resume_keeps_the_teacher(make_config: MakeConfig, pose_run: Path,
                                  tmp_path: Path) -> None:
    teacher = tmp_path / "teacher.pt"
    shutil.copy(pose_run, teacher)
    with_teacher = (f"distill.teacher={teacher}",)
    ck = Trainer(make_config("pose", with_teacher), max_steps=1).fit().checkpoint
    Trainer(make_config("pose", with_teacher), resume=ck, max_steps=2).fit()  # as it was: fine
    with pytest.raises(CheckpointError, match="distill"):
        Trainer(make_config("pose"), resume=ck)
    with pytest.raises(CheckpointError, match="distill"):
        Trainer(make_config("pose", (*with_teacher, "distill.weight=0.3")), resume=ck)
    with teacher.open("ab") as f:  # the teacher file changed since
        f.write(b"\0")
    with pytest.raises(CheckpointError, match="distill"):
        Trainer(make_config("pose", with_teacher), resume=ck)


def test_joint_phase_distills_each_stream(make_config: MakeConfig, tmp_path: Path) -> None:
    names = ["raise one arm", "raise both arms", "squat"]
    torch.manual_seed(3)
    joint = write_checkpoint(tmp_path / "joint.pt", {"model": build_epamnet(3).state_dict(),
                             "meta": {"class_names": names, "phase": "joint",
                                      "trained_streams": ["pose", "rgb"]}})
    cfg = make_config("joint", (f"phases.joint.init_pose={joint}",
                                f"phases.joint.init_rgb={joint}", f"distill.teacher={joint}"))
    trainer = Trainer(cfg, max_steps=1)
    result = trainer.fit()
    assert result.global_step == 1
    assert read_checkpoint(result.checkpoint)["meta"]["distill"]["teacher"] == str(joint)


def test_weight_zero_builds_no_teacher(make_config: MakeConfig) -> None:
    trainer = Trainer(make_config("pose", ("distill.teacher=/nonexistent/t.pt",
                                           "distill.weight=0")))
    assert trainer.teacher is None and "distill" not in trainer.meta()


@pytest.fixture(scope="module")
def onnx_teacher(pose_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from deploy.export import main as export_main

    out = tmp_path_factory.mktemp("onnx_teacher") / "teacher.onnx"
    assert export_main(["--checkpoint", str(pose_run), "--out", str(out)]) == 0
    return out


def test_an_onnx_teacher_gives_the_checkpoints_logits(make_config: MakeConfig, pose_run: Path,
                                                      onnx_teacher: Path) -> None:
    # the fixture's clips are uniform-sampled, as pose_run was trained
    by_pt = Trainer(make_config("pose", (f"distill.teacher={pose_run}",)))
    by_onnx = Trainer(make_config("pose", (f"distill.teacher={onnx_teacher}",)))
    batch = first_batch(by_pt)
    assert by_pt.teacher is not None and by_onnx.teacher is not None
    with torch.no_grad():
        want = by_pt.teacher(batch["pose"])
    got = by_onnx.teacher(batch["pose"])
    assert got.shape == want.shape and not got.requires_grad
    assert torch.allclose(got, want, atol=1e-4, rtol=1e-4)
    result = Trainer(make_config("pose", (f"distill.teacher={onnx_teacher}",)),
                     max_steps=1).fit()
    assert read_checkpoint(result.checkpoint)["meta"]["distill"]["teacher_sha256"] == \
        file_sha256(onnx_teacher)


def test_an_onnx_teacher_is_refused_where_it_cannot_serve(make_config: MakeConfig,
                                                          onnx_teacher: Path,
                                                          tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="pose phase"):
        Trainer(make_config("rgb", (f"distill.teacher={onnx_teacher}",)))
    with pytest.raises(CheckpointError, match="pose phase"):
        Trainer(make_config("pose", (f"distill.teacher={onnx_teacher}", "data.reduce_time=2")))
    with pytest.raises(CheckpointError, match="other classes"):
        Trainer(make_config("pose", (f"distill.teacher={onnx_teacher}",
                                     'data.classes=["a","b","c"]')))
    with pytest.raises(CheckpointError, match="Hz"):
        Trainer(make_config("pose", (f"distill.teacher={onnx_teacher}",
                                     "data.sampling=rate")))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(onnx_teacher.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="cannot be read as ONNX"):
        Trainer(make_config("pose", (f"distill.teacher={broken}",)))
