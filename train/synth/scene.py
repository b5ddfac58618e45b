"""The room around a synthetic person: walls, floor, furniture, light, props.

Everything here is geometry and colour in world metres (``z`` up, floor ``z = 0``);
``render`` draws it. Furniture standing between the camera and the person hides
joints, which ``occluded_by_boxes`` reports so their scores drop as MediaPipe's do.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from train.synth.camera import Camera

__all__ = ["Box", "Scene", "occluded_by_boxes", "sample_scene"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Box:
    """An upright box: ``centre`` (x, y) on the floor, ``size`` (length along its own
    x, width, height) metres, ``yaw`` radians, bottom at ``z0``, RGB ``colour``."""

    centre: tuple[float, float]
    size: tuple[float, float, float]
    yaw: float
    colour: tuple[int, int, int]
    z0: float = 0.0
    kind: str = "box"

    def corners(self) -> FloatArray:
        """``(8, 3)`` world corners: bottom four then top four."""
        lx, ly, lz = self.size
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        local = np.array([[-lx, -ly], [lx, -ly], [lx, ly], [-lx, ly]]) / 2
        xy = local @ np.array([[c, s], [-s, c]]) + np.array(self.centre)
        bottom = np.column_stack([xy, np.full(4, self.z0)])
        top = np.column_stack([xy, np.full(4, self.z0 + lz)])
        return np.vstack([bottom, top])

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "centre": [round(v, 3) for v in self.centre],
                "size": [round(v, 3) for v in self.size], "yaw": round(self.yaw, 3),
                "z0": round(self.z0, 3)}


@dataclass
class Scene:
    """A room: axis-aligned walls at ``x_far``, ``y_min``, ``y_max`` (the camera's back
    wall is behind it), ceiling ``height``; colours; a ceiling ``lamp`` (x, y);
    ``furniture`` behind or beside the person and ``front`` pieces that may hide them;
    ``props`` (chairs, objects) filled in once the person is placed."""

    x_far: float
    y_min: float
    y_max: float
    height: float
    floor: tuple[int, int, int]
    floor_pattern: str
    wall: tuple[int, int, int]
    wall2: tuple[int, int, int]
    ceiling: tuple[int, int, int]
    lamp: tuple[float, float]
    light: float
    ambient: float
    night: bool
    windows: list[tuple[str, float, float, float, float]] = field(default_factory=list)
    furniture: list[Box] = field(default_factory=list)
    front: list[Box] = field(default_factory=list)
    props: list[Box] = field(default_factory=list)
    carried: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"room": [round(self.x_far, 2), round(self.y_min, 2), round(self.y_max, 2),
                         round(self.height, 2)], "floor_pattern": self.floor_pattern,
                "night": self.night, "furniture": len(self.furniture),
                "occluders": [b.to_dict() for b in self.front],
                "props": [b.to_dict() for b in self.props]}


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(255 * r), int(255 * g), int(255 * b)


def _wall_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    return _hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.35), rng.uniform(0.55, 0.95))


FURNITURE = {  # kind: (length, width, height) ranges in metres
    "sofa": ((1.6, 2.2), (0.8, 1.0), (0.75, 0.95)),
    "table": ((0.8, 1.6), (0.7, 1.0), (0.7, 0.8)),
    "cabinet": ((0.6, 1.4), (0.35, 0.6), (0.8, 2.0)),
    "bed": ((1.9, 2.1), (0.9, 1.8), (0.45, 0.6)),
    "counter": ((1.2, 2.5), (0.55, 0.65), (0.88, 0.95)),
}


def sample_scene(
    rng: np.random.Generator,
    camera: Camera,
    person_xy: FloatArray,
    *,
    occluder_prob: float = 0.12,
) -> Scene:
    """A room around the camera and the person's floor path ``person_xy`` ``(T, 2)``.

    Furniture is placed along the walls away from the path; with ``occluder_prob`` a
    low piece (table, sofa back, bed end) stands between the camera and the person.
    """
    px, py = person_xy[:, 0], person_xy[:, 1]
    cx, cy = camera.position[0], camera.position[1]
    x_far = float(max(px.max(), cx) + rng.uniform(0.8, 3.0))
    y_min = float(min(py.min(), cy) - rng.uniform(0.8, 3.0))
    y_max = float(max(py.max(), cy) + rng.uniform(0.8, 3.0))
    height = float(max(camera.position[2] + 0.1, rng.uniform(2.4, 3.0)))
    night = bool(rng.uniform() < 0.1)
    hue = rng.uniform(0, 1)
    floor_pattern = str(rng.choice(["planks", "tiles", "carpet", "plain"],
                                   p=[0.4, 0.25, 0.2, 0.15]))
    floor = _hsv(hue if floor_pattern != "planks" else rng.uniform(0.05, 0.12),
                 rng.uniform(0.1, 0.6), rng.uniform(0.25, 0.8))
    wall = _wall_colour(rng)
    wall2 = wall if rng.uniform() < 0.6 else _wall_colour(rng)
    scene = Scene(
        x_far=x_far, y_min=y_min, y_max=y_max, height=height, floor=floor,
        floor_pattern=floor_pattern, wall=wall, wall2=wall2,
        ceiling=_hsv(0.1, 0.05, rng.uniform(0.8, 0.97)),
        lamp=(float(rng.uniform(cx, x_far)), float(rng.uniform(y_min, y_max))),
        light=float(rng.uniform(0.4, 1.0)), ambient=float(rng.uniform(0.35, 0.75)),
        night=night,
    )
    # Windows and doors on the far and side walls: (wall, u0, u1, v0, v1) in metres.
    for _ in range(int(rng.integers(0, 3))):
        wall_name = str(rng.choice(["far", "left", "right"]))
        span = (y_min, y_max) if wall_name == "far" else (cx, x_far)
        u0 = float(rng.uniform(span[0], max(span[0] + 0.1, span[1] - 1.2)))
        door = rng.uniform() < 0.35
        scene.windows.append((("door_" if door else "window_") + wall_name, u0,
                              u0 + float(rng.uniform(0.8, 1.6)), 0.0 if door else 0.9,
                              2.05 if door else float(rng.uniform(1.8, 2.2))))
    # Furniture along the walls, away from the person's path.
    for _ in range(int(rng.integers(1, 5))):
        kind = str(rng.choice(list(FURNITURE)))
        (l0, l1), (w0, w1), (h0, h1) = FURNITURE[kind]
        size = (float(rng.uniform(l0, l1)), float(rng.uniform(w0, w1)), float(rng.uniform(h0, h1)))
        side = rng.uniform()
        if side < 0.5:  # against the far wall
            centre = (x_far - size[1] / 2 - 0.02, float(rng.uniform(y_min + 0.5, y_max - 0.5)))
            yaw = np.pi / 2
        else:  # against a side wall
            y = y_min + size[1] / 2 + 0.02 if side < 0.75 else y_max - size[1] / 2 - 0.02
            centre = (float(rng.uniform(cx + 1.0, x_far - 0.5)), y)
            yaw = 0.0
        d = np.min(np.linalg.norm(person_xy - np.array(centre), axis=1))
        if d < max(size[0], size[1]) / 2 + 0.5:
            continue
        scene.furniture.append(Box(centre, size, float(yaw), _furniture_colour(rng), kind=kind))
    if rng.uniform() < occluder_prob:
        mid = person_xy[len(person_xy) // 2]
        to_cam = np.array([cx, cy]) - mid
        dist = float(np.linalg.norm(to_cam))
        if dist > 2.0:
            u = to_cam / dist
            c = mid + u * rng.uniform(0.7, 1.2)
            kind = str(rng.choice(["table", "sofa", "bed"]))
            (l0, l1), (w0, w1), (h0, h1) = FURNITURE[kind]
            size = (float(rng.uniform(l0, l1)), float(rng.uniform(w0, w1) * 0.7),
                    float(rng.uniform(h0, h1)))
            yaw = float(np.arctan2(u[1], u[0]) + np.pi / 2 + rng.normal(0, 0.2))
            scene.front.append(Box((float(c[0]), float(c[1])), size, yaw,
                                   _furniture_colour(rng), kind=kind))
    return scene


def _furniture_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    if rng.uniform() < 0.5:  # wood
        return _hsv(rng.uniform(0.05, 0.11), rng.uniform(0.35, 0.7), rng.uniform(0.25, 0.75))
    return _hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.6), rng.uniform(0.2, 0.9))


def occluded_by_boxes(camera: Camera, points: FloatArray, boxes: list[Box]) -> FloatArray:
    """``(T, J)`` 1 where the segment from the camera to a point passes through a box.

    Args:
        points: ``(T, J, 3)`` world metres.
    """
    out = np.zeros(points.shape[:2])
    origin = np.asarray(camera.position, dtype=np.float64)
    for box in boxes:
        c, s = np.cos(box.yaw), np.sin(box.yaw)
        rot = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # world -> box axes
        centre = np.array([box.centre[0], box.centre[1], box.z0 + box.size[2] / 2])
        half = np.array(box.size) / 2
        o = rot @ (origin - centre)
        d = (points - origin) @ rot.T  # segment direction, t in 0..1 reaches the point
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (-half - o) / d
            t2 = (half - o) / d
        tmin = np.nanmax(np.minimum(t1, t2), axis=-1)
        tmax = np.nanmin(np.maximum(t1, t2), axis=-1)
        hit = (tmax >= tmin) & (tmin > 0) & (tmin < 0.98)
        out = np.maximum(out, hit.astype(np.float64))
    return out
