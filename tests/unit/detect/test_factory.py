"""create_detector picks the backend from the config type; providers fail clearly."""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter

from cctwin.config import DetectorConfig, NanoDetConfig, YoloConfig
from cctwin.detect.detector import create_detector
from cctwin.detect.nanodet import NanoDetDetector
from cctwin.detect.yolo import YoloDetector
from cctwin.errors import ModelError

ModelFactory = Callable[..., Path]


def has_cuda() -> bool:
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


@pytest.fixture
def tiny_yolo(constant_model: ModelFactory) -> Path:
    return constant_model(np.zeros((84, 3), np.float32))


def test_nanodet_config_gives_nanodet_detector() -> None:
    assert isinstance(create_detector(NanoDetConfig()), NanoDetDetector)


def test_yolo_config_gives_yolo_detector(tiny_yolo: Path) -> None:
    detector = create_detector(YoloConfig(model=tiny_yolo))
    assert isinstance(detector, YoloDetector)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, NanoDetDetector),  # `type:` left out: the bundled NanoDet
        ({"type": "nanodet"}, NanoDetDetector),
        ({"type": "yolo"}, YoloDetector),
    ],
)
def test_config_parsed_from_yaml_dict_picks_backend(
    raw: dict[str, str], expected: type, tiny_yolo: Path
) -> None:
    if raw.get("type") == "yolo":
        raw = {**raw, "model": str(tiny_yolo)}
    config = TypeAdapter(DetectorConfig).validate_python(raw)
    assert isinstance(create_detector(config), expected)


@pytest.mark.skipif(has_cuda(), reason="onnxruntime here has a CUDA provider")
@pytest.mark.parametrize("backend", ["nanodet", "yolo"])
def test_cuda_provider_without_cuda_raises_model_error(backend: str, tiny_yolo: Path) -> None:
    config = (
        NanoDetConfig(provider="cuda")
        if backend == "nanodet"
        else YoloConfig(model=tiny_yolo, provider="cuda")
    )
    with pytest.raises(ModelError, match="CUDA"):
        create_detector(config)


def test_auto_provider_falls_back_to_cpu(tiny_yolo: Path) -> None:
    detector = create_detector(YoloConfig(model=tiny_yolo, provider="auto"))
    assert isinstance(detector, YoloDetector)
    assert "CPUExecutionProvider" in detector.session.get_providers()


def test_importing_the_factory_does_not_load_onnxruntime() -> None:
    code = (
        "import sys, cctwin.detect.detector, cctwin.config\n"
        "heavy = [m for m in ('onnxruntime', 'cv2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
