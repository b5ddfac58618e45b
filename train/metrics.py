"""Classification metrics: top-1, mean class accuracy, per-class accuracy, confusion matrix.

Top-1 is what NTU RGB+D reports; mean class accuracy (the mean of per-class recalls)
is what Toyota Smarthome reports. Classes absent from the evaluated set are left out of
the mean (their accuracy is NaN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["ClassificationReport", "confusion_matrix", "report", "save_confusion_png"]

IntArray = npt.NDArray[np.int64]


def confusion_matrix(labels: Sequence[int], preds: Sequence[int], num_classes: int) -> IntArray:
    """``(C, C)`` counts; row = true class, column = predicted class."""
    y = np.asarray(labels, dtype=np.int64)
    p = np.asarray(preds, dtype=np.int64)
    if y.shape != p.shape:
        raise ValueError(f"{y.shape[0]} labels but {p.shape[0]} predictions")
    if y.size and (min(y.min(), p.min()) < 0 or max(y.max(), p.max()) >= num_classes):
        raise ValueError(f"labels and predictions must be in 0..{num_classes - 1}")
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y, p), 1)
    return cm


@dataclass(frozen=True)
class ClassificationReport:
    """Metrics of one evaluation (accuracies are fractions 0-1)."""

    top1: float
    mean_class_accuracy: float
    per_class_accuracy: list[float]  # NaN for classes with no sample
    confusion: IntArray
    count: int

    def as_dict(self, class_names: Sequence[str]) -> dict[str, object]:
        return {
            "count": self.count,
            "top1": self.top1,
            "mean_class_accuracy": self.mean_class_accuracy,
            "per_class_accuracy": {
                name: (None if np.isnan(acc) else acc)
                for name, acc in zip(class_names, self.per_class_accuracy, strict=True)
            },
            "confusion_matrix": self.confusion.tolist(),
        }


def report(labels: Sequence[int], preds: Sequence[int], num_classes: int) -> ClassificationReport:
    """All metrics from true labels and predicted classes."""
    cm = confusion_matrix(labels, preds, num_classes)
    total = int(cm.sum())
    support = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(support > 0, np.diag(cm) / np.maximum(support, 1), np.nan)
    present = per_class[~np.isnan(per_class)]
    return ClassificationReport(
        top1=float(np.trace(cm) / total) if total else float("nan"),
        mean_class_accuracy=float(present.mean()) if present.size else float("nan"),
        per_class_accuracy=[float(v) for v in per_class],
        confusion=cm,
        count=total,
    )


def save_confusion_png(
    confusion: IntArray, class_names: Sequence[str], path: Path, *, title: str = ""
) -> Path:
    """Draw the row-normalised confusion matrix (with counts when it is small) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(class_names)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.3 * n + 3)
    fig, ax = plt.subplots(figsize=(size, size))
    try:
        im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(n), labels=class_names, rotation=90, fontsize=7 if n > 20 else 9)
        ax.set_yticks(range(n), labels=class_names, fontsize=7 if n > 20 else 9)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        if title:
            ax.set_title(title)
        if n <= 20:
            for i in range(n):
                for j in range(n):
                    if confusion[i, j]:
                        ax.text(j, i, str(confusion[i, j]), ha="center", va="center",
                                fontsize=8, color="white" if norm[i, j] > 0.5 else "black")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path
