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
    p.add_argument("--slow-prob", type=float, default=defaults.slow_prob,
                   help="share of clips performed slowly (not falls) and cut to the window "
                        "around the event; 0 reproduces generator version 1's clips")
    p.add_argument("--slow-stretch", type=float, nargs=2, default=defaults.slow_stretch,
                   metavar=("LO", "HI"), help="how many times slower a slow clip plays")
    p.add_argument("--long-hold-prob", type=float, default=defaults.long_hold_prob,
                   help="share of bending clips held long at the bottom, cut from a longer "
                        "take; 0 reproduces generator version 2's clips")
    p.add_argument("--long-hold", type=float, nargs=2, default=defaults.long_hold_s,
                   metavar=("LO", "HI"), help="seconds such a bend is held at the bottom")
    p.add_argument("--wave-sweep-prob", type=float, default=defaults.wave_sweep_prob,
                   help="share of waving clips that are big, slow arcs of straight arms "
                        "(0.5-1.3 Hz, from shoulder height or below to overhead); 0 "
                        "reproduces generator version 3's clips")
    p.add_argument("--wave-facing-prob", type=float, default=defaults.wave_facing_prob,
                   help="share of waving clips (not slowed ones) in which the person faces "
                        "the camera (within 30 degrees); 0 reproduces generator version 3's "
                        "clips")
    p.add_argument("--wave-bob-prob", type=float, default=defaults.wave_bob_prob,
                   help="share of standing waves done with the whole body (the knees bend "
                        "as the arms come down, the head not tilted back); 0 reproduces "
                        "generator version 4's clips")
    p.add_argument("--wave-nod-prob", type=float, default=defaults.wave_nod_prob,
                   help="share of waving clips whose head tips forward as the arms go up; "
                        "0 reproduces generator version 5's clips")
    p.add_argument("--shoulder-girdle-prob", type=float, default=defaults.shoulder_girdle_prob,
                   help="share of clips (every class) whose person's shoulders rise as the "
                        "arms go overhead; 0 reproduces generator version 5's clips")
    p.add_argument("--shoulder-girdle", type=float, nargs=2, default=defaults.shoulder_girdle_m,
                   metavar=("LO", "HI"), help="metres of that rise with the arms overhead "
                                              "(for a person 1.7 m tall)")
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
            profile=str(args.profile), noise=noise, slow_prob=args.slow_prob,
            slow_stretch=tuple(args.slow_stretch), long_hold_prob=args.long_hold_prob,
            long_hold_s=tuple(args.long_hold), wave_sweep_prob=args.wave_sweep_prob,
            wave_facing_prob=args.wave_facing_prob, wave_bob_prob=args.wave_bob_prob,
            wave_nod_prob=args.wave_nod_prob, shoulder_girdle_prob=args.shoulder_girdle_prob,
            shoulder_girdle_m=tuple(args.shoulder_girdle))
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    summary = generate_dataset(cfg, args.out)
    print(json.dumps({"out": str(args.out), "clips": sum(summary["counts"].values()),
                      "split": summary["split"], "seconds": summary["seconds"],
                      "clips_per_s": summary["clips_per_s"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
