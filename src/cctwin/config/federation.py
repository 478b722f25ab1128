"""How the NGSI-LD broker talks to registered context sources: its Via name, its timeout."""

from __future__ import annotations

from pydantic import Field

from cctwin.config.base import Strict


class FederationConfig(Strict):
    """`ngsi_ld.federation:` forwarding requests to context sources (CIM 009 4.3.6, 6.3.18)."""

    via_name: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$",
        description=(
            "How this broker names itself in the Via header of forwarded requests; a request "
            "arriving with it in Via is a loop (508). Unique per broker; default: the host name "
            "and a suffix drawn at start."
        ),
    )
    timeout_s: float = Field(
        3.0,
        gt=0,
        le=60,
        description="How long a source may take to answer (a registration's management.timeout "
        "overrides it).",
    )
