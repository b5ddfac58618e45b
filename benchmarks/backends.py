"""One EPAM-Net window (batch 1) on every CPU backend, all measured in the same run.

    python benchmarks/backends.py [--threads 2] [--repeats 10] [--windows 32] [--classes 8]
        [--model assets/models/epamnet_adl.onnx]

PyTorch eager, ONNX Runtime FP32 / FP16 / INT8 (static QDQ, per-channel, calibrated on
real windows of the demo video made by the edge app's own pose tracker and window
builder) and, when the ``openvino`` extra is installed, OpenVINO f32, bf16 (precision
hint; CPUs without native bf16 run f32 and the table says so) and the same INT8 file.

Latency: median after warm-up of the pose stream alone (the pose-only subgraph, what
privacy mode runs) and of the whole model (both streams + attention); the RGB stream's
share is their difference. Agreement: top-1 of the fused scores against ONNX Runtime
FP32 on held-out real windows (the odd ones; the even ones calibrate INT8), and the
largest logit difference. The weights are random (seeded) unless ``--model`` gives a
trained file: agreement of an untrained model is a lower bound, its logits being nearly
tied. "static batch 1" rows fix the batch dimension as the edge runner does (ONNX
Runtime then folds the graph's shape arithmetic; OpenVINO compiles static shapes).
"CPU rewrite" is what the edge runner adds on the CPU: depthwise channel groups padded
to the CPU's SIMD block (``edge_app.backends.rewrite``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table, time_median
from model.metadata import BATCH_DIM, OUTPUT_NAMES


@dataclass
class Row:
    name: str
    pose_ms: float
    whole_ms: float
    agree: float | None = None
    max_diff: float | None = None
    note: str = ""


def _ort_session(model: Any, threads: int, batch: int | None = None) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if batch is not None:  # what the edge runner does: every shape static
        opts.add_free_dimension_override_by_name(BATCH_DIM, batch)
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    data = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def _pose_subgraph(path: Path) -> bytes:
    import onnx
    import onnx.utils

    sub = onnx.utils.Extractor(onnx.load(str(path))).extract_model(["pose_heatmaps"],
                                                                    ["pose_logits"])
    return bytes(sub.SerializeToString())


def _ort_backend(path: Path, threads: int, batch: int | None = None, rewrite: bool = False
                 ) -> tuple[Callable[..., Any], Callable[..., Any]]:
    from edge_app.backends.rewrite import prepare_for_cpu

    full_bytes, pose_bytes = path.read_bytes(), _pose_subgraph(path)
    if rewrite:
        full_bytes, pose_bytes = prepare_for_cpu(full_bytes)[0], prepare_for_cpu(pose_bytes)[0]
    full = _ort_session(full_bytes, threads, batch)
    pose = _ort_session(pose_bytes, threads, batch)
    return (lambda p, r: full.run(["scores"], {"pose_heatmaps": p, "rgb": r})[0],
            lambda p: pose.run(["pose_logits"], {"pose_heatmaps": p})[0])


def _ov_backend(path: Path, threads: int, precision: str, static: bool = False
                ) -> tuple[Callable[..., Any], Callable[..., Any], str]:
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(path))
    if static:
        model.reshape({i.get_any_name(): [1, *[d.get_length() for d in
                                               list(i.get_partial_shape())[1:]]]
                       for i in model.inputs})
    cfg = {"PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1, "INFERENCE_NUM_THREADS": threads,
           "INFERENCE_PRECISION_HINT": precision}
    full = core.compile_model(model, "CPU", cfg)
    sub = ov.Model([model.output("pose_logits")], [model.input("pose_heatmaps").get_node()])
    pose = core.compile_model(sub, "CPU", cfg)
    rq, rq_pose = full.create_infer_request(), pose.create_infer_request()
    ran = str(full.get_property("INFERENCE_PRECISION_HINT")).lower()
    effective = "bf16" if "bf16" in ran or "bfloat16" in ran else "f32"
    return (lambda p, r: rq.infer({"pose_heatmaps": p, "rgb": r})["scores"],
            lambda p: rq_pose.infer({"pose_heatmaps": p})["pose_logits"], effective)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--classes", type=int, default=8)
    parser.add_argument("--windows", type=int, default=32, help="real windows (half "
                        "calibrate INT8, half measure agreement)")
    parser.add_argument("--video", help="video for the windows (default: the bundled demo)")
    parser.add_argument("--windows-cache", type=Path, help="reuse/save windows here (.npz)")
    parser.add_argument("--model", type=Path, default=None, help="a trained EPAM-Net .onnx "
                        "(e.g. assets/models/epamnet_adl.onnx) instead of random weights; "
                        "PyTorch rows are then skipped")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import onnxruntime as ort
    import torch

    from deploy.export import export_onnx
    from deploy.variants import make_fp16, make_int8
    from edge_app.backends import openvino_available
    from edge_app.calibration import windows_from_video
    from edge_app.config import DEFAULT_VIDEO
    from model.epamnet import build_epamnet
    from model.metadata import ModelMetadata
    from model.windows import WindowSet

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = build_epamnet(args.classes).eval()
    if args.windows_cache and args.windows_cache.is_file():
        windows = WindowSet.load(args.windows_cache)
    else:
        windows = windows_from_video(args.video or DEFAULT_VIDEO, max_windows=args.windows)
        if args.windows_cache:
            windows.save(args.windows_cache)
    calib, held = windows.split()
    pose0, rgb0 = held.pose[:1], held.rgb[:1]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "epamnet.onnx"
        if args.model is not None:
            fp32.write_bytes(args.model.read_bytes())
        else:
            meta = ModelMetadata(class_names=tuple(f"c{i}" for i in range(args.classes)),
                                 provenance={"source": "random-init"})
            export_onnx(net, fp32, meta)
        fp16 = make_fp16(fp32, Path(tmp) / "epamnet.fp16.onnx")
        int8 = make_int8(fp32, Path(tmp) / "epamnet.int8.onnx", calib)

        def timed(name: str, whole: Callable[..., Any], pose: Callable[..., Any],
                  note: str = "") -> tuple[Row, Callable[..., Any]]:
            t_pose = time_median(lambda: pose(pose0), warmup=args.warmup, repeats=args.repeats)
            t_all = time_median(lambda: whole(pose0, rgb0), warmup=args.warmup,
                                repeats=args.repeats)
            row = Row(name, t_pose, t_all, note=note)
            rows.append(row)
            return row, whole

        torch_row: Row | None = None
        if args.model is None:
            pose_t, rgb_t = torch.from_numpy(pose0), torch.from_numpy(rgb0)
            with torch.inference_mode():
                t_pose = time_median(lambda: net.forward_pose(pose_t), warmup=args.warmup,
                                     repeats=args.repeats)
                t_all = time_median(lambda: net(pose_t, rgb_t), warmup=args.warmup,
                                    repeats=args.repeats)
                torch_scores = [net(torch.from_numpy(f["pose_heatmaps"]),
                                    torch.from_numpy(f["rgb"]))[0].numpy()
                                for f in held.feeds()]
            torch_row = Row("PyTorch eager FP32", t_pose, t_all)
            rows.append(torch_row)
        ref_row, ref = timed("ORT FP32", *_ort_backend(fp32, args.threads))
        candidates: list[tuple[Row, Callable[..., Any]]] = [(ref_row, ref)]
        candidates.append(timed("ORT FP32 static batch 1", *_ort_backend(fp32, args.threads, 1),
                                note="the file as it is"))
        candidates.append(timed("ORT FP32 static batch 1, CPU rewrite",
                                *_ort_backend(fp32, args.threads, 1, rewrite=True),
                                note="the edge runner's session"))
        candidates.append(timed("ORT FP16", *_ort_backend(fp16, args.threads)))
        candidates.append(timed("ORT INT8 (QDQ)", *_ort_backend(int8, args.threads)))
        if openvino_available():
            for label, path, prec, static in (("OpenVINO f32", fp32, "f32", False),
                                              ("OpenVINO f32 static batch 1", fp32, "f32", True),
                                              ("OpenVINO bf16 hint", fp32, "bf16", False),
                                              ("OpenVINO INT8 (QDQ)", int8, "f32", False)):
                whole, pose, ran = _ov_backend(path, args.threads, prec, static)
                note = "CPU has no bf16: ran f32" if prec == "bf16" and ran != "bf16" else ""
                candidates.append(timed(label, whole, pose, note))
        reference = np.concatenate([np.asarray(ref(f["pose_heatmaps"], f["rgb"]))
                                    for f in held.feeds()])
        if torch_row is not None:
            torch_ref = np.concatenate(torch_scores)
            torch_row.agree = float(np.mean(torch_ref.argmax(1) == reference.argmax(1)))
            torch_row.max_diff = float(np.abs(torch_ref - reference).max())
        for row, whole in candidates:
            got = np.concatenate([np.asarray(whole(f["pose_heatmaps"], f["rgb"]))
                                  for f in held.feeds()])
            row.agree = float(np.mean(got.argmax(1) == reference.argmax(1)))
            row.max_diff = float(np.abs(got - reference).max())
    scale = float(np.abs(reference).max())
    base = ref_row.whole_ms
    table = []
    for r in rows:
        table.append([r.name, f"{r.pose_ms:.1f}", f"{r.whole_ms - r.pose_ms:.1f}",
                      f"{r.whole_ms:.1f}", f"{base / r.whole_ms:.2f}x",
                      f"{r.agree:.0%}" if r.agree is not None else "-",
                      f"{r.max_diff:.2g}" if r.max_diff is not None else "-", r.note])
    import platform

    weights = f"weights of {args.model.name}" if args.model else "random weights"
    n_classes = int(reference.shape[1])
    print(f"EPAM-Net ({n_classes} classes, {weights}), batch 1, {args.threads} threads, "
          f"median of {args.repeats} after {args.warmup} warm-up; {platform.processor() or platform.machine()}; "
          f"torch {torch.__version__}, onnxruntime {ort.__version__}"
          + (f", openvino {__import__('openvino').get_version()}" if openvino_available() else ""))
    print(f"agreement on {len(held)} held-out real windows of {windows.source} "
          f"(INT8 calibrated on the other {len(calib)}); |FP32 logits| up to {scale:.3g}")
    print_table(["backend", "pose ms", "RGB+attn ms", "window ms", "speed vs ORT FP32",
                 "top-1 agree", f"max |d{OUTPUT_NAMES[0]}|", "note"], table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
