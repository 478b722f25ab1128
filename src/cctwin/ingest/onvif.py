"""Ask a camera's ONVIF device and media services for its main and sub-stream RTSP URLs."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from cctwin.errors import SourceError

# GetStreamUri asks for this: plain RTSP (RTP interleaved or not is the RTSP client's choice).
STREAM_SETUP = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}


@dataclass(frozen=True)
class OnvifStream:
    """One video media profile of a camera and the RTSP URI that streams it."""

    profile_token: str
    name: str
    width: int
    height: int
    encoding: str
    uri: str


@dataclass(frozen=True)
class OnvifStreams:
    """What a camera offers: who made it and its video streams, largest resolution first."""

    manufacturer: str
    model: str
    streams: list[OnvifStream]

    def __post_init__(self) -> None:
        if not self.streams:
            raise ValueError("OnvifStreams needs at least one stream")

    @property
    def main(self) -> OnvifStream:
        """The largest stream (the first of equals, so the camera's own order breaks ties)."""
        return max(self.streams, key=_pixel_count)

    @property
    def sub(self) -> OnvifStream | None:
        """The smallest stream with fewer pixels than main, or None if there is none.

        A same-sized second profile (say the main stream in another codec) is not a
        sub-stream: it saves no decoding.
        """
        main_pixels = _pixel_count(self.main)
        smaller = [stream for stream in self.streams if _pixel_count(stream) < main_pixels]
        return min(smaller, key=_pixel_count) if smaller else None


async def discover_streams(
    host: str,
    port: int,
    username: str,
    password: str,
    timeout_s: float = 10.0,
    with_credentials: bool = False,
) -> OnvifStreams:
    """Read the manufacturer, model and RTSP URI of every video profile of an ONVIF camera.

    Raises SourceError, naming host:port but never the password, for any failure:
    unreachable device, refused credentials, timeout, or no video profiles. With
    `with_credentials`, the URL-quoted username and password go into each RTSP URI.
    """
    endpoint = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        camera = _create_camera(_import_onvif(), host, port, username, password)
    except Exception as error:
        raise SourceError(f"ONVIF device {endpoint}: cannot set up the client: {error}") from error
    try:
        async with asyncio.timeout(timeout_s):
            manufacturer, model, streams = await _query_camera(camera)
    except Exception as error:
        detail = _describe_failure(error, timeout_s)
        if password:
            detail = detail.replace(password, "***")
        raise SourceError(f"ONVIF device {endpoint}: {detail}") from error
    finally:
        await camera.close()
    if not streams:
        raise SourceError(f"ONVIF device {endpoint}: no media profile has a video encoder")
    if with_credentials and username:
        streams = [
            OnvifStream(
                profile_token=stream.profile_token,
                name=stream.name,
                width=stream.width,
                height=stream.height,
                encoding=stream.encoding,
                uri=_with_credentials(stream.uri, username, password),
            )
            for stream in streams
        ]
    # Stable sort: equal resolutions keep the camera's order, which usually puts its
    # preferred profile first.
    streams.sort(key=_pixel_count, reverse=True)
    return OnvifStreams(manufacturer=manufacturer, model=model, streams=streams)


def discover_streams_sync(
    host: str,
    port: int,
    username: str,
    password: str,
    timeout_s: float = 10.0,
    with_credentials: bool = False,
) -> OnvifStreams:
    """discover_streams for callers without an event loop (the CLI)."""
    return asyncio.run(
        discover_streams(host, port, username, password, timeout_s, with_credentials)
    )


def _import_onvif() -> Any:
    root_logger = logging.getLogger()
    handlers_before, level_before = root_logger.handlers[:], root_logger.level
    import onvif

    # onvif.client calls logging.basicConfig(level=INFO) when first imported, which would
    # take over the root logger of whatever application imports us.
    root_logger.handlers[:] = handlers_before
    root_logger.setLevel(level_before)
    return onvif


def _create_camera(onvif: Any, host: str, port: int, username: str, password: str) -> Any:
    proxy_variables = {
        name: os.environ[name] for name in ("http_proxy", "https_proxy") if name in os.environ
    }
    camera = onvif.ONVIFCamera(
        host,
        port,
        username,
        password,
        # Explicit because releases before 4.x defaulted to a directory that did not exist.
        wsdl_dir=os.path.join(os.path.dirname(onvif.__file__), "wsdl"),
        # The WSDLs are local files, so zeep's SQLite cache would only write ~/.cache/zeep.
        no_cache=True,
        # Cameras often keep bad time, and the WS-Security digest includes a timestamp:
        # asking the camera's clock first (an unauthenticated call) avoids spurious refusals.
        adjust_time=True,
    )
    # ONVIFCamera deletes these from the process environment; put back what it took.
    os.environ.update(proxy_variables)
    return camera


async def _query_camera(camera: Any) -> tuple[str, str, list[OnvifStream]]:
    await camera.update_xaddrs()
    device_management = await camera.create_devicemgmt_service()
    device_information = await device_management.GetDeviceInformation()
    media = await camera.create_media_service()
    profiles = await media.GetProfiles()
    streams = []
    for profile in profiles or []:
        encoder = profile.VideoEncoderConfiguration
        # Audio-only and metadata-only profiles have no video encoder and nothing to decode.
        if encoder is None or encoder.Resolution is None:
            continue
        request = media.create_type("GetStreamUri")
        request.ProfileToken = profile.token
        request.StreamSetup = STREAM_SETUP
        media_uri = await media.GetStreamUri(request)
        streams.append(
            OnvifStream(
                profile_token=str(profile.token),
                name=str(profile.Name or profile.token),
                width=int(encoder.Resolution.Width),
                height=int(encoder.Resolution.Height),
                encoding=str(encoder.Encoding or ""),
                uri=str(media_uri.Uri),
            )
        )
    return (
        str(device_information.Manufacturer or ""),
        str(device_information.Model or ""),
        streams,
    )


def _describe_failure(error: Exception, timeout_s: float) -> str:
    import aiohttp
    from onvif import ONVIFError
    from onvif.util import is_auth_error, stringify_onvif_error
    from zeep.exceptions import Fault, TransportError

    if isinstance(error, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    if isinstance(error, aiohttp.ClientConnectorError):
        # asyncio words a refusal as "Connect call failed (address)", which hides the cause.
        if isinstance(error.os_error, ConnectionRefusedError):
            return "cannot connect (connection refused)"
        return f"cannot connect ({error.os_error.strerror or error.os_error})"
    if isinstance(error, Fault) and is_auth_error(error):
        return f"authorisation refused, check the username and password ({error.message})"
    if isinstance(error, TransportError) and error.status_code in (401, 403):
        return f"authorisation refused (HTTP {error.status_code}), check the username and password"
    if isinstance(error, Fault):
        return f"SOAP fault: {stringify_onvif_error(error)}"
    if isinstance(error, TransportError):
        return f"HTTP {error.status_code} from the device"
    if isinstance(error, aiohttp.ClientError):
        return f"connection failed ({error})"
    if isinstance(error, ONVIFError):
        # ONVIFError's str() prefixes everything with "Unknown error: ".
        return f"ONVIF client error: {error.args[0] if error.args else error}"
    # zeep reports answers it cannot parse as assorted exceptions (AttributeError on a
    # non-XML error page, for one), so name the type rather than guess.
    return f"unexpected answer ({type(error).__name__}: {error})"


def _with_credentials(uri: str, username: str, password: str) -> str:
    parts = urlsplit(uri)
    host_and_port = parts.netloc.rpartition("@")[2]
    userinfo = quote(username, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host_and_port}"))


def _pixel_count(stream: OnvifStream) -> int:
    return stream.width * stream.height
