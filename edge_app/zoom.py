"""Where to look again, closer, for a person too small for the pose detector.

MediaPipe's pose detector sees the whole frame at 224x224: a person 60 pixels tall in a
640x360 ceiling-corner picture is 20 pixels there, and is often never found (real care
home CCTV gave no keypoints at all for two falls). Its landmark model, once it has a
region, works on the frame's own pixels. So the pose tracker (``edge_app.pose``) asks
this module for a region of the frame to run the pose model on again, enlarged:

- around the person just found, when they are small in the picture: the longest their
  box has been over the last ``size_memory_s`` seconds is short (so someone close to the
  camera who crouches, bends or lies down is not "small"; someone far away is);
- around where they were last seen, for ``keep_s``, when the frame shows nobody (the
  detector lost them, as it often does when someone small goes down);
- otherwise, one tile of a grid of overlapping tiles in turn (``search_grid`` x
  ``search_grid``, each ``2 / (search_grid + 1)`` of the frame: 3x3 half-size tiles by
  default), every ``search_every`` calls, until someone is found (a small person walking
  in).

Pure geometry, no MediaPipe: regions are ``(x0, y0, x1, y1)`` pixels of the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Region", "ZoomPlanner", "person_box"]

Region = tuple[int, int, int, int]

MIN_SIDE = 64  # smallest region worth a call (pixels)


def person_box(keypoints: npt.NDArray[np.float32], scores: npt.NDArray[np.float32],
               min_score: float = 0.3) -> tuple[float, float, float, float] | None:
    """Box ``(x0, y0, x1, y1)`` of one person's joints scored ``min_score`` or more."""
    ok = scores >= min_score
    if int(ok.sum()) < 3:
        return None
    pts = keypoints[ok]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


@dataclass
class ZoomPlanner:
    """Decides, frame by frame, which region (if any) to look at again.

    Args:
        min_height: a person whose box's longer side is less than this share of the
            frame's height is small: look again around them.
        margin: the region is a square of side ``(1 + 2 * margin)`` times the box's
            longer side, centred on it (clipped to the frame).
        keep_s: how long after the person was last seen to look where they were.
        search_every: with nobody seen or remembered, look at one tile every this many
            calls (0: never search).
        search_grid: tiles per side of the search grid (3: nine half-size tiles; 5:
            25 third-size tiles, people three times as large to the pose model).
    """

    min_height: float = 0.3
    margin: float = 0.75
    keep_s: float = 2.0
    search_every: int = 3
    size_memory_s: float = 5.0
    search_grid: int = 3

    def __post_init__(self) -> None:
        self._last_box: tuple[float, float, float, float] | None = None
        self._last_seen = -np.inf
        self._calls = 0
        self._tile = 0
        self._sizes: list[tuple[float, float]] = []  # (time, box's longer side)

    def reset(self) -> None:
        self.__post_init__()

    def seen(self, box: tuple[float, float, float, float], t: float) -> None:
        """The person was found at ``box`` at time ``t`` (s)."""
        self._last_box = box
        self._last_seen = t
        self._sizes = [(ti, s) for ti, s in self._sizes if t - ti <= self.size_memory_s]
        self._sizes.append((t, max(box[2] - box[0], box[3] - box[1])))

    def small(self, box: tuple[float, float, float, float], size: tuple[int, int]) -> bool:
        """The person is small in the picture: the longest side their box has had over
        the last ``size_memory_s`` (their height standing, their length lying) is less
        than ``min_height`` of the picture's height. Someone close who crouches or lies
        down is not small, only low."""
        longest = max((s for _, s in self._sizes), default=0.0)
        longest = max(longest, box[2] - box[0], box[3] - box[1])
        return longest < self.min_height * size[1]

    def around(self, box: tuple[float, float, float, float], size: tuple[int, int]
               ) -> Region | None:
        w, h = size
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        side = max(box[2] - box[0], box[3] - box[1], 1.0) * (1 + 2 * self.margin)
        side = min(max(side, MIN_SIDE), max(w, h))
        x0 = round(min(max(cx - side / 2, 0), max(w - side, 0)))
        y0 = round(min(max(cy - side / 2, 0), max(h - side, 0)))
        x1, y1 = min(w, round(x0 + side)), min(h, round(y0 + side))
        if x1 - x0 < MIN_SIDE // 2 or y1 - y0 < MIN_SIDE // 2:
            return None
        return x0, y0, x1, y1

    def tile(self, index: int, size: tuple[int, int]) -> Region:
        """Tile ``index`` of the ``search_grid`` x ``search_grid`` grid of tiles
        overlapping by half (3: half-size tiles)."""
        n = max(1, self.search_grid)
        w, h = size
        tw, th = 2 * w // (n + 1), 2 * h // (n + 1)
        i, j = index % n, (index // n) % n
        x0 = i * (w - tw) // (n - 1) if n > 1 else 0
        y0 = j * (h - th) // (n - 1) if n > 1 else 0
        return x0, y0, x0 + tw, y0 + th

    def plan(self, found: tuple[float, float, float, float] | None, size: tuple[int, int],
             t: float) -> Region | None:
        """The region to look at again, given the main person the full frame gave
        (``found``, None: nobody), or None."""
        self._calls += 1
        if found is not None:
            self.seen(found, t)
            return self.around(found, size) if self.small(found, size) else None
        if self._last_box is not None and t - self._last_seen <= self.keep_s:
            return self.around(self._last_box, size)
        if self.search_every <= 0 or self._calls % self.search_every:
            return None
        region = self.tile(self._tile, size)
        self._tile = (self._tile + 1) % (max(1, self.search_grid) ** 2)
        return region
