"""Config of situation reports: templates only, or a model behind an OpenAI-compatible API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator


def _known_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {value!r}") from exc
    return value


class TemplateReportSettings(BaseModel):
    """Reports written from the detections by fixed Korean and English sentences."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["template"] = "template"
    timezone: str = Field("Asia/Seoul", description="Time zone of the times in the text.")

    _check_timezone = field_validator("timezone")(_known_timezone)


class OpenAICompatibleReportSettings(BaseModel):
    """A vision chat model (vLLM, Ollama, a vendor) that checks the snapshot and writes the text.

    No model ships with cctwin: `base_url` points at a server the deployment runs, such as
    vLLM (`http://gpu-host:8000/v1`) or Ollama (`http://localhost:11434/v1`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["openai_compatible"]
    base_url: str = Field(
        pattern=r"^https?://\S+$", description="API root; {base_url}/chat/completions is called."
    )
    model: str = Field(min_length=1, description="Model name as the server knows it.")
    # The YAML loader has already replaced ${ENV}; keep the key out of reprs and logs.
    api_key: str | None = Field(None, repr=False, description="Sent as a Bearer token.")
    timeout_s: float = Field(30.0, gt=0, le=600, description="Whole request, connect to answer.")
    max_tokens: int = Field(400, ge=16, le=8192, description="Longest answer the model may give.")
    temperature: float = Field(0.0, ge=0, le=2)
    verify: bool = Field(True, description="Ask the model whether the snapshot shows the alert.")
    tls_verify: bool = Field(True, description="Check the server's TLS certificate.")
    timezone: str = Field("Asia/Seoul", description="Time zone of the times in the text.")

    _check_timezone = field_validator("timezone")(_known_timezone)

    @field_validator("base_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("api_key")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        # An unset secret often arrives as "" (KEY= in an env file): send no header at all.
        return value or None


def _backend_or_template(value: Any) -> str:
    """Discriminator that lets YAML leave `backend:` out and get the templates."""
    if isinstance(value, dict):
        return str(value.get("backend", "template"))
    return str(getattr(value, "backend", "template"))


ReportSettings = Annotated[
    Annotated[TemplateReportSettings, Tag("template")]
    | Annotated[OpenAICompatibleReportSettings, Tag("openai_compatible")],
    Discriminator(_backend_or_template),
]
