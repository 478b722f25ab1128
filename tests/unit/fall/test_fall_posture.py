"""Posture cues: box shape against standing height, torso angle and keypoint spread."""

from __future__ import annotations

import numpy as np
import pytest
from fall_keypoints import bending, lying, standing

from cctwin.analytics.fall.posture import (
    Posture,
    PostureThresholds,
    box_posture,
    extent_ratio,
    leg_angle_deg,
    pose_posture,
    torso_angle_deg,
)

LIMITS = PostureThresholds()


@pytest.mark.parametrize(
    ("width", "height", "standing_height", "expected"),
    [
        (40, 100, 100, Posture.UPRIGHT),
        (40, 100, None, Posture.UPRIGHT),
        (110, 40, 100, Posture.DOWN),
        (
            110,
            40,
            None,
            Posture.UNKNOWN,
        ),  # no standing height: cannot tell lying from a car-sized blob
        (60, 70, 100, Posture.UNKNOWN),  # crouching
        (120, 95, 100, Posture.UNKNOWN),  # two walkers merged into one wide box keep their height
        (40, 60, 100, Posture.UNKNOWN),  # lower body hidden: narrow but short
    ],
)
def test_box_posture(
    width: float, height: float, standing_height: float | None, expected: Posture
) -> None:
    assert box_posture(width, height, standing_height, LIMITS) is expected


def test_pose_posture_standing_lying_bending() -> None:
    upright_box = np.array([100, 50, 140, 150], np.float32)
    lying_box = np.array([100, 120, 200, 150], np.float32)
    assert pose_posture(standing(upright_box), LIMITS) is Posture.UPRIGHT
    assert pose_posture(lying(lying_box), LIMITS) is Posture.DOWN
    bent = bending(np.array([100, 80, 160, 150], np.float32))
    angle = torso_angle_deg(bent, LIMITS.min_keypoint_score)
    legs = leg_angle_deg(bent, LIMITS.min_keypoint_score)
    assert angle is not None
    assert angle > LIMITS.down_min_torso_deg  # the torso alone looks like lying ...
    assert legs is not None
    assert legs < LIMITS.down_min_leg_deg  # ... the legs do not
    assert pose_posture(bent, LIMITS) is Posture.UNKNOWN


def test_lying_with_legs_unseen_falls_back_to_keypoint_spread() -> None:
    pose = lying(np.array([100, 120, 200, 150], np.float32))
    pose.keypoints[13:, 2] = 0.05  # knees and ankles hidden, e.g. behind a bench
    ratio = extent_ratio(pose, LIMITS.min_keypoint_score)
    assert ratio is not None
    assert ratio < LIMITS.down_max_extent_ratio
    assert pose_posture(pose, LIMITS) is Posture.DOWN


def test_pose_without_visible_torso_gives_no_verdict() -> None:
    pose = standing(np.array([100, 50, 140, 150], np.float32))
    pose.keypoints[[5, 6], 2] = 0.05  # shoulders not seen
    assert torso_angle_deg(pose, LIMITS.min_keypoint_score) is None
    assert pose_posture(pose, LIMITS) is None


def test_torso_angle_head_down_is_beyond_horizontal() -> None:
    pose = standing(np.array([100, 50, 140, 150], np.float32))
    pose.keypoints[:, 1] = 200 - pose.keypoints[:, 1]  # upside down
    angle = torso_angle_deg(pose, LIMITS.min_keypoint_score)
    assert angle is not None
    assert angle > 170
