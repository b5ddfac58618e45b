"""Input contract speed: one 17x48x56x56 pose volume and one 3x16x224x224 RGB clip.

    python benchmarks/heatmaps.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table, time_median
from model import contract as C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    w, h = 1280, 720
    kp = np.stack([rng.uniform(400, 800, (1, 48, 17)), rng.uniform(100, 650, (1, 48, 17))], -1)
    kp = kp.astype(np.float32)
    sc = rng.uniform(0.3, 1.0, (1, 48, 17)).astype(np.float32)
    frames = rng.integers(0, 255, (16, h, w, 3), dtype=np.uint8)
    box = C.compute_box(kp, (w, h), sc)
    kh = C.keypoints_to_heatmap_space(kp, box)
    kp2 = np.concatenate([kp, kp + 30], axis=0)
    sc2 = np.concatenate([sc, sc], axis=0)
    kh2 = C.keypoints_to_heatmap_space(kp2, box)
    r = args.repeats
    rows = [
        ["global box (48 samples)", f"{time_median(lambda: C.compute_box(kp, (w, h), sc), repeats=r):.3f}"],
        ["pose volume 17x48x56x56, 1 person", f"{time_median(lambda: C.render_pose_volume(kh, sc), repeats=r):.2f}"],
        ["pose volume, 2 persons", f"{time_median(lambda: C.render_pose_volume(kh2, sc2), repeats=r):.2f}"],
        ["one sample's heatmaps 17x56x56", f"{time_median(lambda: C.render_heatmaps(kh[0, 0], sc[0, 0]), repeats=r):.3f}"],
        ["RGB crop+resize+norm, 16 frames 1280x720", f"{time_median(lambda: C.crop_resize_rgb(frames, box), repeats=r):.2f}"],
    ]
    print(f"numpy input contract, median of {args.repeats} after warm-up (numpy {np.__version__})")
    print_table(["step", "ms"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
