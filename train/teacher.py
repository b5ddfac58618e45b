"""A distillation teacher given as an exported ONNX model (``distill.teacher: X.onnx``).

The pose stream's logits come from ONNX Runtime on the CPU, on the same batch as the
student's: a model whose training checkpoint is gone (the shipped
``assets/models/epamnet_adl.onnx``) can still be the reference a fine-tune keeps close to.
Pose phase only, at the contract's geometry; its class names come from the ONNX metadata.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn

from model.metadata import Geometry, ModelMetadata
from train.checkpoint import CheckpointError

__all__ = ["OnnxPoseTeacher"]

log = logging.getLogger(__name__)


class OnnxPoseTeacher(nn.Module):
    """``teacher(pose)`` -> pose logits ``(N, C)`` from an EPAM-Net ONNX file (no gradients).

    Args:
        path: the ``.onnx`` file (``deploy.export`` output, with its metadata).
        class_names: the run's classes; the model's must be the same, in order.
        threads: ONNX Runtime intra-op threads (the trainer's ``runtime.threads``).
    """

    def __init__(self, path: Path, class_names: list[str], *, threads: int | None = None) -> None:
        super().__init__()
        import onnx
        import onnx.utils
        import onnxruntime as ort

        what = f"distill.teacher {path}"
        try:
            model = onnx.load(str(path))
        except Exception as exc:  # onnx raises DecodeError and others for a bad file
            raise CheckpointError(f"{what} cannot be read as ONNX ({exc.__class__.__name__}); "
                                  "it is truncated or not a model file") from exc
        try:
            meta = ModelMetadata.from_props({p.key: p.value for p in model.metadata_props})
        except (KeyError, ValueError) as exc:
            raise CheckpointError(f"{what} has no EPAM-Net metadata ({exc}); export it with "
                                  "python -m deploy.export") from exc
        if list(meta.class_names) != class_names:
            raise CheckpointError(f"{what} has other classes than this run "
                                  f"({list(meta.class_names)} vs {class_names})")
        if meta.geometry.pose_shape != Geometry().pose_shape:
            raise CheckpointError(f"{what} takes pose input {meta.geometry.pose_shape}, not "
                                  f"the contract's {Geometry().pose_shape}")
        if "pose" not in meta.provenance.get("trained_streams", ["pose", "rgb"]):
            raise CheckpointError(f"{what} did not train the pose stream")
        sub = onnx.utils.Extractor(model).extract_model(["pose_heatmaps"], ["pose_logits"])
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(sub.SerializeToString(), opts,
                                            providers=["CPUExecutionProvider"])
        self.meta = meta
        self.eval()
        log.info("ONNX teacher %s (pose logits, ONNX Runtime CPU)", path)

    @torch.no_grad()
    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        x = np.ascontiguousarray(pose.detach().float().cpu().numpy())
        out = self.session.run(["pose_logits"], {"pose_heatmaps": x})[0]
        return torch.from_numpy(np.asarray(out, dtype=np.float32)).to(pose.device)
