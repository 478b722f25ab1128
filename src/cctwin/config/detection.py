"""Detector and tracker backends, picked by `type` (discriminated unions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    field_validator,
)

from cctwin.config.base import Strict, UnitFloat, check_labels, type_or
from cctwin.detect.labels import COCO_LABELS, DEFAULT_CLASSES

# --- detection -------------------------------------------------------------------------------


class _DetectorCommon(Strict):
    threads: int = Field(
        0, ge=0, le=64, description="ONNX Runtime intra-op threads; 0 = runtime default."
    )
    batch_size: int = Field(
        8, ge=1, le=256, description="Most frames (across cameras) per inference."
    )
    classes: list[str] = Field(default_factory=lambda: list(DEFAULT_CLASSES))
    confidence: UnitFloat = Field(
        0.25,
        description="Minimum confidence kept for every class; low-confidence boxes only "
        "continue existing tracks (ByteTrack), they never start one.",
    )
    class_confidence: dict[str, UnitFloat] = Field(
        default_factory=dict, description="Per-class minimum confidence overriding `confidence`."
    )
    nms_iou: UnitFloat = Field(0.5, description="IoU above which same-class boxes are suppressed.")
    provider: Literal["cpu", "cuda", "auto"] = Field("cpu", description="ONNX Runtime provider.")

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str]) -> list[str]:
        check_labels(value)
        return value

    @field_validator("class_confidence")
    @classmethod
    def _known_class_keys(cls, value: dict[str, float]) -> dict[str, float]:
        check_labels(list(value))
        return value


Precision = Literal["float32", "int8"]


class NanoDetConfig(_DetectorCommon):
    """The bundled NanoDet-g 416 (Apache-2.0), or another NanoDet ONNX with the same head."""

    type: Literal["nanodet"] = "nanodet"
    model: Path | None = Field(None, description="ONNX file; empty = the bundled NanoDet-g.")
    input_width: int | None = Field(
        None,
        ge=32,
        le=4096,
        multiple_of=32,
        description="Model input width; empty = from the source (see `input_max_side`).",
    )
    input_height: int | None = Field(
        None,
        ge=32,
        le=4096,
        multiple_of=32,
        description="Model input height; empty = from the source (see `input_max_side`).",
    )
    input_max_side: int = Field(
        768,
        ge=64,
        le=4096,
        multiple_of=32,
        description="When the input size is empty, the first frame's size with its longer "
        "side brought to at most this and both sides to multiples of 32 (768x576 for a "
        "768x576 camera, 768x448 for 1080p): a square 416 input squeezes 4:3 and 16:9 "
        "frames and halves people who are 50-100 px tall. The size is fixed at the first "
        "frame the detector sees; set both sides when one detector serves cameras of "
        "different shapes.",
    )
    appearance: bool = Field(
        True,
        description="Pool the detector's own stride-8 backbone features in each box into an "
        "appearance embedding, which the tracker uses against identity switches.",
    )
    precision: Precision | Literal["auto"] = Field(
        "float32",
        description="Which bundled copy: float32, or int8 (statically quantised; 1.5x faster "
        "on a CPU; on PETS 2009 MOTA 0.863 vs 0.851, IDF1 0.791 vs 0.808); auto = int8 on "
        "the cpu provider, float32 on a GPU. Ignored when `model` is set.",
    )

    @property
    def bundled_precision(self) -> Precision:
        """The bundled copy `precision` resolves to for this provider."""
        if self.precision != "auto":
            return self.precision
        return "int8" if self.provider == "cpu" else "float32"

    def input_size(self, frame_width: int, frame_height: int) -> tuple[int, int]:
        """The model input (width, height) for frames of this size."""
        if self.input_width is not None and self.input_height is not None:
            return self.input_width, self.input_height
        scale = min(1.0, self.input_max_side / max(frame_width, frame_height, 1))
        width = self.input_width or max(32, round(frame_width * scale / 32) * 32)
        height = self.input_height or max(32, round(frame_height * scale / 32) * 32)
        return width, height


class YoloConfig(_DetectorCommon):
    """Bring-your-own YOLO ONNX: v5 ([1, N, 5+C]) or v8/v11 ([1, 4+C, N]) output layouts."""

    type: Literal["yolo"] = "yolo"
    model: Path
    layout: Literal["v5", "v8", "v11"] = "v8"
    input_width: int = Field(640, ge=32, le=4096, multiple_of=32)
    input_height: int = Field(640, ge=32, le=4096, multiple_of=32)
    labels: list[str] = Field(
        default_factory=lambda: list(COCO_LABELS), description="The model's class names in order."
    )


DetectorConfig = Annotated[
    Annotated[NanoDetConfig, Tag("nanodet")] | Annotated[YoloConfig, Tag("yolo")],
    Discriminator(type_or("nanodet")),
]


# --- tracking --------------------------------------------------------------------------------


class ByteTrackConfig(Strict):
    """ByteTrack from the `trackers` package; times are frame-time seconds."""

    type: Literal["bytetrack"] = "bytetrack"
    high_confidence: UnitFloat = Field(0.6, description="Detections above this match first.")
    activation_confidence: UnitFloat = Field(
        0.6, description="Lowest confidence that starts a track."
    )
    match_iou: UnitFloat = Field(0.1, description="Lowest IoU for a detection to continue a track.")
    lost_track_s: float = Field(2.0, gt=0, description="How long an unseen track may come back.")
    min_consecutive_frames: int = Field(2, ge=1, description="Frames before a track gets an id.")
    per_class: bool = Field(True, description="Track each class separately (no person->car swaps).")
    confirm_score: UnitFloat = Field(
        0.75,
        description="A track is reported once the median confidence of its recent detections "
        "reaches this; static clutter (signs, cones) and people too far away to act on rarely "
        "do, people in the scene do.",
    )
    score_history: int = Field(10, ge=1, le=100, description="Detections in that median.")
    appearance_weight: float = Field(
        1.0,
        ge=0,
        le=5,
        description="Weight of appearance (cosine of the detector's pooled features) beside "
        "IoU when confident boxes are matched to tracks; 0 = overlap only.",
    )
    appearance_veto: float = Field(
        0.25,
        ge=-1,
        le=1,
        description="Below this appearance cosine a box never continues a track however much "
        "it overlaps (a track sliding onto a sign its person walked behind); -1 = never veto.",
    )
    relink_similarity: float = Field(
        1.0,
        ge=0,
        le=1,
        description="Lowest appearance cosine at which a confident box far from every "
        "prediction takes back the id of a track lost nearby; 1 = never (the default: on "
        "PETS the detector's features scored people walking together above 0.9, and "
        "re-finding gave their ids to each other).",
    )


TrackerConfig = Annotated[
    Annotated[ByteTrackConfig, Tag("bytetrack")], Discriminator(type_or("bytetrack"))
]
