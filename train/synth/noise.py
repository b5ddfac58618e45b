"""Make clean projected keypoints look like MediaPipe's output on real video.

Driven by ``noise_profile.json`` (written by ``measure_noise``): per-joint jitter and
how it grows at low scores, score distributions per joint (upright, rotated 90 degrees
as a stand-in for lying people, and out of the frame) with their temporal behaviour,
glitches, left/right swaps and dropouts. ``NoiseConfig`` holds the knobs that the
measurement cannot give (estimator differences, errors of hidden joints), each with a
default and a reason.

Units: keypoints in pixels, noise in torso lengths (shoulder midpoint to hip midpoint)
scaled by the person's apparent torso length in pixels at each frame.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.contract import NUM_KEYPOINTS
from train.synth.stats import norm_cdf

__all__ = [
    "DEFAULT_PROFILE",
    "NoiseConfig",
    "NoiseModel",
    "load_profile",
    "self_occlusion",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_PROFILE = Path(__file__).resolve().parent / "noise_profile.json"
LR_PAIRS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16))
LIMB_JOINTS = (7, 8, 9, 10, 13, 14, 15, 16)
HIP_JOINTS = (11, 12)


@dataclass(frozen=True)
class NoiseConfig:
    """Noise knobs on top of the measured profile (all per clip unless noted).

    Attributes:
        jitter_scale: log-uniform range of a multiplier on the measured jitter (real
            cameras are noisier, darker, lower-resolution than the sample videos).
        jitter_rho_max: cap on the AR(1) correlation of the jitter (the measured one
            is inflated by people's true sway).
        other_estimator_prob: share of clips with the per-frame jitter of a detector
            without temporal smoothing (the profile's AlphaPose reference), so the
            model also copes with replayed HRNet/AlphaPose keypoints.
        offset_sigma: std (torso lengths) of a constant per-joint placement offset:
            estimators disagree on where hips and heads are (hips get twice this).
        low_score_drift: std (torso lengths) of the slow error of a joint with score
            near 0 (a hidden joint is guessed, not seen); scales with ``(1 - score)^2``.
        glitch_scale: multiplier on the measured single-frame glitch rates. The rates
            come from frames where the body centre is still, but feet and hands may still
            move there (stepping, turning), so half is attributed to the tracker.
        swap_scale: multiplier on the measured left/right swap rate.
        dropout_scale: multiplier on the measured in-track dropout rate (frames with
            nobody returned); each clip draws its own rate around it.
        occlusion_shift: how much a hidden joint's score drops (normal-score units).
        lying_score_shift: extra score drop (normal-score units) of a lying body. The
            rotated-frame stand-in shows none for MediaPipe, but real lying people score
            lower (AlphaPose on URFD: 0.40 lying vs 0.80 upright), so some is kept.
        score_gamma_prob: share of clips whose scores are re-scaled ``s ** gamma``
            (other estimators' scores live on other scales).
        score_gamma: range of ``gamma``.
        min_joints_inside: with fewer joints inside the image the tracker loses the
            person (dropout).
        min_torso_px: apparent torso length (pixels) below which the person is lost.
    """

    jitter_scale: tuple[float, float] = (0.8, 2.5)
    jitter_rho_max: float = 0.9
    other_estimator_prob: float = 0.15
    offset_sigma: float = 0.03
    low_score_drift: float = 0.15
    glitch_scale: float = 0.5
    swap_scale: float = 0.25
    dropout_scale: float = 1.0
    occlusion_shift: float = 1.6
    lying_score_shift: float = 0.5
    score_gamma_prob: float = 0.1
    score_gamma: tuple[float, float] = (0.5, 2.0)
    min_joints_inside: int = 6
    min_torso_px: float = 5.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=4)
def _read_profile(path: str) -> str:
    return Path(path).read_text()


def load_profile(path: str | Path | None = None) -> dict[str, Any]:
    """The noise profile JSON (default: the committed ``noise_profile.json``)."""
    data: dict[str, Any] = json.loads(_read_profile(str(path or DEFAULT_PROFILE)))
    return data


def _fill(values: list[float | None], default: float) -> FloatArray:
    return np.array([default if v is None else float(v) for v in values], dtype=np.float64)


def _quantile_table(rows: list[list[float | None]]) -> FloatArray:
    """``(17, Q)`` quantile table; joints without data get the mean of the others."""
    have = [r for r in rows if r and r[0] is not None]
    mean = np.mean(np.array(have, dtype=np.float64), axis=0)
    out = np.array([mean if (not r or r[0] is None) else np.array(r, dtype=np.float64)
                    for r in rows])
    return np.asarray(np.maximum.accumulate(np.clip(out, 0.0, 1.0), axis=1), dtype=np.float64)


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], rho: float) -> FloatArray:
    """Unit-variance AR(1) noise along axis 0 of ``shape``."""
    e = rng.normal(0.0, 1.0, shape)
    out = np.empty(shape)
    out[0] = e[0]
    k = np.sqrt(1.0 - rho * rho)
    for t in range(1, shape[0]):
        out[t] = rho * out[t - 1] + k * e[t]
    return out


def _runs(rng: np.random.Generator, n: int, rate: float, mean_len: float) -> BoolArray:
    """``(n,)`` mask of on-runs with stationary share ``rate`` and mean length ``mean_len``."""
    rate = float(np.clip(rate, 0.0, 0.9))
    out = np.zeros(n, dtype=bool)
    if rate <= 0 or n == 0:
        return out
    p_end = 1.0 / max(mean_len, 1.0)
    p_start = rate * p_end / (1.0 - rate)
    on = rng.uniform() < rate
    u = rng.uniform(size=n)
    for t in range(n):
        on = (u[t] >= p_end) if on else (u[t] < p_start)
        out[t] = on
    return out


class NoiseModel:
    """Applies the profile's noise to one clip's clean keypoints (see ``apply``)."""

    def __init__(self, profile: dict[str, Any], config: NoiseConfig | None = None) -> None:
        self.config = config or NoiseConfig()
        up = profile["upright"]
        rot = profile.get("rotated90", up)
        ref = profile.get("reference_alphapose_urfd")
        jit = up["jitter"]
        pooled = float(jit["frame_to_frame"])
        self.d1 = _fill(jit["frame_to_frame_joint"], pooled)  # lag-1 diff std per joint
        self.rho = float(min(jit.get("rho_lag1") or 0.8, self.config.jitter_rho_max))
        bins = jit["score_bins"]
        ratios = _fill(jit["frame_to_frame_ratio_by_score"], 1.0)
        # Relative to the top score bin: most joints score high, so their jitter is the
        # per-joint measurement; poorly seen joints shake more.
        self.score_edges = np.array(bins[1:-1], dtype=np.float64)
        self.score_factor = ratios / max(float(ratios[-1]), 1e-6)
        self.ref_d1 = (_fill(ref["jitter"]["frame_to_frame_joint"],
                             float(ref["jitter"]["frame_to_frame"]))
                       if ref else self.d1 * 8.0)
        sc = up["scores"]
        self.levels = np.array(sc["quantile_levels"], dtype=np.float64)
        self.q_up = _quantile_table(sc["quantiles"])
        self.q_rot = _quantile_table(rot["scores"]["quantiles"])
        oof = sc.get("out_of_frame_quantiles") or [0.0] * len(self.levels)
        self.q_out = np.maximum.accumulate(np.clip(np.array(oof, dtype=np.float64), 0, 1))
        cop = sc.get("copula") or {}
        self.between = float(cop.get("between") or 0.5)
        self.shared = float(np.clip(cop.get("frame_shared") or 0.3, 0.0, 0.95))
        self.score_rho = float(np.clip(cop.get("rho") or 0.9, 0.0, 0.99))
        g = up["glitch"]
        rates = _fill(g["rate"], float(g["rate_mean"]))
        self.glitch_rate = rates
        self.glitch_mag = float(g.get("magnitude_median") or 0.3)
        self.glitch_thr = float(g.get("threshold") or 0.2)
        self.swap_rate = float(up.get("lr_swap_rate") or 0.0)
        drop = up["dropout"]
        self.dropout_rate = float(drop.get("in_track_rate") or 0.0)
        self.dropout_len = float(drop.get("mean_gap_frames") or 2.0)
        self.lying_loss = 1.0 - float(rot.get("detection_ratio_vs_upright") or 1.0)

    # ------------------------------------------------------------------ pieces

    def _quantile(self, table: FloatArray, u: FloatArray) -> FloatArray:
        """Per-joint inverse CDF: ``table (17, Q)`` or ``(Q,)`` at ``u (T, 17)``."""
        if table.ndim == 1:
            return np.asarray(np.interp(u, self.levels, table), dtype=np.float64)
        out = np.empty_like(u)
        for j in range(u.shape[1]):
            out[:, j] = np.interp(u[:, j], self.levels, table[j])
        return out

    def scores(
        self,
        rng: np.random.Generator,
        t: int,
        horizontal: FloatArray,
        inside: BoolArray,
        occluded: FloatArray,
    ) -> FloatArray:
        """Scores ``(T, 17)`` in 0-1: Gaussian copula over the measured quantiles."""
        k = NUM_KEYPOINTS
        c = rng.normal(0.0, 1.0, k)
        frame = _ar1(rng, (t, 1), self.score_rho)
        own = _ar1(rng, (t, k), self.score_rho)
        z = (np.sqrt(self.between) * c
             + np.sqrt(1 - self.between) * (np.sqrt(self.shared) * frame
                                            + np.sqrt(1 - self.shared) * own))
        h = np.clip(horizontal, 0.0, 1.0)[:, None]
        z = z - self.config.occlusion_shift * occluded - self.config.lying_score_shift * h
        u = norm_cdf(z)
        s = (1 - h) * self._quantile(self.q_up, u) + h * self._quantile(self.q_rot, u)
        s = np.where(inside, s, self._quantile(self.q_out, u))
        if rng.uniform() < self.config.score_gamma_prob:
            s = s ** float(np.exp(rng.uniform(*np.log(self.config.score_gamma))))
        return np.asarray(np.clip(s, 0.0, 1.0), dtype=np.float64)

    # ------------------------------------------------------------------ all

    def apply(
        self,
        rng: np.random.Generator,
        keypoints: FloatArray,
        torso_px: FloatArray,
        size: tuple[int, int],
        *,
        horizontal: FloatArray | None = None,
        occluded: FloatArray | None = None,
    ) -> tuple[FloatArray, FloatArray, dict[str, Any]]:
        """Noisy keypoints and scores for one person's clip.

        Args:
            keypoints: ``(T, 17, 2)`` clean projected keypoints (pixels).
            torso_px: ``(T,)`` apparent torso length (pixels) for scaling the noise.
            size: image ``(width, height)``.
            horizontal: ``(T,)`` 0 upright .. 1 lying (selects score statistics and
                extra dropouts); None: upright.
            occluded: ``(T, 17)`` 0-1 how hidden each joint is; None: none.

        Returns:
            keypoints ``(T, 17, 2)`` pixels (0 where missing), scores ``(T, 17)`` (0 where
            missing), and a dict of what was drawn (for metadata).
        """
        cfg = self.config
        kp = np.asarray(keypoints, dtype=np.float64)
        t, k = kp.shape[:2]
        w, h = size
        hor = np.zeros(t) if horizontal is None else np.asarray(horizontal, dtype=np.float64)
        occ = np.zeros((t, k)) if occluded is None else np.asarray(occluded, dtype=np.float64)
        x, y = kp[..., 0], kp[..., 1]
        inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
        sc = self.scores(rng, t, hor, inside, occ)
        scale = np.asarray(torso_px, dtype=np.float64)[:, None, None]
        # Jitter: AR(1) with the measured lag-1 difference std, more at low scores.
        other = rng.uniform() < cfg.other_estimator_prob
        mult = float(np.exp(rng.uniform(*np.log(cfg.jitter_scale))))
        factor = self.score_factor[np.searchsorted(self.score_edges, sc, side="right")]
        if other:
            sigma = (self.ref_d1 / np.sqrt(2.0))[None, :] * np.ones((t, 1))
            noise = rng.normal(0.0, 1.0, (t, k, 2))
        else:
            sigma = (self.d1 / np.sqrt(2.0 * (1.0 - self.rho)))[None, :] * mult * factor
            noise = _ar1(rng, (t, k, 2), self.rho)
        out = kp + noise * sigma[..., None] * scale
        # Constant placement offsets, slow error of poorly seen joints.
        off = rng.normal(0.0, cfg.offset_sigma, (k, 2))
        off[list(HIP_JOINTS)] *= 2.0
        out += off[None] * scale
        drift = _ar1(rng, (t, k, 2), 0.9) * cfg.low_score_drift
        out += drift * ((1.0 - sc) ** 2)[..., None] * scale
        # Single-frame glitches.
        hit = rng.uniform(size=(t, k)) < self.glitch_rate[None] * cfg.glitch_scale
        if hit.any():
            ang = rng.uniform(0, 2 * np.pi, (t, k))
            # Measured glitches exceed the threshold with the profile's median size.
            excess = max(self.glitch_mag - self.glitch_thr, 0.02)
            mag = self.glitch_thr + rng.exponential(excess / np.log(2.0), (t, k))
            vec = np.stack([np.cos(ang), np.sin(ang)], -1) * mag[..., None]
            out += np.where(hit[..., None], vec * scale, 0.0)
        # Left/right swaps in short runs.
        swaps = 0
        rate = self.swap_rate * cfg.swap_scale
        for a, b in LR_PAIRS[2:]:
            m = _runs(rng, t, rate, 3.0)
            if m.any():
                swaps += int(m.sum())
                out[m, a], out[m, b] = out[m, b].copy(), out[m, a].copy()
                sc[m, a], sc[m, b] = sc[m, b].copy(), sc[m, a].copy()
        # Dropouts: in-track gaps, more when lying, and a person the tracker cannot hold.
        clip_rate = self.dropout_rate * cfg.dropout_scale * rng.exponential(1.0)
        lost = _runs(rng, t, clip_rate, self.dropout_len)
        lost |= rng.uniform(size=t) < self.lying_loss * np.clip(hor, 0, 1) * 0.5
        lost |= _runs(rng, t, self.lying_loss * float(np.mean(hor)) * 0.5, self.dropout_len)
        lost |= inside.sum(axis=1) < cfg.min_joints_inside
        lost |= ~inside[:, [5, 6, 11, 12]].any(axis=1)
        lost |= np.asarray(torso_px) < cfg.min_torso_px
        out[..., 0] = np.clip(out[..., 0], -0.5 * w, 1.5 * w)
        out[..., 1] = np.clip(out[..., 1], -0.5 * h, 1.5 * h)
        out[lost] = 0.0
        sc[lost] = 0.0
        info = {"jitter_scale": round(mult, 3), "other_estimator": bool(other),
                "dropout_frames": int(lost.sum()), "glitches": int(hit.sum()),
                "swap_frames": swaps}
        return out, sc, info


def self_occlusion(depth: FloatArray, uv: FloatArray, torso_px: FloatArray) -> FloatArray:
    """How hidden each COCO joint is behind the torso or the head, ``(T, 17)`` in 0-1.

    A limb joint is hidden when its projection falls inside the torso's outline and it
    is farther from the camera than the torso; the far ear behind the head; the far
    shoulder or hip when it is behind the near one (seen from the side).

    Args:
        depth: ``(T, 17)`` metres along the optical axis.
        uv: ``(T, 17, 2)`` pixels.
        torso_px: ``(T,)`` apparent torso length, pixels.
    """
    t = uv.shape[0]
    occ = np.zeros((t, NUM_KEYPOINTS))
    quad = uv[:, [5, 6, 12, 11]]  # l_sh, r_sh, r_hip, l_hip
    centre = quad.mean(axis=1, keepdims=True)
    quad = centre + 1.15 * (quad - centre)
    torso_depth = depth[:, [5, 6, 11, 12]].mean(axis=1)
    for j in LIMB_JOINTS:
        p = uv[:, j]
        signs = []
        for i in range(4):
            a, b = quad[:, i], quad[:, (i + 1) % 4]
            ab, ap = b - a, p - a
            cross = ab[:, 0] * ap[:, 1] - ab[:, 1] * ap[:, 0]
            signs.append(np.sign(cross))
        s = np.stack(signs, axis=1)
        inside = (np.abs(s.sum(axis=1)) == 4)
        behind = depth[:, j] > torso_depth + 0.04
        occ[:, j] = np.where(inside & behind, 1.0, 0.0)
    for a, b, part in ((3, 4, 0.6), (5, 6, 0.5), (11, 12, 0.5)):
        close = np.linalg.norm(uv[:, a] - uv[:, b], axis=-1) < 0.35 * torso_px
        far_a = depth[:, a] > depth[:, b] + 0.08
        far_b = depth[:, b] > depth[:, a] + 0.08
        occ[:, a] = np.maximum(occ[:, a], part * (close & far_a))
        occ[:, b] = np.maximum(occ[:, b], part * (close & far_b))
    return occ
