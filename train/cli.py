"""``python -m train``: train, evaluate and prepare data for EPAM-Net.

Subcommands (``python -m train SUBCOMMAND --help`` for each):
  fit        train one phase (pose, rgb, joint) from a YAML config; torchrun for DDP
  eval       evaluate a checkpoint (top-1, mean class accuracy, confusion matrix)
  extract    labelled videos -> PYSKL pickle with the edge's MediaPipe pose tracker
  convert    UTKinect / MSR Action3D / URFD skeletons -> PYSKL pickle (2D COCO-17)
  synthetic  write a small synthetic dataset (tests, smoke runs)
  configs    list the shipped configs
  inspect    show what a checkpoint holds
  average    the weighted mean of checkpoints' weights (a "model soup")
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)

_FIT_EPILOG = """\
phases (the paper's recipe, MODEL_FACTS.md):
  pose   Pose-X-ShiftNet alone on 17x48x56x56 heatmaps (batch 96, lr 0.0375, 240 epochs,
         flip + RandomResizedCrop); its checkpoint exports as a pose-only model
  rgb    RGB-X-ShiftNet alone on 3x16x224x224 crops (batch 64, lr 0.05, 200 epochs, flip)
  joint  EPAM-Net from the two stream checkpoints, loss CE(rgb) + CE(pose)
         (batch 24, lr 0.001, 10 epochs)
  SGD momentum 0.9, weight decay 3e-4, cosine per iteration, gradient clip 40.
  Batch sizes are global (split over DDP processes); learning rates are for them.

outputs in <output_dir>/<phase>/ (output_dir defaults to work_dirs/<name>):
  last.pt (every epoch and on SIGINT/SIGTERM), best.pt (best val top-1),
  metrics.csv, train.log, tensorboard/ (when tensorboard is installed)

examples:
  python -m train fit --config train/configs/tiny_cpu.yaml
  python -m train fit --config train/configs/ntu60_xsub.yaml --phase rgb
  python -m train fit --config train/configs/ntu60_xsub.yaml --phase pose --resume
  python -m train fit --config CFG --set data.num_workers=0 --set phases.pose.epochs=5
  torchrun --nproc_per_node=8 -m train fit --config train/configs/ntu60_xsub.yaml
  torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 \\
      -m train fit --config train/configs/ntu120_xsub.yaml
  python -m deploy.export --checkpoint work_dirs/NAME/joint/last.pt --out m.onnx --check

exit status: 0 done, 1 error, 128+N stopped by signal N after saving last.pt
"""


def build_parser() -> argparse.ArgumentParser:
    from train.config import PHASES
    from train.convert.cli import add_convert_arguments
    from train.evaluate import add_eval_arguments
    from train.extract import add_extract_arguments

    parser = argparse.ArgumentParser(
        prog="python -m train",
        description="Train, evaluate and prepare data for EPAM-Net (pose + RGB action "
        "recognition). Guide: docs/training.md.",
        epilog="\n".join(__doc__.splitlines()[2:]) if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    fit = sub.add_parser("fit", help="train one phase from a config",
                         description="Train one phase of EPAM-Net from a YAML config.",
                         epilog=_FIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    fit.add_argument("--config", type=Path, required=True, help="YAML config (train/configs/)")
    fit.add_argument("--phase", choices=PHASES, help="phase to train (default: the config's)")
    fit.add_argument("--resume", nargs="?", const="auto", metavar="CKPT",
                     help="continue exactly from CKPT (default: <output_dir>/<phase>/last.pt)")
    fit.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a config key, e.g. "
                     "data.num_workers=0 or phases.pose.batch_size=8 (repeatable)")
    fit.add_argument("--max-steps", type=int, help="stop after this global step with a "
                     "resumable checkpoint (smoke tests, benchmarks)")

    ev = sub.add_parser("eval", help="evaluate a checkpoint",
                        description="Evaluate a checkpoint on a split: top-1, mean class "
                        "accuracy, per-class accuracy, confusion matrix PNG (1 clip/video).")
    add_eval_arguments(ev)

    ex = sub.add_parser("extract", help="videos -> PYSKL pickle (MediaPipe)",
                        description="Build a PYSKL pickle from labelled videos with the edge "
                        "runtime's pose tracker. Resumable; unreadable videos are listed.")
    add_extract_arguments(ex)

    conv = sub.add_parser("convert", help="research skeletons -> PYSKL pickle",
                          description="Convert a research skeleton dataset to 2D COCO-17 "
                          "PYSKL (3D Kinect joints are projected to a 640x480 image).")
    add_convert_arguments(conv)

    syn = sub.add_parser("synthetic", help="write a small synthetic dataset",
                         description="Synthetic stick-figure clips (deterministic) as a PYSKL "
                         "pickle, optionally with rendered videos for the RGB phases.")
    syn.add_argument("--out", type=Path, required=True, help="output PYSKL pickle")
    syn.add_argument("--videos", type=Path, help="also render videos into this folder")
    syn.add_argument("--classes", type=int, default=4, help="number of classes (1-6)")
    syn.add_argument("--clips-per-class", type=int, default=8)
    syn.add_argument("--seed", type=int, default=0)

    sub.add_parser("configs", help="list the shipped configs")

    insp = sub.add_parser("inspect", help="show what a checkpoint holds")
    insp.add_argument("checkpoint", type=Path)

    avg = sub.add_parser("average", help="weighted mean of checkpoints' weights",
                         description="The weighted mean of the weights of checkpoints that "
                         "share a start (train/average.py); for export, eval or init.")
    avg.add_argument("checkpoints", type=Path, nargs="+", help="two or more checkpoints")
    avg.add_argument("--weights", type=float, nargs="+", required=True,
                     help="one per checkpoint, positive, summing to 1")
    avg.add_argument("--out", type=Path, required=True, help="the averaged checkpoint")
    return parser


def _setup_logging(verbose: bool) -> None:
    rank = int(os.environ.get("RANK", "0"))
    level = logging.DEBUG if verbose else logging.INFO if rank == 0 else logging.WARNING
    logging.basicConfig(level=level, format=f"%(asctime)s %(levelname)s [rank {rank}] "
                        "%(name)s: %(message)s" if "WORLD_SIZE" in os.environ else
                        "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")


def _fit(args: argparse.Namespace) -> int:
    from train.config import load_config
    from train.distributed import shutdown
    from train.engine import Trainer

    cfg = load_config(args.config, args.overrides)
    phase = args.phase or cfg.phase
    resume = None
    if args.resume == "auto":
        resume = cfg.phase_dir(phase) / "last.pt"
    elif args.resume:
        resume = Path(args.resume)
    trainer = Trainer(cfg, phase=phase, resume=resume, max_steps=args.max_steps)
    try:
        result = trainer.fit()
    finally:
        shutdown(trainer.dist)
    if trainer.dist.is_main:
        val = (f"; val top-1 {result.val.top1:.2%}, mean class "
               f"{result.val.mean_class_accuracy:.2%}" if result.val else "")
        print(f"{phase} phase {result.stopped} at epoch {result.epoch}, step "
              f"{result.global_step}: {result.checkpoint}{val}")
    return 128 + result.signum if result.signum else 0


def _synthetic(args: argparse.Namespace) -> int:
    from train.pyskl import save_pyskl
    from train.synthetic import synthetic_dataset

    data = synthetic_dataset(num_classes=args.classes, clips_per_class=args.clips_per_class,
                             seed=args.seed, video_root=args.videos)
    save_pyskl(data, args.out)
    print(f"wrote {args.out}: {len(data.annotations)} clips, classes "
          f"{', '.join(data.class_names or [])}" +
          (f"; videos in {args.videos} (set data.video_root to it)" if args.videos else ""))
    return 0


def _configs() -> int:
    import yaml

    from train.config import CONFIG_DIR

    for path in sorted(CONFIG_DIR.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        print(f"{path}  [{data.get('phase', 'pose')}]  {first}")
    return 0


def _inspect(path: Path) -> int:
    from train.checkpoint import read_checkpoint

    ckpt = read_checkpoint(path, training_state=False)
    params = sum(int(v.numel()) for v in ckpt["model"].values())
    print(f"{path}: format {ckpt.get('format', 'unknown')}, {len(ckpt['model'])} tensors, "
          f"{params:,} values")
    print(json.dumps({"meta": ckpt.get("meta"), "progress": ckpt.get("progress")}, indent=2,
                     default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    from train.checkpoint import CheckpointError
    from train.config import ConfigError
    from train.pyskl import DatasetError
    from train.video import VideoError

    try:
        if args.command == "fit":
            return _fit(args)
        if args.command == "eval":
            from train.evaluate import eval_from_args

            return eval_from_args(args)
        if args.command == "extract":
            from train.extract import extract_from_args

            return extract_from_args(args)
        if args.command == "convert":
            from train.convert.cli import convert_from_args

            return convert_from_args(args)
        if args.command == "synthetic":
            return _synthetic(args)
        if args.command == "configs":
            return _configs()
        if args.command == "average":
            from train.average import write_average

            out = write_average(args.checkpoints, args.weights, args.out)
            print(f"wrote {out}")
            return 0
        return _inspect(args.checkpoint)
    except (ConfigError, CheckpointError, DatasetError, VideoError, ValueError,
            FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
