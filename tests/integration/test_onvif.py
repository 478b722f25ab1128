"""discover_streams against a fake ONVIF camera: profiles, URIs, credentials and failures."""

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest
from onvif_device import MANUFACTURER, MODEL, FakeOnvifDevice

from cctwin.errors import SourceError
from cctwin.ingest.onvif import OnvifStream, OnvifStreams, discover_streams, discover_streams_sync

USERNAME = "operator"
# '@' and ':' would break an rtsp://user:pass@host URI unless quoted.
PASSWORD = "p@ss:w0rd/x"


@pytest.fixture(scope="module")
def device() -> Iterator[FakeOnvifDevice]:
    with FakeOnvifDevice(username=USERNAME, password=PASSWORD) as running:
        yield running


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_main_and_sub_streams_come_from_the_profiles(device: FakeOnvifDevice) -> None:
    found = discover_streams_sync(device.host, device.port, USERNAME, PASSWORD, timeout_s=10)

    assert (found.manufacturer, found.model) == (MANUFACTURER, MODEL)
    assert found.main == OnvifStream(
        "main", "main", 1920, 1080, "H264", "rtsp://127.0.0.1:8554/main"
    )
    assert found.sub == OnvifStream("sub", "sub", 640, 360, "H264", "rtsp://127.0.0.1:8554/sub")
    # The fake lists "sub" first; the result is sorted largest first regardless.
    assert [stream.profile_token for stream in found.streams] == ["main", "sub"]


def test_with_credentials_puts_quoted_credentials_in_the_uris(device: FakeOnvifDevice) -> None:
    found = asyncio.run(
        discover_streams(device.host, device.port, USERNAME, PASSWORD, with_credentials=True)
    )

    assert found.main.uri == "rtsp://operator:p%40ss%3Aw0rd%2Fx@127.0.0.1:8554/main"
    assert found.sub is not None
    assert found.sub.uri == "rtsp://operator:p%40ss%3Aw0rd%2Fx@127.0.0.1:8554/sub"


def test_closed_port_fails_fast_naming_the_endpoint_not_the_password() -> None:
    port = closed_port()
    started = time.monotonic()

    with pytest.raises(SourceError) as raised:
        discover_streams_sync("127.0.0.1", port, USERNAME, PASSWORD, timeout_s=3)

    assert time.monotonic() - started < 3
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message
    assert "cannot connect" in message
    assert PASSWORD not in message
    assert "\n" not in message


def test_wrong_username_is_reported_as_an_authorisation_failure(device: FakeOnvifDevice) -> None:
    with pytest.raises(SourceError) as raised:
        discover_streams_sync(device.host, device.port, "wrong", PASSWORD, timeout_s=10)

    message = str(raised.value)
    assert "authorisation" in message
    assert f"{device.host}:{device.port}" in message
    assert PASSWORD not in message


def test_wrong_password_is_reported_as_an_authorisation_failure(device: FakeOnvifDevice) -> None:
    with pytest.raises(SourceError, match="authorisation"):
        discover_streams_sync(device.host, device.port, USERNAME, "not-it", timeout_s=10)


def test_unanswering_device_times_out() -> None:
    with socket.socket() as silent:
        # Listening but never accepting: the TCP handshake completes, no HTTP answer comes.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()

        with pytest.raises(SourceError, match=r"no answer within 0\.5 s"):
            discover_streams_sync("127.0.0.1", port, USERNAME, PASSWORD, timeout_s=0.5)

    assert time.monotonic() - started < 5


def test_sub_is_none_without_a_smaller_stream() -> None:
    main = OnvifStream("a", "a", 1920, 1080, "H264", "rtsp://camera/a")
    same_size = OnvifStream("b", "b", 1920, 1080, "H265", "rtsp://camera/b")

    assert OnvifStreams("m", "x", [main]).sub is None
    assert OnvifStreams("m", "x", [main, same_size]).sub is None
    assert OnvifStreams("m", "x", [main, same_size]).main == main


def test_a_camera_configured_by_onvif_gets_its_sub_stream_url() -> None:
    from cctwin.config import OnvifConfig, SamplingConfig, SourceConfig
    from cctwin.ingest.pyav import PyAvSource

    with FakeOnvifDevice(username="admin", password="secret") as device:
        onvif = OnvifConfig(host=device.host, port=device.port, username="admin", password="secret")
        source = PyAvSource("gate", SourceConfig(onvif=onvif), SamplingConfig(stream="sub"))
    assert source.live
    assert source.url.endswith("/sub")
    assert source.url.startswith("rtsp://admin:secret@")
