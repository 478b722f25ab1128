"""MQTT notifications (CIM 009 clause 7.x MQTT binding, 5.8.6): publish to `mqtt://` endpoints.

An endpoint `mqtt[s]://[user[:password]@]host[:port]/topic` gets each notification as one
PUBLISH on `topic`, the message being `{"metadata": {headers}, "body": notification}`.
This is a minimal MQTT 3.1.1 client (CONNECT, PUBLISH at QoS 0, 1 or 2, DISCONNECT), one
connection per notification: brokers speaking MQTT 5 accept 3.1.1 clients too.
`notifierInfo` may set `MQTT-QoS` (0, 1, 2; default 0) and `MQTT-Version` (mqtt3.1.1 or
mqtt5.0; both are sent as 3.1.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from cctwin.ngsi.problems import bad_data

SCHEMES = ("mqtt://", "mqtts://")
VERSIONS = ("mqtt3.1.1", "mqtt5.0")
_CONNACK, _PUBACK, _PUBREC, _PUBCOMP = 0x20, 0x40, 0x50, 0x70


class MqttError(Exception):
    """A notification the MQTT broker did not take (refused, unreachable, bad answer)."""


@dataclass(frozen=True)
class MqttEndpoint:
    host: str
    port: int
    topic: str
    tls: bool
    username: str | None = None
    password: str | None = None
    qos: int = 0


def parse_endpoint(uri: str, notifier_info: Mapping[str, str]) -> MqttEndpoint:
    """An `mqtt://` notification endpoint and its notifierInfo (BadRequestData if wrong)."""
    parts = urlsplit(uri)
    topic = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not topic:
        raise bad_data("an MQTT endpoint is mqtt://[user[:password]@]host[:port]/topic")
    try:
        port = parts.port
    except ValueError as error:
        raise bad_data(f"bad MQTT port: {error}") from error
    qos_text = notifier_info.get("MQTT-QoS", "0")
    if qos_text not in ("0", "1", "2"):
        raise bad_data("notifierInfo MQTT-QoS is 0, 1 or 2")
    if notifier_info.get("MQTT-Version", VERSIONS[0]) not in VERSIONS:
        raise bad_data(f"notifierInfo MQTT-Version is one of {', '.join(VERSIONS)}")
    tls = parts.scheme == "mqtts"
    return MqttEndpoint(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        topic=topic,
        tls=tls,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        qos=int(qos_text),
    )


async def publish(endpoint: MqttEndpoint, payload: bytes, timeout_s: float = 5.0) -> None:
    """One PUBLISH of `payload` on the endpoint's topic (MqttError if it is not taken)."""
    try:
        await asyncio.wait_for(_publish(endpoint, payload), timeout_s)
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
        raise MqttError(
            f"{endpoint.host}:{endpoint.port}: {error or type(error).__name__}"
        ) from error


async def _publish(endpoint: MqttEndpoint, payload: bytes) -> None:
    context = ssl.create_default_context() if endpoint.tls else None
    reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port, ssl=context)
    try:
        writer.write(_connect(endpoint))
        kind, body = await _read_packet(reader)
        if kind != _CONNACK or len(body) < 2 or body[1] != 0:
            raise MqttError(f"the MQTT broker refused the connection (code {body[1:2].hex()})")
        packet_id = 1
        header = 0x30 | (endpoint.qos << 1)
        variable = _string(endpoint.topic) + (struct.pack("!H", packet_id) if endpoint.qos else b"")
        writer.write(_packet(header, variable + payload))
        if endpoint.qos == 1:
            await _expect(reader, _PUBACK)
        elif endpoint.qos == 2:
            await _expect(reader, _PUBREC)
            writer.write(_packet(0x62, struct.pack("!H", packet_id)))  # PUBREL
            await _expect(reader, _PUBCOMP)
        writer.write(b"\xe0\x00")  # DISCONNECT
        await writer.drain()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _connect(endpoint: MqttEndpoint) -> bytes:
    flags = 0x02  # clean session
    payload = _string(f"cctwin-{uuid.uuid4().hex[:12]}")
    if endpoint.username is not None:
        flags |= 0x80
        payload += _string(endpoint.username)
        if endpoint.password is not None:
            flags |= 0x40
            payload += _string(endpoint.password)
    variable = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", 30)
    return _packet(0x10, variable + payload)


async def _expect(reader: asyncio.StreamReader, kind: int) -> None:
    got, _ = await _read_packet(reader)
    if got != kind:
        raise MqttError(f"the MQTT broker answered packet type {got >> 4}, not {kind >> 4}")


async def _read_packet(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first = (await reader.readexactly(1))[0]
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift > 21:
            raise MqttError("malformed MQTT packet length")
    return first & 0xF0, await reader.readexactly(length)


def _packet(header: int, body: bytes) -> bytes:
    return bytes([header]) + _length(len(body)) + body


def _length(size: int) -> bytes:
    out = bytearray()
    while True:
        byte, size = size % 128, size // 128
        out.append(byte | (0x80 if size else 0))
        if not size:
            return bytes(out)


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw
