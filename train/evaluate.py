"""Evaluation: 1 clip per video, top-1, mean class accuracy, per-class accuracy, confusion.

``python -m train.evaluate --checkpoint CKPT [--split NAME] [--out DIR]`` (also
``python -m train eval``) evaluates a checkpoint on a split of its own training config
(or ``--config``), writing ``metrics.json``, ``confusion.png``, ``confusion.csv`` and
``predictions.csv`` to ``--out`` (default ``<checkpoint folder>/eval_<split>``).
A joint checkpoint is scored on the fused logits; each stream's top-1 is reported too.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from train.build import build_dataset, build_model, resolve_class_names, resolve_device
from train.checkpoint import CheckpointError, load_state_strict, read_checkpoint
from train.config import Phase, TrainConfig, config_from_dict
from train.distributed import DistInfo, all_gather_objects
from train.loaders import eval_loader
from train.metrics import ClassificationReport, report, save_confusion_png
from train.phases import forward_phase, trained_module
from train.precision import Precision, resolve_precision
from train.pyskl import load_pyskl

__all__ = [
    "Predictions",
    "add_eval_arguments",
    "eval_from_args",
    "format_summary",
    "main",
    "predict",
    "run_eval",
    "write_report",
]

log = logging.getLogger(__name__)


@dataclass
class Predictions:
    """Per clip (in dataset order): index, true label, predicted class of each output."""

    indices: list[int]
    labels: list[int]
    preds: dict[str, list[int]]  # "scores" (the prediction) and each stream run
    confidence: list[float]  # softmax probability of the predicted class

    def report(self, num_classes: int, output: str = "scores") -> ClassificationReport:
        return report(self.labels, self.preds[output], num_classes)


@torch.no_grad()
def predict(
    module: nn.Module,
    phase: Phase,
    loader: DataLoader[dict[str, Any]],
    *,
    device: torch.device,
    precision: Precision,
    dist: DistInfo | None = None,
    progress: bool = False,
) -> Predictions:
    """Run ``module`` over ``loader`` (sharded across processes) and gather on every rank."""
    from tqdm import tqdm

    was_training = module.training
    module.eval()
    rows: list[tuple[int, int, dict[str, int], float]] = []
    try:
        for batch in tqdm(loader, desc="eval", leave=False, disable=not progress or None):
            inputs = {k: v.to(device, non_blocking=True) for k, v in batch.items()
                      if k in ("pose", "rgb")}
            with precision.autocast():
                out = forward_phase(module, phase, inputs)
            probs = torch.softmax(out["scores"].float(), dim=1)
            conf, _ = probs.max(dim=1)
            argmax = {k: v.argmax(dim=1).cpu().tolist() for k, v in out.items()}
            for j, (idx, label) in enumerate(zip(batch["index"].tolist(), batch["label"].tolist(),
                                                 strict=True)):
                rows.append((idx, label, {k: v[j] for k, v in argmax.items()},
                             float(conf[j])))
    finally:
        module.train(was_training)
    merged: dict[int, tuple[int, int, dict[str, int], float]] = {}
    for part in all_gather_objects(rows, dist or DistInfo()):
        for row in part:
            merged.setdefault(row[0], row)  # padded shards repeat a clip: keep one
    ordered = [merged[i] for i in sorted(merged)]
    keys = list(ordered[0][2]) if ordered else ["scores"]
    return Predictions(
        indices=[r[0] for r in ordered],
        labels=[r[1] for r in ordered],
        preds={k: [r[2][k] for r in ordered] for k in keys},
        confidence=[r[3] for r in ordered],
    )


def write_report(
    preds: Predictions,
    class_names: Sequence[str],
    out_dir: Path,
    *,
    frame_dirs: Sequence[str],
    title: str = "",
) -> dict[str, Any]:
    """Write metrics.json, confusion.png/.csv and predictions.csv; return the metrics."""
    n = len(class_names)
    main_report = preds.report(n)
    metrics: dict[str, Any] = main_report.as_dict(class_names)
    metrics["class_names"] = list(class_names)
    streams = [k for k in preds.preds if k != "scores"]
    metrics["streams"] = {k: preds.report(n, k).top1 for k in streams} if len(streams) > 1 \
        else {}  # a single stream is the prediction itself
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    save_confusion_png(main_report.confusion, class_names, out_dir / "confusion.png",
                       title=title)
    with (out_dir / "confusion.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["true \\ predicted", *class_names])
        for name, row in zip(class_names, main_report.confusion.tolist(), strict=True):
            w.writerow([name, *row])
    with (out_dir / "predictions.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["frame_dir", "label", "predicted", "confidence"])
        for i, label, pred, conf in zip(preds.indices, preds.labels, preds.preds["scores"],
                                        preds.confidence, strict=True):
            w.writerow([frame_dirs[i], class_names[label], class_names[pred], f"{conf:.4f}"])
    return metrics


def format_summary(metrics: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    lines = [f"clips {metrics['count']}  top-1 {metrics['top1']:.2%}  "
             f"mean class accuracy {metrics['mean_class_accuracy']:.2%}"]
    for stream, top1 in metrics.get("streams", {}).items():
        lines.append(f"  {stream} stream alone: top-1 {top1:.2%}")
    names = metrics["class_names"]
    chance = 1.0 / len(names) if names else float("nan")
    lines.append(f"  chance (uniform guess): {chance:.2%}")
    lines.append("  per class:")
    width = max((len(n) for n in names), default=5)
    for name in names:
        acc = metrics["per_class_accuracy"][name]
        lines.append(f"    {name:<{width}}  {'-' if acc is None else f'{acc:.2%}'}")
    return "\n".join(lines)


def run_eval(
    checkpoint: Path,
    *,
    config: TrainConfig | None = None,
    overrides: Sequence[str] = (),
    split: str | None = None,
    out_dir: Path | None = None,
    batch_size: int = 8,
    workers: int | None = None,
    device_name: str | None = None,
) -> dict[str, Any]:
    """Evaluate ``checkpoint`` on ``split`` and write the report (see the module doc).

    Args:
        config: the data config; None uses the config stored in the checkpoint (with
            ``overrides`` applied).
        split: None: the config's ``val_split``; ``"all"``: every clip (unless the file
            has a split of that name).
    """
    ckpt = read_checkpoint(checkpoint, training_state=False)
    meta = dict(ckpt.get("meta") or {})
    if config is None:
        stored = ckpt.get("config")
        if not isinstance(stored, dict):
            raise CheckpointError(f"{checkpoint} stores no training config; pass --config")
        config = config_from_dict(stored, overrides, origin=f"config stored in {checkpoint}")
    phase: Phase = meta.get("phase", config.phase)
    data = load_pyskl(config.data.ann_file)
    names = [str(n) for n in meta.get("class_names") or resolve_class_names(config, data)]
    if split is None:
        split = config.data.val_split
    elif split == "all" and "all" not in data.split:
        split = None
    dataset = build_dataset(config, data, split, phase, train=False)
    model = build_model(len(names), seed=0, pose_frames=48 // config.data.reduce_time)
    load_state_strict(model, ckpt["model"], f"checkpoint {checkpoint}")
    device = resolve_device(device_name or config.runtime.device)
    precision = resolve_precision(config.runtime.precision, device)
    module = trained_module(model, phase).to(device)
    loader = eval_loader(dataset, batch_size=batch_size, dist=DistInfo(),
                         workers=config.data.num_workers if workers is None else workers,
                         pin=device.type == "cuda")
    log.info("evaluating %s (%s phase) on %s: %d clips", checkpoint, phase, split or "all clips",
             len(dataset))
    preds = predict(module, phase, loader, device=device, precision=precision,
                    progress=config.runtime.progress)
    target = out_dir or checkpoint.parent / f"eval_{split or 'all'}"
    metrics = write_report(preds, names, target,
                           frame_dirs=[str(a["frame_dir"]) for a in dataset.annotations],
                           title=f"{checkpoint.name} on {split or 'all'}")
    metrics.update(checkpoint=str(checkpoint), split=split, phase=phase,
                   trained_streams=meta.get("trained_streams"))
    (target / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    log.info("wrote the report to %s", target)
    return metrics


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, required=True, help="checkpoint (.pt)")
    parser.add_argument("--config", type=Path, help="training config (default: the one "
                        "stored in the checkpoint)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a config key (repeatable)")
    parser.add_argument("--split", help="split to evaluate (default: the config's val_split; "
                        "'all' = every clip)")
    parser.add_argument("--out", type=Path, help="report folder (default: "
                        "<checkpoint folder>/eval_<split>)")
    parser.add_argument("--batch-size", type=int, default=8, help="clips per batch (default 8)")
    parser.add_argument("--workers", type=int, help="DataLoader workers (default: config)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), help="default: config")


def eval_from_args(args: argparse.Namespace) -> int:
    from train.config import ConfigError, load_config

    try:
        cfg = load_config(args.config, args.overrides) if args.config else None
        metrics = run_eval(args.checkpoint, config=cfg, overrides=args.overrides,
                           split=args.split, out_dir=args.out,
                           batch_size=args.batch_size, workers=args.workers,
                           device_name=args.device)
    except (ConfigError, ValueError, RuntimeError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_summary(metrics))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m train.evaluate",
        description="Evaluate an EPAM-Net training checkpoint: top-1, mean class accuracy, "
        "per-class accuracy and a confusion matrix (1 clip per video).")
    add_eval_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return eval_from_args(args)


if __name__ == "__main__":
    sys.exit(main())
