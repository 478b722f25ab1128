"""The shipped configs load: config/example.yaml is the reference and must not rot."""

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from cctwin.analytics.ground import ground_area_m2, ground_homography
from cctwin.config import (
    AlertRuleConfig,
    CalibrationConfig,
    Config,
    CrowdConfig,
    FallConfig,
    FireConfig,
    FloodConfig,
    GroundPointConfig,
    NanoDetConfig,
    ReferenceMarkConfig,
    RiskBandConfig,
    SamplingMode,
    load_config,
)
from cctwin.reports.settings import OpenAICompatibleReportSettings, TemplateReportSettings
from cctwin.types import EventKind, Severity

CONFIG = Path(__file__).resolve().parents[2] / "config"
SECRETS = {
    "CCTWIN_GATE_PASSWORD": "s3cret",
    "CCTWIN_UNDERPASS_PASSWORD": "und3r",
    "CCTWIN_VLM_API_KEY": "vlm-key",
}


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Config:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return load_config(CONFIG / "example.yaml")


def raw_example() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((CONFIG / "example.yaml").read_text(encoding="utf-8"))
    return raw


def test_example_config_loads_with_its_secret_from_the_environment(example: Config) -> None:
    config = example
    assert isinstance(config.detector, NanoDetConfig)
    assert [c.id for c in config.cameras] == ["plaza", "gate-north", "underpass"]
    plaza, gate, underpass = config.cameras
    assert [z.id for z in plaza.analytics.zones] == ["crossroads", "lawn"]
    assert plaza.analytics.loitering[0].min_dwell_s == 20
    assert plaza.analytics.intrusion[0].schedule is not None
    assert plaza.filters["person"].min_area_px == 400
    assert gate.source.url is not None
    assert "s3cret" in gate.source.url
    assert gate.sampling.mode is SamplingMode.FPS
    assert gate.sampling.stream == "sub"
    assert underpass.source.url is not None
    assert "und3r" in underpass.source.url
    assert plaza.analytics.fall == FallConfig(
        id="fall", min_down_s=3.0, pose=True, pose_interval_s=1.0
    )


def test_example_config_shows_every_key_of_the_fall_block() -> None:
    raw = raw_example()
    plaza = raw["cameras"][0]
    assert set(plaza["analytics"]["fall"]) == set(FallConfig.model_fields)


def test_example_plaza_has_map_calibration_and_a_crowd_rule_with_the_seoul_bands(
    example: Config,
) -> None:
    plaza = example.cameras[0]
    calibration = plaza.analytics.calibration
    assert calibration is not None
    assert calibration.tsai_xml is None
    assert calibration.points == [
        GroundPointConfig(image=(0.30, 0.40), lonlat=(126.9523736, 37.5436664)),
        GroundPointConfig(image=(0.95, 0.40), lonlat=(126.9523964, 37.5437742)),
        GroundPointConfig(image=(0.95, 0.95), lonlat=(126.9525595, 37.5437359)),
        GroundPointConfig(image=(0.30, 0.95), lonlat=(126.9525553, 37.5436824)),
    ]
    assert plaza.analytics.crowd == [
        CrowdConfig(
            id="crossroads-crowd",
            zone="crossroads",
            method="auto",
            bands=[
                RiskBandConfig(name="caution", name_ko="주의", persons_per_m2=3.0),
                RiskBandConfig(name="alert", name_ko="경계", persons_per_m2=4.0),
                RiskBandConfig(name="severe", name_ko="심각", persons_per_m2=5.0),
            ],
            hysteresis=0.5,
            density_interval_s=5.0,
            observation_interval_s=5.0,
        )
    ]
    # The explicit bands are the defaults, so the example documents what a bare rule gets.
    assert plaza.analytics.crowd[0].bands == CrowdConfig(id="c", zone="z").bands
    assert plaza.analytics.fire is None


def _metres(lonlat: tuple[float, float], origin: tuple[float, float]) -> tuple[float, float]:
    east = (lonlat[0] - origin[0]) * 111_320 * math.cos(math.radians(origin[1]))
    north = (lonlat[1] - origin[1]) * 110_574
    return east, north


def _no_three_collinear(points: list[tuple[float, float]], tolerance: float) -> bool:
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            for k in range(j + 1, len(points)):
                (ax, ay), (bx, by), (cx, cy) = points[i], points[j], points[k]
                if abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) <= tolerance:
                    return False
    return True


def test_example_calibration_is_a_real_ground_plane_in_front_of_the_camera(
    example: Config,
) -> None:
    plaza = example.cameras[0]
    calibration = plaza.analytics.calibration
    placement = plaza.placement
    assert calibration is not None
    assert placement is not None
    camera = (placement.lon, placement.lat)
    ground = [_metres(p.lonlat, camera) for p in calibration.points]
    assert _no_three_collinear([p.image for p in calibration.points], tolerance=0.01)
    assert _no_three_collinear(ground, tolerance=1.0)  # twice the triangle's area, in m2
    for east, north in ground:
        assert math.hypot(east, north) <= placement.range_m
        bearing = math.degrees(math.atan2(east, north)) % 360
        off_axis = (bearing - placement.heading_deg + 180) % 360 - 180
        assert abs(off_axis) <= placement.fov_deg / 2
    # The site centre is the same neighbourhood (within a few hundred metres).
    assert example.site.center is not None
    assert math.hypot(*_metres(example.site.center, camera)) < 500
    # Areas agree with PETS 2009 View_001's Tsai calibration (191.6 m2 and 87.6 m2).
    homography = ground_homography(calibration)
    areas = {z.id: ground_area_m2(z.polygon, homography) for z in plaza.analytics.zones}
    assert areas == {
        "crossroads": pytest.approx(191.6, rel=0.005),
        "lawn": pytest.approx(87.6, rel=0.005),
    }


def test_example_gate_has_a_tsai_calibration_a_default_crowd_rule_and_fire(
    example: Config,
) -> None:
    gate = example.cameras[1]
    assert gate.analytics.calibration == CalibrationConfig(
        tsai_xml=Path("config/calibration/gate-north.xml")
    )
    assert gate.analytics.crowd == [CrowdConfig(id="gate-crowd", zone="gate")]
    assert gate.analytics.fire == FireConfig(
        id="fire", interval_s=1.0, confirm_k=3, confirm_n=5, smoke=True
    )


def test_example_underpass_has_a_gauged_and_an_ungauged_flood_roi(example: Config) -> None:
    lane, footway = example.cameras[2].analytics.flood
    assert lane == FloodConfig(
        id="underpass-lane",
        name="공덕 지하차도 1차로",
        roi=[(0.15, 0.55), (0.85, 0.55), (0.95, 1.0), (0.05, 1.0)],
        reference_marks=[
            ReferenceMarkConfig(y=0.92, level_cm=0),
            ReferenceMarkConfig(y=0.62, level_cm=50),
        ],
        alert_level_cm=15,
        danger_level_cm=30,
        alert_fraction=0.3,
        danger_fraction=0.6,
        interval_s=30.0,
    )
    assert lane.interval_s == FloodConfig.model_fields["interval_s"].default == 30.0
    assert footway.id == "footway"
    assert footway.reference_marks == []
    assert (footway.alert_fraction, footway.danger_fraction, footway.interval_s) == (
        0.3,
        0.6,
        30.0,
    )


def test_example_alert_rules_route_every_safety_event_kind_with_a_severity(
    example: Config,
) -> None:
    rules = {r.id: r for r in example.alerts.rules}
    routed = {
        rule_id: (rule.event_kinds, rule.levels, rule.severity)
        for rule_id, rule in rules.items()
        if rule_id != "night-loitering"
    }
    assert routed == {
        "crowd-crush": ([EventKind.CROWD_RISK], ["alert", "severe"], Severity.CRITICAL),
        "crowd-caution": ([EventKind.CROWD_RISK], ["caution"], Severity.MEDIUM),
        "fire": ([EventKind.BUILDING_FIRE], [], Severity.CRITICAL),
        "smoke": ([EventKind.SMOKE], [], Severity.HIGH),
        "flood-danger": ([EventKind.FLOOD], ["danger"], Severity.CRITICAL),
        "flood-alert": ([EventKind.FLOOD], ["alert"], Severity.HIGH),
        "fallen-person": ([EventKind.FALLEN_PERSON], [], Severity.HIGH),
    }
    assert rules["crowd-crush"].cameras == ["plaza", "gate-north"]
    assert rules["crowd-crush"].zones == ["crossroads", "gate"]
    assert rules["crowd-crush"].dedupe_s == 300
    assert rules["flood-danger"].zones == ["underpass-lane"]
    assert rules["fallen-person"].snooze_s == 60
    assert rules["night-loitering"].schedule is not None
    # Every zone a rule names exists on one of its cameras (flood rules are zones of events).
    cameras = {c.id: c for c in example.cameras}
    for rule in rules.values():
        names: set[str] = set()
        for camera_id in rule.cameras or list(cameras):
            analytics = cameras[camera_id].analytics
            names |= {z.id for z in analytics.zones} | {f.id for f in analytics.flood}
        assert set(rule.zones) <= names, rule.id


def test_example_reports_use_a_vision_model_with_the_key_from_the_environment(
    example: Config,
) -> None:
    assert example.reports == OpenAICompatibleReportSettings(
        backend="openai_compatible",
        base_url="http://gpu-host:8000/v1",
        model="Qwen/Qwen2.5-VL-7B-Instruct",
        api_key="vlm-key",
        timeout_s=30.0,
        max_tokens=400,
        temperature=0.0,
        verify=True,
        tls_verify=True,
        timezone="Asia/Seoul",
    )
    assert "vlm-key" not in repr(example.reports)


def test_example_reports_key_may_be_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CCTWIN_VLM_API_KEY", "")  # Ollama needs none
    reports = load_config(CONFIG / "example.yaml").reports
    assert isinstance(reports, OpenAICompatibleReportSettings)
    assert reports.api_key is None


def _keys(mappings: Iterable[dict[str, Any]]) -> set[str]:
    return {key for mapping in mappings for key in mapping}


def test_example_config_shows_every_key_of_the_safety_report_and_alert_sections() -> None:
    raw = raw_example()
    analytics = [camera.get("analytics", {}) for camera in raw["cameras"]]
    calibrations = [a["calibration"] for a in analytics if "calibration" in a]
    crowds = [rule for a in analytics for rule in a.get("crowd", [])]
    floods = [rule for a in analytics for rule in a.get("flood", [])]
    shown: dict[type[BaseModel], set[str]] = {
        CalibrationConfig: _keys(calibrations),
        GroundPointConfig: _keys(p for c in calibrations for p in c.get("points", [])),
        CrowdConfig: _keys(crowds),
        RiskBandConfig: _keys(band for rule in crowds for band in rule.get("bands", [])),
        FireConfig: _keys(a["fire"] for a in analytics if "fire" in a),
        FloodConfig: _keys(floods),
        ReferenceMarkConfig: _keys(m for f in floods for m in f.get("reference_marks", [])),
        OpenAICompatibleReportSettings: set(raw["reports"]),
        TemplateReportSettings: set(raw["reports"]),
        AlertRuleConfig: _keys(raw["alerts"]["rules"]),
    }
    missing = {
        model.__name__: sorted(set(model.model_fields) - keys)
        for model, keys in shown.items()
        if not set(model.model_fields) <= keys
    }
    assert missing == {}


def test_example_config_without_the_secret_names_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCTWIN_GATE_PASSWORD", raising=False)
    with pytest.raises(Exception, match=r"example\.yaml:\d+: cameras\.1\.source\.url"):
        load_config(CONFIG / "example.yaml")


def test_example_config_without_the_model_key_names_the_reports_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CCTWIN_VLM_API_KEY")
    with pytest.raises(
        Exception, match=r"example\.yaml:\d+: reports\.api_key: environment variable"
    ):
        load_config(CONFIG / "example.yaml")


@pytest.mark.parametrize("name", ["demo.yaml", "pets2009.yaml"])
def test_shipped_configs_load(name: str) -> None:
    config = load_config(CONFIG / name)
    assert config.detector.input_width == 768
    assert len(config.cameras) >= 1
