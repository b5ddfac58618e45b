from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_VIDEO = ROOT / "assets" / "demo" / "one-by-one-person-detection.mp4"
POSE_MODEL = ROOT / "assets" / "models" / "pose_landmarker_full.task"


@pytest.fixture(scope="session")
def random_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An EPAM-Net ONNX file with random weights and the ADL classes (exported once)."""
    import torch

    from deploy.export import export_onnx
    from model.epamnet import build_epamnet
    from model.labels import ADL_CLASSES
    from model.metadata import ModelMetadata

    torch.manual_seed(0)
    net = build_epamnet(len(ADL_CLASSES)).eval()
    path = tmp_path_factory.mktemp("model") / "random_adl.onnx"
    export_onnx(net, path, ModelMetadata(class_names=ADL_CLASSES,
                                         provenance={"source": "random-init"}))
    return path


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir (event store, logs) for one test."""
    d = tmp_path / "data"
    monkeypatch.setenv("EPAM_DATA_DIR", str(d))
    return d
