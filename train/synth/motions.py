"""Motion scripts: people and what they do in a clip, as joint angles over time.

A ``Person`` is a body (height, build) with a style (tempo, arm swing, stoop, fidget,
handedness). A ``Timeline`` strings together holds, smooth moves between poses and
gait cycles at the clip's frame rate. Each ADL class has a script that returns a
``Script``: the ``(T, P)`` joint angles and ``(T,)`` heading, the labelled event's frame
range, a variant name, and props (the chair someone sits on, the object picked up) for
the renderer.

Scripts are built for one window (``frames`` at ``fps``) and place their event so the
classifier's window sees it: a fall happens and ends inside the clip, a "lying" clip
starts with the person already down, a state class (walking, waving, background)
fills most of the clip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from train.synth.body import POSE_INDEX, POSE_PARAMS, BodyShape

__all__ = [
    "CLASS_SCRIPTS",
    "Person",
    "Prop",
    "Script",
    "Timeline",
    "sample_person",
]

FloatArray = npt.NDArray[np.float64]
PI = float(np.pi)
HALF_PI = PI / 2


@dataclass(frozen=True)
class Person:
    """One synthetic subject (body, style and look are fixed across their clips).

    Attributes:
        subject: id, used for the subject-wise train/val split.
        shape: bone lengths.
        age: ``young`` / ``adult`` / ``elderly`` (slower, stooped, shorter steps).
        right_handed: which arm reaches, waves and picks up first.
        tempo: speed multiplier of every movement (1 = typical adult).
        arm_swing: walking arm swing multiplier.
        stoop: habitual forward lean of the trunk (radians).
        fidget: amplitude multiplier of idle motion.
        look: clothing and skin colours (RGB 0-255) for the renderer.
    """

    subject: int
    shape: BodyShape
    age: str
    right_handed: bool
    tempo: float
    arm_swing: float
    stoop: float
    fidget: float
    look: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "height": round(self.shape.height, 3),
                "build": round(self.shape.build, 3), "age": self.age,
                "right_handed": self.right_handed, "tempo": round(self.tempo, 3),
                "arm_swing": round(self.arm_swing, 3), "stoop": round(self.stoop, 3),
                "fidget": round(self.fidget, 3), "look": self.look}


SKIN_TONES = ((255, 224, 196), (241, 194, 160), (224, 172, 135), (198, 134, 97),
              (160, 104, 70), (112, 72, 48), (84, 56, 40))
HAIR = ((20, 16, 14), (60, 40, 25), (110, 75, 45), (200, 170, 110), (180, 180, 180),
        (235, 235, 235), (130, 40, 20))


def _colour(rng: np.random.Generator, dull: bool = False) -> list[int]:
    """A clothing colour: saturated or muted, any hue (RGB 0-255)."""
    import colorsys

    h = rng.uniform(0, 1)
    s = rng.uniform(0.0, 0.35) if dull else rng.uniform(0.2, 0.9)
    v = rng.uniform(0.15, 0.95)
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return [int(255 * r), int(255 * g), int(255 * b)]


def sample_person(rng: np.random.Generator, subject: int) -> Person:
    """A random subject: 1.45-1.95 m, slim to heavy, young to elderly, 12% left-handed."""
    age = str(rng.choice(["young", "adult", "elderly"], p=[0.2, 0.45, 0.35]))
    female = rng.uniform() < 0.5
    height = float(np.clip(rng.normal(1.63 if female else 1.76, 0.07), 1.45, 1.95))
    if age == "elderly":
        height -= 0.03
    build = float(np.clip(rng.normal(1.05, 0.12), 0.85, 1.35))
    tempo = float(np.clip(rng.normal(0.75 if age == "elderly" else 1.0, 0.1), 0.55, 1.3))
    look = {
        "skin": list(SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]),
        "hair": list(HAIR[int(rng.integers(4 if age != "elderly" else len(HAIR)))]),
        "top": _colour(rng, dull=rng.uniform() < 0.4),
        "bottom": _colour(rng, dull=rng.uniform() < 0.7),
        "shoes": _colour(rng, dull=True),
        "long_sleeves": bool(rng.uniform() < 0.6),
        "shorts": bool(rng.uniform() < 0.15),
        "skirt": bool(female and rng.uniform() < 0.2),
        "hair_long": bool(rng.uniform() < (0.6 if female else 0.1)),
    }
    return Person(
        subject=subject,
        shape=BodyShape(height, build),
        age=age,
        right_handed=bool(rng.uniform() > 0.12),
        tempo=tempo,
        arm_swing=float(rng.uniform(0.5, 1.3) * (0.7 if age == "elderly" else 1.0)),
        stoop=float(rng.uniform(0.1, 0.35) if age == "elderly" else rng.uniform(0.0, 0.1)),
        fidget=float(rng.uniform(0.3, 1.5)),
        look=look,
    )


# --------------------------------------------------------------------------- timeline

EASES: dict[str, Callable[[FloatArray], FloatArray]] = {
    "linear": lambda u: u,
    "smooth": lambda u: u * u * (3 - 2 * u),
    "fall": lambda u: u**2.2,  # accelerating, like a body toppling under gravity
    "out": lambda u: 1 - (1 - u) ** 2,  # fast start, gentle end
}


def _p(name: str) -> int:
    return POSE_INDEX[name]


class Timeline:
    """Joint angles and heading built segment by segment at ``fps`` frames/s.

    ``pose`` and ``yaw`` are the state at the end of what has been built so far.
    """

    def __init__(self, fps: float, pose: FloatArray, yaw: float) -> None:
        self.fps = fps
        self._poses: list[FloatArray] = [np.asarray(pose, dtype=np.float64)[None].copy()]
        self._yaws: list[FloatArray] = [np.array([yaw], dtype=np.float64)]
        self.gait_phase = 0.0

    @property
    def pose(self) -> FloatArray:
        return np.array(self._poses[-1][-1], dtype=np.float64)

    @property
    def yaw(self) -> float:
        return float(self._yaws[-1][-1])

    @property
    def frames(self) -> int:
        return sum(p.shape[0] for p in self._poses)

    def n(self, seconds: float) -> int:
        """Frames in ``seconds`` (at least 1)."""
        return max(1, round(seconds * self.fps))

    def append(self, poses: FloatArray, yaws: FloatArray) -> None:
        self._poses.append(np.asarray(poses, dtype=np.float64))
        self._yaws.append(np.asarray(yaws, dtype=np.float64))

    def hold(self, seconds: float) -> None:
        n = self.n(seconds)
        self.append(np.repeat(self.pose[None], n, axis=0), np.full(n, self.yaw))

    def move(
        self,
        target: FloatArray,
        seconds: float,
        *,
        ease: str = "smooth",
        ease_for: dict[str, str] | None = None,
        bumps: dict[str, float] | None = None,
        bump_at: float = 0.5,
        turn: float = 0.0,
    ) -> None:
        """Move from the current pose to ``target`` in ``seconds``.

        Args:
            ease: easing of all angles (``EASES``); ``ease_for`` overrides some.
            bumps: angles that pass through an extra excursion (radians) on the way,
                peaking at fraction ``bump_at`` of the move (e.g. leaning forward while
                sitting down).
            turn: change of heading over the move (radians).
        """
        n = self.n(seconds)
        u = np.arange(1, n + 1) / n
        start = self.pose
        prof = np.repeat(EASES[ease](u)[:, None], len(POSE_PARAMS), axis=1)
        for name, e in (ease_for or {}).items():
            prof[:, _p(name)] = EASES[e](u)
        poses = start + prof * (np.asarray(target) - start)
        for name, amp in (bumps or {}).items():
            poses[:, _p(name)] += amp * _bump(u, bump_at)
        yaws = self.yaw + turn * EASES["smooth"](u)
        self.append(poses, yaws)

    def walk(
        self,
        seconds: float,
        speed: float,
        person: Person,
        *,
        turn: float = 0.0,
        ramp_in: float = 0.0,
        ramp_out: float = 0.0,
        carry: str | None = None,
        shuffle: bool = False,
    ) -> None:
        """Walk at ``speed`` m/s for ``seconds`` on top of the current pose.

        Gait: hip swing amplitude from the step length (the stance leg's sweep carries
        the body forward, see ``body.place_on_floor``), knee flexion in swing, opposite
        arm swing, trunk counter-rotation. ``ramp_in``/``ramp_out`` (s) fade the gait
        in and out (starting, stopping); ``turn`` changes heading (radians) on the way;
        ``carry`` (``l``/``r``) holds that arm still; ``shuffle`` makes short low steps.
        """
        n = self.n(seconds)
        t = np.arange(1, n + 1) / self.fps
        cadence = float(np.clip(1.15 + 0.55 * speed, 1.2, 2.2))  # steps/s
        if shuffle:
            cadence = min(cadence + 0.3, 2.4)
        leg = person.shape.leg
        step = speed / cadence
        amp = float(np.arcsin(np.clip(step / (2 * leg), 0.0, 0.6)))
        env = np.ones(n)
        if ramp_in > 0:
            env *= EASES["smooth"](np.clip(t / ramp_in, 0, 1))
        if ramp_out > 0:
            env *= EASES["smooth"](np.clip((seconds - t) / ramp_out, 0, 1))
        phase = self.gait_phase + 2 * PI * (cadence / 2) * t
        self.gait_phase = float(phase[-1])
        base = self.pose
        poses = np.repeat(base[None], n, axis=0)
        knee_swing = (0.55 if shuffle else 1.0) * (0.75 + 0.25 * min(speed, 1.5))
        for side, off in (("l", 0.0), ("r", PI)):
            ph = phase + off
            poses[:, _p(f"{side}_hip_flex")] += env * (amp * np.cos(ph) + 0.04)
            poses[:, _p(f"{side}_knee")] += env * (0.1 * np.maximum(np.sin(ph), 0)
                                                   + knee_swing * np.maximum(-np.sin(ph), 0) ** 1.5)
            if carry != side:
                arm = person.arm_swing * (0.4 if shuffle else 1.0)
                poses[:, _p(f"{side}_sh_flex")] += env * (-1.1 * arm * amp * np.cos(ph))
                poses[:, _p(f"{side}_elbow")] += env * (0.15 + 0.15 * arm * -np.cos(ph))
        poses[:, _p("spine_twist")] += env * 0.25 * amp * np.cos(phase)
        poses[:, _p("pelvis_roll")] += env * 0.03 * np.sin(2 * phase)
        poses[:, _p("spine_flex")] += env * 0.06 * speed
        yaws = self.yaw + turn * np.arange(1, n + 1) / n
        self.append(poses, yaws)

    def build(self, frames: int) -> tuple[FloatArray, FloatArray]:
        """The first ``frames`` frames (padded by holding the last pose), ``(T,P)``, ``(T,)``."""
        poses = np.concatenate(self._poses, axis=0)
        yaws = np.concatenate(self._yaws, axis=0)
        if poses.shape[0] < frames:
            pad = frames - poses.shape[0]
            poses = np.concatenate([poses, np.repeat(poses[-1:], pad, axis=0)])
            yaws = np.concatenate([yaws, np.repeat(yaws[-1:], pad)])
        return poses[:frames], yaws[:frames]


def _bump(u: FloatArray, at: float) -> FloatArray:
    """A smooth 0 -> 1 -> 0 profile over ``u`` in 0-1 peaking at ``at``."""
    at = float(np.clip(at, 0.05, 0.95))
    x = np.where(u < at, u / at, (1 - u) / (1 - at))
    return np.asarray(np.sin(HALF_PI * np.clip(x, 0, 1)) ** 2, dtype=np.float64)


# --------------------------------------------------------------------------- poses


def _set(pose: FloatArray, **angles: float) -> FloatArray:
    out = pose.copy()
    for k, v in angles.items():
        out[_p(k)] = v
    return out


def _sides(person: Person) -> tuple[str, str]:
    """(dominant, other) arm prefixes."""
    return ("r", "l") if person.right_handed else ("l", "r")


def stand_pose(rng: np.random.Generator, person: Person) -> FloatArray:
    """Relaxed standing: arms by the sides, slight knee and elbow flexion."""
    pose = np.zeros(len(POSE_PARAMS))
    return _set(
        pose,
        spine_flex=0.6 * person.stoop + rng.normal(0, 0.03),
        neck_flex=0.05 + 0.5 * person.stoop + rng.normal(0, 0.05),
        l_sh_abd=rng.uniform(0.06, 0.2), r_sh_abd=rng.uniform(0.06, 0.2),
        l_sh_flex=rng.normal(0.05, 0.06), r_sh_flex=rng.normal(0.05, 0.06),
        l_elbow=rng.uniform(0.1, 0.4), r_elbow=rng.uniform(0.1, 0.4),
        l_hip_abd=rng.uniform(0.0, 0.06), r_hip_abd=rng.uniform(0.0, 0.06),
        l_knee=rng.uniform(0.02, 0.1) + person.stoop * 0.3,
        r_knee=rng.uniform(0.02, 0.1) + person.stoop * 0.3,
        l_hip_flex=person.stoop * 0.2, r_hip_flex=person.stoop * 0.2,
    )


SEATS: dict[str, tuple[float, float, float]] = {
    # hip flexion, knee flexion, trunk lean (radians); lower seats flex more.
    "chair": (1.5, 1.5, 0.05),
    "sofa": (1.8, 1.75, -0.2),
    "stool": (1.35, 1.25, 0.1),
}


def sit_pose(rng: np.random.Generator, person: Person, seat: str) -> FloatArray:
    """Sitting on ``seat`` (``SEATS``): thighs forward, hands on thighs or armrests."""
    hip, knee, lean = SEATS[seat]
    pose = stand_pose(rng, person)
    hands = rng.uniform()
    arms: dict[str, float] = {}
    for s in ("l", "r"):
        if hands < 0.6:  # hands on thighs
            arms |= {f"{s}_sh_flex": rng.uniform(0.3, 0.7), f"{s}_elbow": rng.uniform(0.8, 1.3),
                     f"{s}_sh_abd": rng.uniform(0.05, 0.2)}
        else:  # armrests / lap
            arms |= {f"{s}_sh_flex": rng.uniform(0.0, 0.3), f"{s}_elbow": rng.uniform(1.2, 1.7),
                     f"{s}_sh_abd": rng.uniform(0.15, 0.35)}
    return _set(
        pose,
        l_hip_flex=hip + rng.normal(0, 0.08), r_hip_flex=hip + rng.normal(0, 0.08),
        l_knee=knee + rng.normal(0, 0.12), r_knee=knee + rng.normal(0, 0.12),
        l_hip_abd=rng.uniform(0.0, 0.2), r_hip_abd=rng.uniform(0.0, 0.2),
        spine_flex=lean + 0.5 * person.stoop + rng.normal(0, 0.06),
        **arms,
    )


def floor_sit_pose(rng: np.random.Generator, person: Person) -> FloatArray:
    """Sitting on the floor: legs forward (or bent), trunk upright or leaning back."""
    pose = stand_pose(rng, person)
    kl, kr = rng.uniform(0.1, 1.6, size=2)
    return _set(
        pose,
        l_hip_flex=1.45 + rng.normal(0, 0.1) + 0.3 * kl,
        r_hip_flex=1.45 + rng.normal(0, 0.1) + 0.3 * kr,
        l_knee=kl, r_knee=kr, l_hip_abd=rng.uniform(0.05, 0.35), r_hip_abd=rng.uniform(0.05, 0.35),
        spine_flex=rng.uniform(-0.25, 0.25),
        l_sh_flex=rng.uniform(-0.5, 0.5), r_sh_flex=rng.uniform(-0.5, 0.5),
        l_sh_abd=rng.uniform(0.1, 0.4), r_sh_abd=rng.uniform(0.1, 0.4),
    )


LYING = ("supine", "prone", "side_l", "side_r", "fetal")


def lying_pose(rng: np.random.Generator, person: Person, kind: str) -> FloatArray:
    """Lying on the floor: ``supine``, ``prone``, ``side_l``/``side_r`` (on the left/right
    side) or ``fetal`` / ``fetal_l`` / ``fetal_r`` (on a side, curled).

    Limbs move in the plane of the floor (so none props the body up): abduction for the
    arms of a supine or prone body, flexion for a body on its side; the limbs underneath
    stay close to the body.
    """
    pose = np.zeros(len(POSE_PARAMS))
    u = rng.uniform
    if kind in ("supine", "prone"):
        arms = {f"{s}_sh_abd": float(rng.choice([u(0.05, 0.5), u(0.5, 1.8), u(2.4, 3.0)]))
                for s in ("l", "r")}
        arms |= {f"{s}_sh_twist": HALF_PI for s in ("l", "r")}  # elbows bend in the plane
        arms |= {f"{s}_elbow": u(0.0, 1.6) for s in ("l", "r")}
        arms |= {f"{s}_sh_flex": u(-0.1, 0.1) for s in ("l", "r")}
        legs = {f"{s}_hip_abd": u(0.0, 0.35) for s in ("l", "r")}
        if kind == "supine":
            if u() < 0.35:  # knees up, feet on the floor
                k = u(1.0, 1.8)
                legs |= {"l_hip_flex": k * 0.6, "r_hip_flex": k * 0.6, "l_knee": k, "r_knee": k}
            else:
                legs |= {f"{s}_knee": u(0.0, 0.25) for s in ("l", "r")}
            return _set(pose, pelvis_pitch=-HALF_PI, neck_flex=u(-0.1, 0.4),
                        neck_yaw=rng.normal(0, 0.4), **arms, **legs)
        legs |= {f"{s}_knee": u(0.0, 0.6) for s in ("l", "r")}  # shins may lift
        legs |= {f"{s}_hip_flex": u(-0.15, 0.0) for s in ("l", "r")}
        return _set(pose, pelvis_pitch=HALF_PI, neck_flex=u(-0.5, 0.0),
                    neck_yaw=float(rng.choice([-1.0, 1.0])) * u(0.6, 1.3), **arms, **legs)
    if kind == "fetal":
        kind = str(rng.choice(["fetal_l", "fetal_r"]))
    side = 1.0 if kind.endswith("_l") else -1.0
    down, up = ("l", "r") if side > 0 else ("r", "l")
    curl = kind.startswith("fetal")
    arms = {
        f"{down}_sh_flex": u(0.8, 1.6) if curl else float(rng.choice([u(0.0, 1.6), u(2.6, 3.0)])),
        f"{down}_sh_abd": 0.0, f"{down}_elbow": u(0.3, 1.8),
        f"{up}_sh_flex": u(0.6, 1.6) if curl else u(-0.3, 1.6),
        f"{up}_sh_abd": u(0.0, 0.7), f"{up}_elbow": u(0.0, 1.8),
    }
    hip = (u(1.2, 2.0), u(1.2, 2.0)) if curl else (u(0.0, 1.0), u(0.1, 1.2))
    knee = (u(1.2, 2.0), u(1.2, 2.0)) if curl else (u(0.1, 1.4), u(0.2, 1.4))
    legs = {f"{down}_hip_flex": hip[0], f"{up}_hip_flex": hip[1], f"{down}_knee": knee[0],
            f"{up}_knee": knee[1], f"{down}_hip_abd": 0.0, f"{up}_hip_abd": u(0.0, 0.3)}
    return _set(pose, pelvis_roll=-side * HALF_PI, spine_flex=u(0.0, 0.4 if curl else 0.25),
                neck_flex=u(0.0, 0.3), **arms, **legs)


def bend_pose(rng: np.random.Generator, person: Person, style: str, reach: float) -> FloatArray:
    """Reaching down to the floor: ``stoop`` (bend at the hips, knees straight-ish),
    ``squat`` (knees deep, trunk moderately forward) or ``mixed``. ``reach`` in 0-1: how
    far down the dominant hand goes."""
    pose = stand_pose(rng, person)
    dom, oth = _sides(person)
    if style == "stoop":
        spine = rng.uniform(1.0, 1.5) * (0.7 + 0.3 * reach)
        knee = rng.uniform(0.1, 0.45)
        hipf = rng.uniform(0.05, 0.3)
    elif style == "squat":
        spine = rng.uniform(0.35, 0.8)
        knee = rng.uniform(1.7, 2.3) * (0.75 + 0.25 * reach)
        hipf = knee * rng.uniform(0.8, 0.95)
    else:
        spine = rng.uniform(0.7, 1.1)
        knee = rng.uniform(0.7, 1.3)
        hipf = knee * rng.uniform(0.5, 0.8)
    pose = _set(
        pose, spine_flex=spine, neck_flex=rng.uniform(-0.2, 0.4),
        l_hip_flex=hipf + rng.normal(0, 0.05), r_hip_flex=hipf + rng.normal(0, 0.05),
        l_knee=knee + rng.normal(0, 0.08), r_knee=knee + rng.normal(0, 0.08),
        l_hip_abd=rng.uniform(0.05, 0.25), r_hip_abd=rng.uniform(0.05, 0.25),
    )
    # Dominant arm hangs/reaches toward the floor; the other reaches too, or rests on a knee.
    pose[_p(f"{dom}_sh_flex")] = spine + hipf * 0.3 + rng.uniform(0.0, 0.5)
    pose[_p(f"{dom}_elbow")] = rng.uniform(0.0, 0.35)
    pose[_p(f"{dom}_sh_abd")] = rng.uniform(0.0, 0.25)
    if rng.uniform() < 0.4:
        pose[_p(f"{oth}_sh_flex")] = spine + rng.uniform(-0.1, 0.4)
        pose[_p(f"{oth}_elbow")] = rng.uniform(0.0, 0.4)
    else:
        pose[_p(f"{oth}_sh_flex")] = spine * rng.uniform(0.3, 0.8)
        pose[_p(f"{oth}_elbow")] = rng.uniform(0.4, 1.2)
    return pose


def add_idle(rng: np.random.Generator, poses: FloatArray, fps: float, amount: float) -> FloatArray:
    """Small smooth wandering of trunk, head and arms (idle sway), in place.

    ``amount`` scales it (1 = a calm adult: a few degrees).
    """
    t = poses.shape[0]
    out = poses.copy()
    amps = {"spine_flex": 0.025, "spine_lat": 0.02, "spine_twist": 0.04, "neck_flex": 0.06,
            "neck_yaw": 0.12, "l_sh_flex": 0.05, "r_sh_flex": 0.05, "l_elbow": 0.08,
            "r_elbow": 0.08, "l_sh_abd": 0.03, "r_sh_abd": 0.03}
    for name, amp in amps.items():
        out[:, _p(name)] += amount * amp * _smooth_noise(rng, t, fps, rng.uniform(0.8, 2.0))
    return out


def _smooth_noise(rng: np.random.Generator, n: int, fps: float, seconds: float) -> FloatArray:
    """Unit-std noise of length ``n`` smoothed over about ``seconds``."""
    k = max(1, round(seconds * fps))
    raw = rng.normal(0, 1, n + 2 * k)
    w = np.hanning(2 * k + 1)
    w /= w.sum()
    sm = np.convolve(raw, w, mode="same")[k:k + n]
    std = float(sm.std()) or 1.0
    return np.asarray(sm / std, dtype=np.float64)


# --------------------------------------------------------------------------- scripts


@dataclass
class Prop:
    """Something the renderer draws: ``chair`` under the pelvis at ``frame``, or an
    ``object`` on the floor under the dominant hand at ``frame`` (then carried)."""

    kind: str
    frame: int
    seat: str = "chair"


@dataclass
class Script:
    """What one clip shows: angles ``(T, P)``, heading ``(T,)``, the labelled event
    ``[start, end)`` in frames, a variant name and props."""

    poses: FloatArray
    yaw: FloatArray
    event: tuple[int, int]
    variant: str
    props: list[Prop] = field(default_factory=list)
    # (T, 2) extra pelvis displacement per frame (metres) in the initial body frame
    # (x forward, y left); the generator turns it with the heading.
    drive: FloatArray | None = None


ScriptFn = Callable[[np.random.Generator, Person, int, float], Script]


def _finish(tl: Timeline, rng: np.random.Generator, person: Person, frames: int,
            event: tuple[int, int], variant: str, props: list[Prop] | None = None,
            idle: float = 1.0) -> Script:
    poses, yaw = tl.build(frames)
    poses = add_idle(rng, poses, tl.fps, idle * person.fidget)
    ev = (int(np.clip(event[0], 0, frames - 1)), int(np.clip(event[1], 1, frames)))
    return Script(poses, yaw, ev, variant, props or [])


def _speed(rng: np.random.Generator, person: Person) -> float:
    return float(np.clip(rng.uniform(0.55, 1.45) * person.tempo, 0.35, 1.7))


def script_walking(rng: np.random.Generator, person: Person, frames: int, fps: float) -> Script:
    """Walking through most of the window: straight or curving, maybe starting or
    stopping at an edge, normal, slow shuffle or carrying something."""
    d = frames / fps
    tl = Timeline(fps, stand_pose(rng, person), 0.0)
    tl.gait_phase = rng.uniform(0, 2 * PI)
    style = str(rng.choice(["normal", "shuffle", "carry"], p=[0.65, 0.2, 0.15]))
    speed = _speed(rng, person) * (0.6 if style == "shuffle" else 1.0)
    carry = _sides(person)[int(rng.integers(2))] if style == "carry" else None
    if carry is not None:
        pose = tl.pose
        pose[_p(f"{carry}_elbow")] = rng.uniform(1.2, 1.8)
        pose[_p(f"{carry}_sh_flex")] = rng.uniform(0.1, 0.5)
        tl.move(pose, 0.05)
    mode = rng.uniform()
    pre = rng.uniform(0.2, 0.6) * d * 0.4 if mode < 0.2 else 0.0
    post = rng.uniform(0.2, 0.6) * d * 0.4 if 0.2 <= mode < 0.35 else 0.0
    turn = rng.normal(0, 0.5) if rng.uniform() < 0.35 else 0.0
    if pre:
        tl.hold(pre)
    start = tl.frames
    tl.walk(d - pre - post + 0.5, speed, person, turn=turn, ramp_in=0.5 if pre else 0.0,
            ramp_out=0.5 if post else 0.0, carry=carry, shuffle=style == "shuffle")
    return _finish(tl, rng, person, frames, (start, frames - tl.n(post) if post else frames),
                   f"walk_{style}" + ("_start" if pre else "_stop" if post else ""), idle=0.5)


def script_sitting_down(rng: np.random.Generator, person: Person, frames: int,
                        fps: float) -> Script:
    """Standing (or arriving and turning round), then lowering onto a seat."""
    d = frames / fps
    seat = str(rng.choice(list(SEATS), p=[0.55, 0.3, 0.15]))
    tl = Timeline(fps, stand_pose(rng, person), 0.0)
    dur = float(np.clip(rng.uniform(1.0, 2.0) / person.tempo, 0.8, 2.4))
    pre = rng.uniform(0.15, max(0.2, d - dur - 0.4))
    if rng.uniform() < 0.3 and pre > 0.9:  # arrive, turn round to face away from the seat
        tl.walk(pre - 0.6, _speed(rng, person) * 0.7, person, ramp_out=0.4)
        tl.walk(0.6, 0.25, person, turn=float(rng.choice([-1, 1])) * rng.uniform(2.0, 3.2),
                shuffle=True)
        variant = f"sit_{seat}_arrive"
    else:
        tl.hold(pre)
        variant = f"sit_{seat}"
    start = tl.frames
    target = sit_pose(rng, person, seat)
    lean = rng.uniform(0.35, 0.75)
    dom, oth = _sides(person)
    bumps = {"spine_flex": lean, "neck_flex": -0.3 * lean}
    if rng.uniform() < 0.5:  # reach back for the armrest / seat
        bumps |= {f"{dom}_sh_flex": -rng.uniform(0.3, 0.8),
                  f"{oth}_sh_flex": -rng.uniform(0.0, 0.6)}
    bumps |= {"l_knee": 0.2, "r_knee": 0.2}  # knees lead the hips a little
    tl.move(target, dur, bumps=bumps, bump_at=rng.uniform(0.4, 0.65))
    end = tl.frames
    tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    return _finish(tl, rng, person, frames, (start, end), variant,
                   [Prop("chair", min(end, frames) - 1, seat)])


def script_standing_up(rng: np.random.Generator, person: Person, frames: int,
                       fps: float) -> Script:
    """Sitting, leaning forward and rising; maybe stepping away at the end."""
    d = frames / fps
    seat = str(rng.choice(list(SEATS), p=[0.55, 0.3, 0.15]))
    sit = sit_pose(rng, person, seat)
    tl = Timeline(fps, sit, 0.0)
    dur = float(np.clip(rng.uniform(1.0, 2.0) / person.tempo, 0.8, 2.4))
    pre = rng.uniform(0.15, max(0.2, d - dur - 0.4))
    tl.hold(pre)
    start = tl.frames
    dom, oth = _sides(person)
    pose = stand_pose(rng, person)
    lean = rng.uniform(0.5, 0.95)
    bumps = {"spine_flex": lean, "neck_flex": -0.3 * lean}
    if rng.uniform() < 0.5:  # push off the armrests / thighs
        bumps |= {f"{dom}_elbow": rng.uniform(0.3, 0.8), f"{oth}_elbow": rng.uniform(0.3, 0.8)}
    tl.move(pose, dur, bumps=bumps, bump_at=rng.uniform(0.3, 0.45),
            ease_for={"l_knee": "smooth", "r_knee": "smooth"})
    end = tl.frames
    rest = d - tl.frames / fps + 0.2
    variant = f"stand_{seat}"
    if rest > 0.6 and rng.uniform() < 0.4:
        tl.walk(rest, _speed(rng, person) * 0.7, person, ramp_in=0.5,
                turn=rng.normal(0, 0.8))
        variant += "_walk_away"
    else:
        tl.hold(max(0.1, rest))
    return _finish(tl, rng, person, frames, (start, end), variant, [Prop("chair", 0, seat)])


FALLS = ("trip_forward", "slip_backward", "sideways", "collapse", "from_chair")


def script_falling(rng: np.random.Generator, person: Person, frames: int, fps: float) -> Script:
    """A fall that starts and ends inside the window, then lying still or moving a little.

    Kinds: ``trip_forward`` (pitch forward onto the hands, prone), ``slip_backward``
    (knees give, onto the back), ``sideways`` (onto a side), ``collapse`` (knees buckle,
    then the trunk topples), ``from_chair`` (sliding off a seat to the floor).
    """
    d = frames / fps
    kind = str(rng.choice(list(FALLS), p=[0.27, 0.23, 0.22, 0.18, 0.1]))
    dom = _sides(person)[0]
    fall_s = {"trip_forward": (0.6, 1.1), "slip_backward": (0.6, 1.1), "sideways": (0.6, 1.1),
              "collapse": (1.0, 1.8), "from_chair": (1.0, 1.8)}[kind]
    dur = rng.uniform(*fall_s)
    pre = rng.uniform(0.15, max(0.2, d - dur - 0.35))
    props: list[Prop] = []
    if kind == "from_chair":
        seat = str(rng.choice(["chair", "stool"]))
        tl = Timeline(fps, sit_pose(rng, person, seat), 0.0)
        tl.hold(pre)
        props.append(Prop("chair", 0, seat))
    else:
        tl = Timeline(fps, stand_pose(rng, person), 0.0)
        tl.gait_phase = rng.uniform(0, 2 * PI)
        lead = rng.uniform()
        if lead < 0.45 and pre > 0.5:
            tl.walk(pre, _speed(rng, person), person, turn=rng.normal(0, 0.3))
        elif lead < 0.6 and pre > 0.8:
            tl.move(bend_pose(rng, person, "stoop", rng.uniform(0.3, 0.7)), pre * 0.7)
            tl.hold(pre * 0.3)
        else:
            tl.hold(pre)
    start = tl.frames
    sign = float(rng.choice([-1.0, 1.0]))
    slide = (0, 0, 0.0)
    if kind == "trip_forward":
        final = lying_pose(rng, person, "prone")  # arms end stretched or by the head
        final = _set(final, l_sh_abd=rng.uniform(1.6, 3.0), r_sh_abd=rng.uniform(1.6, 3.0))
        tl.move(final, dur, ease="smooth", ease_for={"pelvis_pitch": "fall"},
                bumps={"l_knee": rng.uniform(0.3, 0.9), "r_knee": rng.uniform(0.2, 0.8),
                       "l_hip_flex": rng.uniform(0.2, 0.6), "r_hip_flex": rng.uniform(0.1, 0.5),
                       "l_sh_flex": rng.uniform(0.8, 1.5), "r_sh_flex": rng.uniform(0.8, 1.5)},
                turn=rng.normal(0, 0.3))
    elif kind == "slip_backward":
        final = lying_pose(rng, person, "supine")
        final = _set(final, l_sh_abd=rng.uniform(0.8, 2.0), r_sh_abd=rng.uniform(0.8, 2.0))
        tl.move(final, dur, ease="smooth", ease_for={"pelvis_pitch": "fall"},
                bumps={"l_knee": rng.uniform(0.6, 1.4), "r_knee": rng.uniform(0.6, 1.4),
                       "l_hip_flex": rng.uniform(0.5, 1.2), "r_hip_flex": rng.uniform(0.5, 1.2),
                       "spine_flex": rng.uniform(0.2, 0.6)}, bump_at=0.45,
                turn=rng.normal(0, 0.3))
    elif kind == "sideways":
        final = lying_pose(rng, person, "side_l" if sign > 0 else "side_r")
        side = "l" if sign > 0 else "r"  # the arm underneath ends by the body or overhead
        final = _set(final, **{f"{side}_sh_flex": float(rng.choice([rng.uniform(0.0, 0.8),
                                                                     rng.uniform(2.6, 3.0)]))})
        tl.move(final, dur, ease="smooth", ease_for={"pelvis_roll": "fall"},
                bumps={"l_knee": rng.uniform(0.3, 1.0), "r_knee": rng.uniform(0.3, 1.0),
                       "spine_lat": -sign * rng.uniform(0.1, 0.4)},
                turn=rng.normal(0, 0.3))
    elif kind == "collapse":
        knee = rng.uniform(1.6, 2.3)
        crouch = _set(tl.pose, l_knee=knee, r_knee=knee, l_hip_flex=knee * rng.uniform(0.6, 0.9),
                      r_hip_flex=knee * rng.uniform(0.6, 0.9), spine_flex=rng.uniform(0.2, 0.7),
                      neck_flex=rng.uniform(0.2, 0.7), l_sh_abd=0.1, r_sh_abd=0.1)
        t1 = dur * rng.uniform(0.35, 0.5)
        tl.move(crouch, t1, ease="fall")
        final = lying_pose(rng, person, str(rng.choice(["side_l", "side_r", "prone", "supine",
                                                        "fetal"])))
        tl.move(final, dur - t1, ease="smooth",
                ease_for={"pelvis_pitch": "fall", "pelvis_roll": "fall"})
    else:  # from_chair: the pelvis slides forward off the seat down to the floor
        floor = floor_sit_pose(rng, person)
        t1 = dur * rng.uniform(0.4, 0.6)
        s0 = tl.frames
        tl.move(floor, t1, ease="fall", bumps={"spine_flex": -0.3})
        slide = (s0, tl.frames, rng.uniform(0.35, 0.6))
        final = lying_pose(rng, person, str(rng.choice(["supine", "side_l", "side_r"])))
        tl.move(final, dur - t1, ease="smooth",
                ease_for={"pelvis_pitch": "fall", "pelvis_roll": "fall"})
    end = tl.frames
    # Settle: a small rebound of the limbs, then lying (maybe moving a little).
    after = tl.pose
    after[_p("neck_flex")] += rng.uniform(-0.2, 0.3)
    after[_p(f"{dom}_elbow")] += rng.uniform(0.0, 0.5)
    tl.move(after, rng.uniform(0.2, 0.5), ease="out")
    tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    script = _finish(tl, rng, person, frames, (start, end), f"fall_{kind}", props, idle=0.7)
    if kind == "from_chair":
        a, b, dist = slide
        drive = np.zeros((frames, 2))
        drive[a:min(b, frames), 0] = dist / max(b - a, 1)  # body frame: forward
        script.drive = drive
    return script


def script_lying(rng: np.random.Generator, person: Person, frames: int, fps: float) -> Script:
    """Already down for the whole window: still, or small moves (head lift, arm, leg,
    trying to push up, rolling from a side onto the back)."""
    d = frames / fps
    kind = str(rng.choice(list(LYING), p=[0.3, 0.22, 0.17, 0.17, 0.14]))
    if kind == "fetal":
        kind = str(rng.choice(["fetal_l", "fetal_r"]))
    tl = Timeline(fps, lying_pose(rng, person, kind), 0.0)
    action = str(rng.choice(["still", "limb", "push_up", "roll"], p=[0.4, 0.35, 0.15, 0.1]))
    if action == "still":
        tl.hold(d + 0.2)
    elif action == "limb":  # some limbs (and the head) move to another lying position
        t0 = rng.uniform(0.0, d * 0.5)
        tl.hold(t0)
        other = lying_pose(rng, person, kind)
        pose = tl.pose
        groups = {"l_arm": ("l_sh_flex", "l_sh_abd", "l_sh_twist", "l_elbow"),
                  "r_arm": ("r_sh_flex", "r_sh_abd", "r_sh_twist", "r_elbow"),
                  "legs": ("l_hip_flex", "l_hip_abd", "l_knee", "r_hip_flex", "r_hip_abd",
                           "r_knee"),
                  "head": ("neck_flex", "neck_yaw")}
        for g in rng.choice(list(groups), size=int(rng.integers(1, 4)), replace=False):
            for name in groups[str(g)]:
                pose[_p(name)] = other[_p(name)]
        tl.move(pose, rng.uniform(0.6, 1.5))
        tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    elif action == "push_up":  # prone: chest lifts on the arms and sinks back
        tl = Timeline(fps, lying_pose(rng, person, "prone"), 0.0)
        kind = "prone"
        tl.hold(rng.uniform(0.0, d * 0.3))
        pose = _set(tl.pose, spine_flex=-rng.uniform(0.3, 0.7), l_sh_flex=rng.uniform(0.6, 1.2),
                    r_sh_flex=rng.uniform(0.6, 1.2), l_elbow=rng.uniform(0.6, 1.4),
                    r_elbow=rng.uniform(0.6, 1.4), neck_flex=-0.4)
        tl.move(pose, rng.uniform(0.8, 1.4))
        tl.hold(rng.uniform(0.2, 0.6))
        tl.move(lying_pose(rng, person, "prone"), rng.uniform(0.6, 1.2))
        tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    else:  # roll from a side onto the back, legs and arms close to the body
        which = str(rng.choice(["side_l", "side_r"]))
        spin = HALF_PI if which == "side_l" else -HALF_PI  # the same side, as a spin
        side = _set(lying_pose(rng, person, which), pelvis_roll=0.0, pelvis_pitch=-HALF_PI,
                    pelvis_spin=spin,
                    l_hip_flex=rng.uniform(0.0, 0.3), r_hip_flex=rng.uniform(0.0, 0.3),
                    l_knee=rng.uniform(0.1, 0.4), r_knee=rng.uniform(0.1, 0.4),
                    l_sh_flex=rng.uniform(0.0, 0.3), r_sh_flex=rng.uniform(0.0, 0.3),
                    l_sh_abd=0.0, r_sh_abd=0.0, l_sh_twist=0.0, r_sh_twist=0.0,
                    l_elbow=rng.uniform(0.0, 0.5), r_elbow=rng.uniform(0.0, 0.5))
        tl = Timeline(fps, side, 0.0)
        kind = "roll"
        tl.hold(rng.uniform(0.0, d * 0.4))
        back = _set(lying_pose(rng, person, "supine"), l_hip_flex=0.0, r_hip_flex=0.0,
                    l_knee=rng.uniform(0.0, 0.25), r_knee=rng.uniform(0.0, 0.25),
                    l_sh_abd=rng.uniform(0.0, 0.4), r_sh_abd=rng.uniform(0.0, 0.4),
                    l_sh_twist=0.0, r_sh_twist=0.0, l_sh_flex=0.0, r_sh_flex=0.0,
                    l_elbow=rng.uniform(0.0, 0.5), r_elbow=rng.uniform(0.0, 0.5))
        tl.move(back, rng.uniform(1.0, 1.8))
        tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    return _finish(tl, rng, person, frames, (0, frames), f"lying_{kind}_{action}", idle=0.5)


BEND_HOLD_S = (0.2, 0.8)  # seconds at the bottom of a bend (reaching, grasping)


def script_bending(rng: np.random.Generator, person: Person, frames: int,
                   fps: float) -> Script:
    """Bending or squatting to pick something up (or to the floor and back)."""
    d = frames / fps
    style = str(rng.choice(["stoop", "squat", "mixed"], p=[0.45, 0.3, 0.25]))
    tl = Timeline(fps, stand_pose(rng, person), 0.0)
    tl.gait_phase = rng.uniform(0, 2 * PI)
    down = float(np.clip(rng.uniform(0.6, 1.2) / person.tempo, 0.5, 1.5))
    hold = rng.uniform(*BEND_HOLD_S)
    up = float(np.clip(rng.uniform(0.6, 1.2) / person.tempo, 0.5, 1.5))
    stays_down = rng.uniform() < 0.2
    event_len = down + hold + (0.0 if stays_down else up)
    if event_len > d - 0.3:
        k = (d - 0.3) / event_len
        down, hold, up = down * k, hold * k, up * k
        event_len = d - 0.3
    pre = rng.uniform(0.1, max(0.15, d - event_len - 0.15))
    if rng.uniform() < 0.3 and pre > 0.8:
        tl.walk(pre, _speed(rng, person) * 0.7, person, ramp_out=0.5)
    else:
        tl.hold(pre)
    start = tl.frames
    target = bend_pose(rng, person, style, rng.uniform(0.5, 1.0))
    tl.move(target, down, turn=rng.normal(0, 0.2))
    tl.hold(hold)
    pick = tl.frames - 1
    if not stays_down:
        back = stand_pose(rng, person)
        dom, _ = _sides(person)
        if rng.uniform() < 0.6:  # holding what was picked up
            back[_p(f"{dom}_elbow")] = rng.uniform(0.8, 1.6)
            back[_p(f"{dom}_sh_flex")] = rng.uniform(0.1, 0.5)
        tl.move(back, up)
    end = tl.frames
    tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    return _finish(tl, rng, person, frames, (start, end),
                   f"bend_{style}" + ("_stay" if stays_down else ""), [Prop("object", pick)])


def _wave_base(rng: np.random.Generator, person: Person
               ) -> tuple[str, FloatArray, list[Prop]]:
    """Where a wave is done from (standing, seated on a chair or sitting on the floor),
    the pose it starts from and the chair it needs."""
    where = str(rng.choice(["stand", "seat", "floor"], p=[0.55, 0.25, 0.2]))
    props: list[Prop] = []
    if where == "stand":
        base = stand_pose(rng, person)
    elif where == "seat":
        seat = str(rng.choice(list(SEATS)))
        base = sit_pose(rng, person, seat)
        props.append(Prop("chair", 0, seat))
    else:
        base = floor_sit_pose(rng, person)
    return where, base, props


def script_waving(rng: np.random.Generator, person: Person, frames: int,
                  fps: float) -> Script:
    """Waving one or both arms overhead or high to the side, for help, most of the
    window; standing, seated, or sitting on the floor."""
    d = frames / fps
    where, base, props = _wave_base(rng, person)
    dom, oth = _sides(person)
    both = rng.uniform() < 0.45
    style = str(rng.choice(["arm", "forearm", "cross"] if both else ["arm", "forearm"]))
    arms = [dom, oth] if both else [dom]
    freq = rng.uniform(1.0, 2.8)
    raise_s = rng.uniform(0.25, 0.6) if rng.uniform() < 0.5 else 0.0
    tl = Timeline(fps, base, 0.0)
    lead = rng.uniform(0.0, 0.4) if raise_s else 0.0
    if lead:
        tl.hold(lead)
    up = tl.pose
    centre: dict[str, float] = {}
    for s in arms:
        abd = rng.uniform(2.2, 2.8) if style != "forearm" else rng.uniform(1.9, 2.5)
        up[_p(f"{s}_sh_abd")] = abd
        up[_p(f"{s}_sh_flex")] = rng.uniform(0.0, 0.6)
        up[_p(f"{s}_sh_twist")] = HALF_PI if style == "forearm" else rng.uniform(-0.2, 0.3)
        up[_p(f"{s}_elbow")] = (rng.uniform(0.5, 0.9) if style == "forearm"
                                else rng.uniform(0.0, 0.4))
        centre[s] = abd
    if raise_s:
        tl.move(up, raise_s)
    else:
        tl.move(up, 1.0 / fps)
    start = 0
    n = tl.n(d - tl.frames / fps + 0.3)
    t = np.arange(n) / fps
    poses = np.repeat(tl.pose[None], n, axis=0)
    amp = rng.uniform(0.25, 0.55)
    ph0 = rng.uniform(0, 2 * PI)
    for i, s in enumerate(arms):
        ph = ph0 + (PI if (style == "arm" and both and rng.uniform() < 0.5) else 0.0) * i
        osc = np.sin(2 * PI * freq * t + ph)
        if style == "forearm":
            poses[:, _p(f"{s}_elbow")] += amp * 1.3 * osc
        else:
            poses[:, _p(f"{s}_sh_abd")] += amp * osc
            poses[:, _p(f"{s}_elbow")] += 0.15 * amp * np.abs(osc)
    poses[:, _p("neck_flex")] -= 0.15
    tl.append(poses, np.full(n, tl.yaw))
    return _finish(tl, rng, person, frames, (start, frames),
                   f"wave_{where}_{'both' if both else 'one'}_{style}", props, idle=0.6)


def script_background(rng: np.random.Generator, person: Person, frames: int,
                      fps: float) -> Script:
    """Everything else: standing or sitting still, idle gestures, turning in place,
    reaching to a shelf, working at a counter, a step or two, leaning on a sink."""
    d = frames / fps
    kind = str(rng.choice(
        ["stand", "sit", "gesture", "turn", "reach", "counter", "step", "lean", "sit_gesture"],
        p=[0.16, 0.16, 0.14, 0.1, 0.1, 0.1, 0.06, 0.06, 0.12]))
    dom, oth = _sides(person)
    props: list[Prop] = []
    if kind in ("sit", "sit_gesture"):
        seat = str(rng.choice(list(SEATS)))
        tl = Timeline(fps, sit_pose(rng, person, seat), 0.0)
        props.append(Prop("chair", 0, seat))
    else:
        tl = Timeline(fps, stand_pose(rng, person), 0.0)
    tl.gait_phase = rng.uniform(0, 2 * PI)
    idle = 1.0
    if kind in ("stand", "sit"):
        tl.hold(d + 0.2)
        idle = rng.uniform(0.8, 2.0)
    elif kind in ("gesture", "sit_gesture"):
        g = str(rng.choice(["face", "head", "phone", "cross", "hips", "drink"]))
        pose = tl.pose
        if g in ("face", "drink"):
            pose = _set(pose, **{f"{dom}_sh_flex": rng.uniform(0.6, 1.1),
                                 f"{dom}_elbow": rng.uniform(2.0, 2.4)})
        elif g == "head":
            pose = _set(pose, **{f"{dom}_sh_flex": rng.uniform(1.0, 1.6),
                                 f"{dom}_sh_abd": rng.uniform(0.5, 0.9),
                                 f"{dom}_elbow": rng.uniform(1.9, 2.4)})
        elif g == "phone":
            pose = _set(pose, **{f"{dom}_sh_flex": rng.uniform(0.3, 0.6),
                                 f"{dom}_elbow": rng.uniform(1.5, 1.9),
                                 f"{oth}_sh_flex": rng.uniform(0.2, 0.5),
                                 f"{oth}_elbow": rng.uniform(1.4, 1.9),
                                 "neck_flex": rng.uniform(0.3, 0.6)})
        elif g == "cross":
            pose = _set(pose, l_sh_flex=0.35, r_sh_flex=0.35, l_elbow=rng.uniform(1.9, 2.3),
                        r_elbow=rng.uniform(1.9, 2.3), l_sh_twist=-1.2, r_sh_twist=-1.2)
        else:
            pose = _set(pose, l_sh_abd=rng.uniform(0.5, 0.8), r_sh_abd=rng.uniform(0.5, 0.8),
                        l_elbow=rng.uniform(1.3, 1.7), r_elbow=rng.uniform(1.3, 1.7),
                        l_sh_twist=0.6, r_sh_twist=0.6)
        t0 = rng.uniform(0.0, d * 0.4)
        tl.hold(t0)
        tl.move(pose, rng.uniform(0.5, 1.0) / person.tempo)
        if rng.uniform() < 0.5:
            tl.hold(rng.uniform(0.3, 1.0))
            tl.move(_set(pose, **{f"{dom}_sh_flex": float(pose[_p(f"{dom}_sh_flex")]) * 0.3,
                                  f"{dom}_elbow": 0.3}), rng.uniform(0.5, 1.0))
        tl.hold(max(0.1, d - tl.frames / fps + 0.2))
        kind = f"{kind}_{g}"
    elif kind == "turn":
        t0 = rng.uniform(0.0, d * 0.3)
        tl.hold(t0)
        tl.walk(rng.uniform(1.0, 2.0), 0.2, person, shuffle=True, ramp_in=0.2, ramp_out=0.3,
                turn=float(rng.choice([-1, 1])) * rng.uniform(1.2, 3.2))
        tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    elif kind == "reach":
        high = rng.uniform() < 0.6
        pose = _set(tl.pose, **{f"{dom}_sh_flex": rng.uniform(2.0, 2.7) if high
                                else rng.uniform(1.2, 1.7),
                                f"{dom}_elbow": rng.uniform(0.1, 0.5),
                                f"{dom}_sh_abd": rng.uniform(0.0, 0.3),
                                "neck_flex": -0.3 if high else 0.0})
        tl.hold(rng.uniform(0.0, d * 0.3))
        tl.move(pose, rng.uniform(0.6, 1.2) / person.tempo)
        tl.hold(rng.uniform(0.3, 0.8))
        back = stand_pose(rng, person)
        back[_p(f"{dom}_elbow")] = rng.uniform(0.8, 1.5)
        tl.move(back, rng.uniform(0.6, 1.2) / person.tempo)
        tl.hold(max(0.1, d - tl.frames / fps + 0.2))
        kind = f"reach_{'high' if high else 'mid'}"
    elif kind == "counter":
        pose = _set(tl.pose, spine_flex=rng.uniform(0.1, 0.35), neck_flex=rng.uniform(0.3, 0.7),
                    l_sh_flex=rng.uniform(0.4, 0.9), r_sh_flex=rng.uniform(0.4, 0.9),
                    l_elbow=rng.uniform(1.1, 1.7), r_elbow=rng.uniform(1.1, 1.7))
        tl.move(pose, 0.3)
        n = tl.n(d)
        t = np.arange(n) / fps
        poses = np.repeat(tl.pose[None], n, axis=0)
        f = rng.uniform(0.5, 1.5)
        poses[:, _p(f"{dom}_sh_flex")] += 0.15 * np.sin(2 * PI * f * t)
        poses[:, _p(f"{dom}_elbow")] += 0.2 * np.cos(2 * PI * f * t)
        tl.append(poses, np.full(n, tl.yaw))
    elif kind == "step":
        tl.hold(rng.uniform(0.2, d * 0.4))
        tl.walk(rng.uniform(0.8, 1.2), rng.uniform(0.3, 0.6), person, ramp_in=0.3, ramp_out=0.4,
                turn=rng.normal(0, 0.5))
        tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    else:  # lean: over a sink or table, a shallow bend
        pose = _set(tl.pose, spine_flex=rng.uniform(0.3, 0.6), neck_flex=rng.uniform(0.2, 0.5),
                    l_sh_flex=rng.uniform(0.5, 0.9), r_sh_flex=rng.uniform(0.5, 0.9),
                    l_elbow=rng.uniform(0.4, 1.0), r_elbow=rng.uniform(0.4, 1.0))
        tl.hold(rng.uniform(0.0, d * 0.3))
        tl.move(pose, rng.uniform(0.6, 1.2))
        tl.hold(max(0.1, d - tl.frames / fps + 0.2))
    return _finish(tl, rng, person, frames, (0, frames), f"bg_{kind}", props, idle=idle)


# Scripts by ADL_CLASSES name.
CLASS_SCRIPTS: dict[str, ScriptFn] = {
    "background": script_background,
    "walking": script_walking,
    "sitting down": script_sitting_down,
    "standing up": script_standing_up,
    "falling": script_falling,
    "lying on the floor": script_lying,
    "bending or picking up": script_bending,
    "waving for help": script_waving,
}
