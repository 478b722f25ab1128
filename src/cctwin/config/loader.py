"""Load YAML into a Config: ${ENV} substitution and errors that name the YAML line."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from cctwin.config.service import Config
from cctwin.errors import ConfigError

# --- loading ---------------------------------------------------------------------------------

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _MissingVariableError(Exception):
    def __init__(self, name: str, location: list[int | str]) -> None:
        self.name = name
        self.location = location


def _substitute_env(value: Any, location: list[int | str]) -> Any:
    """Replace ${NAME} in every string with the environment variable (secrets stay out of YAML)."""
    if isinstance(value, str):

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise _MissingVariableError(name, location)
            return os.environ[name]

        return _ENV_REFERENCE.sub(lookup, value)
    if isinstance(value, dict):
        return {k: _substitute_env(v, [*location, k]) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_env(v, [*location, i]) for i, v in enumerate(value)]
    return value


def line_of(root: yaml.Node | None, location: Sequence[int | str]) -> int | None:
    """1-based line of the YAML node at a pydantic error location (or its nearest parent)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for key in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
            if match is None:
                continue  # a union tag such as 'nanodet', or a field the YAML does not have
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                break
            node = node.value[key]
        else:
            continue  # pydantic adds union tags such as 'nanodet' to locations
        line = node.start_mark.line + 1
    return line


def parse_config(text: str, source_name: str = "<config>") -> Config:
    """Validate YAML text into a Config; raises ConfigError naming the line and the field."""
    data, root = compose_yaml(text, source_name)
    try:
        data = _substitute_env(data if data is not None else {}, [])
    except _MissingVariableError as exc:
        field = ".".join(str(p) for p in exc.location)
        line = line_of(root, exc.location)
        where = f"{source_name}:{line}" if line else source_name
        raise ConfigError(f"{where}: {field}: environment variable {exc.name} is not set") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source_name}:1: the config must be a mapping of keys to values")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(error_lines(exc, root, source_name))) from exc


def compose_yaml(text: str, source_name: str) -> tuple[Any, yaml.Node | None]:
    """Parsed YAML and its node tree (for line numbers); bad YAML is a ConfigError at its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source_name}:{mark.line + 1}" if mark is not None else source_name
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return data, root


# A validator that names a list item ("point 4: ...") gets the line of that item.
_ITEM = re.compile(r"point (\d+):")


def error_lines(
    exc: ValidationError,
    root: yaml.Node | None,
    source_name: str,
    hidden: Collection[str] = (),
) -> list[str]:
    """One 'FILE:LINE: field: reason' line per pydantic error (for any YAML-loaded model).

    `hidden`: union tags pydantic puts in locations (a scenario's `crowd` / `flood`) that are
    not keys of the file and so stay out of the field name.
    """
    lines = []
    for error in exc.errors():
        location = [p for p in error["loc"] if isinstance(p, int | str)]
        message = str(error["msg"]).removeprefix("Value error, ")
        item = _ITEM.match(message)
        line = line_of(root, [*location, int(item.group(1)) - 1] if item else location)
        where = f"{source_name}:{line}" if line else source_name
        field = ".".join(str(p) for p in location if p not in hidden) or "(top level)"
        lines.append(f"{where}: {field}: {message}")
    return lines


def load_config(path: Path) -> Config:
    """Read and validate a YAML config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    return parse_config(text, str(path))
