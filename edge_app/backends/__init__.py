"""Inference backends beside ONNX Runtime, and the factory that picks one.

``make_runner(cfg, path)`` returns an object with ``ModelRunner``'s contract
(``predict(pose, rgb) -> Prediction``, ``metadata``, ``class_names``, ``providers``,
``untrained``, ``path``, ``sha256``): ONNX Runtime with the configured providers, or
OpenVINO on CPUs where the ``openvino`` extra is installed and measured faster (the
measurement is made once per model, CPU and library versions, and cached in the data
dir). Nothing heavy is imported here.
"""

from __future__ import annotations

from edge_app.backends.factory import (
    BACKENDS,
    Backend,
    InferenceRunner,
    load_choice,
    make_runner,
    openvino_available,
)

__all__ = [
    "BACKENDS",
    "Backend",
    "InferenceRunner",
    "load_choice",
    "make_runner",
    "openvino_available",
]
