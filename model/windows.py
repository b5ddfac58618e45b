"""Sets of EPAM-Net input windows: ``N`` (pose, RGB) pairs in the contract's shapes.

What INT8 calibration and the validation of exported variants run on. The edge app
makes them from a video (``python -m edge_app.calibration``), training from a PYSKL
pickle (``python -m train.calibration``); ``deploy`` reads them from the ``.npz`` a
``WindowSet`` saves to. Numpy only (never imports torch).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from model import contract as C

__all__ = ["ERROR_PREFIX", "CalibrationError", "WindowSet", "save_windows"]

FloatArray = npt.NDArray[np.float32]
ERROR_PREFIX = "error: "  # starts the stderr line that says why no windows were made


class CalibrationError(RuntimeError):
    """No usable windows could be made from the given source."""


@dataclass(frozen=True)
class WindowSet:
    """``N`` model inputs: ``pose`` ``(N, 17, 48, 56, 56)`` and ``rgb`` ``(N, 3, 16, 224, 224)``.

    ``end_times`` are the windows' end times in the source timeline (s); ``source``
    says where they came from (recorded in the variants' metadata).
    """

    pose: FloatArray
    rgb: FloatArray
    end_times: npt.NDArray[np.float64]
    source: str

    def __post_init__(self) -> None:
        n = len(self.pose)
        if self.pose.shape[1:] != (C.NUM_KEYPOINTS, C.CLIP_LEN, C.HEATMAP_SIZE, C.HEATMAP_SIZE):
            raise ValueError(f"pose windows have shape {self.pose.shape}")
        if self.rgb.shape != (n, 3, C.RGB_FRAMES, C.RGB_SIZE, C.RGB_SIZE):
            raise ValueError(f"rgb windows have shape {self.rgb.shape} for {n} pose windows")

    def __len__(self) -> int:
        return len(self.pose)

    def feeds(self) -> Iterator[dict[str, FloatArray]]:
        """One ONNX Runtime feed per window (batch 1)."""
        for i in range(len(self)):
            yield {"pose_heatmaps": self.pose[i : i + 1], "rgb": self.rgb[i : i + 1]}

    def subset(self, index: slice | npt.NDArray[np.int64]) -> WindowSet:
        return WindowSet(self.pose[index], self.rgb[index], self.end_times[index], self.source)

    def split(self) -> tuple[WindowSet, WindowSet]:
        """(calibration, validation): even and odd windows, so validation is held out.

        With fewer than 4 windows both halves are the whole set.
        """
        if len(self) < 4:
            return self, self
        return self.subset(slice(0, None, 2)), self.subset(slice(1, None, 2))

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, pose=self.pose, rgb=self.rgb, end_times=self.end_times,
                            source=np.array(self.source))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> WindowSet:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["pose"].astype(np.float32), z["rgb"].astype(np.float32),
                       z["end_times"].astype(np.float64), str(z["source"]))


def save_windows(make: Callable[[], WindowSet], out: Path) -> int:
    """The end of a program that makes windows: ``make()`` saved to ``out`` (exit status
    0), or its ``CalibrationError`` as one ``error: ...`` line on stderr (exit status 1),
    which ``deploy.calibration`` reports."""
    try:
        windows = make()
    except CalibrationError as exc:
        print(f"{ERROR_PREFIX}{exc}", file=sys.stderr)
        return 1
    windows.save(out)
    return 0
