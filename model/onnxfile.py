"""An exported EPAM-Net ONNX file in ONNX Runtime: opened and checked as the edge opens it.

The edge runtime (``edge_app.runner``) and the device's model store (``deploy.models``)
both open model files through these functions, so a model that ``deploy`` accepts is one
the app loads, refused with the same messages: the file exists, ONNX Runtime loads it
(not truncated), its inputs are the contract's (``model.metadata.INPUT_NAMES``), its
metadata parses and every output gives one score per class.

numpy and onnxruntime only (imported when used); never torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.metadata import BATCH_DIM, INPUT_NAMES, Geometry, ModelMetadata

__all__ = [
    "ModelError",
    "blank_window",
    "check_session",
    "open_session",
    "read_model",
    "session_options",
]


class ModelError(RuntimeError):
    """The model file is missing, truncated, or not an EPAM-Net export."""


def read_model(path: Path) -> bytes:
    """The bytes of the model file ``path``; ``ModelError`` when there is none."""
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist; set model.path or "
                         "--model to an EPAM-Net .onnx exported with deploy.export")
    return path.read_bytes()


def session_options(*, threads: int = 0, batch: int | None = 1) -> Any:
    """ONNX Runtime session options of the edge: all graph optimisations, ``threads``
    intra-op threads (0: ONNX Runtime's choice), quiet, and the batch fixed to ``batch``."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    if batch is not None:
        # The edge runs one window at a time. A fixed batch makes every shape static,
        # so ONNX Runtime folds the exported graph's shape arithmetic away (about
        # 1100 -> 480 nodes in the pose stream); None keeps the file's dynamic batch.
        opts.add_free_dimension_override_by_name(BATCH_DIM, int(batch))
    return opts


def open_session(data: bytes, path: Path, opts: Any,
                 providers: Sequence[str | tuple[str, dict[str, object]]]) -> Any:
    """An ``onnxruntime.InferenceSession`` of the model bytes ``data`` (read from ``path``);
    ``ModelError`` when ONNX Runtime cannot load them."""
    import onnxruntime as ort

    try:
        return ort.InferenceSession(data, opts, providers=list(providers))
    except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf types
        raise ModelError(f"model file {path} cannot be loaded by ONNX Runtime "
                         f"({str(exc).splitlines()[0][:200]}); is it truncated? "
                         "Copy or export it again") from exc


def check_session(session: Any, path: Path) -> ModelMetadata:
    """The metadata of the EPAM-Net export loaded in ``session``; ``ModelError`` when its
    inputs are not the contract's, its metadata is missing or malformed, or an output's
    width is not its number of classes."""
    names = [i.name for i in session.get_inputs()]
    if names != list(INPUT_NAMES):
        raise ModelError(f"model file {path} has inputs {names}, not "
                         f"{list(INPUT_NAMES)}: it is not an EPAM-Net export")
    try:
        metadata = ModelMetadata.from_props(session.get_modelmeta().custom_metadata_map)
    except ValueError as exc:
        raise ModelError(f"model file {path}: {exc}") from exc
    for out in session.get_outputs():
        width = out.shape[-1] if out.shape else None
        if isinstance(width, int) and width != metadata.num_classes:
            raise ModelError(
                f"model file {path}: output {out.name} gives {width} scores but its "
                f"metadata names {metadata.num_classes} classes "
                f"({', '.join(metadata.class_names)}); export it again with its "
                "own class list (python -m deploy.export)")
    return metadata


def blank_window(
    geometry: Geometry,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """An all-zero window (pose heatmaps, RGB clip) of ``geometry``, without the batch axis:
    the cheapest input that runs every node of the model."""
    return (np.zeros(geometry.pose_shape, np.float32),
            np.zeros(geometry.rgb_shape, np.float32))
