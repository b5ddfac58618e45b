"""Soak: run the pipeline in real time on a looping file and watch memory.

    python benchmarks/soak.py [--minutes 30] [--model FILE.onnx]

Prints RSS (MB) once a minute and a summary: RSS at start (after warm-up) and end,
windows evaluated and skipped, events written, and the RSS slope in MB per 10 minutes
(least squares over the minutes after the first). Memory should stay flat.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table
from edge_app.app import EdgeApp
from edge_app.config import DEFAULT_MODEL, DEFAULT_VIDEO, load_config


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    cfg = load_config(overrides=["source.loop=true", "logging.level=WARNING",
                                 "events.default_rule.min_score=0.3"])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EPAM_DATA_DIR"] = tmp
        events = Path(tmp) / "events.jsonl"
        p = EdgeApp(cfg, source=str(args.video), model_path=args.model, realtime=True,
                     events_out=events)
        p.start()
        rows = []
        series: list[tuple[float, float]] = []  # (minute, RSS MB)
        start = time.monotonic()
        first: float | None = None
        while time.monotonic() - start < args.minutes * 60:
            time.sleep(min(60.0, args.minutes * 60 - (time.monotonic() - start)))
            r = rss_mb()
            if first is None:
                first = r
            m = (time.monotonic() - start) / 60
            series.append((m, r))
            rows.append([f"{m:.1f}", f"{r:.0f}", p.stats.windows, p.stats.skipped_windows,
                         f"{p.stats.source_time:.0f}"])
            print(f"{m:5.1f} min  RSS {r:7.1f} MB  windows {p.stats.windows}  skipped "
                  f"{p.stats.skipped_windows}", flush=True)
        p.stop()
        n_events = len(events.read_text().splitlines()) if events.exists() else 0
    print_table(["minute", "RSS MB", "windows", "skipped", "source s"], rows)
    end = rows[-1][1] if rows else "?"
    print(f"RSS after 1 min {first:.0f} MB, at the end {end} MB; {n_events} events written")
    print(f"RSS slope (least squares, after the first minute): "
          f"{rss_slope_per_10min(series):+.1f} MB per 10 minutes")
    return 0


def rss_slope_per_10min(series: list[tuple[float, float]]) -> float:
    """The least-squares slope of RSS over time in MB per 10 minutes, leaving out the
    first reading (warm-up: model and pose buffers still being allocated); 0.0 with
    fewer than two readings left."""
    pts = series[1:] if len(series) > 2 else series
    if len(pts) < 2:
        return 0.0
    n = len(pts)
    mx = sum(m for m, _ in pts) / n
    my = sum(r for _, r in pts) / n
    var = sum((m - mx) ** 2 for m, _ in pts)
    if var == 0:
        return 0.0
    return 10.0 * sum((m - mx) * (r - my) for m, r in pts) / var


if __name__ == "__main__":
    sys.exit(main())
