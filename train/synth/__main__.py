"""``python -m train.synth``: write a synthetic daily-living data set (PYSKL format)."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from model.labels import ADL_CLASSES
from train.synth.generate import SynthConfig, generate_dataset
from train.synth.noise import DEFAULT_PROFILE, NoiseConfig

__all__ = ["build_parser", "main"]


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, got {text!r}") from None
    return w, h


def build_parser() -> argparse.ArgumentParser:
    defaults = SynthConfig()
    noise = NoiseConfig()
    p = argparse.ArgumentParser(
        prog="python -m train.synth",
        description=(
            "Synthetic activities of daily living: a parametric 3D body performing each "
            f"class ({', '.join(ADL_CLASSES)}) seen by home cameras, projected to COCO-17 "
            "keypoints with MediaPipe-like noise (train/synth/noise_profile.json), plus one "
            "rendered mp4 per clip. Writes DIR/annotations.pkl (PYSKL: split + annotations "
            "with keypoint [1,T,17,2] px and keypoint_score [1,T,17]), DIR/classes.json, "
            "DIR/generator.json (parameters, seed), DIR/clips.jsonl (per-clip metadata) "
            "and DIR/videos/<frame_dir>.mp4. Same seed and parameters, same output."),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--clips-per-class", type=int, default=defaults.clips_per_class,
                   help="clips of each class")
    p.add_argument("--seed", type=int, default=defaults.seed, help="master seed")
    p.add_argument("--no-video", action="store_true", help="keypoints only, no rendering")
    p.add_argument("--fps", type=float, default=defaults.fps, help="clip rate, samples/s")
    p.add_argument("--frames", type=int, default=defaults.frames,
                   help="frames per clip (48 at 15/s = the edge's 3.2 s window)")
    p.add_argument("--size", type=_size, default=f"{defaults.width}x{defaults.height}",
                   help="image WIDTHxHEIGHT in pixels")
    p.add_argument("--subjects", type=int, default=defaults.subjects,
                   help="synthetic people in the pool")
    p.add_argument("--val-fraction", type=float, default=defaults.val_fraction,
                   help="share of subjects whose clips go to the val split")
    p.add_argument("--workers", type=int, default=defaults.workers,
                   help="processes (output does not depend on it)")
    p.add_argument("--classes", nargs="+", default=list(defaults.classes), metavar="CLASS",
                   help="class names in label order (each needs a motion script)")
    p.add_argument("--partial-prob", type=float, default=defaults.partial_prob,
                   help="share of clips placed partly out of the frame")
    p.add_argument("--profile", type=Path, default=DEFAULT_PROFILE,
                   help="noise profile JSON (from python -m train.synth.measure_noise)")
    p.add_argument("--jitter-scale", type=float, nargs=2, default=noise.jitter_scale,
                   metavar=("LO", "HI"), help="per-clip multiplier range on measured jitter")
    p.add_argument("--dropout-scale", type=float, default=noise.dropout_scale,
                   help="multiplier on the measured dropout rate")
    p.add_argument("--other-estimator-prob", type=float, default=noise.other_estimator_prob,
                   help="share of clips with unsmoothed (AlphaPose-like) jitter")
    p.add_argument("--quiet", action="store_true", help="log warnings only")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    noise = NoiseConfig(jitter_scale=tuple(args.jitter_scale), dropout_scale=args.dropout_scale,
                        other_estimator_prob=args.other_estimator_prob)
    try:
        cfg = SynthConfig(
            clips_per_class=args.clips_per_class, seed=args.seed, fps=args.fps,
            frames=args.frames, width=args.size[0], height=args.size[1],
            subjects=args.subjects, val_fraction=args.val_fraction, video=not args.no_video,
            workers=args.workers, partial_prob=args.partial_prob, classes=tuple(args.classes),
            profile=str(args.profile), noise=noise)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    summary = generate_dataset(cfg, args.out)
    print(json.dumps({"out": str(args.out), "clips": sum(summary["counts"].values()),
                      "split": summary["split"], "seconds": summary["seconds"],
                      "clips_per_s": summary["clips_per_s"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
