"""NGSI-LD context source registrations and registration subscriptions on the SQL store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import delete, select

from cctwin.store.database import Database
from cctwin.store.tables import NgsiCSourceSubscriptionRow, NgsiRegistrationRow

Json = dict[str, Any]
_Row = type[NgsiRegistrationRow] | type[NgsiCSourceSubscriptionRow]


class RegistrationTables(Database):
    """The registry's repository (ngsi/registry.py): one JSON body per id and table."""

    def save_registration(self, registration_id: str, body: Mapping[str, Any]) -> None:
        self._save(NgsiRegistrationRow, registration_id, body)

    def load_registrations(self) -> dict[str, Json]:
        return self._load(NgsiRegistrationRow)

    def delete_registration(self, registration_id: str) -> None:
        self._delete(NgsiRegistrationRow, registration_id)

    def save_csource_subscription(self, subscription_id: str, body: Mapping[str, Any]) -> None:
        self._save(NgsiCSourceSubscriptionRow, subscription_id, body)

    def load_csource_subscriptions(self) -> dict[str, Json]:
        return self._load(NgsiCSourceSubscriptionRow)

    def delete_csource_subscription(self, subscription_id: str) -> None:
        self._delete(NgsiCSourceSubscriptionRow, subscription_id)

    def _save(self, row: _Row, key: str, body: Mapping[str, Any]) -> None:
        insert = self._insert(row.__table__)  # type: ignore[arg-type]
        values = {"id": key, "body": orjson.dumps(body).decode()}
        with self._write() as connection:
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["id"], set_={"body": insert.excluded.body}
                ),
                [values],
            )

    def _load(self, row: _Row) -> dict[str, Json]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(row.id, row.body)).all()
        return {r[0]: orjson.loads(r[1]) for r in rows}

    def _delete(self, row: _Row, key: str) -> None:
        with self._write() as connection:
            connection.execute(delete(row).where(row.id == key))
