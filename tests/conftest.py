from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (research data, never committed); skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


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
