"""The metrics log of a run: one CSV row per event, TensorBoard scalars when installed.

``metrics.csv`` columns: ``time`` (Unix seconds), ``phase``, ``split`` (train/val),
``epoch``, ``step`` (global iteration), ``loss``, ``top1``, ``mean_class_acc``, ``lr``,
``clips_per_s``. Empty cells mean "not measured in this row". Appending is safe across
resumes: the header is written once.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any

__all__ = ["COLUMNS", "MetricsLog"]

log = logging.getLogger(__name__)
COLUMNS = ("time", "phase", "split", "epoch", "step", "loss", "top1", "mean_class_acc", "lr",
           "clips_per_s")


class MetricsLog:
    """Appends rows to ``<folder>/metrics.csv`` and, if possible, TensorBoard events."""

    def __init__(self, folder: Path, *, phase: str, tensorboard: bool = True) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "metrics.csv"
        self.phase = phase
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._file = self.path.open("a", newline="", encoding="utf-8")
        self._csv = csv.DictWriter(self._file, fieldnames=COLUMNS)
        if new:
            self._csv.writeheader()
        self._tb: Any = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                log.debug("tensorboard not installed; metrics go to %s only", self.path)
            else:
                self._tb = SummaryWriter(str(folder / "tensorboard"))

    def write(self, *, split: str, epoch: int, step: int, **values: float | None) -> None:
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}; columns are {COLUMNS}")
        row: dict[str, Any] = {"time": f"{time.time():.3f}", "phase": self.phase,
                               "split": split, "epoch": epoch, "step": step}
        for key, value in values.items():
            row[key] = "" if value is None else f"{value:.6g}"
        self._csv.writerow(row)
        self._file.flush()
        if self._tb is not None:
            for key, value in values.items():
                if value is not None:
                    self._tb.add_scalar(f"{split}/{key}", value, step)

    def close(self) -> None:
        self._file.close()
        if self._tb is not None:
            self._tb.close()
