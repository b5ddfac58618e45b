"""Measure how MediaPipe's keypoints behave on real video; write ``noise_profile.json``.

Runs the edge app's own ``PoseTracker`` (MediaPipe PoseLandmarker, VIDEO mode, one
person) over the open videos, fed at about the edge's 15 samples/s, and records:

- jitter per joint: AR(1) ``sigma`` (torso lengths) and lag-1 ``rho`` on quasi-static
  frames, and how it grows for low-score joints;
- scores per joint: quantiles, low-score rates, and a Gaussian-copula model of their
  temporal behaviour (share of variance that is constant over a track, shared by the
  joints of a frame, and lag-1 correlation of the rest);
- dropouts: frames without a person inside tracks and their run lengths; glitches
  (single-frame jumps) and left/right swaps;
- the same on frames rotated by 90 degrees (a stand-in for people lying down);
- for comparison, the AlphaPose keypoints of URFD falls 1-15, if present.

Usage::

    python -m train.synth.measure_noise [--data ../shared/data] [--max-frames 300]
        [--out train/synth/noise_profile.json]

The profile holds numbers only (no keypoints, no frames).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.contract import COCO_KEYPOINTS, NUM_KEYPOINTS
from train.synth.stats import (
    LAGS,
    SCORE_QUANTILES,
    TORSO_JOINTS,
    TrackSamples,
    collect_samples,
    fit_jitter,
    gap_runs,
    norm_ppf,
    robust_var,
    structure_function,
    torso_length,
)

__all__ = ["Track", "dumps_compact", "main", "measure", "summarize_tracks", "track_video"]

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_MODEL = ROOT / "assets" / "models" / "pose_landmarker_full.task"
DEFAULT_OUT = Path(__file__).resolve().parent / "noise_profile.json"
TARGET_FPS = 15.0
VIDEO_SUFFIXES = (".mp4", ".avi", ".gif")
# Missing runs longer than this (frames) mean nobody is there, not a dropout.
MAX_GAP = 15
GLITCH_THR = 0.2  # torso lengths off the neighbours' midpoint, on quasi-static frames
STATIC_THR = 0.05  # body-centre motion per frame (torso lengths) still counted as static
SCORE_BINS = (0.0, 0.5, 0.8, 1.01)
# URFD AlphaPose CSV: 13 COCO joints (no eyes/ears) in this column order.
URFD_JOINTS = ("Nose", "LShoulder", "RShoulder", "LElbow", "RElbow", "LWrist", "RWrist",
               "LHip", "RHip", "LKnee", "RKnee", "LAnkle", "RAnkle")
URFD_TO_COCO = (0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
URFD_SIZE = (640, 480)
URFD_FPS = 30.0
LR_PAIRS = ((5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16))


@dataclass
class Track:
    """One video's tracker output: keypoints ``(T, 17, 2)`` px, scores ``(T, 17)``."""

    name: str
    keypoints: npt.NDArray[np.float64]
    scores: npt.NDArray[np.float64]
    present: npt.NDArray[np.bool_]
    fps: float
    size: tuple[int, int]  # (width, height)
    labels: npt.NDArray[np.int64] | None = None


def read_frames(
    path: Path, max_frames: int, target_fps: float = TARGET_FPS, rotate: int | None = None
) -> tuple[list[npt.NDArray[np.uint8]], float]:
    """Up to ``max_frames`` RGB frames of ``path``, subsampled to about ``target_fps``.

    Returns the frames and the rate they represent (frames/s).
    """
    import cv2

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    step = max(1, round(fps / target_fps))
    frames: list[npt.NDArray[np.uint8]] = []
    i = 0
    while len(frames) < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        if i % step == 0:
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            if rotate is not None:
                rgb = cv2.rotate(rgb, rotate)
            frames.append(np.ascontiguousarray(rgb))
        i += 1
    cap.release()
    return frames, fps / step


def track_video(
    path: Path, model: Path, max_frames: int, rotate: int | None = None, name: str | None = None
) -> Track:
    """Run ``PoseTracker`` over a video (a fresh tracker, so VIDEO mode starts clean)."""
    from edge_app.pose import PoseTracker

    frames, fps = read_frames(path, max_frames, rotate=rotate)
    t = len(frames)
    kps = np.zeros((t, NUM_KEYPOINTS, 2))
    scores = np.zeros((t, NUM_KEYPOINTS))
    present = np.zeros(t, dtype=bool)
    h, w = frames[0].shape[:2] if frames else (0, 0)
    with PoseTracker(model, num_poses=1) as tracker:
        for i, frame in enumerate(frames):
            res = tracker.process(frame, i / fps)
            if res.num_persons:
                kps[i] = res.keypoints[0]
                scores[i] = res.scores[0]
                present[i] = True
    return Track(name or path.name, kps, scores, present, fps, (w, h))


def read_urfd(csv_path: Path) -> list[Track]:
    """URFD falls AlphaPose keypoints as tracks at 15 frames/s (every other frame).

    Eyes and ears are absent (score 0); ``labels`` holds -1 upright, 0 falling, 1 lying.
    """
    with csv_path.open() as f:
        header = f.readline().strip().split(",")
    data = np.genfromtxt(csv_path, delimiter=",", skip_header=1, filling_values=np.nan)
    col = {name: i for i, name in enumerate(header)}
    tracks = []
    for vid in np.unique(data[:, col["video"]]):
        rows = data[data[:, col["video"]] == vid]
        rows = rows[np.argsort(rows[:, col["frame"]])][::2]
        t = rows.shape[0]
        kps = np.zeros((t, NUM_KEYPOINTS, 2))
        sc = np.zeros((t, NUM_KEYPOINTS))
        for name, j in zip(URFD_JOINTS, URFD_TO_COCO, strict=True):
            kps[:, j, 0] = rows[:, col[f"{name}_x"]] * URFD_SIZE[0]
            kps[:, j, 1] = rows[:, col[f"{name}_y"]] * URFD_SIZE[1]
            sc[:, j] = rows[:, col[f"{name}_s"]]
        missing = ~np.isfinite(kps).all(axis=-1) | ~np.isfinite(sc)
        kps[missing] = 0.0
        sc[missing] = 0.0
        present = np.asarray((sc > 0).any(axis=1), dtype=bool)
        labels = rows[:, col["label"]].astype(np.int64)
        tracks.append(Track(f"urfd_fall_{int(vid):02d}", kps, sc, present, URFD_FPS / 2,
                            URFD_SIZE, labels))
    return tracks


# --------------------------------------------------------------------------- summaries


def _r(x: float, nd: int = 4) -> float | None:
    return None if not np.isfinite(x) else round(float(x), nd)


def _rl(xs: Sequence[float] | npt.NDArray[np.float64], nd: int = 4) -> list[float | None]:
    return [_r(float(x), nd) for x in xs]


def _inside(track: Track) -> npt.NDArray[np.bool_]:
    w, h = track.size
    x, y = track.keypoints[..., 0], track.keypoints[..., 1]
    return np.asarray((x >= 0) & (x < w) & (y >= 0) & (y < h))


def _track_scale(track: Track) -> float:
    tl = torso_length(track.keypoints, track.scores)[track.present]
    return float(np.nanmedian(tl)) if np.isfinite(tl).any() else float("nan")


def _glitches(track: Track) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[float]]:
    """Single-frame jumps on quasi-static frames: counts and trials per joint, magnitudes.

    A joint glitches at ``t`` when it lies more than ``GLITCH_THR`` torso lengths from
    the midpoint of its positions at ``t-1`` and ``t+1`` while the body centre moves
    less than ``STATIC_THR`` torso lengths per frame.
    """
    kp, sc, pres = track.keypoints, track.scores, track.present
    hits = np.zeros(NUM_KEYPOINTS)
    trials = np.zeros(NUM_KEYPOINTS)
    scale = _track_scale(track)
    if kp.shape[0] < 3 or not np.isfinite(scale):
        return hits, trials, []
    torso = list(TORSO_JOINTS)
    centre = kp[:, torso].mean(axis=1)
    ok = pres & (sc[:, torso] >= 0.5).all(axis=1)
    step = np.zeros(kp.shape[0], dtype=bool)
    step[1:] = ok[1:] & ok[:-1] & (np.linalg.norm(np.diff(centre, axis=0), axis=-1)
                                   < STATIC_THR * scale)
    t = np.flatnonzero(step[1:-1] & step[2:]) + 1
    good = (sc[t] > 0) & (sc[t - 1] > 0) & (sc[t + 1] > 0)  # (n, 17)
    dev = np.linalg.norm(kp[t] - 0.5 * (kp[t - 1] + kp[t + 1]), axis=-1) / scale
    hit = good & (dev > GLITCH_THR)
    hits = hit.sum(axis=0).astype(np.float64)
    return hits, good.sum(axis=0).astype(np.float64), dev[hit].tolist()


def _swaps(track: Track) -> tuple[int, int]:
    """Left/right swaps between consecutive frames (pairs that fit better crossed)."""
    kp, sc, pres = track.keypoints, track.scores, track.present
    scale = _track_scale(track)
    swaps = 0
    total = 0
    if not np.isfinite(scale):
        return 0, 0
    for t in np.flatnonzero(pres[1:] & pres[:-1]) + 1:
        for a, b in LR_PAIRS:
            if min(sc[t, a], sc[t, b], sc[t - 1, a], sc[t - 1, b]) <= 0:
                continue
            total += 1
            now, before = kp[t], kp[t - 1]
            keep = np.linalg.norm(now[a] - before[a]) + np.linalg.norm(now[b] - before[b])
            cross = np.linalg.norm(now[a] - before[b]) + np.linalg.norm(now[b] - before[a])
            if cross + 0.2 * scale < keep:
                swaps += 1
    return swaps, total


def _corr(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """Pearson correlation (nan when either side is constant)."""
    da, db = a - a.mean(), b - b.mean()
    den = float(np.sqrt(np.sum(da * da) * np.sum(db * db)))
    return float(np.sum(da * db)) / den if den > 0 else float("nan")


def _score_model(tracks: Sequence[Track], joints: Sequence[int]) -> dict[str, Any]:
    """Gaussian-copula model of scores: between-track, shared-by-frame and AR(1) parts.

    Each joint's scores (present frames) are turned into normal scores by rank; then
    ``between`` is the share of variance of the track means, ``frame_shared`` the mean
    pairwise correlation of joints in the same frame (after removing track means),
    ``rho`` the lag-1 autocorrelation within tracks.
    """
    z_tracks: list[npt.NDArray[np.float64]] = []
    for j in joints:
        pooled = np.concatenate([tr.scores[tr.present, j] for tr in tracks])
        if pooled.size < 20:
            return {}
    zs = []
    for tr in tracks:
        zs.append(np.full(tr.scores.shape, np.nan))
    for j in joints:
        pooled = np.concatenate([tr.scores[tr.present, j] for tr in tracks])
        ranks = np.argsort(np.argsort(pooled, kind="stable"), kind="stable")
        z = norm_ppf((ranks + 0.5) / pooled.size)
        k = 0
        for tr, zt in zip(tracks, zs, strict=True):
            m = int(tr.present.sum())
            zt[tr.present, j] = z[k:k + m]
            k += m
    means: list[float] = []
    resid_all: list[npt.NDArray[np.float64]] = []
    lag_a: list[float] = []
    lag_b: list[float] = []
    for tr, zt in zip(tracks, zs, strict=True):
        z_tracks.append(zt)
        sub = zt[:, list(joints)]
        if np.isfinite(sub).sum() < 10:
            continue
        mu = np.nanmean(sub, axis=0)
        means.extend(mu[np.isfinite(mu)].tolist())
        res = sub - mu
        resid_all.append(res[tr.present])
        both = tr.present[1:] & tr.present[:-1]
        lag_a.extend(res[1:][both].ravel().tolist())
        lag_b.extend(res[:-1][both].ravel().tolist())
    total_var = float(np.nanvar(np.concatenate([z[:, list(joints)][np.isfinite(z[:, list(joints)])]
                                                for z in z_tracks])))
    between = float(np.var(means)) / total_var if means and total_var > 0 else 0.0
    res_cat = np.concatenate(resid_all) if resid_all else np.zeros((0, len(joints)))
    a, b = np.asarray(lag_a), np.asarray(lag_b)
    fin = np.isfinite(a) & np.isfinite(b)
    rho = _corr(a[fin], b[fin]) if fin.sum() > 10 else float("nan")
    pairs = [_corr(res_cat[ok, i], res_cat[ok, j])
             for i in range(res_cat.shape[1]) for j in range(i + 1, res_cat.shape[1])
             for ok in [np.isfinite(res_cat[:, i]) & np.isfinite(res_cat[:, j])]
             if ok.sum() > 10]
    shared = float(np.nanmean(pairs)) if pairs else float("nan")
    return {"between": _r(min(between, 0.95)), "frame_shared": _r(shared), "rho": _r(rho)}


def summarize_tracks(
    tracks: Sequence[Track],
    joints: Sequence[int] = tuple(range(NUM_KEYPOINTS)),
    height_ratio: float | None = None,
) -> dict[str, Any]:
    """All statistics of a group of tracks (see the module docstring).

    ``height_ratio``: nose-to-ankle height over torso length to use when these tracks
    cannot measure it (rotated frames have no upright person).
    """
    samples = TrackSamples.empty()
    low_samples = TrackSamples.empty()
    for tr in tracks:
        samples.extend(collect_samples(tr.keypoints, tr.scores, tr.present))
        low_samples.extend(collect_samples(tr.keypoints, tr.scores, tr.present, score_min=0.0))
    struct = structure_function(samples, joints)
    # The stillest stretches separate the tracker's own error from slow true motion best.
    still = TrackSamples.empty()
    for tr in tracks:
        still.extend(collect_samples(tr.keypoints, tr.scores, tr.present, static_thr=0.01))
    still_struct = structure_function(still, joints)
    rho1 = float(np.clip((still_struct[2] / still_struct[1]) ** 2 - 1.0, 0.0, 0.95))
    model = fit_jitter(struct)
    d1_joint = [float(np.sqrt(robust_var(samples.diffs[1][j]))) if j in joints else float("nan")
                for j in range(NUM_KEYPOINTS)]
    n_joint = [len(samples.diffs[1][j]) for j in range(NUM_KEYPOINTS)]
    by_bin: list[float | None] = []
    bin_n: list[int] = []
    for lo, hi in itertools.pairwise(SCORE_BINS):
        vals = low_samples.pooled(1, joints, lo, hi)
        by_bin.append(_r(float(np.sqrt(robust_var(vals))) / struct[1]))
        bin_n.append(int(vals.size))
    # Scores.
    qs: list[list[float | None]] = []
    means: list[float] = []
    low3: list[float] = []
    low5: list[float] = []
    out_scores: list[float] = []
    for j in range(NUM_KEYPOINTS):
        vals = np.concatenate([tr.scores[tr.present & _inside(tr)[:, j], j] for tr in tracks])
        if j not in joints or vals.size == 0:
            qs.append([None for _ in SCORE_QUANTILES])
            means.append(float("nan"))
            low3.append(float("nan"))
            low5.append(float("nan"))
            continue
        qs.append(_rl(np.quantile(vals, SCORE_QUANTILES)))
        means.append(float(vals.mean()))
        low3.append(float((vals < 0.3).mean()))
        low5.append(float((vals < 0.5).mean()))
    for tr in tracks:
        outside = tr.present[:, None] & ~_inside(tr)
        out_scores.extend(tr.scores[:, list(joints)][outside[:, list(joints)]].tolist())
    # Dropouts, partial visibility.
    span_total = 0
    gaps: list[int] = []
    frames = 0
    detected = 0
    partial = 0
    for tr in tracks:
        span, g = gap_runs(tr.present, MAX_GAP)
        span_total += span
        gaps.extend(g)
        frames += tr.present.size
        detected += int(tr.present.sum())
        partial += int((tr.present & ~_inside(tr)[:, list(joints)].all(axis=1)).sum())
    # Glitches and swaps.
    g_hits = np.zeros(NUM_KEYPOINTS)
    g_trials = np.zeros(NUM_KEYPOINTS)
    g_mags: list[float] = []
    swaps = swap_total = 0
    for tr in tracks:
        h_, n_, m_ = _glitches(tr)
        g_hits += h_
        g_trials += n_
        g_mags.extend(m_)
        s_, t_ = _swaps(tr)
        swaps += s_
        swap_total += t_
    glitch = np.where(g_trials > 0, g_hits / np.maximum(g_trials, 1), np.nan)
    glitch_all = float(g_hits[list(joints)].sum() / max(1.0, g_trials[list(joints)].sum()))
    # Body proportions: nose-to-ankle height over torso length, upright frames.
    ratios: list[float] = []
    torso_px: list[float] = []
    for tr in tracks:
        tl = torso_length(tr.keypoints, tr.scores)
        torso_px.extend(tl[np.isfinite(tl)].tolist())
        ok = (tr.scores[:, [0, 15, 16]] >= 0.5).all(axis=1) & np.isfinite(tl)
        ankle_y = tr.keypoints[:, [15, 16], 1].mean(axis=1)
        h = ankle_y - tr.keypoints[:, 0, 1]
        up = ok & (h > 2.0 * np.nan_to_num(tl))
        ratios.extend((h[up] / tl[up]).tolist())
    height = float(np.median(ratios)) if ratios else float("nan")
    if not np.isfinite(height) and height_ratio is not None:
        height = height_ratio
    return {
        "frames": frames,
        "frames_with_person": detected,
        "jitter": {
            "unit": "per axis, torso lengths (shoulder midpoint to hip midpoint); "
                    "*_height: nose-to-ankle heights",
            "static_frames": "body centre moves < 0.02 torso lengths per frame",
            "lags": list(LAGS),
            "structure": _rl([struct[k] for k in LAGS], 5),
            "frame_to_frame": _r(struct[1], 5),
            "frame_to_frame_height": _r(struct[1] / height, 5),
            "frame_to_frame_joint": _rl(d1_joint, 5),
            "frame_to_frame_joint_height": _rl(np.asarray(d1_joint) / height, 5),
            "samples_joint": n_joint,
            "structure_stillest": _rl([still_struct[k] for k in LAGS], 5),
            "rho_lag1": _r(rho1, 3),
            "rho_lag1_note": "AR(1) correlation from D(2)/D(1) on the stillest frames "
                             "(centre < 0.01 torso/frame)",
            "model": {"white": _r(model.white, 5), "drift": _rl(model.drift, 5),
                      "rho": list(model.rho),
                      "structure_fit": _rl([model.structure(k) for k in LAGS], 5)},
            "score_bins": [*SCORE_BINS[:-1], 1.0],
            "frame_to_frame_ratio_by_score": by_bin,
            "samples_by_score": bin_n,
        },
        "scores": {
            "quantile_levels": list(SCORE_QUANTILES),
            "quantiles": qs,
            "mean": _rl(means, 3),
            "below_0.3": _rl(low3, 3),
            "below_0.5": _rl(low5, 3),
            "out_of_frame_quantiles": (_rl(np.quantile(out_scores, SCORE_QUANTILES))
                                       if out_scores else None),
            "out_of_frame_samples": len(out_scores),
            "copula": _score_model(tracks, joints),
        },
        "dropout": {
            "detection_rate": _r(detected / frames if frames else float("nan")),
            "in_track_rate": _r(sum(gaps) / span_total if span_total else float("nan")),
            "gaps": len(gaps),
            "mean_gap_frames": _r(float(np.mean(gaps)) if gaps else float("nan"), 2),
            "max_gap_frames": max(gaps) if gaps else 0,
            "partial_frame_rate": _r(partial / detected if detected else float("nan")),
        },
        "glitch": {
            "threshold": GLITCH_THR,
            "on": "quasi-static frames (body centre < 0.05 torso lengths per frame)",
            "rate": _rl(glitch, 5),
            "rate_mean": _r(glitch_all, 5),
            "trials": int(g_trials[list(joints)].sum()),
            "magnitude_median": _r(float(np.median(g_mags)) if g_mags else float("nan"), 3),
        },
        "lr_swap_rate": _r(swaps / swap_total if swap_total else float("nan"), 5),
        "torso_px_median": _r(float(np.median(torso_px)) if torso_px else float("nan"), 1),
        "nose_ankle_over_torso": _r(height, 3),
    }


def _video_summary(tr: Track) -> dict[str, Any]:
    return {
        "name": tr.name,
        "frames": int(tr.present.size),
        "fps": _r(tr.fps, 2),
        "size": list(tr.size),
        "detection_rate": _r(float(tr.present.mean()) if tr.present.size else float("nan"), 3),
        "torso_px_median": _r(_track_scale(tr), 1),
        "score_mean": _r(float(tr.scores[tr.present].mean()) if tr.present.any()
                         else float("nan"), 3),
    }


ROTATED_VIDEOS = ("one-by-one-person-detection.mp4", "face-demographics-walking-and-pause.gif",
                  "store-aisle-detection.gif")


def _save_tracks(path: Path, tracks: Sequence[Track]) -> None:
    arrays: dict[str, Any] = {}
    for i, t in enumerate(tracks):
        arrays[f"{i}_kp"] = t.keypoints
        arrays[f"{i}_sc"] = t.scores
        arrays[f"{i}_pr"] = t.present
        arrays[f"{i}_meta"] = np.array(json.dumps({"name": t.name, "fps": t.fps,
                                                   "size": list(t.size)}))
    np.savez_compressed(path, **arrays)


def _load_tracks(path: Path) -> list[Track]:
    with np.load(path) as z:
        n = len([k for k in z.files if k.endswith("_kp")])
        out = []
        for i in range(n):
            meta = json.loads(str(z[f"{i}_meta"]))
            out.append(Track(meta["name"], z[f"{i}_kp"], z[f"{i}_sc"], z[f"{i}_pr"], meta["fps"],
                             (int(meta["size"][0]), int(meta["size"][1]))))
    return out


def run_tracker(data: Path, model: Path, max_frames: int,
                rotated_frames: int) -> tuple[list[Track], list[Track]]:
    """MediaPipe tracks of every open video, and of a few of them rotated by 90 degrees."""
    import cv2

    videos = sorted(p for p in (data / "videos" / "open").iterdir()
                    if p.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        raise FileNotFoundError(f"no videos under {data / 'videos' / 'open'}")
    upright: list[Track] = []
    for path in videos:
        tr = track_video(path, model, max_frames)
        log.info("%s: %d frames at %.1f/s, person in %.0f%%", path.name, tr.present.size, tr.fps,
                 100 * tr.present.mean() if tr.present.size else 0)
        upright.append(tr)
    rotated: list[Track] = []
    if rotated_frames > 0:
        for path in videos:
            if path.name in ROTATED_VIDEOS:
                tr = track_video(path, model, rotated_frames, rotate=cv2.ROTATE_90_CLOCKWISE,
                                 name=f"{path.name}:rot90")
                rotated.append(tr)
                log.info("%s rotated: person in %.0f%%", path.name, 100 * tr.present.mean())
    return upright, rotated


def measure(data: Path, model: Path, max_frames: int, rotated_frames: int,
            cache: Path | None = None) -> dict[str, Any]:
    """Measure every open video under ``data/videos/open`` and URFD; return the profile.

    ``cache``: an ``.npz`` of raw tracks (outside the repository) reused when it exists,
    written when it does not, so the statistics can be revised without rerunning MediaPipe.
    """
    t0 = time.perf_counter()
    if cache is not None and cache.is_file():
        tracks = _load_tracks(cache)
        upright = [t for t in tracks if not t.name.endswith(":rot90")]
        rotated = [t for t in tracks if t.name.endswith(":rot90")]
    else:
        upright, rotated = run_tracker(data, model, max_frames, rotated_frames)
        if cache is not None:
            _save_tracks(cache, upright + rotated)
    profile: dict[str, Any] = {
        "version": 1,
        "joints": list(COCO_KEYPOINTS),
        "tracker": {
            "what": "edge_app.pose.PoseTracker (MediaPipe PoseLandmarker full, VIDEO mode, "
                    "num_poses=1, default confidences)",
            "model": model.name,
            "target_fps": TARGET_FPS,
            "max_frames_per_video": max_frames,
            "seconds": round(time.perf_counter() - t0, 1),
        },
        "videos": [_video_summary(t) for t in upright],
        "upright": summarize_tracks(upright),
    }
    if rotated:
        profile["rotated90"] = summarize_tracks(
            rotated, height_ratio=profile["upright"]["nose_ankle_over_torso"])
        profile["rotated90"]["videos"] = [_video_summary(t) for t in rotated]
        by_name = {t.name: t.present for t in upright}
        ratios = []
        for t in rotated:  # the same frames upright and rotated
            up = by_name.get(t.name.removesuffix(":rot90"))
            n = min(t.present.size, 0 if up is None else up.size)
            if up is not None and n and up[:n].any():
                ratios.append(float(t.present[:n].mean()) / float(up[:n].mean()))
        profile["rotated90"]["detection_ratio_vs_upright"] = _r(float(np.mean(ratios)), 3)
    csv = data / "skeletons" / "urfd_falls_dev" / "urfd_falls_01-15_pose.csv"
    if csv.is_file():
        urfd = read_urfd(csv)
        ref = summarize_tracks(urfd, URFD_TO_COCO)
        lying = [Track(t.name, t.keypoints, t.scores, t.present & (t.labels == 1), t.fps, t.size)
                 for t in urfd if t.labels is not None]
        upright_urfd = [Track(t.name, t.keypoints, t.scores, t.present & (t.labels == -1), t.fps,
                              t.size) for t in urfd if t.labels is not None]
        ref["score_mean_lying"] = _r(float(np.mean([t.scores[t.present][:, URFD_TO_COCO].mean()
                                                     for t in lying if t.present.any()])), 3)
        ref["score_mean_upright"] = _r(float(np.mean([t.scores[t.present][:, URFD_TO_COCO].mean()
                                                       for t in upright_urfd
                                                       if t.present.any()])), 3)
        lying_s = TrackSamples.empty()
        for t in lying:
            lying_s.extend(collect_samples(t.keypoints, t.scores, t.present))
        ref["jitter"]["frame_to_frame_lying"] = _r(structure_function(lying_s, URFD_TO_COCO)[1], 5)
        ref["what"] = ("UR Fall Detection falls 1-15, AlphaPose, 13 joints, every other frame "
                       "(15/s); reference only")
        profile["reference_alphapose_urfd"] = ref
    return profile


def dumps_compact(obj: Any) -> str:
    """JSON with one key per line but every list of numbers on a single line."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[[^\[\]{}\"]*\]", lambda m: " ".join(m.group(0).split()), text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m train.synth.measure_noise",
        description="Measure MediaPipe keypoint jitter, scores and dropouts on real video "
                    "and write the synthetic generator's noise profile (JSON, numbers only).")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="shared data folder with videos/open (default: %(default)s)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                        help="MediaPipe PoseLandmarker .task (default: %(default)s)")
    parser.add_argument("--max-frames", type=int, default=300,
                        help="frames per video after subsampling to ~15/s (default: 300)")
    parser.add_argument("--rotated-frames", type=int, default=150,
                        help="frames per video measured rotated by 90 degrees; 0 skips")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSON")
    parser.add_argument("--cache", type=Path, default=None,
                        help="raw tracks .npz to reuse/write (keep it outside the repository)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    profile = measure(args.data, args.model, args.max_frames, args.rotated_frames, args.cache)
    args.out.write_text(dumps_compact(profile) + "\n")
    up = profile["upright"]
    print(f"wrote {args.out}: frame-to-frame jitter {up['jitter']['frame_to_frame']} torso "
          f"lengths per axis, detection rate {up['dropout']['detection_rate']}, in-track "
          f"dropouts {up['dropout']['in_track_rate']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
