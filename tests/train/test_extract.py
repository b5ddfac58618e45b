"""``train.extract`` on a few seconds of the bundled demo video, with the edge's tracker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from train import extract
from train.extract import ExtractError, list_csv, list_folder, main
from train.pyskl import load_pyskl

DEMO = ROOT / "assets" / "demo" / "one-by-one-person-detection.mp4"


@pytest.fixture
def csv_input(tmp_path: Path) -> Path:
    if not DEMO.is_file():
        pytest.skip(f"demo video {DEMO} missing")
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "demo.mp4").symlink_to(DEMO)
    (tmp_path / "videos" / "broken.mp4").write_text("not a video")
    path = tmp_path / "clips.csv"
    path.write_text("path,label,start,end,split\n"
                    "videos/demo.mp4,walking,0,25,train\n"
                    "videos/broken.mp4,walking,,,train\n"
                    "videos/demo.mp4,background,100,115,val\n")
    return path


def test_extract_csv_valid_pickle_lists_unreadable_and_resumes(
    csv_input: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out" / "adl.pkl"
    code = main([str(csv_input), "--out", str(out), "--label-set", "adl", "--no-progress"])
    assert code == 2  # done, but a video could not be read
    err = capsys.readouterr().err
    assert "broken.mp4" in err
    assert "broken.mp4" in (tmp_path / "out" / "adl.pkl.failed.txt").read_text()
    data = load_pyskl(out)  # checks every annotation
    assert data.split == {"train": ["videos/demo@0-25"], "val": ["videos/demo@100-115"]}
    assert data.class_names is not None and data.class_names[0] == "background"
    first, second = data.annotations
    assert first["keypoint"].shape == (1, 25, 17, 2)
    assert second["keypoint"].shape == (1, 15, 17, 2)
    assert first["img_shape"] == (432, 768) and first["fps"] == pytest.approx(10.0)
    assert first["label"] == data.class_names.index("walking")
    assert first["filename"] == "videos/demo.mp4" and second["start_frame"] == 100
    assert float(np.max(first["keypoint_score"])) > 0.5  # someone was found
    assert np.all(first["keypoint"][..., 0] <= 768) and np.all(first["keypoint_score"] <= 1)

    # A second run re-reads only what failed: the good clips come from the parts.
    calls: list[str] = []
    real = extract.extract_video

    def spy(item: extract.VideoItem, *a: object, **k: object) -> object:
        calls.append(item.rel)
        return real(item, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(extract, "extract_video", spy)
    assert main([str(csv_input), "--out", str(out), "--label-set", "adl", "--no-progress"]) == 2
    assert calls == ["videos/broken.mp4"]
    assert len(load_pyskl(out).annotations) == 2


def test_listing_errors(tmp_path: Path) -> None:
    (tmp_path / "loose.mp4").write_bytes(b"x")
    with pytest.raises(ExtractError, match="sub-folder per label"):
        list_folder(tmp_path)
    (tmp_path / "loose.mp4").unlink()
    (tmp_path / "walk").mkdir()
    (tmp_path / "walk" / "a.mp4").write_bytes(b"x")
    (tmp_path / "fall" / "x").mkdir(parents=True)
    (tmp_path / "fall" / "x" / "b.avi").write_bytes(b"x")
    items = list_folder(tmp_path)
    assert [(i.label, i.rel) for i in items] == [("fall", "fall/x/b.avi"), ("walk", "walk/a.mp4")]
    bad = tmp_path / "bad.csv"
    bad.write_text("file,class\na.mp4,walk\n")
    with pytest.raises(ExtractError, match="'path' and 'label'"):
        list_csv(bad)
    bad.write_text("path,label,start,end\na.mp4,walk,10,5\n")
    with pytest.raises(ExtractError, match="start < end"):
        list_csv(bad)


def test_the_edge_config_sets_the_tracker_and_thresholds(
        csv_input: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    seen: dict[str, object] = {}
    real = extract.extract_video

    def spy(item: extract.VideoItem, factory: object, **k: object) -> object:
        seen.update(k)
        return real(item, factory, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(extract, "extract_video", spy)
    cfg = tmp_path / "edge.yaml"
    cfg.write_text("pose:\n  num_poses: 2\n  min_detection_confidence: 0.3\n"
                   "  track: {enabled: false}\n")
    out = tmp_path / "edge" / "adl.pkl"
    main([str(csv_input), "--out", str(out), "--label-set", "adl", "--no-progress",
          "--edge-config", str(cfg)])
    from edge_app.config import TrackConfig

    track = seen["track"]
    assert isinstance(track, TrackConfig) and track.enabled is False and seen["num_poses"] == 2
    first = load_pyskl(out).annotations[0]
    assert first["keypoint"].shape == (2, 25, 17, 2)  # the edge's two persons, untracked
    # a wrong key or a missing file: a clear error, nothing written
    cfg.write_text("pose:\n  track: {keep: 3}\n")
    assert main([str(csv_input), "--out", str(tmp_path / "x.pkl"), "--no-progress",
                 "--edge-config", str(cfg)]) == 1
    assert "keep" in capsys.readouterr().err and not (tmp_path / "x.pkl").exists()
    assert main([str(csv_input), "--out", str(tmp_path / "x.pkl"), "--no-progress",
                 "--edge-config", str(tmp_path / "none.yaml")]) == 1
    assert "does not exist" in capsys.readouterr().err
