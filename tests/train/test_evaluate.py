from __future__ import annotations

import json
from pathlib import Path

import pytest

from train.evaluate import format_summary, run_eval


def test_run_eval_writes_the_report(pose_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    metrics = run_eval(pose_run, split="val", out_dir=out, batch_size=3, workers=0)
    assert metrics["count"] == 3 and metrics["phase"] == "pose"
    for name in ("metrics.json", "confusion.png", "confusion.csv", "predictions.csv"):
        assert (out / name).stat().st_size > 0
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["top1"] == metrics["top1"]
    assert sum(map(sum, saved["confusion_matrix"])) == 3
    assert set(saved["per_class_accuracy"]) == {"raise one arm", "raise both arms", "squat"}
    assert (out / "predictions.csv").read_text().count("\n") == 4
    text = format_summary(metrics)
    assert "top-1" in text and "chance (uniform guess): 33.33%" in text


def test_run_eval_all_clips_and_bad_split(pose_run: Path, tmp_path: Path) -> None:
    assert run_eval(pose_run, split="all", out_dir=tmp_path / "a", batch_size=6,
                    workers=0)["count"] == 6
    from train.pyskl import DatasetError

    with pytest.raises(DatasetError, match="not in the annotation file"):
        run_eval(pose_run, split="test", out_dir=tmp_path / "b")
