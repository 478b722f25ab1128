"""A vision chat model behind an OpenAI-compatible API checks the snapshot and writes the report.

Works with any server that speaks `POST /chat/completions` with image_url content parts:
vLLM, Ollama, llama.cpp's server, or a vendor. No model ships with cctwin. Whatever goes
wrong (no snapshot, timeout, HTTP error, an answer that is not the JSON asked for), the
report falls back to the templates and records why.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cctwin.reports.report import Reporter, ReportSource, SituationReport
from cctwin.reports.settings import OpenAICompatibleReportSettings
from cctwin.reports.templates import TemplateReporter
from cctwin.types import Alert, Event

log = logging.getLogger(__name__)

# Long enough for two sentences per language; anything longer is trimmed for the UI.
MAX_REPORT_CHARS = 1000
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)

SYSTEM_PROMPT = """\
You check alerts raised by video analytics in a city CCTV control centre in Korea.
You get one camera snapshot and what the analytics claim to have seen.
{verify_task}Write a short situation report for the operator: at most two sentences \
per language, saying what is visible, where, and whether it supports the alert.
Describe only what the image shows. Never identify people or guess who they are; do not \
describe faces, and do not read out licence plates.
Answer with one JSON object and nothing else (no code fences) with the keys {schema}."""
_VERIFY_TASK = (
    "First decide whether the snapshot shows the claimed situation "
    "(verified true or false) and how sure you are (confidence 0 to 1).\n"
)
_SCHEMA_REPORT = '"report_ko" (the report in Korean) and "report_en" (the report in English)'
_SCHEMA_VERIFY = '"verified" (true or false), "confidence" (0 to 1), ' + _SCHEMA_REPORT


class ModelAnswer(BaseModel):
    """The JSON object the model is asked for; lax, since models write "true" or 0.9 as text."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    verified: bool | None = None
    confidence: float | None = Field(None, ge=0.0, le=1.0)
    report_ko: str = Field(min_length=1)
    report_en: str = Field(min_length=1)

    @field_validator("confidence", mode="before")
    @classmethod
    def _percent_to_fraction(cls, value: Any) -> Any:
        # Some models answer 85 or "85%" however the prompt asks; a fraction is meant.
        if isinstance(value, str) and value.strip().endswith("%"):
            return float(value.strip()[:-1]) / 100
        if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value <= 100:
            return value / 100
        return value


class ModelAnswerError(ValueError):
    """The model answered, but not with the JSON object it was asked for."""


class OpenAICompatibleReporter:
    """Asks a vision chat model about an alert's snapshot; falls back to `fallback` on failure.

    `transport` replaces the network (tests, or a custom proxy set-up). A client is opened
    per report: alerts are rare, and nothing then outlives the event loop that made it.
    """

    def __init__(
        self,
        settings: OpenAICompatibleReportSettings,
        fallback: Reporter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.fallback: Reporter = fallback or TemplateReporter(settings.timezone)
        self.transport = transport

    async def report(
        self, alert: Alert, events: Sequence[Event], snapshot_jpeg: bytes | None
    ) -> SituationReport:
        template = await self.fallback.report(alert, events, snapshot_jpeg)
        if not snapshot_jpeg:
            return self._fell_back(template, "no snapshot to show the model")
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                content = await self._ask(self.request_body(alert, template, snapshot_jpeg))
            answer = parse_answer(content, need_verdict=self.settings.verify)
        except (TimeoutError, httpx.TimeoutException):
            return self._fell_back(template, f"timed out after {self.settings.timeout_s:g} s")
        except httpx.HTTPStatusError as exc:
            body = exc.response.text[:200].strip()
            return self._fell_back(template, f"HTTP {exc.response.status_code}: {body}")
        except httpx.HTTPError as exc:
            return self._fell_back(template, f"request failed: {type(exc).__name__}: {exc}")
        except ModelAnswerError as exc:
            return self._fell_back(template, f"unusable answer: {exc}")
        except Exception as exc:  # a report must never stop the alert from reaching operators
            log.exception("situation report model call failed")
            return self._fell_back(template, f"unexpected {type(exc).__name__}: {exc}")
        return SituationReport(
            text_ko=_trimmed(answer.report_ko),
            text_en=_trimmed(answer.report_en),
            source=ReportSource.MODEL,
            verified=answer.verified if self.settings.verify else None,
            confidence=answer.confidence if self.settings.verify else None,
            model=self.settings.model,
        )

    def request_body(
        self, alert: Alert, template: SituationReport, snapshot_jpeg: bytes
    ) -> dict[str, Any]:
        """The chat-completions request: instructions, the analytics' claim and the image."""
        verify = self.settings.verify
        system = SYSTEM_PROMPT.format(
            verify_task=_VERIFY_TASK if verify else "",
            schema=_SCHEMA_VERIFY if verify else _SCHEMA_REPORT,
        )
        claim = (
            f"Alert kind: {alert.kind.value}. Camera: {alert.camera_id}. "
            f"Zone: {alert.zone_id or 'none'}. Severity: {alert.severity.value}.\n"
            f"What the analytics report (English): {template.text_en}\n"
            f"(Korean): {template.text_ko}"
        )
        image = base64.b64encode(snapshot_jpeg).decode("ascii")
        return {
            "model": self.settings.model,
            "messages": [
                {"role": "system", "content": system},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": claim},
                        {
                            "type": "image_url",
                            "image_url": {"url": f"data:image/jpeg;base64,{image}"},
                        },
                    ],
                },
            ],
            "max_tokens": self.settings.max_tokens,
            "temperature": self.settings.temperature,
            "stream": False,
        }

    async def _ask(self, body: dict[str, Any]) -> str:
        headers = {"Accept": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        async with httpx.AsyncClient(
            timeout=self.settings.timeout_s,
            verify=self.settings.tls_verify,
            transport=self.transport,
        ) as client:
            response = await client.post(
                f"{self.settings.base_url}/chat/completions", json=body, headers=headers
            )
            response.raise_for_status()
            try:
                data = response.json()
            except ValueError:
                raise ModelAnswerError("the server's reply is not JSON") from None
        return message_text(data)

    def _fell_back(self, template: SituationReport, reason: str) -> SituationReport:
        log.warning("situation report from templates: %s (%s)", reason, self.settings.model)
        return SituationReport(
            text_ko=template.text_ko,
            text_en=template.text_en,
            source=ReportSource.TEMPLATE,
            model=self.settings.model,
            error=reason,
        )


def message_text(data: Any) -> str:
    """The assistant's text from a chat-completions reply (a string or a list of parts)."""
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ModelAnswerError("no choices[0].message.content in the reply") from None
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str) or not content.strip():
        raise ModelAnswerError("the model's message is empty")
    return content


def parse_answer(content: str, need_verdict: bool) -> ModelAnswer:
    """The first JSON object in the model's text that has the asked-for keys.

    Models wrap JSON in code fences or add a sentence before or after it, so look inside
    fences first, then try every `{` in order.
    """
    candidates = [m.group(1) for m in _FENCE.finditer(content)] + [content]
    decoder = json.JSONDecoder()
    problem = "no JSON object in the answer"
    for text in candidates:
        for start in (i for i, ch in enumerate(text) if ch == "{"):
            try:
                found, _ = decoder.raw_decode(text, start)
            except json.JSONDecodeError:
                continue
            if not isinstance(found, dict):
                continue
            try:
                answer = ModelAnswer.model_validate(found)
            except ValidationError as exc:
                first = exc.errors()[0]
                problem = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
                continue
            if need_verdict and answer.verified is None:
                problem = "verified: missing"
                continue
            return answer
    raise ModelAnswerError(problem)


def _trimmed(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_REPORT_CHARS else text[: MAX_REPORT_CHARS - 1] + "…"
