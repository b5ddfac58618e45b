"""MediaPipe Tasks PoseLandmarker (VIDEO mode) mapped to COCO-17 with scores.

Used by the edge pipeline and by ``train.extract`` (so training and the edge see the
same keypoints). Frames are RGB ``uint8``; keypoints come back in the pixels of the
frame that was passed in, whatever size MediaPipe worked on.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge_app.config import PoseConfig
from edge_app.zoom import ZoomPlanner, person_box
from model.contract import NUM_KEYPOINTS, mediapipe_to_coco

__all__ = ["PoseError", "PoseResult", "PoseTracker"]

log = logging.getLogger(__name__)


class PoseError(RuntimeError):
    """The pose model cannot be loaded or run (missing, truncated, wrong file)."""


@dataclass(frozen=True)
class PoseResult:
    """Persons found in one frame: keypoints ``(M, 17, 2)`` pixels, scores ``(M, 17)`` 0-1.

    ``M`` is 0 when nobody is seen.
    """

    keypoints: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]

    @property
    def num_persons(self) -> int:
        return int(self.keypoints.shape[0])

    @classmethod
    def empty(cls) -> PoseResult:
        return cls(
            np.zeros((0, NUM_KEYPOINTS, 2), dtype=np.float32),
            np.zeros((0, NUM_KEYPOINTS), dtype=np.float32),
        )


def _check_bundle(path: Path) -> None:
    if not path.is_file():
        raise PoseError(f"pose model {path} does not exist; set pose.model_path to a MediaPipe "
                        "PoseLandmarker .task file (the bundled one is "
                        "assets/models/pose_landmarker_full.task)")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError) as exc:
        raise PoseError(f"pose model {path} is not a valid .task bundle ({exc}); it may be "
                        "truncated: copy it again") from exc
    if bad is not None or not {"pose_detector.tflite", "pose_landmarks_detector.tflite"} <= names:
        raise PoseError(f"pose model {path} is damaged or not a PoseLandmarker bundle "
                        f"(contains {sorted(names)})")


class PoseTracker:
    """MediaPipe PoseLandmarker in VIDEO mode.

    Args:
        model_path: the ``.task`` bundle.
        num_poses: persons tracked at once.
        max_side: frames are downscaled so their longer side is at most this before
            MediaPipe sees them (keypoints are returned in the original pixels).
        zoom: look again, closer, at a region of the frame where a small person is or
            was (``edge_app.zoom``); None: the whole frame only.
        zoom_side: the region is resized so its longer side is this (pixels).

    Timestamps passed to ``process`` must increase; the tracker enforces it (VIDEO mode
    rejects repeats) by nudging equal or earlier ones forward by 1 ms.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        num_poses: int = 1,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        max_side: int = 640,
        zoom: ZoomPlanner | None = None,
        zoom_side: int = 256,
    ) -> None:
        path = Path(model_path)
        _check_bundle(path)
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        try:
            self._landmarker: vision.PoseLandmarker | None = (
                vision.PoseLandmarker.create_from_options(options)
            )
        except Exception as exc:  # mediapipe raises RuntimeError/ValueError variants
            raise PoseError(f"MediaPipe could not load {path}: {exc}") from exc
        self.max_side = max_side
        self.num_poses = num_poses
        self._last_ts = -1
        self.model_path = path
        self.zoom = zoom
        self.zoom_side = zoom_side
        self.zoom_calls = 0  # regions looked at again
        self.zoom_found = 0  # ... in which a person was found
        self._crop: vision.PoseLandmarker | None = None
        if zoom is not None:
            crop_options = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(path)),
                running_mode=vision.RunningMode.IMAGE, num_poses=1,
                min_pose_detection_confidence=min_detection_confidence,
                min_pose_presence_confidence=min_presence_confidence,
                min_tracking_confidence=min_tracking_confidence)
            try:
                self._crop = vision.PoseLandmarker.create_from_options(crop_options)
            except Exception as exc:
                self.close()
                raise PoseError(f"MediaPipe could not load {path}: {exc}") from exc

    @classmethod
    def from_config(cls, cfg: PoseConfig, model_path: str | Path, *,
                    num_poses: int | None = None, max_side: int | None = None
                    ) -> PoseTracker:
        """A tracker with the thresholds and zoom of ``cfg`` (``pose`` in the app config);
        ``num_poses``/``max_side`` override the config's."""
        z = cfg.zoom
        return cls(model_path, num_poses=cfg.num_poses if num_poses is None else num_poses,
                   min_detection_confidence=cfg.min_detection_confidence,
                   min_presence_confidence=cfg.min_presence_confidence,
                   min_tracking_confidence=cfg.min_tracking_confidence,
                   max_side=cfg.max_side if max_side is None else max_side,
                   zoom=ZoomPlanner(z.min_height, z.margin, z.keep_s, z.search_every,
                                    search_grid=z.search_grid)
                   if z.enabled else None, zoom_side=z.side)

    def process(self, frame_rgb: npt.NDArray[np.uint8], timestamp_s: float) -> PoseResult:
        """Keypoints of the persons in ``frame_rgb`` ``(H, W, 3)`` at ``timestamp_s``."""
        res = self._process_frame(frame_rgb, timestamp_s)
        if self.zoom is None:
            return res
        h, w = frame_rgb.shape[:2]
        boxes = [person_box(res.keypoints[i], res.scores[i]) for i in range(res.num_persons)]
        scored = [(float(res.scores[i].mean()), b) for i, b in enumerate(boxes) if b is not None]
        main = max(scored)[1] if scored else None
        region = self.zoom.plan(main, (w, h), timestamp_s)
        if region is None:
            return res
        closer = self._process_region(frame_rgb, region)
        self.zoom_calls += 1
        if closer.num_persons == 0:
            return res
        self.zoom_found += 1
        box = person_box(closer.keypoints[0], closer.scores[0])
        if box is not None:
            self.zoom.seen(box, timestamp_s)
        return _merge(res, boxes, closer, region, self.num_poses)

    def _process_region(self, frame_rgb: npt.NDArray[np.uint8], region: tuple[int, int, int, int]
                        ) -> PoseResult:
        """The pose model on one region of the frame, resized to ``zoom_side``; keypoints
        in the frame's pixels."""
        import cv2

        x0, y0, x1, y1 = region
        crop = frame_rgb[y0:y1, x0:x1]
        ch, cw = crop.shape[:2]
        if ch < 8 or cw < 8 or self._crop is None:
            return PoseResult.empty()
        scale = self.zoom_side / max(ch, cw)
        img = cv2.resize(crop, (max(1, round(cw * scale)), max(1, round(ch * scale))),
                         interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA)
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                               data=np.ascontiguousarray(img))
        result = self._crop.detect(image)
        kps, scores = self._to_coco(result, (cw, ch))
        if kps.shape[0] == 0:
            return PoseResult.empty()
        kps = kps + np.array([x0, y0], dtype=np.float32)
        return PoseResult(kps.astype(np.float32), scores)

    @staticmethod
    def _to_coco(result: object, size: tuple[int, int]
                 ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        poses = getattr(result, "pose_landmarks", None) or []
        if not poses:
            return (np.zeros((0, NUM_KEYPOINTS, 2), np.float32),
                    np.zeros((0, NUM_KEYPOINTS), np.float32))
        lm = np.array([[(p.x, p.y) for p in pose] for pose in poses], dtype=np.float32)
        vis = np.array([[p.visibility if p.visibility is not None else 1.0 for p in pose]
                        for pose in poses], dtype=np.float32)
        pres = np.array([[p.presence if p.presence is not None else 1.0 for p in pose]
                         for pose in poses], dtype=np.float32)
        return mediapipe_to_coco(lm, size, visibility=vis, presence=pres)

    def _process_frame(self, frame_rgb: npt.NDArray[np.uint8], timestamp_s: float
                       ) -> PoseResult:
        import cv2

        h, w = frame_rgb.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        img: npt.NDArray[np.generic] = frame_rgb
        if scale < 1.0:
            img = cv2.resize(frame_rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                             interpolation=cv2.INTER_AREA)
        ts = round(timestamp_s * 1000.0)
        if ts <= self._last_ts:
            ts = self._last_ts + 1
        self._last_ts = ts
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                               data=np.ascontiguousarray(img))
        if self._landmarker is None:
            raise PoseError("the pose tracker is closed")
        result = self._landmarker.detect_for_video(image, ts)
        kps, scores = self._to_coco(result, (w, h))
        if kps.shape[0] == 0:
            return PoseResult.empty()
        return PoseResult(kps, scores)

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None
        if getattr(self, "_crop", None) is not None:
            assert self._crop is not None
            self._crop.close()
            self._crop = None

    def __enter__(self) -> PoseTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _merge(frame: PoseResult, boxes: list[tuple[float, float, float, float] | None],
           closer: PoseResult, region: tuple[int, int, int, int], num_poses: int
           ) -> PoseResult:
    """The frame's persons with the one found closer in ``region`` in place of the
    frame's person whose box centre lies in it (else added, or replacing the weakest)."""
    x0, y0, x1, y1 = region
    inside = [i for i, b in enumerate(boxes) if b is not None
              and x0 <= (b[0] + b[2]) / 2 <= x1 and y0 <= (b[1] + b[3]) / 2 <= y1]
    kps = list(frame.keypoints)
    scs = list(frame.scores)
    if inside:
        i = inside[0]
    elif len(kps) < num_poses:
        i = len(kps)
        kps.append(closer.keypoints[0])
        scs.append(closer.scores[0])
    else:
        i = int(np.argmin([float(s.mean()) for s in scs]))
    kps[i], scs[i] = closer.keypoints[0], closer.scores[0]
    # the person found closer first: with num_poses 1 it is the one the pipeline follows
    order = [i, *[j for j in range(len(kps)) if j != i]]
    return PoseResult(np.stack([kps[j] for j in order]).astype(np.float32),
                      np.stack([scs[j] for j in order]).astype(np.float32))
