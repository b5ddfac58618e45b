"""Training checkpoints: what they hold, writing them atomically, reading them safely.

A checkpoint is a dict that loads with ``torch.load(weights_only=True)``:

- ``model``: the whole EPAM-Net state dict (keys ``rgb.*``, ``pose.*``, ``attention.*``),
  whatever the phase, so every checkpoint exports with ``python -m deploy.export``;
- ``meta``: plain values: ``class_names``, ``sample_rate_hz``, ``sampling``, ``phase``,
  ``trained_streams``, ``epoch``, metrics, ... (copied into the ONNX provenance);
- ``optimizer``, ``scheduler``, ``scaler``: their state dicts;
- ``progress``: ``epoch`` (the epoch in progress), ``step_in_epoch`` (batches of it done),
  ``global_step``, ``complete`` (the run finished);
- ``rng``: torch (CPU and CUDA), numpy and Python generator states;
- ``format``: ``FORMAT``.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

__all__ = [
    "FORMAT",
    "CheckpointError",
    "capture_rng",
    "load_state_strict",
    "load_stream_weights",
    "read_checkpoint",
    "restore_rng",
    "write_checkpoint",
]

log = logging.getLogger(__name__)
FORMAT = "epam-train/1"
_REQUIRED = ("model", "meta", "optimizer", "scheduler", "progress", "rng")


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt or does not fit the run; the message says why."""


# ------------------------------------------------------------------ RNG states


def capture_rng() -> dict[str, Any]:
    """Every generator a training step may draw from, as weights_only-safe values."""
    np_state: tuple[Any, ...] = tuple(np.random.get_state(legacy=True))
    py_state = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
                  "pos": int(np_state[2]), "has_gauss": int(np_state[3]),
                  "cached_gaussian": float(np_state[4])},
        "python": [int(py_state[0]), [int(v) for v in py_state[1]], py_state[2]],
    }


def restore_rng(state: Mapping[str, Any]) -> None:
    """Restore what ``capture_rng`` captured (CUDA states only where CUDA is present)."""
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available():
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
        else:
            log.warning("checkpoint has %d CUDA RNG states, this machine %d GPUs; CUDA RNG "
                        "not restored", len(cuda), torch.cuda.device_count())
    npst = state["numpy"]
    np.random.set_state(("MT19937", npst["keys"].numpy().astype(np.uint32), npst["pos"],
                         npst["has_gauss"], npst["cached_gaussian"]))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


# ------------------------------------------------------------------ files


def write_checkpoint(path: Path, checkpoint: Mapping[str, Any]) -> Path:
    """Save ``checkpoint`` to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    torch.save(dict(checkpoint, format=FORMAT), tmp)
    tmp.replace(path)
    return path


def read_checkpoint(path: Path, *, training_state: bool = True) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True``; ``CheckpointError`` on any problem.

    Args:
        training_state: require the optimizer/scheduler/progress/RNG entries (for
            ``--resume``); False accepts any dict with ``model`` (weights for init or eval).
    """
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt or foreign file
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise CheckpointError(
            f"checkpoint {path} cannot be read ({exc.__class__.__name__}: {first}); it is "
            "truncated, corrupt, or not a checkpoint written by this trainer") from exc
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("model"), Mapping):
        raise CheckpointError(f"checkpoint {path} holds no model weights (expected a dict "
                              "with 'model')")
    if training_state:
        missing = [k for k in _REQUIRED if k not in ckpt]
        if missing or ckpt.get("format") != FORMAT:
            raise CheckpointError(
                f"checkpoint {path} cannot be resumed: it lacks {', '.join(missing) or 'the '}"
                f"{'' if missing else 'format tag ' + FORMAT} (only checkpoints written by "
                "`python -m train fit` carry the training state)")
    return ckpt


def load_state_strict(module: nn.Module, state: Mapping[str, torch.Tensor], what: str) -> None:
    """``load_state_dict(strict=True)`` with an error that lists the mismatches."""
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
              if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:3])})")
        if shapes:
            parts.append(f"{len(shapes)} shape mismatches (e.g. {'; '.join(shapes[:2])})")
        raise CheckpointError(f"{what} does not match the model: {'; '.join(parts)}")
    module.load_state_dict(state, strict=True)


def load_stream_weights(
    stream: nn.Module,
    path: Path,
    name: Literal["pose", "rgb"],
    *,
    class_names: list[str] | None = None,
) -> dict[str, Any]:
    """Load stream ``name`` of EPAM-Net from a checkpoint into ``stream``.

    Accepts this trainer's checkpoints (``model`` = EPAM-Net state, the ``<name>.*`` keys
    are taken) and bare stream state dicts. Warns when the checkpoint says it did not
    train that stream; raises ``CheckpointError`` on class mismatches.

    Returns:
        the checkpoint's ``meta`` (empty for bare state dicts).
    """
    ckpt = read_checkpoint(path, training_state=False) if path.is_file() else None
    if ckpt is None:
        raise CheckpointError(f"{name} stream checkpoint {path} does not exist; train the "
                              f"{name} phase first or set phases.joint.init_{name}")
    state = ckpt["model"]
    meta = dict(ckpt.get("meta") or {})
    prefix = f"{name}."
    if any(k.startswith(prefix) for k in state):
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    trained = meta.get("trained_streams")
    if trained is not None and name not in trained:
        raise CheckpointError(f"{path} did not train the {name} stream (trained: "
                              f"{', '.join(trained) or 'none'}); give the {name}-phase "
                              "checkpoint")
    names = meta.get("class_names")
    if class_names is not None and names is not None and list(names) != list(class_names):
        raise CheckpointError(f"{path} was trained on other classes ({len(names)}: "
                              f"{', '.join(map(str, names[:4]))}...) than this run "
                              f"({len(class_names)}: {', '.join(class_names[:4])}...)")
    load_state_strict(stream, state, f"{name} stream checkpoint {path}")
    log.info("loaded the %s stream from %s", name, path)
    return meta
