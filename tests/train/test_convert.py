"""Converters for ../shared/data/skeletons (skipped when the shared data is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from train.convert.kinect import KINECT_JOINTS, KinectCamera, kinect_to_coco
from train.convert.msr_action3d import MSR_JOINT_ORDER, convert_msr_action3d
from train.convert.urfd import convert_urfd
from train.convert.utkinect import convert_utkinect, convert_utkinect_sequences, resample
from train.pyskl import check_annotation

L_SHOULDER, R_SHOULDER, L_WRIST, R_WRIST = 5, 6, 9, 10


def _skeletons(shared_data: Path, name: str) -> Path:
    path = shared_data / "skeletons" / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


def test_projection_faces_the_camera() -> None:
    joints = np.zeros((1, 20, 3))
    joints[0, :, 2] = 2.0
    joints[0, KINECT_JOINTS.index("shoulder_left"), 0] = -0.2  # Kinect x: sensor's left
    joints[0, KINECT_JOINTS.index("shoulder_right"), 0] = 0.2
    joints[0, KINECT_JOINTS.index("head"), 1] = 0.5  # y up
    kp, sc = kinect_to_coco(joints, KinectCamera())
    assert kp[0, 0, L_SHOULDER, 0] > kp[0, 0, R_SHOULDER, 0]  # left side on the image right
    assert kp[0, 0, 0, 1] < 239.5  # head above the centre
    assert sc[0, 0, 1:5].sum() == 0  # no eyes or ears in Kinect
    assert sc[0, 0, L_SHOULDER] == 1


def test_resample_to_a_regular_grid() -> None:
    ids = np.array([10, 12, 18])
    xyz = np.array([0.0, 2.0, 8.0])[:, None, None] * np.ones((1, 2, 3))
    out = resample(ids, xyz)
    assert out.shape == (5, 2, 3)
    assert np.allclose(out[:, 0, 0], [0, 2, 4, 6, 8])


def test_utkinect(shared_data: Path) -> None:
    data = convert_utkinect(_skeletons(shared_data, "utkinect"))
    assert len(data.annotations) == 199  # 200 labelled segments, one has no range
    assert data.class_names is not None and len(data.class_names) == 10
    assert len(data.split["xsub_train"]) + len(data.split["xsub_val"]) == 199
    subjects = {a["subject"] for a in data.annotations if a["frame_dir"] in
                set(data.split["xsub_val"])}
    assert subjects == {2, 4, 6, 8, 10}
    for ann in data.annotations:
        check_annotation(ann)
        assert ann["fps"] == 15.0 and ann["img_shape"] == (480, 640)
    kp = np.concatenate([a["keypoint"][0] for a in data.annotations])
    assert np.mean(kp[:, L_SHOULDER, 0] > kp[:, R_SHOULDER, 0]) > 0.95  # facing the camera
    inside = (kp[..., 0] >= 0) & (kp[..., 0] < 640) & (kp[..., 1] >= 0) & (kp[..., 1] < 480)
    assert inside.mean() > 0.97


def test_utkinect_whole_sequences(shared_data: Path) -> None:
    root = _skeletons(shared_data, "utkinect")
    data = convert_utkinect_sequences(root)
    names = {str(a["frame_dir"]).rsplit("_p", 1)[0] for a in data.annotations}
    assert len(names) == 20  # s01_e01 .. s10_e02
    minutes = sum(a["total_frames"] for a in data.annotations) / 15 / 60
    assert 30 < minutes < 40
    for ann in data.annotations:
        check_annotation(ann)
        ids = np.asarray(ann["source_frame_ids"])
        assert np.diff(ids).max() <= 15  # split where the recording paused
        assert ann["total_frames"] >= 48  # at least one window
    # the labelled segments lie inside the sequences
    segs = convert_utkinect(root)
    assert sum(a["total_frames"] for a in segs.annotations) < sum(
        a["total_frames"] for a in data.annotations)


def test_msr_action3d_joint_order_against_the_data(shared_data: Path) -> None:
    root = _skeletons(shared_data, "msr_action3d")
    data = convert_msr_action3d(root)
    assert data.class_names is not None and len(data.class_names) == 20
    assert 500 < len(data.annotations) <= 567
    for ann in data.annotations:
        check_annotation(ann)
    # a01 "high arm wave" is done with the right arm: the right wrist moves far more.
    waves = [a for a in data.annotations if a["label"] == 0]
    motion = np.mean([a["keypoint"][0].std(axis=0).sum(axis=-1) for a in waves], axis=0)
    assert motion[R_WRIST] > 3 * motion[L_WRIST]
    # Geometry of a raw frame: head highest, feet lowest, shoulders above hips.
    raw = np.loadtxt(next(root.rglob("a01_s01_e01_skeleton3D.txt")))[:20]
    y = raw[:, 1]
    assert np.argmax(y) == MSR_JOINT_ORDER["head"]
    assert y[MSR_JOINT_ORDER["shoulder_left"]] > y[MSR_JOINT_ORDER["hip_left"]] > \
        y[MSR_JOINT_ORDER["knee_left"]] > y[MSR_JOINT_ORDER["ankle_left"]]
    kp = np.concatenate([a["keypoint"][0] for a in data.annotations])
    assert np.mean(kp[:, L_SHOULDER, 0] > kp[:, R_SHOULDER, 0]) > 0.9


def test_urfd(shared_data: Path) -> None:
    data = convert_urfd(_skeletons(shared_data, "urfd_falls_dev"))
    assert data.class_names == ["not lying", "falling", "lying"]
    assert len(data.annotations) == 45  # 15 videos x (not lying, falling, lying)
    counts = np.bincount([a["label"] for a in data.annotations], minlength=3)
    assert counts.tolist() == [15, 15, 15]
    for ann in data.annotations:
        check_annotation(ann)
        assert ann["keypoint_score"][..., 1:5].max() == 0  # no eyes/ears in the CSV
        assert ann["keypoint"][..., 0].max() <= 640


def test_urfd_videos_keep_the_whole_sequence(shared_data: Path) -> None:
    from train.convert.urfd import read_urfd_videos

    videos = read_urfd_videos(_skeletons(shared_data, "urfd_falls_dev"))
    assert [v.video for v in videos] == list(range(1, 16))
    assert sum(v.labels.shape[0] for v in videos) >= 1580
    for v in videos:
        assert v.keypoint.shape == (1, v.labels.shape[0], 17, 2)
        assert v.fall_frame is not None and v.floor_frame is not None
        # not lying, then falling, then lying
        assert 0 <= v.fall_frame < v.floor_frame
        assert (v.labels[: v.fall_frame] == -1).all()
        assert (v.labels[v.fall_frame: v.floor_frame] == 0).all()
