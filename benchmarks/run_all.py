"""``make bench``: run every benchmark in turn, each printing its own table."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("heatmaps.py", "model_latency.py", "pipeline.py")

if __name__ == "__main__":
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        sys.argv = [str(HERE / name)]
        try:
            runpy.run_path(str(HERE / name), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
