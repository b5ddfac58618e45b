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

    def process(self, frame_rgb: npt.NDArray[np.uint8], timestamp_s: float) -> PoseResult:
        """Keypoints of the persons in ``frame_rgb`` ``(H, W, 3)`` at ``timestamp_s``."""
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
        poses = result.pose_landmarks or []
        if not poses:
            return PoseResult.empty()
        lm = np.array([[(p.x, p.y) for p in pose] for pose in poses], dtype=np.float32)
        vis = np.array([[p.visibility if p.visibility is not None else 1.0 for p in pose]
                        for pose in poses], dtype=np.float32)
        pres = np.array([[p.presence if p.presence is not None else 1.0 for p in pose]
                         for pose in poses], dtype=np.float32)
        kps, scores = mediapipe_to_coco(lm, (w, h), visibility=vis, presence=pres)
        return PoseResult(kps, scores)

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> PoseTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
