"""The safety sections of a camera's analytics config: defaults, references and clear errors."""

from __future__ import annotations

import pytest

from cctwin.config import parse_config
from cctwin.errors import ConfigError

SAFETY_CAMERA = """\
cameras:
  - id: cam1
    source: {url: clip.mp4}
    analytics:
      zones:
        - id: plaza
          polygon: [[0.1, 0.5], [0.9, 0.5], [0.9, 0.95], [0.1, 0.95]]
      calibration:
        points:
          - {image: [0.1, 0.5], lonlat: [126.9510, 37.5440]}
          - {image: [0.9, 0.5], lonlat: [126.9515, 37.5440]}
          - {image: [0.9, 0.95], lonlat: [126.9515, 37.5436]}
          - {image: [0.1, 0.95], lonlat: [126.9510, 37.5436]}
      crowd:
        - {id: plaza-crowd, zone: plaza}
      fire: {}
      flood:
        - id: underpass
          roi: [[0.2, 0.6], [0.8, 0.6], [0.8, 1.0], [0.2, 1.0]]
          reference_marks: [{y: 0.95, level_cm: 0}, {y: 0.7, level_cm: 50}]
          alert_level_cm: 15
          danger_level_cm: 30
      fall: {min_down_s: 4}
"""


def config_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "site.yaml")
    return str(info.value)


def test_every_safety_section_loads_with_seoul_bands_by_default() -> None:
    analytics = parse_config(SAFETY_CAMERA).cameras[0].analytics
    assert analytics.calibration is not None
    assert len(analytics.calibration.points) == 4
    (crowd,) = analytics.crowd
    assert [(b.name, b.name_ko, b.persons_per_m2) for b in crowd.bands] == [
        ("caution", "주의", 3.0),
        ("alert", "경계", 4.0),
        ("severe", "심각", 5.0),
    ]
    assert crowd.method == "auto"
    assert analytics.fire is not None
    assert analytics.fire.id == "fire"
    assert analytics.flood[0].reference_marks[1].level_cm == 50
    assert analytics.fall is not None
    assert analytics.fall.min_down_s == 4


def test_crowd_rule_naming_an_unknown_zone_names_the_rule() -> None:
    text = SAFETY_CAMERA.replace("{id: plaza-crowd, zone: plaza}", "{id: plaza-crowd, zone: park}")
    assert "rule 'plaza-crowd' names unknown zone 'park'" in config_error(text)


def test_calibration_needs_four_points() -> None:
    text = SAFETY_CAMERA.replace(
        "          - {image: [0.1, 0.95], lonlat: [126.9510, 37.5436]}\n", ""
    )
    message = config_error(text)
    assert "site.yaml:9" in message
    assert "at least 4 `points`" in message


def test_one_reference_mark_is_refused_with_its_line() -> None:
    text = SAFETY_CAMERA.replace(
        "[{y: 0.95, level_cm: 0}, {y: 0.7, level_cm: 50}]", "[{y: 0.95, level_cm: 0}]"
    )
    message = config_error(text)
    assert "site.yaml:18" in message
    assert "two or more marks" in message


def test_k_of_n_must_be_possible() -> None:
    text = SAFETY_CAMERA.replace("fire: {}", "fire: {confirm_k: 6, confirm_n: 5}")
    assert "confirm_k cannot exceed confirm_n" in config_error(text)


def test_safety_rule_ids_share_the_camera_namespace() -> None:
    text = SAFETY_CAMERA.replace("- id: underpass", "- id: plaza-crowd")
    assert "duplicate rule id 'plaza-crowd'" in config_error(text)


def test_alert_rules_can_filter_on_levels() -> None:
    text = SAFETY_CAMERA + (
        "alerts:\n  rules:\n    - {id: crush, event_kinds: [crowdRisk], levels: [alert, severe]}\n"
    )
    rule = parse_config(text).alerts.rules[0]
    assert rule.levels == ["alert", "severe"]


def test_an_unknown_event_kind_in_an_alert_rule_names_its_line() -> None:
    text = SAFETY_CAMERA + "alerts:\n  rules:\n    - {id: x, event_kinds: [buildingfire]}\n"
    message = config_error(text)
    assert "site.yaml:26" in message
    assert "buildingFire" in message
