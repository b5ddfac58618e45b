"""The fusion benchmark: four answers on the same windows, from the real pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.fusion import ANSWERS, FALSE_CALLS, StreamScorer, Tally, main, section_synth
from edge_app.runner import ModelError

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "assets" / "models" / "epamnet_adl.onnx"
DEMO = ROOT / "assets" / "demo" / "one-by-one-person-detection.mp4"
NAMES = ("background", "walking", "falling")


def _logits(**tops: int) -> dict[str, np.ndarray]:
    out = {}
    for a in ANSWERS:
        v = np.zeros(3, np.float32)
        v[tops.get(a, 0)] = 1.0
        out[a] = v
    return out


def test_tally_counts_false_calls_walking_and_agreement() -> None:
    t = Tally(NAMES)
    t.add(_logits(fused=2, pose=1, rgb=2, shipped=1), label=1)
    t.add(_logits(fused=1, pose=1, rgb=0, shipped=1), label=1)
    assert len(t) == 2
    assert t.count("fused", FALSE_CALLS) == 1 and t.count("pose", FALSE_CALLS) == 0
    assert t.share("pose", ["walking"]) == 1.0 and t.share("rgb", ["walking"]) == 0.0
    assert t.agreement("fused", "shipped") == 0.5 and t.agreement("pose", "shipped") == 1.0
    assert t.top1("fused") == 0.5 and t.top1("rgb") == 0.0
    assert t.histogram("rgb") == {"falling": 1, "background": 1}


def test_a_pose_only_model_is_refused_with_the_reason() -> None:
    with pytest.raises(ModelError, match="RGB stream was not trained"):
        StreamScorer(BUNDLED, BUNDLED)
    assert main(["--model", str(BUNDLED), "--sections", "synth"]) == 2


def test_scores_are_the_graphs_outputs_and_the_baseline_pose_only(random_model: Path) -> None:
    from edge_app.runner import ModelRunner

    scorer = StreamScorer(random_model, BUNDLED)
    rng = np.random.default_rng(0)
    pose = rng.random((17, 48, 56, 56), dtype=np.float32)
    rgb = rng.standard_normal((3, 16, 224, 224), dtype=np.float32)
    out = scorer.score(pose, rgb)
    np.testing.assert_allclose(out["fused"], out["rgb"] + out["pose"], rtol=1e-4, atol=1e-4)
    shipped = ModelRunner(BUNDLED, providers=["cpu"]).predict(pose, None).logits
    np.testing.assert_allclose(out["shipped"], shipped, rtol=1e-5, atol=1e-5)


def test_video_windows_reach_all_four_answers(random_model: Path, tmp_path: Path) -> None:
    import cv2

    from benchmarks.fusion import section_videos

    folder = tmp_path / "videos" / "open"
    folder.mkdir(parents=True)
    cap = cv2.VideoCapture(str(DEMO))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 300)  # people in view
    ok, frame = cap.read()
    assert ok
    out = cv2.VideoWriter(str(folder / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0,
                          (frame.shape[1], frame.shape[0]))
    for _ in range(50):  # 5 s: a few windows
        out.write(frame)
        ok, frame = cap.read()
    out.release()
    res = section_videos(StreamScorer(random_model, BUNDLED), random_model, tmp_path)
    video = res["per_video"]["clip.avi"]
    assert res["windows"] == video["windows"] > 0
    for a in ANSWERS:
        assert sum(video["histogram"][a].values()) == video["windows"]
    assert 0.0 <= res["agreement_with_shipped"]["pose"] <= 1.0


def test_synth_section_skips_without_videos(random_model: Path, tmp_path: Path) -> None:
    scorer = StreamScorer(random_model, BUNDLED)
    assert "skipped" in section_synth(scorer, None, None)
    (tmp_path / "annotations.pkl").write_bytes(b"")
    assert "no videos" in section_synth(scorer, tmp_path, None)["skipped"]
