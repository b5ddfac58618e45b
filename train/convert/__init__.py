"""Converters from research skeleton datasets to PYSKL pickles of 2D COCO-17 keypoints.

- ``utkinect``: UTKinect-Action3D, Kinect v1 3D joints, projected to 2D;
- ``msr_action3d``: MSR Action3D, Kinect 3D joints in its own order, projected to 2D;
- ``urfd``: UR Fall Detection AlphaPose CSV (13 COCO keypoints, normalised).

They read the data where it lies (e.g. ``../shared/data/skeletons``) and write a pickle
wherever ``--out`` says; the data is never copied into the repository.
"""

from __future__ import annotations

__all__ = ["CONVERTERS"]

CONVERTERS: tuple[str, ...] = ("utkinect", "msr_action3d", "urfd")
