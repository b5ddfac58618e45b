"""EPAM-Net training: PYSKL datasets, the three-phase engine (AMP, DDP), evaluation, and
data preparation (keypoint extraction from videos, research skeleton converters).

Command line: ``python -m train --help``. Nothing heavy is imported here; use the
submodules (``train.engine.Trainer``, ``train.dataset.ClipDataset``, ...).
"""
