"""Unmasked originals of masked media, kept apart from the media folder for unmask grants.

A masking camera's snapshots and clips are stored masked; their originals go to a sibling
folder (`<media>-originals/`, owner-only) that no route serves as such. Live originals are
written only while someone with a grant is watching: the service touches a want-file and the
worker writes the camera's latest unmasked frame while it is fresh.

Every original is encrypted at rest (AES-256-GCM, a random nonce per file, the relative path as
associated data so a file moved to another name does not decrypt): an unmasked face must not be
readable by whoever copies the media folder or its backup. The key is one file, created
owner-only on first use, which the service and every worker process read.
"""

from __future__ import annotations

import os
import time
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cctwin.messages import MediaReady

LIVE = "live"
WANT_FRESH_S = 10.0  # a worker keeps writing live originals this long after the last request
NONCE_BYTES = 12


class Originals:
    """Files under `<media root>-originals/`: the same relative paths as the masked copies."""

    def __init__(self, media_root: Path, key_file: Path | None = None) -> None:
        self.root = media_root.parent / f"{media_root.name}-originals"
        self.key_file = key_file or media_root.parent / "originals.key"
        self._cipher: AESGCM | None = None

    def path_of(self, record: MediaReady) -> Path:
        relative = PurePosixPath(record.path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"media path {record.path!r} is outside the media folder")
        return self.root.joinpath(*relative.parts)

    def save(self, record: MediaReady, data: bytes) -> Path:
        """Write the original of `record` (atomically, owner-only)."""
        target = self.path_of(record)
        _write(target, self._seal(data, record.path), self.root)
        return target

    def read(self, record: MediaReady) -> bytes | None:
        """The decrypted original; None when there is none or it does not decrypt."""
        path = self.path_of(record)
        return self._open(path.read_bytes(), record.path) if path.is_file() else None

    def remove(self, relative_path: str) -> bool:
        """Delete the original of a purged media file; True when there was one."""
        relative = PurePosixPath(relative_path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            return False
        target = self.root.joinpath(*relative.parts)
        if not target.is_file():
            return False
        target.unlink()
        return True

    # --- live ---------------------------------------------------------------------------------

    def want_live(self, camera_id: str) -> None:
        """Ask the camera's worker for unmasked live frames for the next WANT_FRESH_S."""
        want = self._live(camera_id, ".want")
        _write(want, b"", self.root)

    def live_wanted(self, camera_id: str, now: float | None = None) -> bool:
        try:
            stamp = self._live(camera_id, ".want").stat().st_mtime
        except OSError:
            return False
        return (time.time() if now is None else now) - stamp <= WANT_FRESH_S

    def save_live(self, camera_id: str, jpeg: bytes) -> None:
        _write(self._live(camera_id, ".jpg"), self._seal(jpeg, f"{LIVE}/{camera_id}"), self.root)

    def read_live(self, camera_id: str, max_age_s: float = 3.0) -> bytes | None:
        """The camera's latest unmasked live frame if it is at most `max_age_s` old."""
        path = self._live(camera_id, ".jpg")
        try:
            if time.time() - path.stat().st_mtime > max_age_s:
                return None
            sealed = path.read_bytes()
        except OSError:
            return None
        return self._open(sealed, f"{LIVE}/{camera_id}")

    def _live(self, camera_id: str, suffix: str) -> Path:
        if "/" in camera_id or camera_id.startswith("."):
            raise ValueError(f"camera id {camera_id!r} cannot name a file")
        return self.root / LIVE / f"{camera_id}{suffix}"

    # --- encryption at rest --------------------------------------------------------------------

    def _seal(self, data: bytes, name: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead().encrypt(nonce, data, name.encode())

    def _open(self, sealed: bytes, name: str) -> bytes | None:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._aead().decrypt(nonce, body, name.encode())
        except (InvalidTag, ValueError):
            return None  # another key, a moved or damaged file: never served as an original

    def _aead(self) -> AESGCM:
        if self._cipher is None:
            self._cipher = AESGCM(_key(self.key_file))
        return self._cipher


def _key(path: Path) -> bytes:
    """The 32-byte key in `path`, created owner-only when missing (atomically: workers race)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(AESGCM.generate_key(bit_length=256))
        try:
            os.link(temporary, path)  # fails if another process was first: its key wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_bytes()
    if len(key) != 32:
        raise ValueError(f"{path}: an originals key is 32 bytes, this file has {len(key)}")
    return key


def _write(target: Path, data: bytes, root: Path) -> None:
    """Atomic write; every folder from `root` down is owner-only (0700)."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
