"""Ring buffer of pose samples and the online window builder.

The buffer holds the last 48 samples taken at the window's own rate: a downscaled RGB
frame (for the RGB crops; bounded memory whatever the camera resolution), keypoints
in source pixels and scores. Every ``stride`` samples the builder turns the window into
the model's inputs with the numpy contract (``model.contract``): one global box over
the window, per-sample heatmaps (cached and reused while the box holds), and the RGB
crops of samples 0, 3, ..., 45 — identical to what training computes offline.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from model import contract as C

__all__ = ["RingBuffer", "Sample", "Window", "WindowBuilder", "downscale", "same_person"]


@dataclass
class Sample:
    """One sample of the window.

    ``frame``: RGB uint8 downscaled by ``scale`` (None in pose-only mode);
    ``keypoints`` ``(P, 17, 2)`` source pixels and ``scores`` ``(P, 17)``, padded to the
    tracker's ``P`` persons with zero scores; ``time`` in the source timeline (s).
    """

    time: float
    frame: npt.NDArray[np.uint8] | None
    scale: float
    keypoints: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    image_size: tuple[int, int]  # source (width, height)
    persons: int
    # the tracker's id per slot (edge_app.track; 0: empty); None: no tracker
    track_ids: npt.NDArray[np.int64] | None = None
    # heatmap cache: (box, heatmaps (17, 56, 56))
    cached_box: C.Box | None = None
    cached_keep: tuple[bool, ...] | None = None
    cached_heatmaps: npt.NDArray[np.float32] | None = None


@dataclass(frozen=True)
class Window:
    """The model's inputs for one window plus what the app needs to report it."""

    pose: npt.NDArray[np.float32]  # (17, 48, 56, 56)
    rgb: npt.NDArray[np.float32] | None  # (3, 16, 224, 224) or None (pose-only)
    box: C.Box
    start_time: float
    end_time: float
    person_fraction: float
    image_size: tuple[int, int]


def same_person(samples: list[Sample], discredited: Collection[int] = ()
                ) -> npt.NDArray[np.bool_]:
    """``(P, T)``: which samples show a person, not a discredited track.

    ``discredited``: ids of tracks that a more confident detection elsewhere displaced
    (``edge_app.track``): they followed someone or something else than the person and
    are left out, so one window shows the person alone. Without ids every sample
    counts.
    """
    persons = samples[0].keypoints.shape[0] if samples else 0
    keep = np.ones((persons, len(samples)), dtype=bool)
    if not discredited:
        return keep
    for t, s in enumerate(samples):
        if s.track_ids is not None:
            keep[:, t] = [int(i) not in discredited for i in s.track_ids]
    return keep


def downscale(frame: npt.NDArray[np.uint8], max_side: int) -> tuple[npt.NDArray[np.uint8], float]:
    """Shrink so the longer side is at most ``max_side``; returns the frame and its scale."""
    import cv2

    h, w = frame.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return frame, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), np.uint8), scale


class RingBuffer:
    """The last ``capacity`` samples (48); counts samples pushed since the last window."""

    def __init__(self, capacity: int = C.CLIP_LEN) -> None:
        self.capacity = capacity
        self._items: deque[Sample] = deque(maxlen=capacity)
        self.pushed = 0

    def push(self, sample: Sample) -> None:
        self._items.append(sample)
        self.pushed += 1

    @property
    def full(self) -> bool:
        return len(self._items) == self.capacity

    def __len__(self) -> int:
        return len(self._items)

    def samples(self) -> list[Sample]:
        return list(self._items)

    def clear(self) -> None:
        self._items.clear()
        self.pushed = 0


class WindowBuilder:
    """Turns the buffer's samples into a ``Window`` with the numpy contract.

    ``stats`` counts heatmaps reused from the cache against those rendered.
    """

    def __init__(self) -> None:
        self.reused = 0
        self.rendered = 0

    def build(self, samples: list[Sample], *, with_rgb: bool,
              keep: npt.NDArray[np.bool_] | None = None) -> Window:
        """``keep`` ``(P, T)``: the samples that show a person (``same_person``); all
        of them when None."""
        if len(samples) != C.CLIP_LEN:
            raise ValueError(f"a window needs {C.CLIP_LEN} samples, got {len(samples)}")
        if keep is None:
            keep = np.ones((samples[0].keypoints.shape[0], len(samples)), dtype=bool)
        kp = np.stack([s.keypoints for s in samples], axis=1)  # (P, T, 17, 2)
        sc = np.stack([s.scores for s in samples], axis=1) * keep[..., None]  # (P, T, 17)
        image_size = samples[-1].image_size
        box = C.compute_box(kp, image_size, sc)
        pose = np.empty((C.NUM_KEYPOINTS, C.CLIP_LEN, C.HEATMAP_SIZE, C.HEATMAP_SIZE),
                        dtype=np.float32)
        for t, s in enumerate(samples):
            kept = tuple(bool(k) for k in keep[:, t])
            if s.cached_box != box or s.cached_keep != kept or s.cached_heatmaps is None:
                hk = C.keypoints_to_heatmap_space(s.keypoints, box)  # (P, 17, 2)
                hm = C.render_heatmaps(hk, sc[:, t])  # (P, 17, 56, 56)
                s.cached_heatmaps = hm.max(axis=0) if hm.shape[0] > 1 else hm[0]
                s.cached_box = box
                s.cached_keep = kept
                self.rendered += 1
            else:
                self.reused += 1
            pose[:, t] = s.cached_heatmaps
        rgb = None
        if with_rgb:
            chosen = [samples[int(i)] for i in C.rgb_indices()]
            if any(s.frame is None for s in chosen):
                raise ValueError("RGB requested but the window holds pose-only samples")
            rgb = np.empty((3, C.RGB_FRAMES, C.RGB_SIZE, C.RGB_SIZE), dtype=np.float32)
            for j, s in enumerate(chosen):
                assert s.frame is not None
                fh, fw = s.frame.shape[:2]
                scaled = C.Box(
                    min(int(box.x0 * s.scale), fw - 1), min(int(box.y0 * s.scale), fh - 1),
                    max(min(int(np.ceil(box.x1 * s.scale)), fw), int(box.x0 * s.scale) + 1),
                    max(min(int(np.ceil(box.y1 * s.scale)), fh), int(box.y0 * s.scale) + 1),
                )
                C.crop_resize_rgb([s.frame], scaled, out=rgb[:, j : j + 1])
        person_fraction = float(np.mean(sc.max(axis=(0, 2)) > 0))
        return Window(pose, rgb, box, samples[0].time, samples[-1].time, person_fraction,
                      image_size)
