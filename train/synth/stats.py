"""Statistics of keypoint tracks: jitter, scores, dropouts.

One module computes them for both sides: ``measure_noise`` runs it over MediaPipe's
output on real video to write ``noise_profile.json``, and the tests run it over the
generator's output to check that the synthetic keypoints look the same.

Conventions: a track is ``keypoints (T, 17, 2)`` in pixels, ``scores (T, 17)`` in 0-1
and ``present (T,)`` (False where the tracker returned nobody). Jitter is expressed
relative to the torso length (pixel distance between the shoulder midpoint and the hip
midpoint), which is defined for standing, sitting and lying people alike.

Jitter: on quasi-static stretches (the body centre barely moves) the robust std of
the lag-k differences of each coordinate, ``D(k)`` (a structure function), describes
the tracker's error in time: white noise gives a flat ``D``, slow drift a rising one.
``fit_jitter`` fits white noise plus an AR(1) drift to it. Variances are robust
(``(1.4826 * MAD)^2``), so a minority of moving joints does not inflate them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "DRIFT_RHOS",
    "LAGS",
    "SCORE_QUANTILES",
    "TORSO_JOINTS",
    "JitterModel",
    "TrackSamples",
    "collect_samples",
    "fit_jitter",
    "gap_runs",
    "norm_cdf",
    "norm_ppf",
    "robust_var",
    "structure_function",
    "torso_length",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# COCO-17 indices of left/right shoulder and left/right hip.
TORSO_JOINTS: tuple[int, int, int, int] = (5, 6, 11, 12)
# Quantile levels recorded for score distributions (0, 0.05, ..., 1).
SCORE_QUANTILES: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(21))
MAD_TO_STD = 1.4826


def robust_var(x: npt.ArrayLike) -> float:
    """``(1.4826 * MAD)^2`` of the finite values of ``x`` (nan when fewer than 8)."""
    a = np.asarray(x, dtype=np.float64).ravel()
    a = a[np.isfinite(a)]
    if a.size < 8:
        return float("nan")
    mad = float(np.median(np.abs(a - np.median(a))))
    return (MAD_TO_STD * mad) ** 2


def torso_length(
    keypoints: npt.ArrayLike, scores: npt.ArrayLike, score_min: float = 0.5
) -> FloatArray:
    """Per-frame torso length in pixels, ``(T,)``: shoulder midpoint to hip midpoint.

    Frames where any of the four joints scores below ``score_min`` get nan.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    sc = np.asarray(scores, dtype=np.float64)
    ls, rs, lh, rh = TORSO_JOINTS
    sh = 0.5 * (kp[:, ls] + kp[:, rs])
    hp = 0.5 * (kp[:, lh] + kp[:, rh])
    length = np.linalg.norm(sh - hp, axis=-1)
    ok = (sc[:, list(TORSO_JOINTS)] >= score_min).all(axis=1)
    return np.where(ok, length, np.nan)


def gap_runs(present: npt.ArrayLike, max_gap: int) -> tuple[int, list[int]]:
    """Dropouts inside tracks: runs of missing frames flanked by detections.

    Args:
        present: ``(T,)`` bool, a person was returned in the frame.
        max_gap: longer runs of missing frames count as "nobody there", not dropouts.

    Returns:
        ``(span, gaps)``: frames between the first and the last detection that belong
        to tracks (detections plus short gaps), and the lengths of the short gaps.
    """
    p = np.asarray(present, dtype=bool)
    idx = np.flatnonzero(p)
    if idx.size == 0:
        return 0, []
    gaps: list[int] = []
    span = 1
    for a, b in itertools.pairwise(idx):
        g = int(b - a - 1)
        if g == 0:
            span += 1
        elif g <= max_gap:
            gaps.append(g)
            span += g + 1
        else:
            span += 1
    return span, gaps


LAGS: tuple[int, ...] = (1, 2, 3, 4, 6, 8)


@dataclass
class TrackSamples:
    """Normalised keypoint differences gathered on quasi-static frames.

    ``diffs[k][j]``: lag-``k`` coordinate differences of joint ``j`` (both axes
    pooled) divided by the torso length; ``scores[k][j]`` the lower of the joint's two
    scores, once per coordinate (same length as ``diffs[k][j]``).
    """

    diffs: dict[int, list[list[float]]]
    scores: dict[int, list[list[float]]]

    @classmethod
    def empty(cls, num_joints: int = 17, lags: Sequence[int] = LAGS) -> TrackSamples:
        return cls({k: [[] for _ in range(num_joints)] for k in lags},
                   {k: [[] for _ in range(num_joints)] for k in lags})

    def extend(self, other: TrackSamples) -> None:
        for k, per_joint in other.diffs.items():
            for j, vals in enumerate(per_joint):
                self.diffs[k][j].extend(vals)
                self.scores[k][j].extend(other.scores[k][j])

    def pooled(self, lag: int, joints: Sequence[int] | None = None, score_lo: float = 0.0,
               score_hi: float = 2.0) -> FloatArray:
        """All lag-``lag`` differences of ``joints`` whose score is in ``[lo, hi)``."""
        js = range(len(self.diffs[lag])) if joints is None else joints
        d = np.concatenate([np.asarray(self.diffs[lag][j], dtype=np.float64) for j in js])
        s = np.concatenate([np.asarray(self.scores[lag][j], dtype=np.float64) for j in js])
        return np.asarray(d[(s >= score_lo) & (s < score_hi)], dtype=np.float64)


def collect_samples(
    keypoints: npt.ArrayLike,
    scores: npt.ArrayLike,
    present: npt.ArrayLike | None = None,
    *,
    lags: Sequence[int] = LAGS,
    score_min: float = 0.5,
    static_thr: float = 0.02,
    max_jump: float = 0.6,
) -> TrackSamples:
    """Lag-k differences of each joint over quasi-static stretches of a track.

    A pair ``(t-k, t)`` is used when every frame from ``t-k`` to ``t`` holds a person
    whose body centre (mean of shoulders and hips, all scoring at least 0.5) moves less
    than ``static_thr`` torso lengths per frame, the joint scores at least ``score_min``
    at both ends, and the difference is below ``max_jump`` torso lengths (larger ones
    are switches to another person). The torso length is the track's median.

    Args:
        keypoints: ``(T, K, 2)`` pixels.
        scores: ``(T, K)``.
        present: ``(T,)``; None: frames with any non-zero score.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    sc = np.asarray(scores, dtype=np.float64)
    t_len, k_joints = kp.shape[:2]
    pres = (sc > 0).any(axis=1) if present is None else np.asarray(present, dtype=bool)
    out = TrackSamples.empty(k_joints, lags)
    tl = torso_length(kp, sc)[pres]
    if t_len < 2 or not np.isfinite(tl).any():
        return out
    scale = float(np.nanmedian(tl))
    torso = list(TORSO_JOINTS)
    centre = kp[:, torso].mean(axis=1)
    torso_ok: BoolArray = np.asarray(pres & (sc[:, torso] >= 0.5).all(axis=1), dtype=bool)
    step_ok = np.zeros(t_len, dtype=bool)  # frame t-1 -> t is quasi-static
    step_ok[1:] = (torso_ok[1:] & torso_ok[:-1]
                   & (np.linalg.norm(centre[1:] - centre[:-1], axis=-1) < static_thr * scale))
    # run[t]: number of consecutive quasi-static steps ending at t.
    run = np.zeros(t_len, dtype=np.int64)
    for t in range(1, t_len):
        run[t] = run[t - 1] + 1 if step_ok[t] else 0
    for lag in lags:
        ts = np.flatnonzero(run >= lag)
        if ts.size == 0:
            continue
        for j in range(k_joints):
            lo = np.minimum(sc[ts, j], sc[ts - lag, j])
            good = lo >= score_min
            if not good.any():
                continue
            tt = ts[good]
            d = (kp[tt, j] - kp[tt - lag, j]) / scale
            keep = (np.abs(d) <= max_jump).all(axis=1)
            out.diffs[lag][j].extend(d[keep].ravel().tolist())
            out.scores[lag][j].extend(np.repeat(lo[good][keep], 2).tolist())
    return out


def structure_function(samples: TrackSamples, joints: Sequence[int] | None = None,
                       score_lo: float = 0.5, score_hi: float = 2.0) -> dict[int, float]:
    """Robust std of lag-k differences (torso lengths, per axis) for each lag."""
    return {lag: float(np.sqrt(robust_var(samples.pooled(lag, joints, score_lo, score_hi))))
            for lag in samples.diffs}


DRIFT_RHOS: tuple[float, ...] = (0.6, 0.9, 0.98)


@dataclass(frozen=True)
class JitterModel:
    """Keypoint error per axis (torso lengths): white noise of std ``white`` plus AR(1)
    drifts of std ``drift[i]`` and lag-1 correlation ``rho[i]``. Its lag-k differences
    have variance ``2 white^2 + sum_i 2 drift_i^2 (1 - rho_i^k)``."""

    white: float
    drift: tuple[float, ...]
    rho: tuple[float, ...]

    def structure(self, lag: int) -> float:
        """Predicted std of lag-``lag`` differences (torso lengths)."""
        var = 2 * self.white**2 + sum(2 * s**2 * (1 - r**lag)
                                      for s, r in zip(self.drift, self.rho, strict=True))
        return float(np.sqrt(var))


def fit_jitter(structure: dict[int, float], rhos: Sequence[float] = DRIFT_RHOS) -> JitterModel:
    """Non-negative least-squares fit (relative errors) of ``JitterModel`` with the
    drift correlations fixed at ``rhos`` to a structure function ``{lag: std}``.

    True slow motion of a "still" person shows up as drift, so the drifts are upper
    bounds on the tracker's own slow error.
    """
    lags = np.array(sorted(k for k, v in structure.items() if np.isfinite(v) and v > 0),
                    dtype=np.float64)
    nan = JitterModel(float("nan"), tuple(float("nan") for _ in rhos), tuple(rhos))
    if lags.size < 2:
        return nan
    d2 = np.array([structure[int(k)] ** 2 for k in lags])
    cols = [np.full_like(lags, 2.0)] + [2.0 * (1.0 - r**lags) for r in rhos]
    a = np.stack(cols, axis=1) / d2[:, None]
    b = np.ones_like(d2)
    best: tuple[float, npt.NDArray[np.float64]] | None = None
    n = a.shape[1]
    for mask in range(1, 2**n):  # brute-force NNLS over active sets (n is tiny)
        idx = [i for i in range(n) if mask >> i & 1]
        coef, *_ = np.linalg.lstsq(a[:, idx], b, rcond=None)
        if (coef < 0).any():
            continue
        full = np.zeros(n)
        full[idx] = coef
        err = float(np.sum((a @ full - b) ** 2))
        if best is None or err < best[0]:
            best = (err, full)
    if best is None:
        return nan
    c = np.sqrt(best[1])
    return JitterModel(float(c[0]), tuple(float(x) for x in c[1:]), tuple(rhos))


def norm_cdf(x: npt.ArrayLike) -> FloatArray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, absolute error < 1.5e-7)."""
    z = np.asarray(x, dtype=np.float64) / np.sqrt(2.0)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                           + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-a * a)
    return np.asarray(0.5 * (1.0 + np.sign(z) * erf), dtype=np.float64)


_PPF_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
          1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_PPF_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
          6.680131188771972e01, -1.328068155288572e01)
_PPF_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
          -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_PPF_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
          3.754408661907416e00)


def norm_ppf(p: npt.ArrayLike) -> FloatArray:
    """Inverse standard normal CDF (Acklam's rational approximation, rel. error < 1.2e-9).

    ``p`` is clipped to ``[1e-9, 1 - 1e-9]``.
    """
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1.0 - 1e-9)
    a, b, c, d = _PPF_A, _PPF_B, _PPF_C, _PPF_D
    out = np.empty_like(q)
    lo = q < 0.02425
    hi = q > 1.0 - 0.02425
    mid = ~(lo | hi)
    r = q[mid] - 0.5
    s = r * r
    out[mid] = (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (
        ((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1.0)
    for mask, sign in ((lo, 1.0), (hi, -1.0)):
        qq = q[mask] if sign > 0 else 1.0 - q[mask]
        u = np.sqrt(-2.0 * np.log(qq))
        out[mask] = sign * (((((c[0] * u + c[1]) * u + c[2]) * u + c[3]) * u + c[4]) * u
                            + c[5]) / ((((d[0] * u + d[1]) * u + d[2]) * u + d[3]) * u + 1.0)
    return out
