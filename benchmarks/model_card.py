"""Every number of assets/MODEL_CARD.md, measured on REAL data the model did not train on.

    python benchmarks/model_card.py [--model assets/models/epamnet_adl.onnx]
        [--data ../shared/data] [--sections utkinect urfd videos] [--json OUT.json]
        [--synth-dir work_dirs/synth/adl_ft]

Sections (each skipped, with the reason, when its data is absent):

- ``utkinect``: UTKinect-Action3D, all 10 subjects (none trained on), Kinect 3D joints
  projected to 2D (``train.convert.utkinect``). One window per labelled segment, made
  the way the edge makes it (48 samples at the model's rate, centred), run through the
  ONNX file in ONNX Runtime. The five classes that map onto the model's (walk, sitDown,
  standUp, pickUp, waveHands) give top-1, per-class accuracy and a confusion matrix;
  the other five (carry, throw, push, pull, clapHands) count windows called "falling".
- ``msr``: MSR Action3D (567 sequences of arm gestures, kicks, bending, jogging...,
  projected like UTKinect): nobody falls, so every window called "falling" is a false
  call; the table shows what each action is taken for.
- ``urfd``: UR Fall Detection falls 1-15 (AlphaPose keypoints), each video replayed
  through the edge pipeline itself (``edge_app.app.EdgeApp``, keypoint-file source,
  ``--fast``, the default event rules), with the first frame held for ``--pad-before``
  seconds and the last for ``--pad-after`` (the clips are 2-7 s, shorter than the
  context the monitor has in a home). A fall is caught when a critical fall alert is
  decided between the annotated fall onset and 5 s after the first frame annotated
  lying ("reaching the floor"; in this CSV every falling run is 30 frames, so the floor
  is 1 s after the onset); alerts decided before the onset are false alarms, and an
  incident they opened that is still open at the onset is shown, not counted as caught.
- ``utk_sequences``: the 20 whole UTKinect takes (about 18 minutes: each subject walks,
  sits down, stands up, picks up, carries, throws, pushes, pulls, waves and claps, with
  the moves in between), replayed through the edge pipeline like URFD, split where the
  recording paused: every fall alert is a false alarm, and lying/waving warnings are
  counted too, each with what the take's labels say at that moment. The closest real
  stand-in here for hours of daily living.
- ``videos``: the real videos in ``videos/open`` through the whole edge pipeline
  (OpenCV decode, MediaPipe pose, windows, the model, events): fall alerts there are
  false alarms (people walk, stand, sit; nobody falls).
- ``synth`` (``--synth-dir``): the synthetic validation split (subjects not trained on),
  for comparison with the real-data numbers.

Prints one table per section and, with ``--json``, writes every number.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table
from edge_app.app import EdgeApp
from edge_app.config import DEFAULT_MODEL, load_config
from edge_app.runner import ModelError, ModelRunner
from edge_app.types import Event, SinkBase, WindowResult
from train.pyskl import Annotation, PysklFile

log = logging.getLogger("model_card")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SECTIONS = ("utkinect", "msr", "urfd", "utk_sequences", "videos", "synth")

# UTKinect class -> the model's class (the five the activity goal is measured on).
UTK_TO_ADL: dict[str, str] = {
    "walk": "walking",
    "sitDown": "sitting down",
    "standUp": "standing up",
    "pickUp": "bending or picking up",
    "waveHands": "waving for help",
}
FALL_LABEL = "falling"
HIT_BEFORE_ONSET_S = 0.0  # an alert decided before the annotated onset is a false alarm
HIT_AFTER_FLOOR_S = 5.0  # ... and up to 5 s after the person reaches the floor (the
# confirmed alert's promise, events.fall_confirm; the card's tables before it used 2 s)


# ----------------------------------------------------------------------------- replay


@dataclass
class DecidedEvent:
    """An event and the source time of the window whose result produced it."""

    event: Event
    decided_at: float


@dataclass
class ReplayResult:
    events: list[DecidedEvent] = field(default_factory=list)
    windows: list[WindowResult] = field(default_factory=list)
    duration_s: float = 0.0

    def fall_alerts(self) -> list[DecidedEvent]:
        """``new`` critical fall incidents, in order."""
        return [d for d in self.events if d.event.type == "new" and d.event.rule == "fall"]

    def alerts(self) -> list[DecidedEvent]:
        return [d for d in self.events if d.event.type == "new" and d.event.is_alert]

    def activity_seconds(self) -> dict[str, float]:
        """Seconds of each activity segment label (info incidents, ``end`` events)."""
        out: dict[str, float] = {}
        for d in self.events:
            e = d.event
            if e.type == "end" and e.level == "info" and e.end_time is not None:
                out[e.label] = out.get(e.label, 0.0) + max(0.0, e.end_time - e.start_time)
        return out


class _Recorder(SinkBase):
    """Collects events, stamped with the time of the window that decided them."""

    name = "model-card"

    def __init__(self, result: ReplayResult) -> None:
        self.result = result
        self._pending: list[Event] = []

    def on_event(self, event: Event) -> None:
        self._pending.append(event)

    def on_window(self, result: WindowResult) -> None:
        self.result.windows.append(result)
        for e in self._pending:
            self.result.events.append(DecidedEvent(e, result.time))
        self._pending.clear()

    def close(self) -> None:  # events of the final flush (incidents ended at stop)
        last = self.result.windows[-1].time if self.result.windows else 0.0
        for e in self._pending:
            self.result.events.append(DecidedEvent(e, last))
        self._pending.clear()


def replay(source: str, model: Path, *, overrides: Sequence[str] = (),
           prepare: Callable[[EdgeApp], None] | None = None) -> ReplayResult:
    """Run the edge pipeline on ``source`` (``--fast``) and record what it decided.

    ``prepare`` is called with the pipeline before it starts (e.g. to wrap its runner).
    """
    cfg = load_config(overrides=["logging.level=WARNING",
                                 "mqtt.enabled=false", *overrides])
    result = ReplayResult()
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("EPAM_DATA_DIR")
        os.environ["EPAM_DATA_DIR"] = tmp
        try:
            p = EdgeApp(cfg, source=source, model_path=model, realtime=False)
            if prepare is not None:
                prepare(p)
            p.add_sink(_Recorder(result))
            p.start()
            p.wait()
            p.stop()
        finally:
            if old is None:
                os.environ.pop("EPAM_DATA_DIR", None)
            else:
                os.environ["EPAM_DATA_DIR"] = old
    if p.error:
        raise RuntimeError(f"{source}: {p.error}")
    result.duration_s = p.stats.source_time
    return result


def write_replay_pickle(path: Path, name: str, keypoint: np.ndarray, score: np.ndarray,
                        img_shape: tuple[int, int], fps: float) -> Path:
    """A one-annotation PYSKL pickle that the keypoint-file source replays."""
    anno = {"frame_dir": name, "label": -1, "total_frames": int(keypoint.shape[1]),
            "img_shape": img_shape, "original_shape": img_shape, "fps": fps,
            "keypoint": keypoint.astype(np.float32),
            "keypoint_score": score.astype(np.float32)}
    with path.open("wb") as f:
        pickle.dump({"split": {"all": [name]}, "annotations": [anno]}, f)
    return path


def hold_pad(keypoint: np.ndarray, score: np.ndarray, before: int,
             after: int) -> tuple[np.ndarray, np.ndarray]:
    """Repeat the first frame ``before`` times and the last ``after`` times."""
    kp = np.concatenate([np.repeat(keypoint[:, :1], before, 1), keypoint,
                         np.repeat(keypoint[:, -1:], after, 1)], axis=1)
    sc = np.concatenate([np.repeat(score[:, :1], before, 1), score,
                         np.repeat(score[:, -1:], after, 1)], axis=1)
    return kp, sc


# ----------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class FallOutcome:
    """How one annotated fall was handled."""

    name: str
    onset_s: float
    floor_s: float
    caught: bool
    delay_s: float | None  # first in-time alert's decision time minus floor time
    false_alerts: int  # fall alerts decided before the hit interval
    late_alerts: int
    open_at_onset: bool = False  # an earlier (false) fall incident was still open


def score_fall(name: str, alerts_at: Sequence[float], onset_s: float,
               floor_s: float, *, open_at_onset: bool = False) -> FallOutcome:
    """Match fall alert decision times against one annotated fall."""
    lo, hi = onset_s - HIT_BEFORE_ONSET_S, floor_s + HIT_AFTER_FLOOR_S
    hits = [t for t in alerts_at if lo <= t <= hi]
    early = sum(1 for t in alerts_at if t < lo)
    late = sum(1 for t in alerts_at if t > hi)
    return FallOutcome(name, onset_s, floor_s, bool(hits),
                       (hits[0] - floor_s) if hits else None, early, late, open_at_onset)


def incident_open_at(events: Sequence[DecidedEvent], rule: str, t: float) -> bool:
    """Was an incident of ``rule`` opened before ``t`` and not yet ended at ``t``?"""
    opened: dict[str, float] = {}
    ended: dict[str, float] = {}
    for d in events:
        if d.event.rule != rule:
            continue
        if d.event.type == "new":
            opened[d.event.id] = d.decided_at
        elif d.event.type == "end":
            ended[d.event.id] = d.decided_at
    return any(t0 < t and ended.get(i, np.inf) >= t for i, t0 in opened.items())


# ----------------------------------------------------------------------------- sections


def predict_clips(runner: ModelRunner, anns: Sequence[dict[str, Any]]) -> list[int]:
    """Top class of one centred window per clip, made as the edge makes windows (48
    samples at the model's rate), run through the ONNX file (pose only)."""
    from train.dataset import ClipDataset, DataOptions

    opts = DataOptions(sampling="rate", sample_rate_hz=runner.metadata.sample_rate_hz)
    ds = ClipDataset(list(anns), modalities=["pose"], train=False, options=opts)
    return [int(np.argmax(runner.predict(ds[i]["pose"].numpy(), None).logits))
            for i in range(len(ds))]


def predict_set(runner: ModelRunner, pysk: PysklFile
                ) -> tuple[list[Annotation], list[str], list[int]]:
    """A converted skeleton set's annotations, its class names and the model's calls."""
    return pysk.annotations, list(pysk.class_names or []), predict_clips(runner,
                                                                         pysk.annotations)


def section_utkinect(runner: ModelRunner, data: Path) -> dict[str, Any]:
    from train.convert.utkinect import convert_utkinect
    from train.metrics import report, save_confusion_png

    root = data / "skeletons" / "utkinect"
    if not root.is_dir():
        return {"skipped": f"{root} is absent"}
    names = list(runner.class_names)
    anns, utk_names, preds = predict_set(runner, convert_utkinect(root))
    scored_true: list[int] = []
    scored_pred: list[int] = []
    other_falls: dict[str, int] = {}
    other_counts: dict[str, int] = {}
    for ann, pred in zip(anns, preds, strict=True):
        utk = utk_names[int(ann["label"])]
        if utk in UTK_TO_ADL:
            scored_true.append(names.index(UTK_TO_ADL[utk]))
            scored_pred.append(pred)
        else:
            other_counts[utk] = other_counts.get(utk, 0) + 1
            if names[pred] == FALL_LABEL:
                other_falls[utk] = other_falls.get(utk, 0) + 1
    rep = report(scored_true, scored_pred, len(names))
    png = ROOT / "docs" / "model_card_utkinect_confusion.png"
    try:
        save_confusion_png(rep.confusion, names, png,
                           title="UTKinect (all subjects, 5 mapped classes)")
    except Exception as exc:  # matplotlib missing or headless trouble: numbers still count
        log.warning("confusion PNG not written: %s", exc)
    per_class = {UTK_TO_ADL[u]: rep.per_class_accuracy[names.index(UTK_TO_ADL[u])]
                 for u in UTK_TO_ADL}
    falls_5 = sum(1 for p in scored_pred if names[p] == FALL_LABEL)
    rows = [[f"{u} -> {a}", int(sum(1 for t in scored_true if t == names.index(a))),
             f"{per_class[a] * 100:.1f}%"] for u, a in UTK_TO_ADL.items()]
    print(f"\nUTKinect, {len(anns)} segments, all 10 subjects (not trained on); "
          f"one centred window per segment")
    print_table(["class", "segments", "accuracy"], rows)
    print(f"top-1 on the 5 mapped classes: {rep.top1 * 100:.1f}% "
          f"(chance {100 / len(names):.1f}%), mean class accuracy "
          f"{rep.mean_class_accuracy * 100:.1f}%")
    print("confusion (rows: true, columns: predicted):")
    present = sorted(set(scored_true) | set(scored_pred))
    print_table(["true \\ pred", *[names[j][:10] for j in present]],
                [[names[i], *[int(rep.confusion[i, j]) for j in present]]
                 for i in sorted(set(scored_true))])
    n_other = sum(other_counts.values())
    print(f"windows called '{FALL_LABEL}': {falls_5} of {len(scored_true)} (5 classes), "
          f"{sum(other_falls.values())} of {n_other} (carry/throw/push/pull/clapHands)")
    return {"segments": len(anns), "scored": len(scored_true), "top1": rep.top1,
            "mean_class_accuracy": rep.mean_class_accuracy, "per_class": per_class,
            "confusion": rep.confusion.tolist(), "classes": names,
            "fall_calls_scored": falls_5, "fall_calls_other": other_falls,
            "other_counts": other_counts, "confusion_png": str(png.relative_to(ROOT))}


def section_msr(runner: ModelRunner, data: Path) -> dict[str, Any]:
    from train.convert.msr_action3d import convert_msr_action3d

    root = data / "skeletons" / "msr_action3d"
    if not root.is_dir():
        return {"skipped": f"{root} is absent"}
    names = list(runner.class_names)
    anns, msr_names, preds = predict_set(runner, convert_msr_action3d(root))
    table: dict[str, dict[str, int]] = {}
    for ann, pred in zip(anns, preds, strict=True):
        row = table.setdefault(msr_names[int(ann["label"])], {})
        row[names[pred]] = row.get(names[pred], 0) + 1
    falls = sum(r.get(FALL_LABEL, 0) for r in table.values())
    print(f"\nMSR Action3D, {len(preds)} sequences (arm gestures, kicks, bend, jogging, "
          "golf...; nobody falls), one centred window each: what the model calls them")
    print_table(["action", "clips", "top call", "called falling"],
                [[a, sum(r.values()), max(r, key=lambda k: r[k]), r.get(FALL_LABEL, 0)]
                 for a, r in table.items()])
    print(f"windows called '{FALL_LABEL}': {falls} of {len(preds)}")
    return {"sequences": len(preds), "fall_calls": falls, "calls": table}


def section_urfd(model: Path, data: Path, pad_before: float, pad_after: float,
                 overrides: Sequence[str]) -> dict[str, Any]:
    from train.convert.urfd import FPS, IMAGE_SHAPE, read_urfd_videos

    root = data / "skeletons" / "urfd_falls_dev"
    if not root.is_dir():
        return {"skipped": f"{root} is absent"}
    videos = read_urfd_videos(root)
    outcomes: list[FallOutcome] = []
    rows = []
    before, after = round(pad_before * FPS), round(pad_after * FPS)
    with tempfile.TemporaryDirectory() as tmp:
        for v in videos:
            if v.fall_frame is None:
                continue
            kp, sc = hold_pad(v.keypoint, v.keypoint_score, before, after)
            name = f"urfd-fall-{v.video:02d}"
            pkl = write_replay_pickle(Path(tmp) / f"{name}.pkl", name, kp, sc, IMAGE_SHAPE, FPS)
            res = replay(str(pkl), model, overrides=overrides)
            onset = (before + v.fall_frame) / FPS
            floor_frame = v.floor_frame if v.floor_frame is not None else v.labels.shape[0] - 1
            floor = (before + floor_frame) / FPS
            alerts = [d.decided_at for d in res.fall_alerts()]
            out = score_fall(name, alerts, onset, floor,
                             open_at_onset=incident_open_at(res.events, "fall", onset))
            outcomes.append(out)
            peak = max((float(w.smoothed[list(w.class_names).index(FALL_LABEL)])
                        for w in res.windows if FALL_LABEL in w.class_names), default=0.0)
            rows.append([name, f"{onset:.1f}", f"{floor:.1f}", "yes" if out.caught else "NO",
                         "-" if out.delay_s is None else f"{out.delay_s:+.2f}",
                         out.false_alerts, out.late_alerts,
                         "yes" if out.open_at_onset else "-", f"{peak:.2f}"])
    caught = sum(o.caught for o in outcomes)
    false_alerts = sum(o.false_alerts for o in outcomes)
    delays = [o.delay_s for o in outcomes if o.delay_s is not None]
    print(f"\nURFD falls 1-15 through the edge pipeline (keypoint replay, --fast, default "
          f"rules), held first frame {pad_before:.1f} s, last frame {pad_after:.1f} s")
    print_table(["video", "onset s", "floor s", "caught", "alert - floor s", "early alerts",
                 "late alerts", "open at onset", "peak P(fall)"], rows)
    print(f"caught {caught}/{len(outcomes)} within {HIT_AFTER_FLOOR_S:.0f} s of reaching the "
          f"floor; {false_alerts} fall alerts before the fall"
          + (f"; median alert - floor {np.median(delays):+.2f} s" if delays else ""))
    return {"falls": len(outcomes), "caught": caught, "false_alerts": false_alerts,
            "median_delay_s": float(np.median(delays)) if delays else None,
            "per_video": [o.__dict__ for o in outcomes],
            "pad_before_s": pad_before, "pad_after_s": pad_after}


def take_moment(actions: Sequence[tuple[str, int, int]], frame_id: float) -> str:
    """What a UTKinect take's labels say about ``frame_id``: the labelled action it falls
    in, or ``"between A and B"`` (``"before B"``, ``"after A"``) in the moves between."""
    for action, start, end in actions:
        if start <= frame_id <= end:
            return action
    before = [a for a, _, end in actions if end < frame_id]
    after = [a for a, start, _ in sorted(actions, key=lambda x: x[1]) if start > frame_id]
    if before and after:
        return f"between {before[-1]} and {after[0]}"
    return f"before {after[0]}" if after else f"after {before[-1]}" if before else "-"


def section_utk_sequences(model: Path, data: Path, overrides: Sequence[str]
                          ) -> dict[str, Any]:
    from train.convert.utkinect import (
        SOURCE_FPS,
        convert_utkinect_sequences,
        parse_action_labels,
    )

    root = data / "skeletons" / "utkinect"
    if not root.is_dir():
        return {"skipped": f"{root} is absent"}
    pysk = convert_utkinect_sequences(root)
    joints = root / "joints" if (root / "joints").is_dir() else root
    label_file = joints / "actionLabel_modified.txt"
    labels = parse_action_labels(label_file if label_file.is_file()
                                 else joints / "actionLabel.txt")
    rows = []
    per_part: dict[str, Any] = {}
    total_s = 0.0
    total_falls = 0
    total_other = 0
    with tempfile.TemporaryDirectory() as tmp:
        for ann in pysk.annotations:
            name = str(ann["frame_dir"])
            pkl = write_replay_pickle(Path(tmp) / f"{name}.pkl", name, ann["keypoint"],
                                      ann["keypoint_score"], tuple(ann["img_shape"]),
                                      float(ann["fps"]))
            res = replay(str(pkl), model, overrides=overrides)
            falls = res.fall_alerts()
            other = [d for d in res.alerts() if d.event.rule != "fall"]
            actions = labels.get(name.rsplit("_p", 1)[0], [])
            first_id = float(ann["source_frame_ids"][0])

            def moment(t: float, actions: Sequence[tuple[str, int, int]] = actions,
                       first_id: float = first_id) -> str:
                return take_moment(actions, first_id + t * SOURCE_FPS)

            total_s += res.duration_s
            total_falls += len(falls)
            total_other += len(other)
            per_part[name] = {"seconds": res.duration_s, "windows": len(res.windows),
                              "fall_alert_times": [d.decided_at for d in falls],
                              "fall_alert_moments": [moment(d.decided_at) for d in falls],
                              "other_alerts": [(d.event.label, d.decided_at) for d in other],
                              "other_alert_moments": [moment(d.decided_at) for d in other],
                              "activity_seconds": res.activity_seconds()}
            if falls or other:
                rows.append([name, f"{res.duration_s:.0f}", len(falls),
                             ", ".join(f"{d.decided_at:.0f} ({moment(d.decided_at)})"
                                       for d in falls) or "-",
                             ", ".join(f"{d.event.label} {d.decided_at:.0f}s "
                                       f"({moment(d.decided_at)})" for d in other) or "-"])
    print(f"\nUTKinect whole takes ({len(pysk.annotations)} parts, {total_s / 60:.1f} "
          "minutes, nobody falls) through the edge pipeline (keypoint replay, --fast, "
          "default rules); parts with alerts (in brackets: what the labels say then):")
    print_table(["part", "seconds", "fall alerts", "at s", "other alerts"], rows or
                [["(none)", "-", 0, "-", "-"]])
    print(f"{total_falls} false fall alerts and {total_other} other alerts in "
          f"{total_s / 60:.1f} minutes")
    return {"parts": len(pysk.annotations), "seconds": total_s,
            "false_fall_alerts": total_falls, "other_alerts": total_other,
            "per_part": per_part}


def section_videos(model: Path, data: Path, overrides: Sequence[str]) -> dict[str, Any]:
    folder = data / "videos" / "open"
    if not folder.is_dir():
        return {"skipped": f"{folder} is absent"}
    rows = []
    per_video: dict[str, Any] = {}
    total_s = 0.0
    total_falls = 0
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".mp4", ".avi", ".gif"):
            continue
        t0 = time.monotonic()
        res = replay(str(path), model, overrides=overrides)
        falls = res.fall_alerts()
        alerts = res.alerts()
        acts = res.activity_seconds()
        total_s += res.duration_s
        total_falls += len(falls)
        top = ", ".join(f"{k} {v:.0f}s" for k, v in sorted(acts.items(), key=lambda kv: -kv[1]))
        rows.append([path.name, f"{res.duration_s:.1f}", len(res.windows), len(falls),
                     len(alerts) - len(falls), top or "-", f"{time.monotonic() - t0:.0f}"])
        per_video[path.name] = {"seconds": res.duration_s, "windows": len(res.windows),
                                "fall_alerts": len(falls),
                                "fall_alert_times": [d.decided_at for d in falls],
                                "other_alerts": [d.event.label for d in alerts
                                                 if d.event.rule != "fall"],
                                "activity_seconds": acts}
    print("\nReal videos (videos/open) through the whole edge pipeline (MediaPipe pose, "
          "--fast, default rules); nobody falls in them")
    print_table(["video", "seconds", "windows", "fall alerts", "other alerts",
                 "activities (segments)", "wall s"], rows)
    print(f"{total_falls} false fall alerts in {total_s / 60:.1f} minutes of real video")
    return {"seconds": total_s, "false_fall_alerts": total_falls, "per_video": per_video}


def section_synth(runner: ModelRunner, synth_dir: Path | None) -> dict[str, Any]:
    from train.metrics import report
    from train.pyskl import load_pyskl

    if synth_dir is None or not (synth_dir / "annotations.pkl").is_file():
        return {"skipped": "no --synth-dir with annotations.pkl (python -m train.synth ...)"}
    names = list(runner.class_names)
    pysk = load_pyskl(synth_dir / "annotations.pkl")
    val = set(pysk.split.get("val", []))
    anns = [a for a in pysk.annotations if a["frame_dir"] in val]
    preds = predict_clips(runner, anns)
    labels = [int(a["label"]) for a in anns]
    rep = report(labels, preds, len(names))
    print(f"\nSynthetic val split ({len(anns)} clips, subjects not trained on): top-1 "
          f"{rep.top1 * 100:.1f}%, mean class accuracy {rep.mean_class_accuracy * 100:.1f}%")
    print_table(["class", "accuracy"], [[n, f"{a * 100:.1f}%"] for n, a in
                                        zip(names, rep.per_class_accuracy, strict=True)])
    return {"clips": len(anns), "top1": rep.top1, "mean_class_accuracy":
            rep.mean_class_accuracy, "per_class": dict(zip(names, rep.per_class_accuracy,
                                                           strict=True))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="EPAM-Net .onnx")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/data")
    parser.add_argument("--sections", nargs="+", default=["utkinect", "msr", "urfd", "videos"],
                        choices=SECTIONS)
    parser.add_argument("--synth-dir", type=Path, default=None,
                        help="a train.synth folder (section synth: its val split)")
    parser.add_argument("--pad-before", type=float, default=4.0,
                        help="URFD: seconds the first frame is held")
    parser.add_argument("--pad-after", type=float, default=6.0,
                        help="URFD: seconds the last frame is held")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="edge config override (repeatable)")
    parser.add_argument("--json", type=Path, default=None, help="write every number here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        runner = ModelRunner(args.model, providers=["cpu"])
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    meta = runner.metadata
    print(f"model {args.model} ({meta.model_name}, {meta.num_classes} classes, "
          f"{meta.sample_rate_hz:g} samples/s, {'untrained' if meta.untrained else 'trained'})")
    out: dict[str, Any] = {"model": str(args.model), "overrides": args.overrides}
    for name in args.sections:
        t0 = time.monotonic()
        if name == "utkinect":
            res = section_utkinect(runner, args.data)
        elif name == "msr":
            res = section_msr(runner, args.data)
        elif name == "urfd":
            res = section_urfd(args.model, args.data, args.pad_before, args.pad_after,
                               args.overrides)
        elif name == "utk_sequences":
            res = section_utk_sequences(args.model, args.data, args.overrides)
        elif name == "videos":
            res = section_videos(args.model, args.data, args.overrides)
        else:
            res = section_synth(runner, args.synth_dir)
        if "skipped" in res:
            print(f"\n{name}: skipped ({res['skipped']})")
        res["wall_s"] = round(time.monotonic() - t0, 1)
        out[name] = res
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=float))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
