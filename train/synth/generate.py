"""Synthesise clips and write a PYSKL-format data set (plus one video per clip).

Each clip is independent and seeded by ``(seed, label, index)``, so the output does not
depend on the number of workers, on ``--no-video``, or on which other clips are made.
Subjects (people) come from a pool seeded by ``(seed, subject)``; the validation split
holds whole subjects.

Output folder::

    annotations.pkl   {"split": {"train": [...], "val": [...]}, "annotations": [...],
                       "class_names": [...]}  (class_names: ignored by PYSKL)
    classes.json      class names, index = label
    generator.json    every parameter, the seed, counts, the noise profile's hash, the recipe
    clips.jsonl       per clip: variant, subject, camera, event frames, noise drawn
    videos/<frame_dir>.mp4   (unless --no-video)
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import pickle
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.files import file_sha256
from model.labels import ADL_CLASSES
from train.synth.body import (
    POINT_INDEX,
    forward_kinematics,
    place_on_floor,
    to_coco,
)
from train.synth.camera import Camera, sample_camera
from train.synth.motions import CLASS_SCRIPTS, Person, Script, sample_person
from train.synth.noise import DEFAULT_PROFILE, NoiseConfig, NoiseModel, load_profile, self_occlusion
from train.synth.scene import Box, Scene, occluded_by_boxes, sample_scene

__all__ = [
    "GENERATOR_VERSION",
    "RENDER_STREAM",
    "Clip",
    "SynthConfig",
    "generate_dataset",
    "iter_clips",
    "make_subjects",
    "slug",
    "synth_clip",
    "val_subjects",
    "with_overrides",
]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
# 2-6 added variants, each off by default, each tried for a fine-tune and not shipped
# (assets/MODEL_CARD.md): slow performances, long holds at the bottom of a bend, sweeping,
# facing, bobbing and nodding waves, a rising shoulder girdle. 7: those removed (the code
# of version 6 is in git). Every version's clips with its variants off, and version 7's
# clips, are version 1's: the data of the shipped model (tests/train/synth pin them).
GENERATOR_VERSION = 7
SUBJECT_STREAM = 7_000_001  # seed-sequence key of the subject pool
SPLIT_STREAM = 7_000_002  # seed-sequence key of the train/val subject split
RENDER_STREAM = 1  # extra key of a clip's rendering randomness


@dataclass(frozen=True)
class SynthConfig:
    """Everything that determines the output (recorded in ``generator.json``).

    Attributes:
        clips_per_class: clips of each class.
        seed: master seed; same seed and parameters give identical files.
        fps: clip rate (samples/s; the edge samples windows at 15/s).
        frames: frames per clip (48 = one 3.2 s window at 15/s).
        width, height: image size in pixels.
        subjects: size of the pool of synthetic people.
        val_fraction: share of subjects held out for validation.
        video: render one mp4 per clip.
        workers: processes (1: in this process).
        min_visible: share of joint-frames that must be inside the image.
        partial_prob: share of clips allowed to be partly out of the frame.
        partial_min_visible: visibility needed by those clips.
        height_frac: range of a standing person's apparent height over the image
            height (sets the camera distance).
        classes: class names (label = index); each must have a script.
        profile: noise profile JSON path.
        noise: noise knobs.
    """

    clips_per_class: int = 100
    seed: int = 0
    fps: float = 15.0
    frames: int = 48
    width: int = 320
    height: int = 240
    subjects: int = 64
    val_fraction: float = 0.2
    video: bool = True
    workers: int = 1
    min_visible: float = 0.9
    partial_prob: float = 0.12
    partial_min_visible: float = 0.6
    height_frac: tuple[float, float] = (0.25, 0.9)
    classes: tuple[str, ...] = ADL_CLASSES
    profile: str = str(DEFAULT_PROFILE)
    noise: NoiseConfig = field(default_factory=NoiseConfig)

    def __post_init__(self) -> None:
        unknown = [c for c in self.classes if c not in CLASS_SCRIPTS]
        if unknown:
            raise ValueError(f"no motion script for {unknown}; known: {sorted(CLASS_SCRIPTS)}")
        if self.frames < 8 or self.fps <= 0 or self.width < 64 or self.height < 64:
            raise ValueError("need frames >= 8, fps > 0 and an image of at least 64x64")
        if not 0 <= self.val_fraction < 1 or self.subjects < 1 or self.clips_per_class < 1:
            raise ValueError("need 0 <= val_fraction < 1, subjects >= 1, clips_per_class >= 1")
        lo, hi = self.height_frac
        if not (0 <= self.partial_prob <= 1 and 0 < self.min_visible <= 1
                and 0 < self.partial_min_visible <= 1 and 0 < lo <= hi):
            raise ValueError("need 0 <= partial_prob <= 1, 0 < min_visible <= 1, "
                             "0 < partial_min_visible <= 1 and 0 < height_frac[0] <= "
                             f"height_frac[1], got {self.partial_prob}, {self.min_visible}, "
                             f"{self.partial_min_visible} and {self.height_frac}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["profile"] = str(Path(self.profile).name)
        return d


@dataclass
class Clip:
    """One synthetic clip.

    ``keypoints`` ``(1, T, 17, 2)`` float32 pixels, ``scores`` ``(1, T, 17)`` float32 (what
    the tracker would return); ``clean`` ``(T, 17, 2)`` the exact projections (pixels);
    ``world`` ``(T, N, 3)`` the body points (metres) for the renderer.
    """

    frame_dir: str
    label: int
    keypoints: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    clean: npt.NDArray[np.float32]
    world: FloatArray
    camera: Camera
    person: Person
    scene: Scene
    script: Script
    meta: dict[str, Any]

    def annotation(self, cfg: SynthConfig) -> dict[str, Any]:
        """The PYSKL annotation dict."""
        return {
            "frame_dir": self.frame_dir,
            "label": self.label,
            "total_frames": int(self.keypoints.shape[1]),
            "img_shape": (cfg.height, cfg.width),
            "original_shape": (cfg.height, cfg.width),
            "keypoint": self.keypoints,
            "keypoint_score": self.scores,
            "fps": float(cfg.fps),
        }


def make_subjects(cfg: SynthConfig) -> list[Person]:
    """The subject pool, each seeded by ``(seed, SUBJECT_STREAM, id)``."""
    return [sample_person(np.random.default_rng([cfg.seed, SUBJECT_STREAM, i]), i)
            for i in range(cfg.subjects)]


def val_subjects(cfg: SynthConfig) -> set[int]:
    """Subjects held out for validation (a seeded choice of ``val_fraction`` of them)."""
    n = round(cfg.subjects * cfg.val_fraction)
    if cfg.val_fraction > 0 and cfg.subjects > 1:
        n = max(1, min(n, cfg.subjects - 1))
    perm = np.random.default_rng([cfg.seed, SPLIT_STREAM]).permutation(cfg.subjects)
    return {int(i) for i in perm[:n]}


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower())


def _horizontal(world: FloatArray) -> FloatArray:
    """``(T,)`` 0 (body upright) .. 1 (lying): the feet-to-head axis against the vertical.

    A stooping person (trunk horizontal, legs vertical) still counts as mostly upright.
    """
    feet = 0.5 * (world[:, POINT_INDEX["l_ankle"]] + world[:, POINT_INDEX["r_ankle"]])
    axis = world[:, POINT_INDEX["head"]] - feet
    cos = np.abs(axis[:, 2]) / np.maximum(np.linalg.norm(axis, axis=1), 1e-6)
    return np.asarray(np.clip((0.85 - cos) / 0.6, 0.0, 1.0), dtype=np.float64)


def _resolve_props(script: Script, world: FloatArray, yaw: FloatArray, person: Person,
                   rng: np.random.Generator) -> tuple[list[Box], dict[str, Any]]:
    """Chairs under the pelvis and objects under the hand, in world coordinates, each
    placed from its frame (within the window); an object is carried from that frame."""
    boxes: list[Box] = []
    carried: dict[str, Any] = {}
    h = person.shape.height
    dom = "r_hand" if person.right_handed else "l_hand"
    r, g, b = (int(v) for v in rng.integers(40, 220, 3))
    colour = (r, g, b)
    frames = int(script.poses.shape[0])
    for prop in script.props:
        f = int(np.clip(prop.frame, 0, frames - 1))
        if prop.kind == "chair":
            pelvis = world[f, POINT_INDEX["pelvis"]]
            seat_top = max(0.25, float(pelvis[2]) - 0.06 * h)
            fwd = np.array([np.cos(yaw[f]), np.sin(yaw[f])])
            wide = 1.0 if prop.seat != "sofa" else 2.2
            depth = 0.45 if prop.seat != "sofa" else 0.75
            centre = pelvis[:2] + fwd * (0.1 if prop.seat != "sofa" else 0.05)
            if prop.seat == "sofa":  # a solid sofa block
                boxes.append(Box((float(centre[0]), float(centre[1])),
                                 (depth, 0.46 * wide, seat_top), float(yaw[f]), colour,
                                 kind="sofa_seat"))
            else:  # a seat board on four legs
                boxes.append(Box((float(centre[0]), float(centre[1])), (depth, 0.46, 0.05),
                                 float(yaw[f]), colour, z0=seat_top - 0.05,
                                 kind=f"{prop.seat}_seat"))
                side = np.array([-fwd[1], fwd[0]])
                for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                    leg = centre + fwd * a * (depth / 2 - 0.03) + side * b * 0.2
                    boxes.append(Box((float(leg[0]), float(leg[1])), (0.04, 0.04, seat_top - 0.05),
                                     float(yaw[f]), colour, kind=f"{prop.seat}_leg_seat"))
            if prop.seat != "stool":
                back_c = centre - fwd * (depth / 2 + 0.04)
                back_h = 0.45 if prop.seat == "chair" else 0.35
                boxes.append(Box((float(back_c[0]), float(back_c[1])),
                                 (0.08 if prop.seat == "chair" else 0.2, 0.46 * wide, back_h),
                                 float(yaw[f]), colour, z0=seat_top, kind=f"{prop.seat}_back"))
        elif prop.kind == "object":
            hand = world[f, POINT_INDEX[dom]]
            size = float(rng.uniform(0.08, 0.2))
            boxes.append(Box((float(hand[0]), float(hand[1])), (size, size * 0.8, size * 0.7),
                             float(rng.uniform(0, np.pi)), colour, kind="object"))
            carried = {"frame": f, "hand": dom, "box": len(boxes) - 1}
    return boxes, carried


def synth_clip(
    cfg: SynthConfig,
    label: int,
    index: int,
    subjects: Sequence[Person],
    val: set[int],
    noise: NoiseModel,
) -> Clip:
    """Clip ``index`` of class ``label``: script, body, camera, scene, noisy keypoints."""
    rng = np.random.default_rng([cfg.seed, label, index])
    name = cfg.classes[label]
    person = subjects[int(rng.integers(len(subjects)))]
    script = CLASS_SCRIPTS[name](rng, person, cfg.frames, cfg.fps)
    heading = float(rng.uniform(0, 2 * np.pi))
    yaw = script.yaw + heading
    rel = forward_kinematics(person.shape, script.poses, yaw)
    drive = None
    if script.drive is not None:
        c, s = np.cos(heading), np.sin(heading)
        drive = script.drive @ np.array([[c, s], [-s, c]])
    world0 = place_on_floor(person.shape, rel, np.zeros(2), drive)
    n = cfg.frames
    camera = sample_camera(rng, cfg.width, cfg.height)
    partial = bool(rng.uniform() < cfg.partial_prob)
    need = cfg.partial_min_visible if partial else cfg.min_visible
    pelvis0 = world0[:n, POINT_INDEX["pelvis"], :2]
    centroid = 0.5 * (pelvis0.min(axis=0) + pelvis0.max(axis=0))
    hfov = 2 * np.arctan(cfg.width / 2 / camera.focal)
    d_lo = camera.focal * person.shape.height / (cfg.height * cfg.height_frac[1])
    d_hi = camera.focal * person.shape.height / (cfg.height * cfg.height_frac[0])
    d_lo = max(d_lo, 1.0 + 0.5 * camera.position[2] / max(np.tan(camera.pitch + 0.3), 0.3))
    best: tuple[float, FloatArray] | None = None
    best_heading = (heading, yaw)
    for attempt in range(40):
        # Partial clips aim near the image edges; later attempts come closer to the
        # optical axis and to a middle distance.
        spread = 1.0 if partial and attempt < 20 else 0.8 * (1 - attempt / 45)
        dist = float(np.exp(rng.uniform(np.log(d_lo), np.log(max(d_hi, d_lo * 1.05)))))
        if attempt > 20:
            dist = float(np.sqrt(d_lo * max(d_hi, d_lo)))
        ang = camera.yaw + float(rng.uniform(-spread, spread)) * hfov / 2
        target = np.array([camera.position[0] + dist * np.cos(ang),
                           camera.position[1] + dist * np.sin(ang)])
        if attempt >= 10 and attempt % 2 == 0:  # also try other headings
            spin = float(rng.uniform(0, 2 * np.pi))
            c, s_ = np.cos(spin), np.sin(spin)
            rot = np.array([[c, -s_], [s_, c]])
            world0 = world0.copy()
            world0[:, :, :2] = (world0[:, :, :2] - centroid) @ rot.T + centroid
            heading += spin
            yaw = yaw + spin
        world = world0.copy()
        world[:, :, :2] += target - centroid
        pts = to_coco(world[:n])
        uv, _ = camera.project(pts)
        inside = ((uv[..., 0] >= 0) & (uv[..., 0] <= cfg.width - 1) & (uv[..., 1] >= 0)
                  & (uv[..., 1] <= cfg.height - 1) & (camera.to_camera(pts)[..., 2] > 0.3))
        vis = float(inside.mean())
        ok = vis >= need and (not partial or attempt >= 20 or vis < 0.97)
        if best is None or vis > best[0]:
            best = (vis, world)
            best_heading = (heading, yaw)
        if ok:
            best = (vis, world)
            best_heading = (heading, yaw)
            break
    assert best is not None
    vis, world = best
    heading, yaw = best_heading
    coco3d = to_coco(world)
    uv, depth = camera.project(coco3d)
    pelvis_depth = camera.to_camera(world[:, POINT_INDEX["pelvis"]])[:, 2]
    torso_px = camera.focal * person.shape.spine / np.maximum(pelvis_depth, 0.3)
    scene = sample_scene(rng, camera, world[:, POINT_INDEX["pelvis"], :2])
    props, carried = _resolve_props(script, world, yaw, person, rng)
    scene.props = props
    scene.carried = carried
    hidden = self_occlusion(depth, uv, torso_px)
    blockers = scene.front + [b for b in props if b.kind.endswith("_back")]
    if blockers:
        hidden = np.maximum(hidden, occluded_by_boxes(camera, coco3d, blockers))
    kp, sc, drawn = noise.apply(rng, uv, torso_px, (cfg.width, cfg.height),
                                horizontal=_horizontal(world), occluded=hidden)
    frame_dir = f"synth_{slug(name)}_{index:05d}"
    meta = {
        "frame_dir": frame_dir, "label": label, "class": name, "variant": script.variant,
        "subject": person.subject, "split": "val" if person.subject in val else "train",
        "event": list(script.event), "heading": round(float(np.mod(heading, 2 * np.pi)), 3),
        "visible": round(vis, 3), "partial": partial, "camera": camera.to_dict(),
        "scene": scene.to_dict(), "noise": drawn,
        "torso_px": round(float(np.median(torso_px)), 1),
    }
    return Clip(frame_dir, label, kp[None].astype(np.float32), sc[None].astype(np.float32),
                uv.astype(np.float32), world, camera, person, scene, script, meta)


# --------------------------------------------------------------------------- data set


_WORKER: dict[str, Any] = {}


def _init_worker(cfg: SynthConfig, out: str | None) -> None:
    _WORKER["cfg"] = cfg
    _WORKER["subjects"] = make_subjects(cfg)
    _WORKER["val"] = val_subjects(cfg)
    _WORKER["noise"] = NoiseModel(load_profile(cfg.profile), cfg.noise)
    _WORKER["out"] = out


def _make(job: tuple[int, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    cfg: SynthConfig = _WORKER["cfg"]
    label, index = job
    clip = synth_clip(cfg, label, index, _WORKER["subjects"], _WORKER["val"], _WORKER["noise"])
    out = _WORKER["out"]
    if cfg.video and out is not None:
        from train.synth.render import render_clip, write_video

        frames = render_clip(clip, np.random.default_rng([cfg.seed, label, index, RENDER_STREAM]))
        write_video(Path(out) / "videos" / f"{clip.frame_dir}.mp4", frames, cfg.fps)
    return clip.annotation(cfg), clip.meta


def iter_clips(cfg: SynthConfig, out: Path | None = None) -> Iterator[tuple[dict[str, Any],
                                                                            dict[str, Any]]]:
    """``(annotation, meta)`` of every clip in order (class by class), rendering videos
    into ``out/videos`` when ``cfg.video``."""
    jobs = [(label, i) for label in range(len(cfg.classes)) for i in range(cfg.clips_per_class)]
    out_s = None if out is None else str(out)
    if cfg.workers <= 1:
        _init_worker(cfg, out_s)
        for job in jobs:
            yield _make(job)
        return
    ctx = mp.get_context("spawn")
    with ctx.Pool(cfg.workers, initializer=_init_worker, initargs=(cfg, out_s)) as pool:
        yield from pool.imap(_make, jobs, chunksize=8)


def generate_dataset(cfg: SynthConfig, out: Path,
                     recipe: dict[str, str] | None = None) -> dict[str, Any]:
    """Write the data set to ``out`` (see the module docstring); returns the summary.
    ``recipe``: the recipe file it was made from (name, sha256), for ``generator.json``."""
    out.mkdir(parents=True, exist_ok=True)
    if cfg.video:
        (out / "videos").mkdir(exist_ok=True)
    t0 = time.perf_counter()
    annotations: list[dict[str, Any]] = []
    split: dict[str, list[str]] = {"train": [], "val": []}
    counts = dict.fromkeys(cfg.classes, 0)
    with (out / "clips.jsonl").open("w") as meta_file:
        for ann, meta in iter_clips(cfg, out):
            annotations.append(ann)
            split[meta["split"]].append(ann["frame_dir"])
            counts[meta["class"]] += 1
            meta_file.write(json.dumps(meta, sort_keys=True) + "\n")
            if len(annotations) % 500 == 0:
                log.info("%d clips, %.1f clips/s", len(annotations),
                         len(annotations) / (time.perf_counter() - t0))
    seconds = time.perf_counter() - t0
    with (out / "annotations.pkl").open("wb") as f:
        pickle.dump({"split": split, "annotations": annotations,
                     "class_names": list(cfg.classes)}, f, protocol=pickle.HIGHEST_PROTOCOL)
    (out / "classes.json").write_text(json.dumps(list(cfg.classes), indent=1) + "\n")
    summary = {
        "generator": "train.synth",
        "version": GENERATOR_VERSION,
        "config": cfg.to_dict(),
        "noise_profile_sha256": file_sha256(cfg.profile)[:16],
        "counts": counts,
        "split": {k: len(v) for k, v in split.items()},
        "val_subjects": sorted(val_subjects(cfg)),
        "recipe": recipe,
        "keypoint_format": "COCO-17 pixels (x, y), scores 0-1; 0/0 where the tracker "
                           "lost the person; M=1",
    }
    (out / "generator.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    rate = len(annotations) / seconds if seconds > 0 else float("inf")
    log.info("wrote %d clips to %s in %.1f s (%.1f clips/s)", len(annotations), out, seconds, rate)
    return summary | {"seconds": round(seconds, 2), "clips_per_s": round(rate, 1)}


def with_overrides(cfg: SynthConfig, **kw: Any) -> SynthConfig:
    """``cfg`` with some fields replaced (validated again)."""
    return replace(cfg, **kw)

