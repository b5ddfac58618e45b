"""Contact sheet of synthetic clips with skeleton overlays, to check the motions by eye.

One row per clip (a few clips per class), one column per time step; each cell is the
rendered frame (or a grey canvas with ``--no-video``) with the noisy keypoints drawn on
top: left joints and bones blue, right ones orange, the face green, joints scoring
below 0.3 hollow; a red frame marks the labelled event's frames.

Usage::

    python -m train.synth.preview --out work_dirs/synth_sheet.png [--clips-per-class 2]
        [--columns 6] [--seed 0] [--classes falling walking] [--no-video]
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from model.labels import ADL_CLASSES
from train.synth.generate import (
    RENDER_STREAM,
    Clip,
    SynthConfig,
    make_subjects,
    synth_clip,
    val_subjects,
)
from train.synth.noise import NoiseModel, load_profile

__all__ = ["COCO_EDGES", "contact_sheet", "draw_skeleton", "main"]

log = logging.getLogger(__name__)

U8 = npt.NDArray[np.uint8]
COCO_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11),
    (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
)  # fmt: skip
LEFT = (40, 120, 255)
RIGHT = (255, 140, 20)
FACE = (40, 200, 60)


def _joint_colour(j: int) -> tuple[int, int, int]:
    if j <= 4:
        return FACE
    return LEFT if j % 2 == 1 else RIGHT


def draw_skeleton(img: U8, keypoints: npt.NDArray[np.float32], scores: npt.NDArray[np.float32],
                  scale: float = 1.0) -> None:
    """Draw one person's COCO-17 keypoints ``(17, 2)`` px (times ``scale``) in place."""
    import cv2

    kp = keypoints * scale
    for a, b in COCO_EDGES:
        if scores[a] > 0 and scores[b] > 0:
            col = _joint_colour(b) if a > 4 else FACE
            cv2.line(img, (round(kp[a, 0]), round(kp[a, 1])), (round(kp[b, 0]), round(kp[b, 1])),
                     col, 1, cv2.LINE_AA)
    for j in range(kp.shape[0]):
        if scores[j] <= 0:
            continue
        c = (round(kp[j, 0]), round(kp[j, 1]))
        cv2.circle(img, c, 2, _joint_colour(j), -1 if scores[j] >= 0.3 else 1, cv2.LINE_AA)


def _cell(clip: Clip, frame: U8 | None, t: int, size: tuple[int, int],
          box: tuple[int, int, int, int]) -> U8:
    """One frame cropped to ``box`` (x0, y0, x1, y1 source pixels), resized to ``size``."""
    import cv2

    w, h = size
    x0, y0, x1, y1 = box
    if frame is None:
        img = np.full((h, w, 3), 60, dtype=np.uint8)
    else:
        img = np.asarray(cv2.resize(np.ascontiguousarray(frame[y0:y1, x0:x1]), (w, h),
                                    interpolation=cv2.INTER_AREA), dtype=np.uint8)
    kp = (clip.keypoints[0, t] - np.array([x0, y0], dtype=np.float32)) * np.array(
        [w / (x1 - x0), h / (y1 - y0)], dtype=np.float32)
    draw_skeleton(img, kp, clip.scores[0, t])
    s, e = clip.meta["event"]
    if s <= t < e:
        cv2.rectangle(img, (0, 0), (w - 1, h - 1), (230, 30, 30), 2)
    if clip.scores[0, t].max() <= 0:
        cv2.putText(img, "lost", (4, h - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 60, 60), 1,
                    cv2.LINE_AA)
    cv2.putText(img, f"t={t}", (w - 34, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (255, 255, 255), 1,
                cv2.LINE_AA)
    return img


def _crop_box(clip: Clip, cfg: SynthConfig, cell: tuple[int, int], crop: bool) -> tuple[
        int, int, int, int]:
    """The clip's keypoint box with the cell's aspect ratio (whole frame if not ``crop``)."""
    if not crop:
        return (0, 0, cfg.width, cfg.height)
    kp = clip.clean.reshape(-1, 2)
    ok = (kp[:, 0] >= 0) & (kp[:, 0] < cfg.width) & (kp[:, 1] >= 0) & (kp[:, 1] < cfg.height)
    if not ok.any():
        return (0, 0, cfg.width, cfg.height)
    lo, hi = kp[ok].min(axis=0), kp[ok].max(axis=0)
    c = (lo + hi) / 2
    half = np.maximum((hi - lo) / 2 * 1.3, 12.0)
    aspect = cell[0] / cell[1]
    half = np.array([max(half[0], half[1] * aspect), max(half[1], half[0] / aspect)])
    half = np.minimum(half, [cfg.width / 2, cfg.height / 2])
    c = np.clip(c, half, [cfg.width - half[0], cfg.height - half[1]])
    x0, y0 = (c - half).astype(int)
    x1, y1 = (c + half).astype(int)
    return (int(x0), int(y0), max(int(x1), int(x0) + 2), max(int(y1), int(y0) + 2))


def contact_sheet(cfg: SynthConfig, clips_per_class: int, columns: int,
                  classes: Sequence[str] | None = None, cell_width: int = 200,
                  crop: bool = True, first: int = 0) -> U8:
    """The sheet as an RGB image: rows = clips, columns = evenly spaced frames.

    ``crop`` zooms each row onto the person (the box of its clean keypoints); ``first``
    is the index of the first clip shown per class.
    """
    import cv2

    from train.synth.render import render_clip

    subjects = make_subjects(cfg)
    val = val_subjects(cfg)
    noise = NoiseModel(load_profile(cfg.profile), cfg.noise)
    cell = (cell_width, round(cell_width * cfg.height / cfg.width))
    label_w = 150
    rows: list[U8] = []
    names = list(classes) if classes else list(cfg.classes)
    for name in names:
        label = cfg.classes.index(name)
        for i in range(first, first + clips_per_class):
            clip = synth_clip(cfg, label, i, subjects, val, noise)
            frames = (render_clip(clip, np.random.default_rng([cfg.seed, label, i, RENDER_STREAM]))
                      if cfg.video else None)
            ts = np.linspace(0, cfg.frames - 1, columns).round().astype(int)
            box = _crop_box(clip, cfg, cell, crop)
            cells = [_cell(clip, None if frames is None else frames[t], int(t), cell, box)
                     for t in ts]
            tag = np.full((cell[1], label_w, 3), 245, dtype=np.uint8)
            lines = [name, clip.meta["variant"], f"subj {clip.person.subject} "
                     f"{clip.person.age}", f"cam {clip.camera.mount}",
                     f"vis {clip.meta['visible']:.2f} ev {clip.meta['event']}"]
            for k, text in enumerate(lines):
                cv2.putText(tag, text[:26], (4, 14 + 14 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.36,
                            (0, 0, 0), 1, cv2.LINE_AA)
            rows.append(np.concatenate([tag, *cells], axis=1))
    return np.concatenate(rows, axis=0)


def main(argv: Sequence[str] | None = None) -> int:
    import cv2

    parser = argparse.ArgumentParser(prog="python -m train.synth.preview",
                                     description="Render a contact sheet PNG of synthetic clips.")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument("--clips-per-class", type=int, default=2)
    parser.add_argument("--columns", type=int, default=6, help="frames shown per clip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", default="320x240", help="WIDTHxHEIGHT of the clips")
    parser.add_argument("--classes", nargs="*", default=None, choices=ADL_CLASSES,
                        metavar="CLASS", help="only these classes (default: all)")
    parser.add_argument("--no-video", action="store_true", help="skeletons on grey, no rendering")
    parser.add_argument("--cell-width", type=int, default=200)
    parser.add_argument("--full-frame", action="store_true",
                        help="show whole frames instead of zooming onto the person")
    parser.add_argument("--first", type=int, default=0, help="first clip index per class")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    w, h = (int(v) for v in args.size.lower().split("x"))
    cfg = SynthConfig(seed=args.seed, fps=args.fps, frames=args.frames, width=w, height=h,
                      video=not args.no_video, clips_per_class=max(1, args.clips_per_class))
    sheet = contact_sheet(cfg, args.clips_per_class, args.columns, args.classes, args.cell_width,
                          crop=not args.full_frame, first=args.first)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
        raise SystemExit(f"could not write {args.out}")
    print(f"wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
