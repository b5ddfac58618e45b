"""``python -m deploy`` lists the deployment tools."""

from __future__ import annotations

import sys

USAGE = """deployment tools:
  python -m deploy.export    EPAM-Net to ONNX with metadata (--check: parity with PyTorch)
  python -m deploy.variants  FP32/FP16/INT8 ONNX variants, validated on real windows
  python -m deploy.tensorrt  TensorRT engines built on the device with trtexec, cached
  python -m deploy.models    install a model on a device, roll back
  deploy/install.sh          system service (venv, /etc, /var/lib, user, systemd unit)
  deploy/docker/             Jetson and x86 images, compose.yaml
"""

if __name__ == "__main__":
    sys.stdout.write(USAGE)
