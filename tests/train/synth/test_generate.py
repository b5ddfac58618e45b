"""The data set writer: format, determinism, classes, motions inside the window, videos."""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.contract import build_inputs
from model.labels import ADL_CLASSES
from tests.train.synth.conftest import SMALL
from train.synth.__main__ import main
from train.synth.body import POINT_INDEX
from train.synth.generate import (
    SynthConfig,
    generate_dataset,
    make_subjects,
    slow_down,
    synth_clip,
    val_subjects,
)
from train.synth.noise import NoiseModel, load_profile


def _clips(cfg: SynthConfig, label: str, n: int) -> list[Any]:
    subjects = make_subjects(cfg)
    val = val_subjects(cfg)
    noise = NoiseModel(load_profile(cfg.profile), cfg.noise)
    idx = cfg.classes.index(label)
    return [synth_clip(cfg, idx, i, subjects, val, noise) for i in range(n)]


def _same(a: Any, b: Any) -> bool:
    """Deep equality of pickled data sets (arrays compared by value and dtype)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return (type(a) is type(b) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b, strict=True)))
    return bool(a == b)


def test_annotations_have_pyskl_shapes_dtypes_and_ranges(
        small_dataset: tuple[Path, dict[str, Any]]) -> None:
    out, data = small_dataset
    anns = data["annotations"]
    assert len(anns) == len(ADL_CLASSES) * SMALL.clips_per_class
    h, w = SMALL.height, SMALL.width
    for ann in anns:
        kp, sc = ann["keypoint"], ann["keypoint_score"]
        assert kp.dtype == np.float32 and sc.dtype == np.float32
        assert kp.shape == (1, SMALL.frames, 17, 2) and sc.shape == (1, SMALL.frames, 17)
        assert ann["total_frames"] == SMALL.frames
        assert tuple(ann["img_shape"]) == (h, w) == tuple(ann["original_shape"])
        assert ann["fps"] == SMALL.fps
        assert isinstance(ann["label"], int) and 0 <= ann["label"] < len(ADL_CLASSES)
        assert np.isfinite(kp).all() and np.isfinite(sc).all()
        assert sc.min() >= 0.0 and sc.max() <= 1.0
        assert kp[..., 0].min() >= -0.5 * w and kp[..., 0].max() <= 1.5 * w
        assert kp[..., 1].min() >= -0.5 * h and kp[..., 1].max() <= 1.5 * h
        lost = sc[0].max(axis=1) == 0
        assert (kp[0][lost] == 0).all()  # frames without a person are zeros
        assert lost.mean() < 0.6
        seen = sc[0] > 0.3
        inside = (kp[0, ..., 0] >= 0) & (kp[0, ..., 0] < w) & (kp[0, ..., 1] >= 0) & (
            kp[0, ..., 1] < h)
        assert inside[seen].mean() > 0.8  # confident joints are in the image
    assert json.loads((out / "classes.json").read_text()) == list(ADL_CLASSES)
    assert data["class_names"] == list(ADL_CLASSES)


def test_every_class_present_and_split_by_subject(
        small_dataset: tuple[Path, dict[str, Any]]) -> None:
    out, data = small_dataset
    labels = [a["label"] for a in data["annotations"]]
    assert sorted(set(labels)) == list(range(len(ADL_CLASSES)))
    assert np.bincount(labels).tolist() == [SMALL.clips_per_class] * len(ADL_CLASSES)
    names = [a["frame_dir"] for a in data["annotations"]]
    assert len(set(names)) == len(names)
    split = data["split"]
    assert sorted(split["train"] + split["val"]) == sorted(names)
    assert split["val"] and split["train"]
    meta = [json.loads(line) for line in (out / "clips.jsonl").read_text().splitlines()]
    val_subj = {m["subject"] for m in meta if m["split"] == "val"}
    train_subj = {m["subject"] for m in meta if m["split"] == "train"}
    assert not val_subj & train_subj
    gen = json.loads((out / "generator.json").read_text())
    assert gen["config"]["seed"] == SMALL.seed and gen["counts"]["falling"] == 6


def test_same_seed_same_output_and_workers_do_not_matter(tmp_path: Path) -> None:
    cfg = SynthConfig(clips_per_class=2, seed=5, video=False, subjects=6)
    generate_dataset(cfg, tmp_path / "a")
    generate_dataset(SynthConfig(clips_per_class=2, seed=5, video=False, subjects=6, workers=2),
                     tmp_path / "b")
    generate_dataset(SynthConfig(clips_per_class=2, seed=6, video=False, subjects=6),
                     tmp_path / "c")
    data = {}
    for k in "abc":
        with (tmp_path / k / "annotations.pkl").open("rb") as f:
            data[k] = pickle.load(f)
    assert _same(data["a"], data["b"])
    assert not _same(data["a"], data["c"])
    assert (tmp_path / "a" / "clips.jsonl").read_text() == (
        tmp_path / "b" / "clips.jsonl").read_text()


def test_keypoints_do_not_depend_on_video_rendering(tmp_path: Path) -> None:
    cfg = SynthConfig(clips_per_class=1, seed=2, video=True, subjects=4,
                      classes=("falling", "waving for help"))
    generate_dataset(cfg, tmp_path / "v")
    generate_dataset(SynthConfig(clips_per_class=1, seed=2, video=False, subjects=4,
                                 classes=("falling", "waving for help")), tmp_path / "k")
    with (tmp_path / "v" / "annotations.pkl").open("rb") as f:
        with_video = pickle.load(f)
    with (tmp_path / "k" / "annotations.pkl").open("rb") as f:
        without = pickle.load(f)
    for a, b in zip(with_video["annotations"], without["annotations"], strict=True):
        np.testing.assert_array_equal(a["keypoint"], b["keypoint"])
        np.testing.assert_array_equal(a["keypoint_score"], b["keypoint_score"])


def test_fall_hip_drops_inside_the_window() -> None:
    cfg = SynthConfig(seed=3, video=False, subjects=16, slow_prob=0.0)
    for clip in _clips(cfg, "falling", 12):
        z = clip.world[:, POINT_INDEX["pelvis"], 2]
        start, end = clip.meta["event"]
        assert 0 < start < end < cfg.frames  # the whole fall is inside the window
        assert z[: start + 1].max() > 0.4, clip.meta["variant"]  # up (standing or seated)
        assert z[end - 1:].max() < 0.3, clip.meta["variant"]  # down by the end of the event
        assert end - start >= 0.5 * cfg.fps  # a fall, not a jump cut
        # The same drop shows in the image: the noisy hips move towards the clean ones.
        clean = clip.clean[:, [11, 12]].mean(axis=1)
        seen = clip.scores[0][:, [11, 12]].min(axis=1) > 0
        noisy = clip.keypoints[0][:, [11, 12]].mean(axis=1)
        err = np.linalg.norm(noisy[seen] - clean[seen], axis=1)
        assert np.median(err) < 0.3 * clip.meta["torso_px"]


def test_lying_clips_are_horizontal_and_on_the_floor() -> None:
    cfg = SynthConfig(seed=4, video=False, subjects=16, slow_prob=0.0)
    for clip in _clips(cfg, "lying on the floor", 12):
        trunk = clip.world[:, POINT_INDEX["neck"]] - clip.world[:, POINT_INDEX["pelvis"]]
        cos_vertical = np.abs(trunk[:, 2]) / np.linalg.norm(trunk, axis=1)
        assert cos_vertical.max() < 0.6, clip.meta["variant"]
        assert clip.world[:, POINT_INDEX["pelvis"], 2].max() < 0.4  # side-lying: ~0.3
        assert clip.world[:, :, 2].max() < 0.8, clip.meta["variant"]  # nothing stands up
        assert clip.meta["event"] == [0, cfg.frames]


def test_transitions_happen_inside_the_window() -> None:
    cfg = SynthConfig(seed=5, video=False, subjects=16, slow_prob=0.0)
    for label, down_after in (("sitting down", True), ("standing up", False)):
        for clip in _clips(cfg, label, 8):
            z = clip.world[:, POINT_INDEX["pelvis"], 2] / clip.person.shape.height
            start, end = clip.meta["event"]
            assert 0 < start < end <= cfg.frames
            before, after = z[: start + 1].mean(), z[end - 1:].mean()
            assert (before - after > 0.15) if down_after else (after - before > 0.15)
    for clip in _clips(cfg, "bending or picking up", 8):
        head = clip.world[:, POINT_INDEX["head"], 2]
        start, end = clip.meta["event"]
        assert head[start:end].min() < head[0] - 0.3  # the head goes well down


def test_waving_raises_a_wrist_above_the_head() -> None:
    cfg = SynthConfig(seed=6, video=False, subjects=16, slow_prob=0.0)
    for clip in _clips(cfg, "waving for help", 8):
        wrists = clip.world[:, [POINT_INDEX["l_wrist"], POINT_INDEX["r_wrist"]], 2].max(axis=1)
        above = wrists > clip.world[:, POINT_INDEX["head"], 2]
        assert above[cfg.frames // 3:].mean() > 0.7, clip.meta["variant"]


def test_sweeping_waves_are_wide_slow_arcs_and_leave_other_clips_alone() -> None:
    usual = SynthConfig(seed=6, video=False, subjects=16)
    swept = _clips(replace(usual, wave_sweep_prob=1.0), "waving for help", 8)
    for clip in swept:
        assert "_sweep" in clip.meta["variant"]
        w = clip.world
        shoulders = w[:, [POINT_INDEX["l_shoulder"], POINT_INDEX["r_shoulder"]], 2].mean(axis=1)
        wrists = w[:, [POINT_INDEX["l_wrist"], POINT_INDEX["r_wrist"]], 2] - shoulders[:, None]
        late = wrists[usual.frames // 3:]  # after any raise
        late = late[:, int(np.argmax(late.std(axis=0)))]  # the waving (or either) wrist
        assert late.min() < 0.1 and late.max() > 0.35, clip.meta["variant"]  # level to overhead
        x = late - late.mean()
        freq = np.fft.rfftfreq(len(x), 1 / usual.fps)
        top = freq[np.argmax(np.abs(np.fft.rfft(x * np.hanning(len(x))))[1:]) + 1]
        assert 0.3 <= top <= 1.6, (clip.meta["variant"], top)  # 0.5-1.3 arcs per second
    # no draw for other classes (and none at probability 0, the default): version 3's
    # clips; alternating arms start their arcs where the first frame has them
    assert all("_sweep" not in c.meta["variant"] for c in _clips(usual, "waving for help", 3))
    for clip in swept:
        step = np.abs(np.diff(clip.world[:, [POINT_INDEX["l_wrist"], POINT_INDEX["r_wrist"]]],
                              axis=0)).max()
        assert step < 0.33, (clip.meta["variant"], step)  # metres per frame: no jumps
    for label in ("walking", "bending or picking up"):
        a = _clips(usual, label, 3)
        b = _clips(replace(usual, wave_sweep_prob=1.0), label, 3)
        assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, b, strict=True))


def test_facing_waves_face_the_camera_and_leave_other_clips_alone() -> None:
    usual = SynthConfig(seed=6, video=False, subjects=16)
    facing = replace(usual, wave_facing_prob=1.0)

    def towards(clip: Any) -> float:  # cosine of forward against the camera's view ray
        w = clip.world
        left = w[:, POINT_INDEX["l_shoulder"]] - w[:, POINT_INDEX["r_shoulder"]]
        forward = np.cross(left, w[:, POINT_INDEX["neck"]] - w[:, POINT_INDEX["pelvis"]])
        forward /= np.linalg.norm(forward, axis=1, keepdims=True)
        ray = w[:, POINT_INDEX["pelvis"]] - np.asarray(clip.camera.position)
        ray /= np.linalg.norm(ray, axis=1, keepdims=True)
        return float(np.median(np.sum(forward * ray, axis=1)))

    assert all(towards(c) < -0.6 for c in _clips(facing, "waving for help", 8))
    assert np.mean([towards(c) < -0.6 for c in _clips(usual, "waving for help", 8)]) < 0.7
    for label in ("walking", "falling"):  # other classes: no draw, version 3's clips
        a, b = _clips(usual, label, 3), _clips(facing, label, 3)
        assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, b, strict=True))


def test_bobbing_waves_move_the_body_with_the_arms_and_leave_other_clips_alone() -> None:
    usual = SynthConfig(seed=6, video=False, subjects=16, wave_sweep_prob=0.5)
    bobbed = _clips(replace(usual, wave_bob_prob=1.0), "waving for help", 10)
    plain = _clips(usual, "waving for help", 10)
    standing = 0
    for clip, ref in zip(bobbed, plain, strict=True):
        if not ref.meta["variant"].startswith("wave_stand"):  # seated, floor: as they were
            assert clip.meta["variant"] == ref.meta["variant"]
            continue
        standing += 1
        assert clip.meta["variant"] == ref.meta["variant"] + "_bob"
        w = clip.world
        pelvis = w[:, POINT_INDEX["pelvis"], 2]
        wrists = w[:, [POINT_INDEX["l_wrist"], POINT_INDEX["r_wrist"]], 2].max(axis=1)
        # the hips rise with the arms (feet on the floor, the knees straightening)
        assert np.corrcoef(pelvis, wrists)[0, 1] > 0.5, clip.meta["variant"]
        assert np.ptp(pelvis) > np.ptp(ref.world[:, POINT_INDEX["pelvis"], 2]) + 0.01
        feet = w[:, [POINT_INDEX["l_ankle"], POINT_INDEX["r_ankle"]]]
        # the feet stay on the floor where they stand (the ankle over the sole lowers a
        # little as the shank tilts back: the body has no ankle joint)
        assert feet[..., 2].min() > 0.0 and feet[..., 2].max() < 0.25
        assert np.ptp(feet[..., :2], axis=0).max() < 0.12  # no steps
    assert standing >= 4
    for label in ("walking", "sitting down"):  # other classes: no draw, version 4's clips
        a, b = _clips(usual, label, 3), _clips(replace(usual, wave_bob_prob=1.0), label, 3)
        assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, b, strict=True))


def _speed(clip: Any) -> float:
    """Peak (90th percentile over frames) mean joint speed in the image, in torso
    lengths per frame."""
    step = np.linalg.norm(np.diff(clip.clean, axis=0), axis=-1).mean(axis=1)
    return float(np.percentile(step, 90) / clip.meta["torso_px"])


def test_slow_clips_move_slower_and_show_their_event() -> None:
    fast = SynthConfig(seed=10, video=False, subjects=16, slow_prob=0.0)
    slow = replace(fast, slow_prob=1.0)
    for label in ("waving for help", "bending or picking up", "sitting down"):
        quick, slowed = _clips(fast, label, 16), _clips(slow, label, 16)
        assert all(c.meta["slow"] == 1.0 for c in quick)
        tol = 1 / fast.frames  # the played stretch is a whole number of frames
        assert all(1.3 - tol <= c.meta["slow"] <= 2.6 + tol for c in slowed)
        assert all(c.meta["variant"].endswith("_slow") for c in slowed)
        assert all(c.keypoints.shape == (1, fast.frames, 17, 2) for c in slowed)
        # the same movements, played 1.3-2.6 times slower
        ratio = np.median([_speed(c) for c in slowed]) / np.median([_speed(c) for c in quick])
        assert ratio < 0.8, (label, ratio)
        half = fast.frames // 2
        for c in slowed:  # the window is cut around the labelled event: its centre is
            start, end = c.meta["event"]  # in the event unless the event is at an end
            assert 0 <= start < end <= fast.frames
            assert start <= half < end or start == 0 or end == fast.frames, c.meta["event"]


def test_falls_are_never_slowed() -> None:
    cfg = SynthConfig(seed=8, video=False, subjects=16, slow_prob=1.0)
    assert all(c.meta["slow"] == 1.0 and not c.meta["variant"].endswith("_slow")
               for c in _clips(cfg, "falling", 6))


def _low_share(clip: Any, standing: float) -> float:
    """Share of frames where nose-to-ankles (over the torso) is below 80% of standing."""
    k = clip.clean
    reach = (0.5 * (k[:, 15, 1] + k[:, 16, 1]) - k[:, 0, 1]) / clip.meta["torso_px"]
    return float(np.mean(reach < 0.8 * standing))


def test_long_hold_bends_stay_low_longer_and_leave_other_classes_alone() -> None:
    usual = SynthConfig(seed=12, video=False, subjects=16)
    held = replace(usual, long_hold_prob=1.0)
    quick, long = (_clips(c, "bending or picking up", 16) for c in (usual, held))
    assert all(c.meta["long_hold"] == 0.0 for c in quick)
    assert all(0.8 <= c.meta["long_hold"] <= 3.0 for c in long)
    assert all(c.meta["variant"].endswith("_long_hold") and c.meta["slow"] == 1.0 for c in long)
    assert all(c.keypoints.shape == (1, usual.frames, 17, 2) for c in long)
    for c in long:  # cut from a longer take around the event: at least half of it shows
        start, end = c.meta["event"]
        assert end - start >= usual.frames // 2 or start == 0 or end == usual.frames
    ks = np.concatenate([(0.5 * (c.clean[:, 15, 1] + c.clean[:, 16, 1]) - c.clean[:, 0, 1])
                         / c.meta["torso_px"] for c in quick])
    standing = float(np.percentile(ks, 90))
    low_quick = np.median([_low_share(c, standing) for c in quick])
    low_long = np.median([_low_share(c, standing) for c in long])
    assert low_long > low_quick + 0.1, (low_quick, low_long)
    # no draw for other classes, nor at probability 0: version 2's clips
    for label in ("sitting down", "waving for help"):
        a, b = _clips(usual, label, 3), _clips(held, label, 3)
        assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, b, strict=True))
    zero = _clips(replace(usual, long_hold_prob=0.0, long_hold_s=(2.0, 2.5)),
                  "bending or picking up", 3)
    assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(zero, quick, strict=False))


def _seat_top(clip: Any) -> float | None:
    tops = [b["z0"] + b["size"][2] for b in clip.meta["scene"]["props"]
            if b["kind"].endswith("_seat") and "leg" not in b["kind"]]
    return max(tops) if tops else None


def test_a_slowed_clip_puts_the_chair_where_the_person_sat() -> None:
    """The chair is placed from the take before the cut: under the seated pelvis even
    when the window starts after the person stood up (it was drawn at the window's
    first frame, up to 0.2 m higher, before)."""
    usual = SynthConfig(seed=21, video=False, subjects=16)
    slow = replace(usual, slow_prob=1.0)
    for label in ("sitting down", "standing up"):
        normal = [t for c in _clips(usual, label, 30) if (t := _seat_top(c)) is not None]
        slowed = [t for c in _clips(slow, label, 30) if (t := _seat_top(c)) is not None]
        assert len(slowed) == 30 and max(slowed) <= max(normal) + 0.05, (label, max(slowed))


def test_slow_down_cuts_around_the_event() -> None:
    from train.synth.motions import Prop, Script

    poses = np.arange(100, dtype=np.float64)[:, None] * np.ones((1, 3))
    script = Script(poses, np.zeros(100), (60, 70), "x", [Prop("chair", 90)],
                    np.ones((100, 2)))
    rng = np.random.default_rng(0)
    for _ in range(20):
        cut = slow_down(script, 48, rng)
        assert cut.poses.shape == (48, 3) and cut.yaw.shape == (48,)
        assert cut.drive is not None and cut.drive.shape == (48, 2)
        off = int(cut.poses[0, 0])
        assert 60 <= off + 24 <= 69  # the window's centre lies in the event
        assert cut.event == (60 - off, min(70 - off, 48))
        assert cut.props[0].frame == min(90 - off, 47) and cut.variant == "x_slow"
    short = Script(poses[:48], np.zeros(48), (0, 48), "y")
    assert slow_down(short, 48, rng) is short


def test_left_right_in_the_image_follow_the_facing_direction() -> None:
    cfg = SynthConfig(seed=7, video=False, subjects=16)
    checked = agree = 0
    for clip in _clips(cfg, "background", 16):
        w = clip.world
        left = w[:, POINT_INDEX["l_shoulder"]] - w[:, POINT_INDEX["r_shoulder"]]
        up = w[:, POINT_INDEX["neck"]] - w[:, POINT_INDEX["pelvis"]]
        forward = np.cross(left, up)
        forward /= np.linalg.norm(forward, axis=1, keepdims=True)
        view = w[:, POINT_INDEX["pelvis"]] - np.asarray(clip.camera.position)
        view /= np.linalg.norm(view, axis=1, keepdims=True)
        facing = np.sum(forward * view, axis=1)
        for t in np.flatnonzero(np.abs(facing) > 0.6):
            # Facing the camera (forward against the view ray): left joints on image right.
            expect = facing[t] < 0
            assert (clip.clean[t, 5, 0] > clip.clean[t, 6, 0]) == expect
            assert (clip.clean[t, 11, 0] > clip.clean[t, 12, 0]) == expect
            sc = clip.scores[0, t]
            if sc[5] > 0 and sc[6] > 0:
                checked += 1
                agree += int((clip.keypoints[0, t, 5, 0] > clip.keypoints[0, t, 6, 0]) == expect)
    assert checked > 100
    assert agree / checked > 0.9  # noise and rare swaps keep the sides


def test_inputs_build_with_the_model_contract(small_dataset: tuple[Path, dict[str, Any]]) -> None:
    _, data = small_dataset
    ann = data["annotations"][0]
    h, w = ann["img_shape"]
    inputs = build_inputs(ann["keypoint"], ann["keypoint_score"], (w, h))
    assert inputs.pose.shape == (17, 48, 56, 56)
    assert float(inputs.pose.max()) > 0.1


def test_training_module_reads_the_file(small_dataset: tuple[Path, dict[str, Any]]) -> None:
    pyskl = pytest.importorskip("train.pyskl")
    out, _ = small_dataset
    loaded = pyskl.load_pyskl(out / "annotations.pkl")
    for ann in loaded.annotations:
        pyskl.check_annotation(ann)
    assert set(loaded.split) == {"train", "val"}


def test_videos_decode_with_the_right_frame_count(tmp_path: Path) -> None:
    import cv2

    cfg = SynthConfig(clips_per_class=2, seed=8, subjects=4, frames=24, slow_prob=0.0,
                      classes=("falling", "waving for help", "walking"))
    generate_dataset(cfg, tmp_path)
    with (tmp_path / "annotations.pkl").open("rb") as f:
        anns = pickle.load(f)["annotations"]
    for ann in anns:
        path = tmp_path / "videos" / f"{ann['frame_dir']}.mp4"
        cap = cv2.VideoCapture(str(path))
        assert cap.isOpened(), path
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(cfg.fps)
        n = 0
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            assert frame.shape == (cfg.height, cfg.width, 3)
            frames.append(frame)
            n += 1
        cap.release()
        assert n == ann["total_frames"] == cfg.frames
        # The moving person is drawn where the keypoints are: pixels change most there.
        std = np.stack(frames).astype(np.float32).std(axis=0).mean(axis=2)
        kp, sc = ann["keypoint"][0], ann["keypoint_score"][0]
        ok = (sc > 0.5) & (kp[..., 0] >= 0) & (kp[..., 0] < cfg.width) & (kp[..., 1] >= 0) & (
            kp[..., 1] < cfg.height)
        at_joints = std[kp[ok][:, 1].astype(int), kp[ok][:, 0].astype(int)]
        assert np.median(at_joints) > 2 * np.median(std), ann["frame_dir"]


def test_cli_writes_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--clips-per-class", "1", "--seed", "1", "--no-video",
                 "--fps", "15", "--size", "256x192", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["clips"] == len(ADL_CLASSES)
    for name in ("annotations.pkl", "classes.json", "generator.json", "clips.jsonl"):
        assert (tmp_path / name).is_file()
    assert not (tmp_path / "videos").exists()
    gen = json.loads((tmp_path / "generator.json").read_text())
    assert (gen["config"]["width"], gen["config"]["height"]) == (256, 192)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="no motion script"):
        SynthConfig(classes=("background", "juggling"))
    with pytest.raises(ValueError, match="slow_prob"):
        SynthConfig(slow_prob=1.5)
    with pytest.raises(ValueError, match="slow_stretch"):
        SynthConfig(slow_stretch=(0.5, 2.0))
    with pytest.raises(ValueError, match="slow_stretch"):
        SynthConfig(slow_stretch=(1.5, float("inf")))
    with pytest.raises(ValueError, match="slow_classes"):
        SynthConfig(slow_classes=("juggling",))
    with pytest.raises(ValueError, match="wave_sweep_prob"):
        SynthConfig(wave_sweep_prob=1.5)
    with pytest.raises(ValueError, match="wave_facing_prob"):
        SynthConfig(wave_facing_prob=-0.5)
    with pytest.raises(ValueError, match="wave_facing_prob"):
        SynthConfig(wave_facing_prob=0.5, classes=("walking", "falling"))
    with pytest.raises(ValueError, match="wave_bob_prob and wave_nod_prob apply"):
        SynthConfig(wave_bob_prob=0.5, classes=("walking", "falling"))
    with pytest.raises(ValueError, match="wave_bob_prob"):
        SynthConfig(wave_bob_prob=1.5)
    with pytest.raises(ValueError, match="wave_sweep_prob"):
        SynthConfig(wave_sweep_prob=0.5, classes=("walking", "falling"))
    with pytest.raises(ValueError, match="long_hold_prob"):
        SynthConfig(long_hold_prob=-0.1)
    for bad in ((0.0, 1.0), (2.0, 1.0), (1.0, float("inf"))):
        with pytest.raises(ValueError, match="long_hold_s"):
            SynthConfig(long_hold_s=bad)
    with pytest.raises(ValueError, match="take of 3 windows"):  # 7 s + the bend > 9.6 s
        SynthConfig(long_hold_prob=0.5, long_hold_s=(1.0, 7.0))
    SynthConfig(frames=24, long_hold_s=(1.0, 7.0))  # unused at probability 0: accepted
    with pytest.raises(ValueError, match="not among the classes"):
        SynthConfig(long_hold_prob=0.5, classes=("walking", "falling"))
    with pytest.raises(SystemExit):
        main(["--out", "/tmp/never", "--size", "big"])


def test_shoulder_girdle_raises_shoulders_with_the_arms_in_every_class_and_zero_is_v5() -> None:
    usual = SynthConfig(seed=6, video=False, subjects=16)
    girdled = replace(usual, shoulder_girdle_prob=1.0, shoulder_girdle_m=(0.08, 0.1))
    waves, plain = (_clips(c, "waving for help", 6) for c in (girdled, usual))
    nose, sh = POINT_INDEX["nose"], [POINT_INDEX["l_shoulder"], POINT_INDEX["r_shoulder"]]

    def gap(world: np.ndarray) -> float:  # nose above the shoulders, median (metres)
        return float(np.median(world[:, nose, 2] - world[:, sh, 2].mean(axis=1)))

    gaps = []
    for clip, ref in zip(waves, plain, strict=True):
        assert 0.08 * clip.person.shape.height / 1.7 - 1e-6 <= clip.meta["girdle_m"]
        assert ref.meta["girdle_m"] == 0.0
        gaps.append(gap(ref.world) - gap(clip.world))
    # arms overhead in the waves: the shoulders come up towards the nose by centimetres
    assert np.median(gaps) > 0.03
    # a class with the arms down: the shoulders do not move
    a, b = _clips(usual, "sitting down", 2), _clips(girdled, "sitting down", 2)
    for x, y in zip(a, b, strict=True):
        up = y.world[:, POINT_INDEX["l_shoulder"], 2] - y.world[:, POINT_INDEX["neck"], 2]
        ref_up = x.world[:, POINT_INDEX["l_shoulder"], 2] - x.world[:, POINT_INDEX["neck"], 2]
        assert np.abs(up - ref_up).max() < 0.02
    # prob 0: no draw, version 5's clips exactly (their digest, taken with version 5's
    # code; keypoints rounded to 0.01 px so float rounding elsewhere cannot flip it)
    cfg = SynthConfig(seed=6, video=False, subjects=16, wave_sweep_prob=0.5, wave_bob_prob=0.5)
    digest = hashlib.sha256()
    for label in cfg.classes:
        for clip in _clips(cfg, label, 2):
            digest.update(np.round(clip.keypoints.astype(np.float64), 2).tobytes())
    assert digest.hexdigest() == V5_DIGEST


V5_DIGEST = "e59b675dff8ce2d6b6ee6dd168905f29322fe004b6fd9258ee638922c19b5642"


def test_shoulder_girdle_options_are_checked() -> None:
    with pytest.raises(ValueError, match="shoulder_girdle_prob"):
        SynthConfig(shoulder_girdle_prob=1.5)
    with pytest.raises(ValueError, match="shoulder_girdle_m"):
        SynthConfig(shoulder_girdle_m=(0.1, 0.05))


def test_nodding_waves_bring_the_nose_down_as_the_arms_go_up() -> None:
    usual = SynthConfig(seed=6, video=False, subjects=16, wave_sweep_prob=0.5)
    nodded = _clips(replace(usual, wave_nod_prob=1.0), "waving for help", 6)
    plain = _clips(usual, "waving for help", 6)
    nose, neck = POINT_INDEX["nose"], POINT_INDEX["neck"]
    wrists = [POINT_INDEX["l_wrist"], POINT_INDEX["r_wrist"]]
    for clip, ref in zip(nodded, plain, strict=True):
        assert clip.meta["variant"] == ref.meta["variant"] + "_nod"
        gap = clip.world[:, nose, 2] - clip.world[:, neck, 2]
        high = clip.world[:, wrists, 2].max(axis=1) - clip.world[:, neck, 2]
        ref_gap = ref.world[:, nose, 2] - ref.world[:, neck, 2]
        assert np.median(gap) < np.median(ref_gap) - 0.01  # the head tips forward
        if np.ptp(high) > 0.1:  # arms moving: the nose goes down as the wrists go up
            assert np.corrcoef(gap, high)[0, 1] < -0.3, clip.meta["variant"]
    for label in ("walking", "sitting down"):  # other classes: no draw, version 5's clips
        a, b = _clips(usual, label, 3), _clips(replace(usual, wave_nod_prob=1.0), label, 3)
        assert all(np.array_equal(x.keypoints, y.keypoints) for x, y in zip(a, b, strict=True))
    with pytest.raises(ValueError, match="wave_nod_prob"):
        SynthConfig(wave_nod_prob=2.0)
