"""The OpenAI-compatible adapter against a real local HTTP server that answers like vLLM."""

import asyncio
import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from cctwin.reports import OpenAICompatibleReportSettings, ReportSource, build_reporter
from cctwin.reports.openai_compatible import (
    ModelAnswerError,
    OpenAICompatibleReporter,
    parse_answer,
)
from cctwin.types import Alert, Event

SNAPSHOT = b"\xff\xd8\xff\xe0 not really a JPEG but bytes all the same \xff\xd9"
GOOD = {"verified": True, "confidence": 0.82, "report_ko": "두 사람이 잔디밭에 서 있음.",
        "report_en": "Two people stand on the lawn."}  # fmt: skip


@dataclass
class FakeVisionServer:
    """An OpenAI-compatible chat endpoint whose next answer the test chooses."""

    base_url: str = ""
    mode: str = "ok"
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            self.bodies.append(await request.json())
            self.headers.append(dict(request.headers))
            return await self.answer()

        return app

    async def answer(self) -> Response:
        replies = {
            "ok": json.dumps(GOOD),
            "fenced": "Here is my check:\n```json\n" + json.dumps(GOOD) + "\n```\nThanks.",
            "prose": 'I looked. {"note": 1} then ' + json.dumps(GOOD | {"verified": "false"}),
            "garbage": "I am sorry, I cannot look at images.",
            "bad_confidence": json.dumps(GOOD | {"confidence": -0.3}),
        }
        if self.mode == "error":
            return JSONResponse({"error": {"message": "CUDA out of memory"}}, status_code=500)
        if self.mode == "html":
            return PlainTextResponse("<html>gateway</html>")
        if self.mode == "slow":
            await asyncio.sleep(1.5)
        content = replies.get(self.mode, replies["ok"])
        return JSONResponse({"choices": [{"message": {"role": "assistant", "content": content}}]})


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVisionServer]:
    fake = FakeVisionServer()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(fake.app(), log_level="warning", timeout_graceful_shutdown=1)
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "the fake model server did not start"
        time.sleep(0.02)
    fake.base_url = f"http://127.0.0.1:{port}/v1"
    yield fake
    running.should_exit = True
    thread.join(timeout=5)
    sock.close()


@pytest.fixture
def vlm(server: FakeVisionServer) -> FakeVisionServer:
    server.mode = "ok"
    server.bodies.clear()
    server.headers.clear()
    return server


def settings(base_url: str, **changes: Any) -> OpenAICompatibleReportSettings:
    fields = {"backend": "openai_compatible", "base_url": base_url, "model": "qwen2.5-vl-7b"}
    return OpenAICompatibleReportSettings.model_validate(fields | {"api_key": "sek"} | changes)


def ask(config: OpenAICompatibleReportSettings, case: tuple[Alert, list[Event]], **kw: Any):
    alert, events = case
    reporter = build_reporter(config)
    return asyncio.run(reporter.report(alert, events, kw.get("snapshot", SNAPSHOT)))


def test_model_answer_becomes_the_report_and_the_request_carries_the_image(
    vlm: FakeVisionServer, loitering: tuple[Alert, list[Event]]
) -> None:
    report = ask(settings(vlm.base_url + "/"), loitering)
    assert report.source is ReportSource.MODEL
    assert (report.verified, report.confidence) == (True, pytest.approx(0.82))
    assert report.text_en == "Two people stand on the lawn."
    assert report.text_ko == "두 사람이 잔디밭에 서 있음."
    assert (report.model, report.error) == ("qwen2.5-vl-7b", None)
    (body,) = vlm.bodies
    assert body["model"] == "qwen2.5-vl-7b"
    assert body["max_tokens"] == 400
    system, user = body["messages"]
    assert system["role"] == "system"
    assert '"verified"' in system["content"]
    text, image = user["content"]
    assert "Alert kind: loitering. Camera: cam-3. Zone: lawn." in text["text"]
    assert "2 people loitering" in text["text"]
    assert image["type"] == "image_url"
    prefix = "data:image/jpeg;base64,"
    assert image["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(image["image_url"]["url"][len(prefix) :]) == SNAPSHOT
    assert vlm.headers[0]["authorization"] == "Bearer sek"


@pytest.mark.parametrize(("mode", "verified"), [("fenced", True), ("prose", False)])
def test_json_inside_fences_or_prose_is_found(
    vlm: FakeVisionServer, loitering: tuple[Alert, list[Event]], mode: str, verified: bool
) -> None:
    vlm.mode = mode
    report = ask(settings(vlm.base_url), loitering)
    assert report.source is ReportSource.MODEL
    assert report.verified is verified
    assert report.text_en == GOOD["report_en"]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("garbage", "unusable answer: no JSON object in the answer"),
        ("bad_confidence", "unusable answer: confidence: Input should be greater than or equal"),
        ("html", "unusable answer: the server's reply is not JSON"),
        ("error", 'HTTP 500: {"error":{"message":"CUDA out of memory"}}'),
    ],
)
def test_failures_fall_back_to_the_template_with_the_reason(
    vlm: FakeVisionServer, loitering: tuple[Alert, list[Event]], mode: str, reason: str
) -> None:
    vlm.mode = mode
    report = ask(settings(vlm.base_url), loitering)
    assert report.source is ReportSource.TEMPLATE
    assert report.error is not None
    assert report.error.startswith(reason)
    assert report.model == "qwen2.5-vl-7b"
    assert (report.verified, report.confidence) == (None, None)
    assert report.text_en.startswith("[Loitering] 2 people loitering in zone lawn")


def test_a_slow_model_times_out(
    vlm: FakeVisionServer, loitering: tuple[Alert, list[Event]]
) -> None:
    vlm.mode = "slow"
    started = time.monotonic()
    report = ask(settings(vlm.base_url, timeout_s=0.3), loitering)
    assert time.monotonic() - started < 1.2
    assert report.source is ReportSource.TEMPLATE
    assert report.error == "timed out after 0.3 s"


def test_no_snapshot_means_no_request(
    vlm: FakeVisionServer, loitering: tuple[Alert, list[Event]]
) -> None:
    report = ask(settings(vlm.base_url), loitering, snapshot=None)
    assert report.source is ReportSource.TEMPLATE
    assert report.error == "no snapshot to show the model"
    assert vlm.bodies == []


def test_report_only_mode_asks_no_verdict(
    vlm: FakeVisionServer, loitering: tuple[Alert, list[Event]]
) -> None:
    report = ask(settings(vlm.base_url, verify=False, api_key=""), loitering)
    assert report.source is ReportSource.MODEL
    assert (report.verified, report.confidence) == (None, None)
    assert '"verified"' not in vlm.bodies[0]["messages"][0]["content"]
    assert "authorization" not in vlm.headers[0]


def test_nothing_listening_falls_back(loitering: tuple[Alert, list[Event]]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    report = ask(settings(f"http://127.0.0.1:{closed_port}/v1", timeout_s=5), loitering)
    assert report.source is ReportSource.TEMPLATE
    assert report.error is not None
    assert report.error.startswith("request failed: ConnectError")


def mock_reply(content: Any, status: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/completions"
        return httpx.Response(status, json={"choices": [{"message": {"content": content}}]})

    return httpx.MockTransport(handle)


def with_transport(transport: httpx.MockTransport, **changes: Any) -> OpenAICompatibleReporter:
    return OpenAICompatibleReporter(settings("http://vlm.invalid/v1", **changes), None, transport)


def test_content_given_as_parts_is_joined(loitering: tuple[Alert, list[Event]]) -> None:
    parts = [{"type": "text", "text": '{"verified": true, "confidence": "85%", '},
             {"type": "text", "text": '"report_ko": "화재 없음", "report_en": "No fire"}'}]  # fmt: skip
    reporter = with_transport(mock_reply(parts))
    report = asyncio.run(reporter.report(*loitering, SNAPSHOT))
    assert (report.text_en, report.confidence) == ("No fire", pytest.approx(0.85))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ({"report_ko": "가", "report_en": "a"}, "verified: missing"),
        ({"verified": True, "report_ko": "", "report_en": "a"}, "report_ko: String should have"),
        (None, "the model's message is empty"),
    ],
)
def test_answers_missing_what_was_asked_fall_back(
    loitering: tuple[Alert, list[Event]], content: Any, reason: str
) -> None:
    text = json.dumps(content) if isinstance(content, dict) else content
    report = asyncio.run(with_transport(mock_reply(text)).report(*loitering, SNAPSHOT))
    assert report.source is ReportSource.TEMPLATE
    assert report.error is not None
    assert reason in report.error


def test_a_reply_without_choices_falls_back(loitering: tuple[Alert, list[Event]]) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"object": "x"}))
    report = asyncio.run(with_transport(transport).report(*loitering, SNAPSHOT))
    assert report.error == "unusable answer: no choices[0].message.content in the reply"


def test_parse_answer_takes_the_first_complete_object() -> None:
    text = 'Result: {"verified": "yes", "confidence": 1, "report_ko": "예", "report_en": "Yes"} {'
    answer = parse_answer(text, need_verdict=True)
    assert (answer.verified, answer.confidence, answer.report_en) == (True, 1.0, "Yes")
    with pytest.raises(ModelAnswerError, match="no JSON object"):
        parse_answer("{not json}", need_verdict=False)


def test_long_answers_are_trimmed(loitering: tuple[Alert, list[Event]]) -> None:
    content = json.dumps(GOOD | {"report_en": "word " * 1000})
    report = asyncio.run(with_transport(mock_reply(content)).report(*loitering, SNAPSHOT))
    assert len(report.text_en) == 1000
    assert report.text_en.endswith("…")
