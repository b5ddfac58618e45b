from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from edge_app.runner import ModelError
from tests.deploy.conftest import BUNDLED_MODEL, write_tiny_epamnet

pytest.importorskip("openvino")

from edge_app.backends.openvino import OpenVINORunner


def _inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.random((17, 48, 56, 56), dtype=np.float32),
            rng.standard_normal((3, 16, 224, 224), dtype=np.float32))


def test_same_contract_and_logits_as_onnxruntime(tmp_path: Path) -> None:
    path = write_tiny_epamnet(tmp_path / "t.onnx")
    runner = OpenVINORunner(path, threads=1, precision="f32", cache_dir=tmp_path / "ov")
    assert runner.class_names == ("c0", "c1", "c2", "c3") and not runner.untrained
    assert runner.providers == ["OpenVINO CPU f32"] and runner.precision == "f32"
    pose, rgb = _inputs()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ref = sess.run(None, {"pose_heatmaps": pose[None], "rgb": rgb[None]})
    full = runner.predict(pose, rgb)
    assert not full.pose_only and full.latency_ms > 0 and full.logits.dtype == np.float32
    np.testing.assert_allclose(full.logits, ref[0][0], atol=1e-5)
    pose_only = runner.predict(pose, None)
    assert pose_only.pose_only
    np.testing.assert_allclose(pose_only.logits, ref[2][0], atol=1e-5)


def test_bf16_hint_reports_what_ran(tmp_path: Path) -> None:
    from edge_app.backends.openvino import cpu_supports_bf16

    runner = OpenVINORunner(write_tiny_epamnet(tmp_path / "t.onnx"), precision="bf16")
    assert runner.precision == ("bf16" if cpu_supports_bf16() else "f32")


def test_bad_files_raise_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        OpenVINORunner(tmp_path / "missing.onnx")
    good = write_tiny_epamnet(tmp_path / "t.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(good.read_bytes()[:300])
    with pytest.raises(ModelError):
        OpenVINORunner(bad)


@pytest.mark.slow
def test_bundled_epamnet_matches_onnxruntime() -> None:
    runner = OpenVINORunner(BUNDLED_MODEL, threads=2, precision="f32")
    assert not runner.untrained and not runner.rgb_trained  # the bundled pose-only model
    pose, rgb = _inputs(1)
    sess = ort.InferenceSession(str(BUNDLED_MODEL), providers=["CPUExecutionProvider"])
    ref = sess.run(["scores"], {"pose_heatmaps": pose[None], "rgb": rgb[None]})[0][0]
    got = runner.predict(pose, rgb).logits
    np.testing.assert_allclose(got, ref, atol=1e-4 * max(1.0, float(np.abs(ref).max())))
