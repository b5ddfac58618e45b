"""Synthetic daily-living motion for training EPAM-Net.

A parametric 3D body (``body``) performs each ADL class (``motions``) in a room
(``scene``) seen by a home camera (``camera``); the projected COCO-17 keypoints get the
jitter, scores and dropouts MediaPipe shows on real video (``noise``, measured by
``measure_noise`` into ``noise_profile.json``); ``render`` draws RGB frames;
``generate`` writes a PYSKL-format data set. Run ``python -m train.synth --help``.

Importing this package is light: numpy only (OpenCV is imported when rendering).
"""

from __future__ import annotations

from train.synth.generate import SynthConfig, generate_dataset, synth_clip
from train.synth.noise import NoiseConfig, NoiseModel, load_profile

__all__ = ["NoiseConfig", "NoiseModel", "SynthConfig", "generate_dataset", "load_profile",
           "synth_clip"]
