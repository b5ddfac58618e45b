"""What an exported EPAM-Net ONNX file says about itself (metadata_props).

Written by ``deploy.export``, read by the edge runtime: one owner of the keys, no torch.
Every value is a string; structured values are JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from model import contract

__all__ = [
    "BATCH_DIM",
    "CONTRACT_VERSION",
    "INPUT_NAMES",
    "OUTPUT_NAMES",
    "Geometry",
    "ModelMetadata",
]

CONTRACT_VERSION = "1"
INPUT_NAMES: tuple[str, str] = ("pose_heatmaps", "rgb")
OUTPUT_NAMES: tuple[str, str, str] = ("scores", "rgb_logits", "pose_logits")
BATCH_DIM = "batch"  # name of the dynamic first dimension of every input and output


@dataclass(frozen=True)
class Geometry:
    """Input geometry of the model (the numpy contract's constants)."""

    num_keypoints: int = contract.NUM_KEYPOINTS
    clip_len: int = contract.CLIP_LEN
    heatmap_size: int = contract.HEATMAP_SIZE
    rgb_frames: int = contract.RGB_FRAMES
    rgb_size: int = contract.RGB_SIZE
    sigma: float = contract.SIGMA
    box_padding: float = contract.BOX_PADDING

    @property
    def pose_shape(self) -> tuple[int, int, int, int]:
        return (self.num_keypoints, self.clip_len, self.heatmap_size, self.heatmap_size)

    @property
    def rgb_shape(self) -> tuple[int, int, int, int]:
        return (3, self.rgb_frames, self.rgb_size, self.rgb_size)


@dataclass(frozen=True)
class ModelMetadata:
    """Class names, geometry, sampling rate and provenance of an EPAM-Net model.

    ``sample_rate_hz`` is the rate of the 48 samples of a window (the runtime's ring
    buffer obeys it); ``sampling`` says how training sampled clips: ``"rate"`` (windows
    at ``sample_rate_hz``, what the edge sees) or ``"uniform"`` (the paper's recipe).
    """

    class_names: tuple[str, ...]
    geometry: Geometry = field(default_factory=Geometry)
    sample_rate_hz: float = 15.0
    sampling: str = "rate"
    model_name: str = "EPAM-Net"
    provenance: Mapping[str, Any] = field(default_factory=dict)
    contract_version: str = CONTRACT_VERSION

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def untrained(self) -> bool:
        """Exported with random weights (tests, placeholders): labels mean nothing."""
        return str(self.provenance.get("source", "")) == "random-init"

    @property
    def rgb_trained(self) -> bool:
        """False when the provenance says only the pose stream was trained; the runtime
        then uses the pose logits alone (an untrained RGB stream only adds noise)."""
        streams = self.provenance.get("trained_streams")
        return "rgb" in streams if isinstance(streams, list) else True

    def to_props(self) -> dict[str, str]:
        """metadata_props for the ONNX file."""
        return {
            "model_name": self.model_name,
            "contract_version": self.contract_version,
            "class_names": json.dumps(list(self.class_names)),
            "num_classes": str(self.num_classes),
            "input_geometry": json.dumps(asdict(self.geometry)),
            "sample_rate_hz": repr(float(self.sample_rate_hz)),
            "sampling": self.sampling,
            "inputs": json.dumps(list(INPUT_NAMES)),
            "outputs": json.dumps(list(OUTPUT_NAMES)),
            "provenance": json.dumps(dict(self.provenance), sort_keys=True),
        }

    @classmethod
    def from_props(cls, props: Mapping[str, str]) -> ModelMetadata:
        """Parse metadata_props; raises ``ValueError`` naming what is missing or wrong."""
        if "class_names" not in props:
            raise ValueError(
                "the model has no 'class_names' metadata: it was not exported with "
                "`python -m deploy.export`; re-export it from its checkpoint"
            )
        try:
            names = json.loads(props["class_names"])
            geometry = Geometry(**json.loads(props.get("input_geometry", "{}")))
            rate = float(props.get("sample_rate_hz", "15"))
            provenance = json.loads(props.get("provenance", "{}"))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the model's metadata is malformed: {exc}") from exc
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
            raise ValueError("the model's 'class_names' metadata is not a list of names")
        version = props.get("contract_version", CONTRACT_VERSION)
        if version != CONTRACT_VERSION:
            raise ValueError(
                f"the model uses input contract {version}, this software knows {CONTRACT_VERSION}"
            )
        return cls(
            class_names=tuple(names),
            geometry=geometry,
            sample_rate_hz=rate,
            sampling=props.get("sampling", "rate"),
            model_name=props.get("model_name", "EPAM-Net"),
            provenance=provenance,
            contract_version=version,
        )
