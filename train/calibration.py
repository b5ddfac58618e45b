"""Real EPAM-Net input windows of a PYSKL dataset pickle, made by the training dataset
(``train.dataset.ClipDataset``, evaluation mode), for INT8 calibration and for validating
exported variants (``deploy.variants --calib data.pkl --video-root DIR``).

``python -m train.calibration DATA.pkl --video-root DIR --out W.npz`` saves them
(``model.windows``); ``deploy.calibration`` runs it so that ``deploy`` does not import
``train``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from model.windows import CalibrationError, WindowSet, save_windows
from train.dataset import ClipDataset, DataOptions
from train.pyskl import DatasetError, load_pyskl, select_split

__all__ = ["main", "windows_from_pyskl"]


def windows_from_pyskl(
    path: str | Path,
    *,
    video_root: str | Path,
    split: str | None = None,
    max_windows: int = 32,
    sampling: str = "rate",
    sample_rate_hz: float = 15.0,
) -> WindowSet:
    """Windows of a PYSKL dataset pickle through the training dataset (evaluation mode).

    RGB needs the clips' videos under ``video_root`` (keypoints alone cannot calibrate
    the RGB stream). Clips are taken evenly over the (split of the) dataset.
    """
    try:
        data = load_pyskl(path)
        annotations = select_split(data, split)
    except DatasetError as exc:
        raise CalibrationError(str(exc)) from exc
    if not annotations:
        raise CalibrationError(f"{path} has no annotations (split {split!r})")
    picks = np.unique(np.linspace(0, len(annotations) - 1, min(max_windows, len(annotations)))
                      .round().astype(int))
    options = DataOptions(sampling="uniform" if sampling == "uniform" else "rate",
                          sample_rate_hz=sample_rate_hz, video_root=Path(video_root))
    dataset = ClipDataset([annotations[i] for i in picks], modalities=("pose", "rgb"),
                          train=False, options=options)
    poses, rgbs = [], []
    for i in range(len(dataset)):
        item = dataset[i]
        poses.append(item["pose"].numpy())
        rgbs.append(item["rgb"].numpy())
    return WindowSet(np.stack(poses).astype(np.float32), np.stack(rgbs).astype(np.float32),
                     np.zeros(len(poses)), f"pyskl:{Path(path).name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m train.calibration",
        description="Save model input windows of a PYSKL pickle's clips to a .npz (for "
                    "deploy.variants --calib).")
    parser.add_argument("pickle", help="PYSKL dataset pickle")
    parser.add_argument("--video-root", required=True, help="folder of the clips' videos")
    parser.add_argument("--split", help="split to take clips from (default: all)")
    parser.add_argument("--out", type=Path, required=True, help="the .npz to write")
    parser.add_argument("--sampling", default="rate", help="uniform or rate (default rate)")
    parser.add_argument("--rate", type=float, default=15.0, help="samples per second")
    parser.add_argument("--max-windows", type=int, default=32, help="windows to make")
    args = parser.parse_args(argv)
    return save_windows(lambda: windows_from_pyskl(
        args.pickle, video_root=args.video_root, split=args.split,
        max_windows=args.max_windows, sampling=args.sampling, sample_rate_hz=args.rate),
        args.out)


if __name__ == "__main__":
    sys.exit(main())
