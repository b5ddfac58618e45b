"""Exact rewrites of an EPAM-Net ONNX graph for CPU runtimes.

``pad_depthwise_channels`` widens every depthwise convolution whose channel count is
not a multiple of the CPU's SIMD block (8 floats with AVX2, 16 with AVX-512) with
zero channels, together with everything that carries those channels: the 1x1
convolution that produces them gets zero output rows, the squeeze-excitation's first
convolution and the 1x1 convolution that consume them get zero input columns, and the
squeeze-excitation's gate convolution gets zero output rows. The outputs are the same
up to float summation order (the added channels are zero, and every consumer gives
them zero weight).

Why: ONNX Runtime runs a convolution in its fast blocked (NCHWc) kernels only when
the channels fill whole blocks. X-ShiftNet's inner widths 54 and 108 (X3D's
rounding of 2.25x 24 and 48) do not, so the pose stream's first two stages ran their
depthwise convolutions (and the 1x1 convolutions around them) outside the blocked
kernels: in one profile on a 2-core AVX2 CPU, stage 1's convolutions took 48 ms of a
215 ms window, 23 ms after the padding. Padded to 56 and 112 with AVX2 (3.7% more
multiply-adds in those layers; 64, 112 and 224 with AVX-512) they run blocked:
``benchmarks/backends.py`` measures both in one run. Graphs with control flow
(subgraphs) or with initializers listed as graph inputs are left as they are.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["REWRITE_VERSION", "cpu_channel_multiple", "pad_depthwise_channels",
           "prepare_for_cpu"]

log = logging.getLogger(__name__)
REWRITE_VERSION = 1  # part of the cached backend choice's key (edge_app.backends.factory)

# Ops that act on each channel alone (any channel count passes through unchanged).
_CHANNELWISE = frozenset({"Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu",
                          "Identity", "Mul", "Add"})


def cpu_channel_multiple(cpuinfo: Path = Path("/proc/cpuinfo")) -> int | None:
    """The channel multiple ONNX Runtime's blocked CPU kernels need on this machine:
    16 with AVX-512, 8 with AVX2 (also when the flags cannot be read), None where it has
    no blocked kernels (not x86-64, or an x86 CPU without AVX2)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        flags = next((line.split(":", 1)[1].split() for line in
                      cpuinfo.read_text(errors="replace").splitlines()
                      if line.startswith("flags")), [])
    except OSError:
        flags = []
    if "avx512f" in flags:
        return 16
    return 8 if "avx2" in flags or not flags else None


def _attr(node: Any, name: str, default: Any = None) -> Any:
    from onnx import helper

    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _reduce_axes(node: Any, consts: dict[str, Any]) -> list[int] | None:
    axes = _attr(node, "axes")
    if axes is None and len(node.input) > 1 and node.input[1] in consts:
        axes = consts[node.input[1]].tolist()
    return None if axes is None else sorted(int(a) for a in axes)


class _Graph:
    """Producer/consumer maps and weights (initializers, also behind Identity) of a graph."""

    def __init__(self, model: Any) -> None:
        from onnx import numpy_helper

        g = model.graph
        self.graph = g
        self.init = {i.name: i for i in g.initializer}
        self.alias = {n.output[0]: n.input[0] for n in g.node
                      if n.op_type == "Identity" and n.input and n.input[0] in self.init}
        self.consts = {name: numpy_helper.to_array(t) for name, t in self.init.items()}
        self.consts.update({a: self.consts[src] for a, src in self.alias.items()})
        self.producer = {o: n for n in g.node for o in n.output}
        self.consumers: dict[str, list[Any]] = {}
        for n in g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.outputs = {o.name for o in g.output}
        self.inputs = {i.name for i in g.input}
        self.replaced: set[str] = set()

    def weight(self, node: Any) -> np.ndarray | None:
        if len(node.input) < 2 or node.input[1] not in self.consts:
            return None
        w = self.consts[node.input[1]]
        return w if w.ndim == 4 and w.dtype.kind == "f" else None

    def set_input(self, node: Any, index: int, array: np.ndarray, suffix: str) -> None:
        from onnx import numpy_helper

        name = f"{node.input[index]}__{suffix}"
        taken = set(self.init) | set(self.producer) | self.inputs
        while name in taken:
            name += "_"
        tensor = numpy_helper.from_array(array, name)
        self.graph.initializer.append(tensor)
        self.init[name] = tensor
        self.consts[name] = array
        self.replaced.add(node.input[index])
        node.input[index] = name

    def drop_replaced_initializers(self) -> None:
        """Remove the weights this rewrite replaced that nothing reads any more (and the
        Identity nodes that only aliased them); everything else stays."""
        def used() -> set[str]:
            return {i for n in self.graph.node for i in n.input} | self.outputs | self.inputs

        now = used()
        for n in [n for n in self.graph.node if n.op_type == "Identity"
                  and n.output[0] in self.replaced and n.output[0] not in now]:
            self.graph.node.remove(n)
        now = used()
        dead = {self.alias.get(r, r) for r in self.replaced} - now
        keep = [i for i in self.graph.initializer if i.name not in dead]
        del self.graph.initializer[:]
        self.graph.initializer.extend(keep)


def _is_depthwise(g: _Graph, node: Any) -> bool:
    w = g.weight(node)
    return (node.op_type == "Conv" and w is not None and w.shape[1] == 1
            and int(_attr(node, "group", 1)) == w.shape[0] > 1)


def _channel_group(g: _Graph, dw: Any) -> tuple[set[str], list[tuple[Any, str]]] | None:
    """The tensors that carry ``dw``'s channels and the convolutions to edit
    (``(node, "out"|"in"|"dw")``), or None if something else touches them."""
    channels = int(_attr(dw, "group", 1))
    tensors: set[str] = set()
    edits: dict[int, tuple[Any, str]] = {}
    todo = [dw.input[0], dw.output[0]]
    while todo:
        t = todo.pop()
        if t in tensors:
            continue
        if t in g.outputs or t in g.consts:
            return None
        tensors.add(t)
        prod = g.producer.get(t)
        if prod is None:  # a graph input
            return None
        for node, produced in [(prod, True)] + [(c, False) for c in g.consumers.get(t, [])]:
            if node.op_type == "Conv":
                w = g.weight(node)
                if w is None or (len(node.input) > 2 and node.input[2]
                                 and node.input[2] not in g.consts):
                    return None  # weights or bias computed in the graph
                if _is_depthwise(g, node):
                    if w.shape[0] != channels:
                        return None
                    edits[id(node)] = (node, "dw")
                    todo += [node.input[0], node.output[0]]
                elif int(_attr(node, "group", 1)) != 1:
                    return None
                elif produced:
                    if w.shape[0] != channels:
                        return None  # e.g. a 1-channel gate broadcast over the group
                    edits.setdefault(id(node), (node, "out"))
                elif node.input[0] == t and w.shape[1] == channels:
                    edits.setdefault(id(node), (node, "in"))
                else:
                    return None
            elif node.op_type in _CHANNELWISE:
                if any(i in g.consts for i in node.input):
                    return None  # a constant operand would need padding too
                todo += list(node.input) + list(node.output)
            elif node.op_type in ("ReduceMean", "GlobalAveragePool"):
                if node.op_type == "ReduceMean" and (_reduce_axes(node, g.consts) != [2, 3]
                                                     or int(_attr(node, "keepdims", 1)) != 1):
                    return None
                todo += [node.input[0], node.output[0]]
            else:
                return None
    # Every convolution's role must be consistent (one that both makes and reads these
    # channels, other than a depthwise one, is not a pattern this rewrite knows).
    for node, role in edits.values():
        if role == "in" and node.output[0] in tensors:
            return None
        if role == "out" and node.input[0] in tensors:
            return None
    return tensors, list(edits.values())


def _pad(a: np.ndarray, axis: int, extra: int) -> np.ndarray:
    shape = list(a.shape)
    shape[axis] = extra
    return np.concatenate([a, np.zeros(shape, a.dtype)], axis=axis)


def pad_depthwise_channels(model: Any, multiple: int) -> int:
    """Pad, in place, every depthwise channel group of ``model`` to a multiple of
    ``multiple`` channels (see the module docstring). Returns the groups padded."""
    from onnx import AttributeProto

    g = _Graph(model)
    if g.inputs & set(g.init) or any(a.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS)
                                     for n in g.graph.node for a in n.attribute):
        return 0  # initializers as inputs (overridable) or control flow: not touched
    done = 0
    for dw in list(g.graph.node):
        if not _is_depthwise(g, dw):  # (a group padded already is a multiple now)
            continue
        channels = int(_attr(dw, "group", 1))
        if channels % multiple == 0:
            continue
        group = _channel_group(g, dw)
        if group is None:
            log.debug("depthwise conv %s (%d channels) left as it is", dw.name, channels)
            continue
        tensors, edits = group
        extra = -channels % multiple
        for node, role in edits:
            w = g.weight(node)
            assert w is not None
            if role in ("out", "dw"):
                g.set_input(node, 1, _pad(w, 0, extra), "pad")
                if len(node.input) > 2 and node.input[2]:
                    g.set_input(node, 2, _pad(g.consts[node.input[2]], 0, extra), "pad")
                if role == "dw":
                    for a in node.attribute:
                        if a.name == "group":
                            a.i = channels + extra
            else:
                g.set_input(node, 1, _pad(w, 1, extra), "pad")
        keep = [v for v in g.graph.value_info if v.name not in tensors]
        del g.graph.value_info[:]
        g.graph.value_info.extend(keep)
        done += 1
    if done:
        g.drop_replaced_initializers()
    return done


def prepare_for_cpu(data: bytes, multiple: int | None = None) -> tuple[bytes, int]:
    """The model bytes with ``pad_depthwise_channels`` applied for this CPU (or for
    ``multiple``) and the number of groups padded; the input bytes and 0 where nothing
    applies or the rewrite fails."""
    multiple = cpu_channel_multiple() if multiple is None else multiple
    if not multiple or multiple < 2:
        return data, 0
    import onnx

    try:
        model = onnx.load_model_from_string(data)
    except Exception:  # not readable: the runtime's own loader says what is wrong
        return data, 0
    try:
        padded = pad_depthwise_channels(model, multiple)
    except Exception as exc:  # a graph this rewrite does not understand: run it as it is
        log.warning("graph rewrite skipped (%s); the model runs unchanged", exc)
        return data, 0
    if not padded:
        return data, 0
    log.info("%d depthwise channel groups padded to multiples of %d for the CPU kernels",
             padded, multiple)
    return model.SerializeToString(), padded
