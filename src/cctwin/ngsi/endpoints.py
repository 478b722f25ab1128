"""How one notification reaches its endpoint: an HTTP POST, or an MQTT PUBLISH (5.8.6)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from cctwin.ngsi.mqtt import SCHEMES, MqttError, parse_endpoint, publish
from cctwin.ngsi.notifications import Shape, headers


class DeliveryError(Exception):
    """The endpoint did not take the notification; the text says why."""


async def deliver(client: httpx.AsyncClient, shape: Shape, body: Any) -> None:
    """Send a notification body as the subscription's endpoint wants it (DeliveryError)."""
    if shape.endpoint.startswith(SCHEMES):
        # The MQTT binding has no headers: they travel as `metadata` beside the `body`.
        message = orjson.dumps({"metadata": headers(shape), "body": body})
        try:
            await publish(parse_endpoint(shape.endpoint, shape.notifier), message)
        except MqttError as error:
            raise DeliveryError(str(error)) from error
        return
    try:
        response = await client.post(
            shape.endpoint, content=orjson.dumps(body), headers=headers(shape)
        )
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise DeliveryError(str(error) or type(error).__name__) from error
