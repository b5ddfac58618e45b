from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from deploy.calibration import WindowSet, load_windows
from deploy.variants import main, make_fp16, make_int8, validate_variant
from model.metadata import ModelMetadata
from tests.deploy.conftest import BUNDLED_MODEL, DEMO_VIDEO, random_windows

pytest.importorskip("onnxconverter_common")


def _props(path: Path) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def test_fp16_keeps_float32_io_and_metadata(tiny_model: Path, tmp_path: Path) -> None:
    out = make_fp16(tiny_model, tmp_path / "t.fp16.onnx")
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.type for i in sess.get_inputs()] == ["tensor(float)"] * 2
    assert [o.name for o in sess.get_outputs()] == ["scores", "rgb_logits", "pose_logits"]
    assert [o.type for o in sess.get_outputs()] == ["tensor(float)"] * 3
    props = _props(out)
    assert props["variant"] == "fp16"
    assert ModelMetadata.from_props(props).class_names == ("c0", "c1", "c2", "c3")
    windows = random_windows(3)
    assert isinstance(windows, WindowSet)
    report = validate_variant(tiny_model, out, windows, variant="fp16")
    assert report.top1_agreement == 1.0
    assert report.relative_diff["scores"] < 1e-2


def test_int8_qdq_per_channel_calibrated(tiny_model: Path, tmp_path: Path) -> None:
    windows = random_windows(4)
    assert isinstance(windows, WindowSet)
    out = make_int8(tiny_model, tmp_path / "t.int8.onnx", windows)
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    props = _props(out)
    assert props["variant"] == "int8"
    calib = json.loads(props["calibration"])
    assert calib["windows"] == 4 and calib["per_channel"] and calib["format"] == "QDQ"
    report = validate_variant(tiny_model, out, windows, variant="int8")
    assert report.windows == 4
    assert report.relative_diff["scores"] < 0.1


def test_windowset_split_and_npz_roundtrip(tmp_path: Path) -> None:
    windows = random_windows(5)
    assert isinstance(windows, WindowSet)
    calib, held = windows.split()
    assert len(calib) == 3 and len(held) == 2
    back = WindowSet.load(windows.save(tmp_path / "w.npz"))
    np.testing.assert_array_equal(back.pose, windows.pose)
    assert back.source == "random"
    with pytest.raises(ValueError):
        WindowSet(windows.pose, windows.rgb[:2], windows.end_times, "x")


def test_cli_onnx_in_fp16_out_with_report(tiny_model: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    windows = random_windows(4)
    assert isinstance(windows, WindowSet)
    npz = windows.save(tmp_path / "w.npz")
    out_dir = tmp_path / "out"
    code = main(["--onnx", str(tiny_model), "--out-dir", str(out_dir), "--fp16", "--int8",
                 "--calib", str(npz), "--min-agreement", "0.5"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert {p.name for p in out_dir.iterdir()} >= {"epamnet.onnx", "epamnet.fp16.onnx",
                                                   "epamnet.int8.onnx", "variants.json"}
    report = json.loads((out_dir / "variants.json").read_text())
    assert [r["variant"] for r in report["reports"]] == ["fp32", "fp16", "int8"]
    assert "top-1 agree" in text


def test_cli_keypoint_pickle_needs_video_root(tiny_model: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    pkl = tmp_path / "k.pkl"
    pkl.write_bytes(b"x")
    code = main(["--onnx", str(tiny_model), "--out-dir", str(tmp_path / "o"), "--int8",
                 "--calib", str(pkl)])
    assert code == 1
    assert "--video-root" in capsys.readouterr().err


def test_windows_from_demo_video_use_the_app_pipeline() -> None:
    windows = load_windows(max_windows=1)  # python -m edge_app.calibration, demo video
    assert len(windows) == 1
    assert windows.pose.shape == (1, 17, 48, 56, 56) and windows.rgb.shape == (1, 3, 16, 224, 224)
    assert 0.5 < windows.pose.max() <= 1.0  # a person's heatmaps, scaled by 0-1 scores
    assert windows.rgb.std() > 0.1  # real crops, not blanks
    assert windows.source == f"video:{DEMO_VIDEO.name}"


@pytest.mark.slow
def test_real_epamnet_variants_agree_on_real_windows(tmp_path: Path) -> None:
    """The bundled EPAM-Net: FP16 and INT8 against FP32 on real demo-video windows."""
    windows = load_windows(DEMO_VIDEO, max_windows=8)
    calib, held = windows.split()
    fp16 = make_fp16(BUNDLED_MODEL, tmp_path / "m.fp16.onnx")
    int8 = make_int8(BUNDLED_MODEL, tmp_path / "m.int8.onnx", calib)
    r16 = validate_variant(BUNDLED_MODEL, fp16, held, variant="fp16")
    r8 = validate_variant(BUNDLED_MODEL, int8, held, variant="int8")
    assert r16.top1_agreement == 1.0 and r16.relative_diff["scores"] < 0.01
    # INT8 (QDQ) of the trained pose stream on 4 calibration windows stays near FP32 but
    # not within the 99% goal (benchmarks/backends.py: 88% top-1, 0.99 of 5.85 max logit)
    assert r8.relative_diff["scores"] < 0.3
    assert r8.top1_agreement >= 0.5


def test_calibration_chunk_never_divides_the_window_count() -> None:
    from deploy.variants import _calib_options

    assert "CalibMaxIntermediateOutputs" not in _calib_options(8)
    for n in range(9, 200):
        assert n % _calib_options(n)["CalibMaxIntermediateOutputs"] != 0
