"""Shared building blocks of config nodes: strict models, ids, unit floats, class names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from cctwin.detect.labels import COCO_LABELS

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
UnitFloat = Annotated[float, Field(ge=0.0, le=1.0)]
NormalisedPoint = tuple[UnitFloat, UnitFloat]


class Strict(BaseModel):
    """Base for every config node: unknown keys are errors and nothing mutates after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_labels(classes: Sequence[str]) -> None:
    unknown = [c for c in classes if c not in COCO_LABELS]
    if unknown:
        raise ValueError(f"unknown class {unknown[0]!r}; use COCO names such as 'person', 'car'")


def type_or(default: str) -> Callable[[Any], str]:
    """Discriminator that lets YAML leave `type:` out and get the default backend."""

    def tag(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get("type", default))
        return str(getattr(value, "type", default))

    return tag
