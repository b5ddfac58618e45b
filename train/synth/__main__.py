"""``python -m train.synth``: write a synthetic daily-living data set (PYSKL format)."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from model.labels import ADL_CLASSES
from train.synth.generate import SynthConfig, generate_dataset
from train.synth.noise import DEFAULT_PROFILE, NoiseConfig
from train.synth.recipe import RecipeError, load_recipe

__all__ = ["build_parser", "main"]


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, got {text!r}") from None
    return w, h


def build_parser() -> argparse.ArgumentParser:
    """Every option but ``--recipe`` defaults to the recipe's value (without a recipe:
    the default shown); only the options given are in the parsed namespace."""
    d = SynthConfig()
    noise = NoiseConfig()
    p = argparse.ArgumentParser(
        prog="python -m train.synth",
        description=(
            "Synthetic activities of daily living: a parametric 3D body performing each "
            f"class ({', '.join(ADL_CLASSES)}) seen by home cameras, projected to COCO-17 "
            "keypoints with MediaPipe-like noise (train/synth/noise_profile.json), plus one "
            "rendered mp4 per clip. Writes DIR/annotations.pkl (PYSKL: split + annotations "
            "with keypoint [1,T,17,2] px and keypoint_score [1,T,17]), DIR/classes.json, "
            "DIR/generator.json (parameters, seed, recipe), DIR/clips.jsonl (per-clip "
            "metadata) and DIR/videos/<frame_dir>.mp4. Same seed and parameters, same "
            "output. A recipe (train/synth/recipes/*.yaml) holds every setting; the "
            "options below override it."),
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("--recipe", type=Path, default=None,
                   help="YAML file of the generator's settings (train/synth/recipes/; its "
                        "'out' is the output folder unless --out is given)")
    p.add_argument("--out", type=Path, help="output folder (required without a recipe's out)")
    p.add_argument("--clips-per-class", type=int,
                   help=f"clips of each class (default {d.clips_per_class})")
    p.add_argument("--seed", type=int, help=f"master seed (default {d.seed})")
    p.add_argument("--no-video", dest="video", action="store_false",
                   help="keypoints only, no rendering")
    p.add_argument("--fps", type=float, help=f"clip rate, samples/s (default {d.fps:g})")
    p.add_argument("--frames", type=int,
                   help=f"frames per clip (default {d.frames}: 3.2 s at 15/s, the edge's "
                        "window)")
    p.add_argument("--size", type=_size,
                   help=f"image WIDTHxHEIGHT in pixels (default {d.width}x{d.height})")
    p.add_argument("--subjects", type=int,
                   help=f"synthetic people in the pool (default {d.subjects})")
    p.add_argument("--val-fraction", type=float,
                   help=f"share of subjects whose clips go to the val split (default "
                        f"{d.val_fraction:g})")
    p.add_argument("--workers", type=int,
                   help=f"processes; the output does not depend on them (default {d.workers})")
    p.add_argument("--classes", nargs="+", metavar="CLASS",
                   help="class names in label order, each with a motion script (default: "
                        "the adl label set)")
    p.add_argument("--partial-prob", type=float,
                   help=f"share of clips placed partly out of the frame (default "
                        f"{d.partial_prob:g})")
    p.add_argument("--profile", type=Path,
                   help=f"noise profile JSON from python -m train.synth.measure_noise "
                        f"(default {DEFAULT_PROFILE.name}, committed beside the generator)")
    p.add_argument("--jitter-scale", type=float, nargs=2, metavar=("LO", "HI"),
                   help=f"per-clip multiplier range on measured jitter (default "
                        f"{noise.jitter_scale[0]:g} {noise.jitter_scale[1]:g})")
    p.add_argument("--dropout-scale", type=float,
                   help=f"multiplier on the measured dropout rate (default "
                        f"{noise.dropout_scale:g})")
    p.add_argument("--other-estimator-prob", type=float,
                   help=f"share of clips with unsmoothed (AlphaPose-like) jitter (default "
                        f"{noise.other_estimator_prob:g})")
    p.add_argument("--quiet", action="store_true", default=False, help="log warnings only")
    return p


def _overridden(cfg: SynthConfig, given: dict[str, Any]) -> SynthConfig:
    """``cfg`` with the options given on the command line."""
    kw: dict[str, Any] = {k: given[k] for k in ("clips_per_class", "seed", "video", "fps",
                                                "frames", "subjects", "val_fraction",
                                                "workers", "partial_prob") if k in given}
    if "size" in given:
        kw["width"], kw["height"] = given["size"]
    if "classes" in given:
        kw["classes"] = tuple(given["classes"])
    if "profile" in given:
        kw["profile"] = str(given["profile"])
    noise: dict[str, Any] = {k: given[k] for k in ("dropout_scale", "other_estimator_prob")
                             if k in given}
    if "jitter_scale" in given:
        noise["jitter_scale"] = tuple(given["jitter_scale"])
    if noise:
        kw["noise"] = replace(cfg.noise, **noise)
    return replace(cfg, **kw)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    given = {k: v for k, v in vars(args).items() if k not in ("recipe", "quiet")}
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    recipe = None
    out: Path | None = given.pop("out", None)
    try:
        if args.recipe is not None:
            recipe = load_recipe(args.recipe)
            cfg, out = recipe.config, out or recipe.out
        else:
            cfg = SynthConfig()
        cfg = _overridden(cfg, given)
    except (RecipeError, ValueError) as exc:
        raise SystemExit(f"error: {exc}") from None
    if out is None:
        parser.error("--out is required (the recipe names no 'out')" if recipe else
                     "--out is required")
    summary = generate_dataset(cfg, out, recipe=None if recipe is None else recipe.provenance())
    print(json.dumps({"out": str(out), "clips": sum(summary["counts"].values()),
                      "split": summary["split"], "seconds": summary["seconds"],
                      "clips_per_s": summary["clips_per_s"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
