"""Read a flood scenario file: YAML into a FloodScenario, every error as 'FILE:LINE: reason'."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from cctwin.config.loader import compose_yaml, error_lines
from cctwin.errors import ConfigError
from cctwin.scenarios.flood.scenario import FloodScenario


def parse_flood_scenario(text: str, source_name: str = "<scenario>") -> FloodScenario:
    """Validate YAML text; ConfigError with one 'FILE:LINE: field: reason' line per problem."""
    data, root = compose_yaml(text, source_name)
    if not isinstance(data, dict):
        raise ConfigError(f"{source_name}:1: a scenario file is a mapping with `kind: flood`")
    try:
        return FloodScenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(error_lines(exc, root, source_name))) from None


def load_flood_scenario(path: Path) -> FloodScenario:
    """Read and validate a flood scenario file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: scenario file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read scenario: {exc}") from None
    return parse_flood_scenario(text, str(path))
