"""Fused vs pose-only vs RGB-only on the same windows: real video, then rendered clips.

    python benchmarks/fusion.py --model FUSED.onnx [--baseline assets/models/epamnet_adl.onnx]
        [--data ../shared/data] [--synth-dir work_dirs/synth/rgb] [--max-clips N] [--json OUT]

``--model`` is an EPAM-Net export whose RGB stream was trained (``trained_streams``
names ``rgb``: a joint-phase checkpoint). On every window both streams see, the table
compares four answers, all from one run:

- ``fused``: the model's ``scores`` (rgb logits + pose logits, after the pose-driven
  attention), what the runtime acts on for such a model;
- ``pose``: the same model's ``pose_logits``. The attention changes only the RGB
  features, so this is exactly what the model answers in privacy mode;
- ``rgb``: its ``rgb_logits`` (the RGB stream under the pose-driven attention; EPAM-Net
  has no RGB path without the pose);
- ``shipped``: ``--baseline`` run pose-only, as the runtime runs the bundled model.

Sections (each skipped, with the reason, when its data is absent):

- ``videos``: the real videos in ``videos/open`` through the whole edge pipeline
  (``--fast``, default rules) with the fused model, each window's inputs also handed to
  the full graph and to the baseline. Nobody there falls, lies down or calls for help,
  so a window whose top-1 is one of those classes is a false call; the share called
  walking is shown too (the videos are mostly people walking). The pipeline's own
  alerts with the fused model are counted as in ``model_card.py``'s ``videos``.
- ``synth`` (``--synth-dir``): the rendered validation split of a ``train.synth`` folder
  made with video (subjects not trained on), top-1 of each answer. Same renderer as the
  training clips, so it flatters the RGB stream: read the real-video numbers first.

Prints one table per section and, with ``--json``, writes every number.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table
from benchmarks.model_card import DEFAULT_DATA, ReplayResult, replay
from edge_app.app import EdgeApp
from edge_app.config import DEFAULT_MODEL
from edge_app.runner import ModelError, ModelRunner, Prediction

log = logging.getLogger("fusion")
ANSWERS = ("fused", "pose", "rgb", "shipped")
FALSE_CALLS = ("falling", "lying on the floor", "waving for help")
WALKING = "walking"
FloatArray = npt.NDArray[np.float32]


class StreamScorer:
    """The fused model's full graph (all three outputs) and the baseline, pose-only."""

    def __init__(self, model: Path, baseline: Path) -> None:
        import onnxruntime as ort

        self.fused = ModelRunner(model, providers=["cpu"])
        if not self.fused.rgb_trained:
            raise ModelError(f"{model}: its provenance says the RGB stream was not trained "
                             f"(trained_streams {self.fused.metadata.provenance.get('trained_streams')}"
                             "); export a joint-phase checkpoint to compare fusion")
        self.baseline = ModelRunner(baseline, providers=["cpu"])
        if self.baseline.class_names != self.fused.class_names:
            raise ModelError(f"{baseline} and {model} have different classes")
        self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        self.class_names = self.fused.class_names

    def score(self, pose: FloatArray, rgb: FloatArray) -> dict[str, FloatArray]:
        """Logits of each answer for one window (pose ``(17,48,56,56)``, rgb ``(3,16,224,224)``)."""
        scores, rgb_l, pose_l = self.session.run(
            ["scores", "rgb_logits", "pose_logits"],
            {"pose_heatmaps": pose[None], "rgb": rgb[None]})
        shipped = self.baseline.predict(pose, None).logits
        return {"fused": np.asarray(scores[0]), "pose": np.asarray(pose_l[0]),
                "rgb": np.asarray(rgb_l[0]), "shipped": np.asarray(shipped)}


@dataclass
class Tally:
    """Top-1 classes of each answer over a set of windows (and the truth, when known)."""

    names: tuple[str, ...]
    top: dict[str, list[int]] = field(default_factory=lambda: {a: [] for a in ANSWERS})
    labels: list[int] = field(default_factory=list)

    def add(self, logits: dict[str, FloatArray], label: int | None = None) -> None:
        for a in ANSWERS:
            self.top[a].append(int(np.argmax(logits[a])))
        if label is not None:
            self.labels.append(label)

    def __len__(self) -> int:
        return len(self.top["fused"])

    def share(self, answer: str, classes: Sequence[str]) -> float:
        idx = {self.names.index(c) for c in classes if c in self.names}
        return sum(t in idx for t in self.top[answer]) / max(1, len(self))

    def count(self, answer: str, classes: Sequence[str]) -> int:
        idx = {self.names.index(c) for c in classes if c in self.names}
        return sum(t in idx for t in self.top[answer])

    def top1(self, answer: str) -> float:
        pairs = zip(self.top[answer], self.labels, strict=True)
        return sum(p == y for p, y in pairs) / max(1, len(self.labels))

    def agreement(self, a: str, b: str) -> float:
        pairs = zip(self.top[a], self.top[b], strict=True)
        return sum(x == y for x, y in pairs) / max(1, len(self))

    def histogram(self, answer: str) -> dict[str, int]:
        return {self.names[i]: n for i, n in Counter(self.top[answer]).most_common()}


class _Tap:
    """Stands in for the pipeline's runner: answers with the fused scores, records all."""

    def __init__(self, inner: Any, scorer: StreamScorer, tally: Tally) -> None:
        self._inner = inner
        self._scorer = scorer
        self._tally = tally
        self.without_rgb = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def predict(self, pose: FloatArray, rgb: FloatArray | None) -> Prediction:
        if rgb is None:  # no frames for this window: the runtime falls back to pose only
            self.without_rgb += 1
            return self._inner.predict(pose, None)  # type: ignore[no-any-return]
        t0 = time.perf_counter()
        logits = self._scorer.score(pose, rgb)
        self._tally.add(logits)
        return Prediction(logits["fused"], False, (time.perf_counter() - t0) * 1e3)


def replay_with_tap(source: str, scorer: StreamScorer, model: Path,
                    tally: Tally) -> tuple[ReplayResult, int]:
    """The edge pipeline on ``source`` with the fused model, every RGB window tallied."""
    taps: list[_Tap] = []

    def install(p: EdgeApp) -> None:
        taps.append(_Tap(p.camera.runner, scorer, tally))
        p.camera.runner = taps[0]  # type: ignore[assignment]

    result = replay(source, model, overrides=["model.backend=onnxruntime",
                                              "privacy.enabled=false"], prepare=install)
    return result, taps[0].without_rgb


def _answer_rows(tally: Tally, *, with_truth: bool) -> list[list[str]]:
    rows = []
    for a in ANSWERS:
        row = [a]
        if with_truth:
            row.append(f"{tally.top1(a) * 100:.1f}%")
        row += [str(tally.count(a, FALSE_CALLS)), f"{tally.share(a, [WALKING]) * 100:.0f}%",
                f"{tally.agreement(a, 'shipped') * 100:.0f}%"]
        rows.append(row)
    return rows


def section_videos(scorer: StreamScorer, model: Path, data: Path) -> dict[str, Any]:
    folder = data / "videos" / "open"
    if not folder.is_dir():
        return {"skipped": f"{folder} is absent"}
    total = Tally(scorer.class_names)
    per_video: dict[str, Any] = {}
    rows = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".mp4", ".avi", ".gif"):
            continue
        t0 = time.monotonic()
        tally = Tally(scorer.class_names)
        res, without_rgb = replay_with_tap(str(path), scorer, model, tally)
        for a in ANSWERS:
            total.top[a] += tally.top[a]
        falls = res.fall_alerts()
        others = [d.event.label for d in res.alerts() if d.event.rule != "fall"]
        per_video[path.name] = {
            "seconds": res.duration_s, "windows": len(tally), "windows_without_rgb": without_rgb,
            "false_calls": {a: tally.count(a, FALSE_CALLS) for a in ANSWERS},
            "walking_share": {a: tally.share(a, [WALKING]) for a in ANSWERS},
            "histogram": {a: tally.histogram(a) for a in ANSWERS},
            "fused_fall_alerts": len(falls), "fused_other_alerts": others}
        rows.append([path.name, f"{res.duration_s:.1f}", str(len(tally))]
                    + [str(tally.count(a, FALSE_CALLS)) for a in ANSWERS]
                    + [str(len(falls)), str(len(others)), f"{time.monotonic() - t0:.0f}"])
    print("\nReal videos (videos/open) through the edge pipeline with the fused model: windows "
          "whose top-1 is falling, lying or waving (nobody does any of those here)")
    print_table(["video", "seconds", "windows", *(f"{a} false" for a in ANSWERS),
                 "fused fall alerts", "fused other alerts", "wall s"], rows)
    print(f"\nAll {len(total)} windows: false calls, share called walking, agreement with "
          "the shipped pose-only model")
    print_table(["answer", "false calls", "walking", "agrees with shipped"],
                _answer_rows(total, with_truth=False))
    return {"windows": len(total), "per_video": per_video,
            "false_calls": {a: total.count(a, FALSE_CALLS) for a in ANSWERS},
            "walking_share": {a: total.share(a, [WALKING]) for a in ANSWERS},
            "agreement_with_shipped": {a: total.agreement(a, "shipped") for a in ANSWERS},
            "histogram": {a: total.histogram(a) for a in ANSWERS}}


def section_synth(scorer: StreamScorer, synth_dir: Path | None,
                  max_clips: int | None) -> dict[str, Any]:
    from train.dataset import ClipDataset, DataOptions
    from train.metrics import report
    from train.pyskl import load_pyskl

    if synth_dir is None or not (synth_dir / "annotations.pkl").is_file():
        return {"skipped": "no --synth-dir with annotations.pkl (python -m train.synth ...)"}
    if not (synth_dir / "videos").is_dir():
        return {"skipped": f"{synth_dir} has no videos/ (made with --no-video)"}
    names = scorer.class_names
    pysk = load_pyskl(synth_dir / "annotations.pkl")
    val = set(pysk.split.get("val", []))
    if pysk.class_names and list(pysk.class_names) != list(names):
        return {"skipped": f"{synth_dir} has classes {pysk.class_names}, the model {names}"}
    anns = [a for a in pysk.annotations if a["frame_dir"] in val]
    if max_clips and len(anns) > max_clips:  # an even stride: the file is in class order
        anns = anns[::math.ceil(len(anns) / max_clips)]
    meta = scorer.fused.metadata
    ds = ClipDataset(anns, modalities=("pose", "rgb"), train=False,
                     options=DataOptions(sampling="uniform" if meta.sampling == "uniform" else "rate",
                                         sample_rate_hz=meta.sample_rate_hz,
                                         video_root=synth_dir / "videos"))
    tally = Tally(names)
    for i in range(len(ds)):
        item = ds[i]
        tally.add(scorer.score(item["pose"].numpy(), item["rgb"].numpy()), int(item["label"]))
    print(f"\nRendered synthetic val split ({len(tally)} clips, subjects not trained on; same "
          "renderer as the training clips)")
    rows = []
    per_class: dict[str, list[float]] = {}
    for a in ANSWERS:
        rep = report(tally.labels, tally.top[a], len(names))
        per_class[a] = list(rep.per_class_accuracy)
        rows.append([a, f"{rep.top1 * 100:.1f}%", f"{rep.mean_class_accuracy * 100:.1f}%"])
    print_table(["answer", "top-1", "mean class accuracy"], rows)
    print_table(["class", *ANSWERS],
                [[n, *(f"{per_class[a][i] * 100:.0f}%" for a in ANSWERS)]
                 for i, n in enumerate(names)])
    return {"clips": len(tally), "top1": {a: tally.top1(a) for a in ANSWERS},
            "per_class": {a: dict(zip(names, per_class[a], strict=True)) for a in ANSWERS}}


def _no_nan(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True,
                        help="EPAM-Net .onnx with a trained RGB stream (joint phase)")
    parser.add_argument("--baseline", type=Path, default=DEFAULT_MODEL,
                        help="pose-only model to compare with (default: the bundled one)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/data")
    parser.add_argument("--sections", nargs="+", default=["videos", "synth"],
                        choices=("videos", "synth"))
    parser.add_argument("--synth-dir", type=Path, default=None,
                        help="a train.synth folder rendered with video (section synth)")
    parser.add_argument("--max-clips", type=int, default=None,
                        help="synth: at most this many val clips")
    parser.add_argument("--json", type=Path, default=None, help="write every number here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        scorer = StreamScorer(args.model, args.baseline)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"fused model {args.model}, baseline {args.baseline} (pose only)")
    out: dict[str, Any] = {"model": str(args.model), "baseline": str(args.baseline)}
    for name in args.sections:
        t0 = time.monotonic()
        if name == "videos":
            res = section_videos(scorer, args.model, args.data)
        else:
            res = section_synth(scorer, args.synth_dir, args.max_clips)
        if "skipped" in res:
            print(f"\n{name}: skipped ({res['skipped']})")
        res["wall_s"] = round(time.monotonic() - t0, 1)
        out[name] = res
    if args.json:  # a class with no clips has no accuracy: null, not NaN
        args.json.write_text(json.dumps(_no_nan(out), indent=2, default=float))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
