"""Read a flood scenario file: YAML into a FloodScenario, every error as 'FILE:LINE: reason'."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from cctwin.config.loader import line_of
from cctwin.errors import ConfigError
from cctwin.scenarios.flood.scenario import FloodScenario

# The series validator names the point at fault ("point 4: ..."): point the line at it too.
_POINT = re.compile(r"point (\d+):")


def parse_flood_scenario(text: str, source_name: str = "<scenario>") -> FloodScenario:
    """Validate YAML text; ConfigError with one 'FILE:LINE: field: reason' line per problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source_name}:{mark.line + 1}" if mark is not None else source_name
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source_name}:1: a scenario file is a mapping with `kind: flood`")
    try:
        return FloodScenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(_lines(exc, root, source_name))) from None


def _lines(exc: ValidationError, root: yaml.Node | None, source_name: str) -> list[str]:
    lines = []
    for error in exc.errors():
        location = [p for p in error["loc"] if isinstance(p, int | str)]
        message = str(error["msg"]).removeprefix("Value error, ")
        point = _POINT.match(message)
        where_in = [*location, int(point.group(1)) - 1] if point else location
        line = line_of(root, where_in)
        where = f"{source_name}:{line}" if line else source_name
        field = ".".join(str(p) for p in location) or "(top level)"
        lines.append(f"{where}: {field}: {message}")
    return lines


def load_flood_scenario(path: Path) -> FloodScenario:
    """Read and validate a flood scenario file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: scenario file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read scenario: {exc}") from None
    return parse_flood_scenario(text, str(path))
