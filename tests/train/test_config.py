from __future__ import annotations

from pathlib import Path

import pytest

from train.config import CONFIG_DIR, ConfigError, PhasesConfig, load_config, valid_keys

SHIPPED = sorted(CONFIG_DIR.glob("*.yaml"))


def test_shipped_configs_are_there_and_valid() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"ntu60_xsub", "ntu60_xview", "ntu120_xsub", "ntu120_xset", "toyota_cs",
            "toyota_cv2", "tiny_cpu", "pose_adl"} <= names
    for path in SHIPPED:
        load_config(path)


@pytest.mark.parametrize("name", ["ntu60_xsub", "ntu60_xview", "ntu120_xsub", "ntu120_xset",
                                  "toyota_cs", "toyota_cv2"])
def test_paper_configs_use_the_paper_recipe(name: str) -> None:
    cfg = load_config(CONFIG_DIR / f"{name}.yaml")
    p = cfg.phases
    assert (p.pose.batch_size, p.pose.lr, p.pose.epochs) == (96, 0.0375, 240)
    assert (p.rgb.batch_size, p.rgb.lr, p.rgb.epochs) == (64, 0.05, 200)
    assert (p.joint.batch_size, p.joint.lr, p.joint.epochs) == (24, 0.001, 10)
    assert p.pose.random_resized_crop and not p.rgb.random_resized_crop
    assert (cfg.optim.momentum, cfg.optim.weight_decay, cfg.optim.grad_clip) == (0.9, 3e-4, 40)
    assert cfg.data.sampling == "uniform"


def test_defaults_are_the_paper_recipe() -> None:
    p = PhasesConfig()
    assert (p.pose.batch_size, p.rgb.batch_size, p.joint.batch_size) == (96, 64, 24)


def test_unknown_key_is_rejected_with_the_valid_ones(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ndata: {ann_file: a.pkl, num_worker: 2}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert "data.num_worker" in msg and "num_workers" in msg


def test_set_overrides_and_rejects_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ndata: {ann_file: a.pkl}\n")
    cfg = load_config(path, ["phases.pose.batch_size=8", "data.sampling=rate",
                             "runtime.precision=bf16"])
    assert cfg.phases.pose.batch_size == 8
    assert cfg.data.sampling == "rate"
    with pytest.raises(ConfigError, match="Did you mean"):
        load_config(path, ["phases.pose.batchsize=8"])
    with pytest.raises(ConfigError, match="sampling"):
        load_config(path, ["data.sampling=random"])


def test_paths() -> None:
    cfg = load_config(CONFIG_DIR / "ntu60_xsub.yaml")
    assert cfg.phase_dir("rgb") == Path("work_dirs/ntu60_xsub/rgb")
    assert cfg.init_checkpoint("pose") == Path("work_dirs/ntu60_xsub/pose/last.pt")
    assert "phases.joint.init_rgb" in valid_keys()


@pytest.mark.parametrize("name", ["ntu120_xsub", "ntu120_xset"])
def test_ntu120_configs_name_all_120_classes(name: str) -> None:
    from train.build import resolve_class_names
    from train.pyskl import PysklFile

    cfg = load_config(CONFIG_DIR / f"{name}.yaml")
    ann = {"frame_dir": "S001C001P001R001A120", "label": 119}
    names = resolve_class_names(cfg, PysklFile(annotations=[ann]))  # type: ignore[list-item]
    assert len(names) == 120 == len(set(names))
    assert names[42] == "falling down" and names[119].startswith("finger-guessing")


def test_residual_gamma_sets_the_last_bn_of_every_branch() -> None:
    import torch

    from model.xshiftnet import XShiftBlock
    from train.build import build_model

    paper = build_model(4, seed=0)
    warm = build_model(4, seed=0, residual_gamma=0.2)
    blocks = [m for m in warm.modules() if isinstance(m, XShiftBlock)]
    assert len(blocks) == 23 + 26  # pose (5+11+7) and rgb (3+5+11+7) blocks
    assert all(bool((b.conv_c.bn.weight == torch.tensor(0.2)).all()) for b in blocks)
    assert all(float(b.conv_c.bn.weight.detach().abs().max()) == 0.0
               for b in paper.modules() if isinstance(b, XShiftBlock))
    # nothing else differs
    for (k, a), (_, b) in zip(paper.state_dict().items(), warm.state_dict().items()):
        if not k.endswith("conv_c.bn.weight"):
            assert (a == b).all(), k
