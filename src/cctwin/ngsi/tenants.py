"""NGSI-LD tenants (`NGSILD-Tenant`): one broker per tenant, each on its own database.

ETSI GS CIM 009 V1.8.1 (clause 4.14): a request with the header works in that tenant only;
no header means the default tenant. Creating an entity (or subscription) in an unknown
tenant creates it; any other request naming an unknown tenant is a 404 NonexistentTenant.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from cctwin.config.ngsi import NgsiConfig
from cctwin.ngsi.problems import NgsiError, Problem
from cctwin.ngsi.service import NgsiRepository, NgsiService

HEADER = "NGSILD-Tenant"
# Tenant names become file names: letters, digits, '-' and '_' only.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def is_name(tenant: str) -> bool:
    """Whether `tenant` is a name this broker accepts (and may echo in a header)."""
    return _NAME.match(tenant) is not None


class Tenants:
    """The default tenant's service and the others, opened on first use."""

    def __init__(
        self,
        default: NgsiService,
        config: NgsiConfig,
        open_repository: Callable[[str], NgsiRepository],
        existing: Callable[[], list[str]],
    ) -> None:
        self.default = default
        self._config = config
        self._open = open_repository
        self._existing = existing
        self._services: dict[str, NgsiService] = {}
        self._lock = threading.Lock()
        # Called with every tenant service opened (the app starts its notifier and pruning).
        self.on_open: Callable[[NgsiService], None] | None = None

    def names(self) -> list[str]:
        """Tenants that hold data (opened now or found on disk)."""
        with self._lock:
            return sorted(set(self._services) | set(self._existing()))

    def get(self, tenant: str | None, create: bool = False) -> NgsiService:
        """The tenant's service; NonexistentTenant (404) for an unknown one unless `create`."""
        if not tenant:
            return self.default
        if not _NAME.match(tenant):
            raise NgsiError(
                Problem.BAD_REQUEST_DATA,
                f"tenant {tenant!r}: use 1-64 letters, digits, '-' or '_'",
            )
        with self._lock:
            service = self._services.get(tenant)
            if service is None:
                if not create and tenant not in self._existing():
                    raise NgsiError(Problem.NONEXISTENT_TENANT, f"no tenant {tenant!r}")
                service = NgsiService(self._open(tenant), self._config)
                self._services[tenant] = service
                if self.on_open is not None:
                    self.on_open(service)
        return service

    def opened(self) -> list[NgsiService]:
        with self._lock:
            return list(self._services.values())
