"""``python -m deploy.export``: EPAM-Net to ONNX with metadata and a parity check.

Inputs ``pose_heatmaps`` (N,17,48,56,56) and ``rgb`` (N,3,16,224,224), outputs
``scores``, ``rgb_logits``, ``pose_logits``, batch dimension dynamic. ``--check``
runs the file in ONNX Runtime against PyTorch and fails past a tolerance.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import subprocess
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.contract import RGB_SIZE
from model.epamnet import EPAMNet, build_epamnet
from model.files import file_sha256
from model.labels import get_label_set
from model.metadata import BATCH_DIM, INPUT_NAMES, OUTPUT_NAMES, ModelMetadata

__all__ = [
    "CheckResult",
    "ExportError",
    "check_onnx",
    "export_onnx",
    "load_checkpoint",
    "main",
    "portable_path",
    "portable_provenance",
]

log = logging.getLogger(__name__)
DEFAULT_OPSET = 17
DEFAULT_TOLERANCE = 1e-4


class ExportError(RuntimeError):
    """A problem the user can fix (bad checkpoint, failed check); printed without traceback."""


@dataclass(frozen=True)
class CheckResult:
    """Parity of an ONNX file against PyTorch on the same random inputs."""

    max_abs_diff: dict[str, float]
    top1_agreement: float
    batch: int
    tolerance: float
    scale: dict[str, float] | None = None  # max |PyTorch output| per output

    def bound(self, name: str) -> float:
        """Allowed difference of output ``name``: ``tolerance`` relative to its magnitude
        when that exceeds 1 (trained models have logits in the tens), else absolute."""
        scale = (self.scale or {}).get(name, 1.0)
        return self.tolerance * max(1.0, scale)

    @property
    def ok(self) -> bool:
        return all(d <= self.bound(n) for n, d in self.max_abs_diff.items())


# Checkpoint metadata keys whose values are file paths (a stage's ``init`` maps every
# stream to one); any other string that is an absolute path is treated as one too.
PATH_KEYS = frozenset({"source", "ann_file", "video_root", "teacher", "checkpoint"})
PATH_MAPS = frozenset({"init"})


def portable_path(value: str | Path, cwd: Path | None = None) -> str:
    """``value`` as the provenance records it: relative to the working directory
    (``cwd``, default the current one) when the file lies under it, else its name only.
    The machine's absolute paths stay on the machine; the sha256 next to a path is what
    identifies the file."""
    path = Path(value).expanduser()
    base = (cwd or Path.cwd()).resolve()
    full = (path if path.is_absolute() else base / path).resolve()
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return path.name


def _looks_absolute(text: str) -> bool:
    return text.startswith(("/", "~", "\\")) or (
        len(text) > 2 and text[0].isalpha() and text[1] == ":" and text[2] in "/\\")


def portable_provenance(value: Any, key: str = "", cwd: Path | None = None) -> Any:
    """``value`` (checkpoint metadata) with every file path made ``portable_path``:
    those under ``PATH_KEYS`` and in ``PATH_MAPS``, and any absolute path string."""
    if isinstance(value, dict):
        return {k: (portable_path(v, cwd) if key in PATH_MAPS and isinstance(v, str)
                    else portable_provenance(v, str(k), cwd)) for k, v in value.items()}
    if isinstance(value, list):
        return [portable_provenance(v, key, cwd) for v in value]
    if isinstance(value, str) and (key in PATH_KEYS or _looks_absolute(value)):
        return portable_path(value, cwd)
    return value


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def load_checkpoint(path: Path) -> tuple[EPAMNet, dict[str, Any]]:
    """Build EPAM-Net from a checkpoint written by ``train`` (or a bare state dict).

    A training checkpoint is a dict with ``model`` (the state dict) and ``meta``
    (``class_names``, ``sample_rate_hz``, ``sampling``, ...). Loads with
    ``weights_only=True``. Raises ``ExportError`` with the reason on any problem.
    """
    if not path.is_file():
        raise ExportError(f"checkpoint {path} does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt file
        raise ExportError(f"checkpoint {path} cannot be read ({exc.__class__.__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}); is it truncated?"
                          ) from exc
    if not isinstance(ckpt, Mapping):
        raise ExportError(f"checkpoint {path} is not a dict of tensors")
    state = ckpt.get("model", ckpt)
    meta = dict(ckpt.get("meta", {})) if isinstance(ckpt.get("meta"), Mapping) else {}
    reduced = meta.get("reduced_geometry", [1, 1])
    if list(reduced) != [1, 1]:
        raise ExportError(f"checkpoint {path} was trained at a reduced geometry (every "
                          f"{reduced[0]}th sample, heatmaps pooled by {reduced[1]}): fine-tune "
                          "it at full geometry (init.checkpoint) and export that one")
    rgb_size = int(meta.get("rgb_size", RGB_SIZE))
    if rgb_size != RGB_SIZE:
        raise ExportError(f"checkpoint {path} was trained on {rgb_size}x{rgb_size} RGB crops "
                          f"(data.rgb_size): train the joint phase at {RGB_SIZE} from it "
                          "(phases.joint.init_rgb) and export that one")
    if not isinstance(state, Mapping) or "pose.head.fc.weight" not in state:
        raise ExportError(
            f"checkpoint {path} holds no EPAM-Net weights (no 'pose.head.fc.weight'); "
            "single-stream checkpoints must be trained into the joint model first"
        )
    num_classes = int(state["pose.head.fc.weight"].shape[0])
    model = build_epamnet(num_classes)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ExportError(f"checkpoint {path} does not match EPAM-Net: "
                          f"{str(exc).splitlines()[0]}") from exc
    meta.setdefault("checkpoint_sha256", file_sha256(path))
    return model.eval(), meta


def export_onnx(
    model: EPAMNet,
    out: Path,
    metadata: ModelMetadata,
    *,
    opset: int = DEFAULT_OPSET,
) -> Path:
    """Write ``model`` to ``out`` as ONNX (dynamic batch) with ``metadata`` embedded."""
    import onnx

    if metadata.num_classes != model.num_classes:
        raise ExportError(
            f"{metadata.num_classes} class names for a model with {model.num_classes} classes"
        )
    model = model.eval()
    geo = metadata.geometry
    pose = torch.zeros(1, *geo.pose_shape)
    rgb = torch.zeros(1, *geo.rgb_shape)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    dynamic = {name: {0: BATCH_DIM} for name in (*INPUT_NAMES, *OUTPUT_NAMES)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and deprecation chatter
        torch.onnx.export(
            model,
            (pose, rgb),
            str(tmp),
            input_names=list(INPUT_NAMES),
            output_names=list(OUTPUT_NAMES),
            dynamic_axes=dynamic,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load(str(tmp))
    del proto.metadata_props[:]
    for key, value in metadata.to_props().items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "epam-edge deploy.export"
    proto.doc_string = f"{metadata.model_name}: {metadata.num_classes} classes"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(tmp))
    tmp.replace(out)  # atomic: a crash never leaves a half-written model in place
    log.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out


def check_onnx(
    model: EPAMNet,
    onnx_path: Path,
    *,
    batch: int = 2,
    tolerance: float = DEFAULT_TOLERANCE,
    seed: int = 0,
) -> CheckResult:
    """Run ``onnx_path`` in ONNX Runtime (CPU) and PyTorch on the same random inputs."""
    import onnxruntime as ort

    model = model.eval()
    gen = torch.Generator().manual_seed(seed)
    geo = ModelMetadata(class_names=("x",) * model.num_classes).geometry
    pose = torch.rand(batch, *geo.pose_shape, generator=gen)
    rgb = torch.randn(batch, *geo.rgb_shape, generator=gen)
    with torch.no_grad():
        ref = [t.numpy() for t in model(pose, rgb)]
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(list(OUTPUT_NAMES), {"pose_heatmaps": pose.numpy(), "rgb": rgb.numpy()})
    diffs = {
        name: float(np.abs(np.asarray(g) - r).max())
        for name, g, r in zip(OUTPUT_NAMES, got, ref, strict=True)
    }
    agree = float(np.mean(np.argmax(got[0], axis=1) == np.argmax(ref[0], axis=1)))
    scale = {name: float(np.abs(r).max()) for name, r in zip(OUTPUT_NAMES, ref, strict=True)}
    return CheckResult(diffs, agree, batch, tolerance, scale)


def _class_names(args: argparse.Namespace, meta: Mapping[str, Any], n: int) -> tuple[str, ...]:
    if args.class_names:
        names = tuple(s.strip() for s in args.class_names.split(",") if s.strip())
    elif args.label_set:
        names = get_label_set(args.label_set)
    elif meta.get("class_names"):
        names = tuple(str(s) for s in meta["class_names"])
    else:
        names = tuple(f"class_{i}" for i in range(n))
    if len(names) != n:
        raise ExportError(f"{len(names)} class names given for a model with {n} classes")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.export",
        description="Export EPAM-Net to ONNX with metadata; --check compares with PyTorch.",
    )
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", type=Path, help="training checkpoint (.pt)")
    src.add_argument("--random-init", action="store_true", help="random weights (for tests)")
    parser.add_argument("--classes", type=int, help="number of classes (with --random-init)")
    parser.add_argument("--out", type=Path, required=True, help="output .onnx file")
    parser.add_argument("--check", action="store_true", help="compare with PyTorch in ORT")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help="max logit difference for --check, relative to the largest "
                        f"|logit| when that exceeds 1 (default {DEFAULT_TOLERANCE})")
    parser.add_argument("--label-set", help="class names from a label set (ntu60, toyota, adl)")
    parser.add_argument("--class-names", help="comma-separated class names")
    parser.add_argument("--sample-rate", type=float, help="window sample rate in Hz (default: "
                        "the checkpoint's, else 15)")
    parser.add_argument("--sampling", choices=("rate", "uniform"),
                        help="how training sampled clips (default: the checkpoint's, else rate)")
    parser.add_argument("--name", default="EPAM-Net", help="model name in the metadata")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    parser.add_argument("--seed", type=int, default=0, help="seed for --random-init")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    try:
        if args.random_init:
            if args.classes is None:
                if args.label_set:
                    args.classes = len(get_label_set(args.label_set))
                else:
                    parser.error("--random-init needs --classes N (or --label-set)")
            if args.classes < 1:
                parser.error("--classes must be at least 1")
            torch.manual_seed(args.seed)
            model = build_epamnet(args.classes).eval()
            meta: dict[str, Any] = {"source": "random-init", "seed": args.seed}
        else:
            model, meta = load_checkpoint(args.checkpoint)
            meta["source"] = str(args.checkpoint)
        names = _class_names(args, meta, model.num_classes)
        provenance: dict[str, Any] = portable_provenance({
            k: v for k, v in meta.items() if k not in ("class_names",)
            and isinstance(v, str | int | float | bool | list | dict)
        })
        provenance.update(
            exported_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            torch=torch.__version__,
            git_commit=_git_commit(),
        )
        metadata = ModelMetadata(
            class_names=names,
            sample_rate_hz=float(args.sample_rate or meta.get("sample_rate_hz", 15.0)),
            sampling=str(args.sampling or meta.get("sampling", "rate")),
            model_name=args.name,
            provenance=provenance,
        )
        export_onnx(model, args.out, metadata, opset=args.opset)
        print(f"exported {args.out} ({model.num_classes} classes, "
              f"{args.out.stat().st_size / 1e6:.1f} MB)")
        if args.check:
            result = check_onnx(model, args.out, tolerance=args.tolerance)
            for name, diff in result.max_abs_diff.items():
                top = (result.scale or {}).get(name, 0.0)
                print(f"  {name:<12} max |ORT - PyTorch| = {diff:.2e} (outputs up to "
                      f"{top:.3g}, allowed {result.bound(name):.2e})")
            print(f"  top-1 agreement {result.top1_agreement:.0%} on batch {result.batch}")
            if not result.ok:
                raise ExportError(f"parity check failed: difference above {args.tolerance:g} "
                                  "(relative to the logits' magnitude)")
            print(f"check passed (tolerance {args.tolerance:g})")
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
