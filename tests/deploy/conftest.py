from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model import contract as C
from model.metadata import ModelMetadata

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_MODEL = ROOT / "assets" / "models" / "epamnet_adl.onnx"
DEMO_VIDEO = ROOT / "assets" / "demo" / "one-by-one-person-detection.mp4"


def write_tiny_epamnet(path: Path, classes: int = 4, seed: int = 0) -> Path:
    """A cheap ONNX file with EPAM-Net's inputs, outputs and metadata (for fast tests).

    pose_logits = mean over (T, H, W) of the heatmaps @ W_pose; rgb_logits likewise from
    the RGB input; scores = rgb_logits + pose_logits (outputs read by another node, as in
    the real export).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w_pose = rng.normal(size=(C.NUM_KEYPOINTS, classes)).astype(np.float32)
    w_rgb = rng.normal(size=(3, classes)).astype(np.float32)
    nodes = [
        helper.make_node("ReduceMean", ["pose_heatmaps"], ["p"], axes=[2, 3, 4], keepdims=0),
        helper.make_node("MatMul", ["p", "w_pose"], ["pose_logits"]),
        helper.make_node("ReduceMean", ["rgb"], ["r"], axes=[2, 3, 4], keepdims=0),
        helper.make_node("MatMul", ["r", "w_rgb"], ["rgb_logits"]),
        helper.make_node("Add", ["rgb_logits", "pose_logits"], ["scores"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("pose_heatmaps", TensorProto.FLOAT,
                                       ["batch", C.NUM_KEYPOINTS, C.CLIP_LEN, C.HEATMAP_SIZE,
                                        C.HEATMAP_SIZE]),
         helper.make_tensor_value_info("rgb", TensorProto.FLOAT,
                                       ["batch", 3, C.RGB_FRAMES, C.RGB_SIZE, C.RGB_SIZE])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", classes])
         for n in ("scores", "rgb_logits", "pose_logits")],
        [numpy_helper.from_array(w_pose, "w_pose"), numpy_helper.from_array(w_rgb, "w_rgb")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = ModelMetadata(class_names=tuple(f"c{i}" for i in range(classes)),
                         provenance={"source": "test"})
    for key, value in meta.to_props().items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


@pytest.fixture()
def tiny_model(tmp_path: Path) -> Path:
    return write_tiny_epamnet(tmp_path / "tiny.onnx")


def random_windows(n: int, seed: int = 0) -> object:
    from deploy.calibration import WindowSet

    rng = np.random.default_rng(seed)
    # blocky (8x8 pixels of one value): cheap to compress when a test saves them
    pose = rng.random((n, C.NUM_KEYPOINTS, C.CLIP_LEN, C.HEATMAP_SIZE // 8, C.HEATMAP_SIZE // 8),
                      dtype=np.float32).repeat(8, axis=-1).repeat(8, axis=-2)
    rgb = rng.standard_normal((n, 3, C.RGB_FRAMES, C.RGB_SIZE // 8, C.RGB_SIZE // 8),
                              dtype=np.float32).repeat(8, axis=-1).repeat(8, axis=-2)
    return WindowSet(pose, rgb, np.arange(n, dtype=np.float64), "random")
