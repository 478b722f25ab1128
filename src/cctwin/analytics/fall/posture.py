"""Upright or down: a person's posture from pose keypoints, else from the box shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from cctwin.analytics.fall.pose import Pose

_SHOULDERS, _HIPS, _KNEES, _ANKLES = (5, 6), (11, 12), (13, 14), (15, 16)


class Posture(StrEnum):
    """`unknown` covers bending, crouching, sitting and anything the cues cannot tell."""

    UPRIGHT = "upright"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PostureThresholds:
    """Where upright ends and down begins; the gap between them is `unknown` on purpose.

    Box rules: an upright person is at most `upright_max_aspect` wide for their height and
    still near their standing height; a fallen one is wider than tall (`down_min_aspect`)
    and has lost height. Pose rules: the torso (hip to shoulder midpoints) leans at most
    `upright_max_torso_deg` from vertical when upright, at least `down_min_torso_deg` when
    down, where the legs (hips to ankles) must also lean `down_min_leg_deg` or more, which
    tells lying from bending over; with no legs in sight a lying body's keypoints spread
    wider than tall (`down_max_extent_ratio`).
    """

    upright_max_aspect: float = 0.65
    upright_min_height: float = 0.75
    down_min_aspect: float = 1.2
    down_max_height: float = 0.75
    min_keypoint_score: float = 0.2
    upright_max_torso_deg: float = 35.0
    down_min_torso_deg: float = 55.0
    down_max_extent_ratio: float = 0.9
    down_min_leg_deg: float = 50.0
    upright_min_extent_ratio: float = 1.2


def box_posture(
    width: float, height: float, standing_height: float | None, limits: PostureThresholds
) -> Posture:
    """Posture from a box and the person's recent standing height (None: not known yet)."""
    aspect = width / max(height, 1e-6)
    relative = None if standing_height is None else height / max(standing_height, 1e-6)
    if aspect <= limits.upright_max_aspect and (
        relative is None or relative >= limits.upright_min_height
    ):
        return Posture.UPRIGHT
    if (
        aspect >= limits.down_min_aspect
        and relative is not None
        and relative <= limits.down_max_height
    ):
        return Posture.DOWN
    return Posture.UNKNOWN


def _midpoint(pose: Pose, pair: tuple[int, int], min_score: float) -> tuple[float, float] | None:
    seen = [i for i in pair if pose.keypoints[i, 2] >= min_score]
    if not seen:
        return None
    return float(pose.keypoints[seen, 0].mean()), float(pose.keypoints[seen, 1].mean())


def _angle_from_up(start: tuple[float, float], end: tuple[float, float]) -> float | None:
    dx, dy = end[0] - start[0], end[1] - start[1]
    if math.hypot(dx, dy) < 1e-6:
        return None
    return math.degrees(math.atan2(abs(dx), -dy))


def torso_angle_deg(pose: Pose, min_score: float) -> float | None:
    """Angle of the hip-to-shoulder line from straight up (0 upright, 90 flat, 180 head down)."""
    hips = _midpoint(pose, _HIPS, min_score)
    shoulders = _midpoint(pose, _SHOULDERS, min_score)
    if hips is None or shoulders is None:
        return None
    return _angle_from_up(hips, shoulders)


def leg_angle_deg(pose: Pose, min_score: float) -> float | None:
    """Angle of the hip-to-ankle (else hip-to-knee) line from straight down (0 standing, 90 flat)."""
    hips = _midpoint(pose, _HIPS, min_score)
    feet = _midpoint(pose, _ANKLES, min_score) or _midpoint(pose, _KNEES, min_score)
    if hips is None or feet is None:
        return None
    return _angle_from_up(feet, hips)  # up from the feet is down from the hips


def extent_ratio(pose: Pose, min_score: float) -> float | None:
    """Vertical over horizontal spread of the confident keypoints (None with fewer than 4)."""
    kp = pose.keypoints[pose.keypoints[:, 2] >= min_score]
    if len(kp) < 4:
        return None
    spread_x = float(np.ptp(kp[:, 0]))
    spread_y = float(np.ptp(kp[:, 1]))
    return spread_y / max(spread_x, 1e-6)


def pose_posture(pose: Pose, limits: PostureThresholds) -> Posture | None:
    """Posture from keypoints; None when the torso is not visible enough to judge."""
    angle = torso_angle_deg(pose, limits.min_keypoint_score)
    if angle is None:
        return None
    ratio = extent_ratio(pose, limits.min_keypoint_score)
    if angle <= limits.upright_max_torso_deg and (
        ratio is None or ratio >= limits.upright_min_extent_ratio
    ):
        return Posture.UPRIGHT
    if angle < limits.down_min_torso_deg:
        return Posture.UNKNOWN
    # A flat torso alone may be a bend; lying needs the legs flat too (legs stay vertical
    # when bending over), or, with the legs unseen, a body spread wider than tall.
    legs = leg_angle_deg(pose, limits.min_keypoint_score)
    if legs is not None:
        return Posture.DOWN if legs >= limits.down_min_leg_deg else Posture.UNKNOWN
    if ratio is not None and ratio <= limits.down_max_extent_ratio:
        return Posture.DOWN
    return Posture.UNKNOWN
