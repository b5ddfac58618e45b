"""Whole-pipeline speed on real video: per-stage latency, drops, real-time factor.

    python benchmarks/pipeline.py [--seconds 60] [--model FILE.onnx] [--modes fast realtime]
        [--variant NAME KEY=VALUE[,KEY=VALUE...] ...] [--cameras 2]

Runs the edge pipeline (decode -> MediaPipe pose -> windows -> EPAM-Net) on
(a) the bundled demo video (768x432, 10 fps) and (b) a 30 fps 1280x720 video made from
it by resizing and frame repetition (cached in /tmp). Real-time factor = wall time /
video duration (<= 1.0: keeps up). Decision latency = end of a window (its last
sample taken) -> its probabilities delivered to the sinks. ``--variant`` adds runs with
config overrides, in the same process (e.g. ``--variant no-zoom pose.zoom.enabled=false``).

``--cameras N`` (default 2; 0 skips it) adds a second table: N cameras in one app
(``cameras:``), each on the 720p30 video paced in real time as a camera delivers it, all
started together: per camera its real-time factor (time from the start of its clock, after
opening the video and the pose model, to the end of its last window / the video's
duration: 1.00 keeps the video's pace; a camera that cannot keep up falls behind, > 1.0), windows skipped and samples
skipped, and the process's CPU share (CPU seconds / wall seconds / cores) in the same run.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import print_table
from edge_app.app import EdgeApp
from edge_app.config import DEFAULT_MODEL, DEFAULT_VIDEO, CameraConfig, load_config


def make_720p30(src: Path, out: Path, seconds: float) -> Path:
    """A 1280x720 30 fps clip from ``src`` (resized, each frame repeated to reach 30 fps)."""
    import cv2

    if out.exists():
        return out
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    repeat = max(1, round(30.0 / fps))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (1280, 720))
    written = 0
    while written < seconds * 30:
        ok, frame = cap.read()
        if not ok:
            break
        big = cv2.resize(frame, (1280, 720), interpolation=cv2.INTER_LINEAR)
        for _ in range(repeat):
            writer.write(big)
            written += 1
    writer.release()
    cap.release()
    return out


def run_once(video: Path, model: Path, seconds: float, realtime: bool,
             overrides: list[str] | None = None) -> dict[str, object]:
    cfg = load_config(overrides=["logging.level=WARNING", *(overrides or [])])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EPAM_DATA_DIR"] = tmp
        p = EdgeApp(cfg, source=str(video), model_path=model, realtime=realtime,
                     max_seconds=seconds)
        t0 = time.monotonic()
        p.start()
        p.wait()
        wall = time.monotonic() - t0
        p.stop()
    st = p.stats
    duration = st.source_time
    n = {k: max(1, v) for k, v in (("decode", st.frames), ("pose", st.pose_calls),
                                   ("window", st.windows), ("inference", st.windows))}
    return {
        "video": video.name, "mode": "realtime" if realtime else "fast",
        "decode": st.totals["decode"] / n["decode"], "pose": st.totals["pose"] / n["pose"],
        "window": st.totals["window"] / n["window"],
        "inference": st.totals["inference"] / n["inference"],
        "frames": st.frames, "windows": st.windows, "skipped": st.skipped_windows,
        "skipped_samples": st.skipped_samples, "rtf": wall / duration if duration else 0.0,
        "decision": st.max_decision_ms, "duration": duration, "provider": p.runner.providers[0],
        "pose_calls": st.pose_calls, "zoom_calls": st.zoom_calls,
    }


def run_cameras(video: Path, model: Path, seconds: float, n: int,
                overrides: list[str] | None = None) -> list[list[object]]:
    """``n`` cameras on ``video`` in one app, paced in real time: one row per camera."""
    cfg = load_config(overrides=["logging.level=WARNING", *(overrides or [])])
    cfg = cfg.model_copy(update={"cameras": [
        CameraConfig(name=f"cam{i + 1}", source=str(video)) for i in range(n)]})
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EPAM_DATA_DIR"] = tmp
        app = EdgeApp(cfg, model_path=model, realtime=True, max_seconds=seconds)
        done: dict[str, float] = {}
        app.start()  # opens the videos and pose models; each camera's clock starts after
        cpu0, t0 = time.process_time(), time.monotonic()
        while len(done) < n:
            for cam in app.cameras:
                if cam.name not in done and cam.finished.is_set():
                    done[cam.name] = time.monotonic() - t0
            time.sleep(0.05)
        wall = time.monotonic() - t0
        cpu = (time.process_time() - cpu0) / wall / (os.cpu_count() or 1)
        app.stop()
    rows: list[list[object]] = []
    for cam in app.cameras:
        st = cam.stats
        rtf = done[cam.name] / st.source_time if st.source_time else 0.0
        pose = st.totals["pose"] / max(1, st.pose_calls)
        infer = st.totals["inference"] / max(1, st.windows)
        rows.append([f"{n} x {video.name}", cam.name, f"{pose:.1f}", st.pose_calls,
                     f"{infer:.0f}", st.windows, st.skipped_windows, st.skipped_samples,
                     f"{rtf:.2f}", f"{st.max_decision_ms:.0f}", f"{cpu * 100:.0f}%"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of each video")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--modes", nargs="+", default=["fast"], choices=["fast", "realtime"])
    parser.add_argument("--variant", nargs=2, action="append", default=[],
                        metavar=("NAME", "OVERRIDES"),
                        help="also run with these comma-separated config overrides")
    parser.add_argument("--cameras", type=int, default=2,
                        help="cameras in one app for the several-camera table (0: skip it)")
    args = parser.parse_args(argv)
    variants: list[tuple[str, list[str]]] = [("default", [])] + [
        (name, [o for o in sets.split(",") if o]) for name, sets in args.variant]
    logging.basicConfig(level=logging.WARNING)
    hd = make_720p30(DEFAULT_VIDEO, Path(tempfile.gettempdir()) / "epam_bench_720p30.mp4",
                     args.seconds)
    rows = []
    for video in (DEFAULT_VIDEO, hd):
        for mode in args.modes:
            for name, overrides in variants:
                r = run_once(video, args.model, args.seconds, mode == "realtime", overrides)
                rows.append([r["video"], r["mode"], name, f"{r['decode']:.1f}",
                             f"{r['pose']:.1f}", r["pose_calls"], r["zoom_calls"],
                             f"{r['window']:.1f}", f"{r['inference']:.0f}", r["frames"],
                             r["windows"], r["skipped"], f"{r['rtf']:.2f}",
                             f"{r['decision']:.0f}"])
    print(f"Edge pipeline, {args.seconds:.0f} s of each video, 15 samples/s, stride 8, "
          f"model {args.model.name} on {r['provider']}, {os.cpu_count()} CPUs")
    print("stage columns: mean ms per call (decode per decoded frame, pose per pose call "
          "with its zoom, if any; window build and inference per window)")
    print_table(["video", "mode", "config", "decode", "pose", "pose calls", "zoom calls",
                 "window", "infer", "frames", "windows", "skipped", "RT factor",
                 "max decision ms"], rows)
    if args.cameras > 0:
        cam_rows = run_cameras(hd, args.model, args.seconds, args.cameras)
        print(f"\n{args.cameras} cameras in one app, each on {hd.name} paced in real time "
              f"({args.seconds:.0f} s), started together; CPU share of the process over the run")
        print_table(["cameras", "camera", "pose ms", "pose calls", "infer ms", "windows",
                     "skipped", "skipped samples", "RT factor", "max decision ms", "CPU"],
                    cam_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
