from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_app.backends import factory
from edge_app.backends.factory import InferenceRunner, make_runner
from edge_app.config import load_config
from edge_app.runner import ModelError, ModelRunner
from tests.deploy.conftest import write_tiny_epamnet

pytest.importorskip("openvino")

from edge_app.backends.openvino import OpenVINORunner


def _fake_measure(times: dict[str, float]) -> object:
    calls: list[str] = []

    def measure(runner: InferenceRunner) -> float:
        kind = "openvino" if isinstance(runner, OpenVINORunner) else "onnxruntime"
        calls.append(kind)
        return times[kind]

    measure.calls = calls  # type: ignore[attr-defined]
    return measure


def test_auto_measures_once_then_uses_the_cached_choice(tmp_path: Path) -> None:
    model = write_tiny_epamnet(tmp_path / "t.onnx")
    cfg = load_config(overrides=[f"data_dir={tmp_path / 'data'}", "model.providers=[cpu]"])
    measure = _fake_measure({"onnxruntime": 100.0, "openvino": 60.0})
    first = make_runner(cfg, model, measure=measure)  # type: ignore[arg-type]
    assert isinstance(first, OpenVINORunner)
    assert measure.calls == ["onnxruntime", "openvino"]  # type: ignore[attr-defined]
    cache = json.loads((tmp_path / "data" / "backend_choice.json").read_text())
    (entry,) = cache.values()
    assert entry["backend"] == "openvino" and entry["onnxruntime_ms"] == 100.0
    second = make_runner(cfg, model, measure=measure)  # type: ignore[arg-type]
    assert isinstance(second, OpenVINORunner)
    assert len(measure.calls) == 2  # type: ignore[attr-defined]


def test_auto_keeps_onnxruntime_unless_openvino_is_clearly_faster(tmp_path: Path) -> None:
    model = write_tiny_epamnet(tmp_path / "t.onnx")
    cfg = load_config(overrides=[f"data_dir={tmp_path / 'data'}"])
    measure = _fake_measure({"onnxruntime": 100.0, "openvino": 97.0})
    runner = make_runner(cfg, model, measure=measure)  # type: ignore[arg-type]
    assert isinstance(runner, ModelRunner)


def test_forced_backends_and_accelerators_skip_measuring(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    model = write_tiny_epamnet(tmp_path / "t.onnx")
    cfg = load_config(overrides=[f"data_dir={tmp_path / 'data'}"])
    never = _fake_measure({})
    assert isinstance(make_runner(cfg, model, backend="openvino", measure=never),  # type: ignore[arg-type]
                      OpenVINORunner)
    assert isinstance(make_runner(cfg, model, backend="onnxruntime", measure=never),  # type: ignore[arg-type]
                      ModelRunner)
    # a GPU provider available: ONNX Runtime, no measurement
    monkeypatch.setattr(factory, "choose_providers",
                        lambda pref, avail: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert isinstance(make_runner(cfg, model, measure=never), ModelRunner)  # type: ignore[arg-type]
    assert never.calls == []  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown backend"):
        make_runner(cfg, model, backend="tflite")  # type: ignore[arg-type]


def test_missing_model_is_a_model_error(tmp_path: Path) -> None:
    cfg = load_config(overrides=[f"data_dir={tmp_path / 'data'}"])
    with pytest.raises(ModelError):
        make_runner(cfg, tmp_path / "missing.onnx")


def test_real_measurement_on_the_tiny_model(tmp_path: Path) -> None:
    model = write_tiny_epamnet(tmp_path / "t.onnx")
    runner = OpenVINORunner(model, threads=1)
    assert factory.measure_latency_ms(runner, warmup=1, repeats=2) > 0
