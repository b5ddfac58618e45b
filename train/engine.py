"""The training engine: one phase of EPAM-Net training from a config.

SGD (momentum 0.9, weight decay 3e-4), cosine learning rate per iteration, gradient
clipping at norm 40, mixed precision (fp16 AMP + scaler on CUDA, bf16 autocast on CPUs
with native bf16), DistributedDataParallel under torchrun (NCCL + SyncBN on CUDA, gloo
on CPU), worker-process data loading, a checkpoint every epoch and on SIGINT/SIGTERM,
exact ``--resume``, progress bars and a metrics CSV (+ TensorBoard when installed), and
optional distillation towards a frozen teacher (``distill``: a checkpoint, or an
exported ONNX file for the pose phase).

Outputs in ``<output_dir>/<phase>/``: ``last.pt`` (every epoch and on interruption),
``best.pt`` (best validation top-1), ``epoch_NNN.pt`` (``runtime.keep_every``),
``metrics.csv`` and ``train.log``.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from model.contract import RGB_SIZE
from model.epamnet import EPAMNet
from model.files import file_sha256
from train.build import build_dataset, build_model, resolve_class_names, resolve_device
from train.checkpoint import (
    CheckpointError,
    capture_rng,
    load_state_strict,
    load_stream_weights,
    read_checkpoint,
    restore_rng,
    write_checkpoint,
)
from train.config import ConfigError, Phase, TrainConfig
from train.dataset import ClipDataset
from train.distributed import DistInfo, any_flag, init_distributed
from train.evaluate import predict
from train.interrupt import StopRequest
from train.loaders import eval_loader, train_batches, train_loader
from train.metrics import ClassificationReport
from train.metrics_log import MetricsLog
from train.phases import (
    TRAINED_STREAMS,
    forward_phase,
    phase_loss,
    prepare_for_phase,
    trained_module,
)
from train.precision import resolve_precision
from train.pyskl import DatasetError, load_pyskl

__all__ = ["FitResult", "Trainer", "check_synth_recipe"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitResult:
    """How a ``fit`` call ended."""

    checkpoint: Path  # last.pt
    epoch: int  # epochs completed
    global_step: int
    stopped: str  # "complete", "signal", "max_steps"
    val: ClassificationReport | None
    signum: int | None = None


class Trainer:
    """Trains one phase (``cfg.phase`` unless ``phase`` is given).

    Args:
        resume: a checkpoint of this phase to continue exactly (model, optimizer,
            scheduler, scaler, epoch and batch position, RNG states).
        max_steps: stop (with a resumable checkpoint) once the global step reaches this.
        dist: the torchrun process group (default: read from the environment).
    """

    def __init__(
        self,
        cfg: TrainConfig,
        *,
        phase: Phase | None = None,
        resume: Path | None = None,
        max_steps: int | None = None,
        dist: DistInfo | None = None,
    ) -> None:
        self.cfg = cfg
        self.phase: Phase = phase or cfg.phase
        self.pcfg = cfg.phase_config(self.phase)
        if self.phase != "pose" and (cfg.data.reduce_time > 1 or cfg.data.reduce_space > 1):
            raise ConfigError("data.reduce_time/reduce_space are a curriculum for the pose "
                              f"phase only; the {self.phase} phase needs the full geometry")
        if self.phase != "rgb" and cfg.data.rgb_size != RGB_SIZE:
            raise ConfigError(f"data.rgb_size={cfg.data.rgb_size} is a curriculum for the rgb "
                              f"phase only; the {self.phase} phase needs the contract's "
                              f"{RGB_SIZE}x{RGB_SIZE} crops (the attention matches the pose "
                              "features to the RGB feature map)")
        self.max_steps = max_steps
        device = resolve_device(cfg.runtime.device)
        self.dist = dist or init_distributed(device.type)
        if device.type == "cuda":
            device = torch.device("cuda", self.dist.local_rank)
            torch.backends.cudnn.benchmark = True
        self.device = device
        if cfg.runtime.threads:
            torch.set_num_threads(cfg.runtime.threads)
        self.precision = resolve_precision(cfg.runtime.precision, device)
        self.out_dir = cfg.phase_dir(self.phase)
        self._build_data()
        self._build_model(pretrained=resume is None)
        self._build_teacher()
        self.optimizer = torch.optim.SGD(
            self.module.parameters(), lr=self.pcfg.lr, momentum=cfg.optim.momentum,
            weight_decay=cfg.optim.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            self.optimizer, T_max=self.total_iters, eta_min=cfg.optim.min_lr)
        self.scaler = self.precision.grad_scaler()

        # ---- progress
        self.epoch = 0
        self.step_in_epoch = 0
        self.global_step = 0
        self.complete = False
        self.best_top1 = -1.0
        self.last_val: ClassificationReport | None = None
        torch.manual_seed(cfg.seed + 1 + self.dist.rank)  # dropout; differs per process
        if resume is not None:
            self._resume(resume)

    # ------------------------------------------------------------------ set-up helpers

    def _build_data(self) -> None:
        cfg = self.cfg
        check_synth_recipe(cfg, warn=self.dist.is_main)
        data = load_pyskl(cfg.data.ann_file)
        self.class_names = resolve_class_names(cfg, data)
        self.train_set = build_dataset(cfg, data, cfg.data.train_split, self.phase, train=True)
        self.val_set: ClipDataset | None = (
            build_dataset(cfg, data, cfg.data.val_split, self.phase, train=False)
            if cfg.data.val_split else None)
        if self.pcfg.batch_size % self.dist.world_size:
            raise ValueError(f"batch_size {self.pcfg.batch_size} is not divisible by the "
                             f"{self.dist.world_size} processes")
        self.batch_size = self.pcfg.batch_size // self.dist.world_size
        self.iters_per_epoch = len(train_batches(self.train_set, batch_size=self.batch_size,
                                                 epoch=0, seed=cfg.seed, dist=self.dist))
        if self.iters_per_epoch == 0:
            raise ValueError(f"the training split has {len(self.train_set)} clips, fewer than "
                             f"one batch of {self.pcfg.batch_size}; lower the batch size")
        self.total_iters = self.iters_per_epoch * self.pcfg.epochs

    def _build_model(self, *, pretrained: bool) -> None:
        """EPAM-Net set up for the phase; ``pretrained``: load the joint phase's streams."""
        self.model: EPAMNet = build_model(len(self.class_names), seed=self.cfg.seed,
                                           residual_gamma=self.cfg.init.residual_gamma,
                                           pose_frames=48 // self.cfg.data.reduce_time)
        self.init_sources: dict[str, str] = {}
        if self.cfg.init.checkpoint and pretrained:
            if self.phase == "joint":
                raise CheckpointError("init.checkpoint is for the pose and rgb phases; the "
                                      "joint phase starts from phases.joint.init_pose/init_rgb")
            path = Path(self.cfg.init.checkpoint).expanduser()
            ckpt = read_checkpoint(path, training_state=False)
            if list((ckpt.get("meta") or {}).get("class_names", [])) != self.class_names:
                raise CheckpointError(f"init.checkpoint {path} has other classes than this run")
            load_state_strict(self.model, ckpt["model"], f"init.checkpoint {path}")
            self.init_sources["model"] = str(path)
            log.info("weights from %s (optimizer and schedule start fresh)", path)
        prepare_for_phase(self.model, self.phase)
        if self.phase == "joint" and pretrained:
            self._load_pretrained_streams()
        if self.dist.enabled and self.device.type == "cuda":
            self._convert_sync_bn()
        self.model.to(self.device)
        self.module: nn.Module = trained_module(self.model, self.phase)
        self.net: nn.Module = self.module
        if self.dist.enabled:
            self.net = DistributedDataParallel(
                self.module,
                device_ids=[self.device.index] if self.device.type == "cuda" else None)

    def _build_teacher(self) -> None:
        """The frozen network of ``distill.teacher`` (eval mode), or None.

        Refused: a teacher of other classes, another input geometry, or one that did not
        train the stream(s) this phase trains (a pose-phase checkpoint's RGB logits are 0).
        """
        self.teacher: nn.Module | None = None
        self.teacher_info: dict[str, Any] = {}
        dcfg = self.cfg.distill
        if not dcfg.teacher or dcfg.weight == 0:
            return
        path = Path(os.path.expandvars(dcfg.teacher)).expanduser().resolve()
        what = f"distill.teacher {path}"
        if not path.is_file():
            raise CheckpointError(f"{what} does not exist (give the checkpoint to keep close "
                                  "to, e.g. this fine-tune's init.checkpoint)")
        if path.is_relative_to(self.out_dir.resolve()):
            raise CheckpointError(f"{what} lies in this run's output folder {self.out_dir}, "
                                  "where its checkpoints are written: copy it elsewhere")
        digest = file_sha256(path)  # before loading: the hash is of the file that was read
        if path.suffix.lower() == ".onnx":
            self.teacher = self._onnx_teacher(path, what)
        else:
            self.teacher = self._checkpoint_teacher(path, what)
        self.teacher_info = {"teacher": str(path), "teacher_sha256": digest,
                             "weight": dcfg.weight, "temperature": dcfg.temperature}
        log.info("distillation from %s: loss = %.2f x CE + %.2f x T^2 KL (T = %g)", path,
                 1 - dcfg.weight, dcfg.weight, dcfg.temperature)

    def _onnx_teacher(self, path: Path, what: str) -> nn.Module:
        if self.phase != "pose" or self.cfg.data.reduce_time > 1 or \
                self.cfg.data.reduce_space > 1:
            raise CheckpointError(f"{what}: an ONNX teacher serves the pose phase at the "
                                  "contract's geometry only; give a .pt checkpoint for "
                                  "the rgb and joint phases or a reduced geometry")
        from train.teacher import OnnxPoseTeacher

        teacher = OnnxPoseTeacher(path, self.class_names, threads=self.cfg.runtime.threads)
        rate, sampling = teacher.meta.sample_rate_hz, teacher.meta.sampling
        if rate != self.cfg.data.sample_rate_hz or sampling != self.cfg.data.sampling:
            raise CheckpointError(f"{what} reads windows {sampling} at {rate:g} Hz, this run "
                                  f"{self.cfg.data.sampling} at "
                                  f"{self.cfg.data.sample_rate_hz:g} Hz")
        return teacher

    def _checkpoint_teacher(self, path: Path, what: str) -> nn.Module:
        ckpt = read_checkpoint(path, training_state=False)
        meta = ckpt.get("meta") or {}
        names = meta.get("class_names")
        if names is None:
            raise CheckpointError(f"{what} records no class_names: not a checkpoint of "
                                  "python -m train fit")
        if list(names) != self.class_names:
            raise CheckpointError(f"{what} has other classes than this run ({list(names)} vs "
                                  f"{self.class_names})")
        theirs = (list(meta.get("reduced_geometry", [1, 1])), int(meta.get("rgb_size", RGB_SIZE)))
        ours = ([self.cfg.data.reduce_time, self.cfg.data.reduce_space], self.cfg.data.rgb_size)
        if theirs != ours:
            raise CheckpointError(f"{what} was trained at reduced_geometry {theirs[0]}, "
                                  f"rgb_size {theirs[1]}; this run feeds {ours[0]}, {ours[1]}: "
                                  "its logits would be for other inputs; use a teacher of this "
                                  "run's geometry")
        trained = set(meta.get("trained_streams", TRAINED_STREAMS["joint"]))
        missing = [s for s in TRAINED_STREAMS[self.phase] if s not in trained]
        if missing:
            raise CheckpointError(f"{what} did not train the {' and '.join(missing)} stream "
                                  f"(it trained {', '.join(sorted(trained))}): its logits there "
                                  "are untrained; use a checkpoint of this phase")
        teacher = build_model(len(self.class_names), seed=self.cfg.seed,
                              residual_gamma=self.cfg.init.residual_gamma,
                              pose_frames=48 // self.cfg.data.reduce_time)
        load_state_strict(teacher, ckpt["model"], what)
        module = trained_module(teacher, self.phase).to(self.device).eval()
        for p in module.parameters():
            p.requires_grad_(False)
        return module

    def _load_pretrained_streams(self) -> None:
        for stream in ("pose", "rgb"):
            path = self.cfg.init_checkpoint(stream)  # type: ignore[arg-type]
            load_stream_weights(getattr(self.model, stream), path, stream,  # type: ignore[arg-type]
                                class_names=self.class_names)
            self.init_sources[stream] = str(path)
        log.info("joint phase: streams from %s (pose) and %s (rgb); attention starts fresh",
                 self.init_sources["pose"], self.init_sources["rgb"])

    def _convert_sync_bn(self) -> None:
        for name in ("pose", "rgb", "attention"):
            converted = nn.SyncBatchNorm.convert_sync_batchnorm(  # type: ignore[no-untyped-call]
                getattr(self.model, name))
            setattr(self.model, name, converted)

    def _resume(self, path: Path) -> None:
        ckpt = read_checkpoint(path)
        meta = ckpt["meta"]
        problems = []
        if meta.get("phase") != self.phase:
            problems.append(f"it is a {meta.get('phase')!r}-phase checkpoint, this run trains "
                            f"the {self.phase!r} phase")
        if list(meta.get("class_names", [])) != self.class_names:
            problems.append(f"its {len(meta.get('class_names', []))} classes differ from this "
                            f"run's {len(self.class_names)}")
        progress = ckpt["progress"]
        if progress.get("iters_per_epoch") != self.iters_per_epoch:
            problems.append(f"it has {progress.get('iters_per_epoch')} iterations per epoch, "
                            f"this run {self.iters_per_epoch} (batch size, split or process "
                            "count changed)")
        geometry = (list(meta.get("reduced_geometry", [1, 1])), int(meta.get("rgb_size", RGB_SIZE)))
        here = ([self.cfg.data.reduce_time, self.cfg.data.reduce_space], self.cfg.data.rgb_size)
        if geometry != here:
            problems.append(f"it was trained at reduced_geometry {geometry[0]}, rgb_size "
                            f"{geometry[1]}, this run uses {here[0]}, {here[1]} (to change the "
                            "input size, start a new run from it with init.checkpoint)")
        if meta.get("distill") != (self.teacher_info or None):
            problems.append(f"it was trained with distill {meta.get('distill')}, this run "
                            f"with {self.teacher_info or None} (the teacher, its file, weight "
                            "and temperature must stay as they were)")
        if progress.get("total_iters") != self.total_iters:
            problems.append(f"its schedule has {progress.get('total_iters')} iterations, this "
                            f"run {self.total_iters} (epochs changed)")
        if problems:
            raise CheckpointError(f"cannot resume from {path}: " + "; ".join(problems))
        load_state_strict(self.model, ckpt["model"], f"checkpoint {path}")
        try:
            self.optimizer.load_state_dict(ckpt["optimizer"])
            self.scheduler.load_state_dict(ckpt["scheduler"])
            if ckpt.get("scaler"):
                self.scaler.load_state_dict(ckpt["scaler"])
        except (ValueError, KeyError, RuntimeError) as exc:
            raise CheckpointError(f"cannot resume from {path}: optimizer/scheduler state does "
                                  f"not fit ({exc})") from exc
        self.epoch = int(progress["epoch"])
        self.step_in_epoch = int(progress["step_in_epoch"])
        self.global_step = int(progress["global_step"])
        self.complete = bool(progress.get("complete", False))
        self.best_top1 = float(progress.get("best_top1", -1.0))
        self.init_sources = dict(meta.get("init", {}))
        rng = ckpt["rng"]
        per_rank = rng.get("per_rank")
        restore_rng(per_rank[self.dist.rank] if per_rank and
                    len(per_rank) == self.dist.world_size else rng)
        log.info("resumed %s: epoch %d, batch %d of %d, step %d", path, self.epoch + 1,
                 self.step_in_epoch, self.iters_per_epoch, self.global_step)

    # ------------------------------------------------------------------ checkpoints

    def meta(self) -> dict[str, Any]:
        """Plain-value metadata of the model (exported into the ONNX provenance)."""
        meta: dict[str, Any] = {
            "class_names": list(self.class_names),
            "num_classes": len(self.class_names),
            "sample_rate_hz": float(self.cfg.data.sample_rate_hz),
            "sampling": self.cfg.data.sampling,
            "phase": self.phase,
            "trained_streams": list(TRAINED_STREAMS[self.phase]),
            "pose_only": self.phase == "pose",
            "epoch": self.epoch,
            "global_step": self.global_step,
            "run_name": self.cfg.name,
            "ann_file": str(self.cfg.data.ann_file),
            "train_split": self.cfg.data.train_split,
            "batch_size": self.pcfg.batch_size,
            "lr": self.pcfg.lr,
            "precision": self.precision.name,
            "world_size": self.dist.world_size,
            "torch": str(torch.__version__),
            "reduced_geometry": [self.cfg.data.reduce_time, self.cfg.data.reduce_space],
            "rgb_size": self.cfg.data.rgb_size,
        }
        if self.init_sources:
            meta["init"] = dict(self.init_sources)
        if self.teacher_info:
            meta["distill"] = dict(self.teacher_info)
        if self.last_val is not None:
            meta["val_split"] = self.cfg.data.val_split
            meta["val_top1"] = self.last_val.top1
            meta["val_mean_class_accuracy"] = self.last_val.mean_class_accuracy
        return meta

    def state(self) -> dict[str, Any]:
        """Everything ``--resume`` needs (call on every process: it gathers RNG states)."""
        from train.distributed import all_gather_objects

        rng = capture_rng()
        per_rank = all_gather_objects(rng, self.dist) if self.dist.enabled else None
        if per_rank is not None:
            rng = dict(rng, per_rank=per_rank)
        return {
            "model": self.model.state_dict(),
            "meta": self.meta(),
            "config": self.cfg.model_copy(update={"phase": self.phase}).model_dump(mode="json"),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "progress": {
                "epoch": self.epoch,
                "step_in_epoch": self.step_in_epoch,
                "global_step": self.global_step,
                "iters_per_epoch": self.iters_per_epoch,
                "total_iters": self.total_iters,
                "complete": self.complete,
                "best_top1": self.best_top1,
            },
            "rng": rng,
        }

    def save(self, name: str = "last.pt") -> Path:
        """Write a checkpoint (rank 0 writes; every rank must call it)."""
        state = self.state()
        path = self.out_dir / name
        if self.dist.is_main:
            write_checkpoint(path, state)
            log.info("saved %s (epoch %d, batch %d, step %d)", path, self.epoch,
                     self.step_in_epoch, self.global_step)
        if self.dist.enabled:
            torch.distributed.barrier()
        return path

    # ------------------------------------------------------------------ training

    def _train_step(self, batch: dict[str, Any]) -> float:
        inputs = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()
                  if k in ("pose", "rgb")}
        labels = batch["label"].to(self.device, non_blocking=True)
        with self.precision.autocast():
            outputs = forward_phase(self.net, self.phase, inputs)
        teacher = None
        if self.teacher is not None:
            with torch.no_grad(), self.precision.autocast():
                teacher = forward_phase(self.teacher, self.phase, inputs)
        loss = phase_loss(outputs, labels, self.phase, teacher=teacher,
                          weight=self.cfg.distill.weight,
                          temperature=self.cfg.distill.temperature)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss is {loss.item()} at step {self.global_step}; "
                                     "lower the learning rate or check the data")
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()  # type: ignore[no-untyped-call]
        if self.cfg.optim.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.module.parameters(), self.cfg.optim.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        return float(loss.detach())

    def validate(self) -> ClassificationReport | None:
        """Top-1 and mean class accuracy on the validation split (1 clip per video)."""
        if self.val_set is None:
            return None
        loader = eval_loader(self.val_set, batch_size=self.batch_size, dist=self.dist,
                             workers=self.cfg.data.num_workers, pin=self.device.type == "cuda")
        preds = predict(self.module, self.phase, loader, device=self.device,
                        precision=self.precision, dist=self.dist,
                        progress=self.cfg.runtime.progress and self.dist.is_main)
        return preds.report(len(self.class_names))

    def fit(self) -> FitResult:
        """Train until the last epoch, ``max_steps``, or a signal; always leaves last.pt."""
        from tqdm import tqdm

        if self.complete or (self.max_steps is not None and self.global_step >= self.max_steps):
            log.info("%s phase: nothing to do (epoch %d, step %d%s)", self.phase, self.epoch,
                     self.global_step, ", complete" if self.complete else "")
            return FitResult(self.out_dir / "last.pt", self.epoch, self.global_step,
                             "complete" if self.complete else "max_steps", None)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        file_log = self._attach_file_log()
        metrics = MetricsLog(self.out_dir, phase=self.phase,
                             tensorboard=self.cfg.runtime.tensorboard) if self.dist.is_main \
            else None
        log.info("%s phase: trained streams %s; %d train clips, %d iterations/epoch x %d "
                 "epochs; batch %d (%d per process x %d), lr %g; %s on %s", self.phase,
                 "+".join(TRAINED_STREAMS[self.phase]), len(self.train_set),
                 self.iters_per_epoch, self.pcfg.epochs, self.pcfg.batch_size,
                 self.batch_size, self.dist.world_size, self.pcfg.lr, self.precision.name,
                 self.device)
        stopped, signum = "complete", None
        try:
            with StopRequest() as stop:
                while self.epoch < self.pcfg.epochs:
                    reason = self._run_epoch(stop, metrics, tqdm)
                    if reason is not None:
                        stopped, signum = reason, stop.signum
                        self.save()
                        break
                    self._end_epoch(metrics)
        finally:
            if metrics is not None:
                metrics.close()
            if file_log is not None:
                logging.getLogger().removeHandler(file_log)
                file_log.close()
        if stopped == "complete":
            log.info("%s phase complete: %s", self.phase, self.out_dir / "last.pt")
        return FitResult(self.out_dir / "last.pt", self.epoch, self.global_step, stopped,
                         self.last_val, signum)

    def _attach_file_log(self) -> logging.Handler | None:
        if not self.dist.is_main:
            return None
        handler = logging.FileHandler(self.out_dir / "train.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: "
                                               "%(message)s"))
        logging.getLogger().addHandler(handler)
        return handler

    def _run_epoch(self, stop: StopRequest, metrics: MetricsLog | None, tqdm: Any) -> str | None:
        """Train the rest of the current epoch; return why it stopped early, or None."""
        loader = train_loader(self.train_set, batch_size=self.batch_size, epoch=self.epoch,
                              seed=self.cfg.seed, dist=self.dist,
                              workers=self.cfg.data.num_workers,
                              pin=self.device.type == "cuda", skip_batches=self.step_in_epoch)
        self.net.train()
        bar = tqdm(total=self.iters_per_epoch, initial=self.step_in_epoch,
                   desc=f"{self.phase} epoch {self.epoch + 1}/{self.pcfg.epochs}",
                   disable=not (self.cfg.runtime.progress and self.dist.is_main) or None,
                   dynamic_ncols=True, leave=False)
        window_loss, window_n, t0 = 0.0, 0, time.perf_counter()
        try:
            for batch in loader:
                loss = self._train_step(batch)
                self.step_in_epoch += 1
                self.global_step += 1
                window_loss, window_n = window_loss + loss, window_n + 1
                bar.update(1)
                lr = float(self.scheduler.get_last_lr()[0])
                bar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.2e}")
                if self.global_step % self.cfg.runtime.log_every == 0 or \
                        self.step_in_epoch == self.iters_per_epoch:
                    elapsed = time.perf_counter() - t0
                    rate = window_n * self.pcfg.batch_size / elapsed if elapsed > 0 else None
                    if metrics is not None:
                        metrics.write(split="train", epoch=self.epoch + 1, step=self.global_step,
                                      loss=window_loss / window_n, lr=lr, clips_per_s=rate)
                    log.debug("step %d loss %.4f lr %.3g %.2f clips/s", self.global_step,
                              window_loss / window_n, lr, rate or math.nan)
                    window_loss, window_n, t0 = 0.0, 0, time.perf_counter()
                reached = self.max_steps is not None and self.global_step >= self.max_steps
                if any_flag(stop.requested or reached, self.dist, self.device):
                    return "signal" if stop.requested else "max_steps"
        finally:
            bar.close()
        return None

    def _end_epoch(self, metrics: MetricsLog | None) -> None:
        self.epoch += 1
        self.step_in_epoch = 0
        last = self.epoch == self.pcfg.epochs
        if self.val_set is not None and (self.epoch % self.cfg.runtime.eval_every == 0 or last):
            self.last_val = self.validate()
            assert self.last_val is not None
            log.info("epoch %d: val top-1 %.2f%%, mean class accuracy %.2f%%", self.epoch,
                     100 * self.last_val.top1, 100 * self.last_val.mean_class_accuracy)
            if metrics is not None:
                metrics.write(split="val", epoch=self.epoch, step=self.global_step,
                              top1=self.last_val.top1,
                              mean_class_acc=self.last_val.mean_class_accuracy)
            if self.last_val.top1 > self.best_top1:
                self.best_top1 = self.last_val.top1
                self.save("best.pt")
        self.complete = last
        self.save()
        if self.cfg.runtime.keep_every and self.epoch % self.cfg.runtime.keep_every == 0:
            self.save(f"epoch_{self.epoch:03d}.pt")


def check_synth_recipe(cfg: TrainConfig, *, warn: bool = True) -> None:
    """``data.synth_recipe``: a missing ``ann_file`` is an error that gives the command
    that makes it; a data set whose ``generator.json`` records other settings than the
    recipe's is a warning (a ``--set data.ann_file=...`` may mean it)."""
    recipe = cfg.data.synth_recipe
    if recipe is None:
        return
    ann = Path(cfg.data.ann_file)
    if not ann.is_file():
        raise DatasetError(f"annotation file {ann} does not exist; make it with "
                           f"python -m train.synth --recipe {recipe} --out {ann.parent}")
    if not warn:
        return
    from train.synth.recipe import RecipeError, check_data

    try:
        differences = check_data(recipe, ann)
    except RecipeError as exc:
        log.warning("data.synth_recipe: %s", exc)
        return
    if differences:
        log.warning("%s was not made by the recipe %s: %s", ann, recipe,
                    "; ".join(differences))
