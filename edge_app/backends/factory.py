"""``make_runner``: ONNX Runtime or OpenVINO, whichever serves this machine best.

The rule (``backend="auto"``):

1. ONNX Runtime with the configured providers (``model.providers``). If it landed on an
   accelerator (TensorRT, CUDA, or ONNX Runtime's own OpenVINO provider) it is used.
2. On the CPU, when the ``openvino`` package is installed, both are measured once on
   one window (median after warm-up) and the faster one is kept; OpenVINO must beat
   ONNX Runtime by ``MARGIN``. The verdict is cached in ``<data_dir>/backend_choice.json``
   keyed by the model's SHA-256, the CPU, the thread count and both library versions,
   so later starts pay nothing; a new model, CPU or library measures again.

``backend="onnxruntime"`` and ``backend="openvino"`` force one.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from edge_app.config import AppConfig
from edge_app.runner import ModelRunner, Prediction, choose_providers
from model.files import file_sha256
from model.metadata import ModelMetadata

__all__ = [
    "BACKENDS",
    "MARGIN",
    "Backend",
    "InferenceRunner",
    "choice_key",
    "load_choice",
    "make_runner",
    "measure_latency_ms",
    "openvino_available",
]

log = logging.getLogger(__name__)

Backend = Literal["auto", "onnxruntime", "openvino"]
BACKENDS: tuple[Backend, ...] = ("auto", "onnxruntime", "openvino")
MARGIN = 0.95  # OpenVINO is chosen when its latency < MARGIN x ONNX Runtime's
CHOICE_FILE = "backend_choice.json"
_ACCELERATED = ("TensorrtExecutionProvider", "CUDAExecutionProvider",
                "OpenVINOExecutionProvider")


class InferenceRunner(Protocol):
    """What the pipeline and ``doctor`` use of a runner (``ModelRunner``'s contract)."""

    path: Path
    sha256: str
    metadata: ModelMetadata
    providers: list[str]

    @property
    def class_names(self) -> tuple[str, ...]: ...

    @property
    def untrained(self) -> bool: ...

    @property
    def rgb_trained(self) -> bool: ...

    def predict(
        self, pose: npt.NDArray[np.float32], rgb: npt.NDArray[np.float32] | None
    ) -> Prediction: ...


def openvino_available() -> bool:
    """Whether the ``openvino`` Python package can be imported here."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def measure_latency_ms(runner: InferenceRunner, *, warmup: int = 1, repeats: int = 3,
                       seed: int = 0) -> float:
    """Median latency (ms) of one full window (pose + RGB, batch 1) on random inputs."""
    geo = runner.metadata.geometry
    rng = np.random.default_rng(seed)
    pose = rng.random(geo.pose_shape, dtype=np.float32)
    rgb = rng.standard_normal(geo.rgb_shape, dtype=np.float32)
    for _ in range(warmup):
        runner.predict(pose, rgb)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        runner.predict(pose, rgb)
        times.append((time.perf_counter() - t0) * 1e3)
    return float(statistics.median(times))


def choice_key(sha256: str, threads: int, precision: str) -> str:
    """Cache key of a measured choice: model, CPU, threads, precision, library versions
    and the version of the CPU graph rewrite (a faster ONNX Runtime graph measures again)."""
    import onnxruntime as ort

    from edge_app.backends.openvino import cpu_name, openvino_version
    from edge_app.backends.rewrite import REWRITE_VERSION

    return "|".join([sha256[:16], cpu_name(), f"threads={threads}", f"ov_precision={precision}",
                     f"ort={ort.__version__}", f"ov={openvino_version()}",
                     f"rewrite={REWRITE_VERSION}", platform.machine()])


def _choice_path(cfg: AppConfig) -> Path:
    return cfg.resolved_data_dir() / CHOICE_FILE


def load_choice(path: Path) -> dict[str, dict[str, Any]]:
    """The cached verdicts (empty when the file is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_choice(path: Path, key: str, entry: dict[str, Any]) -> None:
    data = load_choice(path)
    data[key] = entry
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # a read-only data dir costs a measurement per start, no more
        log.warning("cannot cache the backend choice in %s: %s", path, exc)


def _trt_cache_dir(cfg: AppConfig) -> Path:
    return (Path(cfg.model.trt_cache_dir).expanduser() if cfg.model.trt_cache_dir
            else cfg.resolved_data_dir() / "trt_cache")


def make_runner(
    cfg: AppConfig,
    path: Path | None = None,
    *,
    backend: Backend | None = None,
    precision: Literal["auto", "f32", "bf16"] = "auto",
    measure: Callable[[InferenceRunner], float] = measure_latency_ms,
) -> InferenceRunner:
    """The runner for ``cfg`` (``model.*``) and ``path`` (default: the configured model).

    ``backend`` defaults to ``cfg.model.backend`` when the config has that key, else
    ``auto``. Raises ``edge_app.runner.ModelError`` for a missing or broken model, or
    when ``openvino`` is forced but not installed.
    """
    model_path = Path(path) if path is not None else cfg.resolved_model_path()
    chosen: str = backend or str(getattr(cfg.model, "backend", "auto"))
    if chosen not in BACKENDS:
        raise ValueError(f"unknown backend {chosen!r}; one of {', '.join(BACKENDS)}")
    threads = cfg.model.threads
    ov_cache = cfg.resolved_data_dir() / "ov_cache"
    if chosen == "openvino":
        from edge_app.backends.openvino import OpenVINORunner

        return OpenVINORunner(model_path, threads=threads, precision=precision,
                              cache_dir=ov_cache)
    def onnxruntime() -> ModelRunner:
        return ModelRunner(model_path, providers=cfg.model.providers, threads=threads,
                           cache_dir=_trt_cache_dir(cfg))

    import onnxruntime as ort

    first = choose_providers(cfg.model.providers, ort.get_available_providers())[0]
    if chosen == "onnxruntime" or first in _ACCELERATED or not model_path.is_file():
        return onnxruntime()  # (a missing file raises ModelError there)
    if not openvino_available():
        log.debug("openvino not installed: ONNX Runtime on the CPU")
        return onnxruntime()

    from edge_app.backends.openvino import OpenVINORunner

    def openvino() -> OpenVINORunner:
        return OpenVINORunner(model_path, threads=threads, precision=precision,
                              cache_dir=ov_cache)

    key = choice_key(file_sha256(model_path), threads, precision)
    store = _choice_path(cfg)
    entry = load_choice(store).get(key)
    if entry is not None:
        log.info("backend: %s (measured %s: ONNX Runtime %s ms, OpenVINO %s ms per window)",
                 entry.get("backend"), entry.get("measured_at"), entry.get("onnxruntime_ms"),
                 entry.get("openvino_ms"))
        return openvino() if entry.get("backend") == "openvino" else onnxruntime()
    log.info("measuring ONNX Runtime and OpenVINO on one window (once for this model and CPU)")
    ort_runner = onnxruntime()
    ov_runner = openvino()
    ort_ms = measure(ort_runner)
    ov_ms = measure(ov_runner)
    winner = "openvino" if ov_ms < MARGIN * ort_ms else "onnxruntime"
    _save_choice(store, key, {
        "backend": winner, "onnxruntime_ms": round(ort_ms, 2), "openvino_ms": round(ov_ms, 2),
        "openvino_precision": ov_runner.precision,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    log.info("backend: %s (ONNX Runtime CPU %.1f ms, OpenVINO %s %.1f ms per window)",
             winner, ort_ms, ov_runner.precision, ov_ms)
    return ov_runner if winner == "openvino" else ort_runner
