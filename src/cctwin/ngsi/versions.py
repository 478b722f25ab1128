"""The API version a client prefers (`Prefer: ngsi-ld=<version>`, V1.9 4.3.6.8, 6.3.6)."""

from __future__ import annotations

import re

PREFERENCE = "ngsi-ld"
# The versions whose representations this broker can give: all since 1.0 share the shape of
# the resources the preference is honoured on (subscriptions have no version fallbacks).
_VERSION = re.compile(r"1\.\d+(\.\d+)?")


def preferred_version(prefer: str | None) -> str | None:
    """The version named by a Prefer header (RFC 7240: preferences separated by commas,
    names case-insensitive, a token or quoted value, parameters after ';'), or None."""
    for preference in (prefer or "").split(","):
        head = preference.split(";", 1)[0]
        name, found, value = head.partition("=")
        if not found or name.strip().lower() != PREFERENCE:
            continue
        version = value.strip().strip('"')
        if _VERSION.fullmatch(version):
            return version
    return None


def applied(prefer: str | None) -> dict[str, str]:
    """The Preference-Applied header for a resource shown the same in every version."""
    version = preferred_version(prefer)
    return {"Preference-Applied": f"{PREFERENCE}={version}"} if version else {}
