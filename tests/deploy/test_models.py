from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deploy.models import ModelStoreError, current, install, main, rollback
from tests.deploy.conftest import write_tiny_epamnet


def test_install_rollback_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "models"
    a = write_tiny_epamnet(tmp_path / "a.onnx", seed=1)
    b = write_tiny_epamnet(tmp_path / "b.onnx", seed=2)
    first = install(a, store)
    assert current(store) == first.resolve() and first.name.startswith("a-")
    second = install(b, store, run_window=False)
    assert current(store) == second.resolve()
    assert (store / "previous.onnx").resolve() == first.resolve()
    assert (store / "current.onnx").is_symlink()
    assert install(b, store, run_window=False) == second  # same model: nothing changes
    assert rollback(store) == first.resolve()
    assert current(store) == first.resolve()
    assert (store / "previous.onnx").resolve() == second.resolve()
    assert main(["--models-dir", str(store), "list"]) == 0
    out = capsys.readouterr().out
    assert "current  a-" in out and "previous b-" in out


def test_broken_model_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    store = tmp_path / "models"
    good = install(write_tiny_epamnet(tmp_path / "good.onnx"), store, run_window=False)
    bad = tmp_path / "bad.onnx"
    shutil.copyfile(good, bad)
    bad.write_bytes(bad.read_bytes()[:200])
    with pytest.raises(ModelStoreError):
        install(bad, store)
    assert current(store) == good.resolve()
    assert main(["--models-dir", str(tmp_path / "empty"), "rollback"]) == 1


def test_the_store_is_under_the_app_s_data_dir(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "app.yaml"
    cfg.write_text(f"data_dir: {tmp_path / 'data'}\n")
    assert main(["--config", str(cfg), "install", "--no-run",
                 str(write_tiny_epamnet(tmp_path / "a.onnx"))]) == 0
    assert current(tmp_path / "data" / "models") is not None
    assert f"{tmp_path / 'data' / 'models' / 'current.onnx'}" in capsys.readouterr().out
    cfg.write_text("data_dri: /x\n")
    assert main(["--config", str(cfg), "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: invalid configuration") and "'data_dri'" in err


def test_a_model_with_other_inputs_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["scores"])], "other",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "other.onnx"))
    with pytest.raises(ModelStoreError, match="it is not an EPAM-Net export"):
        install(tmp_path / "other.onnx", tmp_path / "models")
    assert not (tmp_path / "models").exists()
