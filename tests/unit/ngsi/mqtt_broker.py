"""A tiny MQTT 3.1.1 broker on 127.0.0.1 that keeps what is PUBLISHed to it (for tests)."""

from __future__ import annotations

import json
import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Published:
    topic: str
    qos: int
    message: Any  # the JSON payload
    username: str | None


@dataclass
class MqttBroker:
    """Accepts every CONNECT (or refuses all with `refuse`), acknowledges QoS 1 and 2."""

    refuse: bool = False
    published: list[Published] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        username: str | None = None
        with conn:
            while True:
                packet = _read(conn)
                if packet is None:
                    return
                kind, flags, body = packet
                if kind == 0x10:  # CONNECT
                    username = _username(body)
                    conn.sendall(bytes([0x20, 2, 0, 5 if self.refuse else 0]))
                elif kind == 0x30:  # PUBLISH
                    self._publish(conn, flags, body, username)
                elif kind == 0x60:  # PUBREL
                    conn.sendall(bytes([0x70, 2]) + body[:2])
                elif kind == 0xE0:  # DISCONNECT
                    return

    def _publish(self, conn: socket.socket, flags: int, body: bytes, user: str | None) -> None:
        qos = (flags >> 1) & 3
        size = struct.unpack("!H", body[:2])[0]
        topic = body[2 : 2 + size].decode()
        rest = body[2 + size :]
        packet_id, payload = (rest[:2], rest[2:]) if qos else (b"", rest)
        with self.arrived:
            self.published.append(Published(topic, qos, json.loads(payload), user))
            self.arrived.notify_all()
        if qos == 1:
            conn.sendall(bytes([0x40, 2]) + packet_id)
        elif qos == 2:
            conn.sendall(bytes([0x50, 2]) + packet_id)

    def wait_for(self, count: int, timeout_s: float = 20.0) -> list[Published]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.published) >= count, timeout_s)
            return list(self.published)

    def close(self) -> None:
        self.sock.close()


def _read(conn: socket.socket) -> tuple[int, int, bytes] | None:
    first = conn.recv(1)
    if not first:
        return None
    length, shift = 0, 0
    while True:
        byte = conn.recv(1)[0]
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    body = b""
    while len(body) < length:
        chunk = conn.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return first[0] & 0xF0, first[0] & 0x0F, body


def _username(body: bytes) -> str | None:
    flags = body[7]
    client_size = struct.unpack("!H", body[10:12])[0]
    if not flags & 0x80:
        return None
    at = 12 + client_size
    size = struct.unpack("!H", body[at : at + 2])[0]
    return body[at + 2 : at + 2 + size].decode()
