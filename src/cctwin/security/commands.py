"""Bodies of `cctwin users`, `cctwin keys` and `cctwin audit` (cli.py only declares them)."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cctwin.security import keys
from cctwin.security.audit import AuditAction, AuditRecord, verify, write_csv
from cctwin.security.passwords import hash_password, random_password
from cctwin.security.roles import parse_cameras, parse_role
from cctwin.security.users import User

if TYPE_CHECKING:
    from cctwin.store.sql import SqlStore


class CommandError(Exception):
    """A refused command; the message is for the terminal (exit 2)."""


@contextmanager
def open_store(config_file: Path) -> Iterator[SqlStore]:
    from cctwin.config import load_config
    from cctwin.store.sql import SqlStore

    config = load_config(config_file)
    with SqlStore.open(config.store) as store:
        yield store


def _actor() -> str:
    # Who ran the command on the host: the CLI has no login of its own.
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return f"cli:uid{os.getuid()}"


def _audit(store: SqlStore, action: AuditAction, target: str, detail: str = "") -> None:
    store.append_audit(AuditRecord(datetime.now(UTC), _actor(), action, target, detail=detail))


def users_add(
    config_file: Path,
    name: str,
    role: str,
    cameras: str | None,
    password_stdin: bool,
    zones: str | None = None,
) -> str | None:
    """Add a user; the generated password when none came on stdin (to print once)."""
    try:
        parsed = parse_role(role)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else random_password()
    if not password:
        raise CommandError("empty password on stdin")
    scope = parse_cameras(cameras)
    user = User(
        name, parsed, scope, hash_password(password), datetime.now(UTC), zones=parse_cameras(zones)
    )
    with open_store(config_file) as store:
        try:
            store.add_user(user)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        _audit(store, AuditAction.USER_ADD, name, _grant_detail(parsed.value, cameras, zones))
    return None if password_stdin else password


def users_list(config_file: Path) -> list[str]:
    with open_store(config_file) as store:
        return [
            f"{u.name}\t{u.role.value}\t{_scope(u.cameras)}\t{'disabled' if u.disabled else 'active'}"
            for u in store.list_users()
        ]


def users_disable(config_file: Path, name: str) -> None:
    with open_store(config_file) as store:
        if not store.disable_user(name):
            raise CommandError(f"no user {name!r}")
        _audit(store, AuditAction.USER_DISABLE, name)


def users_password(config_file: Path, name: str, password_stdin: bool) -> str | None:
    """Replace a user's password; the generated one when none came on stdin."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else random_password()
    if not password:
        raise CommandError("empty password on stdin")
    with open_store(config_file) as store:
        if not store.set_password(name, hash_password(password)):
            raise CommandError(f"no user {name!r}")
        _audit(store, AuditAction.USER_PASSWORD, name)
    return None if password_stdin else password


def keys_create(
    config_file: Path, name: str, role: str, cameras: str | None, zones: str | None = None
) -> str:
    """A new API key (the only time it is shown)."""
    try:
        parsed = parse_role(role)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    full, key_id, secret_hash = keys.new_key()
    key = keys.ApiKey(
        name,
        key_id,
        secret_hash,
        parsed,
        parse_cameras(cameras),
        datetime.now(UTC),
        zones=parse_cameras(zones),
    )
    with open_store(config_file) as store:
        try:
            store.add_key(key)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        _audit(store, AuditAction.KEY_CREATE, name, _grant_detail(parsed.value, cameras, zones))
    return full


def keys_list(config_file: Path) -> list[str]:
    with open_store(config_file) as store:
        return [
            f"{k.name}\t{k.role.value}\t{_scope(k.cameras)}\t{keys.PREFIX}{k.key_id}_…\t"
            + ("revoked " + k.revoked_at.isoformat() if k.revoked_at else "active")
            for k in store.list_keys()
        ]


def keys_revoke(config_file: Path, name: str) -> None:
    with open_store(config_file) as store:
        if not store.revoke_key(name, datetime.now(UTC)):
            raise CommandError(f"no active key {name!r}")
        _audit(store, AuditAction.KEY_REVOKE, name)


def audit_verify(config_file: Path) -> tuple[bool, str]:
    """(intact, the line to print)."""
    with open_store(config_file) as store:
        entries = list(store.audit_entries())
        broken = verify(entries)
        if broken is not None:
            return False, f"audit chain broken at row {broken.seq}: {broken.reason}"
        count = len(entries)
        head = entries[-1].hash if entries else "-"
    return True, f"audit chain intact: {count} rows, head {head}"


def audit_export(
    config_file: Path, since: datetime | None, until: datetime | None, out: Path | None
) -> int:
    """Write the rows in [since, until) as CSV to `out` (stdout when None); how many."""
    with open_store(config_file) as store:
        entries = list(store.audit_entries(since, until))
        if out is None:
            count = write_csv(entries, sys.stdout)
        else:
            with out.open("w", newline="", encoding="utf-8") as file:
                count = write_csv(entries, file)
        detail = f"{since or '-'}..{until or '-'} {count} rows"
        _audit(store, AuditAction.EXPORT, "audit_log", detail)
    return count


def _grant_detail(role: str, cameras: str | None, zones: str | None) -> str:
    detail = f"role={role} cameras={cameras or '*'}"
    return detail + (f" zones={zones}" if zones else "")


def _scope(cameras: frozenset[str] | None) -> str:
    return ",".join(sorted(cameras)) if cameras else "*"


# --- the Typer sub-apps that cli.py mounts ----------------------------------------------------

ConfigOption = Annotated[Path, typer.Option("--config", help="YAML config (its store).")]
CamerasOption = Annotated[
    str | None, typer.Option(help="Camera ids the scope covers, comma-separated; empty = all.")
]
ZonesOption = Annotated[
    str | None,
    typer.Option(
        help="Zone (or rule) ids whose events, alerts and observations it sees; empty = all."
    ),
]
users_app = typer.Typer(
    no_args_is_help=True, help="People who log in: add, list, disable, password."
)
keys_app = typer.Typer(no_args_is_help=True, help="API keys: create (shown once), list, revoke.")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")


def _run(body: Callable[[], None]) -> None:
    from cctwin.errors import CctwinError

    try:
        body()
    except (CommandError, CctwinError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@users_app.command("add")
def _users_add(
    name: str,
    role: Annotated[str, typer.Option(help="admin, supervisor, operator, privacy_officer, ...")],
    config_file: ConfigOption,
    cameras: CamerasOption = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    zones: ZonesOption = None,
) -> None:
    def body() -> None:
        password = users_add(config_file, name, role, cameras, password_stdin, zones)
        typer.echo(f"added user {name} ({role})")
        if password is not None:
            typer.echo(f"password (shown once): {password}")

    _run(body)


@users_app.command("list")
def _users_list(config_file: ConfigOption) -> None:
    _run(lambda: _echo_lines(users_list(config_file)))


@users_app.command("disable")
def _users_disable(name: str, config_file: ConfigOption) -> None:
    _run(lambda: users_disable(config_file, name))


@users_app.command("password")
def _users_password(
    name: str,
    config_file: ConfigOption,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    def body() -> None:
        password = users_password(config_file, name, password_stdin)
        typer.echo(f"password of {name} replaced")
        if password is not None:
            typer.echo(f"password (shown once): {password}")

    _run(body)


@keys_app.command("create")
def _keys_create(
    name: str,
    role: Annotated[str, typer.Option(help="admin, supervisor, operator, integrator, ...")],
    config_file: ConfigOption,
    cameras: CamerasOption = None,
    zones: ZonesOption = None,
) -> None:
    # The key alone on the last line, so scripts can take `| tail -1`.
    _run(lambda: typer.echo(keys_create(config_file, name, role, cameras, zones)))


@keys_app.command("list")
def _keys_list(config_file: ConfigOption) -> None:
    _run(lambda: _echo_lines(keys_list(config_file)))


@keys_app.command("revoke")
def _keys_revoke(name: str, config_file: ConfigOption) -> None:
    _run(lambda: keys_revoke(config_file, name))


@audit_app.command("verify")
def _audit_verify(config_file: ConfigOption) -> None:
    def body() -> None:
        intact, line = audit_verify(config_file)
        typer.echo(line)
        if not intact:
            raise typer.Exit(1)

    _run(body)


@audit_app.command("export")
def _audit_export(
    config_file: ConfigOption,
    since: Annotated[datetime | None, typer.Option("--from", help="Start (inclusive).")] = None,
    until: Annotated[datetime | None, typer.Option("--to", help="End (exclusive).")] = None,
    out: Annotated[Path | None, typer.Option(help="CSV file; stdout when left out.")] = None,
) -> None:
    def body() -> None:
        count = audit_export(config_file, _aware(since), _aware(until), out)
        if out is not None:
            typer.echo(f"wrote {count} rows to {out}")

    _run(body)


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


def _aware(value: datetime | None) -> datetime | None:
    # A date given without a zone is read as UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
