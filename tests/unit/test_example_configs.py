"""The shipped configs load: config/example.yaml is the reference and must not rot."""

from pathlib import Path

import pytest
import yaml

from cctwin.config import FallConfig, NanoDetConfig, SamplingMode, load_config

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_example_config_loads_with_its_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CCTWIN_GATE_PASSWORD", "s3cret")
    config = load_config(CONFIG / "example.yaml")
    assert isinstance(config.detector, NanoDetConfig)
    assert [c.id for c in config.cameras] == ["plaza", "gate-north"]
    plaza, gate = config.cameras
    assert [z.id for z in plaza.analytics.zones] == ["crossroads", "lawn"]
    assert plaza.analytics.loitering[0].min_dwell_s == 20
    assert plaza.analytics.intrusion[0].schedule is not None
    assert plaza.filters["person"].min_area_px == 400
    assert gate.source.url is not None
    assert "s3cret" in gate.source.url
    assert gate.sampling.mode is SamplingMode.FPS
    assert gate.sampling.stream == "sub"
    assert plaza.analytics.fall == FallConfig(
        id="fall", min_down_s=3.0, pose=True, pose_interval_s=0.5
    )


def test_example_config_shows_every_key_of_the_fall_block() -> None:
    raw = yaml.safe_load((CONFIG / "example.yaml").read_text(encoding="utf-8"))
    plaza = raw["cameras"][0]
    assert set(plaza["analytics"]["fall"]) == set(FallConfig.model_fields)


def test_example_config_without_the_secret_names_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCTWIN_GATE_PASSWORD", raising=False)
    with pytest.raises(Exception, match=r"example\.yaml:\d+: cameras\.1\.source\.url"):
        load_config(CONFIG / "example.yaml")


@pytest.mark.parametrize("name", ["demo.yaml", "pets2009.yaml"])
def test_shipped_configs_load(name: str) -> None:
    config = load_config(CONFIG / name)
    assert config.detector.input_width == 768
    assert len(config.cameras) >= 1
