"""EPAM-Net: the network (PyTorch), its numpy input contract and label sets.

Importing ``model`` (or ``model.contract`` / ``model.labels``) never imports torch;
the network classes load torch lazily on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from model.labels import ADL_CLASSES, LABEL_SETS, NTU60_CLASSES, get_label_set

if TYPE_CHECKING:
    from model.epamnet import EPAMNet, build_epamnet
    from model.xshiftnet import XShiftNet, pose_xshiftnet, rgb_xshiftnet

__all__ = [
    "ADL_CLASSES",
    "LABEL_SETS",
    "NTU60_CLASSES",
    "EPAMNet",
    "XShiftNet",
    "build_epamnet",
    "get_label_set",
    "pose_xshiftnet",
    "rgb_xshiftnet",
]

_LAZY = {
    "EPAMNet": "model.epamnet",
    "build_epamnet": "model.epamnet",
    "XShiftNet": "model.xshiftnet",
    "pose_xshiftnet": "model.xshiftnet",
    "rgb_xshiftnet": "model.xshiftnet",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
