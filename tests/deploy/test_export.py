from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from deploy.export import check_onnx, export_onnx, load_checkpoint, main, portable_path
from model.epamnet import build_epamnet
from model.labels import ADL_CLASSES
from model.metadata import ModelMetadata
from tests.model.test_epamnet import _randomize_norms


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    torch.manual_seed(0)
    net = build_epamnet(len(ADL_CLASSES))
    _randomize_norms(net)
    net.eval()
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    meta = ModelMetadata(class_names=ADL_CLASSES, provenance={"source": "test"})
    export_onnx(net, path, meta)
    return net, path


def test_onnx_parity_with_pytorch(exported: tuple[torch.nn.Module, Path]) -> None:
    net, path = exported
    result = check_onnx(net, path, batch=2)  # type: ignore[arg-type]
    assert result.ok, result.max_abs_diff
    assert max(result.max_abs_diff.values()) < 1e-4
    assert result.top1_agreement == 1.0


def test_onnx_names_dynamic_batch_and_metadata(exported: tuple[torch.nn.Module, Path]) -> None:
    _, path = exported
    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == ["pose_heatmaps", "rgb"]
    assert [o.name for o in proto.graph.output] == ["scores", "rgb_logits", "pose_logits"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [17, 48, 56, 56]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    props = sess.get_modelmeta().custom_metadata_map
    meta = ModelMetadata.from_props(props)
    assert meta.class_names == ADL_CLASSES
    assert meta.sample_rate_hz == 15.0
    assert json.loads(props["input_geometry"])["heatmap_size"] == 56
    out = sess.run(None, {"pose_heatmaps": np.zeros((3, 17, 48, 56, 56), np.float32),
                          "rgb": np.zeros((3, 3, 16, 224, 224), np.float32)})
    assert [o.shape for o in out] == [(3, 8)] * 3


def test_onnx_pose_logits_ignore_rgb(exported: tuple[torch.nn.Module, Path]) -> None:
    _, path = exported
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    pose = rng.random((1, 17, 48, 56, 56), dtype=np.float32)
    a = sess.run(None, {"pose_heatmaps": pose, "rgb": rng.normal(size=(1, 3, 16, 224, 224))
                        .astype(np.float32)})
    b = sess.run(None, {"pose_heatmaps": pose, "rgb": np.zeros((1, 3, 16, 224, 224), np.float32)})
    np.testing.assert_array_equal(a[2], b[2])
    assert not np.allclose(a[1], b[1])


def test_cli_random_init_with_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.onnx"
    assert main(["--random-init", "--classes", "5", "--out", str(out), "--check"]) == 0
    text = capsys.readouterr().out
    assert "check passed" in text and out.is_file()


def test_checkpoint_roundtrip_and_bad_files(tmp_path: Path) -> None:
    net = build_epamnet(3)
    ckpt = tmp_path / "ok.pt"
    torch.save({"model": net.state_dict(), "meta": {"class_names": ["a", "b", "c"],
                                                    "sample_rate_hz": 10.0}}, ckpt)
    model, meta = load_checkpoint(ckpt)
    assert model.num_classes == 3 and meta["class_names"] == ["a", "b", "c"]
    out = tmp_path / "ok.onnx"
    assert main(["--checkpoint", str(ckpt), "--out", str(out)]) == 0
    props = ort.InferenceSession(str(out)).get_modelmeta().custom_metadata_map
    assert json.loads(props["class_names"]) == ["a", "b", "c"]
    assert props["sample_rate_hz"] == "10.0"

    truncated = tmp_path / "bad.pt"
    truncated.write_bytes(ckpt.read_bytes()[:1000])
    assert main(["--checkpoint", str(truncated), "--out", str(tmp_path / "x.onnx")]) == 1
    assert not (tmp_path / "x.onnx").exists()
    wrong = tmp_path / "wrong.pt"
    torch.save({"model": {"foo": torch.zeros(1)}}, wrong)
    assert main(["--checkpoint", str(wrong), "--out", str(tmp_path / "y.onnx")]) == 1


def test_provenance_records_no_machine_paths(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in the ONNX provenance: relative to the working directory when the file lies
    under it, else the file's name; the checkpoint's sha256 identifies it."""
    work, elsewhere = tmp_path / "repo", tmp_path / "machine" / "data"
    (work / "work_dirs" / "run" / "pose").mkdir(parents=True)
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(work)
    ckpt = work / "work_dirs" / "run" / "pose" / "last.pt"
    meta = {
        "class_names": ["a", "b", "c"],
        "ann_file": str(elsewhere / "annotations.pkl"),
        "init": {"model": str(work / "work_dirs" / "start" / "pose" / "last.pt")},
        "distill": {"teacher": str(elsewhere / "teacher.pt"), "teacher_sha256": "ab" * 32,
                    "weight": 0.5},
        "averaged_from": [{"checkpoint": str(elsewhere / "x.pt"), "sha256": "cd" * 32,
                           "weight": 1.0}],
        "run_name": "run",
    }
    torch.save({"model": build_epamnet(3).state_dict(), "meta": meta}, ckpt)
    out = work / "m.onnx"
    assert main(["--checkpoint", str(ckpt), "--out", str(out)]) == 0
    props = ort.InferenceSession(str(out)).get_modelmeta().custom_metadata_map
    prov = json.loads(props["provenance"])
    assert prov["source"] == "work_dirs/run/pose/last.pt"
    assert prov["ann_file"] == "annotations.pkl"
    assert prov["init"] == {"model": "work_dirs/start/pose/last.pt"}
    assert prov["distill"]["teacher"] == "teacher.pt"
    assert prov["distill"]["teacher_sha256"] == "ab" * 32
    assert prov["averaged_from"][0]["checkpoint"] == "x.pt"
    assert len(prov["checkpoint_sha256"]) == 64 and prov["run_name"] == "run"
    assert str(tmp_path) not in props["provenance"]
    # a relative path given on the command line stays as it is when under the directory
    assert main(["--checkpoint", "work_dirs/run/pose/last.pt", "--out", str(out)]) == 0
    props = ort.InferenceSession(str(out)).get_modelmeta().custom_metadata_map
    assert json.loads(props["provenance"])["source"] == "work_dirs/run/pose/last.pt"
    assert portable_path("../machine/data/x.pt") == "x.pt"
    assert portable_path("~/x.pt", cwd=Path.home().parent) == f"{Path.home().name}/x.pt"
