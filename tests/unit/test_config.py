"""parse_config / load_config: defaults, and errors that name the YAML line and the field."""

import re
from datetime import time
from pathlib import Path

import pytest

from cctwin.config import (
    ByteTrackConfig,
    Config,
    NanoDetConfig,
    SamplingMode,
    load_config,
    parse_config,
)
from cctwin.errors import ConfigError

CAMERA = """\
cameras:
  - id: cam1
    source:
      url: clip.mp4
"""

ZONE_CAMERA = """\
cameras:
  - id: cam1
    source: {url: clip.mp4}
    analytics:
      zones:
        - id: door
          polygon: [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]]
"""


def config_error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "site.yaml")
    return str(info.value)


def error_lines(message: str) -> list[int]:
    return [int(n) for n in re.findall(r"site\.yaml:(\d+):", message)]


@pytest.mark.parametrize("text", ["{}", "", "# only a comment\n"])
def test_minimal_config_gets_defaults(text: str) -> None:
    config = parse_config(text)
    assert config.version == 1
    assert config.cameras == []
    assert isinstance(config.detector, NanoDetConfig)
    assert config.detector.type == "nanodet"
    assert config.detector.model is None
    # No input size: it follows the source (longer side up to 768) at the first frame.
    assert (config.detector.input_width, config.detector.input_height) == (None, None)
    assert config.detector.input_size(768, 576) == (768, 576)
    assert config.detector.classes == ["person", "bicycle", "car", "motorcycle", "bus", "truck"]
    assert isinstance(config.tracker, ByteTrackConfig)
    assert config.tracker.type == "bytetrack"
    assert config.tracker.per_class is True


def test_camera_defaults() -> None:
    camera = parse_config(CAMERA).cameras[0]
    assert camera.id == "cam1"
    assert camera.enabled is True
    assert camera.source.url == "clip.mp4"
    assert camera.source.rtsp_transport == "tcp"
    assert camera.sampling.mode is SamplingMode.ALL
    assert camera.analytics.exit_after_s == 1.5
    assert camera.analytics.observation_interval_s == 1.0


def test_config_is_frozen() -> None:
    config = parse_config(CAMERA)
    with pytest.raises(ValueError, match="frozen"):
        config.cameras[0].source.url = "other.mp4"  # type: ignore[misc]


def test_unknown_key_names_its_line_and_dotted_path() -> None:
    text = CAMERA + "      urll: typo.mp4\n"
    message = config_error(text)
    assert error_lines(message) == [5]
    assert "site.yaml:5: cameras.0.source.urll:" in message
    assert "Extra inputs are not permitted" in message


def test_unknown_key_in_second_camera_names_its_line() -> None:
    text = CAMERA + "  - id: cam2\n    source:\n      url: b.mp4\n    samplng: {mode: all}\n"
    message = config_error(text)
    assert "site.yaml:8: cameras.1.samplng:" in message


def test_wrong_type_names_its_line() -> None:
    text = CAMERA + "      open_timeout_s: soon\n"
    message = config_error(text)
    assert error_lines(message) == [5]
    assert "cameras.0.source.open_timeout_s" in message
    assert "valid number" in message


def test_wrong_type_in_sampling_names_its_line() -> None:
    text = CAMERA + "    sampling:\n      mode: every\n      every: lots\n"
    message = config_error(text)
    assert "site.yaml:7: cameras.0.sampling.every:" in message


def test_unknown_detector_type_is_rejected_naming_the_tag() -> None:
    message = config_error("version: 1\ndetector:\n  type: nope\n")
    assert "'nope'" in message
    assert "nanodet" in message
    assert "yolo" in message
    assert error_lines(message) == [3]


def test_duplicate_camera_ids_are_rejected() -> None:
    text = CAMERA + "  - id: cam1\n    source: {url: other.mp4}\n"
    message = config_error(text)
    assert "duplicate camera id 'cam1'" in message


def test_duplicate_rule_ids_are_rejected() -> None:
    text = (
        ZONE_CAMERA + "      lines:\n        - id: door\n          points: [[0, 0.5], [1, 0.5]]\n"
    )
    message = config_error(text)
    assert "duplicate rule id 'door'" in message
    assert "cameras.0.analytics" in message


def test_loitering_rule_naming_an_unknown_zone_is_rejected() -> None:
    text = ZONE_CAMERA + (
        "      loitering:\n        - id: linger\n          zone: lobby\n          min_dwell_s: 5\n"
    )
    message = config_error(text)
    assert "rule 'linger' names unknown zone 'lobby'" in message
    assert "cameras.0.analytics" in message
    assert error_lines(message) == [5]  # the `analytics:` mapping


def test_loitering_rule_naming_a_known_zone_is_accepted() -> None:
    text = ZONE_CAMERA + (
        "      loitering:\n        - id: linger\n          zone: door\n          min_dwell_s: 5\n"
    )
    rule = parse_config(text).cameras[0].analytics.loitering[0]
    assert (rule.id, rule.zone, rule.min_dwell_s, rule.classes) == (
        "linger",
        "door",
        5.0,
        ["person"],
    )


def test_unknown_class_name_in_detector_is_rejected() -> None:
    message = config_error("detector:\n  type: nanodet\n  classes: [person, persn]\n")
    assert "unknown class 'persn'" in message
    assert "classes" in message


def test_unknown_class_name_in_zone_names_its_line() -> None:
    text = ZONE_CAMERA + "          classes: [persn]\n"
    message = config_error(text)
    assert "unknown class 'persn'" in message
    assert "site.yaml:8: cameras.0.analytics.zones.0.classes:" in message


@pytest.mark.parametrize(
    ("point", "path"),
    [("[1.5, 0.1]", "polygon.1.0"), ("[0.5, -0.1]", "polygon.1.1")],
)
def test_polygon_point_outside_unit_square_is_rejected(point: str, path: str) -> None:
    text = ZONE_CAMERA.replace("[0.9, 0.1]", point)
    message = config_error(text)
    assert f"site.yaml:7: cameras.0.analytics.zones.0.{path}:" in message


def test_polygon_needs_three_points() -> None:
    text = ZONE_CAMERA.replace(", [0.9, 0.9]]", "]")
    message = config_error(text)
    assert "cameras.0.analytics.zones.0.polygon" in message
    assert "at least 3" in message


def test_env_substitution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCTWIN_TEST_CAM_PASSWORD", "s3cret")
    monkeypatch.setenv("CCTWIN_TEST_CAM_HOST", "10.0.0.7")
    text = CAMERA.replace(
        "clip.mp4", "rtsp://admin:${CCTWIN_TEST_CAM_PASSWORD}@${CCTWIN_TEST_CAM_HOST}/main"
    )
    assert parse_config(text).cameras[0].source.url == "rtsp://admin:s3cret@10.0.0.7/main"


def test_env_substitution_value_is_then_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCTWIN_TEST_ONVIF_PORT", "8080")
    text = "cameras:\n  - id: c\n    source:\n      onvif: {host: cam, port: '${CCTWIN_TEST_ONVIF_PORT}'}\n"
    onvif = parse_config(text).cameras[0].source.onvif
    assert onvif is not None
    assert onvif.port == 8080


def test_missing_env_var_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCTWIN_TEST_UNSET_VAR", raising=False)
    text = CAMERA.replace("clip.mp4", "rtsp://${CCTWIN_TEST_UNSET_VAR}/main")
    message = config_error(text)
    assert "CCTWIN_TEST_UNSET_VAR" in message
    assert "is not set" in message
    assert "cameras.0.source.url" in message


def test_missing_env_var_error_names_file_and_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCTWIN_TEST_UNSET_VAR", raising=False)
    text = CAMERA.replace("clip.mp4", "rtsp://${CCTWIN_TEST_UNSET_VAR}/main")
    assert config_error(text) == (
        "site.yaml:4: cameras.0.source.url: environment variable CCTWIN_TEST_UNSET_VAR is not set"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("cameras:\n  - id: a\n    source: {url: x\n  bad: [\n", 4),
        ("version: 1\ndetector:\n  type: nanodet\n   input_width: 320\n", 4),
        ("version: 1\ncameras: [\n", 3),
    ],
)
def test_invalid_yaml_reports_its_line(text: str, line: int) -> None:
    message = config_error(text)
    assert message.startswith(f"site.yaml:{line}: invalid YAML")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_config_must_be_a_mapping(text: str) -> None:
    assert config_error(text) == "site.yaml:1: the config must be a mapping of keys to values"


def test_load_config_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "cctwin.yaml"
    with pytest.raises(ConfigError, match="config file not found") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_load_config_reads_a_file_and_errors_name_it(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(CAMERA, encoding="utf-8")
    assert isinstance(load_config(good), Config)
    bad = tmp_path / "bad.yaml"
    bad.write_text(CAMERA + "      urll: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    assert f"{bad}:5: cameras.0.source.urll" in str(info.value)


@pytest.mark.parametrize("width", [100, 31, 0, 4128])
def test_input_width_must_be_a_multiple_of_32_in_range(width: int) -> None:
    message = config_error(f"detector:\n  type: nanodet\n  input_width: {width}\n")
    assert "input_width" in message


@pytest.mark.parametrize("width", [32, 320, 416, 640])
def test_input_width_multiple_of_32_is_accepted(width: int) -> None:
    config = parse_config(f"detector:\n  type: nanodet\n  input_width: {width}\n")
    assert config.detector.input_width == width


def test_detector_field_error_names_the_field_line() -> None:
    message = config_error("version: 1\ndetector:\n  type: nanodet\n  input_width: 100\n")
    assert error_lines(message) == [4]
    assert message == "site.yaml:4: detector.nanodet.input_width: Input should be a multiple of 32"


@pytest.mark.parametrize(
    ("text", "section", "field", "value"),
    [
        ("detector:\n  input_width: 320\n", "detector", "input_width", 320),
        ("tracker:\n  lost_track_s: 3\n", "tracker", "lost_track_s", 3.0),
    ],
)
def test_detector_and_tracker_type_may_be_omitted(
    text: str, section: str, field: str, value: float
) -> None:
    config = parse_config(text)
    assert isinstance(config.detector, NanoDetConfig)
    assert config.detector.type == "nanodet"
    assert isinstance(config.tracker, ByteTrackConfig)
    assert config.tracker.type == "bytetrack"
    assert getattr(getattr(config, section), field) == value  # the other fields still apply


SCHEDULE = (
    ZONE_CAMERA
    + """\
      intrusion:
        - id: night
          zone: door
          schedule:
            days: [fri, sat]
            start: "22:00"
            end: "06:00"
            timezone: TZ
"""
)


def test_schedule_is_parsed() -> None:
    schedule = parse_config(SCHEDULE.replace("TZ", "Asia/Seoul")).cameras[0].analytics.intrusion[0]
    assert schedule.schedule is not None
    assert schedule.schedule.start == time(22, 0)
    assert schedule.schedule.end == time(6, 0)
    assert [d.value for d in schedule.schedule.days] == ["fri", "sat"]


@pytest.mark.parametrize("tz", ["Mars/Base", "Asia/Nowhere", "UTC+9"])
def test_unknown_timezone_is_rejected(tz: str) -> None:
    message = config_error(SCHEDULE.replace("TZ", tz))
    assert f"unknown timezone '{tz}'" in message
    assert "site.yaml:15: cameras.0.analytics.intrusion.0.schedule.timezone:" in message


@pytest.mark.parametrize(
    ("yaml_value", "path"),
    [
        ("cameras:\n  - id: 'bad id'\n    source: {url: x}\n", "cameras.0.id"),
        ("cameras:\n  - id: c\n    source: {rtsp_transport: tcp}\n", "cameras.0.source"),
        ("tracker:\n  type: bytetrack\n  match_iou: 1.5\n", "match_iou"),
        ("version: 2\n", "version"),
    ],
)
def test_other_invalid_values_name_their_field(yaml_value: str, path: str) -> None:
    assert path in config_error(yaml_value)


def test_place_names_cover_zones_lines_flood_rois_and_crowd_rules() -> None:
    from cctwin.config.loader import parse_config

    config = parse_config(
        """
cameras:
  - id: cam
    source: {url: clip.mp4}
    analytics:
      zones:
        - {id: plaza, name: 광장, polygon: [[0, 0], [1, 0], [1, 1]]}
        - {id: gate, polygon: [[0, 0], [1, 0], [1, 1]]}
      lines:
        - {id: door, name: 정문, points: [[0, 0.5], [1, 0.5]]}
      crowd:
        - {id: plaza-crowd, zone: plaza}
        - {id: gate-crowd, zone: gate}
      flood:
        - {id: lane, name: 지하차도, roi: [[0, 0.5], [1, 0.5], [1, 1]]}
"""
    )
    assert config.cameras[0].analytics.place_names() == {
        "plaza": "광장",
        "door": "정문",
        "lane": "지하차도",
        "plaza-crowd": "광장",
    }
