"""Training throughput (clips/s) per phase and precision on this machine, one command.

    python benchmarks/train_throughput.py [--batch 8] [--steps 3] [--threads 2]
        [--phases pose rgb joint] [--precisions fp32 bf16] [--device cpu|cuda]

Each row times full optimisation steps of the real EPAM-Net streams (forward under
autocast, CE loss, backward, clip 40, SGD) on random inputs of the model's shapes,
after warm-up: the engine's own functions, without data loading. A last table gives
the data pipeline's clips/s per worker (heatmaps, and RGB crops from video) on
synthetic clips. Prints the machine (CPU, native bf16, load average) with the table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table
from model.epamnet import build_epamnet
from train.config import Phase
from train.phases import forward_phase, phase_loss, trained_module
from train.precision import PrecisionName, cpu_has_native_bf16, resolve_precision


def _inputs(phase: Phase, batch: int, device: torch.device) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    out: dict[str, torch.Tensor] = {}
    if phase in ("pose", "joint"):
        out["pose"] = torch.rand(batch, 17, 48, 56, 56, generator=gen).to(device)
    if phase in ("rgb", "joint"):
        out["rgb"] = torch.randn(batch, 3, 16, 224, 224, generator=gen).to(device)
    return out


def time_steps(phase: Phase, precision_name: PrecisionName, *, batch: int, steps: int,
               warmup: int, device: torch.device, classes: int = 60) -> list[float]:
    """Seconds per optimisation step (after ``warmup`` steps)."""
    torch.manual_seed(0)
    model = build_epamnet(classes).to(device)
    module = trained_module(model, phase).train()
    precision = resolve_precision(precision_name, device)
    scaler = precision.grad_scaler()
    opt = torch.optim.SGD(module.parameters(), lr=0.01, momentum=0.9, weight_decay=3e-4)
    inputs = _inputs(phase, batch, device)
    labels = torch.randint(0, classes, (batch,), generator=torch.Generator().manual_seed(1))
    labels = labels.to(device)
    times = []
    for i in range(warmup + steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with precision.autocast():
            out = forward_phase(module, phase, inputs)
        loss = phase_loss(out, labels, phase)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()  # type: ignore[no-untyped-call]
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(module.parameters(), 40.0)
        scaler.step(opt)
        scaler.update()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def data_rates(clips: int = 8) -> list[tuple[str, float]]:
    """Clips/s of one worker making pose volumes and RGB crops from synthetic clips."""
    from train.dataset import ClipDataset, DataOptions
    from train.synthetic import synthetic_dataset

    with tempfile.TemporaryDirectory() as tmp:
        data = synthetic_dataset(num_classes=4, clips_per_class=2, frames=(90, 150),
                                 image_size=(640, 480), video_root=Path(tmp))
        rows = []
        for mods in (("pose",), ("rgb",), ("pose", "rgb")):
            ds = ClipDataset(data.annotations, modalities=mods, train=True,
                             options=DataOptions(video_root=Path(tmp),
                                                 random_resized_crop=mods == ("pose",)))
            t0 = time.perf_counter()
            for i in range(clips):
                ds[i % len(ds)]
            rows.append(("+".join(mods), clips / (time.perf_counter() - t0)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per row")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--phases", nargs="+", default=["pose", "rgb", "joint"],
                        choices=["pose", "rgb", "joint"])
    parser.add_argument("--precisions", nargs="+", default=None,
                        choices=["fp32", "bf16", "fp16"],
                        help="default: fp32 bf16 on CPU, fp32 fp16 bf16 on CUDA")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--no-data", action="store_true", help="skip the data-pipeline table")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    precisions = args.precisions or (["fp32", "fp16", "bf16"] if device.type == "cuda"
                                     else ["fp32", "bf16"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    name = torch.cuda.get_device_name() if device.type == "cuda" else platform.processor() \
        or platform.machine()
    print(f"device {device} ({name}), torch {torch.__version__}, {args.threads} threads, "
          f"{os.cpu_count()} cores, native bf16: {cpu_has_native_bf16()}, "
          f"load average {load:.1f}, batch {args.batch}")
    rows = []
    base: dict[str, float] = {}
    for phase in args.phases:
        for prec in precisions:
            times = time_steps(phase, prec, batch=args.batch, steps=args.steps,
                               warmup=args.warmup, device=device)
            med = statistics.median(times)
            rate = args.batch / med
            base.setdefault(phase, rate)
            rows.append((phase, prec, f"{med:.2f}", f"{min(times):.2f}", f"{rate:.2f}",
                         f"{rate / base[phase]:.2f}x"))
            print(f"  {phase} {prec}: {rate:.2f} clips/s", file=sys.stderr, flush=True)
    print_table(("phase", "precision", "s/step (median)", "s/step (best)", "clips/s",
                 f"vs {precisions[0]}"), rows)
    if not args.no_data:
        print("\ndata pipeline, one worker (640x480 synthetic clips, video decode included):")
        print_table(("inputs", "clips/s"), [(m, f"{r:.1f}") for m, r in data_rates()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
