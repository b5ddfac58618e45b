"""EPAM-Net in ONNX Runtime: provider choice, metadata, pose-only mode, a worker thread.

The runner reads everything it needs from the ONNX file's metadata (class names,
geometry, sample rate). Providers are taken in the configured order of preference
(TensorRT, CUDA, OpenVINO, CPU) among those this ONNX Runtime offers. Pose-only mode
(privacy, keypoint replays) runs a subgraph that has only the pose input, so RGB never
reaches the model and its cost is not paid.

``InferenceWorker`` is the sliding-window thread: a one-slot mailbox; when a new window
arrives while one is waiting, the older is skipped and counted (live sources), or the
producer waits (``block=True``, files run ``--fast``): never an unbounded queue.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from model.onnxfile import (
    ModelError,
    check_session,
    open_session,
    read_model,
    session_options,
)

__all__ = [
    "InferenceWorker",
    "ModelError",
    "ModelRunner",
    "Prediction",
    "choose_providers",
    "softmax",
]

log = logging.getLogger(__name__)

PROVIDER_NAMES = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "cpu": "CPUExecutionProvider",
}


def softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def choose_providers(preference: Sequence[str], available: Sequence[str]) -> list[str]:
    """ORT provider names in ``preference`` order that ``available`` has; CPU always last."""
    chosen = [PROVIDER_NAMES[p] for p in preference if PROVIDER_NAMES.get(p) in available]
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


@dataclass(frozen=True)
class Prediction:
    """Logits of one window and how long inference took (ms)."""

    logits: npt.NDArray[np.float32]  # (num_classes,) fused, or pose-only
    pose_only: bool
    latency_ms: float


class ModelRunner:
    """An EPAM-Net ONNX file in ONNX Runtime.

    On the CPU provider the graph is first rewritten for the CPU's blocked kernels
    (``edge_app.backends.rewrite``: exact, the same outputs up to float rounding);
    ``rewrite=False`` runs the file as it is.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        providers: Sequence[str] = ("tensorrt", "cuda", "cpu"),
        threads: int = 0,
        cache_dir: str | Path | None = None,
        batch: int | None = 1,
        rewrite: bool = True,
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        data = read_model(self.path)
        self.sha256 = hashlib.sha256(data).hexdigest()
        opts = session_options(threads=threads, batch=batch)
        self._opts = opts
        chosen = choose_providers(providers, ort.get_available_providers())
        self._provider_args = self._provider_options(chosen, cache_dir)
        self.rewritten = 0  # depthwise channel groups padded for the CPU kernels
        session = None
        if rewrite and chosen[:1] == ["CPUExecutionProvider"]:
            from edge_app.backends.rewrite import prepare_for_cpu

            rewritten, padded = prepare_for_cpu(data)
            if padded:
                try:
                    session = ort.InferenceSession(rewritten, opts,
                                                   providers=self._provider_args)
                    data, self.rewritten = rewritten, padded
                except Exception as exc:  # a rewrite bug must not cost the model
                    log.warning("the CPU rewrite of %s does not load (%s); running the file "
                                "as it is", self.path.name, str(exc).splitlines()[0][:200])
        self.session = session if session is not None else open_session(
            data, self.path, opts, self._provider_args)
        self.metadata = check_session(self.session, self.path)  # ModelError if not EPAM-Net
        self.providers = list(self.session.get_providers())
        self._pose_session: object | None = None
        self._model_bytes = data
        log.info("model %s (%d classes) on %s", self.path.name, self.metadata.num_classes,
                 self.providers[0])

    @staticmethod
    def _provider_options(
        chosen: list[str], cache_dir: str | Path | None
    ) -> list[str | tuple[str, dict[str, object]]]:
        out: list[str | tuple[str, dict[str, object]]] = []
        for name in chosen:
            if name == "TensorrtExecutionProvider":
                opts: dict[str, object] = {"trt_fp16_enable": True}
                if cache_dir:
                    Path(cache_dir).mkdir(parents=True, exist_ok=True)
                    opts.update(trt_engine_cache_enable=True,
                                trt_engine_cache_path=str(cache_dir),
                                trt_timing_cache_enable=True)
                out.append((name, opts))
            else:
                out.append(name)
        return out

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.metadata.class_names

    @property
    def untrained(self) -> bool:
        return self.metadata.untrained

    @property
    def rgb_trained(self) -> bool:
        return self.metadata.rgb_trained

    def _pose_only_session(self) -> object:
        if self._pose_session is None:
            import onnx
            import onnx.utils
            import onnxruntime as ort

            model = onnx.load_from_string(self._model_bytes)
            sub = onnx.utils.Extractor(model).extract_model(["pose_heatmaps"], ["pose_logits"])
            self._pose_session = ort.InferenceSession(
                sub.SerializeToString(), self._opts, providers=self._provider_args)
            log.info("pose-only subgraph ready (RGB input removed)")
        return self._pose_session

    def predict(
        self, pose: npt.NDArray[np.float32], rgb: npt.NDArray[np.float32] | None
    ) -> Prediction:
        """Logits for one window: pose ``(17, 48, 56, 56)``, rgb ``(3, 16, 224, 224)`` or None."""
        t0 = time.perf_counter()
        if rgb is None:
            sess = self._pose_only_session()
            out = sess.run(["pose_logits"], {"pose_heatmaps": pose[None]})  # type: ignore[attr-defined]
            logits = np.asarray(out[0][0], dtype=np.float32)
        else:
            out = self.session.run(["scores"], {"pose_heatmaps": pose[None], "rgb": rgb[None]})
            logits = np.asarray(out[0][0], dtype=np.float32)
        return Prediction(logits, rgb is None, (time.perf_counter() - t0) * 1e3)


class InferenceWorker:
    """The runner's thread with a one-slot mailbox.

    ``submit(job)`` hands a window to the thread. With ``block=False`` a window still
    waiting is replaced (and counted in ``skipped``); with ``block=True`` the caller
    waits until the slot is free. ``handler(job)`` runs on the worker thread.
    """

    def __init__(self, handler: Callable[[object], None], *, name: str = "inference") -> None:
        self._handler = handler
        self._cond = threading.Condition()
        self._slot: object | None = None
        self._busy = False
        self._stopping = False
        self.skipped = 0
        self.done = 0
        self.errors = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: object, *, block: bool = False, timeout: float | None = None) -> bool:
        """Queue ``job``; returns False if it replaced a waiting one (skip) or timed out."""
        with self._cond:
            if block:
                deadline = None if timeout is None else time.monotonic() + timeout
                while (self._slot is not None or self._busy) and not self._stopping:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(remaining)
            replaced = self._slot is not None
            if replaced:
                self.skipped += 1
            self._slot = job
            self._cond.notify_all()
            return not replaced

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._slot is None and not self._stopping:
                    self._cond.wait()
                if self._slot is None and self._stopping:
                    return
                job, self._slot = self._slot, None
                self._busy = True
            try:
                self._handler(job)
                self.done += 1
            except Exception:
                self.errors += 1
                log.exception("inference failed on a window; continuing")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until the mailbox is empty and the worker idle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._slot is not None or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the waiting window (if any), then end the thread."""
        self.drain(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
