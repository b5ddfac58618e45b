"""One EPAM-Net window (batch 1): PyTorch eager vs ONNX Runtime CPU, same run.

    python benchmarks/model_latency.py [--threads 2] [--repeats 10] [--classes 8]

Prints median latency per stream and for the whole model, and the ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table, time_median
from deploy.export import export_onnx
from model.epamnet import build_epamnet
from model.metadata import ModelMetadata


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--classes", type=int, default=8)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = build_epamnet(args.classes).eval()
    rng = np.random.default_rng(0)
    pose = rng.random((1, 17, 48, 56, 56), dtype=np.float32)
    rgb = rng.standard_normal((1, 3, 16, 224, 224), dtype=np.float32)
    pose_t, rgb_t = torch.from_numpy(pose), torch.from_numpy(rgb)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "epamnet.onnx"
        export_onnx(net, path, ModelMetadata(class_names=tuple(map(str, range(args.classes)))))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = args.threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        feeds = {"pose_heatmaps": pose, "rgb": rgb}

        rows = []
        with torch.inference_mode():
            t_pose = time_median(lambda: net.forward_pose(pose_t), repeats=args.repeats)
            t_rgb = time_median(lambda: net.rgb(rgb_t), repeats=args.repeats)
            t_all = time_median(lambda: net(pose_t, rgb_t), repeats=args.repeats)
        o_all = time_median(lambda: sess.run(None, feeds), repeats=args.repeats)
        o_pose = time_median(lambda: sess.run(["pose_logits"], feeds), repeats=args.repeats)
    rows.append(["pose stream", f"{t_pose:.1f}", "-", "-"])
    rows.append(["RGB stream (no attention)", f"{t_rgb:.1f}", "-", "-"])
    rows.append(["EPAM-Net window", f"{t_all:.1f}", f"{o_all:.1f}", f"{t_all / o_all:.2f}x"])
    print(f"EPAM-Net, batch 1, {args.threads} threads, median of {args.repeats} after warm-up "
          f"(torch {torch.__version__}, onnxruntime {ort.__version__})")
    print_table(["what", "PyTorch ms", "ORT CPU ms", "PyTorch/ORT"], rows)
    print(f"(ORT, pose_logits only requested: {o_pose:.1f} ms; ORT still runs the whole graph)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
