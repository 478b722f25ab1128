"""Roles, passwords, tokens, API keys and the login rate limit, without a service."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from cctwin.security import keys, tokens
from cctwin.security.passwords import hash_password, verify_password
from cctwin.security.ratelimit import LoginLimiter
from cctwin.security.roles import PERMISSIONS, Permission, Principal, Role, parse_role


def test_planners_and_researchers_never_see_imagery() -> None:
    imagery = {Permission.VIEW_LIVE, Permission.VIEW_RECORDED, Permission.UNMASK}
    assert not PERMISSIONS[Role.PLANNER] & imagery
    assert not PERMISSIONS[Role.RESEARCHER] & imagery
    assert Permission.VIEW_TWIN in PERMISSIONS[Role.PLANNER]
    assert PERMISSIONS[Role.RESEARCHER] == {Permission.VIEW_STATISTICS, Permission.VIEW_EVENTS}


def test_every_role_has_a_row_and_only_admin_manages_users() -> None:
    assert set(PERMISSIONS) == set(Role)
    managers = {r for r, granted in PERMISSIONS.items() if Permission.MANAGE_USERS in granted}
    assert managers == {Role.ADMIN}


def test_a_scoped_principal_sees_only_its_cameras() -> None:
    operator = Principal("kim", "user", Role.OPERATOR, frozenset({"cam-a"}))
    assert operator.sees("cam-a")
    assert not operator.sees("cam-b")
    assert operator.visible(["cam-a", "cam-b"]) == ["cam-a"]
    assert Principal("root", "user", Role.ADMIN).sees("cam-b")


def test_unknown_role_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown role 'boss'.*operator"):
        parse_role("boss")


def test_passwords_are_argon2id_and_checked() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horsE")
    assert not verify_password(None, "correct horse")  # unknown user: still False


def test_a_missing_user_costs_as_long_as_a_wrong_password() -> None:
    stored = hash_password("pw")

    def duration(hash_: str | None) -> float:
        start = time.perf_counter()
        verify_password(hash_, "wrong")
        return time.perf_counter() - start

    # Interleaved, fastest of several: the cores are shared, so single timings are noisy.
    pairs = [(duration(None), duration(stored)) for _ in range(4)]
    missing, wrong = min(p[0] for p in pairs), min(p[1] for p in pairs)
    assert 0.5 < missing / wrong < 2.0


def test_tokens_expire_with_a_reason_and_reject_other_secrets() -> None:
    token = tokens.issue("s" * 32, "kim", ttl_s=60, csrf="c")
    claims = tokens.decode("s" * 32, token)
    assert (claims.subject, claims.csrf) == ("kim", "c")
    with pytest.raises(tokens.TokenError, match="invalid token"):
        tokens.decode("t" * 32, token)
    expired = tokens.issue("s" * 32, "kim", ttl_s=-1)
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.decode("s" * 32, expired)


def test_generated_secret_is_kept_private_and_reused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "var" / "secret"
    first = tokens.load_secret(None, path)
    assert tokens.load_secret(None, path) == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert tokens.load_secret("configured", path) == "configured"


def test_api_keys_store_only_a_hash_and_revoked_keys_fail() -> None:
    full, key_id, secret_hash = keys.new_key()
    assert full not in secret_hash
    assert key_id in full
    parts = keys.split_key(full)
    assert parts is not None
    assert parts[0] == key_id
    stored = keys.ApiKey("k", key_id, secret_hash, Role.INTEGRATOR, None, datetime.now(UTC))
    assert keys.matches(stored, parts[1])
    assert not keys.matches(stored, parts[1] + "x")
    assert not keys.matches(None, parts[1])
    revoked = keys.ApiKey(
        "k", key_id, secret_hash, Role.INTEGRATOR, None, datetime.now(UTC), datetime.now(UTC)
    )
    assert not keys.matches(revoked, parts[1])
    assert keys.split_key("not-a-key") is None


def test_login_limiter_counts_failures_per_user_and_address() -> None:
    now = [0.0]
    limiter = LoginLimiter(attempts=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("kim", "10.0.0.1") == 0
        limiter.failed("kim", "10.0.0.1")
    assert limiter.retry_after("kim", "10.0.0.1") == pytest.approx(60)
    assert limiter.retry_after("kim", "10.0.0.2") == 0  # another address
    assert limiter.retry_after("lee", "10.0.0.1") == 0  # another user
    now[0] = 61.0
    assert limiter.retry_after("kim", "10.0.0.1") == 0


def test_sse_leaves_out_other_cameras_and_what_the_role_may_not_see() -> None:
    from factories import event_of, status_of

    from cctwin.api.routes.stream import visible
    from cctwin.types import CameraState

    event = event_of(
        kind="intrusion",
        camera_id="cam-a",
        rule_id="r",
        occurred_at=datetime(2026, 12, 6, tzinfo=UTC),
        frame_index=1,
        track_id=1,
        class_name="person",
        confidence=0.9,
    )
    scoped = Principal("kim", "user", Role.OPERATOR, frozenset({"cam-b"}))
    assert not visible(event, scoped)
    assert visible(event, Principal("lee", "user", Role.OPERATOR, frozenset({"cam-a"})))
    planner = Principal("park", "user", Role.PLANNER)
    assert not visible(event, planner)  # events are not a planner's
    status = status_of("cam-a", CameraState.ONLINE, datetime(2026, 12, 6, tzinfo=UTC))
    assert visible(status, planner)
