from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from train.metrics import confusion_matrix, report, save_confusion_png


def test_hand_checked_confusion_matrix() -> None:
    # class 0: 3 clips, 2 right; class 1: 2 clips, 2 right; class 2: 1 clip, wrong; class 3: none
    labels = [0, 0, 0, 1, 1, 2]
    preds = [0, 1, 0, 1, 1, 0]
    cm = confusion_matrix(labels, preds, 4)
    assert cm.tolist() == [[2, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    r = report(labels, preds, 4)
    assert r.top1 == pytest.approx(4 / 6)
    assert r.per_class_accuracy[:3] == pytest.approx([2 / 3, 1.0, 0.0])
    assert math.isnan(r.per_class_accuracy[3])  # absent class: left out of the mean
    assert r.mean_class_accuracy == pytest.approx((2 / 3 + 1 + 0) / 3)
    d = r.as_dict(["a", "b", "c", "d"])
    assert d["per_class_accuracy"]["d"] is None and d["count"] == 6


def test_bad_inputs() -> None:
    with pytest.raises(ValueError):
        confusion_matrix([0, 1], [0], 2)
    with pytest.raises(ValueError):
        confusion_matrix([0, 5], [0, 1], 2)


def test_png(tmp_path: Path) -> None:
    cm = np.array([[3, 1], [0, 2]])
    path = save_confusion_png(cm, ["walk", "fall"], tmp_path / "cm.png", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
