"""EPAM-Net in the OpenVINO runtime (CPU), with ``ModelRunner``'s contract.

The ONNX file is read directly by OpenVINO (no conversion step, no IR files to ship);
the metadata comes from the same ONNX ``metadata_props`` as for ONNX Runtime. On CPUs
with native bfloat16 (AVX-512 BF16, AMX) the ``bf16`` precision hint roughly halves the
latency of both streams; elsewhere OpenVINO runs f32. Pose-only mode compiles the
subgraph from ``pose_heatmaps`` to ``pose_logits``, so RGB never reaches the model.

Needs the ``openvino`` extra (``pip install -e .[openvino]``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from edge_app.runner import ModelError, Prediction
from model.metadata import INPUT_NAMES, ModelMetadata
from model.onnxfile import read_model

__all__ = ["OpenVINORunner", "Precision", "cpu_supports_bf16", "openvino_version"]

log = logging.getLogger(__name__)

Precision = Literal["auto", "f32", "bf16"]


def openvino_version() -> str:
    """The installed OpenVINO runtime version (raises ImportError when absent)."""
    import openvino as ov

    return str(ov.get_version())


def cpu_supports_bf16(core: Any | None = None) -> bool:
    """Whether OpenVINO's CPU plugin reports native bfloat16 on this CPU."""
    import openvino as ov

    core = core or ov.Core()
    caps = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "BF16" in [str(c).upper() for c in caps]


def cpu_name(core: Any | None = None) -> str:
    """The CPU's marketing name as OpenVINO reports it (for cache keys and reports)."""
    import openvino as ov

    core = core or ov.Core()
    return str(core.get_property("CPU", "FULL_DEVICE_NAME"))


class OpenVINORunner:
    """An EPAM-Net ONNX file in OpenVINO on the CPU.

    Args:
        path: the EPAM-Net ``.onnx`` (exported with ``deploy.export``).
        threads: inference threads; 0 = OpenVINO's default (all physical cores).
        precision: ``auto`` (bf16 where the CPU has it natively, else f32), ``f32`` or
            ``bf16`` (a hint: OpenVINO runs f32 on CPUs without bf16).
        cache_dir: OpenVINO's compiled-model cache (faster second start); None = off.

    ``predict`` is safe to call from one thread at a time (the pipeline's inference
    worker); a lock guards the infer requests anyway.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        threads: int = 0,
        precision: Precision = "auto",
        cache_dir: str | Path | None = None,
    ) -> None:
        try:
            import openvino as ov
        except ImportError as exc:
            raise ModelError("the OpenVINO backend needs the openvino package: "
                             "pip install -e '.[openvino]'") from exc
        import onnx

        self.path = Path(path)
        data = read_model(self.path)
        self.sha256 = hashlib.sha256(data).hexdigest()
        try:
            proto = onnx.load_model_from_string(data)
        except Exception as exc:  # onnx raises DecodeError and friends
            raise ModelError(f"model file {self.path} is not a readable ONNX file ({exc}); "
                             "is it truncated? Copy or export it again") from exc
        try:
            self.metadata = ModelMetadata.from_props({p.key: p.value
                                                      for p in proto.metadata_props})
        except ValueError as exc:
            raise ModelError(f"model file {self.path}: {exc}") from exc
        del proto
        self._core = ov.Core()
        if cache_dir:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            self._core.set_property({"CACHE_DIR": str(cache_dir)})
        try:
            self._model = self._core.read_model(str(self.path))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses
            raise ModelError(f"OpenVINO cannot read {self.path}: "
                             f"{str(exc).splitlines()[0][:200]}") from exc
        names = [i.get_any_name() for i in self._model.inputs]
        if names != list(INPUT_NAMES):
            raise ModelError(f"model file {self.path} has inputs {names}, not "
                             f"{list(INPUT_NAMES)}: it is not an EPAM-Net export")
        # The edge runs one window at a time: static shapes let the CPU plugin plan
        # every layer (measured 1.46x vs 0.93x of ORT's dynamic-batch session for a
        # whole window, benchmarks/backends.py).
        self._model.reshape({i.get_any_name(): [1, *[d.get_length() for d in
                                                   list(i.get_partial_shape())[1:]]]
                             for i in self._model.inputs})
        bf16 = precision == "bf16" or (precision == "auto" and cpu_supports_bf16(self._core))
        self._config: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
            "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
        }
        if threads:
            self._config["INFERENCE_NUM_THREADS"] = int(threads)
        self._compiled = self._core.compile_model(self._model, "CPU", self._config)
        self.precision = self._effective_precision(self._compiled)
        self._request = self._compiled.create_infer_request()
        self._pose_request: Any | None = None
        self._lock = threading.Lock()
        self.providers = [f"OpenVINO CPU {self.precision}"]
        log.info("model %s (%d classes) on OpenVINO %s CPU, %s", self.path.name,
                 self.metadata.num_classes, openvino_version(), self.precision)

    @staticmethod
    def _effective_precision(compiled: Any) -> str:
        """What the CPU plugin actually runs (a bf16 hint falls back to f32 without BF16)."""
        try:
            value = str(compiled.get_property("INFERENCE_PRECISION_HINT"))
        except RuntimeError:
            return "f32"
        value = value.lower()
        return "bf16" if "bf16" in value or "bfloat16" in value else "f32"

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.metadata.class_names

    @property
    def untrained(self) -> bool:
        return self.metadata.untrained

    @property
    def rgb_trained(self) -> bool:
        return self.metadata.rgb_trained

    def _pose_only_request(self) -> Any:
        if self._pose_request is None:
            import openvino as ov

            sub = ov.Model([self._model.output("pose_logits")],
                           [self._model.input("pose_heatmaps").get_node()], "epamnet_pose")
            compiled = self._core.compile_model(sub, "CPU", self._config)
            self._pose_request = compiled.create_infer_request()
            log.info("OpenVINO pose-only subgraph ready (RGB input removed)")
        return self._pose_request

    def predict(
        self, pose: npt.NDArray[np.float32], rgb: npt.NDArray[np.float32] | None
    ) -> Prediction:
        """Logits for one window: pose ``(17, 48, 56, 56)``, rgb ``(3, 16, 224, 224)`` or None."""
        t0 = time.perf_counter()
        with self._lock:
            if rgb is None:
                out = self._pose_only_request().infer({"pose_heatmaps": pose[None]})
                logits = np.asarray(out["pose_logits"][0], dtype=np.float32)
            else:
                out = self._request.infer({"pose_heatmaps": pose[None], "rgb": rgb[None]})
                logits = np.asarray(out["scores"][0], dtype=np.float32)
        return Prediction(logits.copy(), rgb is None, (time.perf_counter() - t0) * 1e3)
