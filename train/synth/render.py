"""Simple but varied RGB frames of a synthetic clip, drawn with OpenCV.

The room is ray-cast per pixel once per clip (floor, walls, ceiling with texture,
windows and doors, lamp light falloff); furniture boxes are filled polygons; the body
is drawn each frame as shaded capsules (limbs), a hull (torso) and a head with hair,
in clothing and skin colours, far parts first. Lighting gradient, colour cast, blur
and sensor noise finish the frame; some rooms are at night (grey, noisy, like an IR
camera). Videos are written as mp4 (``mp4v``) at the clip rate.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from train.synth.body import POINT_INDEX
from train.synth.camera import Camera
from train.synth.scene import Box, Scene

if TYPE_CHECKING:
    from train.synth.generate import Clip

__all__ = ["render_background", "render_clip", "write_video"]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
SHIFT = 4  # OpenCV fixed-point bits for sub-pixel drawing
ONE = 1 << SHIFT


def _shade(colour: Any, k: float) -> tuple[int, int, int]:
    """``colour`` (RGB 0-255) times ``k``, clipped."""
    r, g, b = (min(255, max(0, int(float(v) * k))) for v in colour)
    return r, g, b


def render_background(scene: Scene, camera: Camera, rng: np.random.Generator) -> FloatArray:
    """``(H, W, 3)`` float RGB 0-255 of the empty room (no furniture), ray-cast."""
    d = camera.rays()
    o = np.asarray(camera.position, dtype=np.float64)
    h, w = d.shape[:2]
    big = 1e9
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = np.where(d[..., 2] < -1e-6, -o[2] / d[..., 2], big)
        t_ceil = np.where(d[..., 2] > 1e-6, (scene.height - o[2]) / d[..., 2], big)
        t_far = np.where(d[..., 0] > 1e-6, (scene.x_far - o[0]) / d[..., 0], big)
        t_back = np.where(d[..., 0] < -1e-6, (-0.6 - o[0]) / d[..., 0], big)
        t_left = np.where(d[..., 1] > 1e-6, (scene.y_max - o[1]) / d[..., 1], big)
        t_right = np.where(d[..., 1] < -1e-6, (scene.y_min - o[1]) / d[..., 1], big)
    ts = np.stack([t_floor, t_ceil, t_far, t_back, t_left, t_right], axis=0)
    which = np.argmin(ts, axis=0)
    t = np.min(ts, axis=0)
    p = o + d * t[..., None]
    img = np.zeros((h, w, 3))
    # Floor.
    fl = which == 0
    base = np.asarray(scene.floor, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    if scene.floor_pattern == "planks":
        plank = np.floor(y / 0.18)
        tone = 0.85 + 0.15 * np.sin(plank * 12.9898 + 4.1) * np.cos(plank * 78.233)
        seam = (np.abs((y / 0.18) - np.round(y / 0.18)) < 0.04) * 0.25
        pat = tone - seam
    elif scene.floor_pattern == "tiles":
        s = 0.3 + 0.3 * (rng.uniform() < 0.5)
        grout = (np.abs(x / s - np.round(x / s)) < 0.04) | (np.abs(y / s - np.round(y / s)) < 0.04)
        pat = np.where(grout, 0.7, 1.0) * (0.95 + 0.05 * ((np.floor(x / s) + np.floor(y / s)) % 2))
    elif scene.floor_pattern == "carpet":
        pat = 0.92 + 0.08 * np.sin(x * 7.1) * np.sin(y * 6.3)
    else:
        pat = np.ones_like(x)
    img[fl] = base * pat[fl][:, None]
    # Walls (far, left, right, back) and ceiling.
    img[which == 1] = scene.ceiling
    for idx, col in ((2, scene.wall), (3, scene.wall), (4, scene.wall2), (5, scene.wall2)):
        m = which == idx
        grad = 0.9 + 0.1 * np.clip(p[..., 2] / scene.height, 0, 1)
        img[m] = np.asarray(col, dtype=np.float64) * grad[m][:, None]
        skirting = m & (p[..., 2] < 0.08)
        img[skirting] = _shade(col, 0.6)
    for name, u0, u1, v0, v1 in scene.windows:
        idx = {"far": 2, "left": 4, "right": 5}[name.split("_")[1]]
        u = p[..., 1] if idx == 2 else p[..., 0]
        m = (which == idx) & (u >= u0) & (u <= u1) & (p[..., 2] >= v0) & (p[..., 2] <= v1)
        if name.startswith("window"):
            sky = np.array([20.0, 25.0, 40.0] if scene.night else [200.0, 220.0, 240.0])
            img[m] = sky
            bars = (np.abs(u - (u0 + u1) / 2) < 0.03) | (np.abs(p[..., 2] - (v0 + v1) / 2) < 0.03)
            frame_m = m & bars
            img[frame_m] = 235.0
        else:
            img[m] = _shade(scene.wall, 0.55) if rng.uniform() < 0.5 else (120.0, 80.0, 50.0)
    # Lamp light: falloff from a point below the ceiling, plus ambient.
    lamp = np.array([scene.lamp[0], scene.lamp[1], scene.height - 0.3])
    dist2 = np.sum((p - lamp) ** 2, axis=-1)
    light = scene.ambient + scene.light * 2.5 / (1.0 + dist2)
    img *= np.clip(light, 0.2, 1.4)[..., None]
    return img


def _box_faces(box: Box) -> list[tuple[list[int], FloatArray]]:
    """Faces of a box: (corner indices, outward normal)."""
    c = box.corners()
    centre = c.mean(axis=0)
    faces = [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]
    out = []
    for f in faces:
        q = c[f]
        n = np.cross(q[1] - q[0], q[2] - q[0])
        if np.dot(n, q.mean(axis=0) - centre) < 0:
            n = -n
        out.append((f, n / (np.linalg.norm(n) + 1e-9)))
    return out


Polygon = tuple[npt.NDArray[np.int32], tuple[int, int, int], tuple[int, int, int]]


def _box_polygons(box: Box, camera: Camera) -> list[Polygon]:
    """Visible faces of a box, far first: (fixed-point polygon, fill, edge colour)."""
    corners = box.corners()
    cam = camera.to_camera(corners)
    if (cam[:, 2] < 0.1).any():
        return []
    uv, _ = camera.project(corners)
    pos = np.asarray(camera.position)
    faces = []
    for f, n in _box_faces(box):
        centre = corners[f].mean(axis=0)
        if np.dot(n, pos - centre) <= 0:
            continue
        faces.append((float(np.linalg.norm(centre - pos)), f, n))
    out = []
    for _, f, n in sorted(faces, key=lambda x: -x[0]):
        k = 1.08 if n[2] > 0.5 else 0.7 + 0.2 * abs(n[0])
        pts = np.round(uv[f] * ONE).astype(np.int32)
        out.append((pts, _shade(box.colour, k), _shade(box.colour, 0.5)))
    return out


def _fill_polygons(img: U8, polys: list[Polygon]) -> None:
    import cv2

    for pts, fill, edge in polys:
        cv2.fillConvexPoly(img, pts, fill, cv2.LINE_AA, SHIFT)
        cv2.polylines(img, [pts], True, edge, 1, cv2.LINE_AA, SHIFT)


def _draw_box(img: U8, box: Box, camera: Camera) -> None:
    _fill_polygons(img, _box_polygons(box, camera))


def _capsule(img: U8, a: FloatArray, b: FloatArray, r: float, colour: Any,
             light: FloatArray) -> None:
    """A shaded limb from ``a`` to ``b`` (pixels), radius ``r`` pixels."""
    import cv2

    r = max(r, 0.8)
    pa, pb = np.round(a * ONE).astype(np.int32), np.round(b * ONE).astype(np.int32)
    th = max(1, round(2 * r))
    cv2.line(img, tuple(pa), tuple(pb), _shade(colour, 0.72), th, cv2.LINE_AA, SHIFT)
    inner = max(1, round(1.1 * r))
    off = np.round(light * r * 0.35 * ONE).astype(np.int32)
    cv2.line(img, tuple(pa + off), tuple(pb + off), _shade(colour, 1.0), inner, cv2.LINE_AA, SHIFT)


def _disc(img: U8, c: FloatArray, r: float, colour: Any) -> None:
    import cv2

    cv2.circle(img, tuple(np.round(c * ONE).astype(np.int32)), max(1, round(r * ONE)),
               colour, -1, cv2.LINE_AA, SHIFT)


def _draw_person(img: U8, world: FloatArray, clip: Clip, light: FloatArray) -> None:
    """Body parts of one frame, far to near. ``world`` ``(N, 3)`` metres."""
    import cv2

    cam = clip.camera
    person = clip.person
    look = person.look
    h = person.shape.height
    b = person.shape.build
    uv, depth = cam.project(world)
    if (depth < 0.2).all():
        return
    ix = POINT_INDEX
    f = cam.focal
    skin, top, bottom = look["skin"], look["top"], look["bottom"]
    shoes = look["shoes"]
    fore_col = top if look["long_sleeves"] else skin
    shank_col = skin if look["shorts"] or look["skirt"] else bottom
    parts: list[tuple[float, str, tuple[Any, ...]]] = []

    def cap(p: str, q: str, radius: float, colour: Any) -> None:
        dd = (depth[ix[p]] + depth[ix[q]]) / 2
        parts.append((dd, "cap", (uv[ix[p]], uv[ix[q]], f * radius / max(dd, 0.2), colour)))

    for s in ("l", "r"):
        cap(f"{s}_hip", f"{s}_knee", 0.047 * h * b, bottom)
        cap(f"{s}_knee", f"{s}_ankle", 0.033 * h * b**0.5, shank_col)
        cap(f"{s}_ankle", f"{s}_toe", 0.024 * h, shoes)
        cap(f"{s}_shoulder", f"{s}_elbow", 0.028 * h * b, top)
        cap(f"{s}_elbow", f"{s}_wrist", 0.022 * h * b**0.5, fore_col)
        cap(f"{s}_wrist", f"{s}_hand", 0.019 * h, skin)
    cap("neck", "head", 0.03 * h, skin)
    # Torso: hull of discs at shoulders, hips, chest and belly (front of the trunk).
    fwd = np.cross(world[ix["l_shoulder"]] - world[ix["r_shoulder"]],
                   world[ix["neck"]] - world[ix["pelvis"]])
    fwd = fwd / (np.linalg.norm(fwd) + 1e-9)
    pts3 = [world[ix["l_shoulder"]], world[ix["r_shoulder"]], world[ix["l_hip"]],
            world[ix["r_hip"]], world[ix["neck"]]]
    radii = [0.055 * h * b, 0.055 * h * b, 0.065 * h * b, 0.065 * h * b, 0.05 * h]
    chest = 0.6 * world[ix["neck"]] + 0.4 * world[ix["pelvis"]]
    belly = 0.25 * world[ix["neck"]] + 0.75 * world[ix["pelvis"]]
    pts3 += [chest + fwd * 0.06 * h * b, belly + fwd * 0.05 * h * b**1.5,
             chest - fwd * 0.05 * h, belly - fwd * 0.05 * h]
    radii += [0.07 * h * b, 0.07 * h * b, 0.06 * h, 0.06 * h]
    tuv, tdep = cam.project(np.array(pts3))
    ang = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = np.stack([np.cos(ang), np.sin(ang)], -1)
    hull_pts = np.concatenate([c + ring * (f * r / max(dd, 0.2))
                               for c, r, dd in zip(tuv, radii, tdep, strict=True)])
    parts.append((float(np.mean(tdep[:4])), "torso", (hull_pts, top)))
    if look["skirt"]:
        sk = np.array([world[ix["l_hip"]], world[ix["r_hip"]], world[ix["l_knee"]],
                       world[ix["r_knee"]]])
        suv, sdep = cam.project(sk)
        hull = np.concatenate([c + ring * (f * 0.07 * h / max(dd, 0.2))
                               for c, dd in zip(suv, sdep, strict=True)])
        parts.append((float(np.mean(sdep)) - 0.01, "torso", (hull, bottom)))
    # Head: hair behind/above, face in front.
    head = world[ix["head"]]
    nose = world[ix["nose"]]
    face_dir = (nose - head) / (np.linalg.norm(nose - head) + 1e-9)
    up = world[ix["head"]] - world[ix["neck"]]
    up = up / (np.linalg.norm(up) + 1e-9)
    rad = person.shape.head_radius
    hair_c = head - face_dir * 0.2 * rad + up * 0.12 * rad
    face_c = head + face_dir * 0.18 * rad - up * 0.05 * rad
    huv, hdep = cam.project(np.array([hair_c, face_c]))
    hair_r = 1.02 if not look["hair_long"] else 1.12
    parts.append((float(hdep[0]), "disc", (huv[0], f * rad * hair_r / max(hdep[0], 0.2),
                                           look["hair"])))
    parts.append((float(hdep[1]), "disc", (huv[1], f * rad * 0.9 / max(hdep[1], 0.2), skin)))
    for dd, kind, args in sorted(parts, key=lambda x: -x[0]):
        if dd < 0.2:
            continue
        if kind == "cap":
            _capsule(img, args[0], args[1], args[2], args[3], light)
        elif kind == "disc":
            _disc(img, args[0], args[1], _shade(args[2], 0.95))
        else:
            hull = cv2.convexHull(np.round(args[0] * ONE).astype(np.int32))
            cv2.fillConvexPoly(img, hull, _shade(args[1], 0.85), cv2.LINE_AA, SHIFT)


def render_clip(clip: Clip, rng: np.random.Generator) -> list[U8]:
    """``T`` RGB ``uint8`` frames ``(H, W, 3)`` of ``clip``."""
    import cv2

    cam, scene = clip.camera, clip.scene
    bg = render_background(scene, cam, rng)
    base = np.clip(bg, 0, 255).astype(np.uint8)
    pelvis = clip.world[:, POINT_INDEX["pelvis"]]
    pos = np.asarray(cam.position)
    p_dist = float(np.median(np.linalg.norm(pelvis - pos, axis=1)))
    for box in sorted(scene.furniture, key=lambda bx: -float(np.hypot(bx.centre[0] - pos[0],
                                                                       bx.centre[1] - pos[1]))):
        _draw_box(base, box, cam)
    # Finishing: light gradient over the whole frame, colour cast, blur, noise.
    h, w = base.shape[:2]
    gx = rng.uniform(-0.25, 0.25)
    gy = rng.uniform(-0.25, 0.25)
    yy, xx = np.mgrid[0:h, 0:w]
    grad = 1.0 + gx * (xx / w - 0.5) + gy * (yy / h - 0.5)
    vign = 1.0 - rng.uniform(0.0, 0.35) * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
    gain = grad * vign * rng.uniform(0.75, 1.2)
    cast = np.array([rng.uniform(0.9, 1.1), 1.0, rng.uniform(0.85, 1.1)])
    noise_sd = rng.uniform(1.0, 6.0) * (2.5 if scene.night else 1.0)
    blur = int(rng.choice([0, 0, 3, 5]))
    noise_bank = [rng.normal(0.0, noise_sd, (h, w, 1)).astype(np.float32) for _ in range(4)]
    light = np.array([rng.uniform(-1, 1), -1.0])
    light /= np.linalg.norm(light)
    mult = (gain[..., None] * cast).astype(np.float32)
    # Static props: those behind the person go into the background once; the others
    # are drawn over the person each frame. A carried object moves with the hand.
    carried = scene.carried
    moving = carried.get("box", -1) if carried else -1

    def dist(bx: Box) -> float:
        return float(np.hypot(bx.centre[0] - pos[0], bx.centre[1] - pos[1]))

    behind = [bx for i, bx in enumerate(scene.props) if i != moving
              and (dist(bx) >= p_dist - 0.05 or bx.kind.endswith("seat"))]
    ahead = [bx for i, bx in enumerate(scene.props) if i != moving and bx not in behind]
    for box in sorted(behind, key=lambda bx: -dist(bx)):
        _draw_box(base, box, cam)
    front_polys = [poly for bx in ahead + scene.front for poly in _box_polygons(bx, cam)]
    frames: list[U8] = []
    for t in range(clip.world.shape[0]):
        img = base.copy()
        if moving >= 0:
            obj = scene.props[moving]
            if t > carried["frame"]:
                hand = clip.world[t, POINT_INDEX[carried["hand"]]]
                obj = Box((float(hand[0]), float(hand[1])), obj.size, obj.yaw, obj.colour,
                          z0=max(0.0, float(hand[2]) - obj.size[2] / 2), kind=obj.kind)
            _draw_box(img, obj, cam)
        _draw_person(img, clip.world[t], clip, light)
        _fill_polygons(img, front_polys)
        out = img.astype(np.float32) * mult
        if scene.night:
            grey = out.mean(axis=2, keepdims=True) * 0.8 + 25
            out = np.repeat(grey, 3, axis=2)
        out += noise_bank[t % 4]
        frame = np.clip(out, 0, 255).astype(np.uint8)
        if blur:
            frame = cv2.GaussianBlur(frame, (blur, blur), 0)
        frames.append(frame)
    return frames


def write_video(path: Path, frames: list[U8], fps: float) -> None:
    """Write RGB frames as an mp4 (``mp4v``) at ``fps``."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    fourcc = cv2.VideoWriter_fourcc(*"mp4v")  # type: ignore[attr-defined]
    writer = cv2.VideoWriter(str(path), fourcc, float(fps), (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path} with the mp4v codec")
    try:
        for fr in frames:
            writer.write(cv2.cvtColor(fr, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
