"""The one place a bus transport is chosen from the config."""

from __future__ import annotations

from cctwin.bus.protocol import Bus
from cctwin.config import BusConfig, LocalBusConfig, NatsBusConfig


def create_bus(config: BusConfig) -> Bus:
    """The configured transport (not yet started)."""
    if isinstance(config, LocalBusConfig):
        from cctwin.bus.local import LocalBus

        return LocalBus()
    if isinstance(config, NatsBusConfig):
        from cctwin.bus.nats import NatsBus

        return NatsBus(config)
    raise TypeError(f"unknown bus config {type(config).__name__}")


def with_bus_url(config: BusConfig, url: str | None) -> BusConfig:
    """The bus config with `cctwin up --bus URL` applied: a NATS URL selects JetStream."""
    if url is None:
        return config
    if url == "local":
        return LocalBusConfig()
    stream = config.stream if isinstance(config, NatsBusConfig) else "CCTWIN"
    return NatsBusConfig(url=url, stream=stream)


def check_reachable(config: BusConfig) -> None:
    """Fail fast before serving (BusUnavailableError) when the broker cannot be used."""
    if not isinstance(config, NatsBusConfig):
        return
    import asyncio

    from cctwin.bus.nats import NatsBus

    async def probe() -> None:
        bus = NatsBus(config)
        await bus.start()
        await bus.close()

    asyncio.run(probe())
