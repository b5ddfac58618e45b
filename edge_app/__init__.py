"""The edge activity monitor: capture, pose, EPAM-Net in ONNX Runtime, events, sinks.

Never imports torch. Importing the package is cheap; submodules load what they need.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
