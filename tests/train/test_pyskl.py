from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from train.pyskl import (
    DatasetError,
    PysklFile,
    load_pyskl,
    make_annotation,
    save_pyskl,
    select_split,
)


def _ann(name: str, label: int = 0, frames: int = 5) -> dict[str, object]:
    kp = np.random.default_rng(0).random((1, frames, 17, 2)).astype(np.float32) * 100
    return make_annotation(name, label, kp, np.ones((1, frames, 17), np.float32), (120, 160))


def test_round_trip_keeps_pyskl_keys(tmp_path: Path) -> None:
    data = PysklFile([_ann("a"), _ann("b", 1)], {"train": ["a"], "val": ["b"]}, ["x", "y"])
    path = save_pyskl(data, tmp_path / "d.pkl")
    with path.open("rb") as f:
        raw = pickle.load(f)
    ann = raw["annotations"][0]
    assert set(raw) == {"split", "annotations", "class_names"}
    for key in ("frame_dir", "label", "total_frames", "img_shape", "original_shape", "keypoint",
                "keypoint_score"):
        assert key in ann
    back = load_pyskl(path)
    assert [a["frame_dir"] for a in select_split(back, "val")] == ["b"]
    assert len(select_split(back, None)) == 2
    assert back.class_names == ["x", "y"]


def test_bare_list_and_pyskl_dict_without_class_names(tmp_path: Path) -> None:
    path = tmp_path / "l.pkl"
    with path.open("wb") as f:
        pickle.dump([_ann("a")], f)
    data = load_pyskl(path)
    assert len(data.annotations) == 1 and data.split == {} and data.class_names is None


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_pyskl(tmp_path / "none.pkl")
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"\x80\x04garbage")
    with pytest.raises(DatasetError, match="cannot be read"):
        load_pyskl(bad)
    ann = _ann("a")
    ann["keypoint"] = np.zeros((1, 5, 25, 3), np.float32)  # NTU 3D skeleton
    with (tmp_path / "3d.pkl").open("wb") as f:
        pickle.dump({"annotations": [ann]}, f)
    with pytest.raises(DatasetError, match="COCO"):
        load_pyskl(tmp_path / "3d.pkl")
    data = PysklFile([_ann("a")], {"train": ["a"]})
    with pytest.raises(DatasetError, match="has: train"):
        select_split(data, "xsub_train")
