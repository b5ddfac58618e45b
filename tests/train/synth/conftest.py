"""Fixtures for the synthetic generator tests: one small keypoint-only data set."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from train.synth.generate import SynthConfig, generate_dataset

SMALL = SynthConfig(clips_per_class=6, seed=11, video=False, subjects=12)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """``(folder, annotations.pkl content)`` of 8 classes x 6 clips, no video."""
    out = tmp_path_factory.mktemp("synth_small")
    generate_dataset(SMALL, out)
    with (out / "annotations.pkl").open("rb") as f:
        data: dict[str, Any] = pickle.load(f)
    return out, data
