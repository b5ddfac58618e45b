"""Training configuration: YAML files in ``train/configs/``, validated, ``--set`` overrides.

Paths in a config (``data.ann_file``, ``output_dir``, ``init.checkpoint``...) are used as
they are: a relative one is relative to the working directory, not to the config file.
The shipped configs keep everything under ``work_dirs/``: run them from the repository
root.

One pydantic model per domain with ``extra="forbid"``, so a mistyped key is an error
that names the valid ones. The defaults here are the paper's recipe (MODEL_FACTS.md,
"Fusion, loss, training"); a config file only says what differs.

Batch sizes are global (all processes together; each of ``W`` DDP processes takes
``batch_size / W``) and learning rates are for that global batch.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from model import configfile
from model.configfile import ConfigError
from model.configfile import Section as _Section

__all__ = [
    "CONFIG_DIR",
    "PHASES",
    "AugmentConfig",
    "ConfigError",
    "DataConfig",
    "DistillConfig",
    "InitConfig",
    "JointPhaseConfig",
    "OptimConfig",
    "Phase",
    "PhaseConfig",
    "PhasesConfig",
    "RuntimeConfig",
    "TrainConfig",
    "config_from_dict",
    "load_config",
    "valid_keys",
]

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
Phase = Literal["pose", "rgb", "joint"]
PHASES: tuple[Phase, ...] = ("pose", "rgb", "joint")


class DataConfig(_Section):
    ann_file: str = Field(..., description="PYSKL annotation pickle (split + annotations)")
    synth_recipe: str | None = Field(
        None, description="the python -m train.synth recipe (YAML, train/synth/recipes/) that "
        "makes ann_file; fit says how to make a missing ann_file with it and warns when the "
        "generator.json beside ann_file records other settings")
    video_root: str | None = Field(None, description="folder of the videos the keypoints came "
                                   "from (needed by the rgb and joint phases); a clip's video is "
                                   "its 'filename' key, else frame_dir + one of video_suffixes")
    video_suffixes: list[str] = Field(
        default_factory=lambda: [".mp4", ".avi", "_rgb.avi", ".mkv", ".webm", ".mov", ""],
        description="suffixes tried after frame_dir when a clip has no 'filename'")
    train_split: str | None = Field("train", description="split used for training; null = all")
    val_split: str | None = Field(None, description="split evaluated after each epoch; null = "
                                  "no validation")
    classes: str | list[str] | None = Field(
        None, description="label set name (ntu60, toyota, adl), a list of names, or null: the "
        "pickle's 'class_names', else class_0..class_{N-1}")
    num_classes: int | None = Field(None, ge=1, description="number of classes when no names "
                                    "are known (null: max label + 1)")
    sampling: Literal["uniform", "rate"] = Field(
        "uniform", description="uniform: 48 frames spread over the clip (the paper); rate: a "
        "window of 48 samples at sample_rate_hz, what the edge sees")
    sample_rate_hz: float = Field(15.0, gt=0, le=120, description="samples per second of a "
                                  "window (sampling: rate); recorded in the checkpoint")
    default_fps: float = Field(30.0, gt=0, description="clip frame rate when an annotation has "
                               "no 'fps' key (frames per second)")
    num_workers: int = Field(4, ge=0, description="DataLoader worker processes per process")
    reduce_time: int = Field(1, ge=1, le=4, description="pose curriculum: keep every n-th "
                             "of the 48 samples (48/n frames); 1 = the contract's geometry")
    reduce_space: int = Field(1, ge=1, le=4, description="pose curriculum: max-pool the "
                              "56x56 heatmaps by n; 1 = the contract's geometry. A reduced "
                              "run trains n*n*m times cheaper steps; its checkpoint does not "
                              "export: fine-tune at full geometry from it (init.checkpoint)")
    rgb_size: int = Field(224, ge=32, le=224, description="RGB curriculum (rgb phase only): "
                          "crops resized to this side instead of the contract's 224 (112: "
                          "about 5x cheaper steps); the joint phase (at 224) starts from "
                          "such a checkpoint, export refuses it. 32-224 (the stream halves "
                          "the image five times: 224 -> 7x7 features, 112 -> 4x4)")

    @model_validator(mode="after")
    def _reduce(self) -> DataConfig:
        if 48 % self.reduce_time or 56 % self.reduce_space:
            raise ValueError("reduce_time must divide 48 and reduce_space must divide 56")
        if self.synth_recipe is not None and Path(self.synth_recipe).suffix not in (".yaml",
                                                                                    ".yml"):
            raise ValueError(f"synth_recipe must be a train.synth recipe (.yaml), got "
                             f"{self.synth_recipe!r}")
        return self


class AugmentConfig(_Section):
    flip_prob: float = Field(0.5, ge=0, le=1, description="horizontal flip of both modalities")
    crop_area: tuple[float, float] = Field(
        (0.56, 1.0), description="RandomResizedCrop area range, fraction of the pose box")
    crop_ratio: tuple[float, float] = Field(
        (3 / 4, 4 / 3), description="RandomResizedCrop aspect-ratio range (width/height)")
    drop_face_prob: float = Field(
        0.0, ge=0, le=1, description="share of training clips whose eyes and ears are "
        "removed (score 0), as in Kinect or 13-keypoint AlphaPose data (pose only)")

    @model_validator(mode="after")
    def _ranges(self) -> AugmentConfig:
        for name in ("crop_area", "crop_ratio"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"{name} must satisfy 0 < low <= high, got ({lo}, {hi})")
        if self.crop_area[1] > 1:
            raise ValueError("crop_area cannot exceed 1.0")
        return self


class PhaseConfig(_Section):
    batch_size: int = Field(..., ge=1, description="global batch (all processes)")
    lr: float = Field(..., gt=0, description="peak learning rate for the global batch")
    epochs: int = Field(..., ge=1, description="training epochs")
    random_resized_crop: bool = Field(False, description="PoseC3D box jitter (training only)")


class JointPhaseConfig(PhaseConfig):
    init_pose: str | None = Field(None, description="pose-phase checkpoint; null = "
                                  "<output_dir>/pose/last.pt")
    init_rgb: str | None = Field(None, description="rgb-phase checkpoint; null = "
                                 "<output_dir>/rgb/last.pt")


class PhasesConfig(_Section):
    pose: PhaseConfig = Field(default_factory=lambda: PhaseConfig(
        batch_size=96, lr=0.0375, epochs=240, random_resized_crop=True))
    rgb: PhaseConfig = Field(default_factory=lambda: PhaseConfig(
        batch_size=64, lr=0.05, epochs=200))
    joint: JointPhaseConfig = Field(default_factory=lambda: JointPhaseConfig(
        batch_size=24, lr=0.001, epochs=10))


class OptimConfig(_Section):
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum")
    weight_decay: float = Field(3e-4, ge=0, description="SGD weight decay")
    grad_clip: float | None = Field(40.0, gt=0, description="max gradient norm; null = none")
    min_lr: float = Field(0.0, ge=0, description="cosine schedule floor")


class InitConfig(_Section):
    checkpoint: str | None = Field(
        None, description="start from the weights of this checkpoint (e.g. a reduced-geometry "
        "run of the same classes); optimizer and schedule start fresh")
    residual_gamma: float = Field(
        0.0, ge=0, description="initial gamma of the last BN of every residual branch; 0 = "
        "the paper's code (each block starts as the identity). A small value (0.1-0.25) "
        "lets a short CPU schedule leave chance sooner")


class DistillConfig(_Section):
    teacher: str | None = Field(
        None, description="fine-tune without forgetting: a checkpoint of the same network "
        "and classes (e.g. the init.checkpoint), or for the pose phase an exported .onnx "
        "(run in ONNX Runtime), whose logits the trained stream(s) are also "
        "pulled towards (Hinton et al.'s distillation loss on every training clip); null = "
        "plain cross-entropy")
    weight: float = Field(0.5, ge=0, le=1, description="share of the loss that is "
                          "distillation: (1 - weight) * CE + weight * T^2 * KL")
    temperature: float = Field(2.0, gt=0, le=20, description="softmax temperature T of "
                               "both teacher and student in the distillation term")


class RuntimeConfig(_Section):
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: cuda if present")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="auto: fp16 AMP on CUDA, bf16 autocast on CPUs with native bf16, "
        "else fp32")
    threads: int | None = Field(None, ge=1, description="torch CPU threads per process")
    log_every: int = Field(20, ge=1, description="iterations between metrics rows")
    eval_every: int = Field(1, ge=1, description="epochs between validations")
    keep_every: int = Field(0, ge=0, description="also keep epoch_NNN.pt every N epochs (0: no)")
    tensorboard: bool = Field(True, description="TensorBoard events when it is installed")
    progress: bool = Field(True, description="progress bars (rank 0, terminals only)")


class TrainConfig(_Section):
    name: str = Field(..., description="run name; default output folder work_dirs/<name>")
    phase: Phase = Field("pose", description="pose, rgb or joint (python -m train fit --phase)")
    seed: int = Field(0, description="seeds init, shuffling and augmentation")
    output_dir: str | None = Field(None, description="null: work_dirs/<name>")
    data: DataConfig
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    phases: PhasesConfig = Field(default_factory=PhasesConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    init: InitConfig = Field(default_factory=InitConfig)
    distill: DistillConfig = Field(default_factory=DistillConfig)
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)

    def phase_config(self, phase: Phase | None = None) -> PhaseConfig:
        """Settings of ``phase`` (default: ``self.phase``)."""
        return getattr(self.phases, phase or self.phase)  # type: ignore[no-any-return]

    def resolved_output_dir(self) -> Path:
        return _path(self.output_dir) if self.output_dir else Path("work_dirs") / self.name

    def phase_dir(self, phase: Phase | None = None) -> Path:
        """Where a phase writes checkpoints and logs: ``<output_dir>/<phase>``."""
        return self.resolved_output_dir() / (phase or self.phase)

    def init_checkpoint(self, stream: Literal["pose", "rgb"]) -> Path:
        """The pretrained stream checkpoint the joint phase starts from."""
        given = self.phases.joint.init_pose if stream == "pose" else self.phases.joint.init_rgb
        return _path(given) if given else self.phase_dir(stream) / "last.pt"


def _path(value: str) -> Path:
    return Path(os.path.expandvars(os.path.expanduser(value)))


# ------------------------------------------------------------------ keys and loading


def valid_keys(model: type[BaseModel] = TrainConfig, prefix: str = "") -> list[str]:
    """Every dotted key (sections and leaves) of the config."""
    return configfile.valid_keys(model, prefix)


def config_from_dict(
    data: dict[str, Any], overrides: Iterable[str] = (), *, origin: str = "dict"
) -> TrainConfig:
    """Validate a config mapping (e.g. the one stored in a checkpoint) after overrides."""
    data = copy.deepcopy(data)
    for item in overrides:
        configfile.apply_set(data, item, TrainConfig, example="data.num_workers=0")
    phases = data.get("phases")
    if isinstance(phases, dict):  # a phase given in part keeps the paper's other settings
        data["phases"] = configfile.deep_merge(PhasesConfig().model_dump(), phases)
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(configfile.format_errors(exc, origin, TrainConfig,
                                                   "training configuration")) from None


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> TrainConfig:
    """Read ``path`` (YAML), apply ``--set KEY=VALUE`` overrides, validate.

    Raises ``ConfigError`` naming the bad key and the valid ones.
    """
    path = Path(path)
    data = configfile.read_yaml(path, shipped=CONFIG_DIR)
    return config_from_dict(data, overrides, origin=str(path))
