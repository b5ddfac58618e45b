from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from deploy.tensorrt import (
    BuildSpec,
    DeviceInfo,
    TensorRTError,
    build_engine,
    cache_key,
    detect_device,
    main,
    parse_trt_version,
    trtexec_command,
)
from model.files import file_sha256

FAKE_TRTEXEC = """#!/bin/sh
# A stand-in for trtexec: prints TensorRT's banner, writes --saveEngine, reports latency.
echo "&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec $*"
echo "$*" >> "$(dirname "$0")/calls.log"
[ "$FAIL" = 1 ] && { echo "[E] Error[4]: parse failed"; exit 1; }
for a in "$@"; do
  case "$a" in --saveEngine=*) printf 'engine' > "${a#--saveEngine=}";; esac
done
echo "[I] GPU Compute Time: min = 3.1 ms, max = 4.2 ms, mean = 3.4 ms, median = 3.35 ms"
"""
FAKE_SMI = """#!/bin/sh
echo "NVIDIA GeForce RTX 4060 Laptop GPU"
"""


def _exe(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture()
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _exe(bin_dir / "trtexec", FAKE_TRTEXEC)
    _exe(bin_dir / "nvidia-smi", FAKE_SMI)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("TRTEXEC", raising=False)
    return bin_dir


def test_parse_trt_versions() -> None:
    assert parse_trt_version("[TensorRT v100300] # trtexec") == "10.3.0"
    assert parse_trt_version("&&&& RUNNING TensorRT.trtexec [TensorRT v8601]") == "8.6.1"
    assert parse_trt_version("[TensorRT v8502]") == "8.5.2"
    assert parse_trt_version("10.7.0.23-1+cuda12.6") == "10.7.0"
    assert parse_trt_version("nothing") is None


def test_detect_device_with_fake_tools(fake_bin: Path) -> None:
    dev = detect_device()
    assert dev.gpu == "NVIDIA GeForce RTX 4060 Laptop GPU"
    assert dev.gpu_slug == "geforce-rtx-4060-laptop-gpu"
    assert dev.trt_version == "10.3.0"
    assert dev.trtexec == str(fake_bin / "trtexec")


def test_cache_key_changes_with_model_gpu_and_trt() -> None:
    a = DeviceInfo("NVIDIA Jetson Orin Nano Developer Kit", "10.3.0", "trtexec")
    b = DeviceInfo("NVIDIA Jetson AGX Orin", "10.3.0", "trtexec")
    c = DeviceInfo("NVIDIA Jetson Orin Nano Developer Kit", "8.6.2", "trtexec")
    key = cache_key("ab" * 32, a)
    assert key == "abababababababab_jetson-orin-nano-developer-kit_trt10.3.0"
    assert len({key, cache_key("cd" * 32, a), cache_key("ab" * 32, b),
                cache_key("ab" * 32, c)}) == 4


def test_trtexec_command_tensorrt10_fp16_dynamic_batch(tmp_path: Path) -> None:
    cmd = trtexec_command("trtexec", Path("m.onnx"), Path("m.engine"),
                          BuildSpec(opt_batch=2, max_batch=8, workspace_mb=1024))
    assert cmd[:3] == ["trtexec", "--onnx=m.onnx", "--saveEngine=m.engine"]
    assert "--minShapes=pose_heatmaps:1x17x48x56x56,rgb:1x3x16x224x224" in cmd
    assert "--optShapes=pose_heatmaps:2x17x48x56x56,rgb:2x3x16x224x224" in cmd
    assert "--maxShapes=pose_heatmaps:8x17x48x56x56,rgb:8x3x16x224x224" in cmd
    assert "--memPoolSize=workspace:1024" in cmd and "--fp16" in cmd
    assert not any(c.startswith("--workspace=") for c in cmd)


def test_trtexec_command_int8_and_old_tensorrt() -> None:
    spec = BuildSpec(precision="int8", calib_cache=Path("calib.cache"))
    cmd = trtexec_command("trtexec", Path("m.onnx"), Path("m.engine"), spec,
                          trt_version="8.2.1")
    assert {"--int8", "--fp16", "--calib=calib.cache", "--workspace=2048"} <= set(cmd)
    with pytest.raises(TensorRTError, match="calib-cache"):
        BuildSpec(precision="int8")
    with pytest.raises(TensorRTError, match="batch"):
        BuildSpec(opt_batch=5, max_batch=4)


def test_build_caches_by_key_and_reports_latency(fake_bin: Path, tiny_model: Path,
                                                 tmp_path: Path) -> None:
    root = tmp_path / "engines"
    first = build_engine(tiny_model, root, BuildSpec())
    assert not first.cached and first.engine.read_bytes() == b"engine"
    assert first.gpu_median_ms == pytest.approx(3.35)
    key = first.engine.parent.name
    assert key.startswith(file_sha256(tiny_model)[:16])
    assert key.endswith("_geforce-rtx-4060-laptop-gpu_trt10.3.0")
    assert (first.engine.parent / "build.json").is_file()
    assert not list(first.engine.parent.glob("*.tmp"))
    second = build_engine(tiny_model, root, BuildSpec())
    assert second.cached and second.engine == first.engine
    assert second.gpu_median_ms == pytest.approx(3.35)
    builds = [c for c in (fake_bin / "calls.log").read_text().splitlines() if "--onnx=" in c]
    assert len(builds) == 1  # built once; the second call found the cache
    fp32 = build_engine(tiny_model, root, BuildSpec(precision="fp32"))
    assert not fp32.cached and fp32.engine != first.engine


def test_failed_build_leaves_no_engine(fake_bin: Path, tiny_model: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIL", "1")
    with pytest.raises(TensorRTError, match="parse failed"):
        build_engine(tiny_model, tmp_path / "e", BuildSpec())
    assert not list((tmp_path / "e").rglob("*.engine"))


def test_cli_dry_run_and_missing_trtexec(tiny_model: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no trtexec, no nvidia-smi
    monkeypatch.delenv("TRTEXEC", raising=False)
    monkeypatch.setattr("deploy.tensorrt.JETSON_TRTEXEC", tmp_path / "none")
    assert main(["build", "--onnx", str(tiny_model), "--cache-dir", str(tmp_path / "c"),
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("trtexec --onnx=") and "(dry run)" in out
    assert main(["build", "--onnx", str(tiny_model), "--cache-dir", str(tmp_path / "c")]) == 1
    assert "trtexec not found" in capsys.readouterr().err


def test_warm_needs_onnx_runtime_s_tensorrt(tiny_model: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import onnxruntime as ort

    if "TensorrtExecutionProvider" in ort.get_available_providers():
        pytest.skip("ONNX Runtime has TensorRT here")
    assert main(["warm", "--onnx", str(tiny_model),
                 "--trt-cache-dir", str(tmp_path / "trt")]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: ONNX Runtime has no TensorRT provider here (it runs on CPUExecutionProvider); "
        "install onnxruntime-gpu built with TensorRT (on Jetson: the Jetson Zoo wheel)")
    assert main(["warm", "--onnx", str(tmp_path / "none.onnx"),
                 "--trt-cache-dir", str(tmp_path / "trt")]) == 1
    assert f"error: model file {tmp_path / 'none.onnx'} does not exist" in capsys.readouterr().err


def test_build_finds_the_engines_under_the_app_s_data_dir(
        tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "app.yaml"
    cfg.write_text(f"data_dir: {tmp_path / 'data'}\n")
    assert main(["build", "--onnx", str(tiny_model), "--config", str(cfg), "--dry-run"]) == 0
    assert f"would write {tmp_path / 'data' / 'engines'}" in capsys.readouterr().out
