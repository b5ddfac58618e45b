"""Pinhole cameras placed like home cameras (ceiling corner, shelf height), and projection.

World frame: metres, ``z`` up, floor at ``z = 0`` (see ``train.synth.body``). Image
frame: pixels, ``x`` right, ``y`` down, pixel centres at integer coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["CAMERA_MOUNTS", "Camera", "sample_camera"]

FloatArray = npt.NDArray[np.float64]

# Where cameras go: (probability, height range m, downward pitch range deg).
CAMERA_MOUNTS: dict[str, tuple[float, tuple[float, float], tuple[float, float]]] = {
    "ceiling_corner": (0.45, (2.1, 2.8), (22.0, 48.0)),
    "shelf": (0.35, (0.9, 1.7), (0.0, 20.0)),
    "wall_high": (0.2, (1.7, 2.2), (12.0, 30.0)),
}


@dataclass(frozen=True)
class Camera:
    """A pinhole camera without lens distortion.

    Attributes:
        position: ``(3,)`` centre in world metres.
        yaw: viewing direction about world ``z`` (radians, 0 looks along +x).
        pitch: downward tilt (radians, + looks down).
        roll: rotation about the optical axis (radians).
        focal: focal length in pixels.
        width, height: image size in pixels.
        mount: which ``CAMERA_MOUNTS`` entry placed it.
    """

    position: tuple[float, float, float]
    yaw: float
    pitch: float
    roll: float
    focal: float
    width: int
    height: int
    mount: str = "shelf"

    @cached_property
    def axes(self) -> FloatArray:
        """``(3, 3)`` rows: image right, image down, forward (world vectors)."""
        cp, sp = np.cos(self.pitch), np.sin(self.pitch)
        cy, sy = np.cos(self.yaw), np.sin(self.yaw)
        fwd = np.array([cp * cy, cp * sy, -sp])
        right = np.array([sy, -cy, 0.0])
        down = np.cross(fwd, right)
        cr, sr = np.cos(self.roll), np.sin(self.roll)
        r2 = cr * right + sr * down
        d2 = -sr * right + cr * down
        return np.stack([r2, d2, fwd])

    def to_camera(self, points: npt.ArrayLike) -> FloatArray:
        """World ``(..., 3)`` -> camera ``(..., 3)`` (right, down, depth) metres."""
        p = np.asarray(points, dtype=np.float64) - np.asarray(self.position)
        return np.asarray(p @ self.axes.T, dtype=np.float64)

    def project(self, points: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """World ``(..., 3)`` -> pixels ``(..., 2)`` and depth ``(...,)`` metres.

        Points closer than 5 cm in front of the camera get depth clamped to 5 cm.
        """
        c = self.to_camera(points)
        depth = np.maximum(c[..., 2], 0.05)
        uv = np.empty((*c.shape[:-1], 2))
        uv[..., 0] = self.focal * c[..., 0] / depth + (self.width - 1) / 2
        uv[..., 1] = self.focal * c[..., 1] / depth + (self.height - 1) / 2
        return uv, depth

    def rays(self) -> FloatArray:
        """``(H, W, 3)`` unit world directions through each pixel centre."""
        u = np.arange(self.width) - (self.width - 1) / 2
        v = np.arange(self.height) - (self.height - 1) / 2
        uu, vv = np.meshgrid(u / self.focal, v / self.focal)
        r, d, f = self.axes
        dirs = uu[..., None] * r + vv[..., None] * d + f
        return np.asarray(dirs / np.linalg.norm(dirs, axis=-1, keepdims=True), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {"position": [round(v, 4) for v in self.position], "yaw": round(self.yaw, 4),
                "pitch": round(self.pitch, 4), "roll": round(self.roll, 4),
                "focal": round(self.focal, 2), "size": [self.width, self.height],
                "mount": self.mount}


def sample_camera(rng: np.random.Generator, width: int, height: int) -> Camera:
    """A random home-camera placement looking along +x from near the origin.

    The horizontal field of view is 55-110 degrees (webcams to wide-angle home
    cameras); the mount sets height and downward pitch; roll is within 3 degrees.
    """
    names = list(CAMERA_MOUNTS)
    probs = np.array([CAMERA_MOUNTS[n][0] for n in names])
    mount = names[int(rng.choice(len(names), p=probs / probs.sum()))]
    _, (h0, h1), (p0, p1) = CAMERA_MOUNTS[mount]
    hfov = np.deg2rad(rng.uniform(55.0, 110.0))
    focal = (width / 2) / np.tan(hfov / 2)
    return Camera(
        position=(0.0, 0.0, float(rng.uniform(h0, h1))),
        yaw=float(rng.uniform(-0.15, 0.15)),
        pitch=float(np.deg2rad(rng.uniform(p0, p1))),
        roll=float(np.deg2rad(rng.normal(0.0, 1.2))),
        focal=float(focal),
        width=width,
        height=height,
        mount=mount,
    )
