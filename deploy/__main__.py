"""``python -m deploy`` lists the deployment tools."""

from __future__ import annotations

import sys

USAGE = """deployment tools:
  python -m deploy.export   EPAM-Net to ONNX with metadata (--check: parity with PyTorch)
"""

if __name__ == "__main__":
    sys.stdout.write(USAGE)
