from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from edge_app.backends.rewrite import cpu_channel_multiple, pad_depthwise_channels, prepare_for_cpu
from edge_app.runner import ModelRunner


def _session(data: bytes) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def _depthwise_groups(model: onnx.ModelProto) -> list[int]:
    return [next(a.i for a in n.attribute if a.name == "group") for n in model.graph.node
            if n.op_type == "Conv" and any(a.name == "group" and a.i > 1 for a in n.attribute)]


@pytest.mark.parametrize("multiple", [8, 16])
def test_padded_epamnet_gives_the_same_outputs(random_model: Path, multiple: int) -> None:
    data = random_model.read_bytes()
    before = _depthwise_groups(onnx.load_model_from_string(data))
    assert any(g % 8 for g in before)  # X3D's widths 54 and 108
    out, padded = prepare_for_cpu(data, multiple)
    model = onnx.load_model_from_string(out)
    onnx.checker.check_model(model)
    groups = _depthwise_groups(model)
    assert padded == sum(1 for g in before if g % multiple)
    assert all(g % multiple == 0 for g in groups)
    assert sum(groups) - sum(before) < 0.1 * sum(before)  # a few zero channels, no more
    rng = np.random.default_rng(1)
    feeds = {"pose_heatmaps": rng.random((1, 17, 48, 56, 56), dtype=np.float32),
             "rgb": rng.standard_normal((1, 3, 16, 224, 224), dtype=np.float32)}
    ref = _session(data).run(None, feeds)
    got = _session(out).run(None, feeds)
    for r, g in zip(ref, got, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(r).max())))


def test_runner_rewrites_on_the_cpu_only(random_model: Path) -> None:
    on = ModelRunner(random_model, providers=["cpu"])
    off = ModelRunner(random_model, providers=["cpu"], rewrite=False)
    assert on.rewritten > 0 and off.rewritten == 0
    assert on.sha256 == off.sha256  # the cache keys stay those of the file
    pose = np.random.default_rng(2).random((17, 48, 56, 56), dtype=np.float32)
    np.testing.assert_allclose(on.predict(pose, None).logits, off.predict(pose, None).logits,
                               rtol=1e-4, atol=1e-5)


def _tiny(channels: int, *, dw_out_is_output: bool = False,
          const_mul: bool = False) -> onnx.ModelProto:
    """x -> 1x1 conv (4 -> C) -> ReLU -> depthwise 3x3 [-> * const] -> 1x1 conv (C -> 4)."""
    rng = np.random.default_rng(0)

    def w(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    inits = [w("wa", channels, 4, 1, 1), w("ba", channels), w("wb", channels, 1, 3, 3),
             w("wc", 4, channels, 1, 1)]
    nodes = [helper.make_node("Conv", ["x", "wa", "ba"], ["a"]),
             helper.make_node("Relu", ["a"], ["r"]),
             helper.make_node("Conv", ["r", "wb"], ["b"], group=channels, pads=[1, 1, 1, 1])]
    last = "b"
    if const_mul:
        inits.append(numpy_helper.from_array(np.ones((1, channels, 1, 1), np.float32), "k"))
        nodes.append(helper.make_node("Mul", ["b", "k"], ["m"]))
        last = "m"
    nodes.append(helper.make_node("Conv", [last, "wc"], ["y"]))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if dw_out_is_output:
        outputs.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 4, 6, 6])], outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_tiny_graph_padded_exactly() -> None:
    model = _tiny(6)
    data = model.SerializeToString()
    assert pad_depthwise_channels(model, 8) == 1
    assert _depthwise_groups(model) == [8]
    assert {i.name for i in model.graph.initializer} == {"wa__pad", "ba__pad", "wb__pad",
                                                         "wc__pad"}  # the old ones dropped
    x = {"x": np.random.default_rng(3).standard_normal((1, 4, 6, 6)).astype(np.float32)}
    np.testing.assert_allclose(_session(model.SerializeToString()).run(None, x)[0],
                               _session(data).run(None, x)[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["output", "const"])
def test_unknown_patterns_are_left_alone(kind: str) -> None:
    model = _tiny(6, dw_out_is_output=kind == "output", const_mul=kind == "const")
    before = model.SerializeToString()
    assert pad_depthwise_channels(model, 8) == 0
    assert model.SerializeToString() == before
    assert prepare_for_cpu(before, 8) == (before, 0)


def test_aligned_and_unreadable_models_pass_through() -> None:
    aligned = _tiny(8).SerializeToString()
    assert prepare_for_cpu(aligned, 8) == (aligned, 0)
    assert prepare_for_cpu(b"not a model", 8) == (b"not a model", 0)
    assert prepare_for_cpu(aligned, 1) == (aligned, 0)


def test_channel_multiple_follows_the_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "cpuinfo"
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx avx2 fma\n")
    assert cpu_channel_multiple(info) == 8
    info.write_text("flags\t\t: fpu avx2 avx512f avx512bw\n")
    assert cpu_channel_multiple(info) == 16
    assert cpu_channel_multiple(tmp_path / "missing") == 8
    info.write_text("flags\t\t: fpu sse sse2 sse4_2\n")  # no AVX2: no blocked kernels
    assert cpu_channel_multiple(info) is None
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    assert cpu_channel_multiple(info) is None


def _gated(channels: int) -> onnx.ModelProto:
    """A depthwise group multiplied by a 1-channel gate computed from the block input."""
    model = _tiny(channels)
    g = model.graph
    rng = np.random.default_rng(4)
    g.initializer.append(numpy_helper.from_array(
        rng.standard_normal((1, 4, 1, 1)).astype(np.float32), "wg"))
    g.node.insert(3, helper.make_node("Conv", ["x", "wg"], ["gate"]))
    g.node.insert(4, helper.make_node("Mul", ["b", "gate"], ["m"]))
    g.node[-1].input[0] = "m"
    return model


def test_broadcast_gate_initializer_inputs_and_graph_biases_are_left_alone() -> None:
    gated = _gated(6)
    data = gated.SerializeToString()
    assert pad_depthwise_channels(gated, 8) == 0  # the 1-channel gate must not widen
    _session(gated.SerializeToString())  # and the graph still loads
    assert prepare_for_cpu(data, 8) == (data, 0)

    as_input = _tiny(6)  # an initializer that is also a graph input (overridable)
    as_input.graph.input.append(helper.make_tensor_value_info("wb", TensorProto.FLOAT,
                                                              [6, 1, 3, 3]))
    assert pad_depthwise_channels(as_input, 8) == 0

    computed_bias = _tiny(6)  # the depthwise bias comes from a node, not a weight
    computed_bias.graph.node.insert(0, helper.make_node(
        "Constant", [], ["bb"], value=numpy_helper.from_array(np.zeros(6, np.float32))))
    computed_bias.graph.node[3].input.append("bb")
    before = computed_bias.SerializeToString()
    assert pad_depthwise_channels(computed_bias, 8) == 0
    assert computed_bias.SerializeToString() == before


def test_runner_falls_back_to_the_file_when_the_rewrite_does_not_load(
        random_model: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr("edge_app.backends.rewrite.prepare_for_cpu",
                        lambda data: (b"\x08\x07broken", 3))
    runner = ModelRunner(random_model, providers=["cpu"])
    assert runner.rewritten == 0 and "does not load" in caplog.text
    pose = np.zeros((17, 48, 56, 56), np.float32)
    assert runner.predict(pose, None).logits.shape == (8,)
