from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from edge_app.runner import InferenceWorker, ModelError, ModelRunner, choose_providers, softmax
from model.labels import ADL_CLASSES


def test_runner_reads_metadata_and_pose_only_matches(random_model: Path) -> None:
    runner = ModelRunner(random_model, providers=["tensorrt", "cuda", "cpu"])
    assert runner.class_names == ADL_CLASSES
    assert runner.metadata.sample_rate_hz == 15.0
    assert runner.providers[0] == "CPUExecutionProvider" and runner.untrained
    rng = np.random.default_rng(0)
    pose = rng.random((17, 48, 56, 56), dtype=np.float32)
    rgb = rng.standard_normal((3, 16, 224, 224), dtype=np.float32)
    full = runner.session.run(None, {"pose_heatmaps": pose[None], "rgb": rgb[None]})
    fused = runner.predict(pose, rgb)
    np.testing.assert_allclose(fused.logits, full[0][0], atol=1e-5)
    pose_only = runner.predict(pose, None)
    assert pose_only.pose_only and not fused.pose_only
    np.testing.assert_allclose(pose_only.logits, full[2][0], atol=1e-5)
    # the pose-only graph has no RGB input at all
    assert [i.name for i in runner._pose_only_session().get_inputs()] == ["pose_heatmaps"]  # type: ignore[attr-defined]


def test_bad_model_files_are_clear_errors(tmp_path: Path, random_model: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        ModelRunner(tmp_path / "none.onnx")
    truncated = tmp_path / "t.onnx"
    truncated.write_bytes(random_model.read_bytes()[:5000])
    with pytest.raises(ModelError, match="truncated"):
        ModelRunner(truncated)


def test_a_model_whose_outputs_do_not_match_its_class_names_is_refused(
        tmp_path: Path, random_model: Path) -> None:
    """Five names for eight scores: refused at load with both counts, not an IndexError
    on every window while the app reports itself healthy."""
    import json

    import onnx

    m = onnx.load(str(random_model))
    for prop in m.metadata_props:
        if prop.key == "class_names":
            prop.value = json.dumps(list(ADL_CLASSES[:5]))
    bad = tmp_path / "five_names.onnx"
    onnx.save(m, str(bad))
    with pytest.raises(ModelError, match=r"gives 8 scores but its metadata names 5 classes"):
        ModelRunner(bad)


def test_provider_choice() -> None:
    avail = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers(["tensorrt", "cuda", "cpu"], avail) == avail
    assert choose_providers(["cuda"], ["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    p = softmax(np.array([[0.0, 0.0], [10.0, 0.0]], np.float32))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)


def test_worker_skips_instead_of_queueing() -> None:
    seen: list[int] = []
    gate = threading.Event()

    def slow(job: object) -> None:
        gate.wait(2.0)
        seen.append(int(job))  # type: ignore[call-overload]

    worker = InferenceWorker(slow)
    for i in range(10):
        worker.submit(i)
        time.sleep(0.01)
    gate.set()
    worker.stop()
    # the first job ran, the newest waited; everything between was skipped, never queued
    assert seen[0] == 0 and seen[-1] == 9 and len(seen) == 2
    assert worker.skipped == 8


def test_worker_blocking_evaluates_every_job() -> None:
    seen: list[int] = []
    worker = InferenceWorker(lambda j: (time.sleep(0.01), seen.append(int(j))))  # type: ignore[call-overload, func-returns-value]
    for i in range(10):
        worker.submit(i, block=True)
    worker.stop()
    assert seen == list(range(10)) and worker.skipped == 0
