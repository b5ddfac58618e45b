from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.metadata import Geometry
from model.onnxfile import (
    ModelError,
    blank_window,
    check_session,
    open_session,
    read_model,
    session_options,
)
from tests.deploy.conftest import write_tiny_epamnet


def _open(path: Path) -> object:
    return open_session(read_model(path), path, session_options(), ["CPUExecutionProvider"])


def test_a_good_export_opens_and_runs_a_blank_window(tmp_path: Path) -> None:
    path = write_tiny_epamnet(tmp_path / "t.onnx", classes=3)
    session = _open(path)
    meta = check_session(session, path)
    assert meta.class_names == ("c0", "c1", "c2")
    pose, rgb = blank_window(meta.geometry)
    assert pose.shape == (17, 48, 56, 56) and rgb.shape == (3, 16, 224, 224)
    assert pose.dtype == rgb.dtype == np.float32 and not pose.any() and not rgb.any()
    out = session.run(["scores"], {"pose_heatmaps": pose[None], "rgb": rgb[None]})  # type: ignore[attr-defined]
    assert out[0].shape == (1, 3) and np.all(np.isfinite(out[0]))


def test_the_batch_is_fixed_to_one_by_default_and_free_with_none(tmp_path: Path) -> None:
    path = write_tiny_epamnet(tmp_path / "t.onnx")
    data = read_model(path)
    pose, rgb = blank_window(Geometry())
    two = {"pose_heatmaps": np.stack([pose, pose]), "rgb": np.stack([rgb, rgb])}
    fixed = open_session(data, path, session_options(), ["CPUExecutionProvider"])
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        fixed.run(["scores"], two)
    free = open_session(data, path, session_options(batch=None), ["CPUExecutionProvider"])
    assert free.run(["scores"], two)[0].shape == (2, 4)


def test_a_missing_or_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"none.onnx does not exist; set model.path"):
        read_model(tmp_path / "none.onnx")
    good = write_tiny_epamnet(tmp_path / "t.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ModelError, match=r"bad.onnx cannot be loaded by ONNX Runtime .*"
                                         r"is it truncated\?"):
        _open(bad)


def _edited(src: Path, dest: Path, **props: str | None) -> Path:
    """``src`` with metadata_props changed (None: removed), saved as ``dest``."""
    import onnx

    m = onnx.load(str(src))
    kept = [(p.key, p.value) for p in m.metadata_props if p.key not in props]
    del m.metadata_props[:]
    for key, value in [*kept, *((k, v) for k, v in props.items() if v is not None)]:
        entry = m.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(m, str(dest))
    return dest


def test_metadata_and_outputs_must_be_an_epam_net_export(tmp_path: Path) -> None:
    good = write_tiny_epamnet(tmp_path / "t.onnx", classes=4)
    plain = _edited(good, tmp_path / "plain.onnx", class_names=None)
    with pytest.raises(ModelError, match=r"plain.onnx: the model has no 'class_names'"):
        check_session(_open(plain), plain)
    five = _edited(good, tmp_path / "five.onnx", class_names=json.dumps(list("abcde")))
    with pytest.raises(ModelError, match=r"output scores gives 4 scores but its metadata "
                                         r"names 5 classes \(a, b, c, d, e\)"):
        check_session(_open(five), five)


def test_inputs_other_than_the_contract_s_are_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["scores"])], "other",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "other.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match=r"has inputs \['x'\], not \['pose_heatmaps', 'rgb'\]: "
                                         "it is not an EPAM-Net export"):
        check_session(_open(path), path)


def test_importing_it_does_not_import_torch() -> None:
    code = "import sys, model.onnxfile; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
