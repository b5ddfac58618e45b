"""``python -m train``: see ``train.cli``."""

from __future__ import annotations

import sys

from train.cli import main

if __name__ == "__main__":
    sys.exit(main())
