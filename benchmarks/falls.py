"""Fall alerts on real people, through the whole edge pipeline: caught, late, false.

    python benchmarks/falls.py [--model assets/models/epamnet_adl.onnx]
        [--data ../shared/data] [--sections dev urfd utk] [--hold-before 3]
        [--hold-after 4] [--clips SUBSTRING ...] [--set KEY=VALUE ...] [--json OUT.json]
        [--cache work_dirs/falls_cache | --no-cache]

Sections (each skipped, with the reason, when its data is absent):

- ``dev``: the 78 real development clips in ``videos/restricted/dev`` (26 falls with
  the time each person reaches the floor, 52 everyday clips), each run through the
  pipeline exactly as a camera's frames are (OpenCV decode, MediaPipe pose, tracker,
  windows, the model, the view and standing checks, the event engine), ``--fast``. A
  camera keeps showing a room before and after anything happens, while these clips are
  cut close around it (several falls end less than 1 s after the floor), so by default
  each clip's first frame is held for ``--hold-before`` seconds and its last frame for
  ``--hold-after`` seconds, as a camera would keep showing a person who stays still;
  ``--hold-before 0 --hold-after 0`` scores the clips as they are.
- ``urfd``: UR Fall Detection falls 1-15 as keypoints (AlphaPose), replayed through the
  same pipeline (keypoint-file source), held the same way.
- ``utk``: the 20 whole UTKinect takes (about 18 minutes of walking, sitting down,
  standing up, picking up, carrying, waving... nobody falls), replayed likewise.

Scoring, the same for every section:

- A fall is **caught** when a critical fall alert (``rule == "fall"``) is decided between
  ``EARLY_S`` before and ``MAX_DELAY_S`` after the moment the person reaches the floor;
  the delay is the decision time (the end of the window that decided it) minus that
  moment. A fall alert decided before that interval is a false alert, after it a late one.
- In everyday clips and takes every critical fall alert is false. The clips are grouped
  as the data's README asks: ordinary everyday clips, and the clips in which someone
  deliberately gets down onto (or sits, crouches on) the floor. "False fall alerts per
  hour of daily living" counts the ordinary everyday clips and the UTKinect takes.
- The warnings are counted per group too: "lying on the floor", long lie, waving for
  help, recovered falls ("fell and got up") and, when enabled, possible falls.

Speed: the pose of every decoded frame and the model's output for every window are kept
in ``--cache`` (keyed by the clip's bytes, the hold, the pose settings and the sample
rate; by the model file's hash and the exact input), so a rerun after a change to the
event rules takes seconds per clip; the first run takes about 20 minutes on 2 cores.
Every number comes from the same code path either way: a cache hit returns what the
pose model or the network returned for that very input.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table
from benchmarks.model_card import (
    DEFAULT_DATA,
    HIT_AFTER_FLOOR_S,
    ReplayResult,
    hold_pad,
    replay,
    write_replay_pickle,
)
from edge_app.app import EdgeApp
from edge_app.config import DEFAULT_MODEL, load_config
from edge_app.pose import PoseResult
from edge_app.runner import Prediction
from edge_app.sources import SourceFrame, VideoFileSource, parse_source
from model.files import file_sha256

log = logging.getLogger("falls")
ROOT = Path(__file__).resolve().parents[1]
DEV_DIR = Path("videos") / "restricted" / "dev"
SECTIONS = ("dev", "urfd", "utk")
EARLY_S = 2.0  # an alert decided up to 2 s before the floor is the fall (it is on its way)
MAX_DELAY_S = HIT_AFTER_FLOOR_S  # ... and at most 5 s after it (the product's promise)

# Clips in which someone gets down onto the floor on purpose (the dev README's
# "floor-lying ADL" and controlled sitting/crouching near the floor).
FLOOR_ON_PURPOSE = (
    {f"urfd_adl-{n:02d}_cam0_rgb.mp4" for n in (30, 31, 32, 33, 34, 35, 38, 39, 40)}
    | {"le2i_office_lie_down_on_floor_mattress.mp4", "le2i_office_sit_on_floor_recline.mp4",
       "le2i_office_crouch_by_wall.mp4"})

GROUP_FALLS = "dev falls"
GROUP_ADL = "dev everyday"
GROUP_FLOOR = "dev floor on purpose"
GROUP_URFD = "URFD falls (keypoints)"
GROUP_UTK = "UTKinect takes"
DAILY_LIVING = (GROUP_ADL, GROUP_UTK)

# warning/critical kinds counted besides the critical fall alert: name -> test on an event
WARNINGS: dict[str, Callable[[str, str], bool]] = {
    "recovered": lambda rule, label: rule == "recovered_fall",
    "possible": lambda rule, label: rule == "possible_fall",
    "lying": lambda rule, label: rule == "class" and label == "lying on the floor",
    "long lie": lambda rule, label: rule == "long_lie",
    "waving": lambda rule, label: rule == "class" and label == "waving for help",
}


# ----------------------------------------------------------------------------- outcome


@dataclass
class ClipOutcome:
    """What the pipeline decided on one clip."""

    name: str
    group: str
    seconds: float
    floor_s: float | None  # falls: when the person reaches the floor (held timeline)
    fall_alerts: list[float] = field(default_factory=list)  # decision times
    warnings: dict[str, list[float]] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def is_fall(self) -> bool:
        return self.floor_s is not None

    def hits(self) -> list[float]:
        if self.floor_s is None:
            return []
        return [t for t in self.fall_alerts
                if self.floor_s - EARLY_S <= t <= self.floor_s + MAX_DELAY_S]

    @property
    def caught(self) -> bool:
        return bool(self.hits())

    @property
    def delay_s(self) -> float | None:
        hits = self.hits()
        return hits[0] - self.floor_s if hits and self.floor_s is not None else None

    @property
    def false_alerts(self) -> int:
        """Critical fall alerts that are not this clip's fall (all of them in everyday clips)."""
        if self.floor_s is None:
            return len(self.fall_alerts)
        return sum(1 for t in self.fall_alerts if t < self.floor_s - EARLY_S)

    @property
    def late_alerts(self) -> int:
        if self.floor_s is None:
            return 0
        return sum(1 for t in self.fall_alerts if t > self.floor_s + MAX_DELAY_S)

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "caught": self.caught, "delay_s": self.delay_s,
                "false_alerts": self.false_alerts, "late_alerts": self.late_alerts}


def outcome_of(name: str, group: str, res: ReplayResult, floor_s: float | None,
               wall_s: float) -> ClipOutcome:
    out = ClipOutcome(name, group, res.duration_s, floor_s, wall_s=wall_s)
    for d in res.events:
        e = d.event
        if e.type != "new":
            continue
        if e.rule == "fall" and e.level == "critical":
            out.fall_alerts.append(d.decided_at)
        for kind, test in WARNINGS.items():
            if test(e.rule, e.label):
                out.warnings.setdefault(kind, []).append(d.decided_at)
    return out


# ----------------------------------------------------------------------------- caches


class Cache:
    """Pose results per frame and model outputs per window, on disk (pickles)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def load(self, key: str) -> dict[Any, Any]:
        if self.folder is None:
            return {}
        path = self.folder / f"{key}.pkl"
        if not path.is_file():
            return {}
        try:
            with path.open("rb") as f:
                data = pickle.load(f)
            return data if isinstance(data, dict) else {}
        except Exception as exc:  # a half-written cache file is only a slower run
            log.warning("cache %s unreadable (%s): recomputing", path.name, exc)
            return {}

    def save(self, key: str, data: dict[Any, Any]) -> None:
        if self.folder is None:
            return
        tmp = self.folder / f"{key}.pkl.tmp"
        with tmp.open("wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(self.folder / f"{key}.pkl")


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def cached_model(p: EdgeApp, table: dict[Any, Any]) -> None:
    """Serve ``p.runner.predict`` from ``table`` (input digest -> logits), filling it."""
    predict = p.runner.predict

    def wrapped(pose: npt.NDArray[np.float32], rgb: npt.NDArray[np.float32] | None
                ) -> Prediction:
        h = hashlib.blake2b(np.ascontiguousarray(pose).tobytes(), digest_size=16)
        if rgb is not None:
            h.update(np.ascontiguousarray(rgb).tobytes())
        key = h.hexdigest()
        hit = table.get(key)
        if hit is not None:
            return Prediction(np.asarray(hit[0], np.float32), bool(hit[1]), 0.0)
        pred = predict(pose, rgb)
        table[key] = (np.asarray(pred.logits, np.float32), pred.pose_only)
        return pred

    setattr(p.runner, "predict", wrapped)  # noqa: B010 - an instance wrapper


def cached_pose(p: EdgeApp, table: dict[Any, Any]) -> None:
    """Serve the camera's pose calls from ``table`` (frame time -> keypoints, scores)."""
    windower = p.camera.windower
    pose_of = windower.pose_of

    def wrapped(frame: SourceFrame) -> PoseResult:
        key = round(frame.time, 4)
        hit = table.get(key)
        if hit is not None:
            return PoseResult(hit[0], hit[1])
        res = pose_of(frame)
        table[key] = (res.keypoints, res.scores)
        return res

    setattr(windower, "pose_of", wrapped)  # noqa: B010 - an instance wrapper


# ----------------------------------------------------------------------------- held video


class HeldVideoSource(VideoFileSource):
    """A video file whose first frame is shown ``before`` s longer and its last ``after`` s
    longer (at the file's frame rate), as a camera keeps showing a still room.

    ``distant`` < 1: every frame is put in the middle of a plain picture ``1 / distant``
    times as wide and high (its mean colour): the same person, as small in the picture as
    a wide or far camera would show them. Pictures are kept within ``MAX_CANVAS`` pixels
    wide (a large frame is first scaled down), as a real wide camera's would be.
    """

    MAX_CANVAS = 1280

    def __init__(self, text: str, *, before: float, after: float,
                 distant: float = 1.0) -> None:
        super().__init__(parse_source(text), realtime=False)
        self.before = before
        self.after = after
        self.distant = distant
        self._inner_size = self.size
        if distant < 1.0:
            w, h = self.size
            shrink = min(1.0, self.MAX_CANVAS * distant / w)
            self._inner_size = (max(1, round(w * shrink)), max(1, round(h * shrink)))
            iw, ih = self._inner_size
            self.size = (round(iw / distant), round(ih / distant))

    def _place(self, frame: SourceFrame) -> SourceFrame:
        if self.distant >= 1.0 or frame.image is None:
            return frame
        img = frame.image
        if (img.shape[1], img.shape[0]) != self._inner_size:
            import cv2

            img = np.asarray(cv2.resize(img, self._inner_size, interpolation=cv2.INTER_AREA),
                             dtype=np.uint8)
        h, w = img.shape[:2]
        cw, ch = self.size
        canvas = np.empty((ch, cw, 3), np.uint8)
        canvas[:] = img.reshape(-1, 3).mean(axis=0).astype(np.uint8)
        y0, x0 = (ch - h) // 2, (cw - w) // 2
        canvas[y0:y0 + h, x0:x0 + w] = img
        return dataclasses.replace(frame, image=canvas, size=self.size)

    def frames(self) -> Iterator[SourceFrame]:
        for frame in self._held_frames():
            yield self._place(frame)

    def _held_frames(self) -> Iterator[SourceFrame]:
        period = 1.0 / self.fps
        n_before = round(self.before * self.fps)
        shift = n_before * period
        outer = self.wanted  # the pipeline's choice of frames to decode
        self.wanted = lambda t: True
        inner = super().frames()
        first = next(inner, None)
        if first is None:
            return
        for i in range(n_before):
            yield dataclasses.replace(first, time=i * period, index=i)
        self.wanted = lambda t: outer(t + shift)
        last = dataclasses.replace(first, time=first.time + shift, index=n_before)
        yield last
        for fr in inner:
            last = dataclasses.replace(fr, time=fr.time + shift, index=fr.index + n_before)
            yield last
        end = shift + max(self.frame_count - 1, 0) * period
        for i in range(1, round(self.after * self.fps) + 1):
            yield dataclasses.replace(last, time=end + i * period, index=last.index + i)


# ----------------------------------------------------------------------------- sections


@dataclass
class Settings:
    model: Path
    data: Path
    hold_before: float
    hold_after: float
    overrides: list[str]
    cache: Cache
    clips: list[str]
    distant: float = 1.0

    def wanted(self, name: str) -> bool:
        return not self.clips or any(c in name for c in self.clips)


def _replay_cached(source: str, s: Settings, pose_key: str | None,
                   open_source: Callable[[str], Any] | None = None) -> ReplayResult:
    model_key = "model-" + _digest(file_sha256(s.model))
    preds = s.cache.load(model_key)
    poses = s.cache.load(pose_key) if pose_key else {}
    n_preds, n_poses = len(preds), len(poses)

    def prepare(p: EdgeApp) -> None:
        if open_source is not None:
            setattr(p.camera, "open_source", open_source)  # noqa: B010
        cached_model(p, preds)
        if pose_key:
            cached_pose(p, poses)

    res = replay(source, s.model, overrides=s.overrides, prepare=prepare)
    if len(preds) != n_preds:
        s.cache.save(model_key, preds)
    if pose_key and len(poses) != n_poses:
        s.cache.save(pose_key, poses)
    return res


def _pose_key_settings(pose: Any) -> dict[str, Any]:
    """The pose settings a clip's cached keypoints depend on. ``zoom.search_grid`` at its
    default (3) is left out, so caches made before the setting existed stay valid."""
    settings: dict[str, Any] = pose.model_dump()
    if settings.get("zoom", {}).get("search_grid") == 3:
        settings["zoom"] = {k: v for k, v in settings["zoom"].items() if k != "search_grid"}
    return settings


def section_dev(s: Settings) -> list[ClipOutcome] | str:
    folder = s.data / DEV_DIR
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return f"{manifest} is absent"
    cfg = load_config(overrides=s.overrides)
    out: list[ClipOutcome] = []
    for entry in json.loads(manifest.read_text()):
        name = str(entry["file"])
        if not s.wanted(name):
            continue
        path = folder / name
        if not path.is_file():
            log.warning("%s is listed in the manifest but absent: skipped", name)
            continue
        floor = entry.get("floor_time_s")
        group = (GROUP_FALLS if entry["kind"] == "fall" else
                 GROUP_FLOOR if name in FLOOR_ON_PURPOSE else GROUP_ADL)
        pose_key = "pose-" + _digest(entry.get("sha256") or file_sha256(path), s.hold_before,
                                     s.hold_after, _pose_key_settings(cfg.pose),
                                     cfg.window.sample_rate_hz, str(s.model.name),
                                     *([s.distant, HeldVideoSource.MAX_CANVAS]
                                       if s.distant < 1.0 else []))

        def held(text: str) -> HeldVideoSource:
            return HeldVideoSource(text, before=s.hold_before, after=s.hold_after,
                                   distant=s.distant)

        t0 = time.monotonic()
        res = _replay_cached(str(path), s, pose_key, held)
        o = outcome_of(name, group, res, None if floor is None else float(floor) + s.hold_before,
                       time.monotonic() - t0)
        log.info("%s: %.1f s, fall alerts at %s (%.0f s)", name, o.seconds,
                 [round(t, 1) for t in o.fall_alerts], o.wall_s)
        out.append(o)
    return out


def section_urfd(s: Settings) -> list[ClipOutcome] | str:
    from train.convert.urfd import FPS, IMAGE_SHAPE, read_urfd_videos

    root = s.data / "skeletons" / "urfd_falls_dev"
    if not root.is_dir():
        return f"{root} is absent"
    before, after = round(s.hold_before * FPS), round(s.hold_after * FPS)
    out: list[ClipOutcome] = []
    with tempfile.TemporaryDirectory() as tmp:
        for v in read_urfd_videos(root):
            name = f"urfd-fall-{v.video:02d} (keypoints)"
            if v.fall_frame is None or not s.wanted(name):
                continue
            kp, sc = hold_pad(v.keypoint, v.keypoint_score, before, after)
            pkl = write_replay_pickle(Path(tmp) / f"f{v.video}.pkl", name, kp, sc,
                                      IMAGE_SHAPE, FPS)
            floor_frame = v.floor_frame if v.floor_frame is not None else v.labels.shape[0] - 1
            t0 = time.monotonic()
            res = _replay_cached(str(pkl), s, None)
            out.append(outcome_of(name, GROUP_URFD, res, (before + floor_frame) / FPS,
                                  time.monotonic() - t0))
    return out


def section_utk(s: Settings) -> list[ClipOutcome] | str:
    from train.convert.utkinect import convert_utkinect_sequences

    root = s.data / "skeletons" / "utkinect"
    if not root.is_dir():
        return f"{root} is absent"
    out: list[ClipOutcome] = []
    with tempfile.TemporaryDirectory() as tmp:
        for ann in convert_utkinect_sequences(root).annotations:
            name = f"utk {ann['frame_dir']}"
            if not s.wanted(name):
                continue
            pkl = write_replay_pickle(Path(tmp) / "take.pkl", name, ann["keypoint"],
                                      ann["keypoint_score"], tuple(ann["img_shape"]),
                                      float(ann["fps"]))
            t0 = time.monotonic()
            res = _replay_cached(str(pkl), s, None)
            out.append(outcome_of(name, GROUP_UTK, res, None, time.monotonic() - t0))
    return out


RUNNERS: dict[str, Callable[[Settings], list[ClipOutcome] | str]] = {
    "dev": section_dev, "urfd": section_urfd, "utk": section_utk}


# ----------------------------------------------------------------------------- report


def _fmt_delay(delays: Sequence[float]) -> str:
    if not delays:
        return "-"
    return f"{np.median(delays):+.1f} / {max(delays):+.1f}"


def summarise(outcomes: Sequence[ClipOutcome]) -> dict[str, Any]:
    groups: dict[str, list[ClipOutcome]] = {}
    for o in outcomes:
        groups.setdefault(o.group, []).append(o)
    summary: dict[str, Any] = {}
    for g, items in groups.items():
        falls = [o for o in items if o.is_fall]
        delays = [o.delay_s for o in falls if o.delay_s is not None]
        summary[g] = {
            "clips": len(items),
            "seconds": sum(o.seconds for o in items),
            "falls": len(falls),
            "caught": sum(o.caught for o in falls),
            "median_delay_s": float(np.median(delays)) if delays else None,
            "worst_delay_s": float(max(delays)) if delays else None,
            "clips_with_false_fall": sum(1 for o in items if o.false_alerts),
            "false_fall_alerts": sum(o.false_alerts for o in items),
            "late_fall_alerts": sum(o.late_alerts for o in items),
            "warnings": {k: sum(len(o.warnings.get(k, [])) for o in items) for k in WARNINGS},
            "clips_with_warning": {k: sum(1 for o in items if o.warnings.get(k))
                                   for k in WARNINGS},
        }
    daily = [o for o in outcomes if o.group in DAILY_LIVING]
    hours = sum(o.seconds for o in daily) / 3600
    false_daily = sum(o.false_alerts for o in daily)
    summary["daily_living"] = {
        "hours": hours, "false_fall_alerts": false_daily,
        "per_hour": false_daily / hours if hours else None,
        "warnings_per_hour": {k: sum(len(o.warnings.get(k, [])) for o in daily) / hours
                              if hours else None for k in WARNINGS}}
    return summary


def print_report(outcomes: Sequence[ClipOutcome], summary: dict[str, Any],
                 s: Settings) -> None:
    print(f"\nFall alerts through the whole pipeline; clips held {s.hold_before:g} s on their "
          f"first frame and {s.hold_after:g} s on their last"
          + (f", shown {s.distant:g} times as large in a wider picture" if s.distant < 1 else "")
          + f"; caught = a critical fall alert from {EARLY_S:g} s before to {MAX_DELAY_S:g} s "
          "after reaching the floor")
    rows = []
    for g, v in summary.items():
        if g == "daily_living":
            continue
        w = v["warnings"]
        rows.append([
            g, v["clips"], f"{v['seconds'] / 60:.1f}",
            f"{v['caught']}/{v['falls']}" if v["falls"] else "-",
            _fmt_delay([o.delay_s for o in outcomes if o.group == g and o.delay_s is not None]),
            f"{v['clips_with_false_fall']} ({v['false_fall_alerts']})",
            w["lying"], w["long lie"], w["waving"], w["recovered"], w["possible"]])
    print_table(["group", "clips", "min", "falls caught", "delay med / worst s",
                 "clips w/ false fall (alerts)", "lying warn", "long lie", "waving",
                 "recovered", "possible"], rows)
    d = summary["daily_living"]
    if d["hours"]:
        print(f"daily living ({', '.join(DAILY_LIVING)}; {d['hours'] * 60:.1f} min): "
              f"{d['false_fall_alerts']} false fall alerts, {d['per_hour']:.1f} per hour; "
              "warnings per hour: " + ", ".join(f"{k} {v:.1f}"
                                                for k, v in d["warnings_per_hour"].items()))
    notable = [o for o in outcomes if (o.is_fall and not o.caught) or o.false_alerts
               or o.late_alerts or (o.is_fall and o.warnings.get("recovered"))]
    if notable:
        print("\nclips with a missed fall or a false or late fall alert:")
        print_table(["clip", "group", "floor s", "fall alerts at s", "warnings at s"], [
            [o.name, o.group, "-" if o.floor_s is None else f"{o.floor_s:.1f}",
             ", ".join(f"{t:.1f}" for t in o.fall_alerts) or "-",
             "; ".join(f"{k} " + ", ".join(f"{t:.1f}" for t in ts)
                       for k, ts in o.warnings.items()) or "-"] for o in notable])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    ap.add_argument("--hold-before", type=float, default=3.0,
                    help="seconds the first frame is held (default 3)")
    ap.add_argument("--hold-after", type=float, default=4.0,
                    help="seconds the last frame is held (default 4)")
    ap.add_argument("--distant", type=float, default=1.0,
                    help="dev clips: each frame in the middle of a plain picture 1/DISTANT "
                    "times as large (0.35: people as small as in a ceiling-corner CCTV "
                    "view); default 1, the clips as they are")
    ap.add_argument("--clips", nargs="+", default=[],
                    help="only clips whose name contains one of these")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="KEY=VALUE", help="config override, as for edge_app run")
    ap.add_argument("--cache", type=Path, default=ROOT / "work_dirs" / "falls_cache")
    ap.add_argument("--no-cache", action="store_true", help="recompute pose and model")
    ap.add_argument("--json", type=Path, help="write every number here")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not args.verbose:  # the sinks log every alert as a warning: the table says it all
        logging.getLogger("edge_app").setLevel(logging.ERROR)
    if not args.model.is_file():
        print(f"error: model {args.model} does not exist", file=sys.stderr)
        return 2
    s = Settings(args.model, args.data, args.hold_before, args.hold_after,
                 # one backend for every run: the cached outputs are that backend's
                 ["model.backend=onnxruntime", *args.overrides],
                 Cache(None if args.no_cache else args.cache), args.clips, args.distant)
    outcomes: list[ClipOutcome] = []
    skipped: dict[str, str] = {}
    t0 = time.monotonic()
    for name in args.sections:
        got = RUNNERS[name](s)
        if isinstance(got, str):
            skipped[name] = got
            print(f"[{name}] skipped: {got}")
        else:
            outcomes.extend(got)
    if not outcomes:
        print("nothing to measure: no data found (see --data)")
        return 0
    summary = summarise(outcomes)
    print_report(outcomes, summary, s)
    print(f"\n{len(outcomes)} clips in {time.monotonic() - t0:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "model": str(args.model.name), "hold_before_s": s.hold_before,
            "distant": s.distant,
            "hold_after_s": s.hold_after, "early_s": EARLY_S, "max_delay_s": MAX_DELAY_S,
            "overrides": args.overrides, "skipped": skipped, "summary": summary,
            "clips": [o.to_json() for o in outcomes]}, indent=1))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
