"""``python -m deploy.variants``: FP32, FP16 and INT8 ONNX variants of EPAM-Net, validated.

    python -m deploy.variants --onnx epamnet.onnx --out-dir models/ --fp16 --int8 \\
        --calib assets/demo/one-by-one-person-detection.mp4
    python -m deploy.variants --checkpoint run/best.pt --out-dir models/ --int8 --calib data.pkl \\
        --video-root videos/

- FP32: the export (``deploy.export``) or a copy of ``--onnx``; the reference.
- FP16: weights and activations in float16 (onnxconverter-common), inputs and outputs
  kept float32, so the runtime feeds it the same arrays. For GPUs without TensorRT
  (CUDA provider); TensorRT takes the FP32 file and its own ``--fp16``.
- INT8: ONNX Runtime static quantisation for the CPU, QDQ format, per-channel weights,
  calibrated on real windows (see ``deploy.calibration``): the demo video or any video
  through the edge app's pose tracker and window builder, a PYSKL pickle with its videos,
  or a saved ``.npz`` of windows.

Each variant runs in ONNX Runtime (CPU) on held-out real windows beside FP32 and is
reported: top-1 agreement and the largest logit difference of each output. The
metadata (class names, geometry, sample rate, provenance) is copied over, plus
``variant``, ``variant_of`` (FP32 SHA-256) and, for INT8, ``calibration``. A
``variants.json`` report is written beside the files. The exit code is 1 when a variant
misses ``--min-agreement``.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from deploy.calibration import CalibrationError, WindowSet, load_windows
from model.files import file_sha256
from model.metadata import OUTPUT_NAMES, ModelMetadata

__all__ = [
    "VariantError",
    "VariantReport",
    "copy_metadata",
    "main",
    "make_fp16",
    "make_int8",
    "validate_variant",
]

log = logging.getLogger(__name__)
Variant = Literal["fp32", "fp16", "int8"]
DEFAULT_MIN_AGREEMENT = 0.99


class VariantError(RuntimeError):
    """A problem the user can fix; printed without a traceback."""


@dataclass(frozen=True)
class VariantReport:
    """How a variant compares with FP32 on the same windows.

    ``max_abs_diff``: largest |variant - FP32| logit per output; ``relative_diff``: the
    same divided by the largest |FP32 logit| of that output; ``top1_agreement``: share
    of windows (0-1) whose fused top-1 class is the same.
    """

    variant: str
    path: str
    size_mb: float
    windows: int
    top1_agreement: float
    max_abs_diff: dict[str, float]
    relative_diff: dict[str, float]
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def copy_metadata(src: Path, dst: Path, **extra: str) -> None:
    """Copy ``src``'s metadata_props to ``dst`` (in place) and add ``extra`` keys."""
    import onnx

    props = {p.key: p.value for p in onnx.load(str(src), load_external_data=False)
             .metadata_props}
    ModelMetadata.from_props(props)  # fail early on a file that is not an EPAM-Net export
    props.update(extra)
    proto = onnx.load(str(dst))
    del proto.metadata_props[:]
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "epam-edge deploy.variants"
    tmp = dst.with_suffix(".tmp")
    onnx.save(proto, str(tmp))
    tmp.replace(dst)


def _detach_outputs(model: Any) -> Any:
    """Graph outputs that other nodes also read get their own Identity.

    EPAM-Net's ``scores`` is ``rgb_logits + pose_logits``, all three graph outputs; the
    float16 converter's ``keep_io_types`` casts an output back to float32 under its own
    name, and nodes reading that name would then get float32 (an invalid graph).
    """
    from onnx import helper

    outputs = {o.name for o in model.graph.output}
    consumed = {i for n in model.graph.node for i in n.input}
    for name in sorted(outputs & consumed):
        inner = f"{name}__inner"
        for node in model.graph.node:
            node.output[:] = [inner if o == name else o for o in node.output]
            node.input[:] = [inner if i == name else i for i in node.input]
        model.graph.node.append(helper.make_node("Identity", [inner], [name],
                                                 name=f"{name}__output"))
    return model


def make_fp16(src: Path, dst: Path) -> Path:
    """FP16 copy of ``src`` with float32 inputs and outputs; metadata copied."""
    import onnx

    try:
        from onnxconverter_common import float16
    except ImportError as exc:
        raise VariantError("FP16 needs onnxconverter-common: pip install -e '.[deploy]'"
                           ) from exc
    model = onnx.load(str(src))
    # keep_io_types: Cast at the inputs/outputs, so feeds and logits stay float32
    half = float16.convert_float_to_float16(_detach_outputs(model), keep_io_types=True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(half, str(dst))
    copy_metadata(src, dst, variant="fp16", variant_of=file_sha256(src))
    log.info("wrote %s (%.1f MB)", dst, dst.stat().st_size / 1e6)
    return dst


class _Reader:
    """ONNX Runtime ``CalibrationDataReader`` over a ``WindowSet`` (batch 1)."""

    def __init__(self, windows: WindowSet) -> None:
        self.windows = windows
        self._it: Iterator[dict[str, Any]] = iter(windows.feeds())

    def get_next(self) -> dict[str, Any] | None:
        return next(self._it, None)

    def rewind(self) -> None:
        self._it = iter(self.windows.feeds())


def _calib_options(n: int) -> dict[str, Any]:
    """Calibration options: ranges are folded every few windows to bound memory.

    ONNX Runtime's MinMax calibrator fails ("No data is collected") when the number of
    windows is a multiple of the chunk, so the chunk is one that leaves a remainder.
    """
    options: dict[str, Any] = {"CalibTensorRangeSymmetric": False}
    if n > 8:
        options["CalibMaxIntermediateOutputs"] = next(k for k in range(8, 1, -1) if n % k)
    return options


def make_int8(
    src: Path,
    dst: Path,
    windows: WindowSet,
    *,
    method: Literal["minmax", "percentile", "entropy"] = "minmax",
    per_channel: bool = True,
) -> Path:
    """INT8 (QDQ, per-channel signed weights, signed activations) calibrated on ``windows``.

    The model is pre-processed (shape inference and graph optimisation) first, as ONNX
    Runtime recommends; calibration runs on the CPU, one window at a time.
    """
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    methods = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
               "entropy": CalibrationMethod.Entropy}

    class Reader(_Reader, CalibrationDataReader):  # type: ignore[misc]
        pass

    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="epam-int8-") as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        quantize_static(
            str(pre), str(dst), Reader(windows),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=methods[method],
            extra_options=_calib_options(len(windows)),
        )
    calibration = json.dumps({"source": windows.source, "windows": len(windows),
                              "method": method, "per_channel": per_channel, "format": "QDQ"})
    copy_metadata(src, dst, variant="int8", variant_of=file_sha256(src), calibration=calibration)
    log.info("wrote %s (%.1f MB)", dst, dst.stat().st_size / 1e6)
    return dst


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def validate_variant(
    reference: Path,
    candidate: Path,
    windows: WindowSet,
    *,
    variant: str = "",
    threads: int = 2,
    reference_outputs: list[list[np.ndarray[Any, Any]]] | None = None,
) -> VariantReport:
    """Run ``candidate`` and FP32 ``reference`` on ``windows``; compare all three outputs."""
    names = list(OUTPUT_NAMES)
    if reference_outputs is None:
        reference_outputs = _run_all(reference, windows, threads)
    got = _run_all(candidate, windows, threads)
    ref = [np.concatenate([r[k] for r in reference_outputs]) for k in range(len(names))]
    out = [np.concatenate([g[k] for g in got]) for k in range(len(names))]
    diff = {n: float(np.abs(o - r).max()) for n, o, r in zip(names, out, ref, strict=True)}
    scale = {n: float(np.abs(r).max()) or 1.0 for n, r in zip(names, ref, strict=True)}
    agree = float(np.mean(np.argmax(out[0], axis=1) == np.argmax(ref[0], axis=1)))
    return VariantReport(
        variant=variant or candidate.stem, path=str(candidate),
        size_mb=round(candidate.stat().st_size / 1e6, 2), windows=len(windows),
        top1_agreement=agree, max_abs_diff=diff,
        relative_diff={n: diff[n] / scale[n] for n in names})


def _run_all(path: Path, windows: WindowSet, threads: int) -> list[list[np.ndarray[Any, Any]]]:
    sess = _session(path, threads)
    return [[np.asarray(o, np.float32) for o in sess.run(list(OUTPUT_NAMES), feed)]
            for feed in windows.feeds()]


def _fp32_from_checkpoint(checkpoint: Path, out: Path, extra: Sequence[str]) -> None:
    from deploy.export import main as export_main

    code = export_main(["--checkpoint", str(checkpoint), "--out", str(out), "--check", *extra])
    if code != 0:
        raise VariantError(f"export of {checkpoint} failed (see above)")


def _print_report(reports: list[VariantReport]) -> None:
    print(f"{'variant':<8} {'MB':>6} {'windows':>7} {'top-1 agree':>11} "
          f"{'max |dlogit| scores/rgb/pose':>32} {'relative':>8}")
    for r in reports:
        d = r.max_abs_diff
        diffs = "/".join(f"{d[n]:.3g}" for n in OUTPUT_NAMES)
        print(f"{r.variant:<8} {r.size_mb:>6.1f} {r.windows:>7d} {r.top1_agreement:>11.1%} "
              f"{diffs:>32} {r.relative_diff['scores']:>8.2%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.variants",
        description="FP32/FP16/INT8 ONNX variants of EPAM-Net, each validated against FP32 "
                    "on real windows.")
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, help="training checkpoint: exported to FP32 "
                     "first (deploy.export --check)")
    src.add_argument("--onnx", type=Path, help="an FP32 EPAM-Net .onnx from deploy.export")
    parser.add_argument("--out-dir", type=Path, required=True, help="folder for the variants")
    parser.add_argument("--name", default="epamnet", help="file stem: NAME.onnx (FP32), "
                        "NAME.fp16.onnx, NAME.int8.onnx (default: epamnet)")
    parser.add_argument("--fp16", action="store_true", help="write the FP16 variant")
    parser.add_argument("--int8", action="store_true", help="write the INT8 (CPU) variant")
    parser.add_argument("--calib", help="windows for INT8 calibration and validation: a "
                        "video (default: the bundled demo), a PYSKL .pkl (with --video-root) "
                        "or a .npz saved by --save-windows")
    parser.add_argument("--video-root", type=Path, help="videos of a PYSKL pickle's clips")
    parser.add_argument("--split", help="split of the PYSKL pickle (default: all clips)")
    parser.add_argument("--windows", type=int, default=32, help="windows to make (half "
                        "calibrate, half validate; default 32)")
    parser.add_argument("--stride", type=int, default=16, help="samples between video windows "
                        "(default 16)")
    parser.add_argument("--save-windows", type=Path, help="save the windows to this .npz")
    parser.add_argument("--method", choices=("minmax", "percentile", "entropy"),
                        default="minmax", help="INT8 calibration method (default minmax)")
    parser.add_argument("--min-agreement", type=float, default=DEFAULT_MIN_AGREEMENT,
                        help="fail when a variant's top-1 agreement with FP32 is below this "
                             f"(0-1, default {DEFAULT_MIN_AGREEMENT})")
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime threads")
    parser.add_argument("--label-set", help="with --checkpoint: passed to deploy.export")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("deploy", "edge_app", __name__):  # not root: ORT's quantiser logs every node
        logging.getLogger(name).setLevel(logging.INFO)

    try:
        out_dir: Path = args.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        fp32 = out_dir / f"{args.name}.onnx"
        if args.checkpoint:
            extra = ["--label-set", args.label_set] if args.label_set else []
            _fp32_from_checkpoint(args.checkpoint, fp32, extra)
        else:
            if not args.onnx.is_file():
                raise VariantError(f"{args.onnx} does not exist")
            if args.onnx.resolve() != fp32.resolve():
                shutil.copyfile(args.onnx, fp32)
        import onnx

        meta = ModelMetadata.from_props({p.key: p.value for p in onnx.load(
            str(fp32), load_external_data=False).metadata_props})
        if meta.provenance.get("source") == "random-init":
            log.warning("%s has random weights: its logits are nearly tied, so top-1 "
                        "agreement says little; validate a trained model", fp32.name)
        windows = load_windows(args.calib or None, max_windows=args.windows,
                               sample_rate_hz=meta.sample_rate_hz, sampling=meta.sampling,
                               video_root=args.video_root, split=args.split,
                               stride=args.stride)
        if args.save_windows:
            windows.save(args.save_windows)
            print(f"saved {len(windows)} windows to {args.save_windows}")
        calib, held_out = windows.split()
        print(f"{len(windows)} real windows from {windows.source}: {len(calib)} calibrate, "
              f"{len(held_out)} validate")
        reference = _run_all(fp32, held_out, args.threads)
        reports = [validate_variant(fp32, fp32, held_out, variant="fp32",
                                    reference_outputs=reference, threads=args.threads)]
        if args.fp16:
            path = make_fp16(fp32, out_dir / f"{args.name}.fp16.onnx")
            reports.append(validate_variant(fp32, path, held_out, variant="fp16",
                                            reference_outputs=reference, threads=args.threads))
        if args.int8:
            path = make_int8(fp32, out_dir / f"{args.name}.int8.onnx", calib,
                             method=args.method)
            reports.append(validate_variant(fp32, path, held_out, variant="int8",
                                            reference_outputs=reference, threads=args.threads))
        _print_report(reports)
        (out_dir / "variants.json").write_text(json.dumps(
            {"reference": str(fp32), "windows": windows.source,
             "reports": [r.to_dict() for r in reports]}, indent=2))
        failed = [r.variant for r in reports if r.top1_agreement < args.min_agreement]
        if failed:
            raise VariantError(f"{', '.join(failed)}: top-1 agreement with FP32 below "
                               f"{args.min_agreement:.0%} (see the table)")
    except (VariantError, CalibrationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # metadata problems from ModelMetadata.from_props
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
