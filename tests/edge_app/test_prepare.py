from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edge_app.prepare import main
from tests.deploy.conftest import write_tiny_epamnet


def _has_tensorrt() -> bool:
    import onnxruntime as ort

    return "TensorrtExecutionProvider" in ort.get_available_providers()


def test_data_dir_is_the_app_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EPAM_DATA_DIR", str(tmp_path / "env"))
    assert main(["data-dir"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'env'}\n"
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data_dir: ${SITE:-/srv}/epam\n")
    monkeypatch.setenv("SITE", str(tmp_path / "site"))
    assert main(["data-dir", f"--config={cfg}"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'site' / 'epam'}\n"


def test_a_bad_config_is_one_error_line(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data_dri: /x\n")
    assert main(["data-dir", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: invalid configuration") and "Did you mean 'data_dir'" in err


@pytest.mark.skipif(_has_tensorrt(), reason="ONNX Runtime has TensorRT here")
def test_warm_without_tensorrt_says_so_and_runs_nothing(tmp_path: Path) -> None:
    model = write_tiny_epamnet(tmp_path / "t.onnx")
    proc = subprocess.run([sys.executable, "-m", "edge_app.prepare", "warm",
                           "--cache-dir", str(tmp_path / "trt"), "--", str(model)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines()[-1].startswith(
        "error: ONNX Runtime has no TensorRT provider here (it runs on CPUExecutionProvider)")
    assert not (tmp_path / "trt").exists()


def test_warm_a_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["warm", "--cache-dir", str(tmp_path / "trt"), str(tmp_path / "no.onnx")]) == 1
    assert capsys.readouterr().err.startswith(
        f"error: model file {tmp_path / 'no.onnx'} does not exist")


@pytest.mark.gpu
@pytest.mark.skipif(not _has_tensorrt(), reason="needs ONNX Runtime with TensorRT")
def test_warm_fills_the_cache_the_runner_reads(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    model = write_tiny_epamnet(tmp_path / "t.onnx")
    assert main(["warm", "--cache-dir", str(tmp_path / "trt"), str(model)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "TensorrtExecutionProvider"
    assert any((tmp_path / "trt").iterdir())


def test_the_app_and_the_model_store_share_the_model_error() -> None:
    import edge_app.runner
    import model.onnxfile

    assert edge_app.runner.ModelError is model.onnxfile.ModelError
