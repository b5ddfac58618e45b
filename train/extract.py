"""``python -m train.extract``: labelled videos -> PYSKL pickle, with the edge's own pose tracker.

Keypoints come from ``edge_app.pose.PoseTracker`` (MediaPipe PoseLandmarker mapped to
COCO-17) followed by ``edge_app.track.PersonTracks`` (the samples of discredited tracks
are cleared, as the edge's windows leave them out), the same code the edge runtime
uses, so a model trained on the result sees at the edge what it saw in training. The
settings are the edge's defaults, or an installed edge's own with ``--edge-config``
(its ``pose`` section: detector thresholds, ``track``, persons, ``max_side``).

Inputs:
- a folder with one sub-folder per label (``ROOT/<label>/<video>``), or
- a CSV with columns ``path,label`` and optional ``start,end`` (frames, end exclusive)
  and ``split``; paths are relative to the CSV's folder; a header row is required.

Each clip is written as it is finished to ``<out>.parts/`` (one small pickle each), so
an interrupted run continues where it stopped; the final pickle is assembled from the
parts. Unreadable videos are skipped, listed at the end and in ``<out>.failed.txt``
(they are retried on the next run). Annotations carry ``fps``, ``filename`` (relative to
the input folder: use it as ``data.video_root``) and ``start_frame``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import pickle
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from edge_app.config import PoseConfig, TrackConfig
from edge_app.pose import PoseResult
from edge_app.track import PersonTracks
from train.pyskl import Annotation, PysklFile, make_annotation, save_pyskl

__all__ = ["VideoItem", "extract_dataset", "extract_video", "list_csv", "list_folder", "main"]

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


@dataclass(frozen=True)
class VideoItem:
    """One labelled clip: a video (or a frame range of it) and its class name."""

    path: Path
    label: str
    rel: str  # path relative to the input root (the future data.video_root)
    start: int = 0
    end: int | None = None  # exclusive
    split: str | None = None

    @property
    def key(self) -> str:
        """Unique clip id, used as ``frame_dir``."""
        stem = str(Path(self.rel).with_suffix(""))
        if self.start or self.end is not None:
            stem += f"@{self.start}-{'' if self.end is None else self.end}"
        return stem


class ExtractError(ValueError):
    """Input listing problems (missing folder, bad CSV)."""


# ------------------------------------------------------------------ inputs


def list_folder(root: Path) -> list[VideoItem]:
    """``ROOT/<label>/**/<video>`` -> items, sorted by path."""
    if not root.is_dir():
        raise ExtractError(f"{root} is not a folder")
    items = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in VIDEO_SUFFIXES or not path.is_file():
            continue
        rel = path.relative_to(root)
        if len(rel.parts) < 2:
            raise ExtractError(f"{path} is directly in {root}: put videos in one sub-folder "
                               "per label (ROOT/<label>/<video>) or list them in a CSV")
        items.append(VideoItem(path=path, label=rel.parts[0], rel=rel.as_posix()))
    if not items:
        raise ExtractError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) under {root}")
    return items


def list_csv(path: Path) -> list[VideoItem]:
    """CSV rows ``path,label[,start,end][,split]`` -> items (paths relative to the CSV)."""
    if not path.is_file():
        raise ExtractError(f"{path} does not exist")
    root = path.parent
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = [c.strip() for c in reader.fieldnames or []]
        if "path" not in fields or "label" not in fields:
            raise ExtractError(f"{path}: the header must name 'path' and 'label' columns "
                               f"(optional: start, end, split); got {fields}")
        items = []
        for n, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            if not row.get("path"):
                continue
            try:
                start = int(row.get("start") or 0)
                end = int(row["end"]) if row.get("end") else None
            except ValueError as exc:
                raise ExtractError(f"{path}:{n}: start/end must be frame numbers") from exc
            if start < 0 or (end is not None and end <= start):
                raise ExtractError(f"{path}:{n}: need 0 <= start < end, got {start}, {end}")
            if not row.get("label"):
                raise ExtractError(f"{path}:{n}: no label for {row['path']}")
            video = Path(row["path"])
            full = video if video.is_absolute() else root / video
            rel = video.as_posix() if not video.is_absolute() else full.as_posix()
            items.append(VideoItem(path=full, label=row["label"], rel=rel, start=start, end=end,
                                   split=row.get("split") or None))
    if not items:
        raise ExtractError(f"{path} lists no videos")
    return items


# ------------------------------------------------------------------ one video


def _fixed_rows(pose: PoseResult, rows: int) -> PoseResult:
    """The first ``rows`` detections, padded with empty ones (score 0)."""
    kp = np.zeros((rows, *pose.keypoints.shape[1:]), dtype=np.float32)
    sc = np.zeros((rows, pose.scores.shape[1]), dtype=np.float32)
    n = min(rows, pose.num_persons)
    kp[:n], sc[:n] = pose.keypoints[:n], pose.scores[:n]
    return PoseResult(kp, sc)


def extract_video(
    item: VideoItem, tracker_factory: Any, *, num_poses: int = 1,
    track: TrackConfig | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], float, tuple[int, int]]:
    """Run the pose tracker and the edge's person tracks over a clip.

    ``track``: the edge's ``pose.track`` settings (None: its defaults; ``enabled: false``:
    every frame's detections as the pose model reports them, as such an edge sees them).

    Returns:
        keypoints ``(M, T, 17, 2)`` pixels, scores ``(M, T, 17)``, fps, ``(height, width)``;
        ``M = num_poses`` (absent persons are zeros with score 0).
    """
    import cv2

    cap = cv2.VideoCapture(str(item.path))
    if not cap.isOpened():
        raise OSError(f"OpenCV cannot open {item.path}")
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or 30.0
        if not 1.0 <= fps <= 240.0:
            fps = 30.0
        for _ in range(item.start):
            if not cap.grab():
                raise OSError(f"{item.path} has fewer than {item.start} frames")
        kps: list[npt.NDArray[np.float32]] = []
        scs: list[npt.NDArray[np.float32]] = []
        shape: tuple[int, int] | None = None
        tc = track or TrackConfig()
        tracks = PersonTracks(num_poses, keep_s=tc.keep_s, reach=tc.reach, speed=tc.speed,
                              switch_ratio=tc.switch_ratio) if tc.enabled else None
        ids: list[npt.NDArray[np.int64]] = []
        with tracker_factory() as tracker:
            index = 0
            while item.end is None or item.start + index < item.end:
                ok, bgr = cap.read()
                if not ok:
                    break
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                shape = (int(rgb.shape[0]), int(rgb.shape[1]))
                seen = tracker.process(rgb, index / fps)
                if tracks is not None:
                    tracked = tracks.update(index / fps, seen)
                    ids.append(tracks.ids.copy())
                else:
                    tracked = _fixed_rows(seen, num_poses)
                kps.append(tracked.keypoints)
                scs.append(tracked.scores)
                index += 1
    finally:
        cap.release()
    if not kps or shape is None:
        raise OSError(f"no frame of {item.path} could be decoded"
                      + (f" from frame {item.start}" if item.start else ""))
    keypoints = np.stack(kps, axis=1)
    scores = np.stack(scs, axis=1)
    # like the edge's windows: what a track displaced by someone far more confident
    # followed was not a person (edge_app.window.same_person)
    if tracks is not None and tracks.discredited:
        gone = np.isin(np.stack(ids, axis=1), list(tracks.discredited))  # (M, T)
        scores[gone] = 0.0
        keypoints[gone] = 0.0
    return keypoints, scores, fps, shape


# ------------------------------------------------------------------ the dataset


def _part_path(parts: Path, item: VideoItem) -> Path:
    digest = hashlib.sha1(f"{item.rel}|{item.start}|{item.end}".encode()).hexdigest()[:16]
    return parts / f"{digest}.pkl"


def _split_of(item: VideoItem, val_fraction: float) -> str:
    if item.split:
        return item.split
    if val_fraction <= 0:
        return "train"
    bucket = zlib.crc32(item.key.encode()) % 10_000 / 10_000  # stable across runs
    return "val" if bucket < val_fraction else "train"


def extract_dataset(
    items: Sequence[VideoItem],
    out: Path,
    *,
    class_names: Sequence[str] | None = None,
    model_path: Path | None = None,
    num_poses: int = 1,
    max_side: int = 640,
    val_fraction: float = 0.0,
    progress: bool = True,
    pose: PoseConfig | None = None,
) -> tuple[PysklFile, list[tuple[str, str]]]:
    """Extract every item (resuming from ``<out>.parts/``) and write the PYSKL pickle.

    ``pose``: an edge config's pose section (``--edge-config``): its detector thresholds
    and person tracks are used, so the clips are what that edge sees; ``model_path``,
    ``num_poses`` and ``max_side`` as given here.

    Returns:
        the dataset and the ``(video, reason)`` list of videos that could not be read.
    """
    from tqdm import tqdm

    from edge_app.config import DEFAULT_POSE_MODEL
    from edge_app.pose import PoseTracker

    names = list(class_names) if class_names else sorted({i.label for i in items})
    unknown = sorted({i.label for i in items} - set(names))
    if unknown:
        raise ExtractError(f"labels {unknown} are not among the class names {names}")
    model = model_path or DEFAULT_POSE_MODEL
    pcfg = pose or PoseConfig()

    def factory() -> PoseTracker:  # the edge's thresholds and zoom: the same keypoints
        return PoseTracker.from_config(pcfg, model, num_poses=num_poses, max_side=max_side)

    factory().close()  # a bad pose model fails here, before any work
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ExtractError(f"clip {dup!r} is listed twice")

    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    failed: list[tuple[str, str]] = []
    todo = [i for i in items if not _part_path(parts, i).is_file()]
    if len(todo) < len(items):
        log.info("resuming: %d of %d clips already extracted in %s", len(items) - len(todo),
                 len(items), parts)
    bar = tqdm(todo, desc="extract", unit="video", disable=not progress or None)
    for item in bar:
        bar.set_postfix_str(item.rel[-40:])
        try:
            kp, sc, fps, shape = extract_video(item, factory, num_poses=num_poses,
                                               track=pcfg.track)
        except OSError as exc:
            failed.append((str(item.path), str(exc)))
            log.warning("skipped %s: %s", item.path, exc)
            continue
        ann = make_annotation(item.key, names.index(item.label), kp, sc, shape, fps=fps,
                              filename=item.rel, start_frame=item.start)
        target = _part_path(parts, item)
        tmp = target.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(ann, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(target)
    bar.close()
    anns: list[Annotation] = []
    split: dict[str, list[str]] = {}
    for item in items:  # labels and splits from the current listing, keypoints from parts
        part = _part_path(parts, item)
        if not part.is_file():
            continue
        with part.open("rb") as src:
            ann = pickle.load(src)
        ann["label"] = names.index(item.label)
        anns.append(ann)
        split.setdefault(_split_of(item, val_fraction), []).append(item.key)
    data = PysklFile(annotations=anns, split=split, class_names=names)
    save_pyskl(data, out)
    failed_file = out.with_name(out.name + ".failed.txt")
    if failed:
        failed_file.write_text("".join(f"{p}\t{r}\n" for p, r in failed), encoding="utf-8")
    elif failed_file.exists():
        failed_file.unlink()
    return data, failed


# ------------------------------------------------------------------ CLI


def add_extract_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="folder ROOT/<label>/<video> or a CSV "
                        "(path,label[,start,end][,split])")
    parser.add_argument("--out", type=Path, required=True, help="output PYSKL pickle")
    parser.add_argument("--classes", help="comma-separated class names in label order "
                        "(default: the labels found, sorted)")
    parser.add_argument("--label-set", help="class names from a label set (ntu60, toyota, adl)")
    parser.add_argument("--pose-model", type=Path, help="MediaPipe PoseLandmarker .task "
                        "(default: the bundled one)")
    parser.add_argument("--edge-config", type=Path, help="the edge's config file (e.g. "
                        "/etc/epam-edge/config.yaml): its pose section (model, persons, "
                        "thresholds, person tracks, max_side) is used, so the clips are "
                        "what that edge sees; the flags below override it")
    parser.add_argument("--num-poses", type=int, default=None,
                        help="persons per frame (M; default 1)")
    parser.add_argument("--max-side", type=int, default=None, help="downscale frames to this "
                        "longer side before pose estimation, as the edge does (default 640)")
    parser.add_argument("--val-fraction", type=float, default=0.0, help="put this fraction of "
                        "clips (stable hash) in a 'val' split when the CSV gives no split")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def extract_from_args(args: argparse.Namespace) -> int:
    from edge_app.config import ConfigError, load_config
    from edge_app.pose import PoseError
    from model.labels import get_label_set

    try:
        items = list_csv(args.input) if args.input.suffix.lower() == ".csv" \
            else list_folder(args.input)
        names: list[str] | None = None
        if args.label_set:
            names = list(get_label_set(args.label_set))
        elif args.classes:
            names = [s.strip() for s in args.classes.split(",") if s.strip()]
        pose = PoseConfig()
        if args.edge_config is not None:
            if not args.edge_config.is_file():
                raise ExtractError(f"edge config {args.edge_config} does not exist")
            edge = load_config(args.edge_config)
            pose = edge.pose
            if args.pose_model is None and pose.model_path:
                args.pose_model = edge.resolved_pose_model_path()
        data, failed = extract_dataset(
            items, args.out, class_names=names, model_path=args.pose_model,
            num_poses=args.num_poses or pose.num_poses,
            max_side=args.max_side or pose.max_side, val_fraction=args.val_fraction,
            progress=not args.no_progress, pose=pose)
    except (ExtractError, PoseError, KeyError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{k}={len(v)}" for k, v in sorted(data.split.items()))
    print(f"wrote {args.out}: {len(data.annotations)} clips ({counts}), "
          f"{len(data.class_names or [])} classes")
    if failed:
        print(f"{len(failed)} videos could not be read (listed in "
              f"{args.out.name}.failed.txt):", file=sys.stderr)
        for path, reason in failed:
            print(f"  {path}: {reason}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m train.extract",
        description="Build a PYSKL keypoint pickle from labelled videos with the edge "
        "runtime's MediaPipe pose tracker (resumable; unreadable videos are listed).")
    add_extract_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return extract_from_args(args)


if __name__ == "__main__":
    sys.exit(main())
