"""Real EPAM-Net input windows for INT8 calibration and for validating exported variants.

The windows are made by the code that makes them for the model elsewhere, so
calibration sees what the model sees: a video goes through the edge app's capture,
pose and window code (``python -m edge_app.calibration``), a PYSKL dataset pickle with
its videos (``--video-root``) through the training dataset (``python -m
train.calibration``). ``deploy`` imports neither package (DESIGN's package table): it
runs them as programs, which save a ``model.windows.WindowSet`` to a ``.npz`` that is
read back here. A saved ``.npz`` is read directly, so a slow extraction is done once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from deploy.programs import run_module, why_failed
from model.windows import CalibrationError, WindowSet

__all__ = [
    "CalibrationError",
    "WindowSet",
    "load_windows",
]


def _made_by(module: str, args: list[str]) -> WindowSet:
    """Run ``python -m module --out TMP.npz ARGS`` and read the windows it saved;
    ``CalibrationError`` with the program's ``error:`` line (``model.windows.save_windows``)
    when it fails."""
    with tempfile.TemporaryDirectory(prefix="epam-windows-") as tmp:
        out = Path(tmp) / "windows.npz"
        proc = run_module(module, ["--out", str(out), *args])
        if proc.returncode != 0 or not out.is_file():
            raise CalibrationError(why_failed(module, proc))
        return WindowSet.load(out)


def load_windows(
    source: str | Path | None = None,
    *,
    max_windows: int = 32,
    sample_rate_hz: float = 15.0,
    sampling: str = "rate",
    video_root: str | Path | None = None,
    split: str | None = None,
    stride: int = 16,
) -> WindowSet:
    """Windows from ``source``: a saved ``.npz``, a PYSKL ``.pkl`` (with ``video_root``),
    or a video file (None: the edge app's bundled demo video)."""
    if source is not None and Path(source).suffix == ".npz":
        windows = WindowSet.load(Path(source))
        return windows.subset(slice(0, max_windows))
    if source is not None and Path(source).suffix in (".pkl", ".pickle"):
        if video_root is None:
            raise CalibrationError(f"{source} holds keypoints only; INT8 calibration needs RGB "
                                   "too: give --video-root (the folder of the clips' videos) "
                                   "or calibrate on a video")
        split_args = ["--split", split] if split is not None else []
        return _made_by("train.calibration", [
            "--video-root", str(video_root), *split_args, "--max-windows", str(max_windows),
            "--sampling", sampling, "--rate", str(sample_rate_hz), "--", str(source)])
    video = ["--", str(source)] if source is not None else []
    return _made_by("edge_app.calibration", [
        "--rate", str(sample_rate_hz), "--stride", str(stride),
        "--max-windows", str(max_windows), *video])
