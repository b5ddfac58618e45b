"""``python -m train convert DATASET --root DIR --out FILE.pkl``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from train.pyskl import DatasetError, PysklFile, save_pyskl

__all__ = ["add_convert_arguments", "convert", "convert_from_args"]


def convert(dataset: str, root: Path, *, include_all: bool = False) -> PysklFile:
    """Run the converter for ``dataset`` (``utkinect``, ``msr_action3d``, ``urfd``)."""
    if dataset == "utkinect":
        from train.convert.utkinect import convert_utkinect

        return convert_utkinect(root)
    if dataset == "msr_action3d":
        from train.convert.msr_action3d import convert_msr_action3d

        return convert_msr_action3d(root, include_all=include_all)
    if dataset == "urfd":
        from train.convert.urfd import convert_urfd

        return convert_urfd(root)
    raise DatasetError(f"unknown dataset {dataset!r}")


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    from train.convert import CONVERTERS

    parser.add_argument("dataset", choices=CONVERTERS, help="which research skeleton set")
    parser.add_argument("--root", type=Path, required=True, help="its folder (e.g. "
                        "../shared/data/skeletons/utkinect) or, for urfd, the CSV")
    parser.add_argument("--out", type=Path, required=True, help="output PYSKL pickle (keep it "
                        "outside the repository)")
    parser.add_argument("--include-all", action="store_true", help="msr_action3d: also the "
                        "sequences left out of files_used_in_cvpr12_paper.txt")


def convert_from_args(args: argparse.Namespace) -> int:
    try:
        data = convert(args.dataset, args.root, include_all=args.include_all)
    except (DatasetError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    save_pyskl(data, args.out)
    counts = ", ".join(f"{k}={len(v)}" for k, v in sorted(data.split.items()))
    print(f"wrote {args.out}: {len(data.annotations)} clips ({counts}), "
          f"{len(data.class_names or [])} classes")
    return 0
